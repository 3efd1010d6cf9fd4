package policy

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkEvaluate authorizes one request against a 20-statement bucket
// policy plus 10 identity statements (issue 5's target: < 20 µs).
func BenchmarkEvaluate(b *testing.B) {
	var bucketStmts, idStmts []string
	for i := range 20 {
		bucketStmts = append(bucketStmts, fmt.Sprintf(`{"Sid":"b%d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:user/u%d"},
			"Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/home/u%d/*",
			"Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},"Bool":{"aws:SecureTransport":"true"}}}`, i, acctA, i, i))
	}
	for i := range 10 {
		idStmts = append(idStmts, fmt.Sprintf(`{"Sid":"i%d","Effect":"Allow","Action":"s3:Get*",
			"Resource":"arn:aws:s3:::b/home/${aws:username}/p%d/*","Condition":{"StringLike":{"aws:Referer":"https://*.example.com/*"}}}`, i, i))
	}
	bp, err := Parse([]byte(stmts(bucketStmts...)), KindResource)
	if err != nil {
		b.Fatal(err)
	}
	ip, err := Parse([]byte(stmts(idStmts...)), KindIdentity)
	if err != nil {
		b.Fatal(err)
	}
	req := Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/home/alice/p9/" + strings.Repeat("x", 40),
		Context: map[string][]string{"aws:SourceIp": {"10.1.2.3"}, "aws:SecureTransport": {"true"},
			"aws:Referer": {"https://www.example.com/index.html"}, "aws:UserAgent": {"aws-cli/2"}}}
	sets := []Set{{Kind: KindIdentity, Policies: []*Policy{ip}}, {Kind: KindResource, Owner: acctA, Policies: []*Policy{bp}}}
	if d := Evaluate(req, sets...); !d.Allowed() {
		b.Fatalf("benchmark request denied: %+v", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(req, sets...)
	}
}
