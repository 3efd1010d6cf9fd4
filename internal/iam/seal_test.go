package iam_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/iam"
	"github.com/coffer-project/coffer/internal/kms"
)

// sealingKeyName is the server secret KMSSealer stores its key under: part
// of the stored format, so spelled out here rather than shared.
const sealingKeyName = "iam-sealing-key"

// memKMS is an in-memory KMS: data keys are sealed with AES-GCM under one
// master key, bound to the encryption context.
type memKMS struct {
	aead cipher.AEAD

	mu        sync.Mutex
	generated int
	decrypted int
	// err, when set, fails every call (the KMS is unreachable).
	err error
	// gate, when set, holds each GenerateDataKey until gateN calls have
	// arrived, so concurrent callers all generate before any stores.
	gate  chan struct{}
	gateN int
}

var _ kms.Provider = (*memKMS)(nil)

func newMemKMS(t *testing.T) *memKMS {
	t.Helper()
	master := make([]byte, 32)
	if _, err := rand.Read(master); err != nil {
		t.Fatal(err)
	}
	b, err := aes.NewCipher(master)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return &memKMS{aead: aead}
}

// contextAAD is an encryption context in a canonical form.
func contextAAD(ec map[string]string) []byte {
	var b []byte
	keys := make([]string, 0, len(ec))
	for k := range ec {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = fmt.Appendf(b, "%q=%q;", k, ec[k])
	}
	return b
}

func (k *memKMS) GenerateDataKey(ctx context.Context, keyID string, ec map[string]string) (kms.DataKey, error) {
	k.mu.Lock()
	if k.err != nil {
		defer k.mu.Unlock()
		return kms.DataKey{}, fmt.Errorf("memkms: GenerateDataKey: %w", k.err)
	}
	k.generated++
	gate := k.gate
	if gate != nil && k.generated == k.gateN {
		close(gate)
	}
	k.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-time.After(10 * time.Second):
			return kms.DataKey{}, errors.New("memkms: GenerateDataKey: the other callers never came")
		}
	}
	plain := make([]byte, 32)
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(plain); err != nil {
		return kms.DataKey{}, err
	}
	if _, err := rand.Read(nonce); err != nil {
		return kms.DataKey{}, err
	}
	ct := k.aead.Seal(nonce, nonce, plain, contextAAD(ec))
	return kms.DataKey{Plaintext: plain, Ciphertext: ct, KeyARN: "arn:aws:kms:us-east-1:111122223333:key/" + keyID}, nil
}

func (k *memKMS) Decrypt(ctx context.Context, ciphertext []byte, ec map[string]string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return nil, fmt.Errorf("memkms: Decrypt: %w", k.err)
	}
	n := k.aead.NonceSize()
	if len(ciphertext) < n {
		return nil, fmt.Errorf("memkms: Decrypt: %w", kms.ErrInvalidCiphertext)
	}
	p, err := k.aead.Open(nil, ciphertext[:n], ciphertext[n:], contextAAD(ec))
	if err != nil {
		return nil, fmt.Errorf("memkms: Decrypt: %w", kms.ErrInvalidCiphertext)
	}
	k.decrypted++
	return p, nil
}

func (k *memKMS) counts() (generated, decrypted int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.generated, k.decrypted
}

func TestKeySealer(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := iam.NewKeySealer(make([]byte, n)); err == nil {
			t.Errorf("NewKeySealer accepted a %d-byte key", n)
		}
	}
	s := testSealer(t)
	secret, aad := []byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), []byte("account\x00AKIA1")
	sealed, err := s.Seal(ctx, secret, aad)
	must(t, err)
	// Version 1: one version byte, a 12-byte nonce, the ciphertext and a
	// 16-byte tag.
	if sealed[0] != 1 || len(sealed) != 1+12+len(secret)+16 || bytes.Contains(sealed, secret) {
		t.Errorf("sealed = %x, want version 1, nonce, ciphertext, tag", sealed)
	}
	if again, err := s.Seal(ctx, secret, aad); err != nil || bytes.Equal(again, sealed) {
		t.Errorf("sealing twice gave the same bytes (%v): nonces must be random", err)
	}
	if got, err := s.Open(ctx, sealed, aad); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v; want %q", got, err, secret)
	}

	otherKey, err := iam.NewKeySealer(bytes.Repeat([]byte{8}, 32))
	must(t, err)
	flipped := slices.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	badVersion := slices.Clone(sealed)
	badVersion[0] = 2
	tests := []struct {
		name   string
		sealer iam.Sealer
		sealed []byte
		aad    []byte
	}{
		{"wrong AAD", s, sealed, []byte("account\x00AKIA2")},
		{"no AAD", s, sealed, nil},
		{"other key", otherKey, sealed, aad},
		{"flipped bit", s, flipped, aad},
		{"unknown version", s, badVersion, aad},
		{"truncated", s, sealed[:20], aad},
		{"empty", s, nil, aad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := tt.sealer.Open(ctx, tt.sealed, tt.aad); err == nil {
				t.Errorf("Open succeeded: %q", got)
			}
		})
	}
}

func TestKMSSealer(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	k := newMemKMS(t)
	first := &iam.KMSSealer{KMS: k, Store: store, KeyID: kms.S3OwnedAlias}
	if _, ok, err := store.ServerSecret(ctx, sealingKeyName); err != nil || ok {
		t.Fatalf("a sealing key is stored before first use (%v)", err)
	}

	secret, aad := []byte("secret-1"), []byte("aad-1")
	sealed, err := first.Seal(ctx, secret, aad)
	must(t, err)
	if g, d := k.counts(); g != 1 || d != 0 {
		t.Errorf("after the first Seal: %d keys generated, %d decrypted; want 1, 0", g, d)
	}
	stored, ok, err := store.ServerSecret(ctx, sealingKeyName)
	if err != nil || !ok {
		t.Fatalf("no sealing key stored after the first Seal (%v)", err)
	}
	// What is stored is the KMS ciphertext of a 256-bit key, not the key.
	key, err := k.Decrypt(ctx, stored, map[string]string{"coffer:purpose": "iam-secrets"})
	if err != nil || len(key) != 32 {
		t.Fatalf("the stored sealing key does not decrypt to a 32-byte key: %d bytes, %v", len(key), err)
	}
	if bytes.Contains(stored, key) {
		t.Error("the stored sealing key contains the plaintext key")
	}
	if _, err := k.Decrypt(ctx, stored, map[string]string{"coffer:purpose": "other"}); !errors.Is(err, kms.ErrInvalidCiphertext) {
		t.Errorf("the sealing key decrypts under another encryption context: %v", err)
	}
	// The key it seals with is that one.
	direct, err := iam.NewKeySealer(key)
	must(t, err)
	if got, err := direct.Open(ctx, sealed, aad); err != nil || !bytes.Equal(got, secret) {
		t.Errorf("opening with the stored key = %q, %v", got, err)
	}

	more, err := first.Seal(ctx, []byte("secret-2"), []byte("aad-2"))
	must(t, err)
	if g, d := k.counts(); g != 1 || d != 1 { // the 1 decryption is the test's own
		t.Errorf("after a second Seal: %d keys generated, %d decrypted; want the key kept in memory", g, d)
	}

	// Another process with the same store decrypts the stored key.
	second := &iam.KMSSealer{KMS: k, Store: store, KeyID: kms.S3OwnedAlias}
	if got, err := second.Open(ctx, sealed, aad); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("second sealer Open = %q, %v; want %q", got, err, secret)
	}
	if got, err := second.Open(ctx, more, []byte("aad-2")); err != nil || string(got) != "secret-2" {
		t.Errorf("second sealer Open = %q, %v", got, err)
	}
	if g, d := k.counts(); g != 1 || d != 2 {
		t.Errorf("after the second sealer's first use: %d keys generated, %d decrypted; want 1, 2", g, d)
	}
	if again, _, err := store.ServerSecret(ctx, sealingKeyName); err != nil || !bytes.Equal(again, stored) {
		t.Error("the second sealer replaced the stored key")
	}
	back, err := second.Seal(ctx, secret, aad)
	must(t, err)
	if got, err := first.Open(ctx, back, aad); err != nil || !bytes.Equal(got, secret) {
		t.Errorf("first sealer opening the second's = %q, %v", got, err)
	}

	for name, s := range map[string]iam.Sealer{"first": first, "second": second} {
		if got, err := s.Open(ctx, sealed, []byte("aad-2")); err == nil {
			t.Errorf("%s sealer opened with a wrong AAD: %q", name, got)
		}
	}

	// A KMS with another master key cannot unwrap the stored key: the
	// database alone reveals no secret.
	stranger := &iam.KMSSealer{KMS: newMemKMS(t), Store: store, KeyID: kms.S3OwnedAlias}
	if _, err := stranger.Open(ctx, sealed, aad); !errors.Is(err, kms.ErrInvalidCiphertext) {
		t.Errorf("a sealer with another KMS: %v, want ErrInvalidCiphertext", err)
	}
}

// TestKMSSealerUnavailable: while the KMS cannot be reached nothing can be
// sealed and nothing is stored; once it answers, sealing works.
func TestKMSSealerUnavailable(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	k := newMemKMS(t)
	k.err = kms.ErrUnavailable
	s := &iam.KMSSealer{KMS: k, Store: store, KeyID: kms.S3OwnedAlias}
	if _, err := s.Seal(ctx, []byte("x"), nil); !errors.Is(err, kms.ErrUnavailable) {
		t.Fatalf("Seal with the KMS down = %v, want ErrUnavailable", err)
	}
	if _, ok, _ := store.ServerSecret(ctx, sealingKeyName); ok {
		t.Fatal("a sealing key was stored although the KMS did not answer")
	}
	k.mu.Lock()
	k.err = nil
	k.mu.Unlock()
	sealed, err := s.Seal(ctx, []byte("x"), nil)
	must(t, err)
	if got, err := s.Open(ctx, sealed, nil); err != nil || string(got) != "x" {
		t.Errorf("Open = %q, %v", got, err)
	}

	// A sealer whose KMS is down when the key is already stored cannot
	// open either.
	k.mu.Lock()
	k.err = kms.ErrUnavailable
	k.mu.Unlock()
	late := &iam.KMSSealer{KMS: k, Store: store, KeyID: kms.S3OwnedAlias}
	if _, err := late.Open(ctx, sealed, nil); !errors.Is(err, kms.ErrUnavailable) {
		t.Errorf("Open with the KMS down = %v, want ErrUnavailable", err)
	}
}

// TestKMSSealerFirstUseRace: two processes that both generate a key on
// first use agree on the one stored first.
func TestKMSSealerFirstUseRace(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	k := newMemKMS(t)
	k.gate, k.gateN = make(chan struct{}), 2
	sealers := []*iam.KMSSealer{
		{KMS: k, Store: store, KeyID: kms.S3OwnedAlias},
		{KMS: k, Store: store, KeyID: kms.S3OwnedAlias},
	}
	sealed := make([][]byte, len(sealers))
	var wg sync.WaitGroup
	for i, s := range sealers {
		wg.Go(func() {
			var err error
			if sealed[i], err = s.Seal(ctx, []byte("secret"), []byte("aad")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if g, d := k.counts(); g != 2 || d != 1 {
		t.Errorf("%d keys generated, %d decrypted; want 2 and the loser decrypting the winner's", g, d)
	}
	for i, s := range sealers {
		for j, b := range sealed {
			if got, err := s.Open(ctx, b, []byte("aad")); err != nil || string(got) != "secret" {
				t.Errorf("sealer %d opening sealer %d's = %q, %v", i, j, got, err)
			}
		}
	}
}

// TestServiceWithKMSSealer: access keys created by one server open in
// another sharing the database and the KMS.
func TestServiceWithKMSSealer(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	k := newMemKMS(t)
	newService := func() *iam.Service {
		return &iam.Service{Store: store, Sealer: &iam.KMSSealer{KMS: k, Store: store, KeyID: kms.S3OwnedAlias}}
	}
	a := newService()
	na, err := a.CreateAccount(ctx, "team")
	must(t, err)
	b := newService()
	cred, err := (&iam.Credentials{IAM: b}).Lookup(ctx, na.AccessKeyID)
	if err != nil || cred.SecretKey != na.SecretAccessKey {
		t.Fatalf("Lookup on another server = %+v, %v; want secret %q", cred, err, na.SecretAccessKey)
	}
	if g, _ := k.counts(); g != 1 {
		t.Errorf("%d sealing keys generated, want 1", g)
	}
}
