package object

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/coffer-project/coffer/internal/blob"
	"github.com/coffer-project/coffer/internal/meta"
)

// segment is the piece of one blob a read needs.
type segment struct {
	blobID         string
	offset, length int64
}

// partsReader reads [offset, offset+length) of a version whose data is the
// concatenation of its parts' blobs. It opens only the blobs the extent
// touches, one at a time, when the read reaches them.
type partsReader struct {
	ctx   context.Context
	blobs blob.Store
	segs  []segment
	cur   io.ReadCloser
	left  int64 // bytes still expected from cur
	err   error
}

func newPartsReader(ctx context.Context, blobs blob.Store, parts []meta.Part, offset, length int64) *partsReader {
	r := &partsReader{ctx: ctx, blobs: blobs}
	var start int64
	end := offset + length
	for _, p := range parts {
		pend := start + p.Size
		if lo, hi := max(start, offset), min(pend, end); lo < hi {
			r.segs = append(r.segs, segment{blobID: p.BlobID, offset: lo - start, length: hi - lo})
		}
		start = pend
	}
	return r
}

func (r *partsReader) Read(p []byte) (int, error) {
	for r.err == nil {
		if r.cur == nil {
			if len(r.segs) == 0 {
				r.err = io.EOF
				break
			}
			seg := r.segs[0]
			r.segs = r.segs[1:]
			rc, err := r.blobs.Open(r.ctx, seg.blobID, seg.offset, seg.length)
			if err != nil {
				r.err = fmt.Errorf("object: open blob %s: %w", seg.blobID, err)
				break
			}
			r.cur, r.left = rc, seg.length
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

func (r *partsReader) Close() error {
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
