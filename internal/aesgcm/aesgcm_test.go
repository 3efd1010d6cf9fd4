//go:build amd64

package aesgcm

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	mrand "math/rand/v2"
	"testing"
)

// reference is crypto/cipher's AES-256-GCM.
func reference(t testing.TB, key []byte) cipher.AEAD {
	t.Helper()
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// vector returns the vector implementation under key, or skips the test
// on a CPU without it.
func vector(t testing.TB, key []byte) cipher.AEAD {
	t.Helper()
	if !accelerated {
		t.Skip("aesgcm: this CPU has no AVX-512 VAES/VPCLMULQDQ: only crypto/cipher's GCM is in use, nothing to compare")
	}
	return newVector(key)
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// compare seals plaintext with ad under both implementations and requires
// the same bytes, and that each opens the other's output.
func compare(t *testing.T, got, want cipher.AEAD, nonce, plaintext, ad []byte) {
	t.Helper()
	sealed := got.Seal(nil, nonce, plaintext, ad)
	if ref := want.Seal(nil, nonce, plaintext, ad); !bytes.Equal(sealed, ref) {
		t.Fatalf("%d bytes, %d of AAD: sealed differently from crypto/cipher", len(plaintext), len(ad))
	}
	opened, err := got.Open(nil, nonce, sealed, ad)
	if err != nil || !bytes.Equal(opened, plaintext) {
		t.Fatalf("%d bytes, %d of AAD: does not open its own output: %v", len(plaintext), len(ad), err)
	}
}

// TestMatchesCryptoCipher: every plaintext length up to two chunks and
// past, around the package size internal/sse uses, several AAD lengths,
// random keys and nonces.
func TestMatchesCryptoCipher(t *testing.T) {
	key := random(KeySize)
	got, want := vector(t, key), reference(t, key)
	var lengths []int
	for n := 0; n <= 3*chunk+17; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 4096, 4097, 65535, 65536, 65537, 1<<20+5)
	for i, n := range lengths {
		ad := random([]int{0, 1, 13, 16, 17, 255, 256, 300}[i%8])
		compare(t, got, want, random(nonceSize), random(n), ad)
	}
	for range 20 {
		key := random(KeySize)
		compare(t, vector(t, key), reference(t, key), random(nonceSize), random(mrand.IntN(70000)), random(mrand.IntN(40)))
	}
}

// TestKeySchedule: the vector implementation's first keystream block is
// crypto/aes's encryption of the counter block, for keys of several shapes.
func TestKeySchedule(t *testing.T) {
	for _, key := range [][]byte{make([]byte, KeySize), bytes.Repeat([]byte{0xff}, KeySize), random(KeySize)} {
		if !accelerated {
			t.Skip("no vector implementation on this CPU")
		}
		rk := expandKey(key)
		var ctr [16]byte
		rand.Read(ctr[:12])
		var ks [chunk]byte
		ctr16(&rk, &ctr, &ks[0], &ks[0], 1)
		b, _ := aes.NewCipher(key)
		var want [16]byte
		b.Encrypt(want[:], ctr[:])
		if !bytes.Equal(ks[:16], want[:]) {
			t.Fatalf("key %x: E(counter) %x, crypto/aes %x", key, ks[:16], want)
		}
	}
}

// TestCounterWraps: GCM increments the low 32 bits of the counter block
// modulo 2³²; a chunk that crosses the wrap must too.
func TestCounterWraps(t *testing.T) {
	if !accelerated {
		t.Skip("no vector implementation on this CPU")
	}
	key := random(KeySize)
	rk := expandKey(key)
	b, _ := aes.NewCipher(key)
	ctr := [16]byte{12: 0xff, 13: 0xff, 14: 0xff, 15: 0xf8}
	var ks [2 * chunk]byte
	ctr16(&rk, &ctr, &ks[0], &ks[0], 2)
	c := ctr
	for i := 0; i < len(ks); i += 16 {
		var want [16]byte
		b.Encrypt(want[:], c[:])
		if !bytes.Equal(ks[i:i+16], want[:]) {
			t.Fatalf("block %d (counter %x): keystream differs", i/16, c[12:])
		}
		for j := 15; j >= 12; j-- {
			c[j]++
			if c[j] != 0 {
				break
			}
		}
	}
}

func TestRejectsTampering(t *testing.T) {
	key := random(KeySize)
	g := vector(t, key)
	nonce, ad := random(nonceSize), random(20)
	for _, n := range []int{0, 15, 256, 1000, 65536} {
		sealed := g.Seal(nil, nonce, random(n), ad)
		for _, c := range []struct {
			name            string
			nonce, data, ad []byte
		}{
			{"a flipped ciphertext bit", nonce, flip(sealed, 0), ad},
			{"a flipped tag bit", nonce, flip(sealed, len(sealed)-1), ad},
			{"another nonce", flip(nonce, 3), sealed, ad},
			{"other AAD", nonce, sealed, flip(ad, 19)},
			{"no AAD", nonce, sealed, nil},
			{"truncated", nonce, sealed[:len(sealed)-1], ad},
			{"shorter than a tag", nonce, sealed[:min(len(sealed), 15)], ad},
		} {
			dst := []byte("prefix")
			if out, err := g.Open(dst, c.nonce, c.data, c.ad); err == nil || out != nil {
				t.Errorf("%d bytes, %s: opened (%v)", n, c.name, err)
			}
		}
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	if len(c) > 0 {
		c[i%len(c)] ^= 0x10
	}
	return c
}

// TestAppendAndInPlace: Seal and Open append to dst as crypto/cipher's do,
// work in place, and refuse a shifted overlap.
func TestAppendAndInPlace(t *testing.T) {
	key := random(KeySize)
	g, ref := vector(t, key), reference(t, key)
	nonce, plain := random(nonceSize), random(5000)
	sealed := g.Seal([]byte("head"), nonce, plain, nil)
	if want := ref.Seal([]byte("head"), nonce, plain, nil); !bytes.Equal(sealed, want) {
		t.Fatal("Seal with a prefix in dst differs")
	}
	buf := make([]byte, len(plain), len(plain)+tagSize)
	copy(buf, plain)
	inPlace := g.Seal(buf[:0], nonce, buf, nil)
	if !bytes.Equal(inPlace, sealed[4:]) {
		t.Fatal("in-place Seal differs")
	}
	opened, err := g.Open(inPlace[:0], nonce, inPlace, nil)
	if err != nil || !bytes.Equal(opened, plain) {
		t.Fatalf("in-place Open: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a shifted overlap did not panic")
		}
	}()
	g.Seal(buf[1:1], nonce, buf[:100], nil)
}

// FuzzMatchesCryptoCipher compares the implementations on fuzzed inputs.
func FuzzMatchesCryptoCipher(f *testing.F) {
	f.Add(make([]byte, KeySize), make([]byte, nonceSize), []byte("hello"), []byte("ad"))
	f.Add(random(KeySize), random(nonceSize), random(700), []byte{})
	f.Fuzz(func(t *testing.T, key, nonce, plain, ad []byte) {
		if len(key) != KeySize || len(nonce) != nonceSize {
			return
		}
		got, want := vector(t, key), reference(t, key)
		compare(t, got, want, nonce, plain, ad)
		sealed := want.Seal(nil, nonce, plain, ad)
		if len(sealed) > 0 {
			sealed[len(plain)%len(sealed)] ^= 1
			if _, err := got.Open(nil, nonce, sealed, ad); err == nil {
				t.Fatal("opened a tampered message")
			}
		}
	})
}

// benchEach runs bench as a sub-benchmark for crypto/cipher's GCM and for
// the vector implementation, under one random key.
func benchEach(b *testing.B, bench func(b *testing.B, g cipher.AEAD)) {
	key := random(KeySize)
	b.Run("crypto/cipher", func(b *testing.B) { bench(b, reference(b, key)) })
	b.Run("vector", func(b *testing.B) { bench(b, vector(b, key)) })
}

func BenchmarkOpen64KiB(b *testing.B) {
	benchEach(b, func(b *testing.B, g cipher.AEAD) {
		nonce := random(nonceSize)
		sealed := g.Seal(nil, nonce, random(64<<10), nil)
		dst := make([]byte, 0, 64<<10)
		b.SetBytes(64 << 10)
		for b.Loop() {
			if _, err := g.Open(dst, nonce, sealed, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSeal64KiB(b *testing.B) {
	benchEach(b, func(b *testing.B, g cipher.AEAD) {
		nonce, plain := random(nonceSize), random(64<<10)
		dst := make([]byte, 0, 64<<10+tagSize)
		b.SetBytes(64 << 10)
		for b.Loop() {
			g.Seal(dst, nonce, plain, nil)
		}
	})
}

// BenchmarkNew is the cost of a key: the vector implementation computes
// its round keys and sixteen powers of H.
func BenchmarkNew(b *testing.B) {
	key := random(KeySize)
	for b.Loop() {
		if _, err := New(key); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNewChoosesByCPUAndKey: the vector implementation for a 32-byte key
// where the CPU has it, crypto/cipher's GCM otherwise (and for AES-128).
func TestNewChoosesByCPUAndKey(t *testing.T) {
	g, err := New(random(KeySize))
	if err != nil {
		t.Fatal(err)
	}
	if _, vec := g.(*vectorGCM); vec != accelerated {
		t.Fatalf("New gave %T with accelerated = %v", g, accelerated)
	}
	g, err = New(random(16))
	if err != nil {
		t.Fatal(err)
	}
	if _, vec := g.(*vectorGCM); vec {
		t.Fatal("a 16-byte key got the AES-256 vector implementation")
	}
	if _, err := New(random(31)); err == nil {
		t.Fatal("a 31-byte key was accepted")
	}
}
