// Package lifecycle holds S3 bucket lifecycle rules: the configuration
// model of PutBucketLifecycleConfiguration, its validation with S3's rules
// and messages, and the pure computations made from it (the expiration of
// a current object version; Evaluate, the action due for a version). It
// does no I/O and knows no wire format: the HTTP layer converts the XML
// document to a Configuration, and the engine stores the Configuration as
// JSON (the field names below are that stored form; do not rename them).
package lifecycle

import (
	"strings"
	"time"
)

// MaxRules is the most rules one configuration may have (not adjustable on
// S3).
const MaxRules = 1000

// MaxIDLength is the longest rule ID.
const MaxIDLength = 255

// Rule statuses.
const (
	StatusEnabled  = "Enabled"
	StatusDisabled = "Disabled"
)

// Transition storage classes, from the warmest to the coldest: the order
// in which one rule may move an object (S3's "waterfall").
var transitionClasses = []string{
	"STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE",
}

// minIADays is the fewest days after which an object may move to an
// infrequent-access class (S3's minimum storage duration there).
const minIADays = 30

// The values of x-amz-transition-default-minimum-object-size
// (PutBucketLifecycleConfiguration): the storage classes that small
// objects, not worth moving, are kept out of by default. A rule with a
// size filter of its own is not subject to them.
const (
	// MinimumSizeAll128K keeps objects smaller than 128 KB out of every
	// storage class (S3's default since September 2024).
	MinimumSizeAll128K = "all_storage_classes_128K"
	// MinimumSizeVariesByClass lets objects smaller than 128 KB move to
	// GLACIER and DEEP_ARCHIVE, but to no other class.
	MinimumSizeVariesByClass = "varies_by_storage_class"
)

// Configuration is a bucket's lifecycle configuration.
type Configuration struct {
	Rules []Rule `json:"rules"`
	// TransitionMinimumSize is the x-amz-transition-default-minimum-object-size
	// the configuration was put with; "" means MinimumSizeAll128K.
	TransitionMinimumSize string `json:"transitionMinimumSize,omitempty"`
}

// TransitionDefault is the x-amz-transition-default-minimum-object-size in
// effect, as S3 reports it.
func (c *Configuration) TransitionDefault() string {
	if c.TransitionMinimumSize == "" {
		return MinimumSizeAll128K
	}
	return c.TransitionMinimumSize
}

// Rule is one lifecycle rule. Exactly one of Prefix (the legacy top-level
// prefix) and Filter selects the objects it applies to.
type Rule struct {
	ID                             string                          `json:"id,omitempty"`
	Status                         string                          `json:"status"`
	Prefix                         *string                         `json:"prefix,omitempty"`
	Filter                         *Filter                         `json:"filter,omitempty"`
	Transitions                    []Transition                    `json:"transitions,omitempty"`
	Expiration                     *ExpirationAction               `json:"expiration,omitempty"`
	NoncurrentVersionTransitions   []NoncurrentVersionTransition   `json:"noncurrentTransitions,omitempty"`
	NoncurrentVersionExpiration    *NoncurrentVersionExpiration    `json:"noncurrentExpiration,omitempty"`
	AbortIncompleteMultipartUpload *AbortIncompleteMultipartUpload `json:"abortMultipart,omitempty"`
}

// Filter selects objects by at most one predicate; an empty Filter selects
// every object.
type Filter struct {
	Prefix                *string `json:"prefix,omitempty"`
	Tag                   *Tag    `json:"tag,omitempty"`
	And                   *And    `json:"and,omitempty"`
	ObjectSizeGreaterThan *int64  `json:"sizeGreaterThan,omitempty"`
	ObjectSizeLessThan    *int64  `json:"sizeLessThan,omitempty"`
}

// And combines predicates: an object must match all of them.
type And struct {
	Prefix                string `json:"prefix,omitempty"`
	Tags                  []Tag  `json:"tags,omitempty"`
	ObjectSizeGreaterThan *int64 `json:"sizeGreaterThan,omitempty"`
	ObjectSizeLessThan    *int64 `json:"sizeLessThan,omitempty"`
}

// Tag is an object tag a filter requires.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Transition moves current versions to StorageClass after Days days or on
// Date (exactly one of them).
type Transition struct {
	Days         *int       `json:"days,omitempty"`
	Date         *time.Time `json:"date,omitempty"`
	StorageClass string     `json:"storageClass"`
}

// ExpirationAction expires current versions after Days days or on Date, or (with
// ExpiredObjectDeleteMarker alone) removes delete markers left without
// noncurrent versions.
type ExpirationAction struct {
	Days                      *int       `json:"days,omitempty"`
	Date                      *time.Time `json:"date,omitempty"`
	ExpiredObjectDeleteMarker *bool      `json:"expiredObjectDeleteMarker,omitempty"`
}

// NoncurrentVersionTransition moves noncurrent versions to StorageClass
// NoncurrentDays days after they became noncurrent, keeping the newest
// NewerNoncurrentVersions of them where they are.
type NoncurrentVersionTransition struct {
	NoncurrentDays          *int   `json:"noncurrentDays,omitempty"`
	NewerNoncurrentVersions *int   `json:"newerNoncurrentVersions,omitempty"`
	StorageClass            string `json:"storageClass"`
}

// NoncurrentVersionExpiration deletes noncurrent versions NoncurrentDays
// days after they became noncurrent, keeping the newest
// NewerNoncurrentVersions of them.
type NoncurrentVersionExpiration struct {
	NoncurrentDays          *int `json:"noncurrentDays,omitempty"`
	NewerNoncurrentVersions *int `json:"newerNoncurrentVersions,omitempty"`
}

// AbortIncompleteMultipartUpload aborts uploads DaysAfterInitiation days
// after they were created.
type AbortIncompleteMultipartUpload struct {
	DaysAfterInitiation *int `json:"daysAfterInitiation,omitempty"`
}

// prefix is the key prefix the rule selects ("" for all keys).
func (r *Rule) prefix() string {
	switch {
	case r.Prefix != nil:
		return *r.Prefix
	case r.Filter == nil:
		return ""
	case r.Filter.Prefix != nil:
		return *r.Filter.Prefix
	case r.Filter.And != nil:
		return r.Filter.And.Prefix
	}
	return ""
}

// tags are the tags the rule requires.
func (r *Rule) tags() []Tag {
	switch {
	case r.Filter == nil:
		return nil
	case r.Filter.Tag != nil:
		return []Tag{*r.Filter.Tag}
	case r.Filter.And != nil:
		return r.Filter.And.Tags
	}
	return nil
}

// sizeBounds are the rule's object size bounds (nil: none).
func (r *Rule) sizeBounds() (greater, less *int64) {
	switch {
	case r.Filter == nil:
		return nil, nil
	case r.Filter.And != nil:
		return r.Filter.And.ObjectSizeGreaterThan, r.Filter.And.ObjectSizeLessThan
	}
	return r.Filter.ObjectSizeGreaterThan, r.Filter.ObjectSizeLessThan
}

// Matches reports whether the rule's filter selects an object with this
// key, tags and size. The status is not considered. It does not allocate:
// the lifecycle scanner calls it for every rule and object version.
func (r *Rule) Matches(key string, tags map[string]string, size int64) bool {
	if !strings.HasPrefix(key, r.prefix()) {
		return false
	}
	if f := r.Filter; f != nil {
		if f.Tag != nil && !hasTag(tags, *f.Tag) {
			return false
		}
		if f.And != nil {
			for _, t := range f.And.Tags {
				if !hasTag(tags, t) {
					return false
				}
			}
		}
	}
	gt, lt := r.sizeBounds()
	if gt != nil && size <= *gt {
		return false
	}
	if lt != nil && size >= *lt {
		return false
	}
	return true
}

// hasTag reports whether tags hold t, key and value. A Tag without a value
// wants the key with an empty value, as on S3.
func hasTag(tags map[string]string, t Tag) bool {
	v, ok := tags[t.Key]
	return ok && v == t.Value
}

// Expiration computes the x-amz-expiration of a current object version:
// the earliest date on which an enabled rule matching the object expires
// it, and that rule's ID. A Days rule expires the object lastModified +
// Days, rounded up to the next midnight UTC (a time already at midnight
// stays); a Date rule on its date. ok is false when no rule expires the
// object. Rules are assumed valid.
func Expiration(rules []Rule, key string, tags map[string]string, size int64, lastModified time.Time) (date time.Time, ruleID string, ok bool) {
	for i := range rules {
		r := &rules[i]
		if r.Status != StatusEnabled || r.Expiration == nil || !r.Matches(key, tags, size) {
			continue
		}
		d, set := dueDate(lastModified, r.Expiration.Days, r.Expiration.Date)
		if !set {
			continue // ExpiredObjectDeleteMarker only: not about current versions
		}
		if !ok || d.Before(date) {
			date, ruleID, ok = d, r.ID, true
		}
	}
	return date, ruleID, ok
}

// dueDate is when an action counted from since falls due: since + days,
// rounded up to the next midnight UTC, or date. set is false when the
// action has neither. S3 user guide, "Lifecycle configuration elements":
// "Amazon S3 calculates the time by adding the number of days specified in
// the rule to the object creation time and rounding the resulting time to
// the next day midnight UTC"; a Date action applies from that date on, to
// objects created later too.
func dueDate(since time.Time, days *int, date *time.Time) (due time.Time, set bool) {
	switch {
	case days != nil:
		return ceilDay(since.UTC().AddDate(0, 0, *days)), true
	case date != nil:
		return date.UTC(), true
	}
	return time.Time{}, false
}

// ceilDay rounds t (UTC) up to midnight.
func ceilDay(t time.Time) time.Time {
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	if day.Equal(t) {
		return day
	}
	return day.AddDate(0, 0, 1)
}
