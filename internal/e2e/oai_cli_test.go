package e2e

import (
	"regexp"
	"strings"
	"testing"
)

// oaiCredential is the JSON `coffer admin oai|oac create` prints (list
// prints the same without the secret).
type oaiCredential struct {
	Id, S3CanonicalUserId, Name, DistributionArn string
	iamKey
}

// oaiID is the form of an OAI's or OAC's ID.
var oaiID = regexp.MustCompile(`^E[A-Z2-7]{13}$`)

// oaiList runs `coffer admin KIND list` and returns the IDs it prints,
// failing if it shows a secret.
func oaiList(t *testing.T, admin runner, srv *server, kind string) []string {
	t.Helper()
	var list []oaiCredential
	decodeJSON(t, admin.Run(t, "admin", kind, "list", "--endpoint", srv.Endpoint), &list)
	ids := []string{}
	for _, c := range list {
		if c.SecretAccessKey != "" {
			t.Errorf("coffer admin %s list shows the secret of %s", kind, c.Id)
		}
		ids = append(ids, c.Id)
	}
	return ids
}

// TestOAICLI runs `coffer admin oai` and `coffer admin oac` against a real
// server and reads a private bucket with the keys they print, through the
// AWS CLI: the bucket policy names only the OAI and the OAC (for its
// distribution), so anonymous callers and another account are refused,
// and a deleted credential's key stops working.
func TestOAICLI(t *testing.T) {
	skipIfShort(t)
	srv := startServer(t)
	root := awsCLI(t, srv)
	admin := adminCLI(t, srv, operator)
	account := listAccounts(t, srv)["default"].AccountId

	var oai oaiCredential
	decodeJSON(t, admin.Run(t, "admin", "oai", "create", "--endpoint", srv.Endpoint, "--comment", "media edge"), &oai)
	if !oaiID.MatchString(oai.Id) || len(oai.S3CanonicalUserId) != 96 || !strings.HasPrefix(oai.AccessKeyId, "AKIA") || len(oai.SecretAccessKey) != 40 {
		t.Fatalf("coffer admin oai create printed %+v", oai)
	}
	distribution := "arn:aws:cloudfront::" + account + ":distribution/EDGE1"
	var oac oaiCredential
	decodeJSON(t, admin.Run(t, "admin", "oac", "create", "--endpoint", srv.Endpoint, "--distribution-arn", distribution), &oac)
	if !oaiID.MatchString(oac.Id) || oac.DistributionArn != distribution || oac.Name != "EDGE1" || len(oac.SecretAccessKey) != 40 {
		t.Fatalf("coffer admin oac create printed %+v", oac)
	}
	if _, stderr, err := admin.Try(t, "admin", "oac", "create", "--endpoint", srv.Endpoint, "--distribution-arn", "arn:aws:cloudfront::999988887777:distribution/EDGE1", "--name", "theirs"); err == nil || !strings.Contains(stderr, "InvalidInput") {
		t.Errorf("coffer admin oac create for another account's distribution: %v\n%s", err, stderr)
	}

	root.Run(t, "s3api", "create-bucket", "--bucket", "media")
	putText(t, root, "media", "index.html", "<h1>hello</h1>")
	root.Run(t, "s3api", "put-bucket-policy", "--bucket", "media", "--policy", iamPolicy(
		`{"Sid":"OAI","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity `+oai.Id+`"},`+
			`"Action":"s3:GetObject","Resource":"arn:aws:s3:::media/*"}`,
		`{"Sid":"OAC","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::media/*",`+
			`"Condition":{"StringEquals":{"AWS:SourceArn":"`+distribution+`"}}}`))

	viaOAI, viaOAC := signedAs(root, oai.iamKey), signedAs(root, oac.iamKey)
	wantObject(t, viaOAI, "media", "index.html", "<h1>hello</h1>")
	wantObject(t, viaOAC, "media", "index.html", "<h1>hello</h1>")
	if got := curlStatus(t, anonymous(t), srv.Endpoint+"/media/index.html"); got != "403" {
		t.Errorf("anonymous GET of the private bucket: HTTP %s, want 403", got)
	}
	other := signedAs(root, createAccount(t, srv, "other").iamKey)
	wantDenied(t, other, "s3api", "get-object", "--bucket", "media", "--key", "index.html", t.TempDir()+"/out")
	wantDenied(t, viaOAI, "s3api", "list-objects-v2", "--bucket", "media")

	if ids := oaiList(t, admin, srv, "oai"); len(ids) != 1 || ids[0] != oai.Id {
		t.Errorf("coffer admin oai list = %v, want [%s]", ids, oai.Id)
	}
	if ids := oaiList(t, admin, srv, "oac"); len(ids) != 1 || ids[0] != oac.Id {
		t.Errorf("coffer admin oac list = %v, want [%s]", ids, oac.Id)
	}

	admin.Run(t, "admin", "oai", "delete", "--endpoint", srv.Endpoint, "--id", oai.Id)
	wantCLIError(t, viaOAI, "InvalidAccessKeyId", "s3api", "get-object", "--bucket", "media", "--key", "index.html", t.TempDir()+"/out")
	wantObject(t, viaOAC, "media", "index.html", "<h1>hello</h1>")
	admin.Run(t, "admin", "oac", "delete", "--endpoint", srv.Endpoint, "--id", oac.Id)
	wantCLIError(t, viaOAC, "InvalidAccessKeyId", "s3api", "get-object", "--bucket", "media", "--key", "index.html", t.TempDir()+"/out")
	if ids := oaiList(t, admin, srv, "oai"); len(ids) != 0 {
		t.Errorf("coffer admin oai list after the delete = %v", ids)
	}
}
