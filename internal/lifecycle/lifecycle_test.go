package lifecycle

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func date(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// rule is an enabled rule for all keys with the given actions.
func rule(id string, edit func(*Rule)) Rule {
	r := Rule{ID: id, Status: StatusEnabled, Filter: &Filter{}}
	edit(&r)
	return r
}

func expireDays(d int) func(*Rule) {
	return func(r *Rule) { r.Expiration = &ExpirationAction{Days: ptr(d)} }
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		rules   []Rule
		wantErr error  // nil: valid
		wantMsg string // the client's message, after the sentinel
	}{
		{name: "expiration by days", rules: []Rule{rule("r", expireDays(1))}},
		{name: "legacy top-level prefix", rules: []Rule{{ID: "r", Status: StatusDisabled, Prefix: ptr("logs/"), Expiration: &ExpirationAction{Days: ptr(3)}}}},
		{name: "expiration by date at midnight", rules: []Rule{rule("r", func(r *Rule) { r.Expiration = &ExpirationAction{Date: date("2030-01-01T00:00:00Z")} })}},
		{name: "expired delete markers", rules: []Rule{rule("r", func(r *Rule) { r.Expiration = &ExpirationAction{ExpiredObjectDeleteMarker: ptr(true)} })}},
		{name: "full rule", rules: []Rule{rule("r", func(r *Rule) {
			r.Filter = &Filter{And: &And{Prefix: "a/", Tags: []Tag{{"k", "v"}, {"k2", "v2"}}, ObjectSizeGreaterThan: ptr[int64](10), ObjectSizeLessThan: ptr[int64](100)}}
			r.Transitions = []Transition{{Days: ptr(90), StorageClass: "GLACIER"}, {Days: ptr(30), StorageClass: "STANDARD_IA"}, {Days: ptr(180), StorageClass: "DEEP_ARCHIVE"}}
			r.Expiration = &ExpirationAction{Days: ptr(365)}
			r.NoncurrentVersionTransitions = []NoncurrentVersionTransition{{NoncurrentDays: ptr(30), StorageClass: "ONEZONE_IA", NewerNoncurrentVersions: ptr(3)}}
			r.NoncurrentVersionExpiration = &NoncurrentVersionExpiration{NoncurrentDays: ptr(60), NewerNoncurrentVersions: ptr(5)}
		})}},
		{name: "GLACIER at day 0", rules: []Rule{rule("r", func(r *Rule) { r.Transitions = []Transition{{Days: ptr(0), StorageClass: "GLACIER"}} })}},
		{name: "GLACIER_IR before INTELLIGENT_TIERING", rules: []Rule{rule("r", func(r *Rule) {
			r.Transitions = []Transition{{Days: ptr(0), StorageClass: "GLACIER_IR"}, {Days: ptr(1), StorageClass: "INTELLIGENT_TIERING"}}
		})}, wantErr: ErrInvalidArgument, wantMsg: "'Days' in the Transition action for StorageClass 'GLACIER_IR' for filter '(prefix=)' must be greater than 'Days' in the Transition action for StorageClass 'INTELLIGENT_TIERING'"},
		{name: "transitions by date", rules: []Rule{rule("r", func(r *Rule) {
			r.Transitions = []Transition{{Date: date("2030-01-01T00:00:00Z"), StorageClass: "GLACIER"}}
			r.Expiration = &ExpirationAction{Date: date("2030-06-01T00:00:00Z")}
		})}},
		{name: "abort uploads under a prefix", rules: []Rule{rule("r", func(r *Rule) {
			r.Filter = &Filter{Prefix: ptr("tmp/")}
			r.AbortIncompleteMultipartUpload = &AbortIncompleteMultipartUpload{DaysAfterInitiation: ptr(7)}
		})}},
		{name: "rules without IDs", rules: []Rule{rule("", expireDays(1)), rule("", expireDays(2))}},

		{name: "no rules", rules: nil, wantErr: ErrMalformed},
		{name: "too many rules", rules: func() []Rule {
			rs := make([]Rule, MaxRules+1)
			for i := range rs {
				rs[i] = rule(fmt.Sprint(i), expireDays(1))
			}
			return rs
		}(), wantErr: ErrMalformed},
		{name: "duplicate IDs", rules: []Rule{rule("r", expireDays(1)), rule("r", expireDays(2))},
			wantErr: ErrInvalidArgument, wantMsg: "Rule ID must be unique. Found same ID for more than one rule"},
		{name: "ID too long", rules: []Rule{rule(strings.Repeat("x", 256), expireDays(1))},
			wantErr: ErrInvalidArgument, wantMsg: "ID length should not exceed allowed limit of 255"},
		{name: "bad status", rules: []Rule{rule("r", func(r *Rule) { expireDays(1)(r); r.Status = "enabled" })}, wantErr: ErrMalformed},
		{name: "filter and prefix", rules: []Rule{rule("r", func(r *Rule) { expireDays(1)(r); r.Prefix = ptr("") })}, wantErr: ErrMalformed},
		{name: "neither filter nor prefix", rules: []Rule{rule("r", func(r *Rule) { expireDays(1)(r); r.Filter = nil })}, wantErr: ErrMalformed},
		{name: "two predicates without And", rules: []Rule{rule("r", func(r *Rule) {
			expireDays(1)(r)
			r.Filter = &Filter{Prefix: ptr("a"), Tag: &Tag{"k", "v"}}
		})}, wantErr: ErrMalformed},
		{name: "size bounds inverted", rules: []Rule{rule("r", func(r *Rule) {
			expireDays(1)(r)
			r.Filter = &Filter{And: &And{ObjectSizeGreaterThan: ptr[int64](100), ObjectSizeLessThan: ptr[int64](100)}}
		})}, wantErr: ErrInvalidArgument, wantMsg: "'ObjectSizeLessThan' must be greater than 'ObjectSizeGreaterThan'"},
		{name: "no action", rules: []Rule{rule("r", func(*Rule) {})},
			wantErr: ErrInvalidRequest, wantMsg: "At least one action needs to be specified in a rule"},
		{name: "expiration days 0", rules: []Rule{rule("r", expireDays(0))},
			wantErr: ErrInvalidArgument, wantMsg: "'Days' for Expiration action must be a positive integer"},
		{name: "expiration date not at midnight", rules: []Rule{rule("r", func(r *Rule) { r.Expiration = &ExpirationAction{Date: date("2030-01-01T00:00:01Z")} })},
			wantErr: ErrInvalidArgument, wantMsg: "'Date' must be at midnight GMT"},
		{name: "expiration date midnight elsewhere", rules: []Rule{rule("r", func(r *Rule) { r.Expiration = &ExpirationAction{Date: date("2030-01-01T00:00:00+01:00")} })},
			wantErr: ErrInvalidArgument, wantMsg: "'Date' must be at midnight GMT"},
		{name: "expiration days and date", rules: []Rule{rule("r", func(r *Rule) {
			r.Expiration = &ExpirationAction{Days: ptr(1), Date: date("2030-01-01T00:00:00Z")}
		})}, wantErr: ErrMalformed},
		{name: "delete marker with days", rules: []Rule{rule("r", func(r *Rule) {
			r.Expiration = &ExpirationAction{Days: ptr(1), ExpiredObjectDeleteMarker: ptr(true)}
		})}, wantErr: ErrMalformed},
		{name: "empty expiration", rules: []Rule{rule("r", func(r *Rule) { r.Expiration = &ExpirationAction{} })}, wantErr: ErrMalformed},
		{name: "STANDARD_IA at 1 day", rules: []Rule{rule("r", func(r *Rule) {
			r.Transitions = []Transition{{Days: ptr(1), StorageClass: "STANDARD_IA"}}
		})}, wantErr: ErrInvalidArgument, wantMsg: "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'"},
		{name: "ONEZONE_IA at 29 days", rules: []Rule{rule("r", func(r *Rule) {
			r.Transitions = []Transition{{Days: ptr(29), StorageClass: "ONEZONE_IA"}}
		})}, wantErr: ErrInvalidArgument, wantMsg: "'Days' in Transition action must be greater than or equal to 30 for storageClass 'ONEZONE_IA'"},
		{name: "negative transition days", rules: []Rule{rule("r", func(r *Rule) {
			r.Transitions = []Transition{{Days: ptr(-1), StorageClass: "GLACIER"}}
		})}, wantErr: ErrInvalidArgument, wantMsg: "'Days' in Transition action must be nonnegative"},
		{name: "transition to STANDARD", rules: []Rule{rule("r", func(r *Rule) {
			r.Transitions = []Transition{{Days: ptr(30), StorageClass: "STANDARD"}}
		})}, wantErr: ErrMalformed},
		{name: "transition to REDUCED_REDUNDANCY", rules: []Rule{rule("r", func(r *Rule) {
			r.Transitions = []Transition{{Days: ptr(30), StorageClass: "REDUCED_REDUNDANCY"}}
		})}, wantErr: ErrMalformed},
		{name: "transition without days or date", rules: []Rule{rule("r", func(r *Rule) {
			r.Transitions = []Transition{{StorageClass: "GLACIER"}}
		})}, wantErr: ErrMalformed},
		{name: "same class twice", rules: []Rule{rule("r", func(r *Rule) {
			r.Transitions = []Transition{{Days: ptr(1), StorageClass: "GLACIER"}, {Days: ptr(2), StorageClass: "GLACIER"}}
		})}, wantErr: ErrInvalidRequest},
		{name: "colder class earlier", rules: []Rule{rule("r", func(r *Rule) {
			r.Transitions = []Transition{{Days: ptr(60), StorageClass: "STANDARD_IA"}, {Days: ptr(30), StorageClass: "GLACIER"}}
		})}, wantErr: ErrInvalidArgument, wantMsg: "'Days' in the Transition action for StorageClass 'GLACIER' for filter '(prefix=)' must be greater than 'Days' in the Transition action for StorageClass 'STANDARD_IA'"},
		{name: "mixed days and date transitions", rules: []Rule{rule("r", func(r *Rule) {
			r.Transitions = []Transition{{Days: ptr(30), StorageClass: "STANDARD_IA"}, {Date: date("2030-01-01T00:00:00Z"), StorageClass: "GLACIER"}}
		})}, wantErr: ErrInvalidRequest},
		{name: "expiration not after transition", rules: []Rule{rule("r", func(r *Rule) {
			r.Filter = &Filter{Prefix: ptr("logs/")}
			r.Transitions = []Transition{{Days: ptr(30), StorageClass: "GLACIER"}}
			r.Expiration = &ExpirationAction{Days: ptr(30)}
		})}, wantErr: ErrInvalidArgument, wantMsg: "'Days' in the Expiration action for filter '(prefix=logs/)' must be greater than 'Days' in the Transition action"},
		{name: "expiration date with transition days", rules: []Rule{rule("r", func(r *Rule) {
			r.Transitions = []Transition{{Days: ptr(30), StorageClass: "GLACIER"}}
			r.Expiration = &ExpirationAction{Date: date("2030-01-01T00:00:00Z")}
		})}, wantErr: ErrInvalidRequest, wantMsg: "Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule for filter '(prefix=)'"},
		{name: "noncurrent STANDARD_IA at 1 day", rules: []Rule{rule("r", func(r *Rule) {
			r.NoncurrentVersionTransitions = []NoncurrentVersionTransition{{NoncurrentDays: ptr(1), StorageClass: "STANDARD_IA"}}
		})}, wantErr: ErrInvalidArgument, wantMsg: "'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'"},
		{name: "noncurrent expiration days 0", rules: []Rule{rule("r", func(r *Rule) {
			r.NoncurrentVersionExpiration = &NoncurrentVersionExpiration{NoncurrentDays: ptr(0)}
		})}, wantErr: ErrInvalidArgument, wantMsg: "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"},
		{name: "noncurrent expiration before transition", rules: []Rule{rule("r", func(r *Rule) {
			r.NoncurrentVersionTransitions = []NoncurrentVersionTransition{{NoncurrentDays: ptr(10), StorageClass: "GLACIER"}}
			r.NoncurrentVersionExpiration = &NoncurrentVersionExpiration{NoncurrentDays: ptr(5)}
		})}, wantErr: ErrInvalidArgument},
		{name: "newer noncurrent versions 0", rules: []Rule{rule("r", func(r *Rule) {
			r.NoncurrentVersionExpiration = &NoncurrentVersionExpiration{NoncurrentDays: ptr(5), NewerNoncurrentVersions: ptr(0)}
		})}, wantErr: ErrInvalidArgument},
		{name: "abort days 0", rules: []Rule{rule("r", func(r *Rule) {
			r.AbortIncompleteMultipartUpload = &AbortIncompleteMultipartUpload{DaysAfterInitiation: ptr(0)}
		})}, wantErr: ErrInvalidArgument, wantMsg: "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer"},
		{name: "abort with a tag filter", rules: []Rule{rule("r", func(r *Rule) {
			r.Filter = &Filter{Tag: &Tag{"k", "v"}}
			r.AbortIncompleteMultipartUpload = &AbortIncompleteMultipartUpload{DaysAfterInitiation: ptr(1)}
		})}, wantErr: ErrInvalidRequest, wantMsg: "AbortIncompleteMultipartUpload cannot be specified with Tags."},
		{name: "abort with tags in And", rules: []Rule{rule("r", func(r *Rule) {
			r.Filter = &Filter{And: &And{Prefix: "p", Tags: []Tag{{"k", "v"}}}}
			r.AbortIncompleteMultipartUpload = &AbortIncompleteMultipartUpload{DaysAfterInitiation: ptr(1)}
		})}, wantErr: ErrInvalidRequest, wantMsg: "AbortIncompleteMultipartUpload cannot be specified with Tags."},
		{name: "abort with a size filter", rules: []Rule{rule("r", func(r *Rule) {
			r.Filter = &Filter{ObjectSizeGreaterThan: ptr[int64](5)}
			r.AbortIncompleteMultipartUpload = &AbortIncompleteMultipartUpload{DaysAfterInitiation: ptr(1)}
		})}, wantErr: ErrInvalidRequest, wantMsg: "AbortIncompleteMultipartUpload cannot be specified with Object Size."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Configuration{Rules: tt.rules}
			err := c.Validate()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Validate = %v, want %v", err, tt.wantErr)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantErr.Error()+": "+tt.wantMsg {
				t.Errorf("Validate = %q, want message %q", err, tt.wantMsg)
			}
		})
	}
}

func TestExpiration(t *testing.T) {
	modified := time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)
	tests := []struct {
		name     string
		rules    []Rule
		key      string
		tags     map[string]string
		size     int64
		modified time.Time
		wantDate string // "" when no rule expires the object
		wantRule string
	}{
		{name: "days round up to the next midnight", rules: []Rule{rule("r", expireDays(3))},
			key: "k", modified: modified, wantDate: "2026-01-19T00:00:00Z", wantRule: "r"},
		{name: "midnight stays midnight", rules: []Rule{rule("r", expireDays(1))},
			key: "k", modified: time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), wantDate: "2026-01-16T00:00:00Z", wantRule: "r"},
		{name: "last modified in another zone", rules: []Rule{rule("r", expireDays(1))},
			key: "k", modified: time.Date(2026, 1, 15, 23, 30, 0, 0, time.FixedZone("", -2*3600)), wantDate: "2026-01-18T00:00:00Z", wantRule: "r"},
		{name: "date", rules: []Rule{rule("r", func(r *Rule) { r.Expiration = &ExpirationAction{Date: date("2030-01-01T00:00:00Z")} })},
			key: "k", modified: modified, wantDate: "2030-01-01T00:00:00Z", wantRule: "r"},
		{name: "disabled rule", rules: []Rule{rule("r", func(r *Rule) { expireDays(1)(r); r.Status = StatusDisabled })},
			key: "k", modified: modified},
		{name: "delete marker rule only", rules: []Rule{rule("r", func(r *Rule) { r.Expiration = &ExpirationAction{ExpiredObjectDeleteMarker: ptr(true)} })},
			key: "k", modified: modified},
		{name: "transition only", rules: []Rule{rule("r", func(r *Rule) { r.Transitions = []Transition{{Days: ptr(1), StorageClass: "GLACIER"}} })},
			key: "k", modified: modified},
		{name: "prefix matches", rules: []Rule{rule("r", func(r *Rule) { expireDays(1)(r); r.Filter = &Filter{Prefix: ptr("logs/")} })},
			key: "logs/a", modified: modified, wantDate: "2026-01-17T00:00:00Z", wantRule: "r"},
		{name: "prefix does not match", rules: []Rule{rule("r", func(r *Rule) { expireDays(1)(r); r.Filter = &Filter{Prefix: ptr("logs/")} })},
			key: "log", modified: modified},
		{name: "legacy prefix", rules: []Rule{{ID: "r", Status: StatusEnabled, Prefix: ptr("a/"), Expiration: &ExpirationAction{Days: ptr(1)}}},
			key: "b/x", modified: modified},
		{name: "tag matches", rules: []Rule{rule("r", func(r *Rule) { expireDays(1)(r); r.Filter = &Filter{Tag: &Tag{"t", "1"}} })},
			key: "k", tags: map[string]string{"t": "1", "u": "2"}, modified: modified, wantDate: "2026-01-17T00:00:00Z", wantRule: "r"},
		{name: "tag value differs", rules: []Rule{rule("r", func(r *Rule) { expireDays(1)(r); r.Filter = &Filter{Tag: &Tag{"t", "1"}} })},
			key: "k", tags: map[string]string{"t": "2"}, modified: modified},
		{name: "and needs every tag", rules: []Rule{rule("r", func(r *Rule) {
			expireDays(1)(r)
			r.Filter = &Filter{And: &And{Prefix: "k", Tags: []Tag{{"a", "1"}, {"b", "2"}}}}
		})}, key: "k", tags: map[string]string{"a": "1"}, modified: modified},
		{name: "size inside bounds", rules: []Rule{rule("r", func(r *Rule) {
			expireDays(1)(r)
			r.Filter = &Filter{And: &And{ObjectSizeGreaterThan: ptr[int64](10), ObjectSizeLessThan: ptr[int64](20)}}
		})}, key: "k", size: 11, modified: modified, wantDate: "2026-01-17T00:00:00Z", wantRule: "r"},
		{name: "size bounds are exclusive", rules: []Rule{rule("r", func(r *Rule) {
			expireDays(1)(r)
			r.Filter = &Filter{ObjectSizeGreaterThan: ptr[int64](10)}
		})}, key: "k", size: 10, modified: modified},
		{name: "size below the upper bound", rules: []Rule{rule("r", func(r *Rule) {
			expireDays(1)(r)
			r.Filter = &Filter{ObjectSizeLessThan: ptr[int64](10)}
		})}, key: "k", size: 10, modified: modified},
		{name: "overlapping rules take the earliest", rules: []Rule{
			rule("late", expireDays(30)),
			rule("early", expireDays(2)),
			rule("dated", func(r *Rule) { r.Expiration = &ExpirationAction{Date: date("2026-01-18T00:00:00Z")} }),
		}, key: "k", modified: modified, wantDate: "2026-01-18T00:00:00Z", wantRule: "early"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, id, ok := Expiration(tt.rules, tt.key, tt.tags, tt.size, tt.modified)
			if tt.wantDate == "" {
				if ok {
					t.Fatalf("Expiration = %v %q, want none", d, id)
				}
				return
			}
			if !ok || !d.Equal(*date(tt.wantDate)) || id != tt.wantRule {
				t.Errorf("Expiration = %v %q %v, want %s %q", d, id, ok, tt.wantDate, tt.wantRule)
			}
		})
	}
}
