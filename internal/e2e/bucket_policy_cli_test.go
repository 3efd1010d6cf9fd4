package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestBucketPolicyAWSCLI puts a public-read bucket policy with the AWS
// CLI and checks it with an anonymous client (curl): objects can be read,
// the bucket cannot be listed, nothing can be written; the policy reads
// back, reports public, and once deleted anonymous reads are refused
// again. A malformed policy is refused with MalformedPolicy.
func TestBucketPolicyAWSCLI(t *testing.T) {
	skipIfShort(t)
	srv := startServer(t)
	cli := awsCLI(t, srv)
	curl := need(t, "curl")
	work := t.TempDir()
	anon := runner{path: curl, env: cleanEnv(work), dir: work}
	status := func(args ...string) string {
		t.Helper()
		base := []string{"--silent", "--output", filepath.Join(work, "body"), "--write-out", "%{http_code}"}
		return anon.Run(t, append(base, args...)...)
	}

	cli.Run(t, "s3", "mb", "s3://cli-policy")
	// New buckets block public policies, as on S3.
	cli.Run(t, "s3api", "delete-public-access-block", "--bucket", "cli-policy")
	local := filepath.Join(work, "page.html")
	writeRandomFile(t, local, 300, 10<<10)
	cli.Run(t, "s3", "cp", "--no-progress", local, "s3://cli-policy/site/page.html")
	obj := srv.Endpoint + "/cli-policy/site/page.html"

	if code := status(obj); code != "403" {
		t.Fatalf("anonymous GET without a policy: HTTP %s, want 403", code)
	}

	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*",` +
		`"Action":"s3:GetObject","Resource":"arn:aws:s3:::cli-policy/*"}]}`
	cli.Run(t, "s3api", "put-bucket-policy", "--bucket", "cli-policy", "--policy", policy)

	down := filepath.Join(work, "page.down")
	anon.Run(t, "--silent", "--show-error", "--fail", "--output", down, obj)
	assertSameFile(t, local, down)
	if code := status(srv.Endpoint + "/cli-policy?list-type=2"); code != "403" {
		t.Errorf("anonymous ListObjectsV2 under a GetObject-only policy: HTTP %s, want 403", code)
	}
	if code := status("--upload-file", local, srv.Endpoint+"/cli-policy/site/new.html"); code != "403" {
		t.Errorf("anonymous PUT under a GetObject-only policy: HTTP %s, want 403", code)
	}

	var got struct{ Policy string }
	if err := json.Unmarshal([]byte(cli.Run(t, "s3api", "get-bucket-policy", "--bucket", "cli-policy")), &got); err != nil {
		t.Fatal(err)
	}
	if got.Policy != policy {
		t.Errorf("get-bucket-policy returned %q, want the policy as put", got.Policy)
	}
	var st struct{ PolicyStatus struct{ IsPublic bool } }
	if err := json.Unmarshal([]byte(cli.Run(t, "s3api", "get-bucket-policy-status", "--bucket", "cli-policy")), &st); err != nil {
		t.Fatal(err)
	}
	if !st.PolicyStatus.IsPublic {
		t.Error("get-bucket-policy-status: a public-read policy is not reported public")
	}

	bad := strings.Replace(policy, "s3:GetObject", "s3:GetObjekt", 1)
	wantCLIError(t, cli, "MalformedPolicy", "s3api", "put-bucket-policy", "--bucket", "cli-policy", "--policy", bad)

	cli.Run(t, "s3api", "delete-bucket-policy", "--bucket", "cli-policy")
	if code := status(obj); code != "403" {
		t.Errorf("anonymous GET after delete-bucket-policy: HTTP %s, want 403", code)
	}
	wantCLIError(t, cli, "NoSuchBucketPolicy", "s3api", "get-bucket-policy", "--bucket", "cli-policy")
}
