package object

import (
	"context"
	"fmt"
	"maps"

	"github.com/coffer-project/coffer/internal/meta"
)

// PutObject stores an object (streaming Body to a blob, or buffering it
// for the metadata commit when it is at most InlineMax bytes; verifying
// Content-MD5 and checksums; encrypting it as in.SSE and the bucket's
// default encryption say; then committing). Returns the stored version.
// The object key is made (and, for SSE-KMS, the KMS asked) before any byte
// is stored, so a KMS failure leaves nothing behind.
//
// The body is verified before it is stored, so a rejected body leaves
// nothing behind; a blob whose commit then fails is queued for deletion. Without a client checksum the object gets a full-object
// CRC64NVME, as AWS computes by default. If-None-Match "*" and If-Match are
// checked before the upload (ErrPreconditionFailed, or ErrNoSuchKey for
// If-Match on a missing key) and again at commit, where a failure means a
// concurrent write won: ErrConditionalConflict.
func (s *Service) PutObject(ctx context.Context, in PutInput) (meta.Version, error) {
	b, err := s.bucket(ctx, in.Bucket)
	if err != nil {
		return meta.Version{}, err
	}
	if err := validateTags(in.Tags, MaxTagsObject); err != nil {
		return meta.Version{}, err
	}
	if in.Size > MaxPutSize {
		return meta.Version{}, fmt.Errorf("%w: your proposed upload exceeds the maximum allowed size", ErrEntityTooLarge)
	}
	cond, err := s.precheckWrite(ctx, in.Bucket, in.Key, in.IfMatch, in.IfNoneMatch)
	if err != nil {
		return meta.Version{}, err
	}
	vid, err := s.newVersionID(b)
	if err != nil {
		return meta.Version{}, err
	}
	enc, key, err := s.newEncryption(ctx, &b, in.Key, in.SSE)
	if err != nil {
		return meta.Version{}, err
	}
	defer clear(key)
	data, err := s.storeBody(ctx, bodySpec{
		body:       in.Body,
		size:       in.Size,
		max:        MaxPutSize,
		contentMD5: in.ContentMD5,
		sent:       in.Checksum,
		key:        key,
		mode:       enc.Mode,
		class:      in.StorageClass,
	})
	if err != nil {
		return meta.Version{}, err
	}
	now := s.now()
	return s.commit(ctx, meta.Version{
		Bucket:       in.Bucket,
		Key:          in.Key,
		VersionID:    vid,
		Owner:        in.Owner,
		LastModified: now,
		Size:         data.size,
		ETag:         data.etag,
		StorageClass: storageClass(in.StorageClass),
		Headers:      in.Headers,
		UserMeta:     maps.Clone(in.UserMeta),
		Tags:         in.Tags,
		Checksum:     data.checksum,
		Encryption:   enc,
		Parts:        []meta.Part{data.part(0, now)},
		ACL:          in.ACL,
	}, cond)
}

// commit commits v, queueing its blobs (inline parts have none) for
// deletion if the commit fails.
func (s *Service) commit(ctx context.Context, v meta.Version, cond meta.Precondition) (meta.Version, error) {
	stored, err := s.Meta.CommitVersion(ctx, v, cond)
	if err != nil {
		ids := make([]string, len(v.Parts))
		for i, p := range v.Parts {
			ids[i] = p.BlobID
		}
		s.discard(ids...)
		return meta.Version{}, fromMeta(err)
	}
	if v.VersionID == meta.NullVersionID {
		s.nudgeGC() // it may have replaced a null version
	}
	return stored, nil
}
