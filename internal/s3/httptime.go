package s3

import "time"

// HTTP date layouts, in the order RFC 9110 lists them.
const (
	httpDateIMF    = "Mon, 02 Jan 2006 15:04:05 GMT"  // IMF-fixdate (RFC 1123)
	httpDateRFC850 = "Monday, 02-Jan-06 15:04:05 GMT" // obsolete RFC 850
	httpDateANSIC  = "Mon Jan _2 15:04:05 2006"       // asctime
)

// ParseHTTPTime parses an HTTP date (If-Modified-Since, x-amz-date in its
// RFC 1123 form, …) in any of the three formats RFC 9110 requires
// recipients to accept. ok is false if s is none of them; S3 then ignores
// the header.
func ParseHTTPTime(s string) (t time.Time, ok bool) {
	for _, layout := range [...]string{httpDateIMF, httpDateRFC850, httpDateANSIC} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// FormatHTTPTime formats t as an IMF-fixdate, the form S3 uses in
// Last-Modified and other date headers.
func FormatHTTPTime(t time.Time) string {
	return t.UTC().Format(httpDateIMF)
}
