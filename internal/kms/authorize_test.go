package kms

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/coffer-project/coffer/internal/policy"
)

const account = "111122223333"

func identityPolicy(t *testing.T, doc string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(doc), policy.KindIdentity)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// keyWithPolicy creates a key whose policy is doc ("" for AWS's default).
func (f *fixture) keyWithPolicy(t *testing.T, doc string) KeyMetadata {
	t.Helper()
	m, err := f.s.CreateKey(context.Background(), CreateKeyInput{Policy: doc})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAuthorizeKeyPolicies(t *testing.T) {
	alice, bob := user(account, "alice"), user(account, "bob")
	outsider := user("444455556666", "mallory")
	decryptAll := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}}`
	const decryptOnlyForAlice = `{"Version":"2012-10-17","Statement":[
		{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
		{"Sid":"AliceDecrypts","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:Decrypt","Resource":"*"}]}`
	const aliceOnly = `{"Version":"2012-10-17","Statement":[
		{"Sid":"AliceDecrypts","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:Decrypt","Resource":"*"}]}`
	const denyBob = `{"Version":"2012-10-17","Statement":[
		{"Sid":"Everyone","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"},
		{"Sid":"NotBob","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"kms:Decrypt","Resource":"*"}]}`
	const contextBound = `{"Version":"2012-10-17","Statement":[
		{"Sid":"AliceForHerBucket","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*",
		 "Condition":{"StringEquals":{"kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::alice"},"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["aws:s3:arn","purpose"]}}}]}`
	const viaS3 = `{"Version":"2012-10-17","Statement":[
		{"Sid":"OnlyThroughS3","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*",
		 "Condition":{"StringEquals":{"kms:ViaService":"s3.eu-west-1.amazonaws.com","kms:CallerAccount":"111122223333"}}}]}`
	const crossAccount = `{"Version":"2012-10-17","Statement":[
		{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"kms:Decrypt","Resource":"*"}]}`

	tests := []struct {
		name      string
		keyPolicy string
		caller    policy.Principal
		identity  []string
		action    string
		ec        map[string]string
		via       string
		allowed   bool
		message   string // a fragment of the denial
	}{
		{name: "account root, default policy", caller: rootOf(account), action: "kms:Decrypt", allowed: true},
		{name: "administrator policy, default policy", caller: alice, identity: []string{"admin"}, action: "kms:ScheduleKeyDeletion", allowed: true},
		{name: "user without permission", caller: alice, action: "kms:Decrypt",
			message: "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:eu-west-1:111122223333:key/"},
		{name: "denial names the missing identity policy", caller: alice, action: "kms:Decrypt",
			message: "because no identity-based policy allows the kms:Decrypt action"},
		{name: "user with an identity policy, default policy", caller: alice, identity: []string{decryptAll}, action: "kms:Decrypt", allowed: true},
		{name: "identity policy for another action", caller: alice, identity: []string{decryptAll}, action: "kms:Encrypt"},
		{name: "other account's root, default policy", caller: rootOf("444455556666"), action: "kms:Decrypt",
			message: "because no resource-based policy allows the kms:Decrypt action"},
		{name: "other account with kms:*, default policy", caller: outsider, identity: []string{"admin"}, action: "kms:Decrypt"},
		{name: "key policy names the user", keyPolicy: decryptOnlyForAlice, caller: alice, action: "kms:Decrypt", allowed: true},
		{name: "key policy names the user for Decrypt only", keyPolicy: decryptOnlyForAlice, caller: alice, action: "kms:Encrypt"},
		{name: "key policy names another user", keyPolicy: decryptOnlyForAlice, caller: bob, action: "kms:Decrypt"},
		{name: "no delegation to the account: identity policies do not count", keyPolicy: aliceOnly, caller: bob, identity: []string{"admin"}, action: "kms:Decrypt",
			message: "because no resource-based policy allows"},
		{name: "no delegation to the account: not even root", keyPolicy: aliceOnly, caller: rootOf(account), action: "kms:Decrypt"},
		{name: "explicit deny wins over allow", keyPolicy: denyBob, caller: bob, identity: []string{"admin"}, action: "kms:Decrypt",
			message: "with an explicit deny in a resource-based policy"},
		{name: "deny applies to its action only", keyPolicy: denyBob, caller: bob, action: "kms:Encrypt", allowed: true},
		{name: "deny in an identity policy", caller: alice, identity: []string{"admin", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}}`},
			action: "kms:Decrypt", message: "with an explicit deny in an identity-based policy"},
		{name: "encryption context condition met", keyPolicy: contextBound, caller: alice, action: "kms:Decrypt",
			ec: map[string]string{"aws:s3:arn": "arn:aws:s3:::alice", "purpose": "backup"}, allowed: true},
		{name: "encryption context value differs", keyPolicy: contextBound, caller: alice, action: "kms:Decrypt",
			ec: map[string]string{"aws:s3:arn": "arn:aws:s3:::bob"}},
		{name: "encryption context key missing", keyPolicy: contextBound, caller: alice, action: "kms:GenerateDataKey"},
		{name: "encryption context has an unlisted key", keyPolicy: contextBound, caller: alice, action: "kms:Decrypt",
			ec: map[string]string{"aws:s3:arn": "arn:aws:s3:::alice", "extra": "x"}},
		{name: "via service and caller account met", keyPolicy: viaS3, caller: alice, action: "kms:Decrypt", via: "s3.eu-west-1.amazonaws.com", allowed: true},
		{name: "direct call refused by kms:ViaService", keyPolicy: viaS3, caller: alice, action: "kms:Decrypt"},
		{name: "other account refused by kms:CallerAccount", keyPolicy: viaS3, caller: outsider, identity: []string{"admin"}, action: "kms:Decrypt", via: "s3.eu-west-1.amazonaws.com"},
		{name: "cross-account: key policy and identity policy", keyPolicy: crossAccount, caller: outsider, identity: []string{decryptAll}, action: "kms:Decrypt", allowed: true},
		{name: "cross-account: key policy alone", keyPolicy: crossAccount, caller: outsider, action: "kms:Decrypt"},
		{name: "anonymous", caller: policy.Principal{}, action: "kms:Decrypt", message: "User: anonymous"},
	}
	f := newFixture(t)
	keys := map[string]KeyMetadata{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := keys[tt.keyPolicy]
			if !ok {
				m = f.keyWithPolicy(t, tt.keyPolicy)
				keys[tt.keyPolicy] = m
			}
			var ids []*policy.Policy
			for _, doc := range tt.identity {
				if doc == "admin" {
					ids = append(ids, AdministratorPolicy())
				} else {
					ids = append(ids, identityPolicy(t, doc))
				}
			}
			d, err := f.s.Authorize(context.Background(), AuthRequest{Caller: tt.caller, IdentityPolicies: ids, Action: tt.action,
				KeyID: m.KeyID, EncryptionContext: tt.ec, ViaService: tt.via})
			if tt.allowed {
				wantErr(t, err, nil)
				if !d.Allowed || d.KeyARN != m.Arn {
					t.Fatalf("decision = %+v", d)
				}
				return
			}
			wantErr(t, err, ErrAccessDenied)
			if d.Allowed {
				t.Fatalf("decision = %+v with error %v", d, err)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("error %q does not contain %q", err, tt.message)
			}
		})
	}
}

func TestAuthorizeErrors(t *testing.T) {
	f := newFixture(t)
	m := f.createKey(t)
	ctx := context.Background()
	root := rootOf(account)
	tests := []struct {
		name string
		req  AuthRequest
		want error
	}{
		{"by alias", AuthRequest{Caller: root, Action: "kms:Decrypt", KeyID: "alias/k"}, nil},
		{"unknown key", AuthRequest{Caller: root, Action: "kms:Decrypt", KeyID: "alias/none"}, ErrNotFound},
		{"not a kms action", AuthRequest{Caller: root, Action: "s3:GetObject", KeyID: m.KeyID}, ErrValidation},
		{"foreign grant token", AuthRequest{Caller: root, Action: "kms:Decrypt", KeyID: m.KeyID, GrantTokens: []string{"AQID"}}, ErrInvalidGrantToken},
		{"key-less action, root", AuthRequest{Caller: root, Action: "kms:CreateKey"}, nil},
		{"key-less action, administrator", AuthRequest{Caller: user(account, "a"), Action: "kms:ListKeys", IdentityPolicies: []*policy.Policy{AdministratorPolicy()}}, nil},
		{"key-less action, no policy", AuthRequest{Caller: user(account, "a"), Action: "kms:GenerateRandom"}, ErrAccessDenied},
		{"key action without a key", AuthRequest{Caller: root, Action: "kms:Decrypt"}, ErrValidation},
		{"eleven grant tokens", AuthRequest{Caller: root, Action: "kms:Decrypt", KeyID: m.KeyID, GrantTokens: make([]string, 11)}, ErrValidation},
	}
	wantErr(t, f.s.CreateAlias(ctx, "alias/k", m.KeyID), nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.s.Authorize(ctx, tt.req)
			wantErr(t, err, tt.want)
		})
	}
}

// BenchmarkAuthorize measures a Decrypt allowed by the default key policy
// and an administrator identity policy, from parallel goroutines.
func BenchmarkAuthorize(b *testing.B) {
	f := newFixture(b)
	m := f.createKey(b)
	req := AuthRequest{Caller: user(account, "alice"), IdentityPolicies: []*policy.Policy{AdministratorPolicy()}, Action: "kms:Decrypt",
		KeyID: m.KeyID, EncryptionContext: map[string]string{"aws:s3:arn": "arn:aws:s3:::b/k"}}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.s.Authorize(context.Background(), req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// requestContext names its keys in lower case, as policy.Evaluate looks
// them up, and gives what Evaluate's own lower-cased copy of the
// differently spelled keys would: spellings merge, keys without values are
// absent, and the store's keys replace a caller's of any spelling.
func TestRequestContext(t *testing.T) {
	base := map[string][]string{"kms:calleraccount": {account}, "kms:keyspec": {KeySpecSymmetricDefault},
		"kms:keyusage": {KeyUsageEncryptDecrypt}, "kms:keyorigin": {OriginAWSKMS}}
	with := func(extra map[string][]string) map[string][]string {
		m := maps.Clone(base)
		maps.Copy(m, extra)
		return m
	}
	caller := policy.Principal{Type: policy.PrincipalRoot, Account: account}
	tests := []struct {
		name string
		req  AuthRequest
		want map[string][]string
	}{
		{"no context", AuthRequest{Caller: caller}, base},
		{"encryption context", AuthRequest{Caller: caller, EncryptionContext: map[string]string{"aws:s3:arn": "arn:aws:s3:::b/k"}},
			with(map[string][]string{"kms:encryptioncontextkeys": {"aws:s3:arn"}, "kms:encryptioncontext:aws:s3:arn": {"arn:aws:s3:::b/k"}})},
		{"encryption context keys that differ in case merge", AuthRequest{Caller: caller, EncryptionContext: map[string]string{"Dept": "a", "dept": "b"}},
			with(map[string][]string{"kms:encryptioncontextkeys": {"Dept", "dept"}, "kms:encryptioncontext:dept": {"a", "b"}})},
		{"the empty encryption context key", AuthRequest{Caller: caller, EncryptionContext: map[string]string{"": "v"}},
			with(map[string][]string{"kms:encryptioncontextkeys": {""}, "kms:encryptioncontext:": {"v"}})},
		{"via service", AuthRequest{Caller: caller, ViaService: "s3.eu-west-1.amazonaws.com"},
			with(map[string][]string{"kms:viaservice": {"s3.eu-west-1.amazonaws.com"}})},
		{"further keys that differ in case merge", AuthRequest{Caller: caller, Context: map[string][]string{"aws:SourceIp": {"10.0.0.1"}, "AWS:SOURCEIP": {"10.0.0.2"}}},
			with(map[string][]string{"aws:sourceip": {"10.0.0.1", "10.0.0.2"}})},
		{"further keys without values are absent", AuthRequest{Caller: caller, Context: map[string][]string{"kms:RequestAlias": {}, "kms:EncryptionAlgorithm": nil}},
			base},
		{"a further key merges with the encryption context", AuthRequest{Caller: caller, EncryptionContext: map[string]string{"k": "a"},
			Context: map[string][]string{"kms:EncryptionContext:K": {"b"}}},
			with(map[string][]string{"kms:encryptioncontextkeys": {"k"}, "kms:encryptioncontext:k": {"a", "b"}})},
		{"a store key replaces the caller's of the same spelling", AuthRequest{Caller: caller, Context: map[string][]string{"kms:CallerAccount": {"999999999999"}}},
			base},
		{"a store key replaces the caller's of another spelling", AuthRequest{Caller: caller, Context: map[string][]string{"kms:calleraccount": {"999999999999"}, "KMS:KEYSPEC": {"RSA_2048"}}},
			base},
		{"a store key without a value leaves the caller's", AuthRequest{Caller: caller, Context: map[string][]string{"kms:ViaService": {"s3.x"}}},
			with(map[string][]string{"kms:viaservice": {"s3.x"}})},
		{"a grant", AuthRequest{Caller: caller, Grant: &CreateGrantInput{GranteePrincipal: "arn:aws:iam::111122223333:user/bob",
			Operations: []string{GrantDecrypt, GrantEncrypt}, Constraints: &GrantConstraints{EncryptionContextSubset: map[string]string{"a": "b"}}}},
			with(map[string][]string{"kms:grantoperations": {GrantDecrypt, GrantEncrypt}, "kms:granteeprincipal": {"arn:aws:iam::111122223333:user/bob"},
				"kms:grantconstrainttype": {"EncryptionContextSubset"}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := requestContext(&tt.req)
			for k, v := range got {
				got[k] = slices.Sorted(slices.Values(v)) // a copy: v may be the request's
			}
			if !maps.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("requestContext =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
