package object

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/coffer-project/coffer/internal/lifecycle"
	"github.com/coffer-project/coffer/internal/meta"
)

// ErrNoSuchLifecycleConfiguration: the bucket has no lifecycle
// configuration (404 NoSuchLifecycleConfiguration).
var ErrNoSuchLifecycleConfiguration = errors.New("the lifecycle configuration does not exist")

// ruleIDBytes makes the IDs given to unnamed rules 48 characters long, as
// the ones S3 generates.
const ruleIDBytes = 36

// PutBucketLifecycle validates cfg (lifecycle.Configuration.Validate) and
// stores it, replacing the bucket's configuration. Rules without an ID get
// a random one, as on S3. The bucket is looked up first, as S3 does.
// Returns ErrNoSuchBucket, or the validation error (wrapping
// lifecycle.ErrMalformed, ErrInvalidArgument or ErrInvalidRequest).
func (s *Service) PutBucketLifecycle(ctx context.Context, bucket string, cfg lifecycle.Configuration) error {
	if _, err := s.bucket(ctx, bucket); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	for i := range cfg.Rules {
		if cfg.Rules[i].ID != "" {
			continue
		}
		id, err := s.randomID(ruleIDBytes)
		if err != nil {
			return err
		}
		cfg.Rules[i].ID = id
	}
	doc, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("object: encode lifecycle of %s: %w", bucket, err)
	}
	return fromMeta(s.Meta.UpdateBucket(ctx, bucket, func(b *meta.Bucket) error {
		b.Lifecycle = string(doc)
		return nil
	}))
}

// GetBucketLifecycle returns the bucket's lifecycle configuration. Returns
// ErrNoSuchBucket or ErrNoSuchLifecycleConfiguration.
func (s *Service) GetBucketLifecycle(ctx context.Context, bucket string) (lifecycle.Configuration, error) {
	b, err := s.bucket(ctx, bucket)
	if err != nil {
		return lifecycle.Configuration{}, err
	}
	return bucketLifecycle(b)
}

// bucketLifecycle decodes b's stored lifecycle configuration.
func bucketLifecycle(b meta.Bucket) (lifecycle.Configuration, error) {
	var cfg lifecycle.Configuration
	if b.Lifecycle == "" {
		return cfg, fmt.Errorf("%w: %s", ErrNoSuchLifecycleConfiguration, b.Name)
	}
	if err := json.Unmarshal([]byte(b.Lifecycle), &cfg); err != nil {
		return cfg, fmt.Errorf("object: decode lifecycle of %s: %w", b.Name, err)
	}
	return cfg, nil
}

// ExpirationHeader is x-amz-expiration for a current version of b: when
// its lifecycle configuration expires the object and by which rule
// (`expiry-date="…", rule-id="…"`), or "" when no rule does.
func ExpirationHeader(b *meta.Bucket, v *meta.Version) string {
	if b == nil || b.Lifecycle == "" || v.DeleteMarker {
		return ""
	}
	cfg, err := bucketLifecycle(*b)
	if err != nil {
		return ""
	}
	tags := make(map[string]string, len(v.Tags))
	for _, t := range v.Tags {
		tags[t.Key] = t.Value
	}
	date, rule, ok := lifecycle.Expiration(cfg.Rules, v.Key, tags, v.Size, v.LastModified)
	if !ok {
		return ""
	}
	return `expiry-date="` + date.UTC().Format(httpDate) + `", rule-id="` + rule + `"`
}

// DeleteBucketLifecycle removes the bucket's lifecycle configuration;
// deleting none succeeds, as on S3. Returns ErrNoSuchBucket.
func (s *Service) DeleteBucketLifecycle(ctx context.Context, bucket string) error {
	return fromMeta(s.Meta.UpdateBucket(ctx, bucket, func(b *meta.Bucket) error {
		b.Lifecycle = ""
		return nil
	}))
}
