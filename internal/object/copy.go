package object

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/coffer-project/coffer/internal/checksum"
	"github.com/coffer-project/coffer/internal/meta"
)

// copySource resolves and checks the source of CopyObject/UploadPartCopy.
// A delete marker named by version ID is ErrInvalidRequest, as S3 answers.
func (s *Service) copySource(ctx context.Context, bucket, key, versionID string, cond Conditions) (meta.Version, error) {
	src, err := s.readVersion(ctx, bucket, key, versionID)
	if err != nil {
		if errors.Is(err, ErrMethodNotAllowed) {
			return src, fmt.Errorf("%w: the source of a copy request may not specifically refer to a delete marker by version id", ErrInvalidRequest)
		}
		return src, err
	}
	if err := checkCopySource(cond, &src, s.now()); err != nil {
		return src, err
	}
	if !Readable(&src, s.now()) {
		return src, fmt.Errorf("%w: the source object is archived (%s) and not restored", ErrInvalidObjectState, src.StorageClass)
	}
	if err := s.tieredReadable(ctx, &src); err != nil {
		return src, err
	}
	s.recordAccess(ctx, &src) // copying counts as access of the source
	return src, nil
}

// CopyObject copies a source version to Dst. Returns the new version and the
// source version that was copied.
//
// With the COPY metadata directive the standard headers and user metadata
// come from the source (except the website redirect location, which is per
// object); tags come from the source unless ReplaceTags. The destination's
// storage class is Dst.StorageClass (default STANDARD). The data is copied
// into a new blob (or inline, when small), so the copy's ETag is the MD5 of
// its data, also when the source was a multipart object. Its checksum uses
// Dst.Checksum.Algorithm, else the source's algorithm, else CRC64NVME,
// always FULL_OBJECT.
// A source larger than 5 GiB is ErrInvalidRequest (use UploadPartCopy);
// copying the latest version onto itself without changing metadata,
// storage class, redirect location or checksum algorithm is
// ErrInvalidRequest.
//
// The data is always decrypted (with SrcCustomer for an SSE-C source) and
// encrypted anew for the destination, as Dst.SSE and the destination
// bucket's default encryption say — not as the source was: that is how
// S3 copies, and how an object changes its encryption in place.
func (s *Service) CopyObject(ctx context.Context, in CopyInput) (meta.Version, meta.Version, error) {
	dst := in.Dst
	b, err := s.bucket(ctx, dst.Bucket)
	if err != nil {
		return meta.Version{}, meta.Version{}, err
	}
	if in.ReplaceTags {
		if err := validateTags(dst.Tags, MaxTagsObject); err != nil {
			return meta.Version{}, meta.Version{}, err
		}
	}
	src, err := s.copySource(ctx, in.SrcBucket, in.SrcKey, in.SrcVersionID, in.SrcCond)
	if err != nil {
		return meta.Version{}, src, err
	}
	if src.Size > MaxPutSize {
		return meta.Version{}, src, fmt.Errorf("%w: the specified copy source is larger than the maximum allowable size for a copy source: %d", ErrInvalidRequest, int64(MaxPutSize))
	}
	if in.SrcBucket == dst.Bucket && in.SrcKey == dst.Key && !in.ReplaceMetadata &&
		storageClass(dst.StorageClass) == storageClass(src.StorageClass) &&
		dst.Headers.WebsiteRedirect == "" && sameChecksumAlgo(dst.Checksum.Algorithm, &src) &&
		dst.SSE.Algorithm == "" && dst.SSE.Customer == nil && s.isLatest(ctx, &src) {
		return meta.Version{}, src, fmt.Errorf("%w: this copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes", ErrInvalidRequest)
	}

	v := meta.Version{
		Bucket:       dst.Bucket,
		Key:          dst.Key,
		Owner:        dst.Owner,
		StorageClass: storageClass(dst.StorageClass),
		Headers:      dst.Headers,
		UserMeta:     maps.Clone(dst.UserMeta),
		Tags:         dst.Tags,
		ACL:          dst.ACL, // a copy never takes the source's ACL
	}
	if !in.ReplaceMetadata {
		v.Headers = src.Headers
		v.Headers.WebsiteRedirect = dst.Headers.WebsiteRedirect
		v.UserMeta = maps.Clone(src.UserMeta)
	}
	if !in.ReplaceTags {
		v.Tags = src.Tags
	}
	algo, err := parseAlgo(dst.Checksum.Algorithm)
	if err != nil {
		return meta.Version{}, src, err
	}
	if algo == "" {
		algo = checksum.Algorithm(src.Checksum.Algorithm)
	}

	cond, err := s.precheckWrite(ctx, dst.Bucket, dst.Key, dst.IfMatch, dst.IfNoneMatch)
	if err != nil {
		return meta.Version{}, src, err
	}
	if v.VersionID, err = s.newVersionID(b); err != nil {
		return meta.Version{}, src, err
	}
	srcKey, err := s.openKey(ctx, src.Bucket, src.Key, &src.Encryption, in.SrcCustomer)
	if err != nil {
		return meta.Version{}, src, err
	}
	body := newPartsReader(ctx, s.Blobs, srcKey, src.Parts, 0, src.Size)
	defer body.Close()
	enc, key, err := s.newEncryption(ctx, &b, dst.Key, dst.SSE)
	if err != nil {
		return meta.Version{}, src, err
	}
	defer clear(key)
	data, err := s.storeBody(ctx, bodySpec{body: body, size: src.Size, max: MaxPutSize, storeAlgo: algo, key: key, mode: enc.Mode,
		class: v.StorageClass})
	if err != nil {
		return meta.Version{}, src, err
	}
	now := s.now()
	v.LastModified = now
	v.Size = data.size
	v.ETag = data.etag
	v.Checksum = data.checksum
	v.Encryption = enc
	v.Parts = []meta.Part{data.part(0, now)}
	stored, err := s.commit(ctx, v, cond)
	return stored, src, err
}

// sameChecksumAlgo reports whether a copy asking for algo keeps src's
// checksum algorithm (copying in place is how S3 adds a checksum).
func sameChecksumAlgo(algo string, src *meta.Version) bool {
	a, err := parseAlgo(algo)
	return err != nil || a == "" || string(a) == src.Checksum.Algorithm
}

// isLatest reports whether v is the latest version of its key.
func (s *Service) isLatest(ctx context.Context, v *meta.Version) bool {
	if v.IsLatest {
		return true
	}
	cur, err := s.Meta.GetVersion(ctx, v.Bucket, v.Key, "")
	return err == nil && cur.VersionID == v.VersionID
}

// PutObjectTagging replaces a version's tags (nil or empty removes them);
// returns the version ID. A delete marker is a DeleteMarkerError
// (ErrNoSuchKey when latest, ErrMethodNotAllowed when named).
func (s *Service) PutObjectTagging(ctx context.Context, bucket, key, versionID string, tags []meta.Tag) (string, error) {
	if err := validateTags(tags, MaxTagsObject); err != nil {
		return "", err
	}
	v, err := s.Meta.UpdateVersion(ctx, bucket, key, versionID, func(v *meta.Version) error {
		if v.DeleteMarker {
			if versionID == "" {
				return &DeleteMarkerError{Marker: *v, Err: ErrNoSuchKey}
			}
			return &DeleteMarkerError{Marker: *v, Err: ErrMethodNotAllowed}
		}
		v.Tags = tags
		return nil
	})
	if err != nil {
		if versionID != "" && errors.Is(err, meta.ErrNoSuchKey) {
			return "", &mappedError{sentinel: ErrNoSuchVersion, cause: err}
		}
		return "", fromMeta(err)
	}
	return v.VersionID, nil
}
