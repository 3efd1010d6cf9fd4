package kms

import (
	"bytes"
	"context"
	"sync"
	"testing"
)

// TestConcurrentUse runs writes and cryptographic operations at once (under
// -race): rotations interleaved with GenerateDataKey must never produce a
// blob that fails to decrypt.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	k := f.createKey(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 4 {
		wg.Go(func() {
			for i := range 20 {
				if w == 0 && i%5 == 0 {
					if _, err := f.s.RotateKeyOnDemand(ctx, k.KeyID); err != nil {
						errs <- err
						return
					}
				}
				if w == 1 && i%5 == 0 {
					if _, err := f.s.CreateKey(ctx, CreateKeyInput{}); err != nil {
						errs <- err
						return
					}
				}
				out, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: k.Arn, NumberOfBytes: 16})
				if err != nil {
					errs <- err
					return
				}
				d, err := f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: out.CiphertextBlob})
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(d.Plaintext, out.Plaintext) {
					t.Error("plaintext mismatch")
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	rot, err := f.s.ListKeyRotations(ctx, k.KeyID, 0, "")
	wantErr(t, err, nil)
	if len(rot.Rotations) != 4 {
		t.Fatalf("%d rotations, want 4", len(rot.Rotations))
	}
}
