package object

import (
	"context"

	"github.com/coffer-project/coffer/internal/meta"
)

// This file fixes the Service API that package s3api calls. Bodies are
// filled in by the engine implementation.

// CreateBucket creates a bucket owned by owner in region ("" = us-east-1).
// Returns ErrBucketAlreadyOwnedByYou or ErrBucketAlreadyExists. The name is
// validated by the caller (s3.ValidBucketName).
func (s *Service) CreateBucket(ctx context.Context, owner, name, region string) error {
	panic("unimplemented")
}

// HeadBucket returns the bucket or ErrNoSuchBucket.
func (s *Service) HeadBucket(ctx context.Context, name string) (meta.Bucket, error) {
	panic("unimplemented")
}

// DeleteBucket returns ErrNoSuchBucket or ErrBucketNotEmpty.
func (s *Service) DeleteBucket(ctx context.Context, name string) error {
	panic("unimplemented")
}

// ListBuckets lists buckets of owner with names > after and prefix, up to
// limit (≤ 10000), and reports whether more follow.
func (s *Service) ListBuckets(ctx context.Context, owner, prefix, after string, limit int) ([]meta.Bucket, bool, error) {
	panic("unimplemented")
}

// PutBucketVersioning sets "Enabled" or "Suspended" (else ErrInvalidArgument... s3api validates).
func (s *Service) PutBucketVersioning(ctx context.Context, bucket, status string) error {
	panic("unimplemented")
}

// PutBucketTagging replaces the bucket's tag set (nil deletes it). Returns
// ErrInvalidTag for bad tags (duplicate keys, too many, too long).
func (s *Service) PutBucketTagging(ctx context.Context, bucket string, tags []meta.Tag) error {
	panic("unimplemented")
}

// PutObject stores an object (streaming Body to a blob, verifying
// Content-MD5 and checksums, then committing). Returns the stored version.
func (s *Service) PutObject(ctx context.Context, in PutInput) (meta.Version, error) {
	panic("unimplemented")
}

// GetObject resolves the version, applies conditions, range and partNumber,
// and opens the body. The caller closes Body.
func (s *Service) GetObject(ctx context.Context, in GetInput) (*ObjectReader, error) {
	panic("unimplemented")
}

// HeadObject is GetObject without a body.
func (s *Service) HeadObject(ctx context.Context, in GetInput) (*ObjectReader, error) {
	panic("unimplemented")
}

// GetVersion returns a version with its parts (for GetObjectAttributes and
// tagging), or ErrNoSuchKey/ErrNoSuchVersion/DeleteMarkerError.
func (s *Service) GetVersion(ctx context.Context, bucket, key, versionID string) (meta.Version, error) {
	panic("unimplemented")
}

// DeleteObject deletes per the bucket's versioning state.
func (s *Service) DeleteObject(ctx context.Context, in DeleteInput) (DeleteResult, error) {
	panic("unimplemented")
}

// DeleteObjects deletes each item; per-item errors are in the results.
func (s *Service) DeleteObjects(ctx context.Context, bucket string, items []DeleteInput) ([]DeleteResult, error) {
	panic("unimplemented")
}

// CopyObject copies a source version to Dst. Returns the new version and the
// source version that was copied.
func (s *Service) CopyObject(ctx context.Context, in CopyInput) (meta.Version, meta.Version, error) {
	panic("unimplemented")
}

// PutObjectTagging replaces a version's tags; returns the version ID.
func (s *Service) PutObjectTagging(ctx context.Context, bucket, key, versionID string, tags []meta.Tag) (string, error) {
	panic("unimplemented")
}

// ListObjects lists latest versions with delimiter grouping.
func (s *Service) ListObjects(ctx context.Context, in ListInput) (ListResult, error) {
	panic("unimplemented")
}

// ListObjectVersions lists all versions and delete markers.
func (s *Service) ListObjectVersions(ctx context.Context, in VersionListInput) (VersionListResult, error) {
	panic("unimplemented")
}

// CreateMultipartUpload starts an upload.
func (s *Service) CreateMultipartUpload(ctx context.Context, in CreateUploadInput) (meta.Upload, error) {
	panic("unimplemented")
}

// UploadPart stores one part.
func (s *Service) UploadPart(ctx context.Context, in UploadPartInput) (meta.Part, error) {
	panic("unimplemented")
}

// UploadPartCopy stores a part copied from (a range of) an object version.
func (s *Service) UploadPartCopy(ctx context.Context, in UploadPartCopyInput) (meta.Part, meta.Version, error) {
	panic("unimplemented")
}

// CompleteMultipartUpload assembles the listed parts into a version
// without copying data.
func (s *Service) CompleteMultipartUpload(ctx context.Context, in CompleteInput) (meta.Version, error) {
	panic("unimplemented")
}

// AbortMultipartUpload discards an upload and its parts.
func (s *Service) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	panic("unimplemented")
}

// ListParts lists an upload's parts.
func (s *Service) ListParts(ctx context.Context, in ListPartsInput) (ListPartsResult, error) {
	panic("unimplemented")
}

// ListMultipartUploads lists in-progress uploads.
func (s *Service) ListMultipartUploads(ctx context.Context, in ListUploadsInput) (ListUploadsResult, error) {
	panic("unimplemented")
}

// Recover runs the start-up pass: removes temp files and blobs no metadata
// refers to. Call before serving.
func (s *Service) Recover(ctx context.Context) error {
	panic("unimplemented")
}

// RunGC deletes queued blobs until ctx is done, waking at least every
// interval; it also drains once immediately.
func (s *Service) RunGC(ctx context.Context) {
	panic("unimplemented")
}
