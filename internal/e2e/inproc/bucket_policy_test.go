package inproc

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/coffer-project/coffer/internal/config"
)

// policyDoc wraps statements into a bucket policy document.
func policyDoc(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

// policyBucket creates bucket "pol" holding public/a.txt and private/b.txt,
// with Block Public Access off (new buckets block public policies, as on
// S3; TestBlockPublicAccess covers that).
func policyBucket(t *testing.T, c *client) {
	t.Helper()
	_, err := c.s3.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("pol")})
	must(t, err, "CreateBucket")
	_, err = c.s3.DeletePublicAccessBlock(ctx(t), &s3.DeletePublicAccessBlockInput{Bucket: aws.String("pol")})
	must(t, err, "DeletePublicAccessBlock")
	for _, k := range []string{"public/a.txt", "private/b.txt"} {
		_, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("pol"), Key: aws.String(k), Body: strings.NewReader("data of " + k)})
		must(t, err, "PutObject "+k)
	}
}

func (c *client) putPolicy(t *testing.T, doc string) {
	t.Helper()
	_, err := c.s3.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String("pol"), Policy: aws.String(doc)})
	must(t, err, "PutBucketPolicy")
}

// anon sends an unsigned request for path (with query) and returns the
// status and body.
func (c *client) anon(t *testing.T, method, path string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), method, c.endpoint+path, strings.NewReader(""))
	must(t, err, "NewRequest")
	if method != http.MethodPut {
		req.Body, req.ContentLength = nil, 0
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	must(t, err, method+" "+path)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func wantStatus(t *testing.T, what string, got, want int, body string) {
	t.Helper()
	if got != want {
		t.Errorf("%s: status %d, want %d (%.300s)", what, got, want, body)
	}
}

const publicReadPolicy = `{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*"}`

func TestBucketPolicyAnonymousReadOnly(t *testing.T) {
	c := newTestServer(t, serverOptions{}).client(styles[0])
	policyBucket(t, c)

	// Without a policy anonymous requests are refused.
	code, body := c.anon(t, "GET", "/pol/public/a.txt", nil)
	wantStatus(t, "anonymous GET without a policy", code, 403, body)

	c.putPolicy(t, policyDoc(publicReadPolicy))
	code, body = c.anon(t, "GET", "/pol/public/a.txt", nil)
	wantStatus(t, "anonymous GET", code, 200, body)
	if body != "data of public/a.txt" {
		t.Errorf("anonymous GET body = %q", body)
	}
	code, _ = c.anon(t, "HEAD", "/pol/private/b.txt", nil)
	wantStatus(t, "anonymous HEAD", code, 200, "")
	code, body = c.anon(t, "PUT", "/pol/public/new.txt", nil)
	wantStatus(t, "anonymous PUT", code, 403, body)
	if !strings.Contains(body, "<Code>AccessDenied</Code>") || !strings.Contains(body, "<Message>Access Denied</Message>") {
		t.Errorf("anonymous PUT body = %s", body)
	}
	code, body = c.anon(t, "GET", "/pol?list-type=2", nil)
	wantStatus(t, "anonymous ListObjectsV2", code, 403, body)
	code, body = c.anon(t, "GET", "/pol?policy", nil)
	wantStatus(t, "anonymous GetBucketPolicy", code, 403, body)
	code, body = c.anon(t, "GET", "/", nil)
	wantStatus(t, "anonymous ListBuckets", code, 403, body)

	// Listing too once the policy says so.
	c.putPolicy(t, policyDoc(publicReadPolicy,
		`{"Sid":"List","Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::pol"}`))
	code, body = c.anon(t, "GET", "/pol?list-type=2", nil)
	wantStatus(t, "anonymous ListObjectsV2 when listed", code, 200, body)
	if !strings.Contains(body, "<Key>private/b.txt</Key>") {
		t.Errorf("listing = %s", body)
	}

	// The owner is unaffected by a policy that only allows.
	_, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("pol"), Key: aws.String("k"), Body: strings.NewReader("x")})
	must(t, err, "owner PutObject")
}

func TestBucketPolicyDenyBindsOwnerRoot(t *testing.T) {
	c := newTestServer(t, serverOptions{}).client(styles[0])
	policyBucket(t, c)
	c.putPolicy(t, policyDoc(`{"Sid":"NoOne","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::pol","arn:aws:s3:::pol/*"]}`))

	_, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("pol"), Key: aws.String("public/a.txt")})
	wantAPIError(t, err, 403, "AccessDenied")
	_, err = c.s3.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("pol")})
	wantAPIError(t, err, 403, "AccessDenied")
	_, err = c.s3.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: aws.String("pol")})
	wantAPIError(t, err, 403, "AccessDenied")

	// The root user can still read and remove the policy.
	got, err := c.s3.GetBucketPolicy(ctx(t), &s3.GetBucketPolicyInput{Bucket: aws.String("pol")})
	must(t, err, "GetBucketPolicy")
	if !strings.Contains(aws.ToString(got.Policy), `"NoOne"`) {
		t.Errorf("GetBucketPolicy = %s", aws.ToString(got.Policy))
	}
	_, err = c.s3.DeleteBucketPolicy(ctx(t), &s3.DeleteBucketPolicyInput{Bucket: aws.String("pol")})
	must(t, err, "DeleteBucketPolicy")
	_, err = c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("pol"), Key: aws.String("public/a.txt")})
	must(t, err, "GetObject after recovery")
	_, err = c.s3.GetBucketPolicy(ctx(t), &s3.GetBucketPolicyInput{Bucket: aws.String("pol")})
	wantAPIError(t, err, 404, "NoSuchBucketPolicy")
}

func TestBucketPolicySourceIP(t *testing.T) {
	tests := []struct {
		name, cidr string
		want       int
	}{
		{"loopback allowed", "127.0.0.0/8", 200},
		{"range without the client denied", "10.0.0.0/8", 403},
		{"IPv6 range only denied", "2001:db8::/32", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestServer(t, serverOptions{}).client(styles[0])
			policyBucket(t, c)
			c.putPolicy(t, policyDoc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*",
				"Condition":{"IpAddress":{"aws:SourceIp":"`+tt.cidr+`"}}}`))
			code, body := c.anon(t, "GET", "/pol/public/a.txt", nil)
			wantStatus(t, "anonymous GET", code, tt.want, body)
		})
	}
	// A Deny outside an address range binds the owner too.
	c := newTestServer(t, serverOptions{}).client(styles[0])
	policyBucket(t, c)
	c.putPolicy(t, policyDoc(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::pol/*",
		"Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`))
	_, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("pol"), Key: aws.String("public/a.txt")})
	wantAPIError(t, err, 403, "AccessDenied")
}

// TestBucketPolicySourceVpce: a server told that the test client's
// network (loopback) comes through VPC endpoint vpce-1a2b gives its
// requests aws:SourceVpce, so a bucket policy that denies everything not
// through that endpoint lets them through; with the endpoint on another
// network the same requests are denied, the owner's root included.
func TestBucketPolicySourceVpce(t *testing.T) {
	for _, tt := range []struct {
		network string
		want    int
	}{{"127.0.0.0/8", 200}, {"10.0.0.0/8", 403}} {
		t.Run(tt.network, func(t *testing.T) {
			eps := []config.VPCEndpoint{{ID: "vpce-1a2b", VPC: "vpc-9", Prefixes: []netip.Prefix{netip.MustParsePrefix(tt.network)}}}
			c := newTestServer(t, serverOptions{vpcEndpoints: eps}).client(styles[0])
			policyBucket(t, c)
			c.putPolicy(t, policyDoc(`{"Sid":"OnlyThroughVpce","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*",
				"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b"}}}`))
			_, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("pol"), Key: aws.String("private/b.txt")})
			if tt.want == 200 {
				must(t, err, "GetObject through the endpoint")
				return
			}
			wantAPIError(t, err, 403, "AccessDenied")
		})
	}
}

// TestBucketPolicySourceIPBehindProxy: the test client is on 127.0.0.1, so
// with 127.0.0.0/8 trusted it stands for a reverse proxy, and the client its
// X-Forwarded-For names is aws:SourceIp; untrusted, the header is ignored.
func TestBucketPolicySourceIPBehindProxy(t *testing.T) {
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	tests := []struct {
		name         string
		trusted      []netip.Prefix
		forwardedFor string
		want         int
	}{
		{"trusted proxy, client in the range", loopback, "203.0.113.7", 200},
		{"trusted proxy, client outside the range", loopback, "198.51.100.1", 403},
		{"trusted proxy, spoofed entry left of the client", loopback, "203.0.113.7, 198.51.100.1", 403},
		{"trusted proxy, no header: the proxy itself", loopback, "", 403},
		{"no trusted proxies: header ignored", nil, "203.0.113.7", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestServer(t, serverOptions{trustedProxies: tt.trusted}).client(styles[0])
			policyBucket(t, c)
			c.putPolicy(t, policyDoc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*",
				"Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}`))
			h := map[string]string{}
			if tt.forwardedFor != "" {
				h["X-Forwarded-For"] = tt.forwardedFor
			}
			code, body := c.anon(t, "GET", "/pol/public/a.txt", h)
			wantStatus(t, "anonymous GET", code, tt.want, body)
		})
	}
}

func TestBucketPolicyReferer(t *testing.T) {
	c := newTestServer(t, serverOptions{}).client(styles[0])
	policyBucket(t, c)
	c.putPolicy(t, policyDoc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*",
		"Condition":{"StringLike":{"aws:Referer":["https://www.example.com/*","https://example.com/*"]}}}`))
	for _, tt := range []struct {
		name, referer string
		want          int
	}{
		{"right referer", "https://www.example.com/page.html", 200},
		{"other site", "https://evil.example.net/", 403},
		{"no referer", "", 403},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			if tt.referer != "" {
				h["Referer"] = tt.referer
			}
			code, body := c.anon(t, "GET", "/pol/public/a.txt", h)
			wantStatus(t, "anonymous GET", code, tt.want, body)
		})
	}
}

func TestBucketPolicyListPrefix(t *testing.T) {
	c := newTestServer(t, serverOptions{}).client(styles[0])
	policyBucket(t, c)
	c.putPolicy(t, policyDoc(`{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::pol",
		"Condition":{"StringEquals":{"s3:prefix":"public/"}}}`))
	for _, tt := range []struct {
		name, query string
		want        int
	}{
		{"allowed prefix", "?list-type=2&prefix=public/", 200},
		{"allowed prefix, v1", "?prefix=public/", 200},
		{"other prefix", "?list-type=2&prefix=private/", 403},
		{"no prefix", "?list-type=2", 403},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := c.anon(t, "GET", "/pol"+tt.query, nil)
			wantStatus(t, "anonymous list", code, tt.want, body)
			if code == 200 && (!strings.Contains(body, "public/a.txt") || strings.Contains(body, "private/")) {
				t.Errorf("listing = %s", body)
			}
		})
	}
}

func TestBucketPolicySecureTransport(t *testing.T) {
	ts := newTestServer(t, serverOptions{})
	plain, secure := ts.client(styles[0]), ts.client(styles[2])
	policyBucket(t, plain)
	plain.putPolicy(t, policyDoc(`{"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::pol","arn:aws:s3:::pol/*"],
		"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`))
	_, err := plain.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("pol"), Key: aws.String("public/a.txt")})
	wantAPIError(t, err, 403, "AccessDenied")
	out, err := secure.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("pol"), Key: aws.String("public/a.txt")})
	must(t, err, "GetObject over TLS")
	out.Body.Close()
	_, err = secure.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("pol"), Key: aws.String("t"), Body: strings.NewReader("x")})
	must(t, err, "PutObject over TLS")
}

func TestBucketPolicyMalformed(t *testing.T) {
	c := newTestServer(t, serverOptions{}).client(styles[0])
	policyBucket(t, c)
	big := policyDoc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*",
		"Condition":{"StringLike":{"aws:Referer":"` + strings.Repeat("x", 20<<10) + `"}}}`)
	for _, tt := range []struct{ name, doc, msg string }{
		{"unknown action", policyDoc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObjekt","Resource":"arn:aws:s3:::pol/*"}`), "Policy has invalid action"},
		{"resource outside the bucket", policyDoc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}`), "Policy has invalid resource"},
		{"unknown condition operator", policyDoc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*",
			"Condition":{"StringSorta":{"aws:Referer":"x"}}}`), "Invalid Condition type : StringSorta"},
		{"over 20 KiB", big, "Policy exceeds the maximum allowed document size."},
		{"invalid principal", policyDoc(`{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*"}`), "Invalid principal in policy"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.s3.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String("pol"), Policy: aws.String(tt.doc)})
			wantAPIError(t, err, 400, "MalformedPolicy")
			var ae smithy.APIError
			if errors.As(err, &ae) && ae.ErrorMessage() != tt.msg {
				t.Errorf("message = %q, want %q", ae.ErrorMessage(), tt.msg)
			}
		})
	}
	_, err := c.s3.GetBucketPolicy(ctx(t), &s3.GetBucketPolicyInput{Bucket: aws.String("pol")})
	wantAPIError(t, err, 404, "NoSuchBucketPolicy")

	// A Content-MD5 that does not match the body is BadDigest, and
	// nothing is stored; a matching one is accepted.
	doc := policyDoc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/public/*"}`)
	for _, tt := range []struct {
		name, md5 string
		status    int
		code      string
	}{
		{"wrong Content-MD5", base64.StdEncoding.EncodeToString(make([]byte, 16)), 400, "BadDigest"},
		{"malformed Content-MD5", "not-base64!", 400, "InvalidDigest"},
		{"matching Content-MD5", md5B64([]byte(doc)), 204, ""},
	} {
		req := newRequest(t, http.MethodPut, c.url("pol", "", "policy"), []byte(doc))
		req.Header.Set("Content-MD5", tt.md5)
		c.signBody(t, req, []byte(doc))
		resp, body := c.do(t, req)
		if resp.StatusCode != tt.status || tt.code != "" && !strings.Contains(string(body), "<Code>"+tt.code+"</Code>") {
			t.Errorf("%s: HTTP %d %s, want %d %s", tt.name, resp.StatusCode, body, tt.status, tt.code)
		}
		_, err := c.s3.GetBucketPolicy(ctx(t), &s3.GetBucketPolicyInput{Bucket: aws.String("pol")})
		if (err == nil) != (tt.code == "") {
			t.Errorf("%s: policy stored = %v", tt.name, err == nil)
		}
	}
}

func TestBucketPolicyStatus(t *testing.T) {
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		policyBucket(t, c)
		_, err := c.s3.GetBucketPolicyStatus(ctx(t), &s3.GetBucketPolicyStatusInput{Bucket: aws.String("pol")})
		wantAPIError(t, err, 404, "NoSuchBucketPolicy")
		for _, tt := range []struct {
			name, doc string
			public    bool
		}{
			{"public read", policyDoc(publicReadPolicy), true},
			{"source IP", policyDoc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*",
				"Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}`), false},
			{"one account", policyDoc(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*"}`), false},
		} {
			c.putPolicy(t, tt.doc)
			out, err := c.s3.GetBucketPolicyStatus(ctx(t), &s3.GetBucketPolicyStatusInput{Bucket: aws.String("pol")})
			must(t, err, "GetBucketPolicyStatus "+tt.name)
			if got := aws.ToBool(out.PolicyStatus.IsPublic); got != tt.public {
				t.Errorf("%s: IsPublic = %v, want %v", tt.name, got, tt.public)
			}
			got, err := c.s3.GetBucketPolicy(ctx(t), &s3.GetBucketPolicyInput{Bucket: aws.String("pol")})
			must(t, err, "GetBucketPolicy")
			if aws.ToString(got.Policy) != tt.doc {
				t.Errorf("%s: GetBucketPolicy = %s, want the document as put", tt.name, aws.ToString(got.Policy))
			}
		}
	})
}

// TestBucketPolicyVersionedActions: reading a version by ID needs
// s3:GetObjectVersion, so a Deny of it binds versioned reads while plain
// reads of the latest version (s3:GetObject) still work.
func TestBucketPolicyVersionedActions(t *testing.T) {
	c := newTestServer(t, serverOptions{}).client(styles[0])
	policyBucket(t, c)
	put, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("pol"), Key: aws.String("v.txt"), Body: strings.NewReader("v")})
	must(t, err, "PutObject")
	vid := aws.ToString(put.VersionId)
	if vid == "" {
		vid = "null"
	}
	c.putPolicy(t, policyDoc(`{"Sid":"NoVersions","Effect":"Deny","Principal":"*","Action":"s3:GetObjectVersion","Resource":"arn:aws:s3:::pol/*"}`))
	_, err = c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("pol"), Key: aws.String("v.txt")})
	must(t, err, "GetObject of the latest version")
	_, err = c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("pol"), Key: aws.String("v.txt"), VersionId: aws.String(vid)})
	wantAPIError(t, err, 403, "AccessDenied")
}

// TestBucketPolicyDeleteObjectsPerKey: DeleteObjects is authorized key by
// key, as S3 does: a Deny of s3:DeleteObject on private/* refuses that key
// (AccessDenied in the result) while the others in the batch are deleted.
func TestBucketPolicyDeleteObjectsPerKey(t *testing.T) {
	c := newTestServer(t, serverOptions{}).client(styles[0])
	policyBucket(t, c)
	c.putPolicy(t, policyDoc(`{"Sid":"KeepPrivate","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::pol/private/*"}`))
	out, err := c.s3.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: aws.String("pol"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("private/b.txt")}, {Key: aws.String("public/a.txt")},
	}}})
	must(t, err, "DeleteObjects")
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].Key) != "private/b.txt" || aws.ToString(out.Errors[0].Code) != "AccessDenied" {
		t.Fatalf("errors %+v, want AccessDenied for private/b.txt only", out.Errors)
	}
	if len(out.Deleted) != 1 || aws.ToString(out.Deleted[0].Key) != "public/a.txt" {
		t.Fatalf("deleted %+v, want public/a.txt", out.Deleted)
	}
	_, err = c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("pol"), Key: aws.String("private/b.txt")})
	must(t, err, "HeadObject of the refused key")
	_, err = c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String("pol"), Key: aws.String("public/a.txt")})
	wantAPIError(t, err, 404, "NotFound")
}

// TestBucketPolicyCopySource: a copy needs s3:GetObject on its source as
// well as the write: an anonymous caller allowed to upload into one bucket
// cannot copy a private object of another into it, and a Deny of
// s3:GetObject on a source binds the owner's root copying it.
func TestBucketPolicyCopySource(t *testing.T) {
	c := newTestServer(t, serverOptions{}).client(styles[0])
	policyBucket(t, c)
	c.putPolicy(t, policyDoc(
		`{"Sid":"DropBox","Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::pol/uploads/*"}`,
		`{"Sid":"NoPrivateReads","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/private/*"}`))
	secret := c.mkBucket(t, "secret")
	c.put(t, secret, "plans.txt", []byte("private"))

	status, body := c.anon(t, http.MethodPut, "/pol/uploads/drop.txt", map[string]string{"Content-Length": "0"})
	wantStatus(t, "anonymous PUT into the drop box", status, http.StatusOK, body)
	status, body = c.anon(t, http.MethodPut, "/pol/uploads/stolen.txt", map[string]string{"x-amz-copy-source": "/" + secret + "/plans.txt"})
	wantStatus(t, "anonymous copy of another bucket's private object", status, http.StatusForbidden, body)

	_, err := c.s3.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String("pol"), Key: aws.String("copy-a"), CopySource: aws.String("pol/public/a.txt")})
	must(t, err, "root copy of an allowed source")
	_, err = c.s3.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String("pol"), Key: aws.String("copy-b"), CopySource: aws.String("pol/private/b.txt")})
	wantAPIError(t, err, http.StatusForbidden, "AccessDenied")
}
