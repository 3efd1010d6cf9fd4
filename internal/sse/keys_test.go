package sse_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/coffer-project/coffer/internal/sse"
)

func TestNewObjectKey(t *testing.T) {
	a, err := sse.NewObjectKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sse.NewObjectKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != sse.KeySize || len(b) != sse.KeySize || bytes.Equal(a, b) {
		t.Fatalf("two keys %x and %x: want two different %d-byte keys", a, b, sse.KeySize)
	}
	c, err := sse.NewObjectKey(seeded(1))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := sse.NewObjectKey(seeded(1))
	if !bytes.Equal(c, d) {
		t.Fatal("keys from the same random source differ")
	}
	errRandom := errors.New("no entropy")
	if _, err := sse.NewObjectKey(iotest.ErrReader(errRandom)); !errors.Is(err, errRandom) {
		t.Fatalf("got %v, want the random source's error", err)
	}
}

func TestSealUnseal(t *testing.T) {
	kek, objectKey := testKey(1), testKey(2)
	b := sse.Binding{Mode: "aws:kms", Bucket: "photos", Key: "2026/cat.jpg"}
	sealed, err := sse.SealKey(kek, objectKey, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != 61 || sealed[0] != 0x01 {
		t.Fatalf("sealed key %x: want 61 bytes of version 1", sealed)
	}
	got, err := sse.UnsealKey(kek, sealed, b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, objectKey) {
		t.Fatal("unsealed key differs")
	}
	again, _ := sse.SealKey(kek, objectKey, b, nil)
	if bytes.Equal(again, sealed) {
		t.Fatal("sealing twice gave the same bytes: the nonce is not random")
	}

	flipped := func(i int) []byte {
		s := bytes.Clone(sealed)
		s[i] ^= 0x80
		return s
	}
	tests := []struct {
		name   string
		kek    []byte
		sealed []byte
		b      sse.Binding
	}{
		{"wrong kek", testKey(3), sealed, b},
		{"other mode", kek, sealed, sse.Binding{Mode: "AES256", Bucket: b.Bucket, Key: b.Key}},
		{"other bucket", kek, sealed, sse.Binding{Mode: b.Mode, Bucket: "photo", Key: b.Key}},
		{"other key", kek, sealed, sse.Binding{Mode: b.Mode, Bucket: b.Bucket, Key: "2026/dog.jpg"}},
		{"bucket and key boundary moved", kek, sealed, sse.Binding{Mode: b.Mode, Bucket: "photos2026", Key: "/cat.jpg"}},
		{"empty binding", kek, sealed, sse.Binding{}},
		{"empty", kek, nil, b},
		{"version byte only", kek, sealed[:1], b},
		{"truncated by one", kek, sealed[:len(sealed)-1], b},
		{"extended by one", kek, append(bytes.Clone(sealed), 0), b},
		{"version 2", kek, append([]byte{0x02}, sealed[1:]...), b},
	}
	for i := range sealed {
		tests = append(tests, struct {
			name   string
			kek    []byte
			sealed []byte
			b      sse.Binding
		}{fmt.Sprintf("byte %02d flipped", i), kek, flipped(i), b})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := sse.UnsealKey(tt.kek, tt.sealed, tt.b)
			mustFailIntegrity(t, err)
			if key != nil {
				t.Fatal("returned a key with the error")
			}
		})
	}
}

func TestSealKeyRejects(t *testing.T) {
	good := sse.Binding{Mode: "SSE-C", Bucket: "b", Key: "k"}
	tests := []struct {
		name      string
		kek, key  []byte
		b         sse.Binding
		wantError string
	}{
		{"short kek", testKey(1)[:16], testKey(2), good, "key-encryption key"},
		{"nil kek", nil, testKey(2), good, "key-encryption key"},
		{"short object key", testKey(1), testKey(2)[:31], good, "object key"},
		{"unknown mode", testKey(1), testKey(2), sse.Binding{Mode: "aws:kms:dsse", Bucket: "b", Key: "k"}, "mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sse.SealKey(tt.kek, tt.key, tt.b, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantError) {
				t.Fatalf("got %v, want an error about the %s", err, tt.wantError)
			}
		})
	}
	t.Run("unseal with a short kek", func(t *testing.T) {
		sealed, _ := sse.SealKey(testKey(1), testKey(2), good, nil)
		_, err := sse.UnsealKey(testKey(1)[:16], sealed, good)
		if err == nil || errors.Is(err, sse.ErrIntegrity) {
			t.Fatalf("got %v, want an argument error, not an integrity failure", err)
		}
	})
	t.Run("random source fails", func(t *testing.T) {
		errRandom := errors.New("no entropy")
		if _, err := sse.SealKey(testKey(1), testKey(2), good, iotest.ErrReader(errRandom)); !errors.Is(err, errRandom) {
			t.Fatalf("got %v, want the random source's error", err)
		}
	})
}

func TestDeriveKEK(t *testing.T) {
	secret, salt := testKey(1), testKey(2)
	base := sse.DeriveKEK(secret, salt, "bucket-key")
	if len(base) != sse.KeySize {
		t.Fatalf("KEK of %d bytes", len(base))
	}
	if !bytes.Equal(base, sse.DeriveKEK(secret, salt, "bucket-key")) {
		t.Fatal("not deterministic")
	}
	others := map[string][]byte{
		"other secret":           sse.DeriveKEK(testKey(3), salt, "bucket-key"),
		"other salt":             sse.DeriveKEK(secret, testKey(3), "bucket-key"),
		"other label":            sse.DeriveKEK(secret, salt, "customer"),
		"customer key HMAC":      sse.CustomerKeyHMAC(salt, secret),
		"customer key HMAC swap": sse.CustomerKeyHMAC(secret, salt),
		"secret itself":          secret,
	}
	for name, k := range others {
		t.Run(name, func(t *testing.T) {
			if bytes.Equal(k, base) {
				t.Fatal("same as the KEK")
			}
		})
	}
}

func TestCustomerKey(t *testing.T) {
	salt, key := testKey(1), testKey(2)
	stored := sse.CustomerKeyHMAC(salt, key)
	tests := []struct {
		name      string
		salt, key []byte
		stored    []byte
		want      bool
	}{
		{"same key", salt, key, stored, true},
		{"other key", salt, testKey(3), stored, false},
		{"key one bit off", salt, append([]byte{key[0] ^ 1}, key[1:]...), stored, false},
		{"other salt", testKey(3), key, stored, false},
		{"stored value truncated", salt, key, stored[:16], false},
		{"nothing stored", salt, key, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sse.VerifyCustomerKey(tt.salt, tt.key, tt.stored); got != tt.want {
				t.Fatalf("VerifyCustomerKey = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestETag(t *testing.T) {
	key, md5 := testKey(1), bytes.Repeat([]byte{0xab}, 16)
	etag := sse.ETag(key, md5)
	if len(etag) != 32 || strings.Trim(etag, "0123456789abcdef") != "" {
		t.Fatalf("ETag %q: want 32 lowercase hex characters", etag)
	}
	if etag != sse.ETag(key, md5) {
		t.Fatal("not deterministic")
	}
	if etag == hex.EncodeToString(md5) {
		t.Fatal("the ETag is the MD5")
	}
	if sse.ETag(testKey(2), md5) == etag || sse.ETag(key, bytes.Repeat([]byte{0xac}, 16)) == etag {
		t.Fatal("the ETag does not depend on both the key and the MD5")
	}
}
