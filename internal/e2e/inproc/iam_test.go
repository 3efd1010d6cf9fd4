package inproc

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The IAM query API on the S3 port, through the AWS SDK's IAM client:
// the operator (the first account's root) manages users, keys, groups and
// policies, and the users' own keys then sign S3 and IAM requests that
// their identity policies decide.

// iamEnv is a test server seen by its operator through IAM and S3.
type iamEnv struct {
	*client               // path style; its s3 is the operator's
	operator *iam.Client  // the first account's root user
	account  string       // the first account's ID
	iamHTTP  *http.Client // checks IAM's responses as c.http checks S3's
}

func newIAMEnv(t *testing.T) *iamEnv {
	t.Helper()
	c := newTestServer(t, serverOptions{}).client(styles[0])
	base := c.http.Transport.(*checkingTransport).base
	e := &iamEnv{client: c, iamHTTP: &http.Client{
		Transport:     &iamCheckingTransport{base: base, checker: c.ts.checker},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	e.operator = e.newIAM(c.ts.access, c.ts.secret)
	out, err := e.operator.GetUser(ctx(t), &iam.GetUserInput{})
	must(t, err, "GetUser of the operator")
	account, ok := strings.CutSuffix(strings.TrimPrefix(str(out.User.Arn), "arn:aws:iam::"), ":root")
	if !ok || len(account) != 12 || str(out.User.UserId) != account {
		t.Fatalf("operator's GetUser: Arn %q UserId %q, want arn:aws:iam::ACCOUNT:root and the account ID", str(out.User.Arn), str(out.User.UserId))
	}
	e.account = account
	return e
}

// newIAM is the SDK's IAM client signing with the given key, as a user
// configures it for a custom endpoint. It does not retry, so that a
// retried create cannot hide the first answer.
func (e *iamEnv) newIAM(access, secret string) *iam.Client {
	return iam.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(access, secret, ""),
		HTTPClient:       e.iamHTTP,
		RetryMaxAttempts: 1,
	}, func(o *iam.Options) { o.BaseEndpoint = aws.String(e.endpoint) })
}

// iamUser is an IAM user of the first account with one access key, and
// clients signing with it.
type iamUser struct {
	name, arn, id  string
	access, secret string
	s3             *s3.Client
	iam            *iam.Client
}

// newUser creates user name with an access key and puts each of docs as
// inline policy "inline-N".
func (e *iamEnv) newUser(t *testing.T, name string, docs ...string) *iamUser {
	t.Helper()
	out, err := e.operator.CreateUser(ctx(t), &iam.CreateUserInput{UserName: aws.String(name)})
	must(t, err, "CreateUser "+name)
	k, err := e.operator.CreateAccessKey(ctx(t), &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	must(t, err, "CreateAccessKey "+name)
	u := &iamUser{name: name, arn: str(out.User.Arn), id: str(out.User.UserId), access: str(k.AccessKey.AccessKeyId), secret: str(k.AccessKey.SecretAccessKey)}
	u.s3, u.iam = e.newS3(u.access, u.secret), e.newIAM(u.access, u.secret)
	for i, doc := range docs {
		e.putUserPolicy(t, name, "inline-"+strconv.Itoa(i+1), doc)
	}
	return u
}

func (e *iamEnv) putUserPolicy(t *testing.T, user, name, doc string) {
	t.Helper()
	_, err := e.operator.PutUserPolicy(ctx(t), &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
	must(t, err, "PutUserPolicy "+user+"/"+name)
}

// statement is one policy statement; action and resource are a string or
// a []string.
func statement(effect string, action, resource any) string {
	b, err := json.Marshal(map[string]any{"Effect": effect, "Action": action, "Resource": resource})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// errOf keeps only the error of a call.
func errOf[T any](_ T, err error) error { return err }

// tryPut and tryGet return the error of a PutObject or a GetObject (whose
// body they read).
func tryPut(t testing.TB, c *s3.Client, bucket, key string) error {
	t.Helper()
	_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("data of " + key)})
	return err
}

func tryGet(t testing.TB, c *s3.Client, bucket, key string) error {
	t.Helper()
	out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err == nil {
		_, err = io.Copy(io.Discard, out.Body)
		out.Body.Close()
	}
	return err
}

// iamErrorCase is a call IAM must refuse with status and code.
type iamErrorCase struct {
	name   string
	call   func(context.Context) error
	status int
	code   string
}

func runErrorCases(t *testing.T, tests []iamErrorCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantAPIError(t, tt.call(ctx(t)), tt.status, tt.code)
		})
	}
}

// sameJSON asserts that two JSON documents are equal as values.
func sameJSON(t testing.TB, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("%s: not JSON (%v): %.300q", what, err, got)
		return
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: the expected document is not JSON: %v", what, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

// policyFromIAM decodes a policy document as IAM returns it (URL-encoded).
func policyFromIAM(t testing.TB, doc *string) string {
	t.Helper()
	s, err := url.QueryUnescape(str(doc))
	if err != nil {
		t.Fatalf("policy document %q is not URL-encoded: %v", str(doc), err)
	}
	return s
}

// --- response checks for IAM -------------------------------------------------

// iamErrorDoc is the IAM query protocol's error body.
type iamErrorDoc struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// iamCheckingTransport applies the rules every IAM response obeys, as
// checkingTransport does for S3's: an x-amz-request-id header, and for an
// error an <ErrorResponse> with Type (Sender for 4xx, Receiver for 5xx),
// Code, Message and the RequestId of the header.
type iamCheckingTransport struct {
	base    http.RoundTripper
	checker *responseChecker
}

func (ct *iamCheckingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := ct.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	what := "IAM " + req.Method + " " + req.URL.Redacted()
	id := resp.Header.Get("X-Amz-Request-Id")
	if id == "" {
		ct.checker.addf("%s → %d: no x-amz-request-id header", what, resp.StatusCode)
	}
	if !strings.Contains(resp.Header.Get("Content-Type"), "xml") {
		ct.checker.addf("%s → %d: Content-Type %q, want text/xml", what, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp.StatusCode < 400 {
		return resp, nil
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		ct.checker.addf("%s → %d: reading error body: %v", what, resp.StatusCode, rerr)
		return resp, nil
	}
	var doc iamErrorDoc
	if err := xml.Unmarshal(body, &doc); err != nil {
		ct.checker.addf("%s → %d: error body is not <ErrorResponse> XML (%v): %.300q", what, resp.StatusCode, err, body)
		return resp, nil
	}
	wantType := "Sender"
	if resp.StatusCode >= 500 {
		wantType = "Receiver"
	}
	if doc.Error.Code == "" || doc.Error.Message == "" || doc.Error.Type != wantType || doc.RequestID == "" {
		ct.checker.addf("%s → %d: error lacks Code, Message, RequestId or Type %s: %.300q", what, resp.StatusCode, wantType, body)
	}
	if id != "" && doc.RequestID != "" && doc.RequestID != id {
		ct.checker.addf("%s → %d: error RequestId %q differs from x-amz-request-id %q", what, resp.StatusCode, doc.RequestID, id)
	}
	return resp, nil
}

// --- the IAM API --------------------------------------------------------------

func TestIAMUsers(t *testing.T) {
	t.Parallel()
	e := newIAMEnv(t)
	op := e.operator

	created, err := op.CreateUser(ctx(t), &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/eng/"),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("storage")}}})
	must(t, err, "CreateUser alice")
	u := created.User
	if str(u.UserName) != "alice" || str(u.Path) != "/eng/" || str(u.Arn) != "arn:aws:iam::"+e.account+":user/eng/alice" ||
		!strings.HasPrefix(str(u.UserId), "AIDA") || u.CreateDate == nil || time.Since(*u.CreateDate) > time.Minute {
		t.Errorf("CreateUser = %+v", *u)
	}
	got, err := op.GetUser(ctx(t), &iam.GetUserInput{UserName: aws.String("alice")})
	must(t, err, "GetUser alice")
	if str(got.User.UserId) != str(u.UserId) || str(got.User.Arn) != str(u.Arn) || len(got.User.Tags) != 1 || str(got.User.Tags[0].Value) != "storage" {
		t.Errorf("GetUser = %+v", *got.User)
	}

	t.Run("errors", func(t *testing.T) {
		many := make([]iamtypes.Tag, 51)
		for i := range many {
			many[i] = iamtypes.Tag{Key: aws.String("k" + strconv.Itoa(i)), Value: aws.String("v")}
		}
		tests := []iamErrorCase{
			{"CreateUser of an existing name", func(c context.Context) error {
				return errOf(op.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("alice")}))
			}, 409, "EntityAlreadyExists"},
			{"CreateUser of a name differing only in case", func(c context.Context) error {
				return errOf(op.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("ALICE")}))
			}, 409, "EntityAlreadyExists"},
			{"CreateUser with an invalid name", func(c context.Context) error {
				return errOf(op.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("no spaces")}))
			}, 400, "ValidationError"},
			{"CreateUser with a path not ending in /", func(c context.Context) error {
				return errOf(op.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("p"), Path: aws.String("/eng")}))
			}, 400, "ValidationError"},
			{"GetUser of a missing user", func(c context.Context) error {
				return errOf(op.GetUser(c, &iam.GetUserInput{UserName: aws.String("nobody")}))
			}, 404, "NoSuchEntity"},
			{"UpdateUser of a missing user", func(c context.Context) error {
				return errOf(op.UpdateUser(c, &iam.UpdateUserInput{UserName: aws.String("nobody"), NewUserName: aws.String("x")}))
			}, 404, "NoSuchEntity"},
			{"DeleteUser of a missing user", func(c context.Context) error {
				return errOf(op.DeleteUser(c, &iam.DeleteUserInput{UserName: aws.String("nobody")}))
			}, 404, "NoSuchEntity"},
			{"TagUser with a key starting aws:", func(c context.Context) error {
				return errOf(op.TagUser(c, &iam.TagUserInput{UserName: aws.String("alice"), Tags: []iamtypes.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}}))
			}, 400, "InvalidInput"},
			{"TagUser past 50 tags", func(c context.Context) error {
				return errOf(op.TagUser(c, &iam.TagUserInput{UserName: aws.String("alice"), Tags: many}))
			}, 409, "LimitExceeded"},
			{"ListUserTags of a missing user", func(c context.Context) error {
				return errOf(op.ListUserTags(c, &iam.ListUserTagsInput{UserName: aws.String("nobody")}))
			}, 404, "NoSuchEntity"},
			{"ListUsers with MaxItems 0", func(c context.Context) error {
				return errOf(op.ListUsers(c, &iam.ListUsersInput{MaxItems: aws.Int32(0)}))
			}, 400, "ValidationError"},
		}
		runErrorCases(t, tests)
	})

	t.Run("the root user", func(t *testing.T) {
		// GetUser without a name describes the caller: for a root user,
		// the account's root.
		out, err := op.GetUser(ctx(t), &iam.GetUserInput{})
		must(t, err, "GetUser")
		if str(out.User.Arn) != "arn:aws:iam::"+e.account+":root" {
			t.Errorf("GetUser of the root user: Arn %q", str(out.User.Arn))
		}
	})

	t.Run("tags", func(t *testing.T) {
		_, err := op.TagUser(ctx(t), &iam.TagUserInput{UserName: aws.String("alice"), Tags: []iamtypes.Tag{
			{Key: aws.String("team"), Value: aws.String("platform")}, {Key: aws.String("cost-center"), Value: aws.String("42")}}})
		must(t, err, "TagUser")
		tags := func() map[string]string {
			out, err := op.ListUserTags(ctx(t), &iam.ListUserTagsInput{UserName: aws.String("alice")})
			must(t, err, "ListUserTags")
			m := map[string]string{}
			for _, tg := range out.Tags {
				m[str(tg.Key)] = str(tg.Value)
			}
			return m
		}
		if got, want := tags(), map[string]string{"team": "platform", "cost-center": "42"}; !reflect.DeepEqual(got, want) {
			t.Errorf("tags after TagUser = %v, want %v", got, want)
		}
		_, err = op.UntagUser(ctx(t), &iam.UntagUserInput{UserName: aws.String("alice"), TagKeys: []string{"team", "absent"}})
		must(t, err, "UntagUser")
		if got, want := tags(), map[string]string{"cost-center": "42"}; !reflect.DeepEqual(got, want) {
			t.Errorf("tags after UntagUser = %v, want %v", got, want)
		}
	})

	t.Run("pagination", func(t *testing.T) {
		var want []string
		for i := 1; i <= 7; i++ {
			name := "page" + strconv.Itoa(i)
			want = append(want, name)
			_, err := op.CreateUser(ctx(t), &iam.CreateUserInput{UserName: aws.String(name), Path: aws.String("/paged/")})
			must(t, err, "CreateUser "+name)
		}
		var names []string
		var marker *string
		for pageNo := 1; ; pageNo++ {
			out, err := op.ListUsers(ctx(t), &iam.ListUsersInput{PathPrefix: aws.String("/paged/"), MaxItems: aws.Int32(3), Marker: marker})
			must(t, err, "ListUsers page "+strconv.Itoa(pageNo))
			wantLen, wantMore := 3, pageNo < 3
			if pageNo == 3 {
				wantLen = 1
			}
			if len(out.Users) != wantLen || out.IsTruncated != wantMore || (wantMore && str(out.Marker) == "") {
				t.Errorf("page %d: %d users, IsTruncated %v, Marker %q; want %d, %v", pageNo, len(out.Users), out.IsTruncated, str(out.Marker), wantLen, wantMore)
			}
			for _, u := range out.Users {
				names = append(names, str(u.UserName))
			}
			if !out.IsTruncated || pageNo > 5 {
				break
			}
			marker = out.Marker
		}
		if !slices.Equal(names, want) {
			t.Errorf("users listed 3 at a time = %v, want %v", names, want)
		}
		// The SDK's paginator walks the same pages.
		names = nil
		p := iam.NewListUsersPaginator(op, &iam.ListUsersInput{PathPrefix: aws.String("/paged/"), MaxItems: aws.Int32(3)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx(t))
			must(t, err, "ListUsers paginator")
			for _, u := range out.Users {
				names = append(names, str(u.UserName))
			}
		}
		if !slices.Equal(names, want) {
			t.Errorf("paginator = %v, want %v", names, want)
		}
		all, err := op.ListUsers(ctx(t), &iam.ListUsersInput{})
		must(t, err, "ListUsers")
		if len(all.Users) != 8 || all.IsTruncated {
			t.Errorf("ListUsers without a prefix: %d users, IsTruncated %v; want alice and the 7 others", len(all.Users), all.IsTruncated)
		}
	})

	t.Run("rename keeps keys, policies and groups", func(t *testing.T) {
		key, err := op.CreateAccessKey(ctx(t), &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
		must(t, err, "CreateAccessKey")
		bucket := e.mkBucket(t, "rename")
		e.putUserPolicy(t, "alice", "rw", policyDoc(statement("Allow", []string{"s3:PutObject", "s3:GetObject"}, "arn:aws:s3:::"+bucket+"/*")))
		_, err = op.CreateGroup(ctx(t), &iam.CreateGroupInput{GroupName: aws.String("eng")})
		must(t, err, "CreateGroup")
		_, err = op.AddUserToGroup(ctx(t), &iam.AddUserToGroupInput{GroupName: aws.String("eng"), UserName: aws.String("alice")})
		must(t, err, "AddUserToGroup")

		_, err = op.UpdateUser(ctx(t), &iam.UpdateUserInput{UserName: aws.String("alice"), NewUserName: aws.String("alicia"), NewPath: aws.String("/ops/")})
		must(t, err, "UpdateUser")
		wantAPIError(t, errOf(op.GetUser(ctx(t), &iam.GetUserInput{UserName: aws.String("alice")})), 404, "NoSuchEntity")
		out, err := op.GetUser(ctx(t), &iam.GetUserInput{UserName: aws.String("alicia")})
		must(t, err, "GetUser alicia")
		if str(out.User.UserId) != str(u.UserId) || str(out.User.Arn) != "arn:aws:iam::"+e.account+":user/ops/alicia" {
			t.Errorf("renamed user = %+v, want UserId %s and path /ops/", *out.User, str(u.UserId))
		}
		g, err := op.GetGroup(ctx(t), &iam.GetGroupInput{GroupName: aws.String("eng")})
		must(t, err, "GetGroup")
		if len(g.Users) != 1 || str(g.Users[0].UserName) != "alicia" {
			t.Errorf("members of eng after the rename = %+v", g.Users)
		}
		s3c := e.newS3(str(key.AccessKey.AccessKeyId), str(key.AccessKey.SecretAccessKey))
		must(t, tryPut(t, s3c, bucket, "k"), "PutObject by the renamed user")

		// Cleanup for DeleteUser below.
		_, err = op.RemoveUserFromGroup(ctx(t), &iam.RemoveUserFromGroupInput{GroupName: aws.String("eng"), UserName: aws.String("alicia")})
		must(t, err, "RemoveUserFromGroup")
		_, err = op.DeleteAccessKey(ctx(t), &iam.DeleteAccessKeyInput{UserName: aws.String("alicia"), AccessKeyId: key.AccessKey.AccessKeyId})
		must(t, err, "DeleteAccessKey")
		_, err = op.DeleteUserPolicy(ctx(t), &iam.DeleteUserPolicyInput{UserName: aws.String("alicia"), PolicyName: aws.String("rw")})
		must(t, err, "DeleteUserPolicy")
	})

	t.Run("DeleteUser refuses while anything is left", func(t *testing.T) {
		name := aws.String("leaving")
		_, err := op.CreateUser(ctx(t), &iam.CreateUserInput{UserName: name})
		must(t, err, "CreateUser")
		key, err := op.CreateAccessKey(ctx(t), &iam.CreateAccessKeyInput{UserName: name})
		must(t, err, "CreateAccessKey")
		e.putUserPolicy(t, "leaving", "p", policyDoc(statement("Allow", "s3:GetObject", "*")))
		_, err = op.CreateGroup(ctx(t), &iam.CreateGroupInput{GroupName: aws.String("leavers")})
		must(t, err, "CreateGroup")
		_, err = op.AddUserToGroup(ctx(t), &iam.AddUserToGroupInput{GroupName: aws.String("leavers"), UserName: name})
		must(t, err, "AddUserToGroup")
		readOnly := aws.String("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
		_, err = op.AttachUserPolicy(ctx(t), &iam.AttachUserPolicyInput{UserName: name, PolicyArn: readOnly})
		must(t, err, "AttachUserPolicy")

		removals := []struct {
			what   string
			remove func(context.Context) error
		}{
			{"its access key", func(c context.Context) error {
				return errOf(op.DeleteAccessKey(c, &iam.DeleteAccessKeyInput{UserName: name, AccessKeyId: key.AccessKey.AccessKeyId}))
			}},
			{"its inline policy", func(c context.Context) error {
				return errOf(op.DeleteUserPolicy(c, &iam.DeleteUserPolicyInput{UserName: name, PolicyName: aws.String("p")}))
			}},
			{"its attached policy", func(c context.Context) error {
				return errOf(op.DetachUserPolicy(c, &iam.DetachUserPolicyInput{UserName: name, PolicyArn: readOnly}))
			}},
			{"its group membership", func(c context.Context) error {
				return errOf(op.RemoveUserFromGroup(c, &iam.RemoveUserFromGroupInput{GroupName: aws.String("leavers"), UserName: name}))
			}},
		}
		for _, r := range removals {
			err := errOf(op.DeleteUser(ctx(t), &iam.DeleteUserInput{UserName: name}))
			wantAPIError(t, err, 409, "DeleteConflict")
			must(t, r.remove(ctx(t)), "removing "+r.what)
		}
		_, err = op.DeleteUser(ctx(t), &iam.DeleteUserInput{UserName: name})
		must(t, err, "DeleteUser once nothing is left")
		wantAPIError(t, errOf(op.GetUser(ctx(t), &iam.GetUserInput{UserName: name})), 404, "NoSuchEntity")
	})
}

func TestIAMAccessKeys(t *testing.T) {
	t.Parallel()
	e := newIAMEnv(t)
	op := e.operator
	u := e.newUser(t, "bob", policyDoc(statement("Allow", "s3:ListAllMyBuckets", "*")))
	listBuckets := func(c *s3.Client) error { return errOf(c.ListBuckets(ctx(t), &s3.ListBucketsInput{})) }

	second, err := op.CreateAccessKey(ctx(t), &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	must(t, err, "second CreateAccessKey")
	k2 := second.AccessKey
	if str(k2.UserName) != "bob" || k2.Status != iamtypes.StatusTypeActive || !strings.HasPrefix(str(k2.AccessKeyId), "AKIA") ||
		len(str(k2.AccessKeyId)) != 20 || len(str(k2.SecretAccessKey)) != 40 {
		t.Errorf("CreateAccessKey = %+v", *k2)
	}
	wantAPIError(t, errOf(op.CreateAccessKey(ctx(t), &iam.CreateAccessKeyInput{UserName: aws.String("bob")})), 409, "LimitExceeded")
	wantAPIError(t, errOf(op.CreateAccessKey(ctx(t), &iam.CreateAccessKeyInput{UserName: aws.String("nobody")})), 404, "NoSuchEntity")

	keys, err := op.ListAccessKeys(ctx(t), &iam.ListAccessKeysInput{UserName: aws.String("bob")})
	must(t, err, "ListAccessKeys")
	var ids []string
	for _, k := range keys.AccessKeyMetadata {
		ids = append(ids, str(k.AccessKeyId))
		if str(k.UserName) != "bob" || k.Status != iamtypes.StatusTypeActive || k.CreateDate == nil {
			t.Errorf("ListAccessKeys entry %+v", k)
		}
	}
	slices.Sort(ids)
	if want := []string{u.access, str(k2.AccessKeyId)}; !slices.Equal(ids, slices.Sorted(slices.Values(want))) {
		t.Errorf("ListAccessKeys = %v, want %v", ids, want)
	}

	t.Run("GetAccessKeyLastUsed", func(t *testing.T) {
		out, err := op.GetAccessKeyLastUsed(ctx(t), &iam.GetAccessKeyLastUsedInput{AccessKeyId: k2.AccessKeyId})
		must(t, err, "GetAccessKeyLastUsed of an unused key")
		lu := out.AccessKeyLastUsed
		if str(out.UserName) != "bob" || lu == nil || lu.LastUsedDate != nil || str(lu.ServiceName) != "N/A" || str(lu.Region) != "N/A" {
			t.Errorf("GetAccessKeyLastUsed of an unused key = %q %+v, want bob, N/A, N/A and no date", str(out.UserName), lu)
		}
		must(t, listBuckets(u.s3), "ListBuckets by bob")
		out, err = op.GetAccessKeyLastUsed(ctx(t), &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(u.access)})
		must(t, err, "GetAccessKeyLastUsed")
		lu = out.AccessKeyLastUsed
		if lu == nil || lu.LastUsedDate == nil || time.Since(*lu.LastUsedDate) > time.Minute || str(lu.ServiceName) != "s3" || str(lu.Region) != "us-east-1" {
			t.Errorf("GetAccessKeyLastUsed after an S3 request = %+v, want now, s3, us-east-1", lu)
		}
	})

	t.Run("UpdateAccessKey", func(t *testing.T) {
		wantAPIError(t, errOf(op.UpdateAccessKey(ctx(t), &iam.UpdateAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: k2.AccessKeyId,
			Status: "Suspended"})), 400, "ValidationError")
		wantAPIError(t, errOf(op.UpdateAccessKey(ctx(t), &iam.UpdateAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: aws.String("AKIAAAAAAAAAAAAAAAAA"),
			Status: iamtypes.StatusTypeInactive})), 404, "NoSuchEntity")

		_, err := op.UpdateAccessKey(ctx(t), &iam.UpdateAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: aws.String(u.access), Status: iamtypes.StatusTypeInactive})
		must(t, err, "UpdateAccessKey Inactive")
		wantAPIError(t, listBuckets(u.s3), 403, "InvalidAccessKeyId")
		wantAPIError(t, errOf(u.iam.GetUser(ctx(t), &iam.GetUserInput{})), 403, "InvalidClientTokenId")
		must(t, listBuckets(e.newS3(str(k2.AccessKeyId), str(k2.SecretAccessKey))), "ListBuckets with bob's other key")
		keys, err := op.ListAccessKeys(ctx(t), &iam.ListAccessKeysInput{UserName: aws.String("bob")})
		must(t, err, "ListAccessKeys")
		for _, k := range keys.AccessKeyMetadata {
			want := iamtypes.StatusTypeActive
			if str(k.AccessKeyId) == u.access {
				want = iamtypes.StatusTypeInactive
			}
			if k.Status != want {
				t.Errorf("key %s: status %s, want %s", str(k.AccessKeyId), k.Status, want)
			}
		}

		_, err = op.UpdateAccessKey(ctx(t), &iam.UpdateAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: aws.String(u.access), Status: iamtypes.StatusTypeActive})
		must(t, err, "UpdateAccessKey Active")
		must(t, listBuckets(u.s3), "ListBuckets with the key active again")
	})

	t.Run("DeleteAccessKey", func(t *testing.T) {
		_, err := op.DeleteAccessKey(ctx(t), &iam.DeleteAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: aws.String(u.access)})
		must(t, err, "DeleteAccessKey")
		wantAPIError(t, listBuckets(u.s3), 403, "InvalidAccessKeyId")
		wantAPIError(t, errOf(op.DeleteAccessKey(ctx(t), &iam.DeleteAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: aws.String(u.access)})), 404, "NoSuchEntity")
		// With one key left, a new one fits again.
		_, err = op.CreateAccessKey(ctx(t), &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
		must(t, err, "CreateAccessKey after a delete")
	})
}

func TestIAMGroups(t *testing.T) {
	t.Parallel()
	e := newIAMEnv(t)
	op := e.operator
	e.newUser(t, "carol")
	devs := aws.String("devs")

	out, err := op.CreateGroup(ctx(t), &iam.CreateGroupInput{GroupName: devs, Path: aws.String("/eng/")})
	must(t, err, "CreateGroup")
	if g := out.Group; str(g.Arn) != "arn:aws:iam::"+e.account+":group/eng/devs" || !strings.HasPrefix(str(g.GroupId), "AGPA") || str(g.Path) != "/eng/" {
		t.Errorf("CreateGroup = %+v", *g)
	}
	groupID := str(out.Group.GroupId)

	tests := []iamErrorCase{
		{"CreateGroup of an existing name", func(c context.Context) error {
			return errOf(op.CreateGroup(c, &iam.CreateGroupInput{GroupName: devs}))
		}, 409, "EntityAlreadyExists"},
		{"CreateGroup with an invalid name", func(c context.Context) error {
			return errOf(op.CreateGroup(c, &iam.CreateGroupInput{GroupName: aws.String("a/b")}))
		}, 400, "ValidationError"},
		{"GetGroup of a missing group", func(c context.Context) error {
			return errOf(op.GetGroup(c, &iam.GetGroupInput{GroupName: aws.String("nogroup")}))
		}, 404, "NoSuchEntity"},
		{"AddUserToGroup of a missing user", func(c context.Context) error {
			return errOf(op.AddUserToGroup(c, &iam.AddUserToGroupInput{GroupName: devs, UserName: aws.String("nobody")}))
		}, 404, "NoSuchEntity"},
		{"AddUserToGroup to a missing group", func(c context.Context) error {
			return errOf(op.AddUserToGroup(c, &iam.AddUserToGroupInput{GroupName: aws.String("nogroup"), UserName: aws.String("carol")}))
		}, 404, "NoSuchEntity"},
		{"RemoveUserFromGroup of a non-member", func(c context.Context) error {
			return errOf(op.RemoveUserFromGroup(c, &iam.RemoveUserFromGroupInput{GroupName: devs, UserName: aws.String("carol")}))
		}, 404, "NoSuchEntity"},
		{"ListGroupsForUser of a missing user", func(c context.Context) error {
			return errOf(op.ListGroupsForUser(c, &iam.ListGroupsForUserInput{UserName: aws.String("nobody")}))
		}, 404, "NoSuchEntity"},
		{"DeleteGroup of a missing group", func(c context.Context) error {
			return errOf(op.DeleteGroup(c, &iam.DeleteGroupInput{GroupName: aws.String("nogroup")}))
		}, 404, "NoSuchEntity"},
	}
	runErrorCases(t, tests)

	_, err = op.AddUserToGroup(ctx(t), &iam.AddUserToGroupInput{GroupName: devs, UserName: aws.String("carol")})
	must(t, err, "AddUserToGroup")
	g, err := op.GetGroup(ctx(t), &iam.GetGroupInput{GroupName: devs})
	must(t, err, "GetGroup")
	if str(g.Group.GroupId) != groupID || len(g.Users) != 1 || str(g.Users[0].UserName) != "carol" || g.IsTruncated {
		t.Errorf("GetGroup = %+v with users %+v", *g.Group, g.Users)
	}
	groups, err := op.ListGroups(ctx(t), &iam.ListGroupsInput{})
	must(t, err, "ListGroups")
	if len(groups.Groups) != 1 || str(groups.Groups[0].GroupName) != "devs" {
		t.Errorf("ListGroups = %+v", groups.Groups)
	}
	forUser, err := op.ListGroupsForUser(ctx(t), &iam.ListGroupsForUserInput{UserName: aws.String("carol")})
	must(t, err, "ListGroupsForUser")
	if len(forUser.Groups) != 1 || str(forUser.Groups[0].GroupId) != groupID {
		t.Errorf("ListGroupsForUser = %+v", forUser.Groups)
	}

	t.Run("inline group policies", func(t *testing.T) {
		doc := policyDoc(statement("Allow", "s3:ListBucket", "arn:aws:s3:::reports"))
		_, err := op.PutGroupPolicy(ctx(t), &iam.PutGroupPolicyInput{GroupName: devs, PolicyName: aws.String("list"), PolicyDocument: aws.String(doc)})
		must(t, err, "PutGroupPolicy")
		got, err := op.GetGroupPolicy(ctx(t), &iam.GetGroupPolicyInput{GroupName: devs, PolicyName: aws.String("list")})
		must(t, err, "GetGroupPolicy")
		if str(got.GroupName) != "devs" || str(got.PolicyName) != "list" {
			t.Errorf("GetGroupPolicy names %q/%q", str(got.GroupName), str(got.PolicyName))
		}
		sameJSON(t, "GetGroupPolicy document", policyFromIAM(t, got.PolicyDocument), doc)
		names, err := op.ListGroupPolicies(ctx(t), &iam.ListGroupPoliciesInput{GroupName: devs})
		must(t, err, "ListGroupPolicies")
		if !slices.Equal(names.PolicyNames, []string{"list"}) {
			t.Errorf("ListGroupPolicies = %v", names.PolicyNames)
		}
		wantAPIError(t, errOf(op.GetGroupPolicy(ctx(t), &iam.GetGroupPolicyInput{GroupName: devs, PolicyName: aws.String("absent")})), 404, "NoSuchEntity")
		// Group inline policies may be 5120 characters, users' 2048.
		big := policyDoc(statement("Allow", "s3:GetObject", "arn:aws:s3:::"+strings.Repeat("b", 3000)+"/*"))
		_, err = op.PutGroupPolicy(ctx(t), &iam.PutGroupPolicyInput{GroupName: devs, PolicyName: aws.String("big"), PolicyDocument: aws.String(big)})
		must(t, err, "PutGroupPolicy of 3000 characters")
		_, err = op.DeleteGroupPolicy(ctx(t), &iam.DeleteGroupPolicyInput{GroupName: devs, PolicyName: aws.String("big")})
		must(t, err, "DeleteGroupPolicy")
		huge := policyDoc(statement("Allow", "s3:GetObject", "arn:aws:s3:::"+strings.Repeat("b", 5200)+"/*"))
		wantAPIError(t, errOf(op.PutGroupPolicy(ctx(t), &iam.PutGroupPolicyInput{GroupName: devs, PolicyName: aws.String("huge"), PolicyDocument: aws.String(huge)})), 409, "LimitExceeded")
		wantAPIError(t, errOf(op.PutGroupPolicy(ctx(t), &iam.PutGroupPolicyInput{GroupName: devs, PolicyName: aws.String("bad"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"s3:*","Resource":"*"}]}`)})), 400, "MalformedPolicyDocument")
	})

	t.Run("DeleteGroup refuses while anything is left", func(t *testing.T) {
		_, err := op.AttachGroupPolicy(ctx(t), &iam.AttachGroupPolicyInput{GroupName: devs, PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")})
		must(t, err, "AttachGroupPolicy")
		removals := []struct {
			what   string
			remove func(context.Context) error
		}{
			{"its member", func(c context.Context) error {
				return errOf(op.RemoveUserFromGroup(c, &iam.RemoveUserFromGroupInput{GroupName: devs, UserName: aws.String("carol")}))
			}},
			{"its inline policy", func(c context.Context) error {
				return errOf(op.DeleteGroupPolicy(c, &iam.DeleteGroupPolicyInput{GroupName: devs, PolicyName: aws.String("list")}))
			}},
			{"its attached policy", func(c context.Context) error {
				return errOf(op.DetachGroupPolicy(c, &iam.DetachGroupPolicyInput{GroupName: devs, PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))
			}},
		}
		for _, r := range removals {
			wantAPIError(t, errOf(op.DeleteGroup(ctx(t), &iam.DeleteGroupInput{GroupName: devs})), 409, "DeleteConflict")
			must(t, r.remove(ctx(t)), "removing "+r.what)
		}
		wantAPIError(t, errOf(op.DeleteGroupPolicy(ctx(t), &iam.DeleteGroupPolicyInput{GroupName: devs, PolicyName: aws.String("list")})), 404, "NoSuchEntity")
		_, err = op.DeleteGroup(ctx(t), &iam.DeleteGroupInput{GroupName: devs})
		must(t, err, "DeleteGroup once empty")
		wantAPIError(t, errOf(op.GetGroup(ctx(t), &iam.GetGroupInput{GroupName: devs})), 404, "NoSuchEntity")
		forUser, err := op.ListGroupsForUser(ctx(t), &iam.ListGroupsForUserInput{UserName: aws.String("carol")})
		must(t, err, "ListGroupsForUser")
		if len(forUser.Groups) != 0 {
			t.Errorf("ListGroupsForUser after the group's deletion = %+v", forUser.Groups)
		}
	})

	t.Run("at most 10 groups per user", func(t *testing.T) {
		for i := 1; i <= 11; i++ {
			name := aws.String("team" + strconv.Itoa(i))
			_, err := op.CreateGroup(ctx(t), &iam.CreateGroupInput{GroupName: name})
			must(t, err, "CreateGroup")
			err = errOf(op.AddUserToGroup(ctx(t), &iam.AddUserToGroupInput{GroupName: name, UserName: aws.String("carol")}))
			if i <= 10 {
				must(t, err, "AddUserToGroup "+*name)
			} else {
				wantAPIError(t, err, 409, "LimitExceeded")
			}
		}
	})
}

func TestIAMInlineUserPolicies(t *testing.T) {
	t.Parallel()
	e := newIAMEnv(t)
	op := e.operator
	e.newUser(t, "dave")
	dave := aws.String("dave")
	// Indented as people write them, with a space and a '+' in a value.
	const doc = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadReports",
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"],
      "Condition": {"StringLike": {"aws:UserAgent": "report tool+v2/*"}}
    }
  ]
}`
	_, err := op.PutUserPolicy(ctx(t), &iam.PutUserPolicyInput{UserName: dave, PolicyName: aws.String("reports"), PolicyDocument: aws.String(doc)})
	must(t, err, "PutUserPolicy")
	got, err := op.GetUserPolicy(ctx(t), &iam.GetUserPolicyInput{UserName: dave, PolicyName: aws.String("reports")})
	must(t, err, "GetUserPolicy")
	if str(got.UserName) != "dave" || str(got.PolicyName) != "reports" {
		t.Errorf("GetUserPolicy names %q/%q", str(got.UserName), str(got.PolicyName))
	}
	sameJSON(t, "GetUserPolicy document", policyFromIAM(t, got.PolicyDocument), doc)

	t.Run("document percent-encoded as RFC 3986 says", func(t *testing.T) {
		// IAM documents the returned policy as "URL-encoded compliant with
		// RFC 3986": a space is %20. boto3 and the AWS CLI decode it with
		// urllib's unquote, which leaves a '+' as it is.
		raw := str(got.PolicyDocument)
		decoded, err := url.PathUnescape(raw)
		if err != nil || strings.Contains(raw, "+") {
			t.Errorf("GetUserPolicy document %.200q: want percent-encoding without '+' (PathUnescape: %v)", raw, err)
			return
		}
		sameJSON(t, "GetUserPolicy document decoded by RFC 3986", decoded, doc)
	})

	// A second policy, and a replacement of the first.
	_, err = op.PutUserPolicy(ctx(t), &iam.PutUserPolicyInput{UserName: dave, PolicyName: aws.String("admin"),
		PolicyDocument: aws.String(policyDoc(statement("Allow", "*", "*")))})
	must(t, err, "PutUserPolicy admin")
	replaced := policyDoc(statement("Allow", "s3:GetObject", "arn:aws:s3:::reports/*"))
	_, err = op.PutUserPolicy(ctx(t), &iam.PutUserPolicyInput{UserName: dave, PolicyName: aws.String("reports"), PolicyDocument: aws.String(replaced)})
	must(t, err, "PutUserPolicy replacing reports")
	got, err = op.GetUserPolicy(ctx(t), &iam.GetUserPolicyInput{UserName: dave, PolicyName: aws.String("reports")})
	must(t, err, "GetUserPolicy")
	sameJSON(t, "replaced document", policyFromIAM(t, got.PolicyDocument), replaced)
	names, err := op.ListUserPolicies(ctx(t), &iam.ListUserPoliciesInput{UserName: dave})
	must(t, err, "ListUserPolicies")
	if !slices.Equal(names.PolicyNames, []string{"admin", "reports"}) || names.IsTruncated {
		t.Errorf("ListUserPolicies = %v (truncated %v), want [admin reports]", names.PolicyNames, names.IsTruncated)
	}

	t.Run("errors", func(t *testing.T) {
		big := policyDoc(statement("Allow", "s3:GetObject", "arn:aws:s3:::"+strings.Repeat("b", 2100)+"/*"))
		tests := []struct {
			name, user, policyName, doc string
			status                      int
			code                        string
		}{
			{"not JSON", "dave", "p", `{"Version":`, 400, "MalformedPolicyDocument"},
			{"unknown effect", "dave", "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"s3:*","Resource":"*"}]}`, 400, "MalformedPolicyDocument"},
			{"a principal in an identity policy", "dave", "p",
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`, 400, "MalformedPolicyDocument"},
			{"larger than 2048 characters", "dave", "p", big, 409, "LimitExceeded"},
			{"invalid policy name", "dave", "no spaces", policyDoc(statement("Allow", "s3:*", "*")), 400, "ValidationError"},
			{"missing user", "nobody", "p", policyDoc(statement("Allow", "s3:*", "*")), 404, "NoSuchEntity"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := errOf(op.PutUserPolicy(ctx(t), &iam.PutUserPolicyInput{UserName: aws.String(tt.user), PolicyName: aws.String(tt.policyName), PolicyDocument: aws.String(tt.doc)}))
				wantAPIError(t, err, tt.status, tt.code)
			})
		}
		wantAPIError(t, errOf(op.GetUserPolicy(ctx(t), &iam.GetUserPolicyInput{UserName: dave, PolicyName: aws.String("absent")})), 404, "NoSuchEntity")
		wantAPIError(t, errOf(op.ListUserPolicies(ctx(t), &iam.ListUserPoliciesInput{UserName: aws.String("nobody")})), 404, "NoSuchEntity")
	})

	_, err = op.DeleteUserPolicy(ctx(t), &iam.DeleteUserPolicyInput{UserName: dave, PolicyName: aws.String("admin")})
	must(t, err, "DeleteUserPolicy")
	wantAPIError(t, errOf(op.DeleteUserPolicy(ctx(t), &iam.DeleteUserPolicyInput{UserName: dave, PolicyName: aws.String("admin")})), 404, "NoSuchEntity")
	names, err = op.ListUserPolicies(ctx(t), &iam.ListUserPoliciesInput{UserName: dave})
	must(t, err, "ListUserPolicies")
	if !slices.Equal(names.PolicyNames, []string{"reports"}) {
		t.Errorf("ListUserPolicies after DeleteUserPolicy = %v", names.PolicyNames)
	}
}

func TestIAMManagedPolicies(t *testing.T) {
	t.Parallel()
	e := newIAMEnv(t)
	op := e.operator
	e.newUser(t, "erin")
	_, err := op.CreateGroup(ctx(t), &iam.CreateGroupInput{GroupName: aws.String("auditors")})
	must(t, err, "CreateGroup")

	v1 := policyDoc(statement("Allow", "s3:GetObject", "arn:aws:s3:::reports/*"))
	created, err := op.CreatePolicy(ctx(t), &iam.CreatePolicyInput{PolicyName: aws.String("ReportReader"), Path: aws.String("/team/"),
		Description: aws.String("reads reports"), PolicyDocument: aws.String(v1)})
	must(t, err, "CreatePolicy")
	p := created.Policy
	arn := "arn:aws:iam::" + e.account + ":policy/team/ReportReader"
	if str(p.Arn) != arn || str(p.DefaultVersionId) != "v1" || i32(p.AttachmentCount) != 0 || !p.IsAttachable ||
		!strings.HasPrefix(str(p.PolicyId), "ANPA") || str(p.Path) != "/team/" {
		t.Errorf("CreatePolicy = %+v", *p)
	}
	policyArn := aws.String(arn)

	t.Run("errors", func(t *testing.T) {
		tests := []iamErrorCase{
			{"CreatePolicy of an existing name", func(c context.Context) error {
				return errOf(op.CreatePolicy(c, &iam.CreatePolicyInput{PolicyName: aws.String("ReportReader"), PolicyDocument: aws.String(v1)}))
			}, 409, "EntityAlreadyExists"},
			{"CreatePolicy of a malformed document", func(c context.Context) error {
				return errOf(op.CreatePolicy(c, &iam.CreatePolicyInput{PolicyName: aws.String("Bad"), PolicyDocument: aws.String(`{"Statement":[]`)}))
			}, 400, "MalformedPolicyDocument"},
			{"GetPolicy of a missing policy", func(c context.Context) error {
				return errOf(op.GetPolicy(c, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + e.account + ":policy/Absent")}))
			}, 404, "NoSuchEntity"},
			{"GetPolicyVersion of a missing version", func(c context.Context) error {
				return errOf(op.GetPolicyVersion(c, &iam.GetPolicyVersionInput{PolicyArn: policyArn, VersionId: aws.String("v9")}))
			}, 404, "NoSuchEntity"},
			{"AttachUserPolicy of a missing policy", func(c context.Context) error {
				return errOf(op.AttachUserPolicy(c, &iam.AttachUserPolicyInput{UserName: aws.String("erin"), PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")}))
			}, 404, "NoSuchEntity"},
			{"DetachUserPolicy of a policy not attached", func(c context.Context) error {
				return errOf(op.DetachUserPolicy(c, &iam.DetachUserPolicyInput{UserName: aws.String("erin"), PolicyArn: policyArn}))
			}, 404, "NoSuchEntity"},
			{"ListPolicies with an unknown scope", func(c context.Context) error {
				return errOf(op.ListPolicies(c, &iam.ListPoliciesInput{Scope: "Everything"}))
			}, 400, "ValidationError"},
		}
		runErrorCases(t, tests)
	})

	t.Run("CreatePolicy of a name differing only in case", func(t *testing.T) {
		// IAM names are unique case-insensitively, policies' too.
		err := errOf(op.CreatePolicy(ctx(t), &iam.CreatePolicyInput{PolicyName: aws.String("reportreader"), PolicyDocument: aws.String(v1)}))
		wantAPIError(t, err, 409, "EntityAlreadyExists")
	})

	t.Run("GetPolicy and ListPolicies", func(t *testing.T) {
		got, err := op.GetPolicy(ctx(t), &iam.GetPolicyInput{PolicyArn: policyArn})
		must(t, err, "GetPolicy")
		if str(got.Policy.PolicyName) != "ReportReader" || str(got.Policy.Description) != "reads reports" || str(got.Policy.DefaultVersionId) != "v1" {
			t.Errorf("GetPolicy = %+v", *got.Policy)
		}
		local, err := op.ListPolicies(ctx(t), &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})
		must(t, err, "ListPolicies Local")
		if len(local.Policies) != 1 || str(local.Policies[0].Arn) != arn {
			t.Errorf("ListPolicies Local = %+v", local.Policies)
		}
		managed, err := op.ListPolicies(ctx(t), &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws})
		must(t, err, "ListPolicies AWS")
		var arns []string
		for _, p := range managed.Policies {
			arns = append(arns, str(p.Arn))
		}
		if !slices.Contains(arns, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess") || slices.Contains(arns, arn) {
			t.Errorf("ListPolicies AWS = %v", arns)
		}
		ro, err := op.GetPolicy(ctx(t), &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")})
		must(t, err, "GetPolicy of an AWS managed policy")
		if str(ro.Policy.PolicyName) != "AmazonS3ReadOnlyAccess" {
			t.Errorf("GetPolicy AmazonS3ReadOnlyAccess = %+v", *ro.Policy)
		}
	})

	t.Run("versions", func(t *testing.T) {
		v2 := policyDoc(statement("Allow", []string{"s3:GetObject", "s3:ListBucket"}, []string{"arn:aws:s3:::reports", "arn:aws:s3:::reports/*"}))
		out, err := op.CreatePolicyVersion(ctx(t), &iam.CreatePolicyVersionInput{PolicyArn: policyArn, PolicyDocument: aws.String(v2)})
		must(t, err, "CreatePolicyVersion v2")
		if str(out.PolicyVersion.VersionId) != "v2" || out.PolicyVersion.IsDefaultVersion {
			t.Errorf("CreatePolicyVersion = %+v, want v2, not the default", *out.PolicyVersion)
		}
		out, err = op.CreatePolicyVersion(ctx(t), &iam.CreatePolicyVersionInput{PolicyArn: policyArn, PolicyDocument: aws.String(v1), SetAsDefault: true})
		must(t, err, "CreatePolicyVersion v3")
		if str(out.PolicyVersion.VersionId) != "v3" || !out.PolicyVersion.IsDefaultVersion {
			t.Errorf("CreatePolicyVersion SetAsDefault = %+v, want v3, the default", *out.PolicyVersion)
		}
		got, err := op.GetPolicyVersion(ctx(t), &iam.GetPolicyVersionInput{PolicyArn: policyArn, VersionId: aws.String("v2")})
		must(t, err, "GetPolicyVersion")
		if got.PolicyVersion.IsDefaultVersion {
			t.Errorf("GetPolicyVersion v2 says it is the default")
		}
		sameJSON(t, "GetPolicyVersion v2 document", policyFromIAM(t, got.PolicyVersion.Document), v2)

		_, err = op.SetDefaultPolicyVersion(ctx(t), &iam.SetDefaultPolicyVersionInput{PolicyArn: policyArn, VersionId: aws.String("v2")})
		must(t, err, "SetDefaultPolicyVersion")
		list, err := op.ListPolicyVersions(ctx(t), &iam.ListPolicyVersionsInput{PolicyArn: policyArn})
		must(t, err, "ListPolicyVersions")
		var versions []string
		for _, v := range list.Versions {
			id := str(v.VersionId)
			if v.IsDefaultVersion {
				id += "*"
			}
			versions = append(versions, id)
		}
		if want := []string{"v3", "v2*", "v1"}; !slices.Equal(versions, want) {
			t.Errorf("ListPolicyVersions = %v, want %v (newest first, * the default)", versions, want)
		}
		gp, err := op.GetPolicy(ctx(t), &iam.GetPolicyInput{PolicyArn: policyArn})
		must(t, err, "GetPolicy")
		if str(gp.Policy.DefaultVersionId) != "v2" {
			t.Errorf("DefaultVersionId = %q, want v2", str(gp.Policy.DefaultVersionId))
		}

		wantAPIError(t, errOf(op.DeletePolicyVersion(ctx(t), &iam.DeletePolicyVersionInput{PolicyArn: policyArn, VersionId: aws.String("v2")})), 409, "DeleteConflict")
		for _, v := range []string{"v4", "v5"} {
			out, err := op.CreatePolicyVersion(ctx(t), &iam.CreatePolicyVersionInput{PolicyArn: policyArn, PolicyDocument: aws.String(v1)})
			must(t, err, "CreatePolicyVersion")
			if str(out.PolicyVersion.VersionId) != v {
				t.Errorf("CreatePolicyVersion = %s, want %s", str(out.PolicyVersion.VersionId), v)
			}
		}
		wantAPIError(t, errOf(op.CreatePolicyVersion(ctx(t), &iam.CreatePolicyVersionInput{PolicyArn: policyArn, PolicyDocument: aws.String(v1)})), 409, "LimitExceeded")
		wantAPIError(t, errOf(op.CreatePolicyVersion(ctx(t), &iam.CreatePolicyVersionInput{PolicyArn: policyArn, PolicyDocument: aws.String("[]")})), 400, "MalformedPolicyDocument")
	})

	t.Run("attachments", func(t *testing.T) {
		_, err := op.AttachUserPolicy(ctx(t), &iam.AttachUserPolicyInput{UserName: aws.String("erin"), PolicyArn: policyArn})
		must(t, err, "AttachUserPolicy")
		_, err = op.AttachUserPolicy(ctx(t), &iam.AttachUserPolicyInput{UserName: aws.String("erin"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")})
		must(t, err, "AttachUserPolicy of an AWS managed policy")
		_, err = op.AttachGroupPolicy(ctx(t), &iam.AttachGroupPolicyInput{GroupName: aws.String("auditors"), PolicyArn: policyArn})
		must(t, err, "AttachGroupPolicy")

		au, err := op.ListAttachedUserPolicies(ctx(t), &iam.ListAttachedUserPoliciesInput{UserName: aws.String("erin")})
		must(t, err, "ListAttachedUserPolicies")
		var attached []string
		for _, a := range au.AttachedPolicies {
			attached = append(attached, str(a.PolicyName)+"="+str(a.PolicyArn))
		}
		if want := []string{"ReportReader=" + arn, "AmazonS3ReadOnlyAccess=arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}; !slices.Equal(attached, want) {
			t.Errorf("ListAttachedUserPolicies = %v, want %v", attached, want)
		}
		ag, err := op.ListAttachedGroupPolicies(ctx(t), &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("auditors")})
		must(t, err, "ListAttachedGroupPolicies")
		if len(ag.AttachedPolicies) != 1 || str(ag.AttachedPolicies[0].PolicyArn) != arn {
			t.Errorf("ListAttachedGroupPolicies = %+v", ag.AttachedPolicies)
		}
		ents, err := op.ListEntitiesForPolicy(ctx(t), &iam.ListEntitiesForPolicyInput{PolicyArn: policyArn})
		must(t, err, "ListEntitiesForPolicy")
		if len(ents.PolicyUsers) != 1 || str(ents.PolicyUsers[0].UserName) != "erin" || !strings.HasPrefix(str(ents.PolicyUsers[0].UserId), "AIDA") ||
			len(ents.PolicyGroups) != 1 || str(ents.PolicyGroups[0].GroupName) != "auditors" || len(ents.PolicyRoles) != 0 {
			t.Errorf("ListEntitiesForPolicy = users %+v groups %+v roles %+v", ents.PolicyUsers, ents.PolicyGroups, ents.PolicyRoles)
		}
		users, err := op.ListEntitiesForPolicy(ctx(t), &iam.ListEntitiesForPolicyInput{PolicyArn: policyArn, EntityFilter: iamtypes.EntityTypeUser})
		must(t, err, "ListEntitiesForPolicy User")
		if len(users.PolicyUsers) != 1 || len(users.PolicyGroups) != 0 {
			t.Errorf("ListEntitiesForPolicy EntityFilter User = users %+v groups %+v", users.PolicyUsers, users.PolicyGroups)
		}
		gp, err := op.GetPolicy(ctx(t), &iam.GetPolicyInput{PolicyArn: policyArn})
		must(t, err, "GetPolicy")
		if i32(gp.Policy.AttachmentCount) != 2 {
			t.Errorf("AttachmentCount = %d, want 2", i32(gp.Policy.AttachmentCount))
		}
		onlyAttached, err := op.ListPolicies(ctx(t), &iam.ListPoliciesInput{OnlyAttached: true})
		must(t, err, "ListPolicies OnlyAttached")
		var names []string
		for _, p := range onlyAttached.Policies {
			names = append(names, str(p.PolicyName))
		}
		slices.Sort(names)
		if want := []string{"AmazonS3ReadOnlyAccess", "ReportReader"}; !slices.Equal(names, want) {
			t.Errorf("ListPolicies OnlyAttached = %v, want %v", names, want)
		}

		wantAPIError(t, errOf(op.DeletePolicy(ctx(t), &iam.DeletePolicyInput{PolicyArn: policyArn})), 409, "DeleteConflict")
		_, err = op.DetachUserPolicy(ctx(t), &iam.DetachUserPolicyInput{UserName: aws.String("erin"), PolicyArn: policyArn})
		must(t, err, "DetachUserPolicy")
		_, err = op.DetachGroupPolicy(ctx(t), &iam.DetachGroupPolicyInput{GroupName: aws.String("auditors"), PolicyArn: policyArn})
		must(t, err, "DetachGroupPolicy")
		wantAPIError(t, errOf(op.DetachGroupPolicy(ctx(t), &iam.DetachGroupPolicyInput{GroupName: aws.String("auditors"), PolicyArn: policyArn})), 404, "NoSuchEntity")
		ents, err = op.ListEntitiesForPolicy(ctx(t), &iam.ListEntitiesForPolicyInput{PolicyArn: policyArn})
		must(t, err, "ListEntitiesForPolicy")
		if len(ents.PolicyUsers)+len(ents.PolicyGroups) != 0 {
			t.Errorf("ListEntitiesForPolicy after detaching = users %+v groups %+v", ents.PolicyUsers, ents.PolicyGroups)
		}
	})

	t.Run("DeletePolicy", func(t *testing.T) {
		// Non-default versions must go first.
		wantAPIError(t, errOf(op.DeletePolicy(ctx(t), &iam.DeletePolicyInput{PolicyArn: policyArn})), 409, "DeleteConflict")
		for _, v := range []string{"v1", "v3", "v4", "v5"} {
			_, err := op.DeletePolicyVersion(ctx(t), &iam.DeletePolicyVersionInput{PolicyArn: policyArn, VersionId: aws.String(v)})
			must(t, err, "DeletePolicyVersion "+v)
		}
		wantAPIError(t, errOf(op.DeletePolicyVersion(ctx(t), &iam.DeletePolicyVersionInput{PolicyArn: policyArn, VersionId: aws.String("v1")})), 404, "NoSuchEntity")
		_, err := op.DeletePolicy(ctx(t), &iam.DeletePolicyInput{PolicyArn: policyArn})
		must(t, err, "DeletePolicy")
		wantAPIError(t, errOf(op.GetPolicy(ctx(t), &iam.GetPolicyInput{PolicyArn: policyArn})), 404, "NoSuchEntity")
	})
}

// --- IAM users' S3 requests -----------------------------------------------------

func TestIAMUserS3Access(t *testing.T) {
	t.Parallel()
	e := newIAMEnv(t)
	op := e.operator
	bucket := e.mkBucket(t, "data")
	other := e.mkBucket(t, "other")
	for _, b := range []string{bucket, other} {
		e.put(t, b, "seed", []byte("seed"))
	}
	objects := func(b string) string { return "arn:aws:s3:::" + b + "/*" }

	t.Run("no policy: denied", func(t *testing.T) {
		u := e.newUser(t, "nopolicy")
		wantAPIError(t, errOf(u.s3.ListBuckets(ctx(t), &s3.ListBucketsInput{})), 403, "AccessDenied")
		wantAPIError(t, tryPut(t, u.s3, bucket, "k"), 403, "AccessDenied")
		wantAPIError(t, tryGet(t, u.s3, bucket, "seed"), 403, "AccessDenied")
	})

	t.Run("inline policy for one bucket", func(t *testing.T) {
		u := e.newUser(t, "onebucket", policyDoc(statement("Allow", []string{"s3:PutObject", "s3:GetObject"}, objects(bucket))))
		must(t, tryPut(t, u.s3, bucket, "by-onebucket"), "PutObject in the bucket")
		must(t, tryGet(t, u.s3, bucket, "by-onebucket"), "GetObject in the bucket")
		wantAPIError(t, tryPut(t, u.s3, other, "k"), 403, "AccessDenied")
		wantAPIError(t, tryGet(t, u.s3, other, "seed"), 403, "AccessDenied")
		wantAPIError(t, errOf(u.s3.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})), 403, "AccessDenied")
		wantAPIError(t, errOf(u.s3.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("seed")})), 403, "AccessDenied")
		wantAPIError(t, errOf(u.s3.ListBuckets(ctx(t), &s3.ListBucketsInput{})), 403, "AccessDenied")
	})

	t.Run("group policy grants its members", func(t *testing.T) {
		u := e.newUser(t, "member")
		_, err := op.CreateGroup(ctx(t), &iam.CreateGroupInput{GroupName: aws.String("readers")})
		must(t, err, "CreateGroup")
		_, err = op.PutGroupPolicy(ctx(t), &iam.PutGroupPolicyInput{GroupName: aws.String("readers"), PolicyName: aws.String("read"),
			PolicyDocument: aws.String(policyDoc(statement("Allow", "s3:GetObject", objects(bucket))))})
		must(t, err, "PutGroupPolicy")
		wantAPIError(t, tryGet(t, u.s3, bucket, "seed"), 403, "AccessDenied")
		_, err = op.AddUserToGroup(ctx(t), &iam.AddUserToGroupInput{GroupName: aws.String("readers"), UserName: aws.String(u.name)})
		must(t, err, "AddUserToGroup")
		must(t, tryGet(t, u.s3, bucket, "seed"), "GetObject as a member")
		wantAPIError(t, tryPut(t, u.s3, bucket, "k"), 403, "AccessDenied")
		_, err = op.RemoveUserFromGroup(ctx(t), &iam.RemoveUserFromGroupInput{GroupName: aws.String("readers"), UserName: aws.String(u.name)})
		must(t, err, "RemoveUserFromGroup")
		wantAPIError(t, tryGet(t, u.s3, bucket, "seed"), 403, "AccessDenied")
	})

	t.Run("AmazonS3ReadOnlyAccess reads but does not write", func(t *testing.T) {
		u := e.newUser(t, "reader")
		ro := aws.String("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
		_, err := op.AttachUserPolicy(ctx(t), &iam.AttachUserPolicyInput{UserName: aws.String(u.name), PolicyArn: ro})
		must(t, err, "AttachUserPolicy")
		lb, err := u.s3.ListBuckets(ctx(t), &s3.ListBucketsInput{})
		must(t, err, "ListBuckets")
		if len(lb.Buckets) < 2 {
			t.Errorf("ListBuckets = %d buckets, want the account's", len(lb.Buckets))
		}
		must(t, tryGet(t, u.s3, other, "seed"), "GetObject")
		must(t, errOf(u.s3.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})), "ListObjectsV2")
		wantAPIError(t, tryPut(t, u.s3, bucket, "k"), 403, "AccessDenied")
		wantAPIError(t, errOf(u.s3.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("seed")})), 403, "AccessDenied")
		_, err = op.DetachUserPolicy(ctx(t), &iam.DetachUserPolicyInput{UserName: aws.String(u.name), PolicyArn: ro})
		must(t, err, "DetachUserPolicy")
		wantAPIError(t, tryGet(t, u.s3, other, "seed"), 403, "AccessDenied")
	})

	t.Run("the default version of a managed policy applies", func(t *testing.T) {
		u := e.newUser(t, "versioned")
		p, err := op.CreatePolicy(ctx(t), &iam.CreatePolicyInput{PolicyName: aws.String("DataAccess"),
			PolicyDocument: aws.String(policyDoc(statement("Allow", "s3:GetObject", objects(bucket))))})
		must(t, err, "CreatePolicy")
		_, err = op.AttachUserPolicy(ctx(t), &iam.AttachUserPolicyInput{UserName: aws.String(u.name), PolicyArn: p.Policy.Arn})
		must(t, err, "AttachUserPolicy")
		must(t, tryGet(t, u.s3, bucket, "seed"), "GetObject under v1")
		wantAPIError(t, tryPut(t, u.s3, bucket, "v"), 403, "AccessDenied")
		_, err = op.CreatePolicyVersion(ctx(t), &iam.CreatePolicyVersionInput{PolicyArn: p.Policy.Arn, SetAsDefault: true,
			PolicyDocument: aws.String(policyDoc(statement("Allow", []string{"s3:GetObject", "s3:PutObject"}, objects(bucket))))})
		must(t, err, "CreatePolicyVersion")
		must(t, tryPut(t, u.s3, bucket, "v"), "PutObject under v2")
		_, err = op.SetDefaultPolicyVersion(ctx(t), &iam.SetDefaultPolicyVersionInput{PolicyArn: p.Policy.Arn, VersionId: aws.String("v1")})
		must(t, err, "SetDefaultPolicyVersion v1")
		wantAPIError(t, tryPut(t, u.s3, bucket, "v"), 403, "AccessDenied")
	})

	t.Run("a Deny in any policy wins", func(t *testing.T) {
		u := e.newUser(t, "denied", policyDoc(statement("Allow", "s3:*", "*")))
		must(t, tryPut(t, u.s3, bucket, "locked/a"), "PutObject before any Deny")
		_, err := op.CreateGroup(ctx(t), &iam.CreateGroupInput{GroupName: aws.String("nodelete")})
		must(t, err, "CreateGroup")
		_, err = op.PutGroupPolicy(ctx(t), &iam.PutGroupPolicyInput{GroupName: aws.String("nodelete"), PolicyName: aws.String("deny"),
			PolicyDocument: aws.String(policyDoc(statement("Deny", "s3:DeleteObject", "*")))})
		must(t, err, "PutGroupPolicy")
		_, err = op.AddUserToGroup(ctx(t), &iam.AddUserToGroupInput{GroupName: aws.String("nodelete"), UserName: aws.String(u.name)})
		must(t, err, "AddUserToGroup")
		wantAPIError(t, errOf(u.s3.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("locked/a")})), 403, "AccessDenied")

		p, err := op.CreatePolicy(ctx(t), &iam.CreatePolicyInput{PolicyName: aws.String("NoLockedWrites"),
			PolicyDocument: aws.String(policyDoc(statement("Deny", "s3:PutObject", "arn:aws:s3:::"+bucket+"/locked/*")))})
		must(t, err, "CreatePolicy")
		_, err = op.AttachUserPolicy(ctx(t), &iam.AttachUserPolicyInput{UserName: aws.String(u.name), PolicyArn: p.Policy.Arn})
		must(t, err, "AttachUserPolicy")
		wantAPIError(t, tryPut(t, u.s3, bucket, "locked/b"), 403, "AccessDenied")
		must(t, tryPut(t, u.s3, bucket, "open/b"), "PutObject outside the denied prefix")
	})
	// "arn:aws:s3:::"+bucket+"/locked/*" above is "arn:aws:s3:::BUCKET/*locked/*",
	// which matches BUCKET/locked/b as well; the next subtest is exact.

	t.Run("bucket policies: an explicit Deny binds the user, an Allow naming it grants", func(t *testing.T) {
		bp := e.mkBucket(t, "bp")
		e.put(t, bp, "seed", []byte("seed"))
		full := e.newUser(t, "full", policyDoc(statement("Allow", "s3:*", []string{"arn:aws:s3:::" + bp, objects(bp)})))
		named := e.newUser(t, "named") // no identity policy
		// A path changed after the key was made is in the ARN the
		// bucket policy sees.
		_, err := op.UpdateUser(ctx(t), &iam.UpdateUserInput{UserName: aws.String("named"), NewPath: aws.String("/team/")})
		must(t, err, "UpdateUser NewPath")
		named.arn = "arn:aws:iam::" + e.account + ":user/team/named"
		_, err = e.s3.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String(bp), Policy: aws.String(policyDoc(
			`{"Sid":"NoReadsByFull","Effect":"Deny","Principal":{"AWS":"`+full.arn+`"},"Action":"s3:GetObject","Resource":"`+objects(bp)+`"}`,
			`{"Sid":"ReadsByNamed","Effect":"Allow","Principal":{"AWS":"`+named.arn+`"},"Action":"s3:GetObject","Resource":"`+objects(bp)+`"}`))})
		must(t, err, "PutBucketPolicy")
		wantAPIError(t, tryGet(t, full.s3, bp, "seed"), 403, "AccessDenied")
		must(t, tryPut(t, full.s3, bp, "k"), "PutObject, which the bucket policy does not deny")
		// In the bucket owner's account, a bucket policy naming the user
		// grants without an identity policy.
		must(t, tryGet(t, named.s3, bp, "seed"), "GetObject granted by the bucket policy alone")
		wantAPIError(t, tryPut(t, named.s3, bp, "k"), 403, "AccessDenied")
		must(t, tryGet(t, e.s3, bp, "seed"), "GetObject by the root user")
	})

	t.Run("${aws:username} in a resource", func(t *testing.T) {
		shared := e.mkBucket(t, "shared")
		doc := policyDoc(statement("Allow", []string{"s3:PutObject", "s3:GetObject"}, "arn:aws:s3:::"+shared+"/home/${aws:username}/*"))
		alice := e.newUser(t, "alice", doc)
		bob := e.newUser(t, "bob", doc)
		must(t, tryPut(t, alice.s3, shared, "home/alice/x"), "alice writes her home")
		must(t, tryGet(t, alice.s3, shared, "home/alice/x"), "alice reads her home")
		wantAPIError(t, tryPut(t, alice.s3, shared, "home/bob/x"), 403, "AccessDenied")
		must(t, tryPut(t, bob.s3, shared, "home/bob/x"), "bob writes his home")
		wantAPIError(t, tryGet(t, alice.s3, shared, "home/bob/x"), 403, "AccessDenied")
		wantAPIError(t, tryPut(t, alice.s3, shared, "home/x"), 403, "AccessDenied")
	})

	t.Run("${aws:userid} in a resource", func(t *testing.T) {
		u := e.newUser(t, "byid", policyDoc(statement("Allow", "s3:PutObject", "arn:aws:s3:::"+bucket+"/ids/${aws:userid}/*")))
		must(t, tryPut(t, u.s3, bucket, "ids/"+u.id+"/x"), "PutObject under the user's unique ID")
		wantAPIError(t, tryPut(t, u.s3, bucket, "ids/"+u.name+"/x"), 403, "AccessDenied")
	})

	t.Run("aws:PrincipalTag from the user's tags", func(t *testing.T) {
		// AWS gives an IAM user's tags to policies as aws:PrincipalTag/<key>.
		u := e.newUser(t, "tagged", policyDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"`+objects(bucket)+`",`+
			`"Condition":{"StringEquals":{"aws:PrincipalTag/team":"storage"}}}`))
		wantAPIError(t, tryGet(t, u.s3, bucket, "seed"), 403, "AccessDenied")
		tag := func(v string) {
			_, err := op.TagUser(ctx(t), &iam.TagUserInput{UserName: aws.String(u.name), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String(v)}}})
			must(t, err, "TagUser")
		}
		tag("storage")
		must(t, tryGet(t, u.s3, bucket, "seed"), "GetObject by a user tagged team=storage")
		tag("compute")
		wantAPIError(t, tryGet(t, u.s3, bucket, "seed"), 403, "AccessDenied")
	})

	t.Run("a bucket a user creates belongs to its account", func(t *testing.T) {
		u := e.newUser(t, "creator", policyDoc(statement("Allow", []string{"s3:CreateBucket", "s3:PutObject"}, "*")))
		made := uniqueBucket(t, "made")
		must(t, errOf(u.s3.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(made)})), "CreateBucket by the user")
		must(t, tryPut(t, u.s3, made, "k"), "PutObject by the user")
		must(t, tryGet(t, e.s3, made, "k"), "GetObject by the account's root user")
		wantAPIError(t, errOf(u.s3.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: aws.String(made)})), 403, "AccessDenied")
	})

	t.Run("inactive and deleted keys", func(t *testing.T) {
		u := e.newUser(t, "keyholder", policyDoc(statement("Allow", "s3:GetObject", objects(bucket))))
		must(t, tryGet(t, u.s3, bucket, "seed"), "GetObject")
		update := func(status iamtypes.StatusType) {
			_, err := op.UpdateAccessKey(ctx(t), &iam.UpdateAccessKeyInput{UserName: aws.String(u.name), AccessKeyId: aws.String(u.access), Status: status})
			must(t, err, "UpdateAccessKey "+string(status))
		}
		update(iamtypes.StatusTypeInactive)
		wantAPIError(t, tryGet(t, u.s3, bucket, "seed"), 403, "InvalidAccessKeyId")
		update(iamtypes.StatusTypeActive)
		must(t, tryGet(t, u.s3, bucket, "seed"), "GetObject with the key active again")
		_, err := op.DeleteAccessKey(ctx(t), &iam.DeleteAccessKeyInput{UserName: aws.String(u.name), AccessKeyId: aws.String(u.access)})
		must(t, err, "DeleteAccessKey")
		wantAPIError(t, tryGet(t, u.s3, bucket, "seed"), 403, "InvalidAccessKeyId")
	})
}

// --- IAM users' IAM requests ----------------------------------------------------

func TestIAMUserIAMAccess(t *testing.T) {
	t.Parallel()
	e := newIAMEnv(t)
	op := e.operator
	u := e.newUser(t, "ops")
	e.newUser(t, "other")

	err := errOf(u.iam.ListUsers(ctx(t), &iam.ListUsersInput{}))
	wantAPIError(t, err, 403, "AccessDenied")
	if err != nil && !strings.Contains(err.Error(), "is not authorized to perform: iam:ListUsers") {
		t.Errorf("ListUsers refusal: %v, want IAM's message", err)
	}
	wantAPIError(t, errOf(u.iam.CreateUser(ctx(t), &iam.CreateUserInput{UserName: aws.String("mallory")})), 403, "AccessDenied")

	e.putUserPolicy(t, "ops", "list", policyDoc(statement("Allow", "iam:ListUsers", "*")))
	out, err := u.iam.ListUsers(ctx(t), &iam.ListUsersInput{})
	must(t, err, "ListUsers allowed by an identity policy")
	if len(out.Users) != 2 {
		t.Errorf("ListUsers = %d users, want 2", len(out.Users))
	}
	wantAPIError(t, errOf(u.iam.GetUser(ctx(t), &iam.GetUserInput{UserName: aws.String("other")})), 403, "AccessDenied")

	t.Run("own access key only if allowed", func(t *testing.T) {
		wantAPIError(t, errOf(u.iam.CreateAccessKey(ctx(t), &iam.CreateAccessKeyInput{})), 403, "AccessDenied")
		e.putUserPolicy(t, "ops", "ownkeys", policyDoc(statement("Allow", []string{"iam:CreateAccessKey", "iam:ListAccessKeys"},
			"arn:aws:iam::"+e.account+":user/${aws:username}")))
		k, err := u.iam.CreateAccessKey(ctx(t), &iam.CreateAccessKeyInput{})
		must(t, err, "CreateAccessKey for itself")
		if str(k.AccessKey.UserName) != "ops" {
			t.Errorf("CreateAccessKey without UserName made a key for %q, want the caller", str(k.AccessKey.UserName))
		}
		fresh := e.newIAM(str(k.AccessKey.AccessKeyId), str(k.AccessKey.SecretAccessKey))
		keys, err := fresh.ListAccessKeys(ctx(t), &iam.ListAccessKeysInput{})
		must(t, err, "ListAccessKeys with the new key")
		if len(keys.AccessKeyMetadata) != 2 {
			t.Errorf("ListAccessKeys = %+v, want the caller's 2 keys", keys.AccessKeyMetadata)
		}
		wantAPIError(t, errOf(u.iam.CreateAccessKey(ctx(t), &iam.CreateAccessKeyInput{UserName: aws.String("other")})), 403, "AccessDenied")
		wantAPIError(t, errOf(u.iam.ListAccessKeys(ctx(t), &iam.ListAccessKeysInput{UserName: aws.String("other")})), 403, "AccessDenied")
	})

	t.Run("a resource with a path", func(t *testing.T) {
		e.putUserPolicy(t, "ops", "devusers", policyDoc(statement("Allow", "iam:CreateUser", "arn:aws:iam::"+e.account+":user/dev/*")))
		must(t, errOf(u.iam.CreateUser(ctx(t), &iam.CreateUserInput{UserName: aws.String("intern"), Path: aws.String("/dev/")})), "CreateUser under /dev/")
		wantAPIError(t, errOf(u.iam.CreateUser(ctx(t), &iam.CreateUserInput{UserName: aws.String("boss")})), 403, "AccessDenied")
	})

	t.Run("a Deny in the identity policies wins over IAMFullAccess", func(t *testing.T) {
		_, err := op.AttachUserPolicy(ctx(t), &iam.AttachUserPolicyInput{UserName: aws.String("ops"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMFullAccess")})
		must(t, err, "AttachUserPolicy IAMFullAccess")
		must(t, errOf(u.iam.CreateGroup(ctx(t), &iam.CreateGroupInput{GroupName: aws.String("made-by-ops")})), "CreateGroup by ops")
		e.putUserPolicy(t, "ops", "nodelete", policyDoc(statement("Deny", "iam:Delete*", "*")))
		wantAPIError(t, errOf(u.iam.DeleteGroup(ctx(t), &iam.DeleteGroupInput{GroupName: aws.String("made-by-ops")})), 403, "AccessDenied")
	})
}

// --- simulation -------------------------------------------------------------------

func TestIAMSimulate(t *testing.T) {
	t.Parallel()
	e := newIAMEnv(t)
	op := e.operator
	u := e.newUser(t, "sim")
	e.putUserPolicy(t, "sim", "AllowRead", policyDoc(statement("Allow", "s3:GetObject", "arn:aws:s3:::simb/*")))
	e.putUserPolicy(t, "sim", "DenyDelete", policyDoc(statement("Deny", "s3:DeleteObject", "*")))
	_, err := op.CreateGroup(ctx(t), &iam.CreateGroupInput{GroupName: aws.String("listers")})
	must(t, err, "CreateGroup")
	_, err = op.PutGroupPolicy(ctx(t), &iam.PutGroupPolicyInput{GroupName: aws.String("listers"), PolicyName: aws.String("GroupList"),
		PolicyDocument: aws.String(policyDoc(statement("Allow", "s3:ListBucket", "arn:aws:s3:::simb")))})
	must(t, err, "PutGroupPolicy")
	_, err = op.AddUserToGroup(ctx(t), &iam.AddUserToGroupInput{GroupName: aws.String("listers"), UserName: aws.String("sim")})
	must(t, err, "AddUserToGroup")

	// result is one evaluation: "action resource decision [policy/type …]".
	// SimulateCustomPolicy's policies have no SourcePolicyType among
	// those IAM documents, so only their SourcePolicyId is compared.
	result := func(r iamtypes.EvaluationResult, withType bool) string {
		s := str(r.EvalActionName) + " " + str(r.EvalResourceName) + " " + string(r.EvalDecision)
		for _, m := range r.MatchedStatements {
			s += " " + str(m.SourcePolicyId)
			if withType {
				s += "/" + string(m.SourcePolicyType)
			}
		}
		return s
	}
	results := func(rs []iamtypes.EvaluationResult, withType bool) []string {
		var out []string
		for _, r := range rs {
			out = append(out, result(r, withType))
		}
		return out
	}

	t.Run("SimulatePrincipalPolicy of a user", func(t *testing.T) {
		out, err := op.SimulatePrincipalPolicy(ctx(t), &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(u.arn),
			ActionNames:  []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"},
			ResourceArns: []string{"arn:aws:s3:::simb/k"}})
		must(t, err, "SimulatePrincipalPolicy")
		want := []string{
			"s3:GetObject arn:aws:s3:::simb/k allowed AllowRead/user",
			"s3:PutObject arn:aws:s3:::simb/k implicitDeny",
			"s3:DeleteObject arn:aws:s3:::simb/k explicitDeny DenyDelete/user",
		}
		if got := results(out.EvaluationResults, true); !slices.Equal(got, want) {
			t.Errorf("SimulatePrincipalPolicy =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		out, err = op.SimulatePrincipalPolicy(ctx(t), &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(u.arn),
			ActionNames: []string{"s3:ListBucket"}, ResourceArns: []string{"arn:aws:s3:::simb"}})
		must(t, err, "SimulatePrincipalPolicy")
		if got, want := results(out.EvaluationResults, true), []string{"s3:ListBucket arn:aws:s3:::simb allowed GroupList/group"}; !slices.Equal(got, want) {
			t.Errorf("SimulatePrincipalPolicy of a group's permission = %v, want %v", got, want)
		}
		_, err = op.AttachUserPolicy(ctx(t), &iam.AttachUserPolicyInput{UserName: aws.String("sim"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")})
		must(t, err, "AttachUserPolicy")
		out, err = op.SimulatePrincipalPolicy(ctx(t), &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(u.arn),
			ActionNames: []string{"s3:ListAllMyBuckets"}})
		must(t, err, "SimulatePrincipalPolicy")
		if got, want := results(out.EvaluationResults, true), []string{"s3:ListAllMyBuckets * allowed AmazonS3ReadOnlyAccess/aws-managed"}; !slices.Equal(got, want) {
			t.Errorf("SimulatePrincipalPolicy of an attached policy's permission = %v, want %v", got, want)
		}
	})

	t.Run("SimulatePrincipalPolicy of a group", func(t *testing.T) {
		out, err := op.SimulatePrincipalPolicy(ctx(t), &iam.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String("arn:aws:iam::" + e.account + ":group/listers"),
			ActionNames:     []string{"s3:ListBucket", "s3:GetObject"}, ResourceArns: []string{"arn:aws:s3:::simb"}})
		must(t, err, "SimulatePrincipalPolicy")
		decisions := []iamtypes.PolicyEvaluationDecisionType{}
		for _, r := range out.EvaluationResults {
			decisions = append(decisions, r.EvalDecision)
		}
		if want := []iamtypes.PolicyEvaluationDecisionType{"allowed", "implicitDeny"}; !slices.Equal(decisions, want) {
			t.Errorf("group simulation decisions = %v, want %v", decisions, want)
		}
	})

	t.Run("SimulatePrincipalPolicy errors", func(t *testing.T) {
		wantAPIError(t, errOf(op.SimulatePrincipalPolicy(ctx(t), &iam.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String("arn:aws:iam::" + e.account + ":user/nobody"), ActionNames: []string{"s3:GetObject"}})), 404, "NoSuchEntity")
		// The simulated user itself may not simulate without permission.
		wantAPIError(t, errOf(u.iam.SimulatePrincipalPolicy(ctx(t), &iam.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String(u.arn), ActionNames: []string{"s3:GetObject"}})), 403, "AccessDenied")
	})

	allowFromNet := policyDoc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::simb/*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}`)
	custom := func(t *testing.T, policies []string, ip string) []iamtypes.EvaluationResult {
		t.Helper()
		in := &iam.SimulateCustomPolicyInput{PolicyInputList: policies, ActionNames: []string{"s3:GetObject"}, ResourceArns: []string{"arn:aws:s3:::simb/k"}}
		if ip != "" {
			in.ContextEntries = []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:SourceIp"), ContextKeyType: iamtypes.ContextKeyTypeEnumIp, ContextKeyValues: []string{ip}}}
		}
		out, err := op.SimulateCustomPolicy(ctx(t), in)
		must(t, err, "SimulateCustomPolicy")
		return out.EvaluationResults
	}

	t.Run("SimulateCustomPolicy with context entries", func(t *testing.T) {
		tests := []struct {
			name     string
			policies []string
			ip       string
			want     string
		}{
			{"address in the range", []string{allowFromNet}, "203.0.113.9", "s3:GetObject arn:aws:s3:::simb/k allowed PolicyInputList.1"},
			{"address outside the range", []string{allowFromNet}, "198.51.100.1", "s3:GetObject arn:aws:s3:::simb/k implicitDeny"},
			{"a second policy denying", []string{allowFromNet, policyDoc(statement("Deny", "s3:*", "*"))}, "203.0.113.9",
				"s3:GetObject arn:aws:s3:::simb/k explicitDeny PolicyInputList.2"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := results(custom(t, tt.policies, tt.ip), false); !slices.Equal(got, []string{tt.want}) {
					t.Errorf("SimulateCustomPolicy = %v, want [%s]", got, tt.want)
				}
			})
		}
		wantAPIError(t, errOf(op.SimulateCustomPolicy(ctx(t), &iam.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Statement":`},
			ActionNames: []string{"s3:GetObject"}})), 400, "MalformedPolicyDocument")
	})

	t.Run("SimulateCustomPolicy reports missing context keys", func(t *testing.T) {
		// IAM lists the condition keys a policy needed and the request did
		// not supply in MissingContextValues.
		rs := custom(t, []string{allowFromNet}, "")
		if len(rs) != 1 || rs[0].EvalDecision != "implicitDeny" || !slices.Contains(rs[0].MissingContextValues, "aws:SourceIp") {
			t.Errorf("SimulateCustomPolicy without aws:SourceIp = %+v, want implicitDeny with MissingContextValues [aws:SourceIp]", rs)
		}
	})
}
