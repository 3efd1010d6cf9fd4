package object

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/coffer-project/coffer/internal/blob"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/sse"
)

// segment is the piece of one part a read needs.
type segment struct {
	part           *meta.Part // its blob, or its inline data
	offset, length int64
}

// partsReader reads [offset, offset+length) of a version whose data is the
// concatenation of its parts, each in a blob or inline. It opens only the
// blobs the extent touches, one at a time, when the read reaches them.
type partsReader struct {
	ctx   context.Context
	blobs blob.Store
	key   []byte // object key of encrypted data; nil for plaintext. Cleared by Close.
	segs  []segment
	cur   io.ReadCloser
	left  int64 // bytes still expected from cur
	err   error
}

// key is the version's object key (nil: plaintext data); the reader owns it
// and clears it on Close.
func newPartsReader(ctx context.Context, blobs blob.Store, key []byte, parts []meta.Part, offset, length int64) *partsReader {
	r := &partsReader{ctx: ctx, blobs: blobs, key: key}
	var start int64
	end := offset + length
	for i := range parts {
		pend := start + parts[i].Size
		if lo, hi := max(start, offset), min(pend, end); lo < hi {
			r.segs = append(r.segs, segment{part: &parts[i], offset: lo - start, length: hi - lo})
		}
		start = pend
	}
	return r
}

func (r *partsReader) Read(p []byte) (int, error) {
	for r.err == nil {
		if r.cur == nil && r.openNext() != nil {
			break
		}
		if len(p) == 0 {
			return 0, nil
		}
		if int64(len(p)) > r.left {
			p = p[:r.left]
		}
		n, err := r.cur.Read(p)
		r.left -= int64(n)
		if r.left == 0 {
			err = r.cur.Close()
			r.cur = nil
			if err != nil {
				r.err = err
			}
		} else if err == io.EOF {
			r.err = fmt.Errorf("object: blob ended %d bytes early: %w", r.left, io.ErrUnexpectedEOF)
		} else if err != nil {
			r.err = err
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, r.err
}

// WriteTo implements io.WriterTo, which io.Copy prefers: each segment's
// reader gets the destination itself, so a decrypting reader writes whole
// packages straight from its buffer (no copy through the caller's) and a
// plaintext blob may be sent with sendfile.
func (r *partsReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for r.err == nil {
		if r.cur == nil && r.openNext() != nil {
			break
		}
		// Every segment reader yields exactly its segment's length.
		n, err := io.Copy(w, r.cur)
		total += n
		r.left -= n
		if err == nil && r.left != 0 {
			err = fmt.Errorf("object: blob ended %d bytes early: %w", r.left, io.ErrUnexpectedEOF)
		}
		cerr := r.cur.Close()
		r.cur = nil
		if err == nil {
			err = cerr
		}
		if err != nil {
			r.err = err
		}
	}
	if r.err == io.EOF {
		return total, nil
	}
	return total, r.err
}

// openNext opens the next segment as cur, or sets r.err: io.EOF when
// there is none.
func (r *partsReader) openNext() error {
	if len(r.segs) == 0 {
		r.err = io.EOF
		return r.err
	}
	seg := r.segs[0]
	r.segs = r.segs[1:]
	rc, err := r.open(seg)
	if err != nil {
		r.err = err
		return err
	}
	r.cur, r.left = rc, seg.length
	return nil
}

// prime opens the first segment now, so that a read that cannot start —
// a missing blob, or encrypted data whose first package does not
// authenticate — fails before the caller sends a response.
func (r *partsReader) prime() error {
	if r.cur != nil || len(r.segs) == 0 {
		return nil
	}
	return r.openNext()
}

// open returns a reader over a segment's bytes.
func (r *partsReader) open(seg segment) (io.ReadCloser, error) {
	p := seg.part
	if r.key != nil {
		return sse.NewDecryptReader(r.opener(p), r.key, p.Number, p.Size, seg.offset, seg.length)
	}
	if p.BlobID == "" {
		if int64(len(p.Inline)) != p.Size {
			return nil, fmt.Errorf("object: part %d has %d bytes of inline data, size %d", p.Number, len(p.Inline), p.Size)
		}
		return io.NopCloser(bytes.NewReader(p.Inline[seg.offset : seg.offset+seg.length])), nil
	}
	rc, err := r.blobs.Open(r.ctx, p.BlobID, seg.offset, seg.length)
	if err != nil {
		return nil, fmt.Errorf("object: open blob %s: %w", p.BlobID, err)
	}
	return rc, nil
}

// opener opens stored (encrypted) bytes of a part: its blob or its
// inline data.
func (r *partsReader) opener(p *meta.Part) sse.Opener {
	return func(offset, length int64) (io.ReadCloser, error) {
		if p.BlobID == "" {
			if offset < 0 || length < 0 || offset+length > int64(len(p.Inline)) {
				return nil, fmt.Errorf("object: part %d: inline data is %d bytes, want %d at %d: %w", p.Number, len(p.Inline), length, offset, sse.ErrIntegrity)
			}
			return io.NopCloser(bytes.NewReader(p.Inline[offset : offset+length])), nil
		}
		rc, err := r.blobs.Open(r.ctx, p.BlobID, offset, length)
		if err != nil {
			return nil, fmt.Errorf("object: open blob %s: %w", p.BlobID, err)
		}
		return rc, nil
	}
}

func (r *partsReader) Close() error {
	clear(r.key)
	r.segs = nil
	if r.err == nil {
		r.err = errClosed
	}
	if r.cur != nil {
		err := r.cur.Close()
		r.cur = nil
		return err
	}
	return nil
}

var errClosed = errors.New("object: read after close")
