package kms

import (
	"bytes"
	"context"
	"testing"
)

// BenchmarkGenerateDataKeyDecrypt measures one GenerateDataKey plus one
// Decrypt of its blob, from parallel goroutines, against a real SQLite
// keystore (no network; the protocol server adds its own cost).
func BenchmarkGenerateDataKeyDecrypt(b *testing.B) {
	ctx := context.Background()
	f := newFixture(b)
	k := f.createKey(b)
	ec := map[string]string{"aws:s3:arn": "arn:aws:s3:::bucket/object"}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			out, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: k.KeyID, KeySpec: DataKeySpecAES256, EncryptionContext: ec})
			if err != nil {
				b.Error(err)
				return
			}
			d, err := f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: out.CiphertextBlob, EncryptionContext: ec})
			if err != nil || !bytes.Equal(d.Plaintext, out.Plaintext) {
				b.Errorf("Decrypt: %v", err)
				return
			}
			clear(out.Plaintext)
			clear(d.Plaintext)
		}
	})
}
