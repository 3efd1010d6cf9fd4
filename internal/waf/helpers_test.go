package waf

import (
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"
)

func itoa(i int) string { return strconv.Itoa(i) }

// oneRuleACL wraps a statement in a web ACL with one Block rule named "r"
// and DefaultAction Allow.
func oneRuleACL(stmt string) string {
	return `{"Name": "test", "DefaultAction": {"Allow": {}}, "Rules": [
		{"Name": "r", "Priority": 0, "Action": {"Block": {}}, "Statement": ` + stmt + `,
		 "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "r"}}]}`
}

func mustLoad(t testing.TB, doc string, sets Sets, opts Options) *WebACL {
	t.Helper()
	acl, err := Load([]byte(doc), sets, opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return acl
}

// evalOne loads a one-rule ACL around stmt and evaluates req.
func evalOne(t testing.TB, stmt string, req *Request) Decision {
	t.Helper()
	return mustLoad(t, oneRuleACL(stmt), testSets(), Options{GeoIP: testGeo{}}).Evaluate(req)
}

func testSets() Sets {
	return Sets{
		IPSets: map[string][]netip.Prefix{
			"bad": {netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("198.51.100.7/32")},
		},
		RegexSets: map[string][]string{
			"scanners": {"(?i)sqlmap", "(?i)nikto"},
		},
	}
}

// testGeo maps documentation ranges to countries.
type testGeo struct{}

func (testGeo) Country(a netip.Addr) string {
	switch {
	case netip.MustParsePrefix("192.0.2.0/24").Contains(a):
		return "FR"
	case netip.MustParsePrefix("198.51.100.0/24").Contains(a):
		return "US"
	case netip.MustParsePrefix("203.0.113.0/24").Contains(a):
		return "KP"
	}
	return ""
}

// fakeClock is a settable clock for rate limits and samples.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func get(path, query string, headers ...Header) *Request {
	return &Request{Method: "GET", Path: path, RawQuery: query, Headers: headers,
		ClientIP: netip.MustParseAddr("192.0.2.10"), HTTPVersion: "HTTP/1.1"}
}

func post(body string, headers ...Header) *Request {
	return &Request{Method: "POST", Path: "/upload", Headers: headers, Body: []byte(body), BodySize: int64(len(body)),
		ClientIP: netip.MustParseAddr("192.0.2.10"), HTTPVersion: "HTTP/1.1"}
}

func h(name, value string) Header { return Header{Name: name, Value: value} }
