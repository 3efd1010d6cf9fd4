package s3api

import (
	"net/http/httptest"
	"net/netip"
	"slices"
	"testing"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/config"
	"github.com/coffer-project/coffer/internal/policy"
)

// TestConditionKeysTagsAndGrants: the request-tag and grant keys appear for
// the operations AWS gives them to, named lower-case as policy.Evaluate
// indexes them, and nowhere else.
func TestConditionKeysTagsAndGrants(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		target  string
		header  map[string]string
		want    map[string][]string
		without []string
	}{
		{"PutObject tags", "PUT", "/b/k", map[string]string{"X-Amz-Tagging": "project=blue&Team=core&empty="},
			map[string][]string{
				"s3:requestobjecttag/project": {"blue"}, "s3:requestobjecttag/team": {"core"}, "s3:requestobjecttag/empty": {""},
				"s3:requestobjecttagkeys": {"project", "Team", "empty"},
			}, nil},
		{"PutObject without tags", "PUT", "/b/k", nil, nil, []string{"s3:requestobjecttagkeys"}},
		{"PutObject malformed tagging header", "PUT", "/b/k", map[string]string{"X-Amz-Tagging": "a=%zz"}, nil, []string{"s3:requestobjecttagkeys"}},
		{"CreateMultipartUpload tags", "POST", "/b/k?uploads", map[string]string{"X-Amz-Tagging": "a=1"},
			map[string][]string{"s3:requestobjecttag/a": {"1"}, "s3:requestobjecttagkeys": {"a"}}, nil},
		{"CopyObject replacing tags", "PUT", "/b/k", map[string]string{"X-Amz-Copy-Source": "/src/k", "X-Amz-Tagging-Directive": "REPLACE", "X-Amz-Tagging": "a=1"},
			map[string][]string{"s3:requestobjecttag/a": {"1"}, "s3:requestobjecttagkeys": {"a"}}, nil},
		{"CopyObject copying tags", "PUT", "/b/k", map[string]string{"X-Amz-Copy-Source": "/src/k", "X-Amz-Tagging": "a=1"},
			nil, []string{"s3:requestobjecttag/a", "s3:requestobjecttagkeys"}},
		{"GetObject ignores a tagging header", "GET", "/b/k", map[string]string{"X-Amz-Tagging": "a=1"},
			nil, []string{"s3:requestobjecttag/a", "s3:requestobjecttagkeys"}},
		{"PutObject grants", "PUT", "/b/k", map[string]string{
			"X-Amz-Grant-Read": `uri="http://acs.amazonaws.com/groups/global/AllUsers"`, "X-Amz-Grant-Write": `id="w"`,
			"X-Amz-Grant-Read-Acp": `id="ra"`, "X-Amz-Grant-Write-Acp": `id="wa"`, "X-Amz-Grant-Full-Control": `id="fc"`},
			map[string][]string{
				"s3:x-amz-grant-read": {`uri="http://acs.amazonaws.com/groups/global/AllUsers"`}, "s3:x-amz-grant-write": {`id="w"`},
				"s3:x-amz-grant-read-acp": {`id="ra"`}, "s3:x-amz-grant-write-acp": {`id="wa"`}, "s3:x-amz-grant-full-control": {`id="fc"`},
			}, nil},
		{"CreateBucket grant", "PUT", "/b", map[string]string{"X-Amz-Grant-Full-Control": `id="fc"`},
			map[string][]string{"s3:x-amz-grant-full-control": {`id="fc"`}}, nil},
		{"GetObject has no grant keys", "GET", "/b/k", map[string]string{"X-Amz-Grant-Read": `id="r"`}, nil, []string{"s3:x-amz-grant-read"}},
	}
	h := &handler{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "https://s3.example.com"+tt.target, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			op, err := Resolve(r, "s3.example.com")
			if err != nil {
				t.Fatal(err)
			}
			c := h.conditionKeys(r, op, &auth.Result{Principal: auth.Principal{AccountID: "111122223333"}}, requestTags(r, op))
			for k, want := range tt.want {
				if got := c[k]; !slices.Equal(got, want) {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			for _, k := range tt.without {
				if got, ok := c[k]; ok {
					t.Errorf("%s = %q, want absent", k, got)
				}
			}
		})
	}
}

// TestMentionsExistingObjectTag decides whether authorization reads the
// object's tags.
func TestMentionsExistingObjectTag(t *testing.T) {
	tests := []struct {
		name, condition string
		want            bool
	}{
		{"StringEquals", `{"StringEquals":{"s3:ExistingObjectTag/public":"yes"}}`, true},
		{"qualified operator", `{"ForAnyValue:StringLike":{"S3:existingObjectTag/Team":"a*"}}`, true},
		{"request tag only", `{"StringEquals":{"s3:RequestObjectTag/public":"yes"}}`, false},
		{"no condition", `{}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":` + tt.condition + `}}`
			p, err := policy.Parse([]byte(doc), policy.KindResource)
			if err != nil {
				t.Fatal(err)
			}
			if got := mentionsExistingObjectTag(p); got != tt.want {
				t.Errorf("mentionsExistingObjectTag = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestConditionKeysVPCEndpoint: a client inside a configured VPC
// endpoint's networks gets aws:SourceVpce, aws:SourceVpc and
// aws:VpcSourceIp and no aws:SourceIp, as a request through an S3 VPC
// endpoint does on AWS; any other client gets aws:SourceIp only.
func TestConditionKeysVPCEndpoint(t *testing.T) {
	h := &handler{cfg: Config{VPCEndpoints: []config.VPCEndpoint{
		{ID: "vpce-1a2b", VPC: "vpc-111", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}},
		{ID: "vpce-3c4d", Prefixes: []netip.Prefix{netip.MustParsePrefix("2001:db8::/32")}},
	}}}
	tests := []struct {
		remote string
		want   map[string][]string
	}{
		{"10.1.2.3:5000", map[string][]string{"aws:sourcevpce": {"vpce-1a2b"}, "aws:sourcevpc": {"vpc-111"}, "aws:vpcsourceip": {"10.1.2.3"}, "aws:sourceip": nil}},
		{"[2001:db8::5]:5000", map[string][]string{"aws:sourcevpce": {"vpce-3c4d"}, "aws:sourcevpc": nil, "aws:vpcsourceip": {"2001:db8::5"}, "aws:sourceip": nil}},
		{"192.0.2.1:5000", map[string][]string{"aws:sourceip": {"192.0.2.1"}, "aws:sourcevpce": nil, "aws:vpcsourceip": nil}},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "https://s3.example.com/b/k", nil)
		r.RemoteAddr = tt.remote
		op, err := Resolve(r, "s3.example.com")
		if err != nil {
			t.Fatal(err)
		}
		c := h.conditionKeys(r, op, &auth.Result{Principal: auth.Principal{AccountID: "111122223333"}}, nil)
		for k, want := range tt.want {
			if got := c[k]; !slices.Equal(got, want) {
				t.Errorf("from %s: %s = %q, want %q", tt.remote, k, got, want)
			}
		}
	}
	// And a bucket policy conditioned on the endpoint decides by it.
	p, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",
		"Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b"}}}]}`), policy.KindResource)
	if err != nil {
		t.Fatal(err)
	}
	for remote, wantDeny := range map[string]bool{"10.9.9.9:1": false, "192.0.2.1:1": true} {
		r := httptest.NewRequest("GET", "https://s3.example.com/b/k", nil)
		r.RemoteAddr = remote
		op, _ := Resolve(r, "s3.example.com")
		ctx := h.conditionKeys(r, op, &auth.Result{Principal: auth.Principal{AccountID: "111122223333"}}, nil)
		d := policy.Evaluate(policy.Request{Principal: policy.Principal{Type: policy.PrincipalRoot, Account: "111122223333", ARN: "arn:aws:iam::111122223333:root"},
			Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx},
			policy.Set{Kind: policy.KindResource, Policies: []*policy.Policy{p}, Owner: "111122223333"})
		if got := d.Outcome == policy.ExplicitDeny; got != wantDeny {
			t.Errorf("from %s: decision %v, want deny=%v", remote, d.Outcome, wantDeny)
		}
	}
}
