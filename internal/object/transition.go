package object

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/coffer-project/coffer/internal/blob"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/s3"
	"github.com/coffer-project/coffer/internal/sse"
)

// The lifecycle scanner's actions. Each names the version it acts on by
// its Seq as the scanner read it: if the version changed in the meantime
// (overwritten, deleted, already moved) the action does nothing and
// reports false, so a scan can be repeated, or resumed after a crash,
// without doing anything twice.

// errChanged aborts an action whose version changed since the scan read it.
var errChanged = errors.New("object: the version changed since it was scanned")

// LifecycleTransition moves a version to class. When the blob store keeps
// class apart (a tier of its own, blob.ClassStore), each blob of the
// version is copied as stored (ciphertext stays ciphertext: nothing is
// decrypted) into class's tier; then one metadata transaction checks that
// the version still is seq with the same blobs, sets its class and points
// it at the copies, and queues the old blobs for deletion. A crash before
// that commit leaves only unreferenced copies, which the start-up orphan
// sweep removes; after it, the old blobs are in the deletion queue. A
// restore of the version is forgotten: it is in a new class.
func (s *Service) LifecycleTransition(ctx context.Context, bucket, key, versionID string, seq int64, class string) (bool, error) {
	v, err := s.Meta.GetVersion(ctx, bucket, key, versionID)
	if err != nil {
		if errors.Is(err, meta.ErrNoSuchKey) || errors.Is(err, meta.ErrNoSuchVersion) {
			return false, nil
		}
		return false, fromMeta(err)
	}
	if v.Seq != seq || v.DeleteMarker || storageClass(v.StorageClass) == class {
		return false, nil
	}
	copies, err := s.copyToTier(ctx, &v, class)
	if err != nil {
		return false, err
	}
	_, err = s.Meta.ReplaceVersionData(ctx, bucket, key, versionID, func(cur *meta.Version) error {
		if cur.Seq != seq || len(cur.Parts) != len(v.Parts) {
			return errChanged
		}
		for i := range cur.Parts {
			if cur.Parts[i].BlobID != v.Parts[i].BlobID {
				return errChanged
			}
			if copies[i] != "" {
				cur.Parts[i].BlobID = copies[i]
			}
		}
		cur.StorageClass = class
		cur.Restore = nil
		if class == s3.StorageIntelligentTiering {
			// An object enters Intelligent-Tiering in its Frequent tier.
			cur.LastAccess = s.now()
		}
		return nil
	})
	if err != nil {
		s.discard(copies...)
		if errors.Is(err, errChanged) || errors.Is(err, meta.ErrNoSuchKey) || errors.Is(err, meta.ErrNoSuchVersion) {
			return false, nil
		}
		return false, fromMeta(err)
	}
	s.nudgeGC()
	return true, nil
}

// copyToTier copies each blob of v that is not where class's blobs belong
// into class's tier, returning the new IDs by part ("" for a part that
// stays: inline, or already in place). Nothing is copied when the store
// does not keep classes apart. On failure the copies made are discarded.
func (s *Service) copyToTier(ctx context.Context, v *meta.Version, class string) ([]string, error) {
	copies := make([]string, len(v.Parts))
	cs, ok := s.Blobs.(blob.ClassStore)
	if !ok {
		return copies, nil
	}
	encrypted := v.Encryption.Mode != ""
	for i, p := range v.Parts {
		if p.BlobID == "" || cs.InTier(p.BlobID, class) {
			continue
		}
		want := p.Size
		if encrypted {
			want = sse.CiphertextSize(p.Size)
		}
		id, err := s.copyBlob(ctx, cs, p.BlobID, class, want)
		if err != nil {
			s.discard(copies...)
			return nil, fmt.Errorf("object: move %s/%s to %s: %w", v.Bucket, v.Key, class, err)
		}
		copies[i] = id
	}
	return copies, nil
}

// copyBlob copies blob id, which must be want bytes long, into class's
// tier.
func (s *Service) copyBlob(ctx context.Context, cs blob.ClassStore, id, class string, want int64) (string, error) {
	r, err := cs.Open(ctx, id, 0, -1)
	if err != nil {
		return "", err
	}
	defer r.Close()
	newID, n, err := cs.PutClass(ctx, class, r)
	if err != nil {
		return "", err
	}
	if n != want {
		s.discard(newID)
		return "", fmt.Errorf("blob %s holds %d bytes, want %d: %w", id, n, want, io.ErrUnexpectedEOF)
	}
	return newID, nil
}

// LifecycleExpire expires the latest version of key, if it still is seq
// and not a delete marker: an unversioned bucket deletes it for good; a
// versioned (or suspended) one gets a delete marker on top of it, as
// S3's Expiration action does.
func (s *Service) LifecycleExpire(ctx context.Context, bucket, key string, seq int64) (bool, error) {
	b, err := s.bucket(ctx, bucket)
	if err != nil {
		return false, err
	}
	cond := func(cur *meta.Version) error {
		if cur == nil || cur.Seq != seq || cur.DeleteMarker {
			return errChanged
		}
		return nil
	}
	if b.Versioning == meta.VersioningUnset {
		_, err = s.Meta.DeleteVersion(ctx, bucket, key, meta.NullVersionID, cond)
	} else {
		var vid string
		if vid, err = s.newVersionID(b); err != nil {
			return false, err
		}
		_, err = s.Meta.CommitVersion(ctx, meta.Version{
			Bucket: bucket, Key: key, VersionID: vid, DeleteMarker: true, LastModified: s.now(),
		}, cond)
	}
	return s.actionDone(err)
}

// LifecycleDeleteVersion removes a version or delete marker for good, if
// it still is seq (a noncurrent version's expiration, or an expired
// object delete marker's removal).
func (s *Service) LifecycleDeleteVersion(ctx context.Context, bucket, key, versionID string, seq int64) (bool, error) {
	_, err := s.Meta.DeleteVersion(ctx, bucket, key, versionID, func(cur *meta.Version) error {
		if cur == nil || cur.Seq != seq {
			return errChanged
		}
		return nil
	})
	return s.actionDone(err)
}

// LifecycleAbortUpload aborts an incomplete multipart upload; one that is
// already gone is not an error.
func (s *Service) LifecycleAbortUpload(ctx context.Context, bucket, key, uploadID string) (bool, error) {
	return s.actionDone(s.Meta.AbortUpload(ctx, bucket, key, uploadID))
}

// LifecycleForgetRestore drops the expired restore of a version (its
// restored copy is gone), if the version still is seq.
func (s *Service) LifecycleForgetRestore(ctx context.Context, bucket, key, versionID string, seq int64) (bool, error) {
	_, err := s.Meta.UpdateVersion(ctx, bucket, key, versionID, func(v *meta.Version) error {
		if v.Seq != seq || v.Restore == nil || s.now().Before(v.Restore.Expiry) {
			return errChanged
		}
		v.Restore = nil
		return nil
	})
	return s.actionDone(err)
}

// actionDone turns a lifecycle action's store error into its result: a
// version or upload that changed or went away is "nothing done".
func (s *Service) actionDone(err error) (bool, error) {
	switch {
	case err == nil:
		s.nudgeGC()
		return true, nil
	case errors.Is(err, errChanged), errors.Is(err, meta.ErrNoSuchKey),
		errors.Is(err, meta.ErrNoSuchVersion), errors.Is(err, meta.ErrNoSuchUpload):
		return false, nil
	}
	return false, fromMeta(err)
}
