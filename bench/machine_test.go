package main

// The machine's own limits, to read coffer's figures against: how fast one
// core seals with AES-256-GCM (what SSE costs) and hashes with MD5 (ETags)
// and SHA-256 (SigV4 signed payloads). Run with
//
//	go test -run '^$' -bench . ./bench

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/sha256"
	"testing"
)

const bufSize = 1 << 20

func BenchmarkAES256GCMSeal1MiB(b *testing.B) {
	block, err := aes.NewCipher(make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, bufSize)
	nonce := make([]byte, aead.NonceSize())
	out := make([]byte, 0, bufSize+aead.Overhead())
	b.SetBytes(bufSize)
	for b.Loop() {
		out = aead.Seal(out[:0], nonce, buf, nil)
	}
}

func BenchmarkMD5_1MiB(b *testing.B) {
	buf := make([]byte, bufSize)
	b.SetBytes(bufSize)
	for b.Loop() {
		md5.Sum(buf)
	}
}

func BenchmarkSHA256_1MiB(b *testing.B) {
	buf := make([]byte, bufSize)
	b.SetBytes(bufSize)
	for b.Loop() {
		sha256.Sum256(buf)
	}
}
