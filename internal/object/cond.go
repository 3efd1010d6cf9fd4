package object

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/s3"
)

// etagListMatches reports whether an If-Match/If-None-Match value names
// etag ("*" names every ETag).
func etagListMatches(list, etag string) bool {
	return s3.ETagMatches(s3.ParseETagList(list), etag)
}

// checkRead evaluates read preconditions against v the way S3 applies
// RFC 7232 section 6: If-Match (412) before If-Unmodified-Since, which is
// ignored when If-Match is present; then If-None-Match (304) before
// If-Modified-Since, which is ignored when If-None-Match is present. The
// first failing test decides. A date later than now is not a valid
// If-Modified-Since and is ignored. Dates compare at second precision, the
// precision of HTTP dates.
func checkRead(c Conditions, v *meta.Version, now time.Time) error {
	lm := v.LastModified.Truncate(time.Second)
	if c.IfMatch != "" {
		if !etagListMatches(c.IfMatch, v.ETag) {
			return fmt.Errorf("%w: If-Match %s", ErrPreconditionFailed, c.IfMatch)
		}
	} else if !c.IfUnmodifiedSince.IsZero() && lm.After(c.IfUnmodifiedSince) {
		return fmt.Errorf("%w: modified since %s", ErrPreconditionFailed, c.IfUnmodifiedSince.UTC().Format(time.RFC1123))
	}
	if c.IfNoneMatch != "" {
		if etagListMatches(c.IfNoneMatch, v.ETag) {
			return fmt.Errorf("%w: If-None-Match %s", ErrNotModified, c.IfNoneMatch)
		}
	} else if ims := c.IfModifiedSince; !ims.IsZero() && !ims.After(now) && !lm.After(ims) {
		return fmt.Errorf("%w: not modified since %s", ErrNotModified, ims.UTC().Format(time.RFC1123))
	}
	return nil
}

// checkCopySource evaluates x-amz-copy-source-if-* headers: the same tests
// as a read, but every failure is 412 (a copy has no 304).
func checkCopySource(c Conditions, v *meta.Version, now time.Time) error {
	err := checkRead(c, v, now)
	if errors.Is(err, ErrNotModified) {
		return fmt.Errorf("%w: copy source (%v)", ErrPreconditionFailed, err)
	}
	return err
}

// writeCondition builds the commit-time precondition of a conditional write
// (PutObject, CopyObject, CompleteMultipartUpload). It returns nil when no
// condition was sent. If-None-Match accepts only "*".
func writeCondition(ifMatch, ifNoneMatch string) (meta.Precondition, error) {
	ifNoneMatch = strings.TrimSpace(ifNoneMatch)
	if ifNoneMatch != "" && ifNoneMatch != "*" {
		return nil, fmt.Errorf("%w: If-None-Match supports only *", ErrNotImplemented)
	}
	if ifMatch == "" && ifNoneMatch == "" {
		return nil, nil
	}
	return func(cur *meta.Version) error {
		if ifNoneMatch == "*" && cur != nil && !cur.DeleteMarker {
			return fmt.Errorf("%w: If-None-Match: the key exists", ErrPreconditionFailed)
		}
		if ifMatch != "" {
			if cur == nil || cur.DeleteMarker {
				return fmt.Errorf("%w: If-Match on a key that does not exist", ErrNoSuchKey)
			}
			if !etagListMatches(ifMatch, cur.ETag) {
				return fmt.Errorf("%w: If-Match %s", ErrPreconditionFailed, ifMatch)
			}
		}
		return nil
	}, nil
}

// precheckWrite evaluates a write precondition against the current state
// before the body is stored, so that a write that must fail does not
// upload first, and returns the precondition to run again at commit. A
// failure at commit after a pass here means a concurrent write changed the
// key: S3 answers 409 ConditionalRequestConflict, so the commit-time
// precondition returns ErrConditionalConflict.
func (s *Service) precheckWrite(ctx context.Context, bucket, key, ifMatch, ifNoneMatch string) (meta.Precondition, error) {
	cond, err := writeCondition(ifMatch, ifNoneMatch)
	if err != nil || cond == nil {
		return nil, err
	}
	cur, err := s.Meta.GetVersion(ctx, bucket, key, "")
	switch {
	case errors.Is(err, meta.ErrNoSuchKey):
		err = cond(nil)
	case err != nil:
		return nil, fromMeta(err)
	default:
		err = cond(&cur)
	}
	if err != nil {
		return nil, err
	}
	return func(cur *meta.Version) error {
		if err := cond(cur); err != nil {
			return fmt.Errorf("%w: a concurrent write changed the key (%v)", ErrConditionalConflict, err)
		}
		return nil
	}, nil
}
