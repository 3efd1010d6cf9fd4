package object

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/s3"
)

const (
	versionIDBytes = 24 // 32 URL-safe characters, the length AWS version IDs have
	uploadIDBytes  = 32 // 43 URL-safe characters
	defaultClass   = "STANDARD"
)

func (s *Service) now() time.Time {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	// The metadata store keeps millisecond precision; XML listings show it.
	return now().UTC().Truncate(time.Millisecond)
}

// inlineMax is the largest body stored inline; -1 when none is.
func (s *Service) inlineMax() int64 {
	switch {
	case s.InlineMax == 0:
		return DefaultInlineMax
	case s.InlineMax < 0:
		return -1
	}
	return s.InlineMax
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// randomBytes returns n random bytes from s.Rand.
func (s *Service) randomBytes(n int) ([]byte, error) {
	r := s.Rand
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("object: random bytes: %w", err)
	}
	return b, nil
}

// randomID returns n random bytes from s.Rand as unpadded base64url.
func (s *Service) randomID(n int) (string, error) {
	b, err := s.randomBytes(n)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// newVersionID returns the version ID a write into bucket b gets: a fresh
// random ID when versioning is enabled, the null version otherwise.
func (s *Service) newVersionID(b meta.Bucket) (string, error) {
	if b.Versioning == meta.VersioningEnabled {
		return s.randomID(versionIDBytes)
	}
	return meta.NullVersionID, nil
}

func storageClass(c string) string {
	if c == "" {
		return defaultClass
	}
	return c
}

// fromMeta turns a meta sentinel into this package's sentinel, keeping the
// original error in the chain for the log.
func fromMeta(err error) error {
	var sentinel error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, meta.ErrNoSuchBucket):
		sentinel = ErrNoSuchBucket
	case errors.Is(err, meta.ErrBucketExists):
		sentinel = ErrBucketAlreadyExists
	case errors.Is(err, meta.ErrBucketNotEmpty):
		sentinel = ErrBucketNotEmpty
	case errors.Is(err, meta.ErrNoSuchKey):
		sentinel = ErrNoSuchKey
	case errors.Is(err, meta.ErrNoSuchVersion):
		sentinel = ErrNoSuchVersion
	case errors.Is(err, meta.ErrNoSuchUpload):
		sentinel = ErrNoSuchUpload
	case errors.Is(err, meta.ErrNoSuchPart):
		sentinel = ErrInvalidPart
	default:
		return err
	}
	if errors.Is(err, sentinel) {
		return err // a precondition already returned one of ours
	}
	return &mappedError{sentinel: sentinel, cause: err}
}

// mappedError reads as its cause but matches both the cause and the sentinel.
type mappedError struct {
	sentinel, cause error
}

func (e *mappedError) Error() string   { return e.cause.Error() }
func (e *mappedError) Unwrap() []error { return []error{e.sentinel, e.cause} }

// bucket loads a bucket or returns ErrNoSuchBucket.
func (s *Service) bucket(ctx context.Context, name string) (meta.Bucket, error) {
	b, err := s.Meta.GetBucket(ctx, name)
	if err != nil {
		return b, fromMeta(err)
	}
	return b, nil
}

// readVersion resolves (bucket, key, versionID) for a read: "" is the latest
// version. A delete marker yields a DeleteMarkerError: NoSuchKey when it is
// the latest version, MethodNotAllowed when named by version ID.
func (s *Service) readVersion(ctx context.Context, bucket, key, versionID string) (meta.Version, error) {
	v, err := s.Meta.GetVersion(ctx, bucket, key, versionID)
	if err != nil {
		if versionID != "" && errors.Is(err, meta.ErrNoSuchKey) {
			return v, &mappedError{sentinel: ErrNoSuchVersion, cause: err}
		}
		return v, fromMeta(err)
	}
	if v.DeleteMarker {
		if versionID == "" {
			return v, &DeleteMarkerError{Marker: v, Err: ErrNoSuchKey}
		}
		return v, &DeleteMarkerError{Marker: v, Err: ErrMethodNotAllowed}
	}
	return v, nil
}

// discard queues blobs written for a request that then failed, so that they
// are deleted by the collector rather than orphaned. Empty IDs, of inline
// parts, have nothing to delete and are skipped.
func (s *Service) discard(ids ...string) {
	ids = slices.DeleteFunc(ids, func(id string) bool { return id == "" })
	if len(ids) == 0 {
		return
	}
	// The request's context may be the reason we fail; the queue entry
	// must still be written.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Meta.EnqueueBlobs(ctx, ids...); err != nil {
		// Recover's orphan sweep removes it at the next start.
		s.log().Error("object: cannot queue blob for deletion", "blobs", ids, "err", err)
		return
	}
	s.nudgeGC()
}

// validateTags applies S3's tag rules (s3.ValidateTags) and reports a
// violation as ErrInvalidTag.
func validateTags(tags []meta.Tag, max int) error {
	if err := s3.ValidateTags(tags, max); err != nil {
		return &mappedError{sentinel: ErrInvalidTag, cause: err}
	}
	return nil
}

// isMultipart reports whether v was assembled by CompleteMultipartUpload.
func isMultipart(v *meta.Version) bool {
	return len(v.Parts) > 0 && v.Parts[0].Number > 0
}
