package iam_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/iam"
	"github.com/coffer-project/coffer/internal/policy"
)

const readOnlyARN = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"

// docOfSize is an identity policy of exactly n characters once whitespace
// is removed (how IAM measures a policy), with as many spaces again.
func docOfSize(n int) string {
	head := `{"Version": "2012-10-17", "Statement": [{"Sid": "`
	tail := `", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}`
	fixed := len(strings.ReplaceAll(head+tail, " ", ""))
	return head + strings.Repeat("A", n-fixed) + tail + strings.Repeat(" ", n)
}

func TestInlinePolicies(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.svc.CreateUser(ctx, testAccountID, "alice", "", nil)
	must(t, err)
	_, err = e.svc.CreateGroup(ctx, testAccountID, "devs", "")
	must(t, err)

	get := allowDoc("s3:GetObject", "*")
	put := allowDoc("s3:PutObject", "*")
	must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "b", get))
	must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "a", get))
	must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "b", put)) // replaces
	if names, err := e.svc.ListInlinePolicies(ctx, testAccountID, iam.KindUser, "alice"); err != nil || !slices.Equal(names, []string{"a", "b"}) {
		t.Errorf("ListInlinePolicies = %q, %v; want a, b", names, err)
	}
	if doc, err := e.svc.GetInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "b"); err != nil || doc != put {
		t.Errorf("GetInlinePolicy(b) = %q, %v; want the replacement %q", doc, err, put)
	}

	// The AWS CLI sends documents URL-encoded; they are stored decoded.
	must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindGroup, "devs", "enc", url.QueryEscape(get)))
	if doc, err := e.svc.GetInlinePolicy(ctx, testAccountID, iam.KindGroup, "devs", "enc"); err != nil || doc != get {
		t.Errorf("GetInlinePolicy(enc) = %q, %v; want %q", doc, err, get)
	}

	_, err = e.svc.GetInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "none")
	wantCode(t, err, iam.CodeNoSuchEntity)
	wantCode(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindUser, "nobody", "p", get), iam.CodeNoSuchEntity)
	wantCode(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindGroup, "nogroup", "p", get), iam.CodeNoSuchEntity)
	wantCode(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "bad name", get), iam.CodeValidation)
	_, err = e.svc.ListInlinePolicies(ctx, testAccountID, iam.KindUser, "nobody")
	wantCode(t, err, iam.CodeNoSuchEntity)

	must(t, e.svc.DeleteInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "a"))
	wantCode(t, e.svc.DeleteInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "a"), iam.CodeNoSuchEntity)
	if names, err := e.svc.ListInlinePolicies(ctx, testAccountID, iam.KindUser, "alice"); err != nil || !slices.Equal(names, []string{"b"}) {
		t.Errorf("ListInlinePolicies after delete = %q, %v; want b", names, err)
	}
}

func TestMalformedPolicies(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.svc.CreateUser(ctx, testAccountID, "alice", "", nil)
	must(t, err)
	tests := []struct{ name, doc string }{
		{"principal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`},
		{"not JSON", `{"Version":"2012-10-17","Statement":[`},
		{"empty", ``},
		{"unknown condition operator", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringLooksLike":{"aws:username":"a"}}}]}`},
		{"no statement", `{"Version":"2012-10-17"}`},
		{"bad effect", `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:GetObject","Resource":"*"}]}`},
		{"bad version", `{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "p", tt.doc), iam.CodeMalformedPolicy)
			_, err := e.svc.CreatePolicy(ctx, testAccountID, "p", "", "", tt.doc)
			wantCode(t, err, iam.CodeMalformedPolicy)
		})
	}
	if names, err := e.svc.ListInlinePolicies(ctx, testAccountID, iam.KindUser, "alice"); err != nil || len(names) != 0 {
		t.Errorf("inline policies after refused puts = %q, %v; want none", names, err)
	}
}

func TestInlinePolicySizeLimits(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.svc.CreateUser(ctx, testAccountID, "alice", "", nil)
	must(t, err)
	_, err = e.svc.CreateGroup(ctx, testAccountID, "devs", "")
	must(t, err)
	tests := []struct {
		name, kind, owner string
		size              int
		code              string
	}{
		{"user at the limit", iam.KindUser, "alice", iam.MaxUserInlineSize, ""},
		{"user over the limit", iam.KindUser, "alice", iam.MaxUserInlineSize + 1, iam.CodeLimitExceeded},
		{"group over the user limit", iam.KindGroup, "devs", iam.MaxUserInlineSize + 1, ""},
		{"group at the limit", iam.KindGroup, "devs", iam.MaxGroupInlineSize, ""},
		{"group over the limit", iam.KindGroup, "devs", iam.MaxGroupInlineSize + 1, iam.CodeLimitExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, e.svc.PutInlinePolicy(ctx, testAccountID, tt.kind, tt.owner, "p", docOfSize(tt.size)), tt.code)
		})
	}
	_, err = e.svc.CreatePolicy(ctx, testAccountID, "big", "", "", docOfSize(iam.MaxManagedPolicySize+1))
	wantCode(t, err, iam.CodeLimitExceeded)
	_, err = e.svc.CreatePolicy(ctx, testAccountID, "big", "", "", docOfSize(iam.MaxManagedPolicySize))
	wantCode(t, err, "")
}

// TestInlinePolicySizeIsPerEntity: IAM's inline limits bound the sum of
// an entity's inline policies (2,048 characters for a user, 5,120 for a
// group), not each policy alone.
func TestInlinePolicySizeIsPerEntity(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.svc.CreateUser(ctx, testAccountID, "alice", "", nil)
	must(t, err)
	half := docOfSize(iam.MaxUserInlineSize/2 + 100)
	must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "one", half))
	// Replacing a policy counts its new size only.
	must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "one", half))
	err = e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "two", half)
	if iam.ErrorCode(err) != iam.CodeLimitExceeded {
		t.Errorf("a second %d-character inline policy brings alice to %d characters: PutInlinePolicy = %v, want LimitExceeded (the limit is on the sum over the user)",
			iam.MaxUserInlineSize/2+100, iam.MaxUserInlineSize+200, err)
	}
}

func TestManagedPolicyVersions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	info, err := e.svc.CreatePolicy(ctx, testAccountID, "readers", "/team/", "read things", allowDoc("s3:GetObject", "*"))
	must(t, err)
	arn := "arn:aws:iam::" + testAccountID + ":policy/team/readers"
	if info.ARN != arn || info.DefaultVersion != "v1" || !strings.HasPrefix(info.ID, "ANPA") || info.AWSManaged || info.Description != "read things" {
		t.Fatalf("CreatePolicy = %+v", info)
	}
	_, err = e.svc.CreatePolicy(ctx, testAccountID, "readers", "/", "", allowDoc("s3:GetObject", "*"))
	wantCode(t, err, iam.CodeEntityExists)
	_, err = e.svc.GetPolicy(ctx, testAccountID, "arn:aws:iam::"+testAccountID+":policy/readers") // wrong path
	wantCode(t, err, iam.CodeNoSuchEntity)

	for i := 2; i <= iam.MaxPolicyVersions; i++ {
		v, err := e.svc.CreatePolicyVersion(ctx, testAccountID, arn, allowDoc("s3:PutObject", "*"), false)
		must(t, err)
		if want := "v" + string(rune('0'+i)); v.ID != want {
			t.Errorf("version %d has ID %q, want %q", i, v.ID, want)
		}
	}
	_, err = e.svc.CreatePolicyVersion(ctx, testAccountID, arn, allowDoc("s3:PutObject", "*"), false)
	wantCode(t, err, iam.CodeLimitExceeded)
	versions, def, err := e.svc.ListPolicyVersions(ctx, testAccountID, arn)
	if err != nil || len(versions) != iam.MaxPolicyVersions || versions[0].ID != "v5" || def != "v1" {
		t.Fatalf("ListPolicyVersions = %+v, %q, %v; want v5…v1 newest first, default v1", versions, def, err)
	}

	must(t, e.svc.SetDefaultPolicyVersion(ctx, testAccountID, arn, "v3"))
	if info, err := e.svc.GetPolicy(ctx, testAccountID, arn); err != nil || info.DefaultVersion != "v3" {
		t.Errorf("GetPolicy after SetDefault = %+v, %v; want default v3", info, err)
	}
	if v, isDefault, err := e.svc.GetPolicyVersion(ctx, testAccountID, arn, "v3"); err != nil || !isDefault || v.Document != allowDoc("s3:PutObject", "*") {
		t.Errorf("GetPolicyVersion(v3) = %+v, %v, %v; want the default", v, isDefault, err)
	}
	if _, isDefault, err := e.svc.GetPolicyVersion(ctx, testAccountID, arn, "v1"); err != nil || isDefault {
		t.Errorf("GetPolicyVersion(v1) default = %v, %v; want false", isDefault, err)
	}
	wantCode(t, e.svc.SetDefaultPolicyVersion(ctx, testAccountID, arn, "v9"), iam.CodeNoSuchEntity)
	wantCode(t, e.svc.DeletePolicyVersion(ctx, testAccountID, arn, "v3"), iam.CodeDeleteConflict)

	must(t, e.svc.DeletePolicyVersion(ctx, testAccountID, arn, "v2"))
	wantCode(t, e.svc.DeletePolicyVersion(ctx, testAccountID, arn, "v2"), iam.CodeNoSuchEntity)
	_, _, err = e.svc.GetPolicyVersion(ctx, testAccountID, arn, "v2")
	wantCode(t, err, iam.CodeNoSuchEntity)
	// Version IDs are not reused.
	if v, err := e.svc.CreatePolicyVersion(ctx, testAccountID, arn, allowDoc("s3:ListBucket", "*"), true); err != nil || v.ID != "v6" {
		t.Errorf("version after deleting v2 = %+v, %v; want v6", v, err)
	}
	if info, err := e.svc.GetPolicy(ctx, testAccountID, arn); err != nil || info.DefaultVersion != "v6" {
		t.Errorf("default after CreatePolicyVersion(setDefault) = %+v, %v; want v6", info, err)
	}
}

func TestDeletePolicy(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.svc.CreateUser(ctx, testAccountID, "alice", "", nil)
	must(t, err)
	_, err = e.svc.CreateGroup(ctx, testAccountID, "devs", "")
	must(t, err)
	info, err := e.svc.CreatePolicy(ctx, testAccountID, "p", "", "", allowDoc("s3:GetObject", "*"))
	must(t, err)
	arn := info.ARN

	must(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindUser, "alice", arn))
	must(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindGroup, "devs", arn))
	if info, err := e.svc.GetPolicy(ctx, testAccountID, arn); err != nil || info.AttachmentCount != 2 {
		t.Errorf("AttachmentCount = %d, %v; want 2", info.AttachmentCount, err)
	}
	ents, err := e.svc.ListEntitiesForPolicy(ctx, testAccountID, arn)
	if err != nil || len(ents.Users) != 1 || ents.Users[0].Name != "alice" || len(ents.Groups) != 1 || ents.Groups[0].Name != "devs" {
		t.Errorf("ListEntitiesForPolicy = %+v, %v", ents, err)
	}
	wantCode(t, e.svc.DeletePolicy(ctx, testAccountID, arn), iam.CodeDeleteConflict)
	must(t, e.svc.DetachPolicy(ctx, testAccountID, iam.KindUser, "alice", arn))
	wantCode(t, e.svc.DetachPolicy(ctx, testAccountID, iam.KindUser, "alice", arn), iam.CodeNoSuchEntity)
	wantCode(t, e.svc.DeletePolicy(ctx, testAccountID, arn), iam.CodeDeleteConflict)
	must(t, e.svc.DetachPolicy(ctx, testAccountID, iam.KindGroup, "devs", arn))

	_, err = e.svc.CreatePolicyVersion(ctx, testAccountID, arn, allowDoc("s3:PutObject", "*"), false)
	must(t, err)
	wantCode(t, e.svc.DeletePolicy(ctx, testAccountID, arn), iam.CodeDeleteConflict)
	must(t, e.svc.DeletePolicyVersion(ctx, testAccountID, arn, "v2"))

	must(t, e.svc.DeletePolicy(ctx, testAccountID, arn))
	_, err = e.svc.GetPolicy(ctx, testAccountID, arn)
	wantCode(t, err, iam.CodeNoSuchEntity)
	wantCode(t, e.svc.DeletePolicy(ctx, testAccountID, arn), iam.CodeNoSuchEntity)
	wantCode(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindUser, "alice", arn), iam.CodeNoSuchEntity)
}

func TestAWSManagedPolicies(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.svc.CreateUser(ctx, testAccountID, "alice", "", nil)
	must(t, err)
	must(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindUser, "alice", readOnlyARN))
	must(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindUser, "alice", readOnlyARN)) // again: no change
	attached, err := e.svc.ListAttachedPolicies(ctx, testAccountID, iam.KindUser, "alice", "")
	if err != nil || len(attached) != 1 || attached[0] != (iam.AttachedPolicy{Name: "AmazonS3ReadOnlyAccess", ARN: readOnlyARN}) {
		t.Errorf("ListAttachedPolicies = %+v, %v", attached, err)
	}
	info, err := e.svc.GetPolicy(ctx, testAccountID, readOnlyARN)
	if err != nil || !info.AWSManaged || info.ARN != readOnlyARN || info.AttachmentCount != 1 || info.DefaultVersion != "v1" {
		t.Errorf("GetPolicy(AmazonS3ReadOnlyAccess) = %+v, %v", info, err)
	}
	if ps, err := e.svc.ListPolicies(ctx, testAccountID, "AWS", "", true); err != nil || len(ps) != 1 || ps[0].ARN != readOnlyARN {
		t.Errorf("ListPolicies(AWS, only attached) = %+v, %v", ps, err)
	}
	if ps, err := e.svc.ListPolicies(ctx, testAccountID, "Local", "", false); err != nil || len(ps) != 0 {
		t.Errorf("ListPolicies(Local) = %+v, %v; want none", ps, err)
	}
	if err := e.svc.DeletePolicy(ctx, testAccountID, readOnlyARN); err == nil {
		t.Error("DeletePolicy of an AWS managed policy succeeded")
	}
	if _, err := e.svc.CreatePolicyVersion(ctx, testAccountID, readOnlyARN, allowDoc("s3:*", "*"), true); err == nil {
		t.Error("CreatePolicyVersion of an AWS managed policy succeeded")
	}
	wantCode(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindUser, "alice", "arn:aws:iam::aws:policy/NoSuchPolicy"), iam.CodeNoSuchEntity)
	wantCode(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindUser, "alice", "arn:aws:iam::444455556666:policy/theirs"), iam.CodeNoSuchEntity)
}

func TestAttachedPoliciesLimit(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.svc.CreateUser(ctx, testAccountID, "alice", "", nil)
	must(t, err)
	for i := range iam.MaxAttachedPolicies + 1 {
		info, err := e.svc.CreatePolicy(ctx, testAccountID, "p"+string(rune('a'+i)), "", "", allowDoc("s3:GetObject", "*"))
		must(t, err)
		err = e.svc.AttachPolicy(ctx, testAccountID, iam.KindUser, "alice", info.ARN)
		if i < iam.MaxAttachedPolicies {
			must(t, err)
		} else {
			wantCode(t, err, iam.CodeLimitExceeded)
		}
	}
}

// evaluate decides one request of principal p with its identity policies.
func evaluate(t *testing.T, svc *iam.Service, p auth.Principal, action, resource string) policy.Outcome {
	t.Helper()
	ps, err := svc.IdentityPolicies(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	req := policy.Request{
		Principal: policy.Principal{Type: policy.PrincipalUser, Account: p.AccountID, ARN: p.ARN, Username: p.UserName, UserID: p.UserID},
		Action:    action, Resource: resource,
	}
	return policy.Evaluate(req, policy.Set{Kind: policy.KindIdentity, Policies: ps}).Outcome
}

// identityFixture is user alice in group devs, with a policy from each
// source: user inline (GetObject on b/home/*), user attached (PutObject on
// b/*), group inline (Deny DeleteObject), group attached
// (AmazonS3ReadOnlyAccess). It returns alice's principal.
func identityFixture(t *testing.T, e *env) auth.Principal {
	t.Helper()
	ctx := context.Background()
	_, err := e.svc.CreateUser(ctx, testAccountID, "alice", "", nil)
	must(t, err)
	_, err = e.svc.CreateGroup(ctx, testAccountID, "devs", "")
	must(t, err)
	must(t, e.svc.AddUserToGroup(ctx, testAccountID, "devs", "alice"))
	must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "home", allowDoc("s3:GetObject", "arn:aws:s3:::b/home/*")))
	mp, err := e.svc.CreatePolicy(ctx, testAccountID, "writers", "", "", allowDoc("s3:PutObject", "arn:aws:s3:::b/*"))
	must(t, err)
	must(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindUser, "alice", mp.ARN))
	must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindGroup, "devs", "nodelete",
		`{"Version":"2012-10-17","Statement":[{"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`))
	must(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindGroup, "devs", readOnlyARN))
	info, _, err := e.svc.CreateAccessKey(ctx, testAccountID, "alice")
	must(t, err)
	cred, err := e.creds.Lookup(ctx, info.AccessKeyID)
	must(t, err)
	return cred.Principal
}

func TestIdentityPolicies(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	alice := identityFixture(t, e)
	ps, err := e.svc.IdentityPolicies(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	if want := []string{"home", "writers", "nodelete", "AmazonS3ReadOnlyAccess"}; !slices.Equal(names, want) {
		t.Fatalf("IdentityPolicies = %q, want %q (user inline, user attached, group inline, group attached)", names, want)
	}
	tests := []struct {
		action, resource string
		want             policy.Outcome
	}{
		{"s3:GetObject", "arn:aws:s3:::b/home/x", policy.Allowed},     // user inline (and read-only)
		{"s3:PutObject", "arn:aws:s3:::b/x", policy.Allowed},          // user attached
		{"s3:PutObject", "arn:aws:s3:::other/x", policy.ImplicitDeny}, // outside every Allow
		{"s3:DeleteObject", "arn:aws:s3:::b/x", policy.ExplicitDeny},  // group inline Deny
		{"s3:ListBucket", "arn:aws:s3:::other", policy.Allowed},       // group attached, AWS managed
		{"s3:CreateBucket", "arn:aws:s3:::new", policy.ImplicitDeny},  // nothing allows
		{"iam:CreateUser", "arn:aws:iam::111122223333:user/x", policy.ImplicitDeny},
	}
	for _, tt := range tests {
		if got := evaluate(t, e.svc, alice, tt.action, tt.resource); got != tt.want {
			t.Errorf("%s on %s: %v, want %v", tt.action, tt.resource, got, tt.want)
		}
	}

	// Anonymous callers and unknown users have none.
	if ps, err := e.svc.IdentityPolicies(ctx, auth.Principal{Anonymous: true}); err != nil || ps != nil {
		t.Errorf("IdentityPolicies(anonymous) = %v, %v", ps, err)
	}
	ghost := alice
	ghost.UserName, ghost.UserID = "ghost", "AIDAGHOST"
	if ps, err := e.svc.IdentityPolicies(ctx, ghost); err != nil || ps != nil {
		t.Errorf("IdentityPolicies(unknown user) = %v, %v", ps, err)
	}
}

// TestIdentityPoliciesFollowChanges: a change made through the Service is
// in effect for the next request, whatever the revision check interval.
func TestIdentityPoliciesFollowChanges(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.svc.RevisionCheck = time.Hour
	alice := identityFixture(t, e)
	count := func() int {
		t.Helper()
		ps, err := e.svc.IdentityPolicies(ctx, alice)
		must(t, err)
		return len(ps)
	}
	if n := count(); n != 4 {
		t.Fatalf("%d policies, want 4", n)
	}
	must(t, e.svc.DeleteInlinePolicy(ctx, testAccountID, iam.KindGroup, "devs", "nodelete"))
	if n := count(); n != 3 {
		t.Errorf("after deleting the group's inline policy: %d policies, want 3", n)
	}
	if got := evaluate(t, e.svc, alice, "s3:DeleteObject", "arn:aws:s3:::b/x"); got != policy.ImplicitDeny {
		t.Errorf("DeleteObject after the Deny was removed: %v, want ImplicitDeny", got)
	}
	must(t, e.svc.RemoveUserFromGroup(ctx, testAccountID, "devs", "alice"))
	if n := count(); n != 2 {
		t.Errorf("after leaving the group: %d policies, want 2", n)
	}
	if got := evaluate(t, e.svc, alice, "s3:ListBucket", "arn:aws:s3:::other"); got != policy.ImplicitDeny {
		t.Errorf("ListBucket after leaving the group: %v, want ImplicitDeny", got)
	}

	// Attached policies act through their default version.
	arn := "arn:aws:iam::" + testAccountID + ":policy/writers"
	_, err := e.svc.CreatePolicyVersion(ctx, testAccountID, arn, allowDoc("s3:DeleteObject", "arn:aws:s3:::b/*"), false)
	must(t, err)
	if got := evaluate(t, e.svc, alice, "s3:DeleteObject", "arn:aws:s3:::b/x"); got != policy.ImplicitDeny {
		t.Errorf("a non-default version is in effect: DeleteObject %v", got)
	}
	must(t, e.svc.SetDefaultPolicyVersion(ctx, testAccountID, arn, "v2"))
	if got := evaluate(t, e.svc, alice, "s3:DeleteObject", "arn:aws:s3:::b/x"); got != policy.Allowed {
		t.Errorf("DeleteObject after v2 became default: %v, want Allowed", got)
	}
	if got := evaluate(t, e.svc, alice, "s3:PutObject", "arn:aws:s3:::b/x"); got != policy.ImplicitDeny {
		t.Errorf("PutObject after v1 stopped being default: %v, want ImplicitDeny", got)
	}
}

// TestSecondServiceSeesChangesAfterRevisionCheck: another Service over the
// same store (another server process) trusts its snapshot for
// RevisionCheck, then reads the change.
func TestSecondServiceSeesChangesAfterRevisionCheck(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	alice := identityFixture(t, e)
	other := e.service(t, 10*time.Second)
	otherCreds := &iam.Credentials{IAM: other}
	if ps, err := other.IdentityPolicies(ctx, alice); err != nil || len(ps) != 4 {
		t.Fatalf("second service: %d policies, %v; want 4", len(ps), err)
	}
	if _, err := otherCreds.Lookup(ctx, alice.AccessKeyID); err != nil {
		t.Fatal(err)
	}

	must(t, e.svc.DetachPolicy(ctx, testAccountID, iam.KindGroup, "devs", readOnlyARN))
	must(t, e.svc.UpdateAccessKey(ctx, testAccountID, "alice", alice.AccessKeyID, iam.StatusInactive))
	e.clock.Advance(5 * time.Second)
	if ps, err := other.IdentityPolicies(ctx, alice); err != nil || len(ps) != 4 {
		t.Errorf("within RevisionCheck: %d policies, %v; want the cached 4", len(ps), err)
	}

	e.clock.Advance(6 * time.Second)
	if ps, err := other.IdentityPolicies(ctx, alice); err != nil || len(ps) != 3 {
		t.Errorf("after RevisionCheck: %d policies, %v; want 3", len(ps), err)
	}
	if got := evaluate(t, other, alice, "s3:ListBucket", "arn:aws:s3:::other"); got != policy.ImplicitDeny {
		t.Errorf("ListBucket after the detach: %v, want ImplicitDeny", got)
	}
	if _, err := otherCreds.Lookup(ctx, alice.AccessKeyID); !errors.Is(err, auth.ErrInvalidAccessKeyID) {
		t.Errorf("the second service looking up the deactivated key: %v, want ErrInvalidAccessKeyID", err)
	}
}

// TestIdentityPoliciesOfRecreatedUser: a principal looked up before its
// user was deleted gets no permissions from a new user of the same name,
// as IdentityPolicies promises.
func TestIdentityPoliciesOfRecreatedUser(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.svc.CreateUser(ctx, testAccountID, "alice", "", nil)
	must(t, err)
	info, _, err := e.svc.CreateAccessKey(ctx, testAccountID, "alice")
	must(t, err)
	old, err := e.creds.Lookup(ctx, info.AccessKeyID)
	must(t, err)
	must(t, e.svc.DeleteAccessKey(ctx, testAccountID, "alice", info.AccessKeyID))
	must(t, e.svc.DeleteUser(ctx, testAccountID, "alice"))

	_, err = e.svc.CreateUser(ctx, testAccountID, "alice", "", nil)
	must(t, err)
	must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "all", allowDoc("s3:*", "*")))
	info, _, err = e.svc.CreateAccessKey(ctx, testAccountID, "alice")
	must(t, err)
	cur, err := e.creds.Lookup(ctx, info.AccessKeyID)
	must(t, err)
	if cur.Principal.UserID == old.Principal.UserID {
		t.Fatal("the new alice has the old one's user ID")
	}

	if ps, err := e.svc.IdentityPolicies(ctx, cur.Principal); err != nil || len(ps) != 1 {
		t.Fatalf("new alice: %d policies, %v; want 1", len(ps), err)
	}
	ps, err := e.svc.IdentityPolicies(ctx, old.Principal)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 0 {
		t.Errorf("the deleted alice (%s) gets the new alice's %d policies", old.Principal.UserID, len(ps))
	}
}
