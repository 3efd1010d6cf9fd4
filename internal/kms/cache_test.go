package kms

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCacheSeesWrites: after each kind of write, the very next read through
// every kind of reference sees it, although the key was read (and cached)
// through all of them just before.
func TestCacheSeesWrites(t *testing.T) {
	ctx := context.Background()
	const denyDecrypt = `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
		{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:Decrypt","Resource":"*"}]}`
	tests := []struct {
		name  string
		write func(t *testing.T, f *fixture, k, other KeyMetadata)
		// check gets the references that named k before the write and a
		// blob encrypted under k before it.
		check func(t *testing.T, f *fixture, k, other KeyMetadata, refs []string, blob []byte)
	}{
		{
			name:  "DisableKey",
			write: func(t *testing.T, f *fixture, k, _ KeyMetadata) { wantErr(t, f.s.DisableKey(ctx, k.KeyID), nil) },
			check: func(t *testing.T, f *fixture, _, _ KeyMetadata, refs []string, blob []byte) {
				for _, ref := range refs {
					_, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: ref, NumberOfBytes: 16})
					wantErr(t, err, ErrDisabled)
				}
				_, err := f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: blob})
				wantErr(t, err, ErrDisabled)
			},
		},
		{
			name: "EnableKey",
			write: func(t *testing.T, f *fixture, k, _ KeyMetadata) {
				wantErr(t, f.s.DisableKey(ctx, k.KeyID), nil)
				_, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: k.KeyID, NumberOfBytes: 16})
				wantErr(t, err, ErrDisabled)
				wantErr(t, f.s.EnableKey(ctx, k.KeyID), nil)
			},
			check: func(t *testing.T, f *fixture, _, _ KeyMetadata, refs []string, blob []byte) {
				for _, ref := range refs {
					_, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: ref, NumberOfBytes: 16})
					wantErr(t, err, nil)
				}
				_, err := f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: blob})
				wantErr(t, err, nil)
			},
		},
		{
			name: "ScheduleKeyDeletion",
			write: func(t *testing.T, f *fixture, k, _ KeyMetadata) {
				_, err := f.s.ScheduleKeyDeletion(ctx, k.KeyID, 7)
				wantErr(t, err, nil)
			},
			check: func(t *testing.T, f *fixture, _, _ KeyMetadata, refs []string, blob []byte) {
				for _, ref := range refs {
					_, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: ref, NumberOfBytes: 16})
					wantErr(t, err, ErrInvalidState)
				}
				_, err := f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: blob})
				wantErr(t, err, ErrInvalidState)
			},
		},
		{
			name: "DeleteDueKeys",
			write: func(t *testing.T, f *fixture, k, _ KeyMetadata) {
				_, err := f.s.ScheduleKeyDeletion(ctx, k.KeyID, 7)
				wantErr(t, err, nil)
				f.clock.Advance(8 * 24 * time.Hour)
				ids, err := f.s.DeleteDueKeys(ctx, f.clock.Now())
				wantErr(t, err, nil)
				if len(ids) != 1 || ids[0] != k.KeyID {
					t.Fatalf("deleted %v, want [%s]", ids, k.KeyID)
				}
			},
			check: func(t *testing.T, f *fixture, _, _ KeyMetadata, refs []string, blob []byte) {
				for _, ref := range refs {
					_, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: ref, NumberOfBytes: 16})
					wantErr(t, err, ErrNotFound)
				}
				_, err := f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: blob})
				wantErr(t, err, ErrInvalidCiphertext)
			},
		},
		{
			name: "UpdateAlias",
			write: func(t *testing.T, f *fixture, _, other KeyMetadata) {
				wantErr(t, f.s.UpdateAlias(ctx, "alias/c", other.KeyID), nil)
			},
			check: func(t *testing.T, f *fixture, k, other KeyMetadata, refs []string, blob []byte) {
				for _, ref := range []string{"alias/c", f.s.aliasARN(account, "alias/c")} {
					out, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: ref, NumberOfBytes: 16})
					wantErr(t, err, nil)
					if out.KeyID != other.Arn {
						t.Errorf("%s: encrypted under %s, want %s", ref, out.KeyID, other.Arn)
					}
				}
				_, err := f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: blob, KeyID: "alias/c"})
				wantErr(t, err, ErrIncorrectKey)
				_, err = f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: blob, KeyID: k.Arn})
				wantErr(t, err, nil)
			},
		},
		{
			name:  "DeleteAlias",
			write: func(t *testing.T, f *fixture, _, _ KeyMetadata) { wantErr(t, f.s.DeleteAlias(ctx, "alias/c"), nil) },
			check: func(t *testing.T, f *fixture, _, _ KeyMetadata, _ []string, blob []byte) {
				for _, ref := range []string{"alias/c", f.s.aliasARN(account, "alias/c")} {
					_, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: ref, NumberOfBytes: 16})
					wantErr(t, err, ErrNotFound)
					_, err = f.s.Authorize(ctx, AuthRequest{Caller: rootOf(account), Action: "kms:GenerateDataKey", KeyID: ref})
					wantErr(t, err, ErrNotFound)
				}
				_, err := f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: blob})
				wantErr(t, err, nil)
			},
		},
		{
			name: "RotateKeyOnDemand",
			write: func(t *testing.T, f *fixture, k, _ KeyMetadata) {
				_, err := f.s.RotateKeyOnDemand(ctx, k.KeyID)
				wantErr(t, err, nil)
			},
			check: func(t *testing.T, f *fixture, _, _ KeyMetadata, refs []string, blob []byte) {
				for _, ref := range refs {
					out, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: ref, NumberOfBytes: 16})
					wantErr(t, err, nil)
					if c, err := parseCiphertext(out.CiphertextBlob); err != nil || c.version != 2 {
						t.Errorf("%s: material version %d (%v), want 2", ref, c.version, err)
					}
				}
				_, err := f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: blob})
				wantErr(t, err, nil)
			},
		},
		{
			name: "PutKeyPolicy",
			write: func(t *testing.T, f *fixture, k, _ KeyMetadata) {
				wantErr(t, f.s.PutKeyPolicy(ctx, PutKeyPolicyInput{KeyID: k.KeyID, Policy: denyDecrypt, BypassPolicyLockoutSafetyCheck: true}), nil)
			},
			check: func(t *testing.T, f *fixture, _, _ KeyMetadata, refs []string, _ []byte) {
				for _, ref := range refs {
					_, err := f.s.Authorize(ctx, AuthRequest{Caller: rootOf(account), Action: "kms:Decrypt", KeyID: ref})
					wantErr(t, err, ErrAccessDenied)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			k, other := f.createKey(t), f.createKey(t)
			wantErr(t, f.s.CreateAlias(ctx, "alias/c", k.KeyID), nil)
			refs := []string{k.KeyID, k.Arn, "alias/c", f.s.aliasARN(account, "alias/c")}
			var blob []byte
			for _, ref := range refs { // fill the cache through every reference
				_, err := f.s.Authorize(ctx, AuthRequest{Caller: rootOf(account), Action: "kms:Decrypt", KeyID: ref})
				wantErr(t, err, nil)
				out, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: ref, NumberOfBytes: 16})
				wantErr(t, err, nil)
				_, err = f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: out.CiphertextBlob, KeyID: ref})
				wantErr(t, err, nil)
				blob = out.CiphertextBlob
			}
			tt.write(t, f, k, other)
			tt.check(t, f, k, other, refs, blob)
		})
	}
}

// TestCacheConcurrentWrites (run under -race): readers keep filling the
// cache while a writer flips a key between disabled and enabled and an
// alias between two keys; after each write returns, the writer's next read
// must see it, whatever the readers cached meanwhile.
func TestCacheConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a, b := f.createKey(t), f.createKey(t)
	wantErr(t, f.s.CreateAlias(ctx, "alias/flip", a.KeyID), nil)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				for _, ref := range []string{a.KeyID, a.Arn, "alias/flip"} {
					out, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: ref, NumberOfBytes: 16})
					if err != nil {
						continue // disabled just now: expected
					}
					d, err := f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: out.CiphertextBlob})
					if err == nil && !bytes.Equal(d.Plaintext, out.Plaintext) {
						t.Error("plaintext mismatch")
					}
					_, _ = f.s.Authorize(ctx, AuthRequest{Caller: rootOf(account), Action: "kms:Decrypt", KeyID: ref})
				}
			}
		})
	}
	for i := range 100 {
		wantErr(t, f.s.DisableKey(ctx, a.KeyID), nil)
		for _, ref := range []string{a.KeyID, a.Arn} {
			if _, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: ref, NumberOfBytes: 16}); !errors.Is(err, ErrDisabled) {
				t.Fatalf("round %d: %s after DisableKey: %v, want DisabledException", i, ref, err)
			}
		}
		wantErr(t, f.s.EnableKey(ctx, a.KeyID), nil)
		for _, ref := range []string{a.KeyID, a.Arn} {
			if _, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: ref, NumberOfBytes: 16}); err != nil {
				t.Fatalf("round %d: %s after EnableKey: %v", i, ref, err)
			}
		}
		target := a
		if i%2 == 0 {
			target = b
		}
		wantErr(t, f.s.UpdateAlias(ctx, "alias/flip", target.KeyID), nil)
		out, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: "alias/flip", NumberOfBytes: 16})
		if err != nil || out.KeyID != target.Arn {
			t.Fatalf("round %d: alias/flip encrypted under %s (%v), want %s", i, out.KeyID, err, target.Arn)
		}
	}
	stop.Store(true)
	wg.Wait()
}

// TestCacheHoldsOnlySealedMaterial: what the cache keeps is the material as
// stored, sealed under the root key, never the plaintext.
func TestCacheHoldsOnlySealedMaterial(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	k := f.createKey(t)
	out, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: k.KeyID, NumberOfBytes: 16})
	wantErr(t, err, nil)
	_, err = f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: out.CiphertextBlob})
	wantErr(t, err, nil)
	f.s.cache.mu.RLock()
	defer f.s.cache.mu.RUnlock()
	if len(f.s.cache.material) != 1 {
		t.Fatalf("%d cached material versions, want 1", len(f.s.cache.material))
	}
	for ref, sealed := range f.s.cache.material {
		m, err := f.s.unseal(ref.id, ref.v, sealed)
		if err != nil {
			t.Fatalf("cached material does not unseal: %v", err)
		}
		if bytes.Contains(sealed, m) {
			t.Error("cached material holds the plaintext")
		}
		clear(m)
	}
}
