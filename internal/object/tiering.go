package object

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/coffer-project/coffer/internal/lifecycle"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/s3"
)

// S3 Intelligent-Tiering in the engine: the bucket's configurations (stored
// as the JSON of []lifecycle.TieringConfiguration, sorted by ID, in
// meta.Bucket.IntelligentTiering), the access tier of a version (derived
// when asked, never stored: see lifecycle.AccessTier), the reads that count
// as access, and the restore of a version from an archive tier.

// Intelligent-Tiering configuration errors.
var (
	// ErrNoSuchConfiguration: the bucket has no Intelligent-Tiering
	// configuration of that ID.
	ErrNoSuchConfiguration = errors.New("the specified configuration does not exist") // NoSuchConfiguration 404
	// ErrTooManyConfigurations: a new configuration would exceed
	// lifecycle.MaxTieringConfigurations.
	ErrTooManyConfigurations = errors.New("you are attempting to create a new configuration but have already reached the 1,000-configuration limit") // TooManyConfigurations 400
)

// TieringPageSize is the most configurations one
// ListBucketIntelligentTieringConfigurations page holds.
const TieringPageSize = 100

// AccessInterval is how old a version's recorded access must be before a
// read records a new one. Access tiers move after days, so an hour's
// imprecision is invisible, and a hot object costs one metadata write an
// hour instead of one per GET.
const AccessInterval = time.Hour

// PutBucketIntelligentTiering validates cfg and stores it as the bucket's
// configuration id, replacing one of that ID. Returns ErrNoSuchBucket, an
// error wrapping lifecycle.ErrMalformed, lifecycle.ErrInvalidArgument or
// lifecycle.ErrInvalidRequest for an invalid id or configuration,
// ErrInvalidArgument when id is not the configuration's Id, or
// ErrTooManyConfigurations.
func (s *Service) PutBucketIntelligentTiering(ctx context.Context, bucket, id string, cfg lifecycle.TieringConfiguration) error {
	if _, err := s.bucket(ctx, bucket); err != nil {
		return err
	}
	if err := lifecycle.ValidTieringID(id); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.ID != id {
		return fmt.Errorf("%w: the id parameter and the Id of the configuration differ", ErrInvalidArgument)
	}
	return fromMeta(s.Meta.UpdateBucket(ctx, bucket, func(b *meta.Bucket) error {
		configs, err := bucketTiering(*b)
		if err != nil {
			return err
		}
		i, found := slices.BinarySearchFunc(configs, id, compareTieringID)
		switch {
		case found:
			configs[i] = cfg
		case len(configs) >= lifecycle.MaxTieringConfigurations:
			return ErrTooManyConfigurations
		default:
			configs = slices.Insert(configs, i, cfg)
		}
		return setBucketTiering(b, configs)
	}))
}

// GetBucketIntelligentTiering returns the bucket's configuration id.
// Returns ErrNoSuchBucket or ErrNoSuchConfiguration.
func (s *Service) GetBucketIntelligentTiering(ctx context.Context, bucket, id string) (lifecycle.TieringConfiguration, error) {
	b, err := s.bucket(ctx, bucket)
	if err != nil {
		return lifecycle.TieringConfiguration{}, err
	}
	configs, err := bucketTiering(b)
	if err != nil {
		return lifecycle.TieringConfiguration{}, err
	}
	i, found := slices.BinarySearchFunc(configs, id, compareTieringID)
	if !found {
		return lifecycle.TieringConfiguration{}, fmt.Errorf("%w: %s in %s", ErrNoSuchConfiguration, id, bucket)
	}
	return configs[i], nil
}

// DeleteBucketIntelligentTiering removes the bucket's configuration id.
// Returns ErrNoSuchBucket or ErrNoSuchConfiguration.
func (s *Service) DeleteBucketIntelligentTiering(ctx context.Context, bucket, id string) error {
	return fromMeta(s.Meta.UpdateBucket(ctx, bucket, func(b *meta.Bucket) error {
		configs, err := bucketTiering(*b)
		if err != nil {
			return err
		}
		i, found := slices.BinarySearchFunc(configs, id, compareTieringID)
		if !found {
			return fmt.Errorf("%w: %s in %s", ErrNoSuchConfiguration, id, bucket)
		}
		return setBucketTiering(b, slices.Delete(configs, i, i+1))
	}))
}

// TieringPage is one page of a bucket's Intelligent-Tiering
// configurations, in ID order.
type TieringPage struct {
	Configurations []lifecycle.TieringConfiguration
	// NextToken continues the listing; "" on the last page.
	NextToken string
}

// ListBucketIntelligentTiering returns up to TieringPageSize of the bucket's
// configurations, starting after the one token names ("" starts at the
// first). Returns ErrNoSuchBucket, or ErrInvalidArgument for a token this
// listing did not hand out.
func (s *Service) ListBucketIntelligentTiering(ctx context.Context, bucket, token string) (TieringPage, error) {
	b, err := s.bucket(ctx, bucket)
	if err != nil {
		return TieringPage{}, err
	}
	configs, err := bucketTiering(b)
	if err != nil {
		return TieringPage{}, err
	}
	if token != "" {
		after, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || lifecycle.ValidTieringID(string(after)) != nil {
			return TieringPage{}, fmt.Errorf("%w: the continuation token provided is incorrect", ErrInvalidArgument)
		}
		i, found := slices.BinarySearchFunc(configs, string(after), compareTieringID)
		if found {
			i++
		}
		configs = configs[i:]
	}
	var page TieringPage
	if len(configs) > TieringPageSize {
		configs = configs[:TieringPageSize]
		page.NextToken = base64.RawURLEncoding.EncodeToString([]byte(configs[len(configs)-1].ID))
	}
	page.Configurations = configs
	return page, nil
}

func compareTieringID(c lifecycle.TieringConfiguration, id string) int {
	return strings.Compare(c.ID, id)
}

// bucketTiering decodes b's stored Intelligent-Tiering configurations.
func bucketTiering(b meta.Bucket) ([]lifecycle.TieringConfiguration, error) {
	if b.IntelligentTiering == "" {
		return nil, nil
	}
	var configs []lifecycle.TieringConfiguration
	if err := json.Unmarshal([]byte(b.IntelligentTiering), &configs); err != nil {
		return nil, fmt.Errorf("object: decode intelligent-tiering of %s: %w", b.Name, err)
	}
	return configs, nil
}

// setBucketTiering stores configs (sorted by ID) in b; none clears it.
func setBucketTiering(b *meta.Bucket, configs []lifecycle.TieringConfiguration) error {
	if len(configs) == 0 {
		b.IntelligentTiering = ""
		return nil
	}
	doc, err := json.Marshal(configs)
	if err != nil {
		return fmt.Errorf("object: encode intelligent-tiering of %s: %w", b.Name, err)
	}
	b.IntelligentTiering = string(doc)
	return nil
}

// AccessTier is the S3 Intelligent-Tiering access tier of v at now under
// b's configurations (b nil: none), or "" when v is not in the
// INTELLIGENT_TIERING storage class. The last access is LastAccess, or
// LastModified for a version not read since it was written. While a
// restore runs the version stays in the tier it is restored from; the
// restore recorded its end as the last access (restoreTiered).
func AccessTier(b *meta.Bucket, v *meta.Version, now time.Time) string {
	if v.DeleteMarker || v.StorageClass != s3.StorageIntelligentTiering {
		return ""
	}
	var configs []lifecycle.TieringConfiguration
	if b != nil {
		// A document that does not decode opts nothing into the archive
		// tiers; PutBucketIntelligentTiering reports it.
		configs, _ = bucketTiering(*b)
	}
	if r := v.Restore; r != nil && r.AccessTier != "" && now.Before(r.Ready) {
		return r.AccessTier
	}
	o := lifecycle.TieringObject{Key: v.Key, Tags: tagMap(v.Tags), Size: v.Size, LastAccess: v.LastModified}
	if v.LastAccess.After(o.LastAccess) {
		o.LastAccess = v.LastAccess
	}
	return lifecycle.AccessTier(configs, o, now)
}

// ArchiveHeaders are x-amz-restore and x-amz-archive-status for v at now.
// For GLACIER and DEEP_ARCHIVE versions the restore header is
// RestoreHeader's and there is no archive status. An INTELLIGENT_TIERING
// version in an archive tier has its tier as archive status, with
// ongoing-request="true" while a restore runs; once restored it is back in
// Frequent Access, with ongoing-request="false" and no expiry (the object
// itself moved, no temporary copy expires) until the lifecycle scanner
// forgets the finished restore.
func ArchiveHeaders(b *meta.Bucket, v *meta.Version, now time.Time) (restore, archiveStatus string) {
	if v.StorageClass != s3.StorageIntelligentTiering {
		return RestoreHeader(v, now), ""
	}
	tier := AccessTier(b, v, now)
	if lifecycle.IsArchiveTier(tier) {
		archiveStatus = tier
	}
	switch r := v.Restore; {
	case r == nil:
	case now.Before(r.Ready):
		restore = `ongoing-request="true"`
	case archiveStatus == "":
		restore = `ongoing-request="false"`
	}
	return restore, archiveStatus
}

// tieredReadable returns ErrInvalidObjectState when v is an
// INTELLIGENT_TIERING version in an archive tier at now. It reads the
// bucket's configurations only for such versions.
func (s *Service) tieredReadable(ctx context.Context, v *meta.Version) error {
	if v.StorageClass != s3.StorageIntelligentTiering || v.Size < lifecycle.MinMonitoredSize {
		return nil
	}
	b, err := s.bucket(ctx, v.Bucket)
	if err != nil {
		return err
	}
	if tier := AccessTier(&b, v, s.now()); lifecycle.IsArchiveTier(tier) {
		return fmt.Errorf("%w: the object is in the %s tier of INTELLIGENT_TIERING and not restored", ErrInvalidObjectState, tier)
	}
	return nil
}

// recordAccess notes a read of v that counts as access for S3
// Intelligent-Tiering (GetObject, a copy source), which moves it back to
// Frequent Access. Only monitored INTELLIGENT_TIERING versions are
// tracked, and only when the recorded access is AccessInterval old. A
// failure is logged, never returned: the read itself succeeded.
func (s *Service) recordAccess(ctx context.Context, v *meta.Version) {
	if v.StorageClass != s3.StorageIntelligentTiering || v.Size < lifecycle.MinMonitoredSize {
		return
	}
	now := s.now()
	last := v.LastModified
	if v.LastAccess.After(last) {
		last = v.LastAccess
	}
	if now.Sub(last) < AccessInterval {
		return
	}
	// Recorded even if the client goes away now: the read happened.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.Meta.TouchVersion(ctx, v.Bucket, v.Key, v.VersionID, now); err != nil {
		s.log().WarnContext(ctx, "object: recording an access failed", "bucket", v.Bucket, "key", v.Key, "version", v.VersionID, "err", err)
		return
	}
	v.LastAccess = now
}

// restoreTiered is RestoreObject of an INTELLIGENT_TIERING version: it
// must be in an archive tier, Days must not be given (the object moves back
// to Frequent Access rather than a copy expiring), and the restore takes
// the tier's duration as from GLACIER (Archive Access) or DEEP_ARCHIVE
// (Deep Archive Access).
//
// The restore's end is recorded as the version's last access, in the same
// write: that is what puts it in Frequent Access once the restore is done,
// so the restore record itself can go (it expires when it is ready, and
// the lifecycle scanner forgets expired restores). Until then the record
// says which tier the version is in.
func (s *Service) restoreTiered(ctx context.Context, in RestoreInput, v meta.Version) (bool, error) {
	b, err := s.bucket(ctx, in.Bucket)
	if err != nil {
		return false, err
	}
	tier := AccessTier(&b, &v, s.now())
	if !lifecycle.IsArchiveTier(tier) {
		return false, fmt.Errorf("%w: restore is not allowed for the object's current storage class", ErrInvalidObjectState)
	}
	if in.Days != 0 {
		return false, fmt.Errorf("%w: Days must not be specified to restore an object from the S3 Intelligent-Tiering archive tiers", ErrInvalidArgument)
	}
	class := s3.StorageGlacier
	if tier == lifecycle.AccessTierDeepArchive {
		class = s3.StorageDeepArchive
	}
	d, err := s.restoreDuration(class, in.Tier)
	if err != nil {
		return false, err
	}
	_, err = s.Meta.UpdateVersion(ctx, in.Bucket, in.Key, v.VersionID, func(v *meta.Version) error {
		now := s.now()
		if r := v.Restore; r != nil && now.Before(r.Ready) {
			return ErrRestoreAlreadyInProgress
		}
		cur := AccessTier(&b, v, now)
		if !lifecycle.IsArchiveTier(cur) {
			return fmt.Errorf("%w: restore is not allowed for the object's current storage class", ErrInvalidObjectState)
		}
		ready := now.Add(d)
		v.Restore = &meta.Restore{Tier: in.Tier, Requested: now, Ready: ready, Expiry: ready, AccessTier: cur}
		v.LastAccess = ready
		return nil
	})
	if err != nil {
		return false, fromMeta(err)
	}
	return true, nil
}

// tagMap is a version's tags as a map, for filters.
func tagMap(tags []meta.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}
