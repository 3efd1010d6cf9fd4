package lifecycle_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/blob"
	"github.com/coffer-project/coffer/internal/lifecycle"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/object"
)

// These tests run the scanner in process over a real SQLite store, real
// blob directories (a default one and GLACIER and DEEP_ARCHIVE tiers) and
// package object's engine, with an injected clock.

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond) // distinct times for successive writes
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// start is a Friday afternoon; objects written then are due by Days rules
// at midnight UTC.
var start = time.Date(2026, 3, 13, 15, 9, 26, 0, time.UTC)

type scanEnv struct {
	t       *testing.T
	ctx     context.Context
	dir     string
	meta    meta.Store
	svc     *object.Service
	scanner *lifecycle.Scanner
	clock   *clock
}

func newScanEnv(t *testing.T) *scanEnv {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	m, err := meta.OpenSQLite(ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	fsAt := func(name string) blob.Store {
		s, err := blob.NewFS(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	blobs, err := blob.NewTiered(fsAt("blobs"), map[string]blob.Store{"GLACIER": fsAt("glacier"), "DEEP_ARCHIVE": fsAt("deep")})
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{now: start}
	svc := &object.Service{Meta: m, Blobs: blobs, Now: c.Now, InlineMax: 1024,
		RestoreDurations: object.RestoreDurations{object.TierStandard: time.Hour}}
	sc := &lifecycle.Scanner{Store: m, Actions: svc, Now: c.Now, PageSize: 2}
	return &scanEnv{t: t, ctx: ctx, dir: dir, meta: m, svc: svc, scanner: sc, clock: c}
}

func (e *scanEnv) bucket(name, versioning, rules string) {
	e.t.Helper()
	if err := e.svc.CreateBucket(e.ctx, "owner", name, ""); err != nil {
		e.t.Fatal(err)
	}
	if versioning != "" {
		if err := e.svc.PutBucketVersioning(e.ctx, name, versioning); err != nil {
			e.t.Fatal(err)
		}
	}
	cfg, err := lifecycle.Decode(rules)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.svc.PutBucketLifecycle(e.ctx, name, *cfg); err != nil {
		e.t.Fatal(err)
	}
}

func (e *scanEnv) put(bucket, key string, data []byte, tags ...meta.Tag) meta.Version {
	e.t.Helper()
	v, err := e.svc.PutObject(e.ctx, object.PutInput{Bucket: bucket, Key: key, Owner: "owner",
		Body: bytes.NewReader(data), Size: int64(len(data)), Tags: tags})
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

func (e *scanEnv) scan() {
	e.t.Helper()
	if err := e.scanner.ScanOnce(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.CollectGarbage(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// versions lists every version of key, newest first ("M" for a marker).
func (e *scanEnv) versions(bucket, key string) []meta.Version {
	e.t.Helper()
	vs, err := e.meta.ScanVersions(e.ctx, bucket, meta.ScanCursor{}, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []meta.Version
	for _, v := range vs {
		if v.Key == key {
			out = append(out, v)
		}
	}
	return out
}

func (e *scanEnv) read(bucket, key string) ([]byte, error) {
	r, err := e.svc.GetObject(e.ctx, object.GetInput{Bucket: bucket, Key: key})
	if err != nil {
		return nil, err
	}
	defer r.Body.Close()
	return io.ReadAll(r.Body)
}

// blobFiles counts blob files under a blob directory.
func (e *scanEnv) blobFiles(name string) int {
	e.t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(e.dir, name), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(filepath.Dir(p)) != "tmp" {
			n++
		}
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func big(n int, fill byte) []byte { return bytes.Repeat([]byte{fill}, n) }

func TestScannerTransitionMovesBlobsBetweenTiers(t *testing.T) {
	e := newScanEnv(t)
	e.bucket("media", "", `{"rules":[{"id":"cold","status":"Enabled","filter":{"prefix":"logs/"},
		"transitions":[{"days":0,"storageClass":"GLACIER"}]}]}`)
	data := big(200<<10, 'a')
	e.put("media", "logs/a", data)
	e.put("media", "other/b", big(200<<10, 'b'))
	e.put("media", "logs/small", []byte("under 128 KiB: stays"))
	if got := e.blobFiles("blobs"); got != 2 {
		t.Fatalf("default tier holds %d blobs before the scan, want 2", got)
	}

	e.clock.Set(start.Add(9 * time.Hour)) // past midnight: Days 0 is due
	e.scan()
	v := e.versions("media", "logs/a")[0]
	if v.StorageClass != "GLACIER" {
		t.Fatalf("logs/a is %s after the scan, want GLACIER", v.StorageClass)
	}
	if got, want := e.blobFiles("glacier"), 1; got != want {
		t.Errorf("GLACIER tier holds %d blobs, want %d", got, want)
	}
	if got, want := e.blobFiles("blobs"), 1; got != want {
		t.Errorf("default tier holds %d blobs after the move, want %d (other/b only)", got, want)
	}
	if c := e.versions("media", "other/b")[0].StorageClass; c != "STANDARD" {
		t.Errorf("other/b (not matched) is %s", c)
	}
	if c := e.versions("media", "logs/small")[0].StorageClass; c != "STANDARD" {
		t.Errorf("logs/small (below the 128 KiB minimum) is %s", c)
	}
	if _, err := e.read("media", "logs/a"); !errors.Is(err, object.ErrInvalidObjectState) {
		t.Errorf("GET of the archived object: %v, want InvalidObjectState", err)
	}

	// Idempotent: a second run finds nothing due.
	moved := e.scanner.Stats().Transitions.Load()
	e.scan()
	if got := e.scanner.Stats().Transitions.Load(); got != moved || moved != 1 {
		t.Errorf("transitions after two runs = %d (after one: %d), want 1", got, moved)
	}

	// Restore reads the bytes back from the GLACIER tier; the restore is
	// forgotten once it expires.
	if _, err := e.svc.RestoreObject(e.ctx, object.RestoreInput{Bucket: "media", Key: "logs/a", Days: 1}); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(start.Add(10*time.Hour + time.Minute))
	got, err := e.read("media", "logs/a")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("restored object: %d bytes, %v; want the %d bytes written", len(got), err, len(data))
	}
	e.clock.Set(start.Add(4 * 24 * time.Hour))
	e.scan()
	if r := e.versions("media", "logs/a")[0].Restore; r != nil {
		t.Errorf("expired restore still recorded: %+v", r)
	}
	if n := e.scanner.Stats().ExpiredRestores.Load(); n != 1 {
		t.Errorf("expired restores = %d, want 1", n)
	}
	if _, err := e.read("media", "logs/a"); !errors.Is(err, object.ErrInvalidObjectState) {
		t.Errorf("GET after the restore expired: %v, want InvalidObjectState", err)
	}
}

func TestScannerTransitionToColderTier(t *testing.T) {
	e := newScanEnv(t)
	e.bucket("media", "", `{"rules":[{"id":"down","status":"Enabled","filter":{},
		"transitions":[{"days":30,"storageClass":"STANDARD_IA"},{"days":60,"storageClass":"GLACIER"},{"days":180,"storageClass":"DEEP_ARCHIVE"}]}]}`)
	data := big(300<<10, 'x')
	e.put("media", "k", data)
	for _, step := range []struct {
		days         int
		class        string
		def, glacier int
	}{
		{29, "STANDARD", 1, 0},
		{31, "STANDARD_IA", 1, 0}, // no tier of its own: the blob stays
		{61, "GLACIER", 0, 1},
		{181, "DEEP_ARCHIVE", 0, 0},
	} {
		e.clock.Set(start.AddDate(0, 0, step.days))
		e.scan()
		if c := e.versions("media", "k")[0].StorageClass; c != step.class {
			t.Fatalf("day %d: class %s, want %s", step.days, c, step.class)
		}
		if d, g := e.blobFiles("blobs"), e.blobFiles("glacier"); d != step.def || g != step.glacier {
			t.Errorf("day %d: %d blobs in the default tier and %d in GLACIER, want %d and %d", step.days, d, g, step.def, step.glacier)
		}
	}
	if n := e.blobFiles("deep"); n != 1 {
		t.Errorf("DEEP_ARCHIVE tier holds %d blobs, want 1", n)
	}
	if _, err := e.svc.RestoreObject(e.ctx, object.RestoreInput{Bucket: "media", Key: "k", Days: 1, Tier: object.TierBulk}); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(start.AddDate(0, 0, 184))
	if got, err := e.read("media", "k"); err != nil || !bytes.Equal(got, data) {
		t.Errorf("restored from DEEP_ARCHIVE: %d bytes, %v", len(got), err)
	}
}

func TestScannerExpirationUnversioned(t *testing.T) {
	e := newScanEnv(t)
	e.bucket("logs", "", `{"rules":[{"id":"1d","status":"Enabled","filter":{"prefix":"tmp/"},"expiration":{"days":1}}]}`)
	e.put("logs", "tmp/a", big(2000, 'a'))
	e.put("logs", "keep/b", []byte("b"))

	// Written 15:09 on the 13th, Days 1: due at midnight starting the 15th.
	e.clock.Set(time.Date(2026, 3, 14, 23, 59, 59, 0, time.UTC))
	e.scan()
	if len(e.versions("logs", "tmp/a")) != 1 {
		t.Fatal("tmp/a expired before its date")
	}
	e.clock.Set(time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC))
	e.scan()
	if vs := e.versions("logs", "tmp/a"); len(vs) != 0 {
		t.Errorf("tmp/a left %d versions, want none (unversioned: deleted)", len(vs))
	}
	if len(e.versions("logs", "keep/b")) != 1 {
		t.Error("keep/b (not matched) was expired")
	}
	if n := e.blobFiles("blobs"); n != 0 {
		t.Errorf("%d blobs left after the expiration, want 0", n)
	}
}

func TestScannerExpirationVersioned(t *testing.T) {
	e := newScanEnv(t)
	e.bucket("vb", meta.VersioningEnabled, `{"rules":[
		{"id":"expire","status":"Enabled","filter":{},"expiration":{"days":1},"noncurrentExpiration":{"noncurrentDays":2}},
		{"id":"markers","status":"Enabled","filter":{},"expiration":{"expiredObjectDeleteMarker":true}}]}`)
	e.put("vb", "k", []byte("v1"))

	e.clock.Set(time.Date(2026, 3, 15, 0, 0, 1, 0, time.UTC))
	e.scan()
	vs := e.versions("vb", "k")
	if len(vs) != 2 || !vs[0].DeleteMarker || vs[1].DeleteMarker {
		t.Fatalf("after expiration: %d versions (latest marker %v), want a delete marker over the version", len(vs), len(vs) > 0 && vs[0].DeleteMarker)
	}
	// Noncurrent since 00:00:01 on the 15th, NoncurrentDays 2: due at
	// midnight starting the 18th; the marker is then the only version and
	// is removed by a later run.
	e.clock.Set(time.Date(2026, 3, 17, 23, 0, 0, 0, time.UTC))
	e.scan()
	if len(e.versions("vb", "k")) != 2 {
		t.Fatal("the noncurrent version expired early")
	}
	e.clock.Set(time.Date(2026, 3, 18, 0, 0, 0, 0, time.UTC))
	e.scan()
	vs = e.versions("vb", "k")
	if len(vs) > 1 || (len(vs) == 1 && !vs[0].DeleteMarker) {
		t.Fatalf("after noncurrent expiration: %d versions", len(vs))
	}
	e.scan()
	if vs := e.versions("vb", "k"); len(vs) != 0 {
		t.Errorf("the expired object delete marker is still there (%d versions)", len(vs))
	}
}

// A key with more versions than a page: NewerNoncurrentVersions keeps the
// newest noncurrent versions whatever page they come in.
func TestScannerNewerNoncurrentAcrossPages(t *testing.T) {
	e := newScanEnv(t)
	e.bucket("vb", meta.VersioningEnabled, `{"rules":[{"id":"keep2","status":"Enabled","filter":{},
		"noncurrentExpiration":{"noncurrentDays":1,"newerNoncurrentVersions":2}}]}`)
	var written []string
	for i := range 6 {
		written = append(written, e.put("vb", "k", []byte{byte('0' + i)}).VersionID)
		e.put("vb", "other", []byte{byte('0' + i)})
	}
	e.clock.Set(start.AddDate(0, 0, 3))
	e.scan()
	for _, key := range []string{"k", "other"} {
		vs := e.versions("vb", key)
		if len(vs) != 3 {
			t.Fatalf("%s keeps %d versions, want 3 (current + 2 newest noncurrent)", key, len(vs))
		}
	}
	vs := e.versions("vb", "k")
	for i, want := range []string{written[5], written[4], written[3]} {
		if vs[i].VersionID != want {
			t.Errorf("version %d of k is %s, want %s", i, vs[i].VersionID, want)
		}
	}
}

func TestScannerAbortsIncompleteUploads(t *testing.T) {
	e := newScanEnv(t)
	e.bucket("up", "", `{"rules":[{"id":"abort","status":"Enabled","filter":{"prefix":"big/"},
		"abortMultipart":{"daysAfterInitiation":2}}]}`)
	stale, err := e.svc.CreateMultipartUpload(e.ctx, object.CreateUploadInput{Bucket: "up", Key: "big/x", Owner: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UploadPart(e.ctx, object.UploadPartInput{Bucket: "up", Key: "big/x", UploadID: stale.UploadID,
		PartNumber: 1, Body: bytes.NewReader(big(4096, 'p')), Size: 4096}); err != nil {
		t.Fatal(err)
	}
	other, err := e.svc.CreateMultipartUpload(e.ctx, object.CreateUploadInput{Bucket: "up", Key: "small/y", Owner: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Set(time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC))
	e.scan()
	if _, err := e.meta.GetUpload(e.ctx, "up", "big/x", stale.UploadID); !errors.Is(err, meta.ErrNoSuchUpload) {
		t.Errorf("the stale upload: %v, want it aborted", err)
	}
	if _, err := e.meta.GetUpload(e.ctx, "up", "small/y", other.UploadID); err != nil {
		t.Errorf("the upload outside the prefix: %v", err)
	}
	if n := e.blobFiles("blobs"); n != 0 {
		t.Errorf("%d part blobs left after the abort", n)
	}
}

// Actions name the version they act on: a version that changed since the
// scan read it is left alone.
func TestLifecycleActionsSkipChangedVersions(t *testing.T) {
	e := newScanEnv(t)
	e.bucket("b", "", `{"rules":[{"id":"r","status":"Enabled","filter":{},"expiration":{"days":1}}]}`)
	old := e.put("b", "k", big(200<<10, '1'))
	cur := e.put("b", "k", big(200<<10, '2'))
	if done, err := e.svc.LifecycleTransition(e.ctx, "b", "k", cur.VersionID, old.Seq, "GLACIER"); done || err != nil {
		t.Errorf("transition of a replaced version: %v, %v; want nothing done", done, err)
	}
	if done, err := e.svc.LifecycleExpire(e.ctx, "b", "k", old.Seq); done || err != nil {
		t.Errorf("expiration of a replaced version: %v, %v; want nothing done", done, err)
	}
	if done, err := e.svc.LifecycleTransition(e.ctx, "b", "k", cur.VersionID, cur.Seq, "GLACIER"); !done || err != nil {
		t.Errorf("transition of the current version: %v, %v", done, err)
	}
	if done, err := e.svc.LifecycleTransition(e.ctx, "b", "k", cur.VersionID, cur.Seq, "GLACIER"); done || err != nil {
		t.Errorf("transition repeated: %v, %v; want nothing done", done, err)
	}
	if _, err := e.svc.CollectGarbage(e.ctx); err != nil {
		t.Fatal(err)
	}
	if d, g := e.blobFiles("blobs"), e.blobFiles("glacier"); d != 0 || g != 1 {
		t.Errorf("%d blobs in the default tier, %d in GLACIER; want 0 and 1", d, g)
	}
}

// A bucket with MFA Delete enabled keeps its noncurrent versions: the
// scanner has no MFA code and must not be a way around it.
func TestScannerLeavesMFADeleteBuckets(t *testing.T) {
	e := newScanEnv(t)
	e.bucket("mfa", meta.VersioningEnabled, `{"rules":[{"id":"nc","status":"Enabled","filter":{},
		"noncurrentExpiration":{"noncurrentDays":1}}]}`)
	if err := e.meta.UpdateBucket(e.ctx, "mfa", func(b *meta.Bucket) error { b.MFADelete = "Enabled"; return nil }); err != nil {
		t.Fatal(err)
	}
	e.put("mfa", "k", []byte("v1"))
	e.put("mfa", "k", []byte("v2"))
	e.clock.Set(start.AddDate(0, 0, 5))
	e.scan()
	if n := len(e.versions("mfa", "k")); n != 2 {
		t.Errorf("%d versions left, want both (MFA Delete)", n)
	}
	if n := e.scanner.Stats().SkippedMFADelete.Load(); n != 1 {
		t.Errorf("SkippedMFADelete = %d, want 1", n)
	}
}
