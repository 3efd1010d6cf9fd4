package object

import (
	"context"
	"errors"
	"fmt"

	"github.com/coffer-project/coffer/internal/meta"
)

// Access control errors.
var (
	ErrOwnershipControlsNotFound = errors.New("the bucket ownership controls were not found") // OwnershipControlsNotFoundError 404
	ErrNoSuchPublicAccessBlock   = errors.New("the public access block configuration was not found")
	// ErrACLNotSupported: the bucket's Object Ownership is
	// BucketOwnerEnforced, which disables ACLs.
	ErrACLNotSupported = errors.New("the bucket does not allow ACLs") // AccessControlListNotSupported 400
	// ErrInvalidBucketACLWithOwnership: a bucket ACL granting others
	// cannot coexist with BucketOwnerEnforced.
	ErrInvalidBucketACLWithOwnership = errors.New("bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
	// ErrInvalidOwnership is an Object Ownership value S3 does not know.
	ErrInvalidOwnership = errors.New("invalid object ownership")
)

// DefaultPublicAccessBlock is what a new bucket gets, as on S3 since
// April 2023: all four settings on.
func DefaultPublicAccessBlock() *meta.PublicAccessBlock {
	return &meta.PublicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
}

// ACLsEnabled reports whether a bucket's Object Ownership lets ACLs take
// part in access decisions (anything but BucketOwnerEnforced).
func ACLsEnabled(b *meta.Bucket) bool {
	return b.Ownership != meta.OwnershipBucketOwnerEnforced
}

// ObjectOwner is the account that owns an object writer uploads to b, as
// Object Ownership decides: the bucket owner under BucketOwnerEnforced,
// and under BucketOwnerPreferred when the upload carries the
// bucket-owner-full-control canned ACL; the writer otherwise.
func ObjectOwner(b *meta.Bucket, writer, cannedACL string) string {
	switch b.Ownership {
	case meta.OwnershipBucketOwnerEnforced:
		return b.Owner
	case meta.OwnershipBucketOwnerPreferred:
		if cannedACL == "bucket-owner-full-control" {
			return b.Owner
		}
	}
	return writer
}

func validOwnership(o string) error {
	switch o {
	case meta.OwnershipBucketOwnerEnforced, meta.OwnershipBucketOwnerPreferred, meta.OwnershipObjectWriter:
		return nil
	}
	return fmt.Errorf("%w: %q", ErrInvalidOwnership, o)
}

// CreateBucketWith creates a bucket as CreateBucket does, with Object
// Ownership ownership (BucketOwnerEnforced when "") and a bucket ACL
// (nil: private). Block Public Access starts all on.
func (s *Service) CreateBucketWith(ctx context.Context, owner, name, region, ownership string, acl []meta.Grant) error {
	if ownership == "" {
		ownership = meta.OwnershipBucketOwnerEnforced
	}
	if err := validOwnership(ownership); err != nil {
		return err
	}
	err := s.Meta.CreateBucket(ctx, meta.Bucket{Name: name, Owner: owner, Region: region, Created: s.now(),
		Ownership: ownership, ACL: acl, PublicAccessBlock: DefaultPublicAccessBlock()})
	if !errors.Is(err, meta.ErrBucketExists) {
		return fromMeta(err)
	}
	b, gerr := s.Meta.GetBucket(ctx, name)
	if gerr == nil && b.Owner == owner {
		return fmt.Errorf("%w: %s", ErrBucketAlreadyOwnedByYou, name)
	}
	return fmt.Errorf("%w: %s", ErrBucketAlreadyExists, name)
}

// updateBucket runs fn on the stored bucket.
func (s *Service) updateBucket(ctx context.Context, bucket string, fn func(b *meta.Bucket) error) error {
	return fromMeta(s.Meta.UpdateBucket(ctx, bucket, fn))
}

// PutBucketOwnershipControls sets the bucket's Object Ownership.
// BucketOwnerEnforced is refused while the bucket ACL grants anyone but
// the owner (ownerGrant reports the owner's own grants).
func (s *Service) PutBucketOwnershipControls(ctx context.Context, bucket, ownership string, ownerGrant func(meta.Grant) bool) error {
	if err := validOwnership(ownership); err != nil {
		return err
	}
	return s.updateBucket(ctx, bucket, func(b *meta.Bucket) error {
		if ownership == meta.OwnershipBucketOwnerEnforced && !OnlyOwner(b.ACL, ownerGrant) {
			return ErrInvalidBucketACLWithOwnership
		}
		b.Ownership = ownership
		return nil
	})
}

// GetBucketOwnershipControls returns the bucket's Object Ownership, or
// ErrOwnershipControlsNotFound.
func (s *Service) GetBucketOwnershipControls(ctx context.Context, bucket string) (string, error) {
	b, err := s.bucket(ctx, bucket)
	if err != nil {
		return "", err
	}
	if b.Ownership == "" {
		return "", fmt.Errorf("%w: %s", ErrOwnershipControlsNotFound, bucket)
	}
	return b.Ownership, nil
}

// DeleteBucketOwnershipControls removes the setting: the bucket then
// behaves as ObjectWriter.
func (s *Service) DeleteBucketOwnershipControls(ctx context.Context, bucket string) error {
	return s.updateBucket(ctx, bucket, func(b *meta.Bucket) error {
		b.Ownership = ""
		return nil
	})
}

// PutPublicAccessBlock sets the bucket's Block Public Access.
func (s *Service) PutPublicAccessBlock(ctx context.Context, bucket string, pab meta.PublicAccessBlock) error {
	return s.updateBucket(ctx, bucket, func(b *meta.Bucket) error {
		b.PublicAccessBlock = &pab
		return nil
	})
}

// GetPublicAccessBlock returns the bucket's Block Public Access, or
// ErrNoSuchPublicAccessBlock.
func (s *Service) GetPublicAccessBlock(ctx context.Context, bucket string) (meta.PublicAccessBlock, error) {
	b, err := s.bucket(ctx, bucket)
	if err != nil {
		return meta.PublicAccessBlock{}, err
	}
	if b.PublicAccessBlock == nil {
		return meta.PublicAccessBlock{}, fmt.Errorf("%w: %s", ErrNoSuchPublicAccessBlock, bucket)
	}
	return *b.PublicAccessBlock, nil
}

// DeletePublicAccessBlock removes the bucket's Block Public Access.
func (s *Service) DeletePublicAccessBlock(ctx context.Context, bucket string) error {
	return s.updateBucket(ctx, bucket, func(b *meta.Bucket) error {
		b.PublicAccessBlock = nil
		return nil
	})
}

// PutBucketACL replaces the bucket ACL. With BucketOwnerEnforced only an
// ACL granting nothing beyond the owner's full control is accepted
// (ownerGrant reports the owner's own grants), as on S3.
func (s *Service) PutBucketACL(ctx context.Context, bucket string, acl []meta.Grant, ownerGrant func(meta.Grant) bool) error {
	return s.updateBucket(ctx, bucket, func(b *meta.Bucket) error {
		if !ACLsEnabled(b) && !OnlyOwner(acl, ownerGrant) {
			return ErrACLNotSupported
		}
		b.ACL = acl
		return nil
	})
}

// PutObjectACL replaces the ACL of an object version (the latest when
// versionID is ""), under the same rule as PutBucketACL.
func (s *Service) PutObjectACL(ctx context.Context, bucket, key, versionID string, acl []meta.Grant, ownerGrant func(meta.Grant) bool) (meta.Version, error) {
	b, err := s.bucket(ctx, bucket)
	if err != nil {
		return meta.Version{}, err
	}
	if !ACLsEnabled(&b) && !OnlyOwner(acl, ownerGrant) {
		return meta.Version{}, ErrACLNotSupported
	}
	v, err := s.Meta.UpdateVersion(ctx, bucket, key, versionID, func(v *meta.Version) error {
		if v.DeleteMarker {
			return ErrMethodNotAllowed
		}
		v.ACL = acl
		return nil
	})
	return v, fromMeta(err)
}

// OnlyOwner reports whether acl grants nothing but to the owner, whose
// grants ownerGrant tells.
func OnlyOwner(acl []meta.Grant, ownerGrant func(meta.Grant) bool) bool {
	for _, g := range acl {
		if !ownerGrant(g) {
			return false
		}
	}
	return true
}
