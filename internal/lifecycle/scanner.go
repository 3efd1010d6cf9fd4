package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coffer-project/coffer/internal/meta"
)

// DefaultInterval is how often the scanner runs unless told otherwise
// (`--lifecycle-interval`).
const DefaultInterval = time.Hour

// DefaultPageSize is how many versions (or uploads, or buckets) one store
// read returns: the scanner holds one page at a time, whatever the
// bucket's size.
const DefaultPageSize = 1000

// Actions carry out what the scanner decides. Each names the version it
// acts on by its Seq as scanned and does nothing (false, nil) when the
// version has changed since, which makes a scan safe to repeat. Package
// object implements them.
type Actions interface {
	// LifecycleTransition moves a version to another storage class.
	LifecycleTransition(ctx context.Context, bucket, key, versionID string, seq int64, class string) (bool, error)
	// LifecycleExpire expires the latest version of a key.
	LifecycleExpire(ctx context.Context, bucket, key string, seq int64) (bool, error)
	// LifecycleDeleteVersion removes a version or delete marker for good.
	LifecycleDeleteVersion(ctx context.Context, bucket, key, versionID string, seq int64) (bool, error)
	// LifecycleAbortUpload aborts an incomplete multipart upload.
	LifecycleAbortUpload(ctx context.Context, bucket, key, uploadID string) (bool, error)
	// LifecycleForgetRestore drops an expired restore of an archived
	// version.
	LifecycleForgetRestore(ctx context.Context, bucket, key, versionID string, seq int64) (bool, error)
}

// Store is what the scanner reads: package meta's store.
type Store interface {
	ListBuckets(ctx context.Context, owner string, page meta.ListPage) ([]meta.Bucket, error)
	ScanVersions(ctx context.Context, bucket string, cur meta.ScanCursor, limit int) ([]meta.Version, error)
	ListUploads(ctx context.Context, bucket string, page meta.ListPage, uploadAfter string) ([]meta.Upload, error)
}

// Scanner applies buckets' lifecycle rules: it walks every bucket's
// versions and incomplete uploads one page at a time, asks Evaluate what
// is due for each, and has Actions carry it out. It also drops restores
// of archived objects whose restored copy has expired. A run that is
// interrupted (cancelled, or the process killed) leaves every object in a
// consistent state, and the next run does what is still due.
type Scanner struct {
	Store    Store
	Actions  Actions
	Interval time.Duration    // between runs; 0 is DefaultInterval
	Now      func() time.Time // nil is time.Now
	Log      *slog.Logger
	PageSize int // 0 is DefaultPageSize

	stats Stats
	wake  chan struct{}
	once  sync.Once
}

// Stats count what the scanner has done since the process started; the
// server exports them as metrics.
type Stats struct {
	Runs            atomic.Int64 // completed runs
	Versions        atomic.Int64 // versions evaluated
	Uploads         atomic.Int64 // incomplete uploads evaluated
	Transitions     atomic.Int64
	Expirations     atomic.Int64 // latest versions expired (deleted or hidden by a delete marker)
	DeletedVersions atomic.Int64 // noncurrent versions and expired delete markers removed
	AbortedUploads  atomic.Int64
	ExpiredRestores atomic.Int64
	Errors          atomic.Int64 // actions that failed (retried next run)
	// SkippedMFADelete counts permanent deletions not done because the
	// bucket has MFA Delete enabled.
	SkippedMFADelete atomic.Int64
	LastRunMillis    atomic.Int64 // duration of the last completed run, in milliseconds
	LastRunEnd       atomic.Int64 // Unix time of the last completed run
}

// Stats returns the scanner's counters.
func (s *Scanner) Stats() *Stats { return &s.stats }

func (s *Scanner) pageSize() int {
	if s.PageSize > 0 {
		return s.PageSize
	}
	return DefaultPageSize
}

func (s *Scanner) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Scanner) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Scanner) wakeChan() chan struct{} {
	s.once.Do(func() { s.wake = make(chan struct{}, 1) })
	return s.wake
}

// Nudge asks a running Run loop to scan now.
func (s *Scanner) Nudge() {
	select {
	case s.wakeChan() <- struct{}{}:
	default:
	}
}

// Run scans once at the start and then every Interval (or when nudged)
// until ctx is done.
func (s *Scanner) Run(ctx context.Context) {
	interval := s.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wakeChan():
		}
		if err := s.ScanOnce(ctx); err != nil && ctx.Err() == nil {
			s.log().Error("lifecycle: scan", "err", err)
		}
		t.Reset(interval)
	}
}

// ScanOnce runs one pass over every bucket. A failed action is logged,
// counted and left for the next run; a store error ends the pass.
func (s *Scanner) ScanOnce(ctx context.Context) error {
	start := time.Now()
	after := ""
	for {
		buckets, err := s.Store.ListBuckets(ctx, "", meta.ListPage{After: after, Limit: s.pageSize()})
		if err != nil {
			return fmt.Errorf("lifecycle: list buckets: %w", err)
		}
		for i := range buckets {
			if err := s.scanBucket(ctx, &buckets[i]); err != nil {
				if errors.Is(err, meta.ErrNoSuchBucket) {
					continue // deleted while we scanned
				}
				return err
			}
		}
		if len(buckets) < s.pageSize() {
			break
		}
		after = buckets[len(buckets)-1].Name
	}
	s.stats.Runs.Add(1)
	s.stats.LastRunMillis.Store(time.Since(start).Milliseconds())
	s.stats.LastRunEnd.Store(time.Now().Unix())
	return nil
}

// Decode reads a configuration as package object stores it (JSON).
func Decode(doc string) (*Configuration, error) {
	var cfg Configuration
	if err := json.Unmarshal([]byte(doc), &cfg); err != nil {
		return nil, fmt.Errorf("lifecycle: decode configuration: %w", err)
	}
	return &cfg, nil
}

// scanBucket evaluates every version of b, and its uploads.
func (s *Scanner) scanBucket(ctx context.Context, b *meta.Bucket) error {
	var cfg *Configuration
	if b.Lifecycle != "" {
		var err error
		if cfg, err = Decode(b.Lifecycle); err != nil {
			s.log().Error("lifecycle: bucket skipped", "bucket", b.Name, "err", err)
			cfg = nil
		}
	}
	w := walker{s: s, bucket: b.Name}
	for {
		v, next, err := w.next(ctx)
		if err != nil {
			return err
		}
		if v == nil {
			break
		}
		s.visit(ctx, b, cfg, v, next, &w)
	}
	if cfg != nil {
		return s.scanUploads(ctx, b.Name, cfg)
	}
	return nil
}

// walker streams a bucket's versions in ScanVersions order and keeps what
// evaluating one version needs to know of the versions of its key before
// it.
type walker struct {
	s      *Scanner
	bucket string
	page   []meta.Version
	pos    int
	cur    meta.ScanCursor
	done   bool

	key             string    // key of the last version returned
	newerModified   time.Time // LastModified of the version just newer than the one returned
	newerNoncurrent int       // noncurrent versions of key newer than the one returned, delete markers not counted (as S3's NewerNoncurrentVersions)
	prev            *meta.Version
}

// fill makes sure the page holds a version at pos, reading the next page
// when needed; false at the end of the bucket.
func (w *walker) fill(ctx context.Context) (bool, error) {
	if w.pos < len(w.page) {
		return true, nil
	}
	if w.done {
		return false, nil
	}
	page, err := w.s.Store.ScanVersions(ctx, w.bucket, w.cur, w.s.pageSize())
	if err != nil {
		return false, err
	}
	if len(page) < w.s.pageSize() {
		w.done = true
	}
	if len(page) == 0 {
		return false, nil
	}
	last := page[len(page)-1]
	w.cur = meta.ScanCursor{Key: last.Key, Seq: last.Seq}
	w.page, w.pos = page, 0
	return true, nil
}

// next returns the next version and the one after it (nil at the end).
// The returned pointers are valid until the following call.
func (w *walker) next(ctx context.Context) (v, after *meta.Version, err error) {
	ok, err := w.fill(ctx)
	if err != nil || !ok {
		return nil, nil, err
	}
	cur := w.page[w.pos] // copy: the page may be replaced below
	w.pos++
	if cur.Key != w.key {
		w.key, w.newerModified, w.newerNoncurrent = cur.Key, time.Time{}, 0
	} else if w.prev != nil {
		w.newerModified = w.prev.LastModified
		if !w.prev.IsLatest && !w.prev.DeleteMarker {
			w.newerNoncurrent++
		}
	}
	w.prev = &cur
	ok, err = w.fill(ctx)
	if err != nil {
		return nil, nil, err
	}
	if ok {
		after = &w.page[w.pos]
	}
	return &cur, after, nil
}

// visit evaluates one version and carries out what is due.
func (s *Scanner) visit(ctx context.Context, b *meta.Bucket, cfg *Configuration, v, next *meta.Version, w *walker) {
	bucket := b.Name
	s.stats.Versions.Add(1)
	now := s.now()
	if r := v.Restore; r != nil && !now.Before(r.Expiry) {
		s.act(ctx, &s.stats.ExpiredRestores, "forget expired restore", bucket, v.Key, func() (bool, error) {
			return s.Actions.LifecycleForgetRestore(ctx, bucket, v.Key, v.VersionID, v.Seq)
		})
	}
	if cfg == nil {
		return
	}
	o := Object{
		Key:          v.Key,
		Size:         v.Size,
		LastModified: v.LastModified,
		StorageClass: v.StorageClass,
		IsLatest:     v.IsLatest,
		DeleteMarker: v.DeleteMarker,
		Versioned:    b.Versioning != meta.VersioningUnset,
		OnlyVersion:  v.IsLatest && (next == nil || next.Key != v.Key),
	}
	if !v.IsLatest {
		o.NoncurrentSince = w.newerModified
		o.NewerNoncurrent = w.newerNoncurrent
	}
	if len(v.Tags) > 0 {
		o.Tags = make(map[string]string, len(v.Tags))
		for _, t := range v.Tags {
			o.Tags[t.Key] = t.Value
		}
	}
	a := Evaluate(cfg, o, now)
	switch a.Kind {
	case ActionTransition:
		s.act(ctx, &s.stats.Transitions, "transition to "+a.StorageClass, bucket, v.Key, func() (bool, error) {
			return s.Actions.LifecycleTransition(ctx, bucket, v.Key, v.VersionID, v.Seq, a.StorageClass)
		})
	case ActionExpire:
		s.act(ctx, &s.stats.Expirations, "expire", bucket, v.Key, func() (bool, error) {
			return s.Actions.LifecycleExpire(ctx, bucket, v.Key, v.Seq)
		})
	case ActionDeleteVersion:
		if b.MFADelete == "Enabled" {
			// Deleting a version needs the root user's MFA code there; the
			// scanner has none and must not be a way around it.
			s.stats.SkippedMFADelete.Add(1)
			return
		}
		s.act(ctx, &s.stats.DeletedVersions, "delete version", bucket, v.Key, func() (bool, error) {
			return s.Actions.LifecycleDeleteVersion(ctx, bucket, v.Key, v.VersionID, v.Seq)
		})
	}
}

// act runs one action, counting it in done when it did something and
// logging (and counting) a failure, which the next run retries.
func (s *Scanner) act(ctx context.Context, done *atomic.Int64, what, bucket, key string, fn func() (bool, error)) {
	ok, err := fn()
	switch {
	case err != nil:
		if ctx.Err() == nil {
			s.stats.Errors.Add(1)
			s.log().Error("lifecycle: action failed", "action", what, "bucket", bucket, "key", key, "err", err)
		}
	case ok:
		done.Add(1)
		s.log().Debug("lifecycle: action", "action", what, "bucket", bucket, "key", key)
	}
}

// scanUploads aborts the bucket's incomplete uploads that are due.
func (s *Scanner) scanUploads(ctx context.Context, bucket string, cfg *Configuration) error {
	page := meta.ListPage{Limit: s.pageSize()}
	uploadAfter := ""
	for {
		ups, err := s.Store.ListUploads(ctx, bucket, page, uploadAfter)
		if err != nil {
			return fmt.Errorf("lifecycle: list uploads of %s: %w", bucket, err)
		}
		for _, u := range ups {
			s.stats.Uploads.Add(1)
			if _, ok := AbortDue(cfg, u.Key, u.Initiated, s.now()); ok {
				s.act(ctx, &s.stats.AbortedUploads, "abort upload", bucket, u.Key, func() (bool, error) {
					return s.Actions.LifecycleAbortUpload(ctx, bucket, u.Key, u.UploadID)
				})
			}
		}
		if len(ups) < s.pageSize() {
			return nil
		}
		last := ups[len(ups)-1]
		page.After, uploadAfter = last.Key, last.UploadID
	}
}
