package s3api

import (
	"net/http/httptest"
	"testing"

	"github.com/coffer-project/coffer/internal/s3xml"
)

// FuzzHeaderACL: x-amz-acl and x-amz-grant-* are untrusted input. Parsing
// never panics; what it accepts are grants of a known grantee type (a
// canonical ID, or one of the three groups) and permission, and a canned
// ACL expands only when it is one S3 knows.
func FuzzHeaderACL(f *testing.F) {
	f.Add("", `id="abc", uri="http://acs.amazonaws.com/groups/global/AllUsers"`, "")
	f.Add("public-read", "", "")
	f.Add("", `emailAddress="a@b"`, `id=x`)
	f.Add("private", `id="a"`, "")
	f.Fuzz(func(t *testing.T, canned, read, full string) {
		r := httptest.NewRequest("PUT", "/b/k", nil)
		for k, v := range map[string]string{"X-Amz-Acl": canned, "X-Amz-Grant-Read": read, "X-Amz-Grant-Full-Control": full} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		req, err := readHeaderACL(r)
		if err != nil {
			return
		}
		acl, err := req.acl("owner", "bucket-owner", false)
		if err != nil {
			if req.canned == "" {
				t.Fatalf("explicit grants failed to expand: %v", err)
			}
			return
		}
		for _, g := range acl {
			switch {
			case g.Type == s3xml.GranteeCanonicalUser && g.ID != "":
			case g.Type == s3xml.GranteeGroup && (g.URI == groupAllUsers || g.URI == groupAuthenticated || g.URI == groupLogDelivery):
			default:
				t.Fatalf("accepted a grant to %+v", g)
			}
			switch g.Permission {
			case "FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP":
			default:
				t.Fatalf("accepted permission %q", g.Permission)
			}
		}
	})
}
