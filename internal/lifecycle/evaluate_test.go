package lifecycle

import (
	"errors"
	"testing"
	"time"
)

func at(s string) time.Time { return *date(s) }

// big is a size the default 128 KB transition minimum does not hold back.
const big = 1 << 20

// latest is the only version of key, written at modified.
func latest(key, modified string) Object {
	return Object{Key: key, Size: big, LastModified: at(modified), IsLatest: true, OnlyVersion: true}
}

// noncurrent is a noncurrent version of key that became noncurrent at
// since, with newer noncurrent versions newer than it.
func noncurrent(key, since string, newer int) Object {
	return Object{Key: key, Size: big, LastModified: at("2020-01-01T08:00:00Z"), NoncurrentSince: at(since), NewerNoncurrent: newer, Versioned: true}
}

// marker is a latest delete marker written at modified.
func marker(key, modified string, only bool) Object {
	return Object{Key: key, LastModified: at(modified), IsLatest: true, DeleteMarker: true, OnlyVersion: only, Versioned: true}
}

func with(o Object, edit func(*Object)) Object {
	edit(&o)
	return o
}

func transitionDays(d int, class string) func(*Rule) {
	return func(r *Rule) { r.Transitions = append(r.Transitions, Transition{Days: ptr(d), StorageClass: class}) }
}

func noncurrentExpire(days int, newer *int) func(*Rule) {
	return func(r *Rule) {
		r.NoncurrentVersionExpiration = &NoncurrentVersionExpiration{NoncurrentDays: ptr(days), NewerNoncurrentVersions: newer}
	}
}

func noncurrentTransition(days int, newer *int, class string) func(*Rule) {
	return func(r *Rule) {
		r.NoncurrentVersionTransitions = append(r.NoncurrentVersionTransitions,
			NoncurrentVersionTransition{NoncurrentDays: ptr(days), NewerNoncurrentVersions: newer, StorageClass: class})
	}
}

func both(edits ...func(*Rule)) func(*Rule) {
	return func(r *Rule) {
		for _, e := range edits {
			e(r)
		}
	}
}

func filtered(f Filter, edit func(*Rule)) func(*Rule) {
	return func(r *Rule) { r.Filter = &f; edit(r) }
}

func expire(id string) Action { return Action{Kind: ActionExpire, RuleID: id} }
func deleteVersion(id string) Action {
	return Action{Kind: ActionDeleteVersion, RuleID: id}
}
func transition(id, class string) Action {
	return Action{Kind: ActionTransition, StorageClass: class, RuleID: id}
}

func TestEvaluate(t *testing.T) {
	expiredMarkers := func(r *Rule) { r.Expiration = &ExpirationAction{ExpiredObjectDeleteMarker: ptr(true)} }
	tests := []struct {
		name    string
		rules   []Rule
		minimum string // TransitionMinimumSize
		obj     Object
		now     string
		want    Action
	}{
		// Days: LastModified + Days, rounded up to the next midnight UTC.
		{name: "days: not due the second before the rounded midnight", rules: []Rule{rule("r", expireDays(3))},
			obj: latest("k", "2024-01-01T10:00:00Z"), now: "2024-01-04T23:59:59Z"},
		{name: "days: due at the rounded midnight", rules: []Rule{rule("r", expireDays(3))},
			obj: latest("k", "2024-01-01T10:00:00Z"), now: "2024-01-05T00:00:00Z", want: expire("r")},
		{name: "days: an object at 23:59 rounds up to the midnight after next", rules: []Rule{rule("r", expireDays(1))},
			obj: latest("k", "2024-01-01T23:59:00Z"), now: "2024-01-02T23:59:59Z"},
		{name: "days: an object at 23:59 is due at the midnight after next", rules: []Rule{rule("r", expireDays(1))},
			obj: latest("k", "2024-01-01T23:59:00Z"), now: "2024-01-03T00:00:00Z", want: expire("r")},
		{name: "days: an object at 00:00 is due exactly Days later", rules: []Rule{rule("r", expireDays(1))},
			obj: latest("k", "2024-01-02T00:00:00Z"), now: "2024-01-03T00:00:00Z", want: expire("r")},
		{name: "days: an object at 00:00 is not due a second earlier", rules: []Rule{rule("r", expireDays(1))},
			obj: latest("k", "2024-01-02T00:00:00Z"), now: "2024-01-02T23:59:59Z"},
		{name: "days: counted in UTC, not the object's zone", rules: []Rule{rule("r", expireDays(1))},
			obj: latest("k", "2024-01-01T23:30:00-05:00"), now: "2024-01-03T00:00:00Z"},
		{name: "days: the user guide's example (1/15/2014 10:30 + 3 days = 1/19/2014 00:00), before", rules: []Rule{rule("r", transitionDays(3, "GLACIER"))},
			obj: latest("k", "2014-01-15T10:30:00Z"), now: "2014-01-18T23:59:59Z"},
		{name: "days: the user guide's example, at", rules: []Rule{rule("r", transitionDays(3, "GLACIER"))},
			obj: latest("k", "2014-01-15T10:30:00Z"), now: "2014-01-19T00:00:00Z", want: transition("r", "GLACIER")},
		{name: "days: a transition at day 0 waits for the next midnight", rules: []Rule{rule("r", transitionDays(0, "GLACIER"))},
			obj: latest("k", "2024-01-01T10:00:00Z"), now: "2024-01-01T23:00:00Z"},

		// Date: from the date on, for objects written later too.
		{name: "date: not due before the date", rules: []Rule{rule("r", func(r *Rule) { r.Expiration = &ExpirationAction{Date: date("2030-01-01T00:00:00Z")} })},
			obj: latest("k", "2020-01-01T10:00:00Z"), now: "2029-12-31T23:59:59Z"},
		{name: "date: due on the date", rules: []Rule{rule("r", func(r *Rule) { r.Expiration = &ExpirationAction{Date: date("2030-01-01T00:00:00Z")} })},
			obj: latest("k", "2020-01-01T10:00:00Z"), now: "2030-01-01T00:00:00Z", want: expire("r")},
		{name: "date: objects written after the date are due at once", rules: []Rule{rule("r", func(r *Rule) { r.Expiration = &ExpirationAction{Date: date("2030-01-01T00:00:00Z")} })},
			obj: latest("k", "2030-06-01T10:00:00Z"), now: "2030-06-01T10:00:01Z", want: expire("r")},
		{name: "date: transition", rules: []Rule{rule("r", func(r *Rule) {
			r.Transitions = []Transition{{Date: date("2030-01-01T00:00:00Z"), StorageClass: "DEEP_ARCHIVE"}}
		})}, obj: latest("k", "2020-01-01T10:00:00Z"), now: "2030-01-01T00:00:00Z", want: transition("r", "DEEP_ARCHIVE")},

		// Transitions follow the waterfall.
		{name: "transition: never upwards", rules: []Rule{rule("r", transitionDays(30, "STANDARD_IA"))},
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.StorageClass = "GLACIER" }), now: "2024-01-01T00:00:00Z"},
		{name: "transition: not to the class the object is in", rules: []Rule{rule("r", transitionDays(30, "STANDARD_IA"))},
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.StorageClass = "STANDARD_IA" }), now: "2024-01-01T00:00:00Z"},
		{name: "transition: from STANDARD_IA on down", rules: []Rule{rule("r", both(transitionDays(30, "STANDARD_IA"), transitionDays(90, "GLACIER")))},
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.StorageClass = "STANDARD_IA" }), now: "2024-01-01T00:00:00Z", want: transition("r", "GLACIER")},
		{name: "transition: straight to the coldest due class of a rule", rules: []Rule{rule("r", both(transitionDays(30, "STANDARD_IA"), transitionDays(90, "GLACIER"), transitionDays(180, "DEEP_ARCHIVE")))},
			obj: latest("k", "2024-01-01T10:00:00Z"), now: "2024-04-15T00:00:00Z", want: transition("r", "GLACIER")},
		{name: "transition: explicit STANDARD is the top of the waterfall", rules: []Rule{rule("r", transitionDays(30, "STANDARD_IA"))},
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.StorageClass = "STANDARD" }), now: "2024-01-01T00:00:00Z", want: transition("r", "STANDARD_IA")},
		{name: "transition: from REDUCED_REDUNDANCY", rules: []Rule{rule("r", transitionDays(0, "GLACIER_IR"))},
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.StorageClass = "REDUCED_REDUNDANCY" }), now: "2024-01-01T00:00:00Z", want: transition("r", "GLACIER_IR")},
		{name: "transition: not from ONEZONE_IA to GLACIER_IR", rules: []Rule{rule("r", transitionDays(0, "GLACIER_IR"))},
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.StorageClass = "ONEZONE_IA" }), now: "2024-01-01T00:00:00Z"},
		{name: "transition: from INTELLIGENT_TIERING to ONEZONE_IA", rules: []Rule{rule("r", transitionDays(30, "ONEZONE_IA"))},
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.StorageClass = "INTELLIGENT_TIERING" }), now: "2024-01-01T00:00:00Z", want: transition("r", "ONEZONE_IA")},
		{name: "transition: not out of a class lifecycle does not know", rules: []Rule{rule("r", transitionDays(0, "GLACIER"))},
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.StorageClass = "EXPRESS_ONEZONE" }), now: "2024-01-01T00:00:00Z"},

		// The default minimum object size.
		{name: "min size: a small object is not transitioned by default", rules: []Rule{rule("r", transitionDays(0, "GLACIER"))},
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.Size = 128<<10 - 1 }), now: "2024-01-01T00:00:00Z"},
		{name: "min size: 128 KiB exactly is transitioned", rules: []Rule{rule("r", transitionDays(0, "GLACIER"))},
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.Size = 128 << 10 }), now: "2024-01-01T00:00:00Z", want: transition("r", "GLACIER")},
		{name: "min size: explicit all_storage_classes_128K", rules: []Rule{rule("r", transitionDays(0, "DEEP_ARCHIVE"))}, minimum: MinimumSizeAll128K,
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.Size = 10 }), now: "2024-01-01T00:00:00Z"},
		{name: "min size: varies_by_storage_class lets a small object into GLACIER", rules: []Rule{rule("r", transitionDays(0, "GLACIER"))}, minimum: MinimumSizeVariesByClass,
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.Size = 10 }), now: "2024-01-01T00:00:00Z", want: transition("r", "GLACIER")},
		{name: "min size: varies_by_storage_class lets a small object into DEEP_ARCHIVE", rules: []Rule{rule("r", transitionDays(0, "DEEP_ARCHIVE"))}, minimum: MinimumSizeVariesByClass,
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.Size = 0 }), now: "2024-01-01T00:00:00Z", want: transition("r", "DEEP_ARCHIVE")},
		{name: "min size: varies_by_storage_class keeps a small object out of GLACIER_IR", rules: []Rule{rule("r", transitionDays(0, "GLACIER_IR"))}, minimum: MinimumSizeVariesByClass,
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.Size = 10 }), now: "2024-01-01T00:00:00Z"},
		{name: "min size: varies_by_storage_class picks the archive class a small object may enter",
			rules:   []Rule{rule("ia", transitionDays(30, "GLACIER_IR")), rule("archive", transitionDays(90, "GLACIER"))},
			minimum: MinimumSizeVariesByClass,
			obj:     with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.Size = 10 }), now: "2024-01-01T00:00:00Z", want: transition("archive", "GLACIER")},
		{name: "min size: an ObjectSizeGreaterThan filter overrides the default", rules: []Rule{rule("r", filtered(Filter{ObjectSizeGreaterThan: ptr[int64](0)}, transitionDays(30, "STANDARD_IA")))},
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.Size = 10 }), now: "2024-01-01T00:00:00Z", want: transition("r", "STANDARD_IA")},
		{name: "min size: an ObjectSizeLessThan filter in And overrides the default", rules: []Rule{rule("r", filtered(Filter{And: &And{Prefix: "k", ObjectSizeLessThan: ptr[int64](1000)}}, transitionDays(0, "GLACIER_IR")))},
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.Size = 10 }), now: "2024-01-01T00:00:00Z", want: transition("r", "GLACIER_IR")},
		{name: "min size: a prefix filter does not override the default", rules: []Rule{rule("r", filtered(Filter{Prefix: ptr("k")}, transitionDays(0, "GLACIER")))},
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.Size = 10 }), now: "2024-01-01T00:00:00Z"},
		{name: "min size: does not hold back expiration", rules: []Rule{rule("r", expireDays(1))},
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.Size = 10 }), now: "2024-01-01T00:00:00Z", want: expire("r")},
		{name: "min size: applies to noncurrent transitions", rules: []Rule{rule("r", noncurrentTransition(0, nil, "GLACIER"))},
			obj: with(noncurrent("k", "2024-01-01T10:00:00Z", 0), func(o *Object) { o.Size = 10 }), now: "2024-06-01T00:00:00Z"},

		// Versioned buckets: noncurrent versions.
		{name: "noncurrent: counted from becoming noncurrent, before", rules: []Rule{rule("r", noncurrentExpire(3, nil))},
			obj: noncurrent("k", "2014-01-15T10:30:00Z", 0), now: "2014-01-18T23:59:59Z"},
		{name: "noncurrent: counted from becoming noncurrent, at the rounded midnight", rules: []Rule{rule("r", noncurrentExpire(3, nil))},
			obj: noncurrent("k", "2014-01-15T10:30:00Z", 0), now: "2014-01-19T00:00:00Z", want: deleteVersion("r")},
		{name: "noncurrent: the user guide's photo.gif (deleted 1/2/2014 11:30, 5 days: gone 1/8/2014 00:00)", rules: []Rule{rule("r", noncurrentExpire(5, nil))},
			obj: noncurrent("photo.gif", "2014-01-02T11:30:00Z", 0), now: "2014-01-08T00:00:00Z", want: deleteVersion("r")},
		{name: "noncurrent: Expiration does not touch noncurrent versions", rules: []Rule{rule("r", expireDays(1))},
			obj: noncurrent("k", "2014-01-02T11:30:00Z", 0), now: "2024-01-01T00:00:00Z"},
		{name: "noncurrent: Transition does not touch noncurrent versions", rules: []Rule{rule("r", transitionDays(0, "GLACIER"))},
			obj: noncurrent("k", "2014-01-02T11:30:00Z", 0), now: "2024-01-01T00:00:00Z"},
		{name: "noncurrent: NoncurrentVersionExpiration does not touch the latest version", rules: []Rule{rule("r", noncurrentExpire(1, nil))},
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.Versioned = true }), now: "2024-01-01T00:00:00Z"},
		{name: "noncurrent: NewerNoncurrentVersions keeps the newest", rules: []Rule{rule("r", noncurrentExpire(1, ptr(2)))},
			obj: noncurrent("k", "2020-01-01T10:00:00Z", 1), now: "2024-01-01T00:00:00Z"},
		{name: "noncurrent: NewerNoncurrentVersions deletes beyond them", rules: []Rule{rule("r", noncurrentExpire(1, ptr(2)))},
			obj: noncurrent("k", "2020-01-01T10:00:00Z", 2), now: "2024-01-01T00:00:00Z", want: deleteVersion("r")},
		{name: "noncurrent: NewerNoncurrentVersions waits for NoncurrentDays too", rules: []Rule{rule("r", noncurrentExpire(30, ptr(2)))},
			obj: noncurrent("k", "2024-01-01T10:00:00Z", 5), now: "2024-01-20T00:00:00Z"},
		{name: "noncurrent: transition kept by NewerNoncurrentVersions", rules: []Rule{rule("r", noncurrentTransition(0, ptr(1), "GLACIER"))},
			obj: noncurrent("k", "2020-01-01T10:00:00Z", 0), now: "2024-01-01T00:00:00Z"},
		{name: "noncurrent: transition beyond NewerNoncurrentVersions", rules: []Rule{rule("r", noncurrentTransition(0, ptr(1), "GLACIER"))},
			obj: noncurrent("k", "2020-01-01T10:00:00Z", 1), now: "2024-01-01T00:00:00Z", want: transition("r", "GLACIER")},
		{name: "noncurrent: transition never upwards", rules: []Rule{rule("r", noncurrentTransition(30, nil, "STANDARD_IA"))},
			obj: with(noncurrent("k", "2020-01-01T10:00:00Z", 0), func(o *Object) { o.StorageClass = "DEEP_ARCHIVE" }), now: "2024-01-01T00:00:00Z"},
		{name: "noncurrent: a version without NoncurrentSince is left alone", rules: []Rule{rule("r", noncurrentExpire(1, nil))},
			obj: with(noncurrent("k", "2020-01-01T10:00:00Z", 0), func(o *Object) { o.NoncurrentSince = time.Time{} }), now: "2024-01-01T00:00:00Z"},

		// Delete markers.
		{name: "marker: ExpiredObjectDeleteMarker removes an expired object delete marker", rules: []Rule{rule("r", expiredMarkers)},
			obj: marker("k", "2024-01-01T10:00:00Z", true), now: "2024-01-01T10:00:01Z", want: deleteVersion("r")},
		{name: "marker: ExpiredObjectDeleteMarker false takes no action", rules: []Rule{rule("r", func(r *Rule) { r.Expiration = &ExpirationAction{ExpiredObjectDeleteMarker: ptr(false)} })},
			obj: marker("k", "2024-01-01T10:00:00Z", true), now: "2025-01-01T00:00:00Z"},
		{name: "marker: one with noncurrent versions remains", rules: []Rule{rule("r", expiredMarkers), rule("days", expireDays(1))},
			obj: marker("k", "2024-01-01T10:00:00Z", false), now: "2025-01-01T00:00:00Z"},
		{name: "marker: Expiration Days removes an expired marker once old enough, before", rules: []Rule{rule("r", expireDays(30))},
			obj: marker("k", "2024-01-10T12:00:00Z", true), now: "2024-02-09T23:59:59Z"},
		{name: "marker: Expiration Days removes an expired marker once old enough, at", rules: []Rule{rule("r", expireDays(30))},
			obj: marker("k", "2024-01-10T12:00:00Z", true), now: "2024-02-10T00:00:00Z", want: deleteVersion("r")},
		{name: "marker: Expiration Date removes expired markers from the date", rules: []Rule{rule("r", func(r *Rule) { r.Expiration = &ExpirationAction{Date: date("2030-01-01T00:00:00Z")} })},
			obj: marker("k", "2024-01-10T12:00:00Z", true), now: "2030-01-01T00:00:00Z", want: deleteVersion("r")},
		{name: "marker: never transitioned", rules: []Rule{rule("r", transitionDays(0, "GLACIER"))},
			obj: marker("k", "2020-01-10T12:00:00Z", true), now: "2024-01-01T00:00:00Z"},
		{name: "marker: a noncurrent marker is never transitioned", rules: []Rule{rule("r", noncurrentTransition(0, nil, "GLACIER"))},
			obj: with(noncurrent("k", "2020-01-01T10:00:00Z", 0), func(o *Object) { o.DeleteMarker = true; o.Size = 0 }), now: "2024-01-01T00:00:00Z"},
		{name: "marker: a noncurrent marker is deleted by NoncurrentVersionExpiration", rules: []Rule{rule("r", noncurrentExpire(1, nil))},
			obj: with(noncurrent("k", "2020-01-01T10:00:00Z", 0), func(o *Object) { o.DeleteMarker = true; o.Size = 0 }), now: "2024-01-01T00:00:00Z", want: deleteVersion("r")},
		{name: "marker: a tag filter does not select a marker (it has no tags)", rules: []Rule{rule("r", filtered(Filter{Tag: &Tag{"k", "v"}}, expireDays(1)))},
			obj: marker("k", "2020-01-10T12:00:00Z", true), now: "2024-01-01T00:00:00Z"},

		// Filters.
		{name: "filter: prefix matches", rules: []Rule{rule("r", filtered(Filter{Prefix: ptr("logs/")}, expireDays(1)))},
			obj: latest("logs/a", "2020-01-01T10:00:00Z"), now: "2024-01-01T00:00:00Z", want: expire("r")},
		{name: "filter: prefix does not match", rules: []Rule{rule("r", filtered(Filter{Prefix: ptr("logs/")}, expireDays(1)))},
			obj: latest("log", "2020-01-01T10:00:00Z"), now: "2024-01-01T00:00:00Z"},
		{name: "filter: legacy top-level prefix", rules: []Rule{{ID: "r", Status: StatusEnabled, Prefix: ptr("tmp/"), Expiration: &ExpirationAction{Days: ptr(1)}}},
			obj: latest("tmp/x", "2020-01-01T10:00:00Z"), now: "2024-01-01T00:00:00Z", want: expire("r")},
		{name: "filter: tag matches", rules: []Rule{rule("r", filtered(Filter{Tag: &Tag{"class", "log"}}, expireDays(1)))},
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.Tags = map[string]string{"class": "log", "other": "x"} }), now: "2024-01-01T00:00:00Z", want: expire("r")},
		{name: "filter: tag with another value", rules: []Rule{rule("r", filtered(Filter{Tag: &Tag{"class", "log"}}, expireDays(1)))},
			obj: with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.Tags = map[string]string{"class": "doc"} }), now: "2024-01-01T00:00:00Z"},
		{name: "filter: tag missing", rules: []Rule{rule("r", filtered(Filter{Tag: &Tag{"class", "log"}}, expireDays(1)))},
			obj: latest("k", "2020-01-01T10:00:00Z"), now: "2024-01-01T00:00:00Z"},
		{name: "filter: ObjectSizeGreaterThan is exclusive", rules: []Rule{rule("r", filtered(Filter{ObjectSizeGreaterThan: ptr[int64](big)}, expireDays(1)))},
			obj: latest("k", "2020-01-01T10:00:00Z"), now: "2024-01-01T00:00:00Z"},
		{name: "filter: ObjectSizeLessThan is exclusive", rules: []Rule{rule("r", filtered(Filter{ObjectSizeLessThan: ptr[int64](big)}, expireDays(1)))},
			obj: latest("k", "2020-01-01T10:00:00Z"), now: "2024-01-01T00:00:00Z"},
		{name: "filter: And needs every predicate", rules: []Rule{rule("r", filtered(Filter{And: &And{Prefix: "logs/", Tags: []Tag{{"a", "1"}, {"b", "2"}}, ObjectSizeGreaterThan: ptr[int64](10)}}, expireDays(1)))},
			obj: with(latest("logs/x", "2020-01-01T10:00:00Z"), func(o *Object) { o.Tags = map[string]string{"a": "1", "b": "2"} }), now: "2024-01-01T00:00:00Z", want: expire("r")},
		{name: "filter: And with one tag missing", rules: []Rule{rule("r", filtered(Filter{And: &And{Prefix: "logs/", Tags: []Tag{{"a", "1"}, {"b", "2"}}}}, expireDays(1)))},
			obj: with(latest("logs/x", "2020-01-01T10:00:00Z"), func(o *Object) { o.Tags = map[string]string{"a": "1"} }), now: "2024-01-01T00:00:00Z"},
		{name: "filter: And with the wrong prefix", rules: []Rule{rule("r", filtered(Filter{And: &And{Prefix: "logs/", Tags: []Tag{{"a", "1"}}}}, expireDays(1)))},
			obj: with(latest("docs/x", "2020-01-01T10:00:00Z"), func(o *Object) { o.Tags = map[string]string{"a": "1"} }), now: "2024-01-01T00:00:00Z"},
		{name: "filter: And with a size out of range", rules: []Rule{rule("r", filtered(Filter{And: &And{ObjectSizeGreaterThan: ptr[int64](10), ObjectSizeLessThan: ptr[int64](100)}}, expireDays(1)))},
			obj: latest("k", "2020-01-01T10:00:00Z"), now: "2024-01-01T00:00:00Z"},

		// Status.
		{name: "disabled rules are ignored", rules: []Rule{{ID: "r", Status: StatusDisabled, Filter: &Filter{}, Expiration: &ExpirationAction{Days: ptr(1)}}},
			obj: latest("k", "2020-01-01T10:00:00Z"), now: "2024-01-01T00:00:00Z"},
		{name: "an enabled rule after a disabled one applies",
			rules: []Rule{{ID: "off", Status: StatusDisabled, Filter: &Filter{}, Expiration: &ExpirationAction{Days: ptr(1)}}, rule("on", transitionDays(0, "GLACIER"))},
			obj:   latest("k", "2020-01-01T10:00:00Z"), now: "2024-01-01T00:00:00Z", want: transition("on", "GLACIER")},
		{name: "no rules", obj: latest("k", "2020-01-01T10:00:00Z"), now: "2024-01-01T00:00:00Z"},

		// Precedence among actions due together.
		{name: "precedence: unversioned, expiration (deletion) wins over transition",
			rules: []Rule{rule("move", transitionDays(365, "STANDARD_IA")), rule("expire", expireDays(365))},
			obj:   latest("k", "2020-01-01T10:00:00Z"), now: "2024-01-01T00:00:00Z", want: expire("expire")},
		{name: "precedence: versioned, transition wins over adding a delete marker",
			rules: []Rule{rule("expire", expireDays(365)), rule("move", transitionDays(365, "STANDARD_IA"))},
			obj:   with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.Versioned = true }), now: "2024-01-01T00:00:00Z", want: transition("move", "STANDARD_IA")},
		{name: "precedence: versioned, the expiration follows once transitioned",
			rules: []Rule{rule("expire", expireDays(365)), rule("move", transitionDays(365, "STANDARD_IA"))},
			obj:   with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.Versioned = true; o.StorageClass = "STANDARD_IA" }), now: "2024-01-01T00:00:00Z", want: expire("expire")},
		{name: "precedence: the tag example (expire at 14 days beats a transition at 365)",
			rules: []Rule{rule("Rule 1", filtered(Filter{Tag: &Tag{"tag1", "value1"}}, transitionDays(365, "GLACIER"))), rule("Rule 2", filtered(Filter{Tag: &Tag{"tag2", "value2"}}, expireDays(14)))},
			obj:   with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.Tags = map[string]string{"tag1": "value1", "tag2": "value2"} }), now: "2024-01-01T00:00:00Z", want: expire("Rule 2")},
		{name: "precedence: noncurrent deletion wins over transition",
			rules: []Rule{rule("move", noncurrentTransition(0, nil, "GLACIER")), rule("delete", noncurrentExpire(1, nil))},
			obj:   noncurrent("k", "2020-01-01T10:00:00Z", 0), now: "2024-01-01T00:00:00Z", want: deleteVersion("delete")},
		{name: "precedence: GLACIER wins over STANDARD_IA",
			rules: []Rule{rule("ia", transitionDays(30, "STANDARD_IA")), rule("glacier", transitionDays(60, "GLACIER"))},
			obj:   latest("k", "2020-01-01T10:00:00Z"), now: "2024-01-01T00:00:00Z", want: transition("glacier", "GLACIER")},
		{name: "precedence: GLACIER wins over ONEZONE_IA whatever the rule order",
			rules: []Rule{rule("glacier", transitionDays(60, "GLACIER")), rule("oz", transitionDays(30, "ONEZONE_IA"))},
			obj:   latest("k", "2020-01-01T10:00:00Z"), now: "2024-01-01T00:00:00Z", want: transition("glacier", "GLACIER")},
		{name: "precedence: INTELLIGENT_TIERING is favoured over GLACIER_IR",
			rules: []Rule{rule("ir", transitionDays(0, "GLACIER_IR")), rule("it", transitionDays(0, "INTELLIGENT_TIERING"))},
			obj:   latest("k", "2020-01-01T10:00:00Z"), now: "2024-01-01T00:00:00Z", want: transition("it", "INTELLIGENT_TIERING")},
		{name: "precedence: DEEP_ARCHIVE is favoured over INTELLIGENT_TIERING",
			rules: []Rule{rule("it", transitionDays(0, "INTELLIGENT_TIERING")), rule("da", transitionDays(0, "DEEP_ARCHIVE"))},
			obj:   latest("k", "2020-01-01T10:00:00Z"), now: "2024-01-01T00:00:00Z", want: transition("da", "DEEP_ARCHIVE")},
		{name: "precedence: a refused colder class does not hide an allowed warmer one",
			rules: []Rule{rule("ir", transitionDays(0, "GLACIER_IR")), rule("glacier", transitionDays(0, "GLACIER"))},
			obj:   with(latest("k", "2020-01-01T10:00:00Z"), func(o *Object) { o.StorageClass = "GLACIER" }), now: "2024-01-01T00:00:00Z"},
		{name: "precedence: noncurrent GLACIER over STANDARD_IA",
			rules: []Rule{rule("r", both(noncurrentTransition(30, nil, "STANDARD_IA"), noncurrentTransition(60, nil, "GLACIER")))},
			obj:   noncurrent("k", "2020-01-01T10:00:00Z", 0), now: "2024-01-01T00:00:00Z", want: transition("r", "GLACIER")},
		{name: "precedence: of two due expirations the first rule names it",
			rules: []Rule{rule("first", expireDays(10)), rule("second", expireDays(5))},
			obj:   latest("k", "2020-01-01T10:00:00Z"), now: "2024-01-01T00:00:00Z", want: expire("first")},
		{name: "precedence: of two overlapping rules only the due one acts",
			rules: []Rule{rule("all", expireDays(365)), rule("logs", filtered(Filter{Prefix: ptr("logs/")}, transitionDays(30, "STANDARD_IA")))},
			obj:   latest("logs/a", "2024-01-01T10:00:00Z"), now: "2024-03-01T00:00:00Z", want: transition("logs", "STANDARD_IA")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &Configuration{Rules: tt.rules, TransitionMinimumSize: tt.minimum}
			if len(tt.rules) > 0 {
				if err := cfg.Validate(); err != nil {
					t.Fatalf("the test's configuration is invalid: %v", err)
				}
			}
			if got := Evaluate(cfg, tt.obj, at(tt.now)); got != tt.want {
				t.Errorf("Evaluate = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEvaluateNilConfiguration(t *testing.T) {
	if got := Evaluate(nil, latest("k", "2020-01-01T10:00:00Z"), at("2024-01-01T00:00:00Z")); got != (Action{}) {
		t.Errorf("Evaluate(nil) = %+v, want none", got)
	}
}

func TestAbortDue(t *testing.T) {
	abort := func(days int) func(*Rule) {
		return func(r *Rule) {
			r.AbortIncompleteMultipartUpload = &AbortIncompleteMultipartUpload{DaysAfterInitiation: ptr(days)}
		}
	}
	tests := []struct {
		name      string
		rules     []Rule
		key       string
		initiated string
		now       string
		wantRule  string
		wantDue   bool
	}{
		{name: "not due before the rounded midnight", rules: []Rule{rule("r", abort(7))},
			key: "k", initiated: "2024-01-01T10:00:00Z", now: "2024-01-08T23:59:59Z"},
		{name: "due at the rounded midnight", rules: []Rule{rule("r", abort(7))},
			key: "k", initiated: "2024-01-01T10:00:00Z", now: "2024-01-09T00:00:00Z", wantRule: "r", wantDue: true},
		{name: "an upload begun at midnight is due exactly Days later", rules: []Rule{rule("r", abort(1))},
			key: "k", initiated: "2024-01-01T00:00:00Z", now: "2024-01-02T00:00:00Z", wantRule: "r", wantDue: true},
		{name: "prefix matches", rules: []Rule{rule("r", filtered(Filter{Prefix: ptr("up/")}, abort(1)))},
			key: "up/k", initiated: "2024-01-01T10:00:00Z", now: "2024-02-01T00:00:00Z", wantRule: "r", wantDue: true},
		{name: "prefix in And matches", rules: []Rule{rule("r", filtered(Filter{And: &And{Prefix: "up/"}}, abort(1)))},
			key: "up/k", initiated: "2024-01-01T10:00:00Z", now: "2024-02-01T00:00:00Z", wantRule: "r", wantDue: true},
		{name: "legacy top-level prefix", rules: []Rule{{ID: "r", Status: StatusEnabled, Prefix: ptr("up/"), AbortIncompleteMultipartUpload: &AbortIncompleteMultipartUpload{DaysAfterInitiation: ptr(1)}}},
			key: "up/k", initiated: "2024-01-01T10:00:00Z", now: "2024-02-01T00:00:00Z", wantRule: "r", wantDue: true},
		{name: "prefix does not match", rules: []Rule{rule("r", filtered(Filter{Prefix: ptr("up/")}, abort(1)))},
			key: "down/k", initiated: "2024-01-01T10:00:00Z", now: "2024-02-01T00:00:00Z"},
		{name: "disabled rule", rules: []Rule{{ID: "r", Status: StatusDisabled, Filter: &Filter{}, AbortIncompleteMultipartUpload: &AbortIncompleteMultipartUpload{DaysAfterInitiation: ptr(1)}}},
			key: "k", initiated: "2024-01-01T10:00:00Z", now: "2024-02-01T00:00:00Z"},
		{name: "rules without the action", rules: []Rule{rule("r", expireDays(1))},
			key: "k", initiated: "2024-01-01T10:00:00Z", now: "2024-02-01T00:00:00Z"},
		{name: "the rule due first names the abort", rules: []Rule{rule("late", abort(20)), rule("early", abort(3))},
			key: "k", initiated: "2024-01-01T10:00:00Z", now: "2024-02-01T00:00:00Z", wantRule: "early", wantDue: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &Configuration{Rules: tt.rules}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("the test's configuration is invalid: %v", err)
			}
			id, ok := AbortDue(cfg, tt.key, at(tt.initiated), at(tt.now))
			if id != tt.wantRule || ok != tt.wantDue {
				t.Errorf("AbortDue = %q, %v; want %q, %v", id, ok, tt.wantRule, tt.wantDue)
			}
		})
	}
	if id, ok := AbortDue(nil, "k", at("2024-01-01T10:00:00Z"), at("2025-01-01T00:00:00Z")); ok || id != "" {
		t.Errorf("AbortDue(nil) = %q, %v; want none", id, ok)
	}
}

func TestTransitionMinimumSize(t *testing.T) {
	tests := []struct {
		value       string
		wantErr     error
		wantDefault string
	}{
		{value: "", wantDefault: MinimumSizeAll128K},
		{value: MinimumSizeAll128K, wantDefault: MinimumSizeAll128K},
		{value: MinimumSizeVariesByClass, wantDefault: MinimumSizeVariesByClass},
		{value: "all_storage_classes_128k", wantErr: ErrInvalidRequest},
		{value: "bogus", wantErr: ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			cfg := Configuration{Rules: []Rule{rule("r", expireDays(1))}, TransitionMinimumSize: tt.value}
			err := cfg.Validate()
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("Validate = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if want := "Invalid TransitionDefaultMinimumObjectSize found: " + tt.value; !errorsEndWith(err, want) {
					t.Errorf("Validate = %q, want the message %q", err, want)
				}
				return
			}
			if got := cfg.TransitionDefault(); got != tt.wantDefault {
				t.Errorf("TransitionDefault = %q, want %q", got, tt.wantDefault)
			}
		})
	}
}

func errorsEndWith(err error, msg string) bool {
	s := err.Error()
	return len(s) >= len(msg) && s[len(s)-len(msg):] == msg
}

// benchConfig is a busy configuration none of whose actions is due for
// benchObject.
func benchConfig() *Configuration {
	return &Configuration{Rules: []Rule{
		rule("logs", filtered(Filter{Prefix: ptr("logs/")}, both(transitionDays(30, "STANDARD_IA"), expireDays(365)))),
		rule("tmp", filtered(Filter{Prefix: ptr("tmp/")}, expireDays(1))),
		rule("tagged", filtered(Filter{Tag: &Tag{"class", "archive"}}, transitionDays(0, "DEEP_ARCHIVE"))),
		rule("big", filtered(Filter{And: &And{Prefix: "data/", Tags: []Tag{{"tier", "cold"}}, ObjectSizeGreaterThan: ptr[int64](1 << 30)}}, transitionDays(0, "GLACIER"))),
		rule("versions", both(noncurrentTransition(30, ptr(3), "GLACIER"), noncurrentExpire(90, ptr(5)))),
		rule("data", filtered(Filter{Prefix: ptr("data/")}, both(transitionDays(90, "GLACIER_IR"), transitionDays(180, "DEEP_ARCHIVE")))),
		rule("markers", func(r *Rule) { r.Expiration = &ExpirationAction{ExpiredObjectDeleteMarker: ptr(true)} }),
		rule("uploads", func(r *Rule) {
			r.AbortIncompleteMultipartUpload = &AbortIncompleteMultipartUpload{DaysAfterInitiation: ptr(7)}
		}),
	}}
}

var benchObject = Object{
	Key: "data/2024/05/part-0001.parquet", Tags: map[string]string{"tier": "hot", "team": "analytics"},
	Size: 64 << 20, LastModified: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), IsLatest: true, OnlyVersion: true,
}

var benchNow = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

func TestEvaluateDoesNotAllocate(t *testing.T) {
	cfg := benchConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := Evaluate(cfg, benchObject, benchNow); got != (Action{}) {
		t.Fatalf("Evaluate = %+v, want none due", got)
	}
	due := with(benchObject, func(o *Object) { o.LastModified = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC) })
	for name, o := range map[string]Object{"none due": benchObject, "transition due": due} {
		if n := testing.AllocsPerRun(100, func() { Evaluate(cfg, o, benchNow) }); n != 0 {
			t.Errorf("%s: Evaluate allocates %v times a call, want 0", name, n)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	cfg := benchConfig()
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(cfg, benchObject, benchNow)
	}
}
