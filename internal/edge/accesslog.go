package edge

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/coffer-project/coffer/internal/httpx"
)

// accessLog writes CloudFront's standard log format: tab-separated fields
// in the order of the #Fields line, "-" for an empty value, URL-encoded
// strings.
type accessLog struct {
	mu sync.Mutex
	f  *os.File
	w  *bufio.Writer
}

const logFields = "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) " +
	"cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes " +
	"time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version"

func openAccessLog(file string) (*accessLog, error) {
	f, err := os.OpenFile(file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, fmt.Errorf("edge: access_log: %w", err)
	}
	l := &accessLog{f: f, w: bufio.NewWriter(f)}
	if fi, err := f.Stat(); err == nil && fi.Size() == 0 {
		fmt.Fprintf(l.w, "#Version: 1.0\n#Fields: %s\n", logFields)
	}
	return l, nil
}

// logValue is a field as CloudFront writes it: "-" when empty, otherwise
// percent-encoded (so spaces and tabs never appear), slashes kept.
func logValue(s string) string {
	if s == "" {
		return "-"
	}
	return strings.ReplaceAll(url.PathEscape(s), "%2F", "/")
}

func (l *accessLog) write(fields []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w.WriteString(strings.Join(fields, "\t"))
	l.w.WriteByte('\n')
	_ = l.w.Flush()
}

func (l *accessLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.w.Flush()
	return l.f.Close()
}

// logRequest records one viewer request in the access log and metrics.
func (s *Server) logRequest(v *viewer, rec *httpx.Recorder) {
	if v.result == "" {
		v.result = "Miss"
	}
	s.metrics.request(v.dist.ID, v.result, rec.Bytes)
	if s.accessLog == nil {
		return
	}
	r := v.r
	end := s.now().UTC()
	tlsVersion, cipher := "-", "-"
	if r.TLS != nil {
		// CloudFront writes TLSv1.3 and the OpenSSL-style suite name; Go's
		// IANA names stand in for the latter.
		tlsVersion = strings.Replace(tls.VersionName(r.TLS.Version), "TLS ", "TLSv", 1)
		cipher = logValue(tls.CipherSuiteName(r.TLS.CipherSuite))
	}
	status := rec.Status
	if status == 0 {
		status = 200
	}
	s.accessLog.write([]string{
		v.start.UTC().Format("2006-01-02"), v.start.UTC().Format("15:04:05"), "coffer-edge",
		strconv.FormatInt(rec.Bytes, 10), v.clientIP.String(), r.Method, logValue(r.Host), logValue(r.URL.Path),
		strconv.Itoa(status), logValue(r.Referer()), logValue(r.UserAgent()), logValue(r.URL.RawQuery),
		logValue(r.Header.Get("Cookie")), v.result, logValue(r.Header.Get("X-Request-Id")), logValue(r.Host), v.scheme,
		strconv.FormatInt(max(r.ContentLength, 0), 10), strconv.FormatFloat(end.Sub(v.start).Seconds(), 'f', 3, 64),
		logValue(r.Header.Get("X-Forwarded-For")), tlsVersion, cipher, v.result, logValue(r.Proto),
	})
}
