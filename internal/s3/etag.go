package s3

import "strings"

// ParseETagList parses an If-Match or If-None-Match header: "*" or a
// comma-separated list of entity tags, quoted or not, optionally weak
// (W/"…"). It returns the tags without quotes and weak prefix, or ["*"].
// Empty elements are dropped; an empty header gives nil.
func ParseETagList(h string) []string {
	var tags []string
	for part := range strings.SplitSeq(h, ",") {
		t := NormalizeETag(part)
		if t == "" {
			continue
		}
		if t == "*" {
			return []string{"*"}
		}
		tags = append(tags, t)
	}
	return tags
}

// NormalizeETag strips spaces, a weak W/ prefix and surrounding quotes, so
// that `W/"abc"`, `"abc"` and `abc` compare equal.
func NormalizeETag(t string) string {
	t = strings.TrimSpace(t)
	t = strings.TrimPrefix(t, "W/")
	if len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' {
		t = t[1 : len(t)-1]
	}
	return t
}

// ETagMatches reports whether etag (quoted or not) is in list as returned
// by ParseETagList; "*" matches any ETag. S3 compares weakly: a W/ prefix
// is ignored.
func ETagMatches(list []string, etag string) bool {
	etag = NormalizeETag(etag)
	for _, t := range list {
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
