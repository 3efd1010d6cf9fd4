package waf

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// benchDoc is a realistic 10-rule web ACL of the kind the edge runs.
const benchDoc = `{"Name": "bench", "DefaultAction": {"Allow": {}}, "Rules": [
 {"Name": "bad-ips", "Priority": 0, "Action": {"Block": {}},
  "Statement": {"IPSetReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:1:global/ipset/bad/1"}}},
 {"Name": "bad-forwarded", "Priority": 1, "Action": {"Block": {}},
  "Statement": {"IPSetReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:1:global/ipset/bad/1",
   "IPSetForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "NO_MATCH", "Position": "ANY"}}}},
 {"Name": "geo", "Priority": 2, "Action": {"Block": {}}, "Statement": {"GeoMatchStatement": {"CountryCodes": ["KP", "IR"]}}},
 {"Name": "rate", "Priority": 3, "Action": {"Block": {}},
  "Statement": {"RateBasedStatement": {"Limit": 2000000000, "EvaluationWindowSec": 300, "AggregateKeyType": "IP"}}},
 {"Name": "scanners", "Priority": 4, "Action": {"Block": {}},
  "Statement": {"RegexPatternSetReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:1:global/regexpatternset/scanners/1",
   "FieldToMatch": {"SingleHeader": {"Name": "user-agent"}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}},
 {"Name": "admin-path", "Priority": 5, "Action": {"Block": {}},
  "Statement": {"ByteMatchStatement": {"FieldToMatch": {"UriPath": {}}, "PositionalConstraint": "STARTS_WITH", "SearchString": "/admin",
   "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}, {"Priority": 1, "Type": "LOWERCASE"}]}}},
 {"Name": "body-size", "Priority": 6, "Action": {"Block": {}},
  "Statement": {"SizeConstraintStatement": {"FieldToMatch": {"Body": {"OversizeHandling": "MATCH"}}, "ComparisonOperator": "GT", "Size": 8192,
   "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}},
 {"Name": "count-api", "Priority": 7, "Action": {"Count": {}}, "RuleLabels": [{"Name": "api"}],
  "Statement": {"ByteMatchStatement": {"FieldToMatch": {"UriPath": {}}, "PositionalConstraint": "STARTS_WITH", "SearchString": "/api/",
   "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}},
 {"Name": "sqli", "Priority": 8, "Action": {"Block": {}}, "Statement": {"OrStatement": {"Statements": [
   {"SqliMatchStatement": {"FieldToMatch": {"AllQueryArguments": {}}, "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}, {"Priority": 1, "Type": "HTML_ENTITY_DECODE"}]}},
   {"SqliMatchStatement": {"FieldToMatch": {"Body": {"OversizeHandling": "CONTINUE"}}, "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}, {"Priority": 1, "Type": "HTML_ENTITY_DECODE"}]}},
   {"SqliMatchStatement": {"FieldToMatch": {"SingleHeader": {"Name": "cookie"}}, "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}]}}]}}},
 {"Name": "xss", "Priority": 9, "Action": {"Block": {}}, "Statement": {"OrStatement": {"Statements": [
   {"XssMatchStatement": {"FieldToMatch": {"AllQueryArguments": {}}, "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}, {"Priority": 1, "Type": "HTML_ENTITY_DECODE"}]}},
   {"XssMatchStatement": {"FieldToMatch": {"Body": {"OversizeHandling": "CONTINUE"}}, "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}, {"Priority": 1, "Type": "HTML_ENTITY_DECODE"}]}},
   {"XssMatchStatement": {"FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}]}}]}}}]}`

func benchRequest() *Request {
	return &Request{
		Method: "GET", Path: "/api/v1/products/12345/reviews", RawQuery: "page=2&sort=-date&q=running+shoes&lang=en-US",
		HTTPVersion: "HTTP/1.1", ClientIP: netip.MustParseAddr("192.0.2.44"), RequestID: "r1",
		Headers: []Header{
			h("Host", "cdn.example.com"),
			h("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"),
			h("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
			h("Accept-Language", "en-US,en;q=0.9"),
			h("Accept-Encoding", "gzip, deflate, br"),
			h("Referer", "https://www.example.com/products/12345"),
			h("Cookie", "session=3f9a1c77e2b14d0c; theme=dark; consent=yes"),
			h("X-Forwarded-For", "198.51.100.20, 10.0.0.1"),
			h("Sec-Fetch-Mode", "navigate"),
			h("Cache-Control", "no-cache"),
		},
	}
}

func BenchmarkEvaluate10Rules(b *testing.B) {
	acl := mustLoad(b, benchDoc, testSets(), Options{GeoIP: testGeo{}, Clock: func() time.Time { return time.Unix(1_700_000_000, 0) }})
	req := benchRequest()
	if d := acl.Evaluate(req); d.Action != Allow {
		b.Fatalf("benchmark request blocked: %+v", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		acl.Evaluate(req)
	}
}

func BenchmarkEvaluate10RulesPOST(b *testing.B) {
	acl := mustLoad(b, benchDoc, testSets(), Options{GeoIP: testGeo{}})
	req := benchRequest()
	req.Method, req.Path = "POST", "/checkout"
	req.Body = []byte(`{"cart":[{"sku":"A-100","qty":2},{"sku":"B-7","qty":1}],"note":"leave at the door, thanks!","coupon":"SPRING24"}`)
	req.BodySize = int64(len(req.Body))
	b.ReportAllocs()
	for b.Loop() {
		acl.Evaluate(req)
	}
}

func BenchmarkDefaultRulesCorpus(b *testing.B) {
	doc, err := os.ReadFile(filepath.Join("testdata", "default-sqli-xss.json"))
	if err != nil {
		b.Fatal(err)
	}
	acl := mustLoad(b, string(doc), Sets{}, Options{})
	lines := readLines(b, "benign.txt")
	reqs := make([]*Request, len(lines))
	for i, l := range lines {
		reqs[i] = get("/search", "q="+l)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		acl.Evaluate(reqs[i%len(reqs)])
		i++
	}
}
