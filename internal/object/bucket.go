package object

import (
	"context"
	"errors"
	"fmt"

	"github.com/coffer-project/coffer/internal/meta"
)

// CreateBucket creates a bucket owned by owner in region ("" = us-east-1).
// Returns ErrBucketAlreadyOwnedByYou or ErrBucketAlreadyExists. The name is
// validated by the caller (s3.ValidBucketName).
func (s *Service) CreateBucket(ctx context.Context, owner, name, region string) error {
	err := s.Meta.CreateBucket(ctx, meta.Bucket{Name: name, Owner: owner, Region: region, Created: s.now()})
	if !errors.Is(err, meta.ErrBucketExists) {
		return fromMeta(err)
	}
	b, gerr := s.Meta.GetBucket(ctx, name)
	if gerr == nil && b.Owner == owner {
		return fmt.Errorf("%w: %s", ErrBucketAlreadyOwnedByYou, name)
	}
	return fmt.Errorf("%w: %s", ErrBucketAlreadyExists, name)
}

// HeadBucket returns the bucket or ErrNoSuchBucket.
func (s *Service) HeadBucket(ctx context.Context, name string) (meta.Bucket, error) {
	return s.bucket(ctx, name)
}

// DeleteBucket returns ErrNoSuchBucket or ErrBucketNotEmpty.
func (s *Service) DeleteBucket(ctx context.Context, name string) error {
	return fromMeta(s.Meta.DeleteBucket(ctx, name))
}

// maxListBuckets bounds one ListBuckets page.
const maxListBuckets = 10000

// ListBuckets lists buckets of owner with names > after and prefix, up to
// limit (≤ 10000; ≤ 0 means 10000), and reports whether more follow.
func (s *Service) ListBuckets(ctx context.Context, owner, prefix, after string, limit int) ([]meta.Bucket, bool, error) {
	if limit <= 0 || limit > maxListBuckets {
		limit = maxListBuckets
	}
	bs, err := s.Meta.ListBuckets(ctx, owner, meta.ListPage{Prefix: prefix, After: after, Limit: limit + 1})
	if err != nil {
		return nil, false, fromMeta(err)
	}
	if len(bs) > limit {
		return bs[:limit], true, nil
	}
	return bs, false, nil
}

// PutBucketVersioning sets "Enabled" or "Suspended"; anything else is
// ErrInvalidArgument (a bucket cannot return to the unversioned state).
func (s *Service) PutBucketVersioning(ctx context.Context, bucket, status string) error {
	if status != meta.VersioningEnabled && status != meta.VersioningSuspended {
		return fmt.Errorf("%w: versioning status %q", ErrInvalidArgument, status)
	}
	return fromMeta(s.Meta.UpdateBucket(ctx, bucket, func(b *meta.Bucket) error {
		b.Versioning = status
		return nil
	}))
}

// PutBucketTagging replaces the bucket's tag set (nil deletes it). Returns
// ErrInvalidTag for bad tags (duplicate keys, too many, too long).
func (s *Service) PutBucketTagging(ctx context.Context, bucket string, tags []meta.Tag) error {
	if tags != nil {
		if err := validateTags(tags, MaxTagsBucket); err != nil {
			return err
		}
	}
	return fromMeta(s.Meta.UpdateBucket(ctx, bucket, func(b *meta.Bucket) error {
		b.Tags = tags
		return nil
	}))
}
