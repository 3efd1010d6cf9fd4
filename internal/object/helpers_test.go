package object

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/blob"
	"github.com/coffer-project/coffer/internal/meta"
)

// testClock is a settable clock; every reading advances it by a
// millisecond so that successive writes get distinct times.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond)
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

var epoch = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// env is a Service over a real SQLite metadata store and a real filesystem
// blob store (behind blob.Faulty, for fault injection).
type env struct {
	t      testing.TB
	ctx    context.Context
	svc    *Service
	meta   meta.Store
	fs     *blob.FS
	faulty *blob.Faulty
	clock  *testClock
}

// blobsOnly is a Service.InlineMax that stores every body in a blob.
const blobsOnly = -1

// newEnv returns an env whose Service has the default InlineMax: small
// bodies are kept inline in the metadata store.
func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, 0)
}

// newEnvWith returns an env whose Service has the given InlineMax.
func newEnvWith(t testing.TB, inlineMax int64) *env {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	m, err := meta.OpenSQLite(ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	fs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	faulty := blob.NewFaulty(fs)
	clock := &testClock{now: epoch}
	return &env{
		t:      t,
		ctx:    ctx,
		meta:   m,
		fs:     fs,
		faulty: faulty,
		clock:  clock,
		svc:    &Service{Meta: m, Blobs: faulty, Now: clock.Now, InlineMax: inlineMax},
	}
}

// eachStorage runs fn once with the default InlineMax, where small bodies
// are stored inline, and once storing every body in a blob.
func eachStorage(t *testing.T, fn func(t *testing.T, inlineMax int64)) {
	for _, m := range []struct {
		name      string
		inlineMax int64
	}{{"inline", 0}, {"blobs", blobsOnly}} {
		t.Run(m.name, func(t *testing.T) { fn(t, m.inlineMax) })
	}
}

const owner = "111122223333"

func (e *env) bucket(name, versioning string) {
	e.t.Helper()
	if err := e.svc.CreateBucket(e.ctx, owner, name, ""); err != nil {
		e.t.Fatalf("CreateBucket(%s): %v", name, err)
	}
	if versioning != "" {
		if err := e.svc.PutBucketVersioning(e.ctx, name, versioning); err != nil {
			e.t.Fatalf("PutBucketVersioning(%s, %s): %v", name, versioning, err)
		}
	}
}

func (e *env) put(bucket, key, data string) meta.Version {
	e.t.Helper()
	v, err := e.svc.PutObject(e.ctx, PutInput{Bucket: bucket, Key: key, Owner: owner, Body: strings.NewReader(data), Size: int64(len(data))})
	if err != nil {
		e.t.Fatalf("PutObject(%s/%s): %v", bucket, key, err)
	}
	return v
}

// read returns the body of a GetObject, or fails.
func (e *env) read(in GetInput) (string, *ObjectReader) {
	e.t.Helper()
	r, err := e.svc.GetObject(e.ctx, in)
	if err != nil {
		e.t.Fatalf("GetObject(%+v): %v", in, err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		e.t.Fatalf("GetObject(%+v): read body: %v", in, err)
	}
	if int64(len(b)) != r.Length {
		e.t.Fatalf("GetObject(%+v): body has %d bytes, Length says %d", in, len(b), r.Length)
	}
	return string(b), r
}

func (e *env) get(bucket, key, versionID string) string {
	e.t.Helper()
	s, _ := e.read(GetInput{Bucket: bucket, Key: key, VersionID: versionID})
	return s
}

// blobs lists the blob IDs in the store, sorted.
func (e *env) blobs() []string {
	e.t.Helper()
	var ids []string
	if err := e.fs.Walk(e.ctx, func(id string) error { ids = append(ids, id); return nil }); err != nil {
		e.t.Fatal(err)
	}
	sort.Strings(ids)
	return ids
}

// gc drains the deletion queue.
func (e *env) gc() {
	e.t.Helper()
	if _, err := e.svc.CollectGarbage(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// referencedBlobs returns the blobs all versions of bucket refer to.
func (e *env) referencedBlobs(buckets ...string) []string {
	e.t.Helper()
	var ids []string
	for _, b := range buckets {
		vs, err := e.meta.ListVersions(e.ctx, b, meta.ListPage{Limit: 100000}, "")
		if err != nil {
			e.t.Fatal(err)
		}
		for _, lv := range vs {
			if lv.DeleteMarker {
				continue
			}
			v, err := e.meta.GetVersion(e.ctx, b, lv.Key, lv.VersionID)
			if err != nil {
				e.t.Fatal(err)
			}
			for _, p := range v.Parts {
				if p.BlobID != "" { // inline data has no blob
					ids = append(ids, p.BlobID)
				}
			}
		}
	}
	sort.Strings(ids)
	return ids
}

// assertNoGarbage runs the collector and checks that the blob store holds
// exactly the blobs committed versions of buckets refer to.
func (e *env) assertNoGarbage(buckets ...string) {
	e.t.Helper()
	e.gc()
	got, want := e.blobs(), e.referencedBlobs(buckets...)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		e.t.Errorf("blob store holds %d blobs %v; versions refer to %d: %v", len(got), got, len(want), want)
	}
}

func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

// failingReader returns data and then err instead of EOF.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// pattern returns n deterministic bytes that differ between seeds.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed) + 1
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	return b
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// multipart uploads parts and completes the upload.
func (e *env) multipart(in CreateUploadInput, parts ...[]byte) meta.Version {
	e.t.Helper()
	u, err := e.svc.CreateMultipartUpload(e.ctx, in)
	if err != nil {
		e.t.Fatalf("CreateMultipartUpload: %v", err)
	}
	var cps []CompletePart
	for i, p := range parts {
		part, err := e.svc.UploadPart(e.ctx, UploadPartInput{Bucket: in.Bucket, Key: in.Key, UploadID: u.UploadID, PartNumber: i + 1, Body: bytes.NewReader(p), Size: int64(len(p))})
		if err != nil {
			e.t.Fatalf("UploadPart %d: %v", i+1, err)
		}
		cps = append(cps, CompletePart{PartNumber: i + 1, ETag: `"` + part.ETag + `"`})
	}
	v, err := e.svc.CompleteMultipartUpload(e.ctx, CompleteInput{Bucket: in.Bucket, Key: in.Key, UploadID: u.UploadID, Parts: cps})
	if err != nil {
		e.t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	return v
}
