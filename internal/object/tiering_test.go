package object

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/lifecycle"
	"github.com/coffer-project/coffer/internal/meta"
)

const day = 24 * time.Hour

// archiveAfter is an enabled configuration for every object that opts into
// Archive Access after days.
func archiveAfter(id string, days int) lifecycle.TieringConfiguration {
	return lifecycle.TieringConfiguration{ID: id, Status: lifecycle.StatusEnabled,
		Tierings: []lifecycle.Tiering{{AccessTier: lifecycle.AccessTierArchive, Days: days}}}
}

// TestIntelligentTieringConfigurations puts, gets, lists and deletes a
// bucket's configurations, with S3's errors.
func TestIntelligentTieringConfigurations(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "")

	_, err := e.svc.GetBucketIntelligentTiering(e.ctx, "b", "a")
	wantErr(t, err, ErrNoSuchConfiguration)
	wantErr(t, e.svc.PutBucketIntelligentTiering(e.ctx, "nope", "a", archiveAfter("a", 90)), ErrNoSuchBucket)

	for _, id := range []string{"b-2", "a.1", "c_3"} {
		if err := e.svc.PutBucketIntelligentTiering(e.ctx, "b", id, archiveAfter(id, 100)); err != nil {
			t.Fatal(err)
		}
	}
	// Putting an ID again replaces that configuration.
	deep := archiveAfter("b-2", 120)
	deep.Tierings = append(deep.Tierings, lifecycle.Tiering{AccessTier: lifecycle.AccessTierDeepArchive, Days: 365})
	deep.Filter = &lifecycle.TieringFilter{Prefix: ptrTo("logs/")}
	if err := e.svc.PutBucketIntelligentTiering(e.ctx, "b", "b-2", deep); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.GetBucketIntelligentTiering(e.ctx, "b", "b-2")
	if err != nil || got.Tierings[0].Days != 120 || len(got.Tierings) != 2 || *got.Filter.Prefix != "logs/" {
		t.Fatalf("Get = %+v, %v; want the replacement", got, err)
	}
	page, err := e.svc.ListBucketIntelligentTiering(e.ctx, "b", "")
	if err != nil || page.NextToken != "" || len(page.Configurations) != 3 {
		t.Fatalf("List = %+v, %v", page, err)
	}
	var ids []string
	for _, c := range page.Configurations {
		ids = append(ids, c.ID)
	}
	if strings.Join(ids, " ") != "a.1 b-2 c_3" {
		t.Errorf("listed IDs = %q, want them in ID order", ids)
	}

	for _, tt := range []struct {
		name string
		id   string
		cfg  lifecycle.TieringConfiguration
		want error
	}{
		{"id differs from Id", "x", archiveAfter("y", 90), ErrInvalidArgument},
		{"invalid id", "a b", archiveAfter("a b", 90), lifecycle.ErrInvalidArgument},
		{"too few days", "x", archiveAfter("x", 30), lifecycle.ErrInvalidArgument},
		{"no status", "x", lifecycle.TieringConfiguration{ID: "x", Tierings: archiveAfter("x", 90).Tierings}, lifecycle.ErrMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, e.svc.PutBucketIntelligentTiering(e.ctx, "b", tt.id, tt.cfg), tt.want)
		})
	}

	wantErr(t, e.svc.DeleteBucketIntelligentTiering(e.ctx, "b", "nope"), ErrNoSuchConfiguration)
	wantErr(t, e.svc.DeleteBucketIntelligentTiering(e.ctx, "nope", "a.1"), ErrNoSuchBucket)
	for _, id := range []string{"a.1", "b-2", "c_3"} {
		if err := e.svc.DeleteBucketIntelligentTiering(e.ctx, "b", id); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := e.meta.GetBucket(e.ctx, "b"); b.IntelligentTiering != "" {
		t.Errorf("after deleting every configuration the bucket stores %q", b.IntelligentTiering)
	}
	_, err = e.svc.GetBucketIntelligentTiering(e.ctx, "b", "a.1")
	wantErr(t, err, ErrNoSuchConfiguration)
}

// TestIntelligentTieringListPagesAndLimit pages through 250
// configurations and refuses the 1,001st.
func TestIntelligentTieringListPagesAndLimit(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "")
	store := func(n int) {
		t.Helper()
		configs := make([]lifecycle.TieringConfiguration, n)
		for i := range configs {
			configs[i] = archiveAfter(fmt.Sprintf("cfg-%04d", i), 90)
		}
		doc, _ := json.Marshal(configs)
		if err := e.meta.UpdateBucket(e.ctx, "b", func(b *meta.Bucket) error { b.IntelligentTiering = string(doc); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	store(250)
	var (
		token string
		pages []int
		last  string
	)
	for {
		page, err := e.svc.ListBucketIntelligentTiering(e.ctx, "b", token)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, len(page.Configurations))
		for _, c := range page.Configurations {
			if c.ID <= last {
				t.Fatalf("%s listed after %s", c.ID, last)
			}
			last = c.ID
		}
		if token = page.NextToken; token == "" {
			break
		}
	}
	if fmt.Sprint(pages) != "[100 100 50]" || last != "cfg-0249" {
		t.Errorf("pages = %v ending at %s, want [100 100 50] ending at cfg-0249", pages, last)
	}
	_, err := e.svc.ListBucketIntelligentTiering(e.ctx, "b", "not base64!")
	wantErr(t, err, ErrInvalidArgument)

	store(lifecycle.MaxTieringConfigurations)
	wantErr(t, e.svc.PutBucketIntelligentTiering(e.ctx, "b", "one-more", archiveAfter("one-more", 90)), ErrTooManyConfigurations)
	// Replacing one of them is no new configuration.
	if err := e.svc.PutBucketIntelligentTiering(e.ctx, "b", "cfg-0001", archiveAfter("cfg-0001", 91)); err != nil {
		t.Errorf("replacing a configuration at the limit: %v", err)
	}
}

func ptrTo[T any](v T) *T { return &v }

// tieringEnv is an env with bucket "b" whose configuration opts every
// object into Archive Access after 90 days and Deep Archive Access after
// 180, and a monitored INTELLIGENT_TIERING object "big" put at epoch.
func tieringEnv(t *testing.T) (*env, string) {
	e := newEnv(t)
	e.bucket("b", "")
	cfg := archiveAfter("all", 90)
	cfg.Tierings = append(cfg.Tierings, lifecycle.Tiering{AccessTier: lifecycle.AccessTierDeepArchive, Days: 180})
	if err := e.svc.PutBucketIntelligentTiering(e.ctx, "b", "all", cfg); err != nil {
		t.Fatal(err)
	}
	data := strings.Repeat("i", lifecycle.MinMonitoredSize)
	e.clock.Set(epoch)
	if _, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "big", Owner: owner, Body: strings.NewReader(data), Size: int64(len(data)), StorageClass: "INTELLIGENT_TIERING"}); err != nil {
		t.Fatal(err)
	}
	return e, data
}

// itState reads key's version and bucket and returns its access tier and the
// headers HEAD would send, at the clock's time.
func (e *env) itState(key string) (tier, restore, archive string) {
	e.t.Helper()
	r, err := e.svc.HeadObject(e.ctx, GetInput{Bucket: "b", Key: key})
	if err != nil {
		e.t.Fatal(err)
	}
	b, err := e.meta.GetBucket(e.ctx, "b")
	if err != nil {
		e.t.Fatal(err)
	}
	now := e.clock.Now()
	restore, archive = ArchiveHeaders(&b, &r.Version, now)
	return AccessTier(&b, &r.Version, now), restore, archive
}

func (e *env) itLastAccess(key string) time.Time {
	e.t.Helper()
	v, err := e.meta.GetVersion(e.ctx, "b", key, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return v.LastAccess
}

func (e *env) itGet(key string) error {
	r, err := e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: key})
	if err != nil {
		return err
	}
	defer r.Body.Close()
	_, err = io.Copy(io.Discard, r.Body)
	return err
}

// TestAccessTierTracking follows an object through the access tiers with
// an injected clock: days without access move it down, HEAD and tagging do
// not count as access, GET and copying do (recorded at most hourly), and
// in an archive tier it cannot be read or copied until restored.
func TestAccessTierTracking(t *testing.T) {
	e, _ := tieringEnv(t)
	small := "small"
	if _, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "small", Owner: owner, Body: strings.NewReader(small), Size: int64(len(small)), StorageClass: "INTELLIGENT_TIERING"}); err != nil {
		t.Fatal(err)
	}
	e.put("b", "standard", "data")

	wantTier := func(key, want string) {
		t.Helper()
		if got, _, _ := e.itState(key); got != want {
			t.Fatalf("%s: access tier = %q, want %q", key, got, want)
		}
	}
	wantTier("big", lifecycle.AccessTierFrequent)
	wantTier("standard", "")

	e.clock.Set(epoch.Add(31 * day))
	wantTier("big", lifecycle.AccessTierInfrequent)
	// Neither HEAD nor tagging is an access.
	if _, err := e.svc.PutObjectTagging(e.ctx, "b", "big", "", []meta.Tag{{Key: "k", Value: "v"}}); err != nil {
		t.Fatal(err)
	}
	wantTier("big", lifecycle.AccessTierInfrequent)
	if !e.itLastAccess("big").IsZero() {
		t.Fatalf("LastAccess after HEAD and tagging = %v, want none", e.itLastAccess("big"))
	}
	// GET is, and moves it back to Frequent Access.
	readAt := epoch.Add(31 * day)
	e.clock.Set(readAt)
	if err := e.itGet("big"); err != nil {
		t.Fatal(err)
	}
	first := e.itLastAccess("big")
	if first.Before(readAt) || first.After(readAt.Add(time.Second)) {
		t.Fatalf("LastAccess after GET = %v, want about %v", first, readAt)
	}
	wantTier("big", lifecycle.AccessTierFrequent)
	// Within the hour a GET writes nothing; after it, it records again.
	e.clock.Set(readAt.Add(30 * time.Minute))
	if err := e.itGet("big"); err != nil {
		t.Fatal(err)
	}
	if got := e.itLastAccess("big"); !got.Equal(first) {
		t.Fatalf("LastAccess after a GET within the hour = %v, want %v unchanged", got, first)
	}
	e.clock.Set(readAt.Add(2 * time.Hour))
	if err := e.itGet("big"); err != nil {
		t.Fatal(err)
	}
	if got := e.itLastAccess("big"); !got.After(readAt.Add(time.Hour)) {
		t.Fatalf("LastAccess after a GET two hours later = %v", got)
	}
	// Copying it is an access of the source.
	readAt = readAt.Add(40 * day)
	e.clock.Set(readAt)
	wantTier("big", lifecycle.AccessTierInfrequent)
	if _, _, err := e.svc.CopyObject(e.ctx, CopyInput{SrcBucket: "b", SrcKey: "big", Dst: PutInput{Bucket: "b", Key: "copy", Owner: owner}}); err != nil {
		t.Fatal(err)
	}
	wantTier("big", lifecycle.AccessTierFrequent)

	// 90 days without access: Archive Access (opted in), unreadable.
	e.clock.Set(readAt.Add(90*day + time.Minute))
	tier, restore, archive := e.itState("big")
	if tier != lifecycle.AccessTierArchive || archive != "ARCHIVE_ACCESS" || restore != "" {
		t.Fatalf("after 90 days: tier %q, x-amz-restore %q, x-amz-archive-status %q", tier, restore, archive)
	}
	wantErr(t, e.itGet("big"), ErrInvalidObjectState)
	_, _, err := e.svc.CopyObject(e.ctx, CopyInput{SrcBucket: "b", SrcKey: "big", Dst: PutInput{Bucket: "b", Key: "copy", Owner: owner}})
	wantErr(t, err, ErrInvalidObjectState)
	// The failed reads were no access.
	if got := e.itLastAccess("big"); got.After(readAt.Add(time.Second)) {
		t.Fatalf("a refused GET recorded an access at %v", got)
	}
	e.clock.Set(readAt.Add(180*day + time.Minute))
	if _, _, archive := e.itState("big"); archive != "DEEP_ARCHIVE_ACCESS" {
		t.Fatalf("after 180 days x-amz-archive-status = %q", archive)
	}

	// Small objects are not monitored; other classes have no access tier
	// and record no access.
	wantTier("small", lifecycle.AccessTierFrequent)
	if err := e.itGet("small"); err != nil {
		t.Fatal(err)
	}
	if err := e.itGet("standard"); err != nil {
		t.Fatal(err)
	}
	if !e.itLastAccess("small").IsZero() || !e.itLastAccess("standard").IsZero() {
		t.Errorf("unmonitored objects recorded an access")
	}
}

// TestAccessTierWithoutConfiguration: with no configuration (or a
// disabled one) an object goes no colder than Archive Instant Access and
// stays readable.
func TestAccessTierWithoutConfiguration(t *testing.T) {
	e, _ := tieringEnv(t)
	if err := e.svc.DeleteBucketIntelligentTiering(e.ctx, "b", "all"); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(epoch.Add(400 * day))
	if tier, _, archive := e.itState("big"); tier != lifecycle.AccessTierArchiveInstant || archive != "" {
		t.Fatalf("tier %q, archive status %q; want ARCHIVE_INSTANT and none", tier, archive)
	}
	if err := e.itGet("big"); err != nil {
		t.Fatal(err)
	}
	disabled := archiveAfter("off", 90)
	disabled.Status = lifecycle.StatusDisabled
	if err := e.svc.PutBucketIntelligentTiering(e.ctx, "b", "off", disabled); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(epoch.Add(600 * day))
	if tier, _, _ := e.itState("big"); tier != lifecycle.AccessTierArchiveInstant {
		t.Fatalf("tier under a disabled configuration = %q", tier)
	}
}

// TestRestoreIntelligentTiering restores an object from Archive Access and
// from Deep Archive Access: no Days allowed, the tier's duration as from
// GLACIER and DEEP_ARCHIVE, headers while it runs, and afterwards the
// object is in Frequent Access, readable with no archive status, until it
// goes unaccessed long enough to be archived again.
func TestRestoreIntelligentTiering(t *testing.T) {
	e, data := tieringEnv(t)
	e.svc.RestoreDurations = RestoreDurations{TierStandard: 3 * time.Hour}
	restore := func(days int, tier string) (bool, error) {
		return e.svc.RestoreObject(e.ctx, RestoreInput{Bucket: "b", Key: "big", Days: days, Tier: tier})
	}

	// Not archived yet: no restore.
	e.clock.Set(epoch.Add(89 * day))
	_, err := restore(0, "")
	wantErr(t, err, ErrInvalidObjectState)

	start := epoch.Add(100 * day)
	e.clock.Set(start)
	_, err = restore(1, "")
	wantErr(t, err, ErrInvalidArgument) // Days belongs to GLACIER restores
	if started, err := restore(0, ""); err != nil || !started {
		t.Fatalf("restore = %v, %v; want started", started, err)
	}
	if tier, rh, archive := e.itState("big"); tier != lifecycle.AccessTierArchive || rh != `ongoing-request="true"` || archive != "ARCHIVE_ACCESS" {
		t.Fatalf("while restoring: tier %q, x-amz-restore %q, x-amz-archive-status %q", tier, rh, archive)
	}
	_, err = restore(0, "")
	wantErr(t, err, ErrRestoreAlreadyInProgress)
	wantErr(t, e.itGet("big"), ErrInvalidObjectState)

	e.clock.Set(start.Add(3*time.Hour + time.Minute))
	if tier, rh, archive := e.itState("big"); tier != lifecycle.AccessTierFrequent || rh != `ongoing-request="false"` || archive != "" {
		t.Fatalf("once restored: tier %q, x-amz-restore %q, x-amz-archive-status %q", tier, rh, archive)
	}
	r, err := e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: "big"})
	if err != nil {
		t.Fatalf("GET of the restored object: %v", err)
	}
	got, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if string(got) != data {
		t.Fatalf("GET of the restored object returned %d bytes", len(got))
	}
	_, err = restore(0, "")
	wantErr(t, err, ErrInvalidObjectState) // in Frequent Access now
	// The lifecycle scanner forgets a restore once it has expired, which
	// an Intelligent-Tiering restore has when it is done: the object stays
	// in Frequent Access, without x-amz-restore.
	if _, err := e.meta.UpdateVersion(e.ctx, "b", "big", "", func(v *meta.Version) error { v.Restore = nil; return nil }); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(start.Add(30 * day))
	if tier, rh, archive := e.itState("big"); tier != lifecycle.AccessTierFrequent || rh != "" || archive != "" {
		t.Fatalf("restore forgotten: tier %q, x-amz-restore %q, x-amz-archive-status %q", tier, rh, archive)
	}

	// Unread for 180 days after that GET: Deep Archive Access, where
	// Expedited is not offered and Bulk takes DEEP_ARCHIVE's 48 hours.
	deepAt := start.Add(3*time.Hour + 181*day)
	e.clock.Set(deepAt)
	if _, rh, archive := e.itState("big"); archive != "DEEP_ARCHIVE_ACCESS" || rh != "" {
		t.Fatalf("archived again: x-amz-restore %q, x-amz-archive-status %q", rh, archive)
	}
	_, err = restore(0, TierExpedited)
	wantErr(t, err, ErrInvalidArgument)
	if started, err := restore(0, TierBulk); err != nil || !started {
		t.Fatalf("Bulk restore from Deep Archive Access = %v, %v", started, err)
	}
	v, err := e.svc.GetVersion(e.ctx, "b", "big", "")
	if err != nil || v.Restore == nil || v.Restore.Ready.Sub(v.Restore.Requested) != 48*time.Hour || v.Restore.Days != 0 ||
		!v.Restore.Expiry.Equal(v.Restore.Ready) || v.Restore.AccessTier != "DEEP_ARCHIVE_ACCESS" || !v.LastAccess.Equal(v.Restore.Ready) {
		t.Fatalf("stored restore = %+v (LastAccess %v), %v; want 48 hours from Deep Archive Access, no days, done when ready and the last access then", v.Restore, v.LastAccess, err)
	}
	e.clock.Set(deepAt.Add(47 * time.Hour))
	wantErr(t, e.itGet("big"), ErrInvalidObjectState)
	e.clock.Set(deepAt.Add(49 * time.Hour))
	if err := e.itGet("big"); err != nil {
		t.Fatalf("GET after the Deep Archive Access restore: %v", err)
	}
}

// TestGlacierRestoreUnchangedByTiering: a GLACIER version's headers are
// RestoreHeader's, with no archive status, whatever the bucket's
// Intelligent-Tiering configurations.
func TestGlacierRestoreUnchangedByTiering(t *testing.T) {
	e, _ := tieringEnv(t)
	if _, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "cold", Owner: owner, Body: strings.NewReader("x"), Size: 1, StorageClass: "GLACIER"}); err != nil {
		t.Fatal(err)
	}
	if started, err := e.svc.RestoreObject(e.ctx, RestoreInput{Bucket: "b", Key: "cold", Days: 1}); err != nil || !started {
		t.Fatal(started, err)
	}
	_, rh, archive := e.itState("cold")
	if rh != `ongoing-request="true"` || archive != "" {
		t.Fatalf("GLACIER restore: x-amz-restore %q, x-amz-archive-status %q", rh, archive)
	}
	wantErr(t, e.itGet("cold"), ErrInvalidObjectState)
}
