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

	"github.com/coffer-project/coffer/internal/blob"
	"github.com/coffer-project/coffer/internal/checksum"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/sse"
)

// bodySpec describes a request body to store as one part: in a blob, or
// inline in the metadata store when it is small.
type bodySpec struct {
	body       io.Reader
	size       int64 // declared size; -1 unknown
	max        int64 // largest size accepted
	contentMD5 string
	sent       ChecksumInput      // what the client sent; verified
	storeAlgo  checksum.Algorithm // algorithm of the checksum to store ("" → sent algorithm, else CRC64NVME)
	// key, when set, encrypts the body (sse stream of part number part)
	// before it is stored; mode is the encryption mode (for the ETag).
	key  []byte
	part int
	mode string
	// class is the storage class the data is stored for: a blob goes to
	// that class's tier.
	class string
}

// storedBody is a verified body: either in a durable blob (id), or held
// in memory (inline) to be committed with the metadata.
type storedBody struct {
	id       string        // "" when inline
	inline   []byte        // the data (encrypted, when a key was given) when it is kept inline; nil for a blob
	size     int64         // plaintext bytes
	etag     string        // hex MD5 of the plaintext, or an opaque ETag for SSE-KMS and SSE-C
	checksum meta.Checksum // FULL_OBJECT over this body
}

// part returns the body as a version part or upload part.
func (b storedBody) part(number int, now time.Time) meta.Part {
	return meta.Part{
		Number:       number,
		BlobID:       b.id,
		Inline:       b.inline,
		Size:         b.size,
		ETag:         b.etag,
		Checksum:     b.checksum,
		LastModified: now,
	}
}

// storeBody verifies spec.body and stores it. Every check (size,
// Content-MD5, checksum) runs in one bodyReader before it reports EOF, so a
// body that fails verification is never stored.
//
// A body whose declared size is at most s.inlineMax() is read into memory
// (exactly size+1 bytes are allocated) and returned as inline data, to be
// committed in the same metadata transaction as its version or part: no
// blob, no blob fsyncs (see DefaultInlineMax). Any other body streams into a
// new blob, which is durable when this returns.
func (s *Service) storeBody(ctx context.Context, spec bodySpec) (storedBody, error) {
	if spec.size > spec.max {
		return storedBody{}, fmt.Errorf("%w: %d bytes exceed the maximum of %d", ErrEntityTooLarge, spec.size, spec.max)
	}
	if spec.body == nil {
		spec.body = bytes.NewReader(nil) // an empty body
	}
	br := &bodyReader{r: spec.body, want: spec.size, max: spec.max, md5: md5.New()}
	if spec.contentMD5 != "" {
		sum, err := base64.StdEncoding.DecodeString(spec.contentMD5)
		if err != nil || len(sum) != md5.Size {
			return storedBody{}, fmt.Errorf("%w: the Content-MD5 you specified is not valid", ErrInvalidDigest)
		}
		br.wantMD5 = sum
	}

	sentAlgo, err := parseAlgo(spec.sent.Algorithm)
	if err != nil {
		return storedBody{}, err
	}
	if sentAlgo != "" {
		br.sent, br.sentAlgo, br.trailer = sentAlgo.New(), sentAlgo, spec.sent.Trailer
		if spec.sent.Value != "" {
			v, err := decodeChecksum(sentAlgo, spec.sent.Value)
			if err != nil {
				return storedBody{}, err
			}
			br.sentValue = v
		} else if spec.sent.Trailer == nil {
			// Algorithm only (x-amz-sdk-checksum-algorithm without a
			// value): nothing to verify, but store that algorithm.
			br.sent = nil
		}
	} else if spec.sent.Value != "" {
		return storedBody{}, fmt.Errorf("%w: a checksum value was sent without its algorithm", ErrInvalidRequest)
	}

	storeAlgo := cmp.Or(spec.storeAlgo, sentAlgo, checksum.CRC64NVME)
	if br.sent != nil && storeAlgo == sentAlgo {
		br.store = br.sent
	} else {
		br.store = storeAlgo.New()
	}

	sum := func() meta.Checksum {
		return meta.Checksum{
			Algorithm: string(storeAlgo),
			Type:      string(checksum.TypeFullObject),
			Value:     checksum.Encode(br.store.Sum(nil)),
		}
	}

	etag := func() string {
		if spec.key != nil && opaqueETag(spec.mode) {
			return sse.ETag(spec.key, br.md5.Sum(nil))
		}
		return hex.EncodeToString(br.md5.Sum(nil))
	}

	if spec.size >= 0 && spec.size <= s.inlineMax() {
		data, err := readInline(br, spec.size)
		if err != nil {
			return storedBody{}, err
		}
		if spec.key != nil {
			plain := data
			if data, err = sse.Encrypt(plain, spec.key, spec.part, s.Rand); err != nil {
				return storedBody{}, err
			}
			clear(plain)
		}
		return storedBody{inline: data, size: br.n, etag: etag(), checksum: sum()}, nil
	}

	var src io.Reader = br
	if spec.key != nil {
		if src, err = sse.NewEncryptReader(br, spec.key, spec.part, s.Rand); err != nil {
			return storedBody{}, err
		}
	}
	id, n, err := s.putBlob(ctx, spec.class, src)
	if err != nil {
		if br.err != nil && br.err != io.EOF {
			return storedBody{}, br.err // our verdict, or the body's own error, unwrapped by the store
		}
		return storedBody{}, fmt.Errorf("object: store blob: %w", err)
	}
	if want := storedSize(br.n, spec.key); n != want || br.err != io.EOF {
		s.discard(id)
		return storedBody{}, fmt.Errorf("object: blob store kept %d of %d bytes", n, want)
	}
	return storedBody{id: id, size: br.n, etag: etag(), checksum: sum()}, nil
}

// putBlob stores r as a blob where class's data belongs: in its tier when
// the blob store keeps classes apart.
func (s *Service) putBlob(ctx context.Context, class string, r io.Reader) (string, int64, error) {
	if cs, ok := s.Blobs.(blob.ClassStore); ok {
		return cs.PutClass(ctx, storageClass(class), r)
	}
	return s.Blobs.Put(ctx, r)
}

// storedSize is how many bytes n bytes of data take in a blob.
func storedSize(n int64, key []byte) int64 {
	if key == nil {
		return n
	}
	return sse.CiphertextSize(n)
}

// readInline reads a body of the declared size (br.want == size) to its
// verified end. The buffer has one byte more than size, so each Read has
// room to return data or the end: br fails a body that is longer than
// declared as soon as the extra byte arrives, so it never fills.
func readInline(br *bodyReader, size int64) ([]byte, error) {
	buf := make([]byte, size+1)
	n := 0
	for {
		m, err := br.Read(buf[n:])
		n += m
		switch {
		case err == io.EOF:
			return buf[:n:n], nil // br verified size and digests
		case err != nil:
			return nil, err // br.err: our verdict or the body's own error
		}
	}
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
