package kms

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/policy"
)

var managedAliases = []struct {
	alias       string
	description string
}{
	{AWSManagedS3Alias, "Default key that protects my S3 objects when no other key is defined"},
	{S3OwnedAlias, "Key that protects SSE-S3 objects (S3-owned)"},
}

// keyUses are the operations that use a key: each returns the ARN of the
// key ref names.
var keyUses = []struct {
	name string
	use  func(s *Store, ref string) (string, error)
}{
	{"GenerateDataKey", func(s *Store, ref string) (string, error) {
		out, err := s.GenerateDataKey(context.Background(), GenerateDataKeyInput{KeyID: ref, KeySpec: DataKeySpecAES256,
			EncryptionContext: map[string]string{"aws:s3:arn": "arn:aws:s3:::b/k"}})
		return out.KeyID, err
	}},
	{"GenerateDataKeyWithoutPlaintext", func(s *Store, ref string) (string, error) {
		out, err := s.GenerateDataKeyWithoutPlaintext(context.Background(), GenerateDataKeyInput{KeyID: ref, NumberOfBytes: 32})
		return out.KeyID, err
	}},
	{"Encrypt", func(s *Store, ref string) (string, error) {
		out, err := s.Encrypt(context.Background(), EncryptInput{KeyID: ref, Plaintext: []byte("secret")})
		return out.KeyID, err
	}},
	{"DescribeKey", func(s *Store, ref string) (string, error) {
		m, err := s.DescribeKey(context.Background(), ref)
		return m.Arn, err
	}},
	{"ReEncrypt destination", func(s *Store, ref string) (string, error) {
		src, err := s.CreateKey(context.Background(), CreateKeyInput{})
		if err != nil {
			return "", err
		}
		blob, err := s.Encrypt(context.Background(), EncryptInput{KeyID: src.KeyID, Plaintext: []byte("secret")})
		if err != nil {
			return "", err
		}
		out, err := s.ReEncrypt(context.Background(), ReEncryptInput{CiphertextBlob: blob.CiphertextBlob, DestinationKeyID: ref})
		return out.KeyID, err
	}},
	{"Authorize kms:GenerateDataKey", func(s *Store, ref string) (string, error) {
		d, err := s.Authorize(context.Background(), AuthRequest{Caller: user(account, "storage-node"), Action: "kms:GenerateDataKey", KeyID: ref})
		return d.KeyARN, err
	}},
}

// managedKeys lists the keys and aliases of the store.
func managedKeys(t *testing.T, s *Store) (keys []KeyListEntry, aliases []AliasListEntry) {
	t.Helper()
	k, err := s.ListKeys(context.Background(), 0, "")
	wantErr(t, err, nil)
	a, err := s.ListAliases(context.Background(), "", 0, "")
	wantErr(t, err, nil)
	return k.Keys, a.Aliases
}

func TestManagedKeyCreatedOnFirstUse(t *testing.T) {
	ctx := context.Background()
	for _, m := range managedAliases {
		for _, form := range []struct{ name, ref string }{
			{"alias name", m.alias},
			{"alias ARN", "arn:aws:kms:eu-west-1:" + account + ":" + m.alias},
		} {
			for _, u := range keyUses {
				t.Run(m.alias+"/"+form.name+"/"+u.name, func(t *testing.T) {
					f := newFixture(t)
					arn, err := u.use(f.s, form.ref)
					wantErr(t, err, nil)
					md, err := f.s.DescribeKey(ctx, m.alias)
					wantErr(t, err, nil)
					if arn != md.Arn {
						t.Fatalf("%s reported key %s, DescribeKey(%s) %s", u.name, arn, m.alias, md.Arn)
					}
					if md.KeyManager != KeyManagerAWS || md.Description != m.description || md.KeyState != KeyStateEnabled ||
						!md.Enabled || md.AWSAccountID != account || !md.CreationDate.Equal(testEpoch) || md.KeySpec != KeySpecSymmetricDefault {
						t.Fatalf("metadata = %+v", md)
					}

					again, err := u.use(f.s, form.ref)
					wantErr(t, err, nil)
					if again != arn {
						t.Fatalf("second use got key %s, first %s", again, arn)
					}
					_, aliases := managedKeys(t, f.s)
					var found int
					for _, a := range aliases {
						if a.AliasName == m.alias {
							found++
							if a.TargetKeyID != md.KeyID {
								t.Errorf("%s → %s, want %s", m.alias, a.TargetKeyID, md.KeyID)
							}
						}
					}
					if found != 1 {
						t.Fatalf("%d aliases %s: %+v", found, m.alias, aliases)
					}
				})
			}
		}
	}
}

func TestManagedKeyNotCreated(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"other alias under alias/aws/", func() error { _, err := f.s.DescribeKey(ctx, "alias/aws/ebs"); return err }, ErrNotFound},
		{"different case", func() error { _, err := f.s.DescribeKey(ctx, "alias/aws/S3"); return err }, ErrNotFound},
		{"alias ARN of another account", func() error {
			_, err := f.s.DescribeKey(ctx, "arn:aws:kms:eu-west-1:444455556666:alias/aws/s3")
			return err
		}, ErrNotFound},
		{"alias ARN of another region", func() error {
			_, err := f.s.DescribeKey(ctx, "arn:aws:kms:us-east-1:"+account+":alias/aws/s3")
			return err
		}, ErrNotFound},
		{"Decrypt naming it", func() error {
			src := f.createKey(t)
			blob, err := f.s.Encrypt(ctx, EncryptInput{KeyID: src.KeyID, Plaintext: []byte("x")})
			wantErr(t, err, nil)
			_, err = f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: blob.CiphertextBlob, KeyID: AWSManagedS3Alias})
			return err
		}, ErrNotFound},
		{"ListAliases of it", func() error { _, err := f.s.ListAliases(ctx, AWSManagedS3Alias, 0, ""); return err }, ErrNotFound},
		{"Authorize a management action", func() error {
			_, err := f.s.Authorize(ctx, AuthRequest{Caller: rootOf(account), IdentityPolicies: []*policy.Policy{AdministratorPolicy()},
				Action: "kms:DeleteAlias", KeyID: AWSManagedS3Alias})
			return err
		}, ErrNotFound},
		{"Authorize by another account", func() error {
			_, err := f.s.Authorize(ctx, AuthRequest{Caller: rootOf("444455556666"), Action: "kms:GenerateDataKey", KeyID: AWSManagedS3Alias})
			return err
		}, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.run(), tt.want)
		})
	}
	if _, aliases := managedKeys(t, f.s); len(aliases) != 0 {
		t.Fatalf("aliases created: %+v", aliases)
	}
}

// TestManagedKeyConcurrentFirstUse starts many first uses at once (under
// -race): each managed alias ends with exactly one key, which every caller
// got.
func TestManagedKeyConcurrentFirstUse(t *testing.T) {
	f := newFixture(t)
	const perAlias = 24
	var wg sync.WaitGroup
	arns := make([][]string, len(managedAliases))
	errs := make([][]error, len(managedAliases))
	for i, m := range managedAliases {
		arns[i], errs[i] = make([]string, perAlias), make([]error, perAlias)
		for j := range perAlias {
			u := keyUses[j%len(keyUses)]
			wg.Go(func() { arns[i][j], errs[i][j] = u.use(f.s, m.alias) })
		}
	}
	wg.Wait()
	keys, aliases := managedKeys(t, f.s)
	for i, m := range managedAliases {
		for j := range perAlias {
			wantErr(t, errs[i][j], nil)
			if arns[i][j] != arns[i][0] {
				t.Fatalf("%s: caller %d got %s, caller 0 %s", m.alias, j, arns[i][j], arns[i][0])
			}
		}
	}
	var managed int
	for _, k := range keys {
		md, err := f.s.DescribeKey(context.Background(), k.KeyID)
		wantErr(t, err, nil)
		if md.KeyManager == KeyManagerAWS {
			managed++
		}
	}
	if managed != len(managedAliases) || len(aliases) != len(managedAliases) {
		t.Fatalf("%d AWS managed keys and aliases %+v, want %d of each", managed, aliases, len(managedAliases))
	}
}

func TestManagedKeyRefusesChanges(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	md, err := f.s.DescribeKey(ctx, AWSManagedS3Alias)
	wantErr(t, err, nil)
	policyBefore, err := f.s.KeyPolicy(ctx, md.KeyID)
	wantErr(t, err, nil)
	own := f.createKey(t)
	wantErr(t, f.s.CreateAlias(ctx, "alias/mine", own.KeyID), nil)
	root := rootOf(account)
	id := md.KeyID

	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"PutKeyPolicy", func() error {
			return f.s.PutKeyPolicy(ctx, PutKeyPolicyInput{KeyID: id, Policy: f.s.defaultPolicy(account), Caller: root})
		}, ErrAccessDenied},
		{"ScheduleKeyDeletion", func() error { _, err := f.s.ScheduleKeyDeletion(ctx, id, 7); return err }, ErrAccessDenied},
		{"CancelKeyDeletion", func() error { _, err := f.s.CancelKeyDeletion(ctx, id); return err }, ErrAccessDenied},
		{"DisableKey", func() error { return f.s.DisableKey(ctx, id) }, ErrAccessDenied},
		{"EnableKey", func() error { return f.s.EnableKey(ctx, md.Arn) }, ErrAccessDenied},
		{"EnableKeyRotation", func() error { return f.s.EnableKeyRotation(ctx, id, 90) }, ErrAccessDenied},
		{"DisableKeyRotation", func() error { return f.s.DisableKeyRotation(ctx, id) }, ErrAccessDenied},
		{"RotateKeyOnDemand", func() error { _, err := f.s.RotateKeyOnDemand(ctx, id); return err }, ErrAccessDenied},
		{"UpdateKeyDescription", func() error { return f.s.UpdateKeyDescription(ctx, id, "mine now") }, ErrAccessDenied},
		{"TagResource", func() error { return f.s.TagResource(ctx, id, []Tag{{"team", "x"}}) }, ErrAccessDenied},
		{"UntagResource", func() error { return f.s.UntagResource(ctx, id, []string{"team"}) }, ErrAccessDenied},
		{"CreateAlias for it", func() error { return f.s.CreateAlias(ctx, "alias/s3-default", id) }, ErrAccessDenied},
		{"UpdateAlias to it", func() error { return f.s.UpdateAlias(ctx, "alias/mine", md.Arn) }, ErrAccessDenied},
		{"CreateAlias of its name", func() error { return f.s.CreateAlias(ctx, S3OwnedAlias, own.KeyID) }, ErrNotAuthorized},
		{"UpdateAlias of its name", func() error { return f.s.UpdateAlias(ctx, AWSManagedS3Alias, own.KeyID) }, ErrNotAuthorized},
		{"DeleteAlias of its name", func() error { return f.s.DeleteAlias(ctx, AWSManagedS3Alias) }, ErrNotAuthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			wantErr(t, err, tt.want)
			if tt.want == ErrAccessDenied && !strings.Contains(err.Error(), "AWS managed key "+md.Arn) {
				t.Errorf("message %q does not name the key", err)
			}
		})
	}

	after, err := f.s.DescribeKey(ctx, AWSManagedS3Alias)
	wantErr(t, err, nil)
	if after.KeyID != id || after.KeyState != KeyStateEnabled || after.Description != md.Description {
		t.Fatalf("after refused changes: %+v, want %+v", after, md)
	}
	if p, _ := f.s.KeyPolicy(ctx, id); p != policyBefore {
		t.Fatalf("policy changed to %s", p)
	}
	if tags, _ := f.s.KeyTags(ctx, id); len(tags) != 0 {
		t.Fatalf("tags = %v", tags)
	}
	if mine, _ := f.s.DescribeKey(ctx, "alias/mine"); mine.KeyID != own.KeyID {
		t.Fatalf("alias/mine → %s", mine.KeyID)
	}
}

// TestManagedKeyPolicy checks the managed keys' policy through Authorize:
// the account's principals may use them and the account may read them, but
// nobody, not even the administrator, may manage them.
func TestManagedKeyPolicy(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	admin := []*policy.Policy{AdministratorPolicy()}
	node := user(account, "storage-node")
	ec := map[string]string{"aws:s3:arn": "arn:aws:s3:::b/k"}
	tests := []struct {
		name     string
		caller   policy.Principal
		identity []*policy.Policy
		action   string
		allowed  bool
	}{
		{"principal without policies generates data keys", node, nil, "kms:GenerateDataKey", true},
		{"principal without policies decrypts", node, nil, "kms:Decrypt", true},
		{"principal without policies re-encrypts", node, nil, "kms:ReEncryptTo", true},
		{"principal without policies describes", node, nil, "kms:DescribeKey", true},
		{"principal without policies cannot read the policy", node, nil, "kms:GetKeyPolicy", false},
		{"administrator reads the policy", rootOf(account), admin, "kms:GetKeyPolicy", true},
		{"administrator lists tags", user(account, "ops"), admin, "kms:ListResourceTags", true},
		{"administrator encrypts", rootOf(account), admin, "kms:Encrypt", true},
		{"administrator cannot disable", rootOf(account), admin, "kms:DisableKey", false},
		{"administrator cannot schedule deletion", rootOf(account), admin, "kms:ScheduleKeyDeletion", false},
		{"administrator cannot put a policy", rootOf(account), admin, "kms:PutKeyPolicy", false},
		{"administrator cannot enable rotation", rootOf(account), admin, "kms:EnableKeyRotation", false},
		{"administrator cannot tag", rootOf(account), admin, "kms:TagResource", false},
		{"administrator cannot describe anew", user(account, "ops"), admin, "kms:UpdateKeyDescription", false},
		{"administrator cannot alias it", rootOf(account), admin, "kms:CreateAlias", false},
		{"administrator cannot grant", rootOf(account), admin, "kms:CreateGrant", false},
		{"other account cannot use it", rootOf("444455556666"), admin, "kms:Decrypt", false},
	}
	for _, m := range managedAliases {
		md, err := f.s.DescribeKey(ctx, m.alias)
		wantErr(t, err, nil)
		for _, tt := range tests {
			t.Run(m.alias+"/"+tt.name, func(t *testing.T) {
				d, err := f.s.Authorize(ctx, AuthRequest{Caller: tt.caller, IdentityPolicies: tt.identity, Action: tt.action,
					KeyID: md.Arn, EncryptionContext: ec})
				if tt.allowed {
					wantErr(t, err, nil)
					return
				}
				wantErr(t, err, ErrAccessDenied)
				if d.Allowed || !strings.Contains(err.Error(), "is not authorized to perform: "+tt.action+" on resource: "+md.Arn) {
					t.Fatalf("decision %+v, error %v", d, err)
				}
			})
		}
	}
}

func TestManagedKeyRotatesYearly(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	md, err := f.s.DescribeKey(ctx, S3OwnedAlias)
	wantErr(t, err, nil)
	st, err := f.s.GetKeyRotationStatus(ctx, md.KeyID)
	wantErr(t, err, nil)
	if !st.KeyRotationEnabled || st.RotationPeriodInDays != 365 || !st.NextRotationDate.Equal(testEpoch.Add(365*day)) {
		t.Fatalf("rotation status = %+v", st)
	}
	n, err := f.s.RotateDue(ctx, testEpoch.Add(365*day))
	wantErr(t, err, nil)
	rot, err := f.s.ListKeyRotations(ctx, md.KeyID, 0, "")
	wantErr(t, err, nil)
	if n != 1 || len(rot.Rotations) != 1 || rot.Rotations[0].RotationType != RotationAutomatic {
		t.Fatalf("RotateDue rotated %d; rotations %+v", n, rot.Rotations)
	}
}

func TestManagedKeySurvivesRestart(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	ec := map[string]string{"aws:s3:arn": "arn:aws:s3:::b/k"}
	dk, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: AWSManagedS3Alias, KeySpec: DataKeySpecAES256, EncryptionContext: ec})
	wantErr(t, err, nil)
	owned, err := f.s.DescribeKey(ctx, S3OwnedAlias)
	wantErr(t, err, nil)

	f.clock.Advance(time.Hour)
	f.reopen(t)

	for _, tt := range []struct {
		alias string
		arn   string
	}{{AWSManagedS3Alias, dk.KeyID}, {S3OwnedAlias, owned.Arn}} {
		md, err := f.s.DescribeKey(ctx, tt.alias)
		wantErr(t, err, nil)
		if md.Arn != tt.arn || md.KeyManager != KeyManagerAWS || !md.CreationDate.Equal(testEpoch) {
			t.Fatalf("%s after restart: %+v, want key %s created %s", tt.alias, md, tt.arn, testEpoch)
		}
		wantErr(t, f.s.DisableKey(ctx, md.KeyID), ErrAccessDenied)
	}
	d, err := f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec})
	wantErr(t, err, nil)
	if !bytes.Equal(d.Plaintext, dk.Plaintext) {
		t.Fatal("data key changed across restart")
	}
	if keys, aliases := managedKeys(t, f.s); len(keys) != 2 || len(aliases) != 2 {
		t.Fatalf("after restart: keys %+v, aliases %+v", keys, aliases)
	}
}

// TestOpenAddsKeyManager opens a keystore from before keys had a key
// manager: its keys are the customer's.
func TestOpenAddsKeyManager(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	k := f.createKey(t)
	if _, err := f.s.wdb.ExecContext(ctx, `ALTER TABLE keys DROP COLUMN key_manager`); err != nil {
		t.Fatal(err)
	}
	f.reopen(t)
	md, err := f.s.DescribeKey(ctx, k.KeyID)
	wantErr(t, err, nil)
	if md.KeyManager != KeyManagerCustomer {
		t.Fatalf("KeyManager = %q", md.KeyManager)
	}
	s3, err := f.s.DescribeKey(ctx, AWSManagedS3Alias)
	wantErr(t, err, nil)
	if s3.KeyManager != KeyManagerAWS {
		t.Fatalf("KeyManager = %q", s3.KeyManager)
	}
}
