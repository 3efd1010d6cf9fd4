package object

import (
	"context"
	"fmt"

	"github.com/coffer-project/coffer/internal/meta"
)

// CreateBucket creates a bucket owned by owner in region ("" = us-east-1),
// with S3's defaults for a new bucket: BucketOwnerEnforced, no ACL, Block
// Public Access all on (CreateBucketWith). Returns
// ErrBucketAlreadyOwnedByYou or ErrBucketAlreadyExists. The name is
// validated by the caller (s3.ValidBucketName).
func (s *Service) CreateBucket(ctx context.Context, owner, name, region string) error {
	return s.CreateBucketWith(ctx, owner, name, region, "", nil)
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
	return s.PutBucketVersioningMFA(ctx, bucket, status, "")
}

// PutBucketVersioningMFA is PutBucketVersioning that also sets MfaDelete
// ("Enabled" or "Disabled"; "" leaves it). The caller has checked the
// root user's MFA, which changing it requires.
func (s *Service) PutBucketVersioningMFA(ctx context.Context, bucket, status, mfaDelete string) error {
	if status != meta.VersioningEnabled && status != meta.VersioningSuspended {
		return fmt.Errorf("%w: versioning status %q", ErrInvalidArgument, status)
	}
	return fromMeta(s.Meta.UpdateBucket(ctx, bucket, func(b *meta.Bucket) error {
		b.Versioning = status
		if mfaDelete != "" {
			b.MFADelete = mfaDelete
		}
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

// Values of meta.BucketEncryption.BlockedEncryptionTypes: SSE-C blocks
// SSE-C writes, NONE allows every type.
const (
	blockedNone = "NONE"
	blockedSSEC = meta.SSEC
)

// PutBucketEncryption sets the bucket's default encryption from the one
// rule of a PutBucketEncryption request:
//   - Algorithm is meta.SSES3 or meta.SSEKMS; "" (a rule without
//     ApplyServerSideEncryptionByDefault, such as one that only blocks
//     SSE-C) stores SSE-S3.
//   - KMSMasterKeyID is allowed with SSE-KMS only ("" there means the
//     account's aws/s3 key). Like S3, the key is not looked up here.
//   - BlockedEncryptionTypes is ["SSE-C"] or ["NONE"]; nil keeps the
//     bucket's current setting, as S3 does when the element is omitted.
//
// The bucket is looked up first, as S3 does: NoSuchBucket wins over a bad
// configuration. Returns ErrNoSuchBucket; ErrInvalidArgument for a key with
// SSE-S3, an unknown algorithm or encryption type, or NONE together with
// SSE-C; ErrNotImplemented for the algorithms S3 knows and coffer does not
// serve (aws:kms:dsse, aws:fsx, aws:backup).
func (s *Service) PutBucketEncryption(ctx context.Context, bucket string, cfg meta.BucketEncryption) error {
	return fromMeta(s.Meta.UpdateBucket(ctx, bucket, func(b *meta.Bucket) error {
		if err := validBucketEncryption(cfg); err != nil {
			return err
		}
		next := meta.BucketEncryption{Algorithm: cfg.Algorithm, KMSMasterKeyID: cfg.KMSMasterKeyID, BucketKeyEnabled: cfg.BucketKeyEnabled}
		if next.Algorithm == "" {
			next.Algorithm = meta.SSES3
		}
		switch {
		case cfg.BlockedEncryptionTypes != nil:
			// Validated: every entry is the same one value.
			next.BlockedEncryptionTypes = []string{cfg.BlockedEncryptionTypes[0]}
		case b.Encryption != nil:
			next.BlockedEncryptionTypes = b.Encryption.BlockedEncryptionTypes
		}
		b.Encryption = &next
		return nil
	}))
}

func validBucketEncryption(cfg meta.BucketEncryption) error {
	switch cfg.Algorithm {
	case "", meta.SSES3:
		if cfg.KMSMasterKeyID != "" {
			// S3's message, word for word.
			return fmt.Errorf("%w: a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse", ErrInvalidArgument)
		}
	case meta.SSEKMS:
	case "aws:kms:dsse", "aws:fsx", "aws:backup":
		return fmt.Errorf("%w: default encryption with %s", ErrNotImplemented, cfg.Algorithm)
	default:
		return fmt.Errorf("%w: %q is not a server-side encryption algorithm", ErrInvalidArgument, cfg.Algorithm)
	}
	if cfg.BlockedEncryptionTypes == nil {
		return nil
	}
	if len(cfg.BlockedEncryptionTypes) == 0 {
		return fmt.Errorf("%w: BlockedEncryptionTypes names no encryption type", ErrInvalidArgument)
	}
	for _, t := range cfg.BlockedEncryptionTypes {
		if t != blockedNone && t != blockedSSEC {
			return fmt.Errorf("%w: %q is not an encryption type that can be blocked", ErrInvalidArgument, t)
		}
		if t != cfg.BlockedEncryptionTypes[0] {
			return fmt.Errorf("%w: BlockedEncryptionTypes cannot both block SSE-C and name NONE", ErrInvalidArgument)
		}
	}
	return nil
}

// GetBucketEncryption returns the bucket's default encryption. A bucket
// never configured, or reset by DeleteBucketEncryption, has SSE-S3 without
// a bucket key, as S3 answers since January 2023 (not
// ServerSideEncryptionConfigurationNotFoundError). Returns ErrNoSuchBucket.
func (s *Service) GetBucketEncryption(ctx context.Context, bucket string) (meta.BucketEncryption, error) {
	b, err := s.bucket(ctx, bucket)
	if err != nil {
		return meta.BucketEncryption{}, err
	}
	if b.Encryption == nil {
		return meta.BucketEncryption{Algorithm: meta.SSES3}, nil
	}
	return *b.Encryption, nil
}

// DeleteBucketEncryption resets the bucket's default encryption to SSE-S3
// without a bucket key. A block of SSE-C stays: S3 documents the reset of
// the default encryption only, and lifting a block on the way would let a
// reset silently re-allow SSE-C writes. Returns ErrNoSuchBucket.
func (s *Service) DeleteBucketEncryption(ctx context.Context, bucket string) error {
	return fromMeta(s.Meta.UpdateBucket(ctx, bucket, func(b *meta.Bucket) error {
		if b.Encryption == nil || b.Encryption.BlockedEncryptionTypes == nil {
			b.Encryption = nil
			return nil
		}
		b.Encryption = &meta.BucketEncryption{Algorithm: meta.SSES3, BlockedEncryptionTypes: b.Encryption.BlockedEncryptionTypes}
		return nil
	}))
}
