package lifecycle

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Validation errors. Each wraps S3's message for the client; the HTTP
// layer maps them to the codes noted.
var (
	// ErrMalformed: the document breaks S3's schema (400 MalformedXML,
	// with S3's standard message).
	ErrMalformed = errors.New("malformed lifecycle configuration")
	// ErrInvalidArgument: a value S3 refuses (400 InvalidArgument).
	ErrInvalidArgument = errors.New("invalid lifecycle argument")
	// ErrInvalidRequest: a combination S3 refuses (400 InvalidRequest).
	ErrInvalidRequest = errors.New("invalid lifecycle request")
)

func malformed(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, a...)...)
}

func invalidArgument(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidArgument}, a...)...)
}

func invalidRequest(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequest}, a...)...)
}

// Validate checks c as S3's PutBucketLifecycleConfiguration does and
// returns the first problem, as S3 does: an error wrapping ErrMalformed,
// ErrInvalidArgument or ErrInvalidRequest with S3's message. Rules without
// an ID are accepted (the engine names them before storing).
func (c *Configuration) Validate() error {
	// AWS documents no error for an unknown value; S3 emulators that
	// record S3's answers agree on this one.
	switch c.TransitionMinimumSize {
	case "", MinimumSizeAll128K, MinimumSizeVariesByClass:
	default:
		return invalidRequest("Invalid TransitionDefaultMinimumObjectSize found: %s", c.TransitionMinimumSize)
	}
	if len(c.Rules) == 0 {
		return malformed("a lifecycle configuration needs at least one Rule")
	}
	if len(c.Rules) > MaxRules {
		return malformed("a lifecycle configuration has at most %d rules", MaxRules)
	}
	seen := make(map[string]bool, len(c.Rules))
	for i := range c.Rules {
		r := &c.Rules[i]
		if r.ID != "" {
			if seen[r.ID] {
				return invalidArgument("Rule ID must be unique. Found same ID for more than one rule")
			}
			seen[r.ID] = true
		}
		if err := r.validate(); err != nil {
			return err
		}
	}
	return nil
}

func (r *Rule) validate() error {
	if len(r.ID) > MaxIDLength {
		return invalidArgument("ID length should not exceed allowed limit of %d", MaxIDLength)
	}
	if r.Status != StatusEnabled && r.Status != StatusDisabled {
		return malformed("Status must be Enabled or Disabled")
	}
	if err := r.validateFilter(); err != nil {
		return err
	}
	if len(r.Transitions) == 0 && r.Expiration == nil && len(r.NoncurrentVersionTransitions) == 0 &&
		r.NoncurrentVersionExpiration == nil && r.AbortIncompleteMultipartUpload == nil {
		return invalidRequest("At least one action needs to be specified in a rule")
	}
	for _, check := range []func() error{r.validateExpiration, r.validateTransitions, r.validateNoncurrent, r.validateAbort} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// filterName describes the rule's filter in messages, as S3 does.
func (r *Rule) filterName() string { return "(prefix=" + r.prefix() + ")" }

func (r *Rule) validateFilter() error {
	if (r.Prefix == nil) == (r.Filter == nil) {
		return malformed("a Rule needs exactly one of Filter and Prefix")
	}
	f := r.Filter
	if f == nil {
		return nil
	}
	n := 0
	for _, set := range []bool{f.Prefix != nil, f.Tag != nil, f.And != nil, f.ObjectSizeGreaterThan != nil, f.ObjectSizeLessThan != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return malformed("a Filter holds one of Prefix, Tag, And, ObjectSizeGreaterThan and ObjectSizeLessThan; combine them with And")
	}
	var andTags []Tag
	if f.And != nil {
		andTags = f.And.Tags
	}
	if err := validateFilterTags(f.Tag, andTags); err != nil {
		return err
	}
	gt, lt := r.sizeBounds()
	if gt != nil && *gt < 0 || lt != nil && *lt < 0 {
		return invalidArgument("'ObjectSizeGreaterThan' and 'ObjectSizeLessThan' must be nonnegative")
	}
	if gt != nil && lt != nil && *gt >= *lt {
		return invalidArgument("'ObjectSizeLessThan' must be greater than 'ObjectSizeGreaterThan'")
	}
	return nil
}

// midnight reports whether d is at 00:00:00 UTC.
// validateFilterTags checks a filter's Tag and its And's Tags, as S3 does
// for lifecycle and Intelligent-Tiering filters alike: every tag has a
// key, and And names a key once.
func validateFilterTags(tag *Tag, andTags []Tag) error {
	if tag != nil && tag.Key == "" {
		return malformed("a Tag needs a Key")
	}
	keys := map[string]bool{}
	for _, t := range andTags {
		if t.Key == "" {
			return malformed("a Tag needs a Key")
		}
		if keys[t.Key] {
			return invalidRequest("Duplicate Tag Keys are not allowed.")
		}
		keys[t.Key] = true
	}
	return nil
}

func midnight(d time.Time) bool {
	d = d.UTC()
	return d.Hour() == 0 && d.Minute() == 0 && d.Second() == 0 && d.Nanosecond() == 0
}

func (r *Rule) validateExpiration() error {
	e := r.Expiration
	if e == nil {
		return nil
	}
	if e.ExpiredObjectDeleteMarker != nil && (e.Days != nil || e.Date != nil) {
		return malformed("ExpiredObjectDeleteMarker cannot be specified with Days or Date")
	}
	if e.Days != nil && e.Date != nil {
		return malformed("Expiration takes one of Days and Date")
	}
	if e.Days == nil && e.Date == nil && e.ExpiredObjectDeleteMarker == nil {
		return malformed("Expiration needs Days, Date or ExpiredObjectDeleteMarker")
	}
	if e.Days != nil && *e.Days < 1 {
		return invalidArgument("'Days' for Expiration action must be a positive integer")
	}
	if e.Date != nil && !midnight(*e.Date) {
		return invalidArgument("'Date' must be at midnight GMT")
	}
	return nil
}

// classRank is the position of a transition storage class from warm to
// cold, or -1 when it is no transition target (STANDARD,
// REDUCED_REDUNDANCY, anything unknown).
func classRank(class string) int { return slices.Index(transitionClasses, class) }

func infrequentAccess(class string) bool { return class == "STANDARD_IA" || class == "ONEZONE_IA" }

func (r *Rule) validateTransitions() error {
	var byDays, byDate bool
	for _, t := range r.Transitions {
		if classRank(t.StorageClass) < 0 {
			return malformed("StorageClass %q is not a transition target", t.StorageClass)
		}
		if (t.Days == nil) == (t.Date == nil) {
			return malformed("Transition takes exactly one of Days and Date")
		}
		if t.Days != nil {
			byDays = true
			if *t.Days < 0 {
				return invalidArgument("'Days' in Transition action must be nonnegative")
			}
			if infrequentAccess(t.StorageClass) && *t.Days < minIADays {
				return invalidArgument("'Days' in Transition action must be greater than or equal to %d for storageClass '%s'", minIADays, t.StorageClass)
			}
		} else {
			byDate = true
			if !midnight(*t.Date) {
				return invalidArgument("'Date' must be at midnight GMT")
			}
		}
	}
	if byDays && byDate {
		return invalidRequest("Found mixed 'Date' and 'Days' based Transition actions in lifecycle rule for filter '%s'", r.filterName())
	}
	if err := r.transitionOrder(); err != nil {
		return err
	}
	e := r.Expiration
	if e == nil || len(r.Transitions) == 0 || (e.Days == nil && e.Date == nil) {
		return nil
	}
	if (e.Days != nil) != byDays {
		return invalidRequest("Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule for filter '%s'", r.filterName())
	}
	for _, t := range r.Transitions {
		if e.Days != nil && *e.Days <= *t.Days {
			return invalidArgument("'Days' in the Expiration action for filter '%s' must be greater than 'Days' in the Transition action", r.filterName())
		}
		if e.Date != nil && !e.Date.After(*t.Date) {
			return invalidArgument("'Date' in the Expiration action for filter '%s' must be later than 'Date' in the Transition action", r.filterName())
		}
	}
	return nil
}

// transitionOrder checks that a rule's transitions name each class once
// and reach colder classes strictly later.
func (r *Rule) transitionOrder() error {
	ts := slices.Clone(r.Transitions)
	slices.SortFunc(ts, func(a, b Transition) int { return classRank(a.StorageClass) - classRank(b.StorageClass) })
	for i := 1; i < len(ts); i++ {
		warm, cold := ts[i-1], ts[i]
		if warm.StorageClass == cold.StorageClass {
			return invalidRequest("'StorageClass' must be different for 'Transition' actions in same 'Rule' with filter '%s'", r.filterName())
		}
		later := warm.Days != nil && *cold.Days > *warm.Days || warm.Date != nil && cold.Date.After(*warm.Date)
		if !later {
			what := "Days"
			if warm.Date != nil {
				what = "Date"
			}
			return invalidArgument("'%s' in the Transition action for StorageClass '%s' for filter '%s' must be greater than '%s' in the Transition action for StorageClass '%s'",
				what, cold.StorageClass, r.filterName(), what, warm.StorageClass)
		}
	}
	return nil
}

func (r *Rule) validateNoncurrent() error {
	for _, t := range r.NoncurrentVersionTransitions {
		if classRank(t.StorageClass) < 0 {
			return malformed("StorageClass %q is not a transition target", t.StorageClass)
		}
		if t.NoncurrentDays == nil {
			return malformed("NoncurrentVersionTransition needs NoncurrentDays")
		}
		if *t.NoncurrentDays < 0 {
			return invalidArgument("'NoncurrentDays' in NoncurrentVersionTransition action must be nonnegative")
		}
		if infrequentAccess(t.StorageClass) && *t.NoncurrentDays < minIADays {
			return invalidArgument("'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to %d for storageClass '%s'", minIADays, t.StorageClass)
		}
		if err := newerNoncurrent(t.NewerNoncurrentVersions, "NoncurrentVersionTransition"); err != nil {
			return err
		}
	}
	ts := slices.Clone(r.NoncurrentVersionTransitions)
	slices.SortFunc(ts, func(a, b NoncurrentVersionTransition) int {
		return classRank(a.StorageClass) - classRank(b.StorageClass)
	})
	for i := 1; i < len(ts); i++ {
		warm, cold := ts[i-1], ts[i]
		if warm.StorageClass == cold.StorageClass {
			return invalidRequest("'StorageClass' must be different for 'NoncurrentVersionTransition' actions in same 'Rule' with filter '%s'", r.filterName())
		}
		if *cold.NoncurrentDays <= *warm.NoncurrentDays {
			return invalidArgument("'NoncurrentDays' in the NoncurrentVersionTransition action for StorageClass '%s' for filter '%s' must be greater than 'NoncurrentDays' in the NoncurrentVersionTransition action for StorageClass '%s'",
				cold.StorageClass, r.filterName(), warm.StorageClass)
		}
	}
	e := r.NoncurrentVersionExpiration
	if e == nil {
		return nil
	}
	if e.NoncurrentDays == nil {
		return malformed("NoncurrentVersionExpiration needs NoncurrentDays")
	}
	if *e.NoncurrentDays < 1 {
		return invalidArgument("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
	}
	if err := newerNoncurrent(e.NewerNoncurrentVersions, "NoncurrentVersionExpiration"); err != nil {
		return err
	}
	for _, t := range r.NoncurrentVersionTransitions {
		if *e.NoncurrentDays <= *t.NoncurrentDays {
			return invalidArgument("'NoncurrentDays' in the NoncurrentVersionExpiration action for filter '%s' must be greater than 'NoncurrentDays' in the NoncurrentVersionTransition action", r.filterName())
		}
	}
	return nil
}

// maxNewerNoncurrent is the most noncurrent versions a rule may keep.
const maxNewerNoncurrent = 100

func newerNoncurrent(n *int, action string) error {
	if n != nil && (*n < 1 || *n > maxNewerNoncurrent) {
		return invalidArgument("'NewerNoncurrentVersions' in %s action must be between 1 and %d", action, maxNewerNoncurrent)
	}
	return nil
}

func (r *Rule) validateAbort() error {
	a := r.AbortIncompleteMultipartUpload
	if a == nil {
		return nil
	}
	if a.DaysAfterInitiation == nil {
		return malformed("AbortIncompleteMultipartUpload needs DaysAfterInitiation")
	}
	if *a.DaysAfterInitiation < 1 {
		return invalidArgument("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer")
	}
	// Uploads have neither tags nor a size yet.
	if len(r.tags()) > 0 {
		return invalidRequest("AbortIncompleteMultipartUpload cannot be specified with Tags.")
	}
	if gt, lt := r.sizeBounds(); gt != nil || lt != nil {
		return invalidRequest("AbortIncompleteMultipartUpload cannot be specified with Object Size.")
	}
	return nil
}
