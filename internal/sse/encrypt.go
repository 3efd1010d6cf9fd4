package sse

import (
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"io"
)

// NewEncryptReader returns a reader of the encrypted stream of plain: all
// of plain, until it returns io.EOF. part is the part number (0 for a
// single-part object, 1 to 10000 for the parts of a multipart upload). The
// stream key is derived from objectKey, part and a fresh salt read from
// random (crypto/rand.Reader when nil) and written in the stream's header,
// so encrypting the same part again never reuses a key and nonce.
//
// An error from plain is returned unchanged (errors.Is and == work on it),
// and so is every later Read. Each package is read from plain in full
// before it is sealed, plus one byte more that tells whether it is the
// last. A Read into a buffer of at least PackageSize+16 bytes seals
// packages in place there; the reader also implements io.WriterTo, which
// io.Copy uses, so neither copies the data once more.
func NewEncryptReader(plain io.Reader, objectKey []byte, part int, random io.Reader) (io.Reader, error) {
	if err := checkStreamArgs(objectKey, part); err != nil {
		return nil, err
	}
	if random == nil {
		random = rand.Reader
	}
	e := &encryptReader{src: plain}
	e.header[0] = streamVersion1
	if _, err := io.ReadFull(random, e.header[1:]); err != nil {
		return nil, fmt.Errorf("sse: stream salt: %w", err)
	}
	aead, err := streamCipher(objectKey, e.header[1:], part)
	if err != nil {
		return nil, err
	}
	e.aead = aead
	e.out = e.header[:]
	return e, nil
}

// firstBufferSize is where the package buffer starts: it grows to a full
// package only for streams longer than that, so small objects stay small.
const firstBufferSize = 4 << 10

// maxEmptyReads is how many (0, nil) reads in a row from the source are
// taken as no progress, as io.ReadAtLeast's callers get from bufio.
const maxEmptyReads = 100

type encryptReader struct {
	src    io.Reader
	aead   cipher.AEAD
	seq    int64 // number of the next package
	nonce  [gcmNonceSize]byte
	header [headerSize]byte

	out     []byte // sealed bytes not yet returned: the header, then (the rest of) a package in buf
	buf     []byte // package buffer when the caller's is too small
	carry   byte   // first plaintext byte of the next package, read ahead
	carried bool
	eof     bool  // the source has ended
	done    bool  // the final package is sealed
	err     error // the source's error, returned from then on
}

var _ io.WriterTo = (*encryptReader)(nil)

func (e *encryptReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(e.out) > 0 {
			c := copy(p[n:], e.out)
			e.out = e.out[c:]
			n += c
			continue
		}
		if e.done || e.err != nil {
			break
		}
		if len(p)-n >= sealedPackage {
			k, err := e.sealInto(p[n:])
			if err != nil {
				e.err = err
				break
			}
			n += k
			continue
		}
		k, err := e.sealBuffered()
		if err != nil {
			e.err = err
			break
		}
		e.out = e.buf[:k]
	}
	switch {
	case n > 0 || len(p) == 0:
		return n, nil
	case e.err != nil:
		return 0, e.err
	default:
		return 0, io.EOF
	}
}

// WriteTo implements io.WriterTo: it writes the rest of the stream to w
// one package at a time, straight from the package buffer.
func (e *encryptReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(e.out) > 0 {
			k, err := w.Write(e.out)
			total += int64(k)
			e.out = e.out[k:]
			if err == nil && len(e.out) > 0 {
				err = io.ErrShortWrite
			}
			if err != nil {
				return total, err
			}
		}
		if e.err != nil {
			return total, e.err
		}
		if e.done {
			return total, nil
		}
		k, err := e.sealBuffered()
		if err != nil {
			e.err = err
			return total, err
		}
		e.out = e.buf[:k]
	}
}

// sealInto reads the next package from the source into dst, which has
// room for a sealed full package, and seals it in place. It returns the
// sealed package's length.
func (e *encryptReader) sealInto(dst []byte) (int, error) {
	n := e.takeCarry(dst)
	k, err := e.readFull(dst[n : PackageSize+1])
	if err != nil {
		return 0, err
	}
	return e.seal(dst, n+k), nil
}

// sealBuffered reads the next package into buf, growing it as far as the
// package needs, and seals it there.
func (e *encryptReader) sealBuffered() (int, error) {
	if e.buf == nil {
		e.buf = make([]byte, firstBufferSize)
	}
	n := e.takeCarry(e.buf)
	for {
		k, err := e.readFull(e.buf[n:min(len(e.buf), PackageSize+1)])
		n += k
		if err != nil {
			return 0, err
		}
		if n == PackageSize+1 || e.eof {
			if min(n, PackageSize)+tagSize > len(e.buf) {
				e.grow(n)
			}
			return e.seal(e.buf, n), nil
		}
		e.grow(n)
	}
}

// grow enlarges buf to a full-size one, keeping its first n bytes. That
// holds a sealed package, which is more than a package and its look-ahead
// byte.
func (e *encryptReader) grow(n int) {
	b := make([]byte, sealedPackage)
	copy(b, e.buf[:n])
	e.buf = b
}

// takeCarry puts the byte read ahead, if any, at the start of dst and
// returns how many bytes it put.
func (e *encryptReader) takeCarry(dst []byte) int {
	if !e.carried {
		return 0
	}
	dst[0], e.carried = e.carry, false
	return 1
}

// readFull reads from the source until dst is full or the source has
// ended; the source's errors are returned as they are.
func (e *encryptReader) readFull(dst []byte) (int, error) {
	n, empty := 0, 0
	for n < len(dst) && !e.eof {
		k, err := e.src.Read(dst[n:])
		n += k
		switch {
		case err == io.EOF:
			e.eof = true
		case err != nil:
			return n, err
		case k > 0:
			empty = 0
		default:
			if empty++; empty == maxEmptyReads {
				return n, io.ErrNoProgress
			}
		}
	}
	return n, nil
}

// seal seals the package read into dst in place and returns its sealed
// length. n bytes were read: a full package and the first byte of the
// next, which seal keeps aside, or less, and then the source has ended and
// this is the final package.
func (e *encryptReader) seal(dst []byte, n int) int {
	final := n <= PackageSize
	if !final {
		n = PackageSize
		e.carry, e.carried = dst[n], true
	}
	packageNonce(&e.nonce, e.seq, final)
	e.aead.Seal(dst[:0], e.nonce[:], dst[:n], nil)
	e.seq++
	e.done = final
	return n + tagSize
}

// Encrypt returns the encrypted stream of plain, exactly as
// NewEncryptReader makes it (the same format, a fresh salt from random),
// in a single allocation of CiphertextSize(len(plain)) bytes: for small
// data already in memory, where a streaming reader's package buffer would
// cost more than the data.
func Encrypt(plain, objectKey []byte, part int, random io.Reader) ([]byte, error) {
	if err := checkStreamArgs(objectKey, part); err != nil {
		return nil, err
	}
	if random == nil {
		random = rand.Reader
	}
	n := int64(len(plain))
	out := make([]byte, headerSize, CiphertextSize(n))
	out[0] = streamVersion1
	if _, err := io.ReadFull(random, out[1:headerSize]); err != nil {
		return nil, fmt.Errorf("sse: stream salt: %w", err)
	}
	aead, err := streamCipher(objectKey, out[1:headerSize], part)
	if err != nil {
		return nil, err
	}
	var nonce [gcmNonceSize]byte
	last := packageCount(n) - 1
	for i := int64(0); i <= last; i++ {
		packageNonce(&nonce, i, i == last)
		out = aead.Seal(out, nonce[:], plain[i*PackageSize:min((i+1)*PackageSize, n)], nil)
	}
	return out, nil
}
