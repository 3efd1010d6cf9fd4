package object

import (
	"bytes"
	"cmp"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"

	"github.com/coffer-project/coffer/internal/checksum"
	"github.com/coffer-project/coffer/internal/meta"
)

// bodySpec describes a request body to store as one blob.
type bodySpec struct {
	body       io.Reader
	size       int64 // declared size; -1 unknown
	max        int64 // largest size accepted
	contentMD5 string
	sent       ChecksumInput      // what the client sent; verified
	storeAlgo  checksum.Algorithm // algorithm of the checksum to store ("" → sent algorithm, else CRC64NVME)
}

// storedBlob is a body that was verified and made durable.
type storedBlob struct {
	id       string
	size     int64
	md5      []byte
	checksum meta.Checksum // FULL_OBJECT over this blob
}

func (b storedBlob) etag() string { return hex.EncodeToString(b.md5) }

// part returns the blob as a version part or upload part.
func (b storedBlob) part(number int, now time.Time) meta.Part {
	return meta.Part{
		Number:       number,
		BlobID:       b.id,
		Size:         b.size,
		ETag:         b.etag(),
		Checksum:     b.checksum,
		LastModified: now,
	}
}

// writeBlob streams spec.body into a new blob, hashing as it goes. Every
// check (size, Content-MD5, checksum) runs before the reader reports EOF to
// the blob store, so a body that fails verification never becomes a blob.
func (s *Service) writeBlob(ctx context.Context, spec bodySpec) (storedBlob, error) {
	if spec.size > spec.max {
		return storedBlob{}, fmt.Errorf("%w: %d bytes exceed the maximum of %d", ErrEntityTooLarge, spec.size, spec.max)
	}
	if spec.body == nil {
		spec.body = bytes.NewReader(nil) // an empty body
	}
	br := &bodyReader{r: spec.body, want: spec.size, max: spec.max, md5: md5.New()}
	if spec.contentMD5 != "" {
		sum, err := base64.StdEncoding.DecodeString(spec.contentMD5)
		if err != nil || len(sum) != md5.Size {
			return storedBlob{}, fmt.Errorf("%w: the Content-MD5 you specified is not valid", ErrInvalidDigest)
		}
		br.wantMD5 = sum
	}

	sentAlgo, err := parseAlgo(spec.sent.Algorithm)
	if err != nil {
		return storedBlob{}, err
	}
	if sentAlgo != "" {
		br.sent, br.sentAlgo, br.trailer = sentAlgo.New(), sentAlgo, spec.sent.Trailer
		if spec.sent.Value != "" {
			v, err := decodeChecksum(sentAlgo, spec.sent.Value)
			if err != nil {
				return storedBlob{}, err
			}
			br.sentValue = v
		} else if spec.sent.Trailer == nil {
			// Algorithm only (x-amz-sdk-checksum-algorithm without a
			// value): nothing to verify, but store that algorithm.
			br.sent = nil
		}
	} else if spec.sent.Value != "" {
		return storedBlob{}, fmt.Errorf("%w: a checksum value was sent without its algorithm", ErrInvalidRequest)
	}

	storeAlgo := cmp.Or(spec.storeAlgo, sentAlgo, checksum.CRC64NVME)
	if br.sent != nil && storeAlgo == sentAlgo {
		br.store = br.sent
	} else {
		br.store = storeAlgo.New()
	}

	id, n, err := s.Blobs.Put(ctx, br)
	if err != nil {
		if br.err != nil && br.err != io.EOF {
			return storedBlob{}, br.err // our verdict, or the body's own error, unwrapped by the store
		}
		return storedBlob{}, fmt.Errorf("object: store blob: %w", err)
	}
	if n != br.n || br.err != io.EOF {
		s.discard(id)
		return storedBlob{}, fmt.Errorf("object: blob store kept %d of %d bytes", n, br.n)
	}
	return storedBlob{
		id:   id,
		size: n,
		md5:  br.md5.Sum(nil),
		checksum: meta.Checksum{
			Algorithm: string(storeAlgo),
			Type:      string(checksum.TypeFullObject),
			Value:     checksum.Encode(br.store.Sum(nil)),
		},
	}, nil
}

// parseAlgo parses a checksum algorithm name the client sent; "" is none.
func parseAlgo(name string) (checksum.Algorithm, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", nil
	}
	a, err := checksum.Parse(name)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	return a, nil
}

// decodeChecksum decodes a checksum value the client sent.
func decodeChecksum(a checksum.Algorithm, value string) ([]byte, error) {
	v, err := checksum.Decode(a, value)
	if err != nil {
		return nil, fmt.Errorf("%w: value for %s is invalid: %w", ErrInvalidRequest, a.Header(), err)
	}
	return v, nil
}

// bodyReader counts and hashes a body and, at its end, verifies it: it
// returns the verification error instead of io.EOF.
type bodyReader struct {
	r         io.Reader
	want, max int64
	n         int64
	md5       hash.Hash
	wantMD5   []byte
	sent      hash.Hash // nil: nothing to verify
	sentAlgo  checksum.Algorithm
	sentValue []byte        // from the header; nil → trailer
	trailer   func() string // called after EOF when sentValue is nil
	store     hash.Hash     // may be sent
	err       error         // sticky; io.EOF after a verified end
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.r.Read(p)
	if n > 0 {
		b.n += int64(n)
		if b.want >= 0 && b.n > b.want {
			b.err = fmt.Errorf("%w: the body is longer than the declared %d bytes", ErrInvalidRequest, b.want)
			return 0, b.err
		}
		if b.n > b.max {
			b.err = fmt.Errorf("%w: the body exceeds the maximum of %d bytes", ErrEntityTooLarge, b.max)
			return 0, b.err
		}
		b.md5.Write(p[:n])
		if b.sent != nil {
			b.sent.Write(p[:n])
		}
		if b.store != b.sent {
			b.store.Write(p[:n])
		}
	}
	switch {
	case err == io.EOF:
		b.err = b.verify()
		if b.err != io.EOF {
			return 0, b.err
		}
	case err != nil:
		b.err = err
	}
	return n, err
}

// verify runs the end-of-body checks and returns io.EOF if all pass.
func (b *bodyReader) verify() error {
	if b.want >= 0 && b.n < b.want {
		return fmt.Errorf("%w: received %d of the declared %d bytes", ErrIncompleteBody, b.n, b.want)
	}
	if b.wantMD5 != nil && !bytes.Equal(b.md5.Sum(nil), b.wantMD5) {
		return fmt.Errorf("%w: the Content-MD5 you specified did not match what we received", ErrBadDigest)
	}
	if b.sent == nil {
		return io.EOF
	}
	want := b.sentValue
	if want == nil {
		value := b.trailer()
		if value == "" {
			return fmt.Errorf("%w: the %s trailer was not sent", ErrInvalidRequest, b.sentAlgo.Header())
		}
		v, err := decodeChecksum(b.sentAlgo, value)
		if err != nil {
			return err
		}
		want = v
	}
	if !bytes.Equal(b.sent.Sum(nil), want) {
		return fmt.Errorf("%w: the %s you specified did not match the calculated checksum", ErrBadDigest, b.sentAlgo)
	}
	return io.EOF
}
