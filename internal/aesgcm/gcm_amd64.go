package aesgcm

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"sync"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// accelerated reports whether the CPU (and the OS, which must save the
// AVX-512 state) supports the vector implementation.
var accelerated = cpu.X86.HasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL &&
	cpu.X86.HasAVX512VAES && cpu.X86.HasAVX512VPCLMULQDQ && cpu.X86.HasPCLMULQDQ

const (
	nonceSize = 12
	tagSize   = 16
	chunk     = 256 // bytes per step of the assembly: 16 blocks
	// maxPlaintext is GCM's limit: 2³² − 2 blocks under one nonce.
	maxPlaintext = (1<<32 - 2) * 16
)

// The assembly (ctr_amd64.s, ghash_amd64.s).
//
// ctr16 XORs n·256 bytes of src with the keystream from counter block ctr
// (nonce ‖ 32-bit big-endian counter, incremented modulo 2³² as GCM does)
// into dst; dst may be src. ghash16 folds n·256 bytes of src into the
// GHASH state acc (GCM's byte order), with htab holding H¹⁶ … H¹ in the
// form the assembly multiplies (see toDomain).
//
//go:noescape
func ctr16(rk *[240]byte, ctr *[16]byte, dst, src *byte, n int)

//go:noescape
func ghash16(acc *[16]byte, htab *[16][16]byte, src *byte, n int)

// openStitched (open_amd64.s) is ghash16 over src and ctr16 from src into
// dst in one pass, the two interleaved; ctr is left as it was.
//
//go:noescape
func openStitched(rk *[240]byte, htab *[16][16]byte, acc, ctr *[16]byte, dst, src *byte, n int)

var errOpen = errors.New("cipher: message authentication failed")

// vectorGCM is AES-256-GCM on the vector assembly.
type vectorGCM struct {
	rk   [240]byte    // the 15 round keys
	htab [16][16]byte // H¹⁶ … H¹
}

func newVector(key []byte) cipher.AEAD {
	g := &vectorGCM{rk: expandKey(key)}
	// H = E(0¹²⁸): the first block of the keystream from a zero counter.
	var zero [16]byte
	var ks [chunk]byte
	ctr16(&g.rk, &zero, &ks[0], &ks[0], 1)
	var h [16]byte
	copy(h[:], ks[:16])
	clear(ks[:])
	// H¹ first; each further power is the previous one times H, a GHASH of
	// one block (the last of a chunk, which is multiplied by H¹).
	g.htab[15] = toDomain(h)
	p := h
	for i := 14; i >= 0; i-- {
		var buf [chunk]byte
		copy(buf[chunk-16:], p[:])
		var acc [16]byte
		ghash16(&acc, &g.htab, &buf[0], 1)
		p = acc
		g.htab[i] = toDomain(p)
	}
	return g
}

func (*vectorGCM) NonceSize() int { return nonceSize }
func (*vectorGCM) Overhead() int  { return tagSize }

func (g *vectorGCM) Seal(dst, nonce, plaintext, ad []byte) []byte {
	if len(nonce) != nonceSize {
		panic("crypto/cipher: incorrect nonce length given to GCM")
	}
	if uint64(len(plaintext)) > maxPlaintext {
		panic("crypto/cipher: message too large for GCM")
	}
	ret, out := grow(dst, len(plaintext)+tagSize)
	if inexactOverlap(out, plaintext) {
		panic("crypto/cipher: invalid buffer overlap")
	}
	g.crypt(out[:len(plaintext)], plaintext, nonce)
	tag := g.tag(nonce, out[:len(plaintext)], ad)
	copy(out[len(plaintext):], tag[:])
	return ret
}

func (g *vectorGCM) Open(dst, nonce, ciphertext, ad []byte) ([]byte, error) {
	if len(nonce) != nonceSize {
		panic("crypto/cipher: incorrect nonce length given to GCM")
	}
	if len(ciphertext) < tagSize || uint64(len(ciphertext)) > maxPlaintext+tagSize {
		return nil, errOpen
	}
	ct, tag := ciphertext[:len(ciphertext)-tagSize], ciphertext[len(ciphertext)-tagSize:]
	ret, out := grow(dst, len(ct))
	if inexactOverlap(out, ciphertext) {
		panic("crypto/cipher: invalid buffer overlap")
	}
	// The whole chunks are hashed and decrypted in one pass, so the
	// plaintext exists before the tag is checked; it is cleared if the
	// check fails, as crypto/cipher does.
	var acc, ctr [16]byte
	g.ghash(&acc, ad)
	copy(ctr[:], nonce)
	ctr[15] = 2
	n := len(ct) / chunk
	if n > 0 {
		openStitched(&g.rk, &g.htab, &acc, &ctr, &out[0], &ct[0], n)
	}
	g.ghash(&acc, ct[n*chunk:])
	g.cryptFrom(out[n*chunk:], ct[n*chunk:], &ctr, n)
	want := g.finish(&acc, nonce, len(ct), len(ad))
	if subtle.ConstantTimeCompare(want[:], tag) != 1 {
		clear(out)
		return nil, errOpen
	}
	return ret, nil
}

// crypt XORs src with the keystream of nonce from counter 2 into dst.
func (g *vectorGCM) crypt(dst, src, nonce []byte) {
	var ctr [16]byte
	copy(ctr[:], nonce)
	ctr[15] = 2
	n := len(src) / chunk
	if n > 0 {
		ctr16(&g.rk, &ctr, &dst[0], &src[0], n)
	}
	g.cryptFrom(dst[n*chunk:], src[n*chunk:], &ctr, n)
}

// cryptFrom XORs src, shorter than a chunk, with the keystream that
// follows skip chunks from counter block ctr into dst.
func (g *vectorGCM) cryptFrom(dst, src []byte, ctr *[16]byte, skip int) {
	if len(src) == 0 {
		return
	}
	next := *ctr
	binary.BigEndian.PutUint32(next[12:], binary.BigEndian.Uint32(ctr[12:])+uint32(16*skip))
	var ks [chunk]byte
	ctr16(&g.rk, &next, &ks[0], &ks[0], 1)
	subtle.XORBytes(dst, src, ks[:len(src)])
	clear(ks[:])
}

// tag is the GCM tag of ct and ad under nonce.
func (g *vectorGCM) tag(nonce, ct, ad []byte) [16]byte {
	var acc [16]byte
	g.ghash(&acc, ad)
	g.ghash(&acc, ct)
	return g.finish(&acc, nonce, len(ct), len(ad))
}

// finish folds the lengths block into acc and returns the tag.
func (g *vectorGCM) finish(acc *[16]byte, nonce []byte, ctLen, adLen int) [16]byte {
	var lengths [16]byte
	binary.BigEndian.PutUint64(lengths[:8], uint64(adLen)*8)
	binary.BigEndian.PutUint64(lengths[8:], uint64(ctLen)*8)
	g.ghash(acc, lengths[:])
	// E(J0), J0 = nonce ‖ 1.
	var j0 [16]byte
	copy(j0[:], nonce)
	j0[15] = 1
	var ks [chunk]byte
	ctr16(&g.rk, &j0, &ks[0], &ks[0], 1)
	subtle.XORBytes(acc[:], acc[:], ks[:16])
	clear(ks[:])
	return *acc
}

// ghash folds data, zero-padded to whole blocks, into acc. A last part
// shorter than a chunk is placed at the end of a zero chunk with acc
// folded into its first block by hand: leading zero blocks add nothing,
// and the blocks are then multiplied by the powers of H they need.
func (g *vectorGCM) ghash(acc *[16]byte, data []byte) {
	n := len(data) / chunk
	if n > 0 {
		ghash16(acc, &g.htab, &data[0], n)
	}
	rest := data[n*chunk:]
	if len(rest) == 0 {
		return
	}
	var buf [chunk]byte
	off := chunk - 16*((len(rest)+15)/16)
	copy(buf[off:], rest)
	subtle.XORBytes(buf[off:off+16], buf[off:off+16], acc[:])
	*acc = [16]byte{}
	ghash16(acc, &g.htab, &buf[0], 1)
}

// toDomain turns a field element in GCM's byte order into the form the
// assembly multiplies: the bytes reversed (a little-endian 128-bit
// number) and multiplied by x modulo the bit-reflected GCM polynomial, so
// that a carry-less product needs no shift before its reduction.
func toDomain(h [16]byte) (out [16]byte) {
	hi := binary.BigEndian.Uint64(h[:8])
	lo := binary.BigEndian.Uint64(h[8:])
	carry := hi >> 63
	hi = hi<<1 | lo>>63
	lo <<= 1
	if carry == 1 {
		hi ^= 0xc200000000000000
		lo ^= 1
	}
	binary.LittleEndian.PutUint64(out[:8], lo)
	binary.LittleEndian.PutUint64(out[8:], hi)
	return out
}

// sbox is AES's S-box, computed on first use: the multiplicative inverse
// in GF(2⁸) followed by the affine map.
var sbox = sync.OnceValue(func() (s [256]byte) {
	// Powers of the generator 3 enumerate the field's non-zero elements.
	var exp, log [256]byte
	x := byte(1)
	for i := 0; i < 255; i++ {
		exp[i], log[x] = x, byte(i)
		x ^= x<<1 ^ (x>>7)*0x1b // x·3
	}
	rotl := func(b byte, n uint) byte { return b<<n | b>>(8-n) }
	for v := 0; v < 256; v++ {
		var inv byte
		if v != 0 {
			inv = exp[(255-int(log[v]))%255]
		}
		s[v] = inv ^ rotl(inv, 1) ^ rotl(inv, 2) ^ rotl(inv, 3) ^ rotl(inv, 4) ^ 0x63
	}
	return s
})

// expandKey is the AES-256 key schedule (FIPS 197 §5.2): 15 round keys.
func expandKey(key []byte) (rk [240]byte) {
	s := sbox()
	sub := func(w uint32) uint32 {
		return uint32(s[w>>24])<<24 | uint32(s[w>>16&0xff])<<16 | uint32(s[w>>8&0xff])<<8 | uint32(s[w&0xff])
	}
	var w [60]uint32
	for i := 0; i < 8; i++ {
		w[i] = binary.BigEndian.Uint32(key[4*i:])
	}
	rcon := uint32(1)
	for i := 8; i < 60; i++ {
		t := w[i-1]
		switch i % 8 {
		case 0:
			t = sub(t<<8|t>>24) ^ rcon<<24
			rcon <<= 1
		case 4:
			t = sub(t)
		}
		w[i] = w[i-8] ^ t
	}
	for i, v := range w {
		binary.BigEndian.PutUint32(rk[4*i:], v)
	}
	clear(w[:])
	return rk
}

// grow extends in by n bytes, in place if its capacity allows, and returns
// the whole slice and the n new bytes.
func grow(in []byte, n int) (whole, added []byte) {
	if total := len(in) + n; cap(in) >= total {
		whole = in[:total]
	} else {
		whole = make([]byte, total)
		copy(whole, in)
	}
	return whole, whole[len(in):]
}

// inexactOverlap reports whether x and y share memory other than by
// starting at the same byte (in place is allowed; shifted is not).
func inexactOverlap(x, y []byte) bool {
	if len(x) == 0 || len(y) == 0 || &x[0] == &y[0] {
		return false
	}
	xs, ys := uintptr(unsafe.Pointer(&x[0])), uintptr(unsafe.Pointer(&y[0]))
	return xs <= ys+uintptr(len(y)-1) && ys <= xs+uintptr(len(x)-1)
}
