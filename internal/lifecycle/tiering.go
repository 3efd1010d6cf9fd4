package lifecycle

import (
	"strings"
	"time"
)

// S3 Intelligent-Tiering: the bucket configurations of
// PutBucketIntelligentTieringConfiguration, their validation, and the access
// tier of an object in the INTELLIGENT_TIERING storage class. Like the rest
// of the package this is pure: the engine stores the configurations as JSON
// (the field names below are that stored form; do not rename them) and
// records when objects are read.
//
// How S3 moves objects between the tiers ("How S3 Intelligent-Tiering
// works", Amazon S3 User Guide): every object starts in Frequent Access; 30
// consecutive days without access move it to Infrequent Access, 90 to
// Archive Instant Access, and any access moves it back to Frequent. The
// Archive Access and Deep Archive Access tiers are opt-in, per
// configuration, after the configuration's days without access; objects in
// them must be restored before they can be read. Objects smaller than
// 128 KB are not monitored and stay in Frequent Access.

// Access tiers of the INTELLIGENT_TIERING storage class. The two archive
// tiers are S3's names (x-amz-archive-status, Tiering.AccessTier); the
// others are the names S3 Inventory reports.
const (
	AccessTierFrequent       = "FREQUENT"
	AccessTierInfrequent     = "INFREQUENT"
	AccessTierArchiveInstant = "ARCHIVE_INSTANT"
	AccessTierArchive        = "ARCHIVE_ACCESS"
	AccessTierDeepArchive    = "DEEP_ARCHIVE_ACCESS"
)

// Days without access after which the automatic tiers take an object.
const (
	InfrequentAfterDays     = 30
	ArchiveInstantAfterDays = 90
)

// Bounds of Tiering.Days, by access tier (S3 API reference, Tiering).
const (
	MinArchiveDays     = 90
	MinDeepArchiveDays = 180
	MaxTieringDays     = 730
)

// MinMonitoredSize is the smallest object S3 Intelligent-Tiering monitors:
// smaller objects stay in the Frequent Access tier.
const MinMonitoredSize = 128 << 10

// MaxTieringConfigurations is the most configurations one bucket may have.
const MaxTieringConfigurations = 1000

// MaxTieringIDLength is the longest configuration ID.
const MaxTieringIDLength = 64

// IsArchiveTier reports whether objects in access tier t must be restored
// before they can be read.
func IsArchiveTier(t string) bool {
	return t == AccessTierArchive || t == AccessTierDeepArchive
}

// TieringConfiguration is one S3 Intelligent-Tiering configuration of a
// bucket: which objects (Filter; nil for all) may move to which archive
// tiers after how many days without access.
type TieringConfiguration struct {
	ID       string         `json:"id"`
	Status   string         `json:"status"`
	Filter   *TieringFilter `json:"filter,omitempty"`
	Tierings []Tiering      `json:"tierings"`
}

// TieringFilter selects objects by one of Prefix, Tag and And.
type TieringFilter struct {
	Prefix *string     `json:"prefix,omitempty"`
	Tag    *Tag        `json:"tag,omitempty"`
	And    *TieringAnd `json:"and,omitempty"`
}

// TieringAnd combines a prefix and tags: an object must match all of them.
type TieringAnd struct {
	Prefix string `json:"prefix,omitempty"`
	Tags   []Tag  `json:"tags,omitempty"`
}

// Tiering opts objects into an archive tier (AccessTierArchive or
// AccessTierDeepArchive) after Days consecutive days without access.
type Tiering struct {
	AccessTier string `json:"accessTier"`
	Days       int    `json:"days"`
}

// prefix and tags are what the filter requires.
func (c *TieringConfiguration) prefix() string {
	switch f := c.Filter; {
	case f == nil:
		return ""
	case f.Prefix != nil:
		return *f.Prefix
	case f.And != nil:
		return f.And.Prefix
	}
	return ""
}

func (c *TieringConfiguration) tags() []Tag {
	switch f := c.Filter; {
	case f == nil:
		return nil
	case f.Tag != nil:
		return []Tag{*f.Tag}
	case f.And != nil:
		return f.And.Tags
	}
	return nil
}

// Matches reports whether the configuration's filter selects an object with
// this key and tags. The status is not considered.
func (c *TieringConfiguration) Matches(key string, tags map[string]string) bool {
	if !strings.HasPrefix(key, c.prefix()) {
		return false
	}
	for _, t := range c.tags() {
		if v, ok := tags[t.Key]; !ok || v != t.Value {
			return false
		}
	}
	return true
}

// Validate checks c as S3's PutBucketIntelligentTieringConfiguration does
// and returns the first problem: an error wrapping ErrMalformed (the
// document's shape), ErrInvalidArgument (a value) or ErrInvalidRequest (a
// combination), with a message for the client.
func (c *TieringConfiguration) Validate() error {
	if c.ID == "" {
		return malformed("an IntelligentTieringConfiguration needs an Id")
	}
	if err := validTieringID(c.ID); err != nil {
		return err
	}
	if c.Status != StatusEnabled && c.Status != StatusDisabled {
		return malformed("Status must be Enabled or Disabled")
	}
	if err := c.validateFilter(); err != nil {
		return err
	}
	if len(c.Tierings) == 0 {
		return malformed("an IntelligentTieringConfiguration needs at least one Tiering")
	}
	days := map[string]int{}
	for _, t := range c.Tierings {
		var lo int
		switch t.AccessTier {
		case AccessTierArchive:
			lo = MinArchiveDays
		case AccessTierDeepArchive:
			lo = MinDeepArchiveDays
		default:
			return malformed("AccessTier must be %s or %s", AccessTierArchive, AccessTierDeepArchive)
		}
		if _, dup := days[t.AccessTier]; dup {
			return invalidArgument("AccessTier %s is specified more than once", t.AccessTier)
		}
		if t.Days < lo || t.Days > MaxTieringDays {
			return invalidArgument("Days for AccessTier %s must be between %d and %d", t.AccessTier, lo, MaxTieringDays)
		}
		days[t.AccessTier] = t.Days
	}
	a, archive := days[AccessTierArchive]
	d, deep := days[AccessTierDeepArchive]
	if archive && deep && d <= a {
		return invalidArgument("Days for AccessTier %s must be greater than Days for AccessTier %s", AccessTierDeepArchive, AccessTierArchive)
	}
	return nil
}

// ValidTieringID checks a configuration ID, as given in the request's id
// parameter or the document's Id: 1 to 64 letters, digits, periods, dashes
// and underscores (the rule S3 documents for the IDs of bucket
// configurations). The error wraps ErrInvalidArgument.
func ValidTieringID(id string) error {
	if id == "" {
		return invalidArgument("the configuration id must not be empty")
	}
	return validTieringID(id)
}

func validTieringID(id string) error {
	if len(id) > MaxTieringIDLength {
		return invalidArgument("the configuration id may be at most %d characters long", MaxTieringIDLength)
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_'
		if !ok {
			return invalidArgument("the configuration id may contain only letters, numbers, periods, dashes and underscores")
		}
	}
	return nil
}

func (c *TieringConfiguration) validateFilter() error {
	f := c.Filter
	if f == nil {
		return nil
	}
	n := 0
	for _, set := range []bool{f.Prefix != nil, f.Tag != nil, f.And != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return malformed("a Filter holds one of Prefix, Tag and And; combine them with And")
	}
	var andTags []Tag
	if f.And != nil {
		andTags = f.And.Tags
	}
	return validateFilterTags(f.Tag, andTags)
}

// TieringObject is what the access tier of an object depends on.
type TieringObject struct {
	Key  string
	Tags map[string]string
	Size int64
	// LastAccess is when the object was last accessed, or written if it
	// has not been read since.
	LastAccess time.Time
}

// AccessTier is the access tier at now of an INTELLIGENT_TIERING object,
// given its bucket's configurations: Frequent for objects smaller than
// MinMonitoredSize; otherwise, by the whole days since o.LastAccess, the
// coldest archive tier that an enabled configuration matching the object
// has reached (several matching configurations: the fewest days of each
// tier win), else Archive Instant from 90 days, Infrequent from 30, and
// Frequent before. Configurations are assumed valid.
func AccessTier(configs []TieringConfiguration, o TieringObject, now time.Time) string {
	if o.Size < MinMonitoredSize {
		return AccessTierFrequent
	}
	idle := int(now.Sub(o.LastAccess) / (24 * time.Hour))
	archive, deep := 0, 0 // fewest days; 0: not opted in
	for i := range configs {
		c := &configs[i]
		if c.Status != StatusEnabled || !c.Matches(o.Key, o.Tags) {
			continue
		}
		for _, t := range c.Tierings {
			switch t.AccessTier {
			case AccessTierArchive:
				archive = fewest(archive, t.Days)
			case AccessTierDeepArchive:
				deep = fewest(deep, t.Days)
			}
		}
	}
	switch {
	case deep > 0 && idle >= deep:
		return AccessTierDeepArchive
	case archive > 0 && idle >= archive:
		return AccessTierArchive
	case idle >= ArchiveInstantAfterDays:
		return AccessTierArchiveInstant
	case idle >= InfrequentAfterDays:
		return AccessTierInfrequent
	}
	return AccessTierFrequent
}

// fewest is the smaller of two day counts, where 0 means none.
func fewest(cur, days int) int {
	if cur == 0 || days < cur {
		return days
	}
	return cur
}
