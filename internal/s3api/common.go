package s3api

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/coffer-project/coffer/internal/httpx"
	"github.com/coffer-project/coffer/internal/s3err"
	"github.com/coffer-project/coffer/internal/s3xml"
)

func httpxInfo(q *request) *httpx.Info { return httpx.InfoFrom(q.r.Context()) }

func requestID(q *request) string { return httpx.RequestID(q.r.Context()) }

// writeXML sends v as an S3 XML document.
func writeXML(w http.ResponseWriter, status int, v any) error {
	b, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", itoa(int64(len(xml.Header)+len(b))))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(b)
	return nil
}

// decodeXML reads a request's XML document (at most maxXMLBody bytes),
// checks Content-MD5 when sent, and decodes it strictly into v.
func decodeXML(q *request, v any) error {
	body, err := io.ReadAll(io.LimitReader(q.auth.Body, maxXMLBody+1))
	if err != nil {
		return err
	}
	if len(body) > maxXMLBody {
		return s3xml.ErrTooLarge
	}
	if err := checkContentMD5(q, body); err != nil {
		return err
	}
	return s3xml.Decode(bytes.NewReader(body), v, maxXMLBody)
}

// checkContentMD5 checks a request body read whole against its
// Content-MD5 header, when sent.
func checkContentMD5(q *request, body []byte) error {
	want := q.r.Header.Get("Content-MD5")
	if want == "" {
		return nil
	}
	sum, err := base64.StdEncoding.DecodeString(want)
	if err != nil || len(sum) != md5.Size {
		return &s3err.Error{Code: s3err.InvalidDigest}
	}
	if got := md5.Sum(body); !bytes.Equal(got[:], sum) {
		return &s3err.Error{Code: s3err.BadDigest}
	}
	return nil
}

// splitList splits a comma-separated header value, trimming blanks.
func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// headerInt reads a non-negative integer header.
func headerInt(q *request, name string, def int) (int, error) {
	v := q.r.Header.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, invalidArg("Provided "+name+" not an integer or within integer range", name, v)
	}
	return n, nil
}

// urlEncode applies S3's encoding-type=url to a key or prefix: every byte
// outside the unreserved set is percent-encoded, except '/'.
func urlEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
