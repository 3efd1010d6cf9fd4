package lifecycle

import (
	"strings"
	"time"
)

// The behaviour below follows the Amazon S3 User Guide; each rule names
// the page it comes from:
//   - "Lifecycle configuration elements" (intro-lifecycle-rules): Days and
//     NoncurrentDays rounding, Date actions, what Expiration does to
//     current versions and delete markers;
//   - "Examples of S3 Lifecycle configuration" (lifecycle-configuration-
//     examples), Example 7: expired object delete markers;
//   - "How Amazon S3 handles conflicts in lifecycle configurations"
//     (lifecycle-conflicts): precedence;
//   - "Transitioning objects using Amazon S3 Lifecycle" (lifecycle-
//     transition-general-considerations): the waterfall and object sizes;
//   - the API reference of PutBucketLifecycleConfiguration:
//     x-amz-transition-default-minimum-object-size.

// Object is what the scanner knows of one object version.
type Object struct {
	Key          string
	Tags         map[string]string
	Size         int64
	LastModified time.Time
	StorageClass string // "" means STANDARD
	IsLatest     bool
	DeleteMarker bool
	// NoncurrentSince is when a noncurrent version became noncurrent: the
	// LastModified of the next newer version of the key. Zero for the
	// latest version; a noncurrent version without it is left alone.
	NoncurrentSince time.Time
	// NewerNoncurrent is how many noncurrent versions of the key are newer
	// than this one (0 for the newest noncurrent version; unused for the
	// latest). S3 does not count noncurrent delete markers here
	// (NoncurrentVersionExpiration: "The maximum number of noncurrent
	// versions does not include versions marked with noncurrent delete
	// markers").
	NewerNoncurrent int
	// OnlyVersion: the key has no version besides this one (for a latest
	// delete marker: it is an "expired object delete marker").
	OnlyVersion bool
	// Versioned: the bucket's versioning is Enabled or Suspended, so
	// expiring the latest version adds a delete marker rather than deleting
	// it. It decides which of expiration and transition wins when both are
	// due (see Evaluate).
	Versioned bool
}

// ActionKind is what a lifecycle action does to an object version.
type ActionKind int

const (
	ActionNone ActionKind = iota
	// ActionExpire: the latest version (not a delete marker) expires:
	// deleted in an unversioned bucket, a delete marker is added in a
	// versioned/suspended one (the caller decides which).
	ActionExpire
	// ActionDeleteVersion: permanent deletion of this version: a
	// noncurrent version past NoncurrentVersionExpiration, or an expired
	// object delete marker.
	ActionDeleteVersion
	// ActionTransition: move the version to Action.StorageClass.
	ActionTransition
)

// Action is the lifecycle action due for an object version, and the rule
// that asks for it.
type Action struct {
	Kind         ActionKind
	StorageClass string // ActionTransition
	RuleID       string
}

// defaultMinimumSize is the size below which S3 transitions no object by
// default: "Objects smaller than 128 KB will not transition to any storage
// class by default". KB is taken as 1024 bytes.
const defaultMinimumSize = 128 << 10

// Evaluate returns the one action due for o at now under cfg (ActionNone
// when none is). Only enabled rules whose filter matches o count.
//
// When several actions are due S3 picks one ("How Amazon S3 handles
// conflicts"): permanent deletion wins over transition, and transition
// over the creation of a delete marker; so expiring the latest version
// wins over a transition in an unversioned bucket (it deletes) and loses
// in a versioned one (it adds a marker: the transition happens first, the
// expiration on a later scan). Among transitions the lower-cost class
// wins, Intelligent-Tiering being favoured over all but GLACIER and
// DEEP_ARCHIVE (see preference). Among equal actions the first rule in the
// configuration names the action.
//
// Evaluate does not allocate.
func Evaluate(cfg *Configuration, o Object, now time.Time) Action {
	if cfg == nil {
		return Action{}
	}
	var expire, move Action
	for i := range cfg.Rules {
		r := &cfg.Rules[i]
		if r.Status != StatusEnabled || !r.Matches(o.Key, o.Tags, o.Size) {
			continue
		}
		switch {
		case o.IsLatest && o.DeleteMarker:
			if r.removesExpiredMarker(&o, now) {
				return Action{Kind: ActionDeleteVersion, RuleID: r.ID}
			}
		case o.IsLatest:
			if expire.Kind == ActionNone && r.Expiration != nil && due(o.LastModified, r.Expiration.Days, r.Expiration.Date, now) {
				expire = Action{Kind: ActionExpire, RuleID: r.ID}
			}
			for _, t := range r.Transitions {
				if due(o.LastModified, t.Days, t.Date, now) {
					cfg.consider(&move, r, &o, t.StorageClass)
				}
			}
		case o.NoncurrentSince.IsZero():
			// A noncurrent version the scanner could not date: never
			// delete on a guess.
		default:
			if e := r.NoncurrentVersionExpiration; e != nil && !kept(e.NewerNoncurrentVersions, &o) &&
				due(o.NoncurrentSince, e.NoncurrentDays, nil, now) {
				return Action{Kind: ActionDeleteVersion, RuleID: r.ID}
			}
			for _, t := range r.NoncurrentVersionTransitions {
				if !kept(t.NewerNoncurrentVersions, &o) && due(o.NoncurrentSince, t.NoncurrentDays, nil, now) {
					cfg.consider(&move, r, &o, t.StorageClass)
				}
			}
		}
	}
	if expire.Kind != ActionNone && (!o.Versioned || move.Kind == ActionNone) {
		return expire
	}
	return move
}

// due reports whether an action counted from since, after days or on
// date, is due at now.
func due(since time.Time, days *int, date *time.Time, now time.Time) bool {
	d, set := dueDate(since, days, date)
	return set && !now.Before(d)
}

// kept reports whether o is among the newest noncurrent versions an action
// with NewerNoncurrentVersions newer keeps: S3 acts on a version only when
// at least that many noncurrent versions are newer than it, and only once
// NoncurrentDays have passed too (user guide, Example 7: "removes the
// noncurrent versions 30 days after they become noncurrent and retains at
// most 10 noncurrent versions").
func kept(newer *int, o *Object) bool { return newer != nil && o.NewerNoncurrent < *newer }

// removesExpiredMarker reports whether r removes o, a latest delete marker,
// at now. Only an expired object delete marker (one without other
// versions) is removed: "Amazon S3 doesn't take any action if there are
// one or more object versions and the delete marker is the current
// version". ExpiredObjectDeleteMarker removes it at once; an Expiration
// with Days or Date removes it too, once it is old enough (Example 7:
// "When you specify the Days tag, Amazon S3 automatically performs
// ExpiredObjectDeleteMarker cleanup when the delete markers are old enough
// to satisfy the age criteria"), its age counted from its own
// LastModified.
func (r *Rule) removesExpiredMarker(o *Object, now time.Time) bool {
	e := r.Expiration
	if e == nil || !o.OnlyVersion {
		return false
	}
	if e.ExpiredObjectDeleteMarker != nil {
		return *e.ExpiredObjectDeleteMarker
	}
	return due(o.LastModified, e.Days, e.Date, now)
}

// consider makes move a transition of o to class by r when o may go there
// and class is preferred over the transition move already holds.
func (c *Configuration) consider(move *Action, r *Rule, o *Object, class string) {
	if o.DeleteMarker || !canTransition(o.StorageClass, class) || c.tooSmall(r, o.Size, class) {
		return
	}
	if move.Kind == ActionNone || preference(class) > preference(move.StorageClass) {
		*move = Action{Kind: ActionTransition, StorageClass: class, RuleID: r.ID}
	}
}

// tooSmall reports whether an object of size bytes is kept out of class by
// the configuration's default minimum size. A rule whose filter has its
// own size bound is not subject to it: "Custom filters always take
// precedence over the default transition behavior".
func (c *Configuration) tooSmall(r *Rule, size int64, class string) bool {
	if size >= defaultMinimumSize {
		return false
	}
	if gt, lt := r.sizeBounds(); gt != nil || lt != nil {
		return false
	}
	archive := class == "GLACIER" || class == "DEEP_ARCHIVE"
	return !(c.TransitionMinimumSize == MinimumSizeVariesByClass && archive)
}

// canTransition reports whether S3's waterfall lets lifecycle move an
// object from class from to class to: only down transitionClasses, from
// STANDARD (or REDUCED_REDUNDANCY) to any of them, never back up nor to
// the class it is in, and never from ONEZONE_IA to GLACIER_IR ("You can't
// transition from ... The S3 One Zone-IA storage class to the S3
// Intelligent-Tiering, S3 Standard-IA, or S3 Glacier Instant Retrieval
// storage classes"). Objects in a class lifecycle does not know stay.
func canTransition(from, to string) bool {
	if from == "ONEZONE_IA" && to == "GLACIER_IR" {
		return false
	}
	rank := classRank(from)
	if rank < 0 && from != "" && from != "STANDARD" && from != "REDUCED_REDUNDANCY" {
		return false
	}
	return classRank(to) > rank
}

// preference ranks transition targets when several are due at once. S3
// "transitions your objects to the lower-cost storage class", except that
// "S3 Intelligent-Tiering is favored by S3 Lifecycle over any storage
// class, aside from the S3 Glacier Flexible Retrieval and S3 Glacier Deep
// Archive storage classes" (lifecycle-conflicts).
func preference(class string) int {
	switch class {
	case "STANDARD_IA":
		return 1
	case "ONEZONE_IA":
		return 2
	case "GLACIER_IR":
		return 3
	case "INTELLIGENT_TIERING":
		return 4
	case "GLACIER":
		return 5
	case "DEEP_ARCHIVE":
		return 6
	}
	return 0
}

// AbortDue reports whether an incomplete multipart upload of key initiated
// at initiated is due to be aborted at now, and by which rule: the enabled
// rule with an AbortIncompleteMultipartUpload whose prefix matches key and
// whose date (initiated + DaysAfterInitiation, rounded up to midnight UTC
// as for the other Days actions) comes first. S3 filters these rules by
// prefix only (a rule with this action may not filter by tag or size:
// Validate refuses it), and applies them to uploads begun before the rule
// was put as well ("This rule applies to both existing multipart uploads
// and those that you create later").
func AbortDue(cfg *Configuration, key string, initiated, now time.Time) (ruleID string, ok bool) {
	if cfg == nil {
		return "", false
	}
	var first time.Time
	for i := range cfg.Rules {
		r := &cfg.Rules[i]
		a := r.AbortIncompleteMultipartUpload
		if r.Status != StatusEnabled || a == nil || !strings.HasPrefix(key, r.prefix()) {
			continue
		}
		d, set := dueDate(initiated, a.DaysAfterInitiation, nil)
		if set && (!ok || d.Before(first)) {
			first, ruleID, ok = d, r.ID, true
		}
	}
	if !ok || now.Before(first) {
		return "", false
	}
	return ruleID, true
}
