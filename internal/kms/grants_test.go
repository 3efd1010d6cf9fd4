package kms

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/coffer-project/coffer/internal/policy"
)

// storageServer is the identity a storage server uses: a user of the
// account with no policy of its own, so only grants let it use keys.
var storageServerARN = "arn:aws:iam::" + account + ":user/storage"

func storageServer() policy.Principal { return user(account, "storage") }

func (f *fixture) grant(t *testing.T, in CreateGrantInput) CreateGrantOutput {
	t.Helper()
	out, err := f.s.CreateGrant(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// use asks Authorize for action on key by caller with context ec.
func (f *fixture) use(caller policy.Principal, key, action string, ec map[string]string) error {
	_, err := f.s.Authorize(context.Background(), AuthRequest{Caller: caller, Action: action, KeyID: key, EncryptionContext: ec})
	return err
}

func TestGrantConstraints(t *testing.T) {
	f := newFixture(t)
	subsetKey := f.createKey(t)
	equalsKey := f.createKey(t)
	plainKey := f.createKey(t)
	subset := f.grant(t, CreateGrantInput{KeyID: subsetKey.KeyID, GranteePrincipal: storageServerARN,
		Operations:  []string{GrantDecrypt, GrantGenerateDataKey, GrantDescribeKey},
		Constraints: &GrantConstraints{EncryptionContextSubset: map[string]string{"aws:s3:arn": "arn:aws:s3:::photos"}}})
	f.grant(t, CreateGrantInput{KeyID: equalsKey.KeyID, GranteePrincipal: storageServerARN, Operations: []string{GrantDecrypt},
		Constraints: &GrantConstraints{EncryptionContextEquals: map[string]string{"aws:s3:arn": "arn:aws:s3:::photos", "tenant": "a"}}})
	f.grant(t, CreateGrantInput{KeyID: plainKey.KeyID, GranteePrincipal: storageServerARN, Operations: []string{GrantEncrypt}})

	photos := map[string]string{"aws:s3:arn": "arn:aws:s3:::photos"}
	tests := []struct {
		name    string
		key     string
		caller  policy.Principal
		action  string
		ec      map[string]string
		allowed bool
	}{
		{"subset: exactly the constraint", subsetKey.KeyID, storageServer(), "kms:Decrypt", photos, true},
		{"subset: the constraint and more", subsetKey.KeyID, storageServer(), "kms:GenerateDataKey",
			map[string]string{"aws:s3:arn": "arn:aws:s3:::photos", "x": "y"}, true},
		{"subset: key case differs (keys are case-insensitive)", subsetKey.KeyID, storageServer(), "kms:Decrypt",
			map[string]string{"AWS:S3:ARN": "arn:aws:s3:::photos"}, true},
		{"subset: value case differs", subsetKey.KeyID, storageServer(), "kms:Decrypt", map[string]string{"aws:s3:arn": "arn:aws:s3:::PHOTOS"}, false},
		{"subset: other bucket", subsetKey.KeyID, storageServer(), "kms:Decrypt", map[string]string{"aws:s3:arn": "arn:aws:s3:::secrets"}, false},
		{"subset: no context", subsetKey.KeyID, storageServer(), "kms:Decrypt", nil, false},
		{"subset: operation not granted", subsetKey.KeyID, storageServer(), "kms:Encrypt", photos, false},
		{"subset: DescribeKey ignores constraints", subsetKey.KeyID, storageServer(), "kms:DescribeKey", nil, true},
		{"subset: another principal", subsetKey.KeyID, user(account, "eve"), "kms:Decrypt", photos, false},
		{"equals: same pairs", equalsKey.KeyID, storageServer(), "kms:Decrypt", map[string]string{"tenant": "a", "aws:s3:arn": "arn:aws:s3:::photos"}, true},
		{"equals: a pair missing", equalsKey.KeyID, storageServer(), "kms:Decrypt", photos, false},
		{"equals: an extra pair", equalsKey.KeyID, storageServer(), "kms:Decrypt",
			map[string]string{"tenant": "a", "aws:s3:arn": "arn:aws:s3:::photos", "x": "y"}, false},
		{"equals: other value", equalsKey.KeyID, storageServer(), "kms:Decrypt", map[string]string{"tenant": "b", "aws:s3:arn": "arn:aws:s3:::photos"}, false},
		{"unconstrained grant, any context", plainKey.KeyID, storageServer(), "kms:Encrypt", map[string]string{"a": "b"}, true},
		{"no grant for the key", plainKey.KeyID, storageServer(), "kms:Decrypt", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := f.s.Authorize(context.Background(), AuthRequest{Caller: tt.caller, Action: tt.action, KeyID: tt.key, EncryptionContext: tt.ec})
			if tt.allowed {
				wantErr(t, err, nil)
				if !d.Allowed || d.GrantID == "" {
					t.Fatalf("decision = %+v", d)
				}
				return
			}
			wantErr(t, err, ErrAccessDenied)
		})
	}

	// A grant does not override an explicit deny.
	const denyAll = `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
		{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}]}`
	wantErr(t, f.s.PutKeyPolicy(context.Background(), PutKeyPolicyInput{KeyID: subsetKey.KeyID, Policy: denyAll, Caller: rootOf(account)}), nil)
	wantErr(t, f.use(storageServer(), subsetKey.KeyID, "kms:Decrypt", photos), ErrAccessDenied)

	// The grant token is accepted by Authorize.
	_, err := f.s.Authorize(context.Background(), AuthRequest{Caller: storageServer(), Action: "kms:DescribeKey", KeyID: subsetKey.KeyID,
		GrantTokens: []string{subset.GrantToken}})
	wantErr(t, err, nil)
}

func TestGrantToAccountAndRole(t *testing.T) {
	f := newFixture(t)
	m := f.createKey(t)
	role := policy.Principal{Type: policy.PrincipalAssumedRole, Account: account, ARN: "arn:aws:sts::111122223333:assumed-role/ingest/session-1"}
	f.grant(t, CreateGrantInput{KeyID: m.KeyID, GranteePrincipal: "arn:aws:iam::111122223333:role/ingest", Operations: []string{GrantEncrypt}})
	wantErr(t, f.use(role, m.KeyID, "kms:Encrypt", nil), nil)

	other := f.createKey(t)
	f.grant(t, CreateGrantInput{KeyID: other.KeyID, GranteePrincipal: "arn:aws:iam::444455556666:root", Operations: []string{GrantDecrypt}})
	partner := user("444455556666", "p")
	wantErr(t, f.use(partner, other.KeyID, "kms:Decrypt", nil), ErrAccessDenied)
	_, err := f.s.Authorize(context.Background(), AuthRequest{Caller: partner, Action: "kms:Decrypt", KeyID: other.KeyID,
		IdentityPolicies: []*policy.Policy{AdministratorPolicy()}})
	wantErr(t, err, nil)
	wantErr(t, f.use(rootOf("444455556666"), other.KeyID, "kms:Decrypt", nil), nil)
}

func TestCreateGrantThroughConstrainedGrant(t *testing.T) {
	f := newFixture(t)
	m := f.createKey(t)
	sub := map[string]string{"tenant": "a"}
	f.grant(t, CreateGrantInput{KeyID: m.KeyID, GranteePrincipal: storageServerARN, Operations: []string{GrantCreateGrant, GrantDecrypt},
		Constraints: &GrantConstraints{EncryptionContextSubset: sub}})
	tests := []struct {
		name    string
		grant   CreateGrantInput
		allowed bool
	}{
		{"same subset", CreateGrantInput{Operations: []string{GrantDecrypt}, Constraints: &GrantConstraints{EncryptionContextSubset: sub}}, true},
		{"stricter subset", CreateGrantInput{Operations: []string{GrantDecrypt},
			Constraints: &GrantConstraints{EncryptionContextSubset: map[string]string{"tenant": "a", "b": "c"}}}, true},
		{"equals including the subset", CreateGrantInput{Operations: []string{GrantDecrypt},
			Constraints: &GrantConstraints{EncryptionContextEquals: map[string]string{"tenant": "a", "b": "c"}}}, true},
		{"unconstrained", CreateGrantInput{Operations: []string{GrantDecrypt}}, false},
		{"other subset", CreateGrantInput{Operations: []string{GrantDecrypt}, Constraints: &GrantConstraints{EncryptionContextSubset: map[string]string{"tenant": "b"}}}, false},
		{"operation the grant lacks", CreateGrantInput{Operations: []string{GrantEncrypt}, Constraints: &GrantConstraints{EncryptionContextSubset: sub}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := tt.grant
			g.KeyID, g.GranteePrincipal = m.KeyID, "arn:aws:iam::111122223333:user/worker"
			_, err := f.s.Authorize(context.Background(), AuthRequest{Caller: storageServer(), Action: "kms:CreateGrant", KeyID: m.KeyID, Grant: &g})
			if tt.allowed {
				wantErr(t, err, nil)
			} else {
				wantErr(t, err, ErrAccessDenied)
			}
		})
	}
}

func TestCreateGrantValidation(t *testing.T) {
	f := newFixture(t)
	m := f.createKey(t)
	ok := CreateGrantInput{GranteePrincipal: storageServerARN, Operations: []string{GrantDecrypt}}
	with := func(fn func(*CreateGrantInput)) CreateGrantInput { in := ok; fn(&in); return in }
	tests := []struct {
		name string
		in   CreateGrantInput
		want error
	}{
		{"minimal", ok, nil},
		{"every field", with(func(in *CreateGrantInput) {
			in.Name, in.RetiringPrincipal = "s3:photos/1_a-b", "arn:aws:iam::111122223333:role/cleaner"
			in.Operations = []string{GrantDecrypt, GrantGenerateDataKey, GrantRetireGrant, GrantDescribeKey, GrantCreateGrant}
			in.Constraints = &GrantConstraints{EncryptionContextSubset: map[string]string{"a": "b"}}
		}), nil},
		{"service grantee", with(func(in *CreateGrantInput) { in.GranteePrincipal = "s3.amazonaws.com" }), nil},
		{"no grantee", with(func(in *CreateGrantInput) { in.GranteePrincipal = "" }), ErrValidation},
		{"grantee not a principal", with(func(in *CreateGrantInput) { in.GranteePrincipal = "bob" }), ErrValidation},
		{"grantee with spaces", with(func(in *CreateGrantInput) { in.GranteePrincipal = "arn:aws:iam::111122223333:user/a b" }), ErrValidation},
		{"retiring principal malformed", with(func(in *CreateGrantInput) { in.RetiringPrincipal = "arn:aws:s3:::bucket" }), ErrValidation},
		{"no operations", with(func(in *CreateGrantInput) { in.Operations = nil }), ErrValidation},
		{"unknown operation", with(func(in *CreateGrantInput) { in.Operations = []string{"ScheduleKeyDeletion"} }), ErrValidation},
		{"operation case", with(func(in *CreateGrantInput) { in.Operations = []string{"decrypt"} }), ErrValidation},
		{"asymmetric operation on a symmetric key", with(func(in *CreateGrantInput) { in.Operations = []string{GrantSign} }), ErrValidation},
		{"both constraints", with(func(in *CreateGrantInput) {
			in.Constraints = &GrantConstraints{EncryptionContextEquals: map[string]string{"a": "b"}, EncryptionContextSubset: map[string]string{"a": "b"}}
		}), ErrValidation},
		{"nine constraint pairs", with(func(in *CreateGrantInput) {
			in.Constraints = &GrantConstraints{EncryptionContextSubset: map[string]string{"1": "", "2": "", "3": "", "4": "", "5": "", "6": "", "7": "", "8": "", "9": ""}}
		}), ErrValidation},
		{"constraint value too long", with(func(in *CreateGrantInput) {
			in.Constraints = &GrantConstraints{EncryptionContextSubset: map[string]string{"a": strings.Repeat("v", 385)}}
		}), ErrValidation},
		{"name with a space", with(func(in *CreateGrantInput) { in.Name = "my grant" }), ErrValidation},
		{"name too long", with(func(in *CreateGrantInput) { in.Name = strings.Repeat("n", 257) }), ErrValidation},
		{"unknown key", with(func(in *CreateGrantInput) { in.KeyID = "0d5c0e52-5a3b-4c43-9a0c-4f6e0ef1a1b2" }), ErrNotFound},
		{"alias (not accepted)", with(func(in *CreateGrantInput) { in.KeyID = "alias/x" }), ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.in.KeyID == "" {
				tt.in.KeyID = m.KeyID
			}
			out, err := f.s.CreateGrant(context.Background(), tt.in)
			wantErr(t, err, tt.want)
			if err == nil && (len(out.GrantID) != 64 || out.GrantToken == "") {
				t.Fatalf("CreateGrant = %+v", out)
			}
		})
	}
}

func TestCreateGrantIdempotentByName(t *testing.T) {
	f := newFixture(t)
	m := f.createKey(t)
	in := CreateGrantInput{KeyID: m.KeyID, GranteePrincipal: storageServerARN, Operations: []string{GrantDecrypt, GrantEncrypt}, Name: "n"}
	a := f.grant(t, in)
	in.Operations = []string{GrantEncrypt, GrantDecrypt, GrantEncrypt}
	b := f.grant(t, in)
	if a.GrantID != b.GrantID || a.GrantToken == b.GrantToken {
		t.Fatalf("retry: %+v then %+v", a, b)
	}
	in.Operations = []string{GrantDecrypt}
	if c := f.grant(t, in); c.GrantID == a.GrantID {
		t.Fatal("different parameters reused the grant")
	}
	in.Name = ""
	d, e := f.grant(t, in), f.grant(t, in)
	if d.GrantID == e.GrantID {
		t.Fatal("unnamed grants were merged")
	}
}

func TestRetireAndRevokeGrants(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m := f.createKey(t)
	ec := map[string]string{"k": "v"}
	newGrant := func(ops ...string) CreateGrantOutput {
		return f.grant(t, CreateGrantInput{KeyID: m.KeyID, GranteePrincipal: storageServerARN,
			RetiringPrincipal: "arn:aws:iam::111122223333:role/cleaner", Operations: ops})
	}
	cleaner := policy.Principal{Type: policy.PrincipalAssumedRole, Account: account, ARN: "arn:aws:sts::111122223333:assumed-role/cleaner/s"}

	t.Run("revoke removes the grant's effect", func(t *testing.T) {
		g := newGrant(GrantDecrypt)
		wantErr(t, f.use(storageServer(), m.KeyID, "kms:Decrypt", ec), nil)
		wantErr(t, f.s.RevokeGrant(ctx, m.Arn, g.GrantID), nil)
		wantErr(t, f.use(storageServer(), m.KeyID, "kms:Decrypt", ec), ErrAccessDenied)
		wantErr(t, f.s.RevokeGrant(ctx, m.Arn, g.GrantID), ErrNotFound)
	})
	t.Run("revoke checks the grant id and key", func(t *testing.T) {
		g := newGrant(GrantDecrypt)
		other := f.createKey(t)
		wantErr(t, f.s.RevokeGrant(ctx, other.KeyID, g.GrantID), ErrNotFound)
		wantErr(t, f.s.RevokeGrant(ctx, m.KeyID, "nope"), ErrInvalidGrantID)
		wantErr(t, f.s.RevokeGrant(ctx, m.KeyID, g.GrantID), nil)
	})
	t.Run("retiring principal retires by token", func(t *testing.T) {
		g := newGrant(GrantDecrypt)
		wantErr(t, f.s.RetireGrant(ctx, RetireGrantInput{GrantToken: g.GrantToken, Caller: cleaner}), nil)
		wantErr(t, f.use(storageServer(), m.KeyID, "kms:Decrypt", ec), ErrAccessDenied)
		wantErr(t, f.s.RetireGrant(ctx, RetireGrantInput{GrantToken: g.GrantToken, Caller: cleaner}), ErrNotFound)
	})
	t.Run("grantee without RetireGrant may not retire", func(t *testing.T) {
		g := newGrant(GrantDecrypt)
		wantErr(t, f.s.RetireGrant(ctx, RetireGrantInput{KeyID: m.KeyID, GrantID: g.GrantID, Caller: storageServer()}), ErrAccessDenied)
		wantErr(t, f.use(storageServer(), m.KeyID, "kms:Decrypt", ec), nil)
		wantErr(t, f.s.RevokeGrant(ctx, m.KeyID, g.GrantID), nil)
	})
	t.Run("grantee with RetireGrant retires", func(t *testing.T) {
		g := newGrant(GrantDecrypt, GrantRetireGrant)
		wantErr(t, f.s.RetireGrant(ctx, RetireGrantInput{KeyID: m.Arn, GrantID: g.GrantID, Caller: storageServer()}), nil)
	})
	t.Run("issuing account's root retires", func(t *testing.T) {
		g := newGrant(GrantDecrypt)
		wantErr(t, f.s.RetireGrant(ctx, RetireGrantInput{KeyID: m.KeyID, GrantID: g.GrantID, Caller: rootOf("444455556666")}), ErrAccessDenied)
		wantErr(t, f.s.RetireGrant(ctx, RetireGrantInput{KeyID: m.KeyID, GrantID: g.GrantID, Caller: user(account, "eve")}), ErrAccessDenied)
		wantErr(t, f.s.RetireGrant(ctx, RetireGrantInput{KeyID: m.KeyID, GrantID: g.GrantID, Caller: rootOf(account)}), nil)
	})
	t.Run("bad arguments", func(t *testing.T) {
		g := newGrant(GrantDecrypt)
		other := newGrant(GrantEncrypt)
		wantErr(t, f.s.RetireGrant(ctx, RetireGrantInput{Caller: cleaner}), ErrValidation)
		wantErr(t, f.s.RetireGrant(ctx, RetireGrantInput{KeyID: m.KeyID, Caller: cleaner}), ErrValidation)
		wantErr(t, f.s.RetireGrant(ctx, RetireGrantInput{GrantToken: "not-a-token", Caller: cleaner}), ErrInvalidGrantToken)
		wantErr(t, f.s.RetireGrant(ctx, RetireGrantInput{KeyID: m.KeyID, GrantID: "xyz", Caller: cleaner}), ErrInvalidGrantID)
		wantErr(t, f.s.RetireGrant(ctx, RetireGrantInput{GrantToken: g.GrantToken, GrantID: other.GrantID, Caller: cleaner}), ErrInvalidGrantToken)
		wantErr(t, f.s.RetireGrant(ctx, RetireGrantInput{GrantToken: g.GrantToken, KeyID: f.createKey(t).KeyID, Caller: cleaner}), ErrNotFound)
	})
}

func TestListGrants(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m := f.createKey(t)
	cons := &GrantConstraints{EncryptionContextEquals: map[string]string{"a": "b"}}
	a := f.grant(t, CreateGrantInput{KeyID: m.KeyID, GranteePrincipal: storageServerARN, RetiringPrincipal: "arn:aws:iam::111122223333:root",
		Operations: []string{GrantGenerateDataKey, GrantDecrypt}, Constraints: cons, Name: "first"})
	b := f.grant(t, CreateGrantInput{KeyID: m.KeyID, GranteePrincipal: "arn:aws:iam::111122223333:user/other", Operations: []string{GrantEncrypt}})
	f.grant(t, CreateGrantInput{KeyID: f.createKey(t).KeyID, GranteePrincipal: storageServerARN, RetiringPrincipal: "arn:aws:iam::111122223333:root",
		Operations: []string{GrantEncrypt}})

	f.reopen(t) // grants survive a restart
	all, err := f.s.ListGrants(ctx, ListGrantsInput{KeyID: m.Arn})
	wantErr(t, err, nil)
	if len(all.Grants) != 2 || all.Truncated {
		t.Fatalf("ListGrants = %+v", all)
	}
	got := all.Grants[0]
	if got.GrantID != a.GrantID {
		got = all.Grants[1]
	}
	want := Grant{KeyID: m.Arn, GrantID: a.GrantID, Name: "first", CreationDate: testEpoch, GranteePrincipal: storageServerARN,
		RetiringPrincipal: "arn:aws:iam::111122223333:root", IssuingAccount: "arn:aws:iam::111122223333:root",
		Operations: []string{GrantDecrypt, GrantGenerateDataKey}, Constraints: cons}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("grant = %+v\nwant    %+v", got, want)
	}
	wantErr(t, f.use(storageServer(), m.KeyID, "kms:Decrypt", map[string]string{"a": "b"}), nil)

	one, err := f.s.ListGrants(ctx, ListGrantsInput{KeyID: m.KeyID, GrantID: b.GrantID})
	wantErr(t, err, nil)
	if len(one.Grants) != 1 || one.Grants[0].GrantID != b.GrantID || one.Grants[0].Constraints != nil {
		t.Fatalf("by grant id = %+v", one)
	}
	byGrantee, err := f.s.ListGrants(ctx, ListGrantsInput{KeyID: m.KeyID, GranteePrincipal: storageServerARN})
	wantErr(t, err, nil)
	if len(byGrantee.Grants) != 1 || byGrantee.Grants[0].GrantID != a.GrantID {
		t.Fatalf("by grantee = %+v", byGrantee)
	}
	p1, err := f.s.ListGrants(ctx, ListGrantsInput{KeyID: m.KeyID, Limit: 1})
	wantErr(t, err, nil)
	p2, err := f.s.ListGrants(ctx, ListGrantsInput{KeyID: m.KeyID, Limit: 1, Marker: p1.NextMarker})
	wantErr(t, err, nil)
	if !p1.Truncated || p2.Truncated || len(p2.Grants) != 1 || p1.Grants[0].GrantID == p2.Grants[0].GrantID {
		t.Fatalf("pages %+v, %+v", p1, p2)
	}
	_, err = f.s.ListGrants(ctx, ListGrantsInput{KeyID: m.KeyID, Limit: 101})
	wantErr(t, err, ErrValidation)
	_, err = f.s.ListGrants(ctx, ListGrantsInput{KeyID: m.KeyID, GrantID: "bad"})
	wantErr(t, err, ErrInvalidGrantID)
	_, err = f.s.ListGrants(ctx, ListGrantsInput{KeyID: "alias/nope"})
	wantErr(t, err, ErrNotFound)

	retirable, err := f.s.ListRetirableGrants(ctx, "arn:aws:iam::111122223333:root", 0, "")
	wantErr(t, err, nil)
	if len(retirable.Grants) != 2 {
		t.Fatalf("ListRetirableGrants = %+v", retirable)
	}
	none, err := f.s.ListRetirableGrants(ctx, "arn:aws:iam::111122223333:user/nobody", 0, "")
	wantErr(t, err, nil)
	if len(none.Grants) != 0 || none.Grants == nil {
		t.Fatalf("ListRetirableGrants(nobody) = %+v", none)
	}
	_, err = f.s.ListRetirableGrants(ctx, "", 0, "")
	wantErr(t, err, ErrValidation)

	// Deleting the key deletes its grants.
	_, err = f.s.ScheduleKeyDeletion(ctx, m.KeyID, 7)
	wantErr(t, err, nil)
	_, err = f.s.CreateGrant(ctx, CreateGrantInput{KeyID: m.KeyID, GranteePrincipal: storageServerARN, Operations: []string{GrantDecrypt}})
	wantErr(t, err, ErrInvalidState)
	f.clock.Advance(8 * 24 * 3600e9)
	_, err = f.s.DeleteDueKeys(ctx, f.clock.Now())
	wantErr(t, err, nil)
	retirable, err = f.s.ListRetirableGrants(ctx, "arn:aws:iam::111122223333:root", 0, "")
	wantErr(t, err, nil)
	if len(retirable.Grants) != 1 {
		t.Fatalf("after deleting the key: %+v", retirable)
	}
}

func TestRetireGrantDelegatedToAccount(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	m := f.createKey(t)
	g := f.grant(t, CreateGrantInput{KeyID: m.KeyID, GranteePrincipal: storageServerARN, RetiringPrincipal: account, Operations: []string{GrantDecrypt}})
	ops := user(account, "ops")
	wantErr(t, f.s.RetireGrant(ctx, RetireGrantInput{GrantToken: g.GrantToken, Caller: ops}), ErrAccessDenied)
	wantErr(t, f.s.RetireGrant(ctx, RetireGrantInput{GrantToken: g.GrantToken, Caller: user("444455556666", "ops"),
		CallerPolicies: []*policy.Policy{AdministratorPolicy()}}), ErrAccessDenied)
	wantErr(t, f.s.RetireGrant(ctx, RetireGrantInput{GrantToken: g.GrantToken, Caller: ops,
		CallerPolicies: []*policy.Policy{AdministratorPolicy()}}), nil)
}

func TestGrantToBareAccountID(t *testing.T) {
	f := newFixture(t)
	m := f.createKey(t)
	f.grant(t, CreateGrantInput{KeyID: m.KeyID, GranteePrincipal: "444455556666", Operations: []string{GrantEncrypt}})
	wantErr(t, f.use(rootOf("444455556666"), m.KeyID, "kms:Encrypt", nil), nil)
	wantErr(t, f.use(user("444455556666", "u"), m.KeyID, "kms:Encrypt", nil), ErrAccessDenied)
}

func TestCiphertextKeyARN(t *testing.T) {
	f := newFixture(t)
	m := f.createKey(t)
	out, err := f.s.Encrypt(context.Background(), EncryptInput{KeyID: m.KeyID, Plaintext: []byte("x")})
	wantErr(t, err, nil)
	arn, err := f.s.CiphertextKeyARN(out.CiphertextBlob)
	wantErr(t, err, nil)
	if arn != m.Arn {
		t.Fatalf("CiphertextKeyARN = %s, want %s", arn, m.Arn)
	}
	_, err = f.s.CiphertextKeyARN([]byte{9, 9})
	wantErr(t, err, ErrInvalidCiphertext)
}
