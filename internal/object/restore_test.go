package object

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// TestRestoreObject follows an archived object through a restore with an
// injected clock: unreadable (GET and copy source) until restored, HEAD's
// x-amz-restore ongoing then done with its expiry at midnight UTC, a
// second restore while one runs refused, a repeat after completion
// extending the expiry, unreadable again once expired; GLACIER_IR and
// STANDARD objects are readable and refuse restores.
func TestRestoreObject(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "")
	e.svc.RestoreDurations = RestoreDurations{TierStandard: 3 * time.Hour}
	put := func(key, class string) {
		t.Helper()
		if _, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: key, Owner: owner, Body: strings.NewReader("data " + key), Size: int64(len("data " + key)), StorageClass: class}); err != nil {
			t.Fatal(err)
		}
	}
	read := func(key string) error {
		r, err := e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: key})
		if err != nil {
			return err
		}
		defer r.Body.Close()
		got, err := io.ReadAll(r.Body)
		if err == nil && string(got) != "data "+key {
			t.Errorf("GET %s = %q", key, got)
		}
		return err
	}
	head := func(key string) string {
		t.Helper()
		r, err := e.svc.HeadObject(e.ctx, GetInput{Bucket: "b", Key: key})
		if err != nil {
			t.Fatal(err)
		}
		return RestoreHeader(&r.Version, e.clock.Now())
	}
	restore := func(key string, days int, tier string) (bool, error) {
		return e.svc.RestoreObject(e.ctx, RestoreInput{Bucket: "b", Key: key, Days: days, Tier: tier})
	}

	put("cold", "GLACIER")
	put("deep", "DEEP_ARCHIVE")
	put("instant", "GLACIER_IR")
	put("hot", "")
	start := time.Date(2026, 5, 10, 22, 0, 0, 0, time.UTC)
	e.clock.Set(start)

	wantErr(t, read("cold"), ErrInvalidObjectState)
	if _, _, err := e.svc.CopyObject(e.ctx, CopyInput{SrcBucket: "b", SrcKey: "cold", Dst: PutInput{Bucket: "b", Key: "copy", Owner: owner}}); !errors.Is(err, ErrInvalidObjectState) {
		t.Errorf("copy of an unrestored archived object: %v, want ErrInvalidObjectState", err)
	}
	for _, k := range []string{"instant", "hot"} {
		if err := read(k); err != nil {
			t.Errorf("GET %s: %v", k, err)
		}
		_, err := restore(k, 1, "")
		wantErr(t, err, ErrInvalidObjectState)
	}
	if h := head("cold"); h != "" {
		t.Errorf("x-amz-restore before any restore = %q", h)
	}
	_, err := restore("cold", 0, "")
	wantErr(t, err, ErrInvalidArgument)
	_, err = restore("deep", 1, TierExpedited)
	wantErr(t, err, ErrInvalidArgument)

	if started, err := restore("cold", 2, ""); err != nil || !started {
		t.Fatalf("restore: %v, %v", started, err)
	}
	if h := head("cold"); h != `ongoing-request="true"` {
		t.Errorf("x-amz-restore while running = %q", h)
	}
	_, err = restore("cold", 2, "")
	wantErr(t, err, ErrRestoreAlreadyInProgress)
	wantErr(t, read("cold"), ErrInvalidObjectState)

	// Ready at 01:00 on the 11th; two days later, rounded to the next
	// midnight UTC: the 14th.
	e.clock.Set(start.Add(3*time.Hour + time.Minute))
	if h := head("cold"); h != `ongoing-request="false", expiry-date="Thu, 14 May 2026 00:00:00 GMT"` {
		t.Errorf("x-amz-restore once done = %q", h)
	}
	if err := read("cold"); err != nil {
		t.Fatalf("GET of the restored object: %v", err)
	}
	if _, _, err := e.svc.CopyObject(e.ctx, CopyInput{SrcBucket: "b", SrcKey: "cold", Dst: PutInput{Bucket: "b", Key: "copy", Owner: owner}}); err != nil {
		t.Errorf("copy of the restored object: %v", err)
	}
	// Asked again once restored: the expiry moves, counted from now.
	if started, err := restore("cold", 5, ""); err != nil || started {
		t.Fatalf("restore of a restored object: started %v, %v; want an extension", started, err)
	}
	if h := head("cold"); !strings.Contains(h, `expiry-date="Sun, 17 May 2026 00:00:00 GMT"`) {
		t.Errorf("x-amz-restore after the extension = %q", h)
	}
	e.clock.Set(time.Date(2026, 5, 17, 0, 0, 1, 0, time.UTC))
	wantErr(t, read("cold"), ErrInvalidObjectState)
	if h := head("cold"); h != "" {
		t.Errorf("x-amz-restore after expiry = %q", h)
	}
	// A new restore may start after expiry.
	if started, err := restore("cold", 1, TierExpedited); err != nil || !started {
		t.Fatalf("restore after expiry: %v, %v", started, err)
	}
	v, err := e.svc.GetVersion(e.ctx, "b", "cold", "")
	if err != nil || v.Restore == nil || v.Restore.Tier != TierExpedited || v.Restore.Ready.Sub(v.Restore.Requested) != 5*time.Minute {
		t.Errorf("stored restore = %+v, %v; want an Expedited restore of 5 minutes (the default)", v.Restore, err)
	}
}
