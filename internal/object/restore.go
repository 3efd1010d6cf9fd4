package object

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/s3"
)

// Archive errors.
var (
	// ErrInvalidObjectState: the object is archived (GLACIER,
	// DEEP_ARCHIVE) and not restored, or a restore was asked of an object
	// that is not archived.
	ErrInvalidObjectState = errors.New("the operation is not valid for the object's storage class") // InvalidObjectState 403
	// ErrRestoreAlreadyInProgress: a restore of the version is running.
	ErrRestoreAlreadyInProgress = errors.New("object restore is already in progress") // RestoreAlreadyInProgress 409
)

// Restore tiers.
const (
	TierExpedited = "Expedited"
	TierStandard  = "Standard"
	TierBulk      = "Bulk"
)

// RestoreDurations say how long a restore takes, by tier: Expedited,
// Standard, Bulk (GLACIER) and DeepArchive.Standard, DeepArchive.Bulk.
type RestoreDurations map[string]time.Duration

// DefaultRestoreDurations are the upper ends of the times AWS gives:
// Expedited 1–5 minutes, Standard 3–5 hours, Bulk 5–12 hours; Deep
// Archive Standard 12 hours, Bulk 48 hours.
func DefaultRestoreDurations() RestoreDurations {
	return RestoreDurations{
		TierExpedited: 5 * time.Minute, TierStandard: 5 * time.Hour, TierBulk: 12 * time.Hour,
		"DeepArchive." + TierStandard: 12 * time.Hour, "DeepArchive." + TierBulk: 48 * time.Hour,
	}
}

// restoreDuration is how long a restore of class by tier takes.
func (s *Service) restoreDuration(class, tier string) (time.Duration, error) {
	key := tier
	if class == s3.StorageDeepArchive {
		if tier == TierExpedited {
			return 0, fmt.Errorf("%w: the Expedited tier is not available for the DEEP_ARCHIVE storage class", ErrInvalidArgument)
		}
		key = "DeepArchive." + tier
	}
	if d, ok := s.RestoreDurations[key]; ok {
		return d, nil
	}
	d, ok := DefaultRestoreDurations()[key]
	if !ok {
		return 0, fmt.Errorf("%w: unknown restore tier %q", ErrInvalidArgument, tier)
	}
	return d, nil
}

// Readable reports whether a version's data can be read at now: any
// version not archived, and an archived one while a restored copy exists.
func Readable(v *meta.Version, now time.Time) bool {
	if !s3.IsArchiveClass(v.StorageClass) {
		return true
	}
	r := v.Restore
	return r != nil && !now.Before(r.Ready) && now.Before(r.Expiry)
}

// RestoreHeader is x-amz-restore for a version at now: ongoing-request
// "true" while a restore runs, "false" with the expiry date while the
// restored copy exists, "" otherwise.
func RestoreHeader(v *meta.Version, now time.Time) string {
	r := v.Restore
	switch {
	case r == nil || !now.Before(r.Expiry):
		return ""
	case now.Before(r.Ready):
		return `ongoing-request="true"`
	}
	return `ongoing-request="false", expiry-date="` + r.Expiry.UTC().Format(httpDate) + `"`
}

// httpDate is the HTTP date form S3's x-amz-restore and x-amz-expiration
// use (net/http's TimeFormat; the engine does not import net/http).
const httpDate = "Mon, 02 Jan 2006 15:04:05 GMT"

// restoreExpiry is when a copy restored at ready for days expires: at
// midnight UTC after the days have passed, as S3 rounds it.
func restoreExpiry(ready time.Time, days int) time.Time {
	return ready.UTC().Add(time.Duration(days) * 24 * time.Hour).Truncate(24 * time.Hour).Add(24 * time.Hour)
}

// RestoreInput is a RestoreObject request.
type RestoreInput struct {
	Bucket, Key, VersionID string
	Days                   int    // 0: not given
	Tier                   string // "" is Standard
}

// RestoreObject starts a restore of an archived version (the latest when
// VersionID is ""), which becomes readable once the tier's duration has
// passed, for Days days. While a restore runs a second one is
// ErrRestoreAlreadyInProgress; once restored, asking again extends the
// expiry (started is then false). An object that is not archived is
// ErrInvalidObjectState. An INTELLIGENT_TIERING version in an archive
// tier is restored without Days, back into Frequent Access (see
// restoreTiered).
func (s *Service) RestoreObject(ctx context.Context, in RestoreInput) (started bool, err error) {
	if in.Tier == "" {
		in.Tier = TierStandard
	}
	v, err := s.readVersion(ctx, in.Bucket, in.Key, in.VersionID)
	if err != nil {
		return false, err
	}
	if v.StorageClass == s3.StorageIntelligentTiering {
		return s.restoreTiered(ctx, in, v)
	}
	if in.Days < 1 {
		return false, fmt.Errorf("%w: Days must be a positive number", ErrInvalidArgument)
	}
	if !s3.IsArchiveClass(v.StorageClass) {
		return false, fmt.Errorf("%w: restore is not allowed for the object's current storage class", ErrInvalidObjectState)
	}
	d, err := s.restoreDuration(v.StorageClass, in.Tier)
	if err != nil {
		return false, err
	}
	_, err = s.Meta.UpdateVersion(ctx, in.Bucket, in.Key, v.VersionID, func(v *meta.Version) error {
		now := s.now()
		r := v.Restore
		switch {
		case r != nil && now.Before(r.Ready):
			return ErrRestoreAlreadyInProgress
		case r != nil && now.Before(r.Expiry):
			v.Restore = &meta.Restore{Tier: r.Tier, Days: in.Days, Requested: r.Requested, Ready: r.Ready,
				Expiry: restoreExpiry(now, in.Days)}
			started = false
		default:
			ready := now.Add(d)
			v.Restore = &meta.Restore{Tier: in.Tier, Days: in.Days, Requested: now, Ready: ready, Expiry: restoreExpiry(ready, in.Days)}
			started = true
		}
		return nil
	})
	if err != nil {
		return false, fromMeta(err)
	}
	return started, nil
}
