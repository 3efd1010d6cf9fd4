package sse

import (
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
)

// Opener opens length bytes of the stored stream at offset. A reader that
// ends before length bytes (io.EOF or io.ErrUnexpectedEOF) means the
// stream was truncated; other errors are passed on.
type Opener func(offset, length int64) (io.ReadCloser, error)

// errClosed is returned by reads after Close.
var errClosed = errors.New("sse: read after Close")

// NewDecryptReader returns the plaintext bytes [offset, offset+length) of a
// stream of plainSize plaintext bytes made by NewEncryptReader with
// objectKey and part. It calls open at most twice: once for the header and
// once for the packages the range touches, or once for both when the range
// starts in the first package. An empty range of a non-empty stream opens
// nothing.
//
// Every package is authenticated before any of its bytes is returned, and
// the first one before NewDecryptReader returns, so that damage is found
// before the caller commits to a response. A package that does not
// authenticate (tampered, truncated, reordered, moved from another stream
// or part, the wrong key or part number, a plainSize the stream was not
// made with) gives an error wrapping ErrIntegrity; errors of open and of
// the readers it returns are wrapped as they are.
//
// A Read into a buffer at least a package long decrypts whole packages in
// place there; the reader also implements io.WriterTo, which io.Copy uses.
// Close closes what open returned and clears the plaintext buffer.
func NewDecryptReader(open Opener, objectKey []byte, part int, plainSize, offset, length int64) (io.ReadCloser, error) {
	if err := checkStreamArgs(objectKey, part); err != nil {
		return nil, err
	}
	if plainSize < 0 || plainSize > maxPlainSize || offset < 0 || length < 0 || offset > plainSize || length > plainSize-offset {
		return nil, fmt.Errorf("sse: range [%d, %d+%d) is not within a stream of %d bytes", offset, offset, length, plainSize)
	}
	span := spanOf(plainSize, offset, length)
	d := &decryptReader{
		plainSize: plainSize,
		start:     offset,
		end:       offset + length,
		next:      span.first,
		last:      span.last,
		final:     packageCount(plainSize) - 1,
	}
	if span.last < span.first {
		d.err = io.EOF
		return d, nil
	}
	if err := d.openStream(open, objectKey, part, span); err != nil {
		d.Close()
		return nil, err
	}
	d.buf = make([]byte, min(sealedPackage, span.end-span.offset))
	if err := d.fill(); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

type decryptReader struct {
	aead  cipher.AEAD
	body  io.ReadCloser // the stream from package next on
	buf   []byte        // package buffer
	out   []byte        // authenticated plaintext in buf not yet returned
	nonce [gcmNonceSize]byte

	plainSize  int64
	start, end int64 // the plaintext range [start, end) read
	next, last int64 // the next package to read, and the range's last one
	final      int64 // the stream's final package
	err        error // io.EOF when done
}

var _ io.WriterTo = (*decryptReader)(nil)

// openStream opens the stream, reads and checks its header and makes the
// stream cipher; d.body is left at package span.first.
func (d *decryptReader) openStream(open Opener, objectKey []byte, part int, span packageSpan) error {
	var header [headerSize]byte
	if span.first == 0 {
		body, err := open(0, span.end)
		if err != nil {
			return fmt.Errorf("sse: open stream: %w", err)
		}
		d.body = body
		if err := readStored(body, header[:]); err != nil {
			return fmt.Errorf("sse: stream header: %w", err)
		}
	} else {
		h, err := open(0, headerSize)
		if err != nil {
			return fmt.Errorf("sse: open stream header: %w", err)
		}
		err = readStored(h, header[:])
		if cerr := h.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("sse: stream header: %w", err)
		}
		if d.body, err = open(span.offset, span.end-span.offset); err != nil {
			return fmt.Errorf("sse: open stream at package %d: %w", span.first, err)
		}
	}
	if header[0] != streamVersion1 {
		return fmt.Errorf("sse: unknown stream version %d: %w", header[0], ErrIntegrity)
	}
	aead, err := streamCipher(objectKey, header[1:], part)
	if err != nil {
		return err
	}
	d.aead = aead
	return nil
}

// readStored fills p from r. A reader that ends first means the stream
// was truncated, which is an integrity failure.
func readStored(r io.Reader, p []byte) error {
	_, err := io.ReadFull(r, p)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated: %w", ErrIntegrity)
	}
	return err
}

func (d *decryptReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(d.out) > 0 {
			c := copy(p[n:], d.out)
			d.out = d.out[c:]
			n += c
			continue
		}
		if d.err != nil {
			break
		}
		if d.next > d.last {
			d.err = io.EOF
			break
		}
		if d.whole(d.next) && len(p)-n >= int(packageSize(d.plainSize, d.next)) {
			plain, err := d.openPackage(p[n:])
			if err != nil {
				d.err = err
				break
			}
			n += len(plain)
			continue
		}
		if err := d.fill(); err != nil {
			d.err = err
		}
	}
	if n > 0 || len(p) == 0 {
		return n, nil
	}
	return 0, d.err
}

// WriteTo implements io.WriterTo: it writes the rest of the range to w one
// package at a time, straight from the package buffer.
func (d *decryptReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(d.out) > 0 {
			k, err := w.Write(d.out)
			total += int64(k)
			d.out = d.out[k:]
			if err == nil && len(d.out) > 0 {
				err = io.ErrShortWrite
			}
			if err != nil {
				return total, err
			}
		}
		switch {
		case d.err == io.EOF:
			return total, nil
		case d.err != nil:
			return total, d.err
		case d.next > d.last:
			d.err = io.EOF
		default:
			if err := d.fill(); err != nil {
				d.err = err
			}
		}
	}
}

// Close closes the stream and clears the plaintext buffer.
func (d *decryptReader) Close() error {
	var err error
	if d.body != nil {
		err = d.body.Close()
		d.body = nil
	}
	clear(d.buf)
	d.out = nil
	if d.err == nil || d.err == io.EOF {
		d.err = errClosed
	}
	return err
}

// whole reports whether the range takes all of package i.
func (d *decryptReader) whole(i int64) bool {
	lo := i * PackageSize
	return lo >= d.start && min(lo+PackageSize, d.plainSize) <= d.end
}

// fill opens the next package in buf and leaves the part of its
// plaintext that the range takes in out.
func (d *decryptReader) fill() error {
	i := d.next
	plain, err := d.openPackage(d.buf)
	if err != nil {
		return err
	}
	lo := max(d.start-i*PackageSize, 0)
	hi := min(d.end-i*PackageSize, int64(len(plain)))
	d.out = plain[lo:hi]
	return nil
}

// openPackage reads the next package into dst, which has room for it,
// and decrypts it in place. It returns the plaintext, which is returned
// only once it is authenticated.
func (d *decryptReader) openPackage(dst []byte) ([]byte, error) {
	i := d.next
	sealed := dst[:packageSize(d.plainSize, i)]
	if err := readStored(d.body, sealed); err != nil {
		return nil, fmt.Errorf("sse: package %d: %w", i, err)
	}
	packageNonce(&d.nonce, i, i == d.final)
	plain, err := d.aead.Open(sealed[:0], d.nonce[:], sealed, nil)
	if err != nil {
		return nil, fmt.Errorf("sse: package %d does not authenticate: %w", i, ErrIntegrity)
	}
	d.next++
	return plain, nil
}
