package iam_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/coffer-project/coffer/internal/iam"
)

// roleNames are the names of roles.
func roleNames(rs []iam.Role) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func TestRoles(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	trust := roleTrust(`{"AWS":"arn:aws:iam::`+testAccountID+`:user/alice"}`, "")
	r, err := e.svc.CreateRole(ctx, testAccountID, "reader", "", "reads reports", trust, 0, []iam.Tag{{Key: "team", Value: "a"}})
	must(t, err)
	if r.Name != "reader" || r.Path != "/" || !strings.HasPrefix(r.ID, "AROA") || len(r.ID) != 21 || r.MaxSession != 3600 ||
		r.Description != "reads reports" || !r.Created.Equal(e.clock.Now()) || !slices.Equal(r.Tags, []iam.Tag{{Key: "team", Value: "a"}}) {
		t.Errorf("CreateRole = %+v, want reader at / with an AROA… ID, an hour's sessions, created now", r)
	}
	if arn := e.svc.RoleARN(testAccountID, &r); arn != roleARN("reader") {
		t.Errorf("RoleARN = %s, want %s", arn, roleARN("reader"))
	}
	_, err = e.svc.CreateRole(ctx, testAccountID, "ops", "/eng/", "", trust, 43200, nil)
	must(t, err)

	got, err := e.svc.GetRole(ctx, testAccountID, "READER")
	if err != nil || got.ID != r.ID {
		t.Fatalf("GetRole(READER) = %+v, %v; want reader (names are case-insensitive)", got, err)
	}
	if got.TrustPolicy != trust {
		t.Errorf("trust policy %s, want %s", got.TrustPolicy, trust)
	}
	_, err = e.svc.GetRole(ctx, testAccountID, "absent")
	wantCode(t, err, iam.CodeNoSuchEntity)

	if all, err := e.svc.ListRoles(ctx, testAccountID, "/"); err != nil || !slices.Equal(roleNames(all), []string{"ops", "reader"}) {
		t.Errorf("ListRoles(/) = %q, %v", roleNames(all), err)
	}
	if eng, err := e.svc.ListRoles(ctx, testAccountID, "/eng/"); err != nil || !slices.Equal(roleNames(eng), []string{"ops"}) {
		t.Errorf("ListRoles(/eng/) = %q, %v", roleNames(eng), err)
	}

	t.Run("UpdateAssumeRolePolicy", func(t *testing.T) {
		bob := roleTrust(`{"AWS":"arn:aws:iam::`+testAccountID+`:user/bob"}`, "")
		must(t, e.svc.UpdateAssumeRolePolicy(ctx, testAccountID, "reader", bob))
		if got, err := e.svc.GetRole(ctx, testAccountID, "reader"); err != nil || got.TrustPolicy != bob {
			t.Errorf("trust policy after the update = %s, %v; want %s", got.TrustPolicy, err, bob)
		}
		wantCode(t, e.svc.UpdateAssumeRolePolicy(ctx, testAccountID, "absent", bob), iam.CodeNoSuchEntity)
		wantCode(t, e.svc.UpdateAssumeRolePolicy(ctx, testAccountID, "reader", allowDoc("s3:GetObject", "*")), iam.CodeMalformedPolicy)
		if got, err := e.svc.GetRole(ctx, testAccountID, "reader"); err != nil || got.TrustPolicy != bob {
			t.Errorf("trust policy after a refused update = %s, %v; want it unchanged", got.TrustPolicy, err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		must(t, e.svc.DeleteRole(ctx, testAccountID, "ops"))
		_, err := e.svc.GetRole(ctx, testAccountID, "ops")
		wantCode(t, err, iam.CodeNoSuchEntity)
		wantCode(t, e.svc.DeleteRole(ctx, testAccountID, "ops"), iam.CodeNoSuchEntity)
	})
}

func TestCreateRoleErrors(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	alice := `{"AWS":"arn:aws:iam::` + testAccountID + `:user/alice"}`
	_, err := e.svc.CreateRole(ctx, testAccountID, "reader", "", "", roleTrust(alice, ""), 0, nil)
	must(t, err)
	tests := []struct {
		name, role, path, trust string
		maxSession              int
		code                    string
	}{
		{"an existing name", "reader", "", roleTrust(alice, ""), 0, iam.CodeEntityExists},
		{"an existing name in another case", "Reader", "/x/", roleTrust(alice, ""), 0, iam.CodeEntityExists},
		{"an empty name", "", "", roleTrust(alice, ""), 0, iam.CodeValidation},
		{"a space in the name", "my role", "", roleTrust(alice, ""), 0, iam.CodeValidation},
		{"a path without a trailing slash", "r1", "/eng", roleTrust(alice, ""), 0, iam.CodeValidation},
		{"sessions under an hour", "r2", "", roleTrust(alice, ""), 3599, iam.CodeValidation},
		{"sessions over 12 hours", "r3", "", roleTrust(alice, ""), 43201, iam.CodeValidation},
		{"a trust policy allowing an S3 action", "r4", "", roleTrust(alice, "", "s3:GetObject"), 0, iam.CodeMalformedPolicy},
		{"a trust policy allowing an STS and an S3 action", "r5", "", roleTrust(alice, "", "sts:AssumeRole", "s3:*"), 0, iam.CodeMalformedPolicy},
		{"a trust policy without a principal", "r6", "", allowDoc("sts:AssumeRole", "*"), 0, iam.CodeMalformedPolicy},
		{"a trust policy that is not JSON", "r7", "", `{"Statement":`, 0, iam.CodeMalformedPolicy},
		{"a trust policy without statements", "r8", "", `{"Version":"2012-10-17","Statement":[]}`, 0, iam.CodeMalformedPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.CreateRole(ctx, testAccountID, tt.role, tt.path, "", tt.trust, tt.maxSession, nil)
			wantCode(t, err, tt.code)
		})
	}

	t.Run("accepted trust policies", func(t *testing.T) {
		tests := []struct{ name, role, trust string }{
			{"without Resource", "r10", roleTrust(alice, "")},
			{"allowing sts:*", "r11", roleTrust(alice, "", "sts:*")},
			{"allowing sts:TagSession too", "r12", roleTrust(alice, "", "sts:AssumeRole", "sts:TagSession")},
			{"URL-encoded", "r13", strings.ReplaceAll(strings.ReplaceAll(roleTrust(alice, ""), "{", "%7B"), "}", "%7D")},
			{"naming an account under a condition", "r14", roleTrust(`{"AWS":"`+testAccountID+`"}`, `{"StringEquals":{"sts:ExternalId":"x"}}`)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r, err := e.svc.CreateRole(ctx, testAccountID, tt.role, "", "", tt.trust, 43200, nil)
				must(t, err)
				if strings.Contains(r.TrustPolicy, "%7B") || r.MaxSession != 43200 {
					t.Errorf("CreateRole = %+v, want the trust policy decoded and 12 hours' sessions", r)
				}
			})
		}
	})

	// A trust policy's resource is the role itself: IAM refuses a
	// Resource element ("Has prohibited field Resource").
	t.Run("a trust policy with Resource", func(t *testing.T) {
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + alice + `,"Action":"sts:AssumeRole","Resource":"*"}]}`
		_, err := e.svc.CreateRole(ctx, testAccountID, "with-resource", "", "", trust, 0, nil)
		if iam.ErrorCode(err) != iam.CodeMalformedPolicy {
			t.Errorf("CreateRole accepts a trust policy with a Resource element (error %v); IAM answers MalformedPolicyDocument \"Has prohibited field Resource\"", err)
		}
	})
}

func TestRolePolicies(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.svc.CreateRole(ctx, testAccountID, "reader", "", "", roleTrust(`{"AWS":"`+testAccountID+`"}`, ""), 0, nil)
	must(t, err)

	t.Run("inline", func(t *testing.T) {
		doc := allowDoc("s3:GetObject", "arn:aws:s3:::reports/*")
		must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindRole, "reader", "reports", doc))
		must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindRole, "reader", "archive", allowDoc("s3:GetObject", "arn:aws:s3:::archive/*")))
		if got, err := e.svc.GetInlinePolicy(ctx, testAccountID, iam.KindRole, "reader", "reports"); err != nil || got != doc {
			t.Errorf("GetInlinePolicy = %s, %v; want %s", got, err, doc)
		}
		if names, err := e.svc.ListInlinePolicies(ctx, testAccountID, iam.KindRole, "reader"); err != nil || !slices.Equal(names, []string{"archive", "reports"}) {
			t.Errorf("ListInlinePolicies = %q, %v", names, err)
		}
		_, err := e.svc.GetInlinePolicy(ctx, testAccountID, iam.KindRole, "reader", "absent")
		wantCode(t, err, iam.CodeNoSuchEntity)
		wantCode(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindRole, "absent", "p", doc), iam.CodeNoSuchEntity)
		wantCode(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindRole, "reader", "bad",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`), iam.CodeMalformedPolicy)
		// Roles hold 10,240 characters of inline policies, users 2,048.
		must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindRole, "reader", "big", docOfSize(iam.MaxRoleInlineSize-600)))
		wantCode(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindRole, "reader", "bigger", docOfSize(1000)), iam.CodeLimitExceeded)
		must(t, e.svc.DeleteInlinePolicy(ctx, testAccountID, iam.KindRole, "reader", "big"))
		wantCode(t, e.svc.DeleteInlinePolicy(ctx, testAccountID, iam.KindRole, "reader", "big"), iam.CodeNoSuchEntity)
	})

	t.Run("attached", func(t *testing.T) {
		mp, err := e.svc.CreatePolicy(ctx, testAccountID, "writers", "", "", allowDoc("s3:PutObject", "*"))
		must(t, err)
		must(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindRole, "reader", readOnlyARN))
		must(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindRole, "reader", mp.ARN))
		must(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindRole, "reader", mp.ARN)) // again: no change
		ps, err := e.svc.ListAttachedPolicies(ctx, testAccountID, iam.KindRole, "reader", "")
		if want := []iam.AttachedPolicy{{Name: "AmazonS3ReadOnlyAccess", ARN: readOnlyARN}, {Name: "writers", ARN: mp.ARN}}; err != nil || !slices.Equal(ps, want) {
			t.Errorf("ListAttachedPolicies = %+v, %v; want %+v", ps, err, want)
		}
		if info, err := e.svc.GetPolicy(ctx, testAccountID, mp.ARN); err != nil || info.AttachmentCount != 1 {
			t.Errorf("GetPolicy(writers) = %+v, %v; want one attachment", info, err)
		}
		if ents, err := e.svc.ListEntitiesForPolicy(ctx, testAccountID, mp.ARN); err != nil || !slices.Equal(roleNames(ents.Roles), []string{"reader"}) {
			t.Errorf("ListEntitiesForPolicy(writers) roles = %q, %v; want reader", roleNames(ents.Roles), err)
		}
		wantCode(t, e.svc.DeletePolicy(ctx, testAccountID, mp.ARN), iam.CodeDeleteConflict)
		wantCode(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindRole, "reader", "arn:aws:iam::aws:policy/NoSuchPolicy"), iam.CodeNoSuchEntity)
		wantCode(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindRole, "absent", readOnlyARN), iam.CodeNoSuchEntity)
		must(t, e.svc.DetachPolicy(ctx, testAccountID, iam.KindRole, "reader", mp.ARN))
		wantCode(t, e.svc.DetachPolicy(ctx, testAccountID, iam.KindRole, "reader", mp.ARN), iam.CodeNoSuchEntity)
		must(t, e.svc.DeletePolicy(ctx, testAccountID, mp.ARN))
	})

	t.Run("DeleteRole while policies remain", func(t *testing.T) {
		wantCode(t, e.svc.DeleteRole(ctx, testAccountID, "reader"), iam.CodeDeleteConflict) // inline and attached
		for _, name := range []string{"archive", "reports"} {
			must(t, e.svc.DeleteInlinePolicy(ctx, testAccountID, iam.KindRole, "reader", name))
		}
		wantCode(t, e.svc.DeleteRole(ctx, testAccountID, "reader"), iam.CodeDeleteConflict) // attached
		must(t, e.svc.DetachPolicy(ctx, testAccountID, iam.KindRole, "reader", readOnlyARN))
		must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindRole, "reader", "last", allowDoc("s3:GetObject", "*")))
		wantCode(t, e.svc.DeleteRole(ctx, testAccountID, "reader"), iam.CodeDeleteConflict) // inline
		must(t, e.svc.DeleteInlinePolicy(ctx, testAccountID, iam.KindRole, "reader", "last"))
		must(t, e.svc.DeleteRole(ctx, testAccountID, "reader"))
	})
}
