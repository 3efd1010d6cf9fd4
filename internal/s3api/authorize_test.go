package s3api

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/policy"
)

// BenchmarkAuthorizeGetObject authorizes one signed GetObject against a
// 20-statement bucket policy plus 10 identity statements (issue 5's
// target: < 20 µs p50): condition keys from the request, the cached
// parsed policy, policy.Evaluate. The bucket lookup is the engine's and
// not part of it.
func BenchmarkAuthorizeGetObject(b *testing.B) {
	const account = "111122223333"
	var bucketStmts, idStmts []string
	for i := range 20 {
		bucketStmts = append(bucketStmts, fmt.Sprintf(`{"Sid":"b%d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:user/u%d"},
			"Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bench/home/u%d/*",
			"Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},"Bool":{"aws:SecureTransport":"true"}}}`, i, account, i, i))
	}
	for i := range 10 {
		idStmts = append(idStmts, fmt.Sprintf(`{"Sid":"i%d","Effect":"Allow","Action":"s3:Get*",
			"Resource":"arn:aws:s3:::bench/home/${aws:username}/p%d/*","Condition":{"StringLike":{"aws:Referer":"https://*.example.com/*"}}}`, i, i))
	}
	doc := func(st []string) string {
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(st, ",") + `]}`
	}
	identity, err := policy.Parse([]byte(doc(idStmts)), policy.KindIdentity)
	if err != nil {
		b.Fatal(err)
	}
	bucket := &meta.Bucket{Name: "bench", Owner: account, Policy: doc(bucketStmts)}
	h := &handler{log: slog.New(slog.DiscardHandler)}
	r := httptest.NewRequest("GET", "https://bench.s3.example.com/home/alice/p9/"+strings.Repeat("x", 40), nil)
	r.RemoteAddr = "10.1.2.3:50000"
	r.Header.Set("Referer", "https://www.example.com/index.html")
	r.Header.Set("User-Agent", "aws-cli/2")
	op, err := Resolve(r, "s3.example.com")
	if err != nil {
		b.Fatal(err)
	}
	res := &auth.Result{Principal: auth.Principal{AccountID: account, UserName: "alice", ARN: "arn:aws:iam::" + account + ":user/alice"}}
	if err := h.decide(r, op, res, bucket, []*policy.Policy{identity}); err != nil {
		b.Fatalf("benchmark request denied: %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = h.decide(r, op, res, bucket, []*policy.Policy{identity})
	}
}
