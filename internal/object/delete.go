package object

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/coffer-project/coffer/internal/meta"
)

// DeleteObject deletes per the bucket's versioning state:
//
//   - with VersionID: that version or delete marker is removed for good
//     (DeleteMarker reports whether it was a marker); a version that does
//     not exist is a success, as S3 answers 204;
//   - unversioned bucket: the null version is removed; a missing key is a
//     success;
//   - versioning Enabled: a delete marker with a new version ID becomes the
//     latest version;
//   - versioning Suspended: a delete marker with version ID "null" replaces
//     the null version.
//
// IfMatch makes the delete conditional on the ETag of the version to be
// removed (or, when a marker is created, of the current version):
// ErrPreconditionFailed, or ErrNoSuchKey if there is no such object.
func (s *Service) DeleteObject(ctx context.Context, in DeleteInput) (DeleteResult, error) {
	b, err := s.bucket(ctx, in.Bucket)
	if err != nil {
		return DeleteResult{Key: in.Key}, err
	}
	return s.deleteObject(ctx, b, in)
}

func (s *Service) deleteObject(ctx context.Context, b meta.Bucket, in DeleteInput) (DeleteResult, error) {
	res := DeleteResult{Key: in.Key, VersionID: in.VersionID}
	var cond meta.Precondition
	if in.IfMatch != "" {
		var err error
		if cond, err = writeCondition(in.IfMatch, ""); err != nil {
			return res, err
		}
	}

	if in.VersionID != "" || b.Versioning == meta.VersioningUnset {
		vid := in.VersionID
		if vid == "" {
			vid = meta.NullVersionID
		}
		removed, err := s.Meta.DeleteVersion(ctx, in.Bucket, in.Key, vid, cond)
		switch {
		case err == nil:
			s.nudgeGC()
			if removed.DeleteMarker {
				res.DeleteMarker = true
				res.DeleteMarkerVersionID = removed.VersionID
			}
		case cond == nil && (errors.Is(err, meta.ErrNoSuchKey) || errors.Is(err, meta.ErrNoSuchVersion)):
			// Deleting what is not there succeeds.
		default:
			return res, fromMeta(err)
		}
		return res, nil
	}

	vid, err := s.newVersionID(b)
	if err != nil {
		return res, err
	}
	marker, err := s.commit(ctx, meta.Version{
		Bucket:       in.Bucket,
		Key:          in.Key,
		VersionID:    vid,
		DeleteMarker: true,
		LastModified: s.now(),
	}, cond)
	if err != nil {
		return res, err
	}
	res.VersionID = marker.VersionID
	res.DeleteMarker = true
	res.DeleteMarkerVersionID = marker.VersionID
	return res, nil
}

// deleteWorkers bounds the concurrency of DeleteObjects; concurrent
// commits share metadata transactions.
const deleteWorkers = 8

// DeleteObjects deletes each item (at most MaxDeleteKeys, else
// ErrInvalidRequest); per-item errors are in the results, in item order.
func (s *Service) DeleteObjects(ctx context.Context, bucket string, items []DeleteInput) ([]DeleteResult, error) {
	if len(items) > MaxDeleteKeys {
		return nil, fmt.Errorf("%w: a delete request may name at most %d keys", ErrInvalidRequest, MaxDeleteKeys)
	}
	b, err := s.bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	results := make([]DeleteResult, len(items))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(deleteWorkers, len(items)) {
		wg.Go(func() {
			for i := range work {
				in := items[i]
				in.Bucket = bucket
				res, err := s.deleteObject(ctx, b, in)
				res.Err = err
				results[i] = res
			}
		})
	}
	for i := range items {
		work <- i
	}
	close(work)
	wg.Wait()
	return results, nil
}
