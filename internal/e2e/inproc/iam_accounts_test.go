package inproc

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Accounts: the operator's CreateAccount and ListAccounts (not in the
// SDK; `coffer admin account` sends them), and what separates accounts.

// newAccount is an account as CreateAccount returns it.
type newAccount struct {
	AccountID       string `xml:"AccountId"`
	AccountName     string `xml:"AccountName"`
	CanonicalUserID string `xml:"CanonicalUserId"`
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
}

// iamQuery sends one IAM query request signed for service iam with the
// given key, as `coffer admin` does, and returns the status and body.
func (e *iamEnv) iamQuery(t *testing.T, access, secret string, form url.Values) (int, []byte) {
	t.Helper()
	form.Set("Version", "2010-05-08")
	body := []byte(form.Encode())
	req := newRequest(t, http.MethodPost, e.endpoint+"/", body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256(body)
	err := v4.NewSigner().SignHTTP(ctx(t), aws.Credentials{AccessKeyID: access, SecretAccessKey: secret}, req,
		hex.EncodeToString(sum[:]), "iam", "us-east-1", time.Now())
	must(t, err, "SignHTTP")
	resp, err := e.iamHTTP.Do(req)
	must(t, err, "IAM "+form.Get("Action"))
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err, "reading the IAM answer")
	return resp.StatusCode, b
}

// createAccount creates an account as the operator.
func (e *iamEnv) createAccount(t *testing.T, name string) newAccount {
	t.Helper()
	status, body := e.iamQuery(t, e.ts.access, e.ts.secret, url.Values{"Action": {"CreateAccount"}, "AccountName": {name}})
	var out struct {
		Account newAccount `xml:"CreateAccountResult>Account"`
	}
	if status != http.StatusOK || xml.Unmarshal(body, &out) != nil {
		t.Fatalf("CreateAccount %s: %d %s", name, status, body)
	}
	return out.Account
}

// wantIAMQueryError asserts an IAM query answer is an error with status
// and code.
func wantIAMQueryError(t *testing.T, what string, status int, body []byte, wantStatus int, code string) {
	t.Helper()
	var doc iamErrorDoc
	if err := xml.Unmarshal(body, &doc); err != nil || status != wantStatus || doc.Error.Code != code {
		t.Errorf("%s: %d %s, want %d %s", what, status, body, wantStatus, code)
	}
}

func TestIAMAccounts(t *testing.T) {
	t.Parallel()
	e := newIAMEnv(t)
	b := e.createAccount(t, "tenant-b")
	if len(b.AccountID) != 12 || strings.Trim(b.AccountID, "0123456789") != "" || b.AccountID == e.account || b.AccountName != "tenant-b" ||
		len(b.CanonicalUserID) != 64 || !strings.HasPrefix(b.AccessKeyID, "AKIA") || len(b.SecretAccessKey) != 40 {
		t.Errorf("CreateAccount = %+v", b)
	}

	t.Run("CreateAccount errors", func(t *testing.T) {
		tests := []struct {
			name   string
			form   url.Values
			status int
			code   string
		}{
			{"an existing name", url.Values{"AccountName": {"tenant-b"}}, 409, "EntityAlreadyExists"},
			{"an invalid name", url.Values{"AccountName": {"a/b"}}, 400, "ValidationError"},
			{"no name", url.Values{}, 400, "ValidationError"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.form.Set("Action", "CreateAccount")
				status, body := e.iamQuery(t, e.ts.access, e.ts.secret, tt.form)
				wantIAMQueryError(t, "CreateAccount", status, body, tt.status, tt.code)
			})
		}
	})

	t.Run("ListAccounts", func(t *testing.T) {
		status, body := e.iamQuery(t, e.ts.access, e.ts.secret, url.Values{"Action": {"ListAccounts"}})
		var out struct {
			Accounts []newAccount `xml:"ListAccountsResult>Accounts>member"`
		}
		if status != http.StatusOK || xml.Unmarshal(body, &out) != nil {
			t.Fatalf("ListAccounts: %d %s", status, body)
		}
		byID := map[string]newAccount{}
		for _, a := range out.Accounts {
			byID[a.AccountID] = a
		}
		if len(out.Accounts) != 2 || byID[b.AccountID].CanonicalUserID != b.CanonicalUserID || byID[b.AccountID].AccountName != "tenant-b" ||
			byID[e.account].AccountID == "" {
			t.Errorf("ListAccounts = %+v, want the first account and %s", out.Accounts, b.AccountID)
		}
		if strings.Contains(string(body), "SecretAccessKey") || strings.Contains(string(body), b.AccessKeyID) {
			t.Errorf("ListAccounts shows credentials: %s", body)
		}
		// S3 reports each account's canonical ID as the owner.
		lb, err := e.s3.ListBuckets(ctx(t), &s3.ListBucketsInput{})
		must(t, err, "ListBuckets")
		if str(lb.Owner.ID) != byID[e.account].CanonicalUserID {
			t.Errorf("ListBuckets Owner.ID = %q, want the first account's canonical ID %q", str(lb.Owner.ID), byID[e.account].CanonicalUserID)
		}
	})

	t.Run("only the operator manages accounts", func(t *testing.T) {
		admin := e.newUser(t, "admin")
		_, err := e.operator.AttachUserPolicy(ctx(t), &iam.AttachUserPolicyInput{UserName: aws.String("admin"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
		must(t, err, "AttachUserPolicy AdministratorAccess")
		callers := []struct{ name, access, secret string }{
			{"another account's root user", b.AccessKeyID, b.SecretAccessKey},
			{"an administrator of the first account", admin.access, admin.secret},
		}
		for _, c := range callers {
			t.Run(c.name, func(t *testing.T) {
				status, body := e.iamQuery(t, c.access, c.secret, url.Values{"Action": {"CreateAccount"}, "AccountName": {"sneaky"}})
				wantIAMQueryError(t, "CreateAccount", status, body, 403, "AccessDenied")
				status, body = e.iamQuery(t, c.access, c.secret, url.Values{"Action": {"ListAccounts"}})
				wantIAMQueryError(t, "ListAccounts", status, body, 403, "AccessDenied")
			})
		}
	})

	t.Run("accounts are separate", func(t *testing.T) {
		e.newUser(t, "alice")
		bIAM := e.newIAM(b.AccessKeyID, b.SecretAccessKey)
		bS3 := e.newS3(b.AccessKeyID, b.SecretAccessKey)
		root, err := bIAM.GetUser(ctx(t), &iam.GetUserInput{})
		must(t, err, "GetUser by B's root")
		if str(root.User.Arn) != "arn:aws:iam::"+b.AccountID+":root" {
			t.Errorf("B's root user: Arn %q", str(root.User.Arn))
		}
		users, err := bIAM.ListUsers(ctx(t), &iam.ListUsersInput{})
		must(t, err, "ListUsers by B's root")
		if len(users.Users) != 0 {
			t.Errorf("B's root lists users %+v of another account", users.Users)
		}
		wantAPIError(t, errOf(bIAM.GetUser(ctx(t), &iam.GetUserInput{UserName: aws.String("alice")})), 404, "NoSuchEntity")

		// B's own user, created by B's root, works in B's account.
		_, err = bIAM.CreateUser(ctx(t), &iam.CreateUserInput{UserName: aws.String("alice")})
		must(t, err, "CreateUser alice in B, a name the first account has too")
		key, err := bIAM.CreateAccessKey(ctx(t), &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
		must(t, err, "CreateAccessKey in B")
		bucket := uniqueBucket(t, "tenant-b")
		must(t, errOf(bS3.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(bucket)})), "CreateBucket by B's root")
		lb, err := bS3.ListBuckets(ctx(t), &s3.ListBucketsInput{})
		must(t, err, "ListBuckets by B's root")
		if len(lb.Buckets) != 1 || str(lb.Buckets[0].Name) != bucket || str(lb.Owner.ID) != b.CanonicalUserID {
			t.Errorf("B's ListBuckets = owner %q, %d buckets; want its canonical ID and only %s", str(lb.Owner.ID), len(lb.Buckets), bucket)
		}
		_, err = bIAM.PutUserPolicy(ctx(t), &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("all"),
			PolicyDocument: aws.String(policyDoc(statement("Allow", "s3:*", "*")))})
		must(t, err, "PutUserPolicy in B")
		bAlice := e.newS3(str(key.AccessKey.AccessKeyId), str(key.AccessKey.SecretAccessKey))
		must(t, tryPut(t, bAlice, bucket, "k"), "PutObject by B's alice")
		// s3:* on * does not reach the first account's buckets.
		mine := e.mkBucket(t, "first")
		wantAPIError(t, tryPut(t, bAlice, mine, "k"), 403, "AccessDenied")
		wantAPIError(t, errOf(bS3.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(mine)})), 403, "AccessDenied")
	})
}

// TestIAMQueryErrors: what the SDK's own validation keeps a client from
// sending, answered as IAM answers it.
func TestIAMQueryErrors(t *testing.T) {
	t.Parallel()
	e := newIAMEnv(t)
	tests := []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{"unknown action", url.Values{"Action": {"FrobnicateUser"}, "UserName": {"u"}}, 400, "InvalidAction"},
		{"missing required parameter", url.Values{"Action": {"CreateUser"}}, 400, "ValidationError"},
		{"missing policy document", url.Values{"Action": {"PutUserPolicy"}, "UserName": {"u"}, "PolicyName": {"p"}}, 400, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.iamQuery(t, e.ts.access, e.ts.secret, tt.form)
			wantIAMQueryError(t, tt.form.Get("Action"), status, body, tt.status, tt.code)
		})
	}
	t.Run("wrong secret", func(t *testing.T) {
		wantAPIError(t, errOf(e.newIAM(e.ts.access, e.ts.secret+"x").ListUsers(ctx(t), &iam.ListUsersInput{})), 403, "SignatureDoesNotMatch")
	})
	t.Run("unknown access key", func(t *testing.T) {
		wantAPIError(t, errOf(e.newIAM("AKIAAAAAAAAAAAAAAAAA", e.ts.secret).ListUsers(ctx(t), &iam.ListUsersInput{})), 403, "InvalidClientTokenId")
	})
}

func TestIAMCrossAccount(t *testing.T) {
	t.Parallel()
	e := newIAMEnv(t)
	b := e.createAccount(t, "tenant-b")
	bS3 := e.newS3(b.AccessKeyID, b.SecretAccessKey)
	bucket := uniqueBucket(t, "xacct")
	must(t, errOf(bS3.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(bucket)})), "CreateBucket by B's root")
	must(t, tryPut(t, bS3, bucket, "o"), "PutObject by B's root")
	objects := "arn:aws:s3:::" + bucket + "/*"
	reader := e.newUser(t, "reader", policyDoc(statement("Allow", "s3:GetObject", objects)))
	bystander := e.newUser(t, "bystander") // no identity policy
	// setPolicy lets principal (a policy's Principal value) read B's objects.
	setPolicy := func(t *testing.T, principal string) {
		t.Helper()
		_, err := bS3.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policyDoc(
			`{"Effect":"Allow","Principal":` + principal + `,"Action":"s3:GetObject","Resource":"` + objects + `"}`))})
		must(t, err, "PutBucketPolicy by B's root")
	}
	lb, err := e.s3.ListBuckets(ctx(t), &s3.ListBucketsInput{})
	must(t, err, "ListBuckets")
	canonical := str(lb.Owner.ID)

	t.Run("the identity policy alone is not enough", func(t *testing.T) {
		wantAPIError(t, tryGet(t, reader.s3, bucket, "o"), 403, "AccessDenied")
		wantAPIError(t, tryGet(t, e.s3, bucket, "o"), 403, "AccessDenied")
	})

	t.Run("a bucket policy granting the account", func(t *testing.T) {
		principals := []struct{ name, principal string }{
			{"root ARN", `{"AWS":"arn:aws:iam::` + e.account + `:root"}`},
			{"account ID", `{"AWS":"` + e.account + `"}`},
			{"canonical user ID", `{"CanonicalUser":"` + canonical + `"}`},
		}
		for _, p := range principals {
			t.Run(p.name, func(t *testing.T) {
				setPolicy(t, p.principal)
				must(t, tryGet(t, reader.s3, bucket, "o"), "GetObject by the reader")
				must(t, tryGet(t, e.s3, bucket, "o"), "GetObject by the first account's root")
				// The account delegates to its users through identity
				// policies: without one, nothing.
				wantAPIError(t, tryGet(t, bystander.s3, bucket, "o"), 403, "AccessDenied")
				wantAPIError(t, tryPut(t, reader.s3, bucket, "x"), 403, "AccessDenied")
			})
		}
	})

	t.Run("a bucket policy naming the user", func(t *testing.T) {
		setPolicy(t, `{"AWS":"`+reader.arn+`"}`)
		must(t, tryGet(t, reader.s3, bucket, "o"), "GetObject by the reader")
		wantAPIError(t, tryGet(t, e.s3, bucket, "o"), 403, "AccessDenied")
		// Across accounts both sides must allow.
		_, err := e.operator.DeleteUserPolicy(ctx(t), &iam.DeleteUserPolicyInput{UserName: aws.String("reader"), PolicyName: aws.String("inline-1")})
		must(t, err, "DeleteUserPolicy")
		wantAPIError(t, tryGet(t, reader.s3, bucket, "o"), 403, "AccessDenied")
	})

	t.Run("an identity policy cannot reach into another account's IAM", func(t *testing.T) {
		e.putUserPolicy(t, "reader", "iam", policyDoc(statement("Allow", "iam:*", "*")))
		out, err := reader.iam.ListUsers(ctx(t), &iam.ListUsersInput{})
		must(t, err, "ListUsers by the reader")
		for _, u := range out.Users {
			if !strings.Contains(str(u.Arn), ":"+e.account+":") {
				t.Errorf("the reader lists a user of another account: %s", str(u.Arn))
			}
		}
	})
}
