package cache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// step is one viewer request in a behaviour scenario.
type step struct {
	advance     time.Duration
	header      []string // viewer request headers
	wantStatus  int
	wantXCache  string // "Hit", "Miss", "RefreshHit"
	wantOrigin  int64  // origin requests so far
	wantBody    string
	wantHeaders map[string]string // "" means absent
}

// TestRFC9111Behaviour drives the cache through RFC 9111 / CloudFront
// scenarios against a real origin, with the clock moved by hand.
func TestRFC9111Behaviour(t *testing.T) {
	min60 := TTLs{Min: 60 * time.Second, Default: 300 * time.Second, Max: time.Hour}
	tests := []struct {
		name  string
		obj   originObject
		ttl   TTLs
		steps []step
	}{
		{
			name: "max-age: hit while fresh, Age grows, 304 refreshes",
			obj:  originObject{body: []byte("v1"), etag: `"e1"`, header: http.Header{"Cache-Control": {"max-age=60"}}},
			ttl:  defaultTTL,
			steps: []step{
				{wantXCache: "Miss", wantOrigin: 1, wantBody: "v1", wantHeaders: map[string]string{"Age": ""}},
				{advance: 30 * time.Second, wantXCache: "Hit", wantOrigin: 1, wantBody: "v1", wantHeaders: map[string]string{"Age": "30"}},
				{advance: 31 * time.Second, wantXCache: "RefreshHit", wantOrigin: 2, wantBody: "v1", wantHeaders: map[string]string{"Age": "0"}},
				{advance: 10 * time.Second, wantXCache: "Hit", wantOrigin: 2, wantBody: "v1", wantHeaders: map[string]string{"Age": "10"}},
			},
		},
		{
			name: "no Cache-Control: Default TTL",
			obj:  originObject{body: []byte("d"), etag: `"d"`},
			ttl:  min60,
			steps: []step{
				{wantXCache: "Miss", wantOrigin: 1},
				{advance: 299 * time.Second, wantXCache: "Hit", wantOrigin: 1},
				{advance: 2 * time.Second, wantXCache: "RefreshHit", wantOrigin: 2},
			},
		},
		{
			name: "max-age above Max TTL is clamped",
			obj:  originObject{body: []byte("m"), etag: `"m"`, header: http.Header{"Cache-Control": {"max-age=86400"}}},
			ttl:  min60,
			steps: []step{
				{wantXCache: "Miss", wantOrigin: 1},
				{advance: 3599 * time.Second, wantXCache: "Hit", wantOrigin: 1},
				{advance: 2 * time.Second, wantXCache: "RefreshHit", wantOrigin: 2},
			},
		},
		{
			name: "s-maxage wins over max-age",
			obj:  originObject{body: []byte("s"), etag: `"s"`, header: http.Header{"Cache-Control": {"max-age=1000, s-maxage=10"}}},
			ttl:  defaultTTL,
			steps: []step{
				{wantXCache: "Miss", wantOrigin: 1},
				{advance: 11 * time.Second, wantXCache: "RefreshHit", wantOrigin: 2},
			},
		},
		{
			name: "no-store is never stored",
			obj:  originObject{body: []byte("n"), etag: `"n"`, header: http.Header{"Cache-Control": {"no-store"}}},
			ttl:  defaultTTL,
			steps: []step{
				{wantXCache: "Miss", wantOrigin: 1, wantBody: "n"},
				{wantXCache: "Miss", wantOrigin: 2, wantBody: "n"},
			},
		},
		{
			name: "private is never stored",
			obj:  originObject{body: []byte("p"), etag: `"p"`, header: http.Header{"Cache-Control": {"private, max-age=600"}}},
			ttl:  defaultTTL,
			steps: []step{
				{wantXCache: "Miss", wantOrigin: 1},
				{wantXCache: "Miss", wantOrigin: 2},
			},
		},
		{
			name: "no-cache is revalidated on every use",
			obj:  originObject{body: []byte("c"), etag: `"c"`, header: http.Header{"Cache-Control": {"no-cache"}}},
			ttl:  defaultTTL,
			steps: []step{
				{wantXCache: "Miss", wantOrigin: 1},
				{wantXCache: "RefreshHit", wantOrigin: 2, wantBody: "c"},
				{wantXCache: "RefreshHit", wantOrigin: 3, wantBody: "c"},
			},
		},
		{
			name: "no-store with Min TTL > 0 is cached for Min TTL",
			obj:  originObject{body: []byte("x"), etag: `"x"`, header: http.Header{"Cache-Control": {"no-store"}}},
			ttl:  min60,
			steps: []step{
				{wantXCache: "Miss", wantOrigin: 1},
				{advance: 59 * time.Second, wantXCache: "Hit", wantOrigin: 1},
				{advance: 2 * time.Second, wantXCache: "RefreshHit", wantOrigin: 2},
			},
		},
		{
			name: "Age from the origin counts against max-age",
			obj:  originObject{body: []byte("a"), etag: `"a"`, header: http.Header{"Cache-Control": {"max-age=150"}, "Age": {"100"}}},
			ttl:  defaultTTL,
			steps: []step{
				{wantXCache: "Miss", wantOrigin: 1},
				{advance: 10 * time.Second, wantXCache: "Hit", wantOrigin: 1, wantHeaders: map[string]string{"Age": "110"}},
				{advance: 41 * time.Second, wantXCache: "RefreshHit", wantOrigin: 2},
			},
		},
		{
			name: "304 merges the new header fields into the stored response",
			obj: originObject{body: []byte("h"), etag: `"h"`,
				header: http.Header{"Cache-Control": {"max-age=10"}, "X-Amz-Meta-Color": {"red"}},
				on304:  http.Header{"Cache-Control": {"max-age=100"}, "X-Amz-Meta-Color": {"blue"}}},
			ttl: defaultTTL,
			steps: []step{
				{wantXCache: "Miss", wantOrigin: 1, wantHeaders: map[string]string{"X-Amz-Meta-Color": "red"}},
				{advance: 11 * time.Second, wantXCache: "RefreshHit", wantOrigin: 2,
					wantHeaders: map[string]string{"X-Amz-Meta-Color": "blue", "Cache-Control": "max-age=100", "Content-Length": "1"}},
				{advance: 50 * time.Second, wantXCache: "Hit", wantOrigin: 2, wantHeaders: map[string]string{"X-Amz-Meta-Color": "blue"}},
			},
		},
		{
			name: "Vary: one stored variant per header value",
			obj: originObject{etag: `"v"`, header: http.Header{"Vary": {"Accept-Language"}, "Cache-Control": {"max-age=60"}},
				byValue: func(r *http.Request) []byte { return []byte("lang=" + r.Header.Get("X-Lang")) }},
			ttl: defaultTTL,
			steps: []step{
				{header: []string{"Accept-Language", "en"}, wantXCache: "Miss", wantOrigin: 1},
				{header: []string{"Accept-Language", "fr"}, wantXCache: "Miss", wantOrigin: 2},
				{header: []string{"Accept-Language", "en"}, wantXCache: "Hit", wantOrigin: 2},
				{header: []string{"Accept-Language", "fr"}, wantXCache: "Hit", wantOrigin: 2},
			},
		},
		{
			name: "Vary: * is never stored",
			obj:  originObject{body: []byte("*"), etag: `"*"`, header: http.Header{"Vary": {"*"}, "Cache-Control": {"max-age=60"}}},
			ttl:  defaultTTL,
			steps: []step{
				{wantXCache: "Miss", wantOrigin: 1},
				{wantXCache: "Miss", wantOrigin: 2},
			},
		},
		{
			name: "404 is cached for the error caching TTL",
			obj:  originObject{status: 404, body: []byte("nope"), header: http.Header{}},
			ttl:  defaultTTL,
			steps: []step{
				{wantStatus: 404, wantXCache: "Miss", wantOrigin: 1, wantBody: "nope"},
				{advance: 9 * time.Second, wantStatus: 404, wantXCache: "Hit", wantOrigin: 1, wantBody: "nope"},
				{advance: 2 * time.Second, wantStatus: 404, wantXCache: "Miss", wantOrigin: 2},
			},
		},
		{
			name: "Set-Cookie is not stored",
			obj:  originObject{body: []byte("k"), etag: `"k"`, header: http.Header{"Cache-Control": {"max-age=60"}, "Set-Cookie": {"session=secret"}}},
			ttl:  defaultTTL,
			steps: []step{
				{wantXCache: "Miss", wantOrigin: 1, wantHeaders: map[string]string{"Set-Cookie": ""}},
				{wantXCache: "Hit", wantOrigin: 1, wantHeaders: map[string]string{"Set-Cookie": ""}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			o := newOrigin(t, clock)
			obj := tt.obj
			o.put("/obj", &obj)
			c := newTestCache(t, clock, Config{})
			for i, s := range tt.steps {
				clock.Advance(s.advance)
				req := o.request("/obj", tt.ttl, s.header...)
				if v := req.Viewer.Header.Get("Accept-Language"); v != "" {
					req.Origin = withHeader(req.Origin, "X-Lang", v)
				}
				got := serve(t, c, req)
				want := s.wantStatus
				if want == 0 {
					want = http.StatusOK
				}
				if got.status != want {
					t.Errorf("step %d: status %d, want %d", i, got.status, want)
				}
				if x := got.header.Get("X-Cache"); x != s.wantXCache+" from coffer-edge" {
					t.Errorf("step %d: X-Cache %q, want %s", i, x, s.wantXCache)
				}
				if n := o.requests.Load(); n != s.wantOrigin {
					t.Errorf("step %d: %d origin requests, want %d", i, n, s.wantOrigin)
				}
				if s.wantBody != "" && string(got.body) != s.wantBody {
					t.Errorf("step %d: body %q, want %q", i, got.body, s.wantBody)
				}
				for k, v := range s.wantHeaders {
					if g := got.header.Get(k); g != v {
						t.Errorf("step %d: %s = %q, want %q", i, k, g, v)
					}
				}
				if v := req.Viewer.Header.Get("Accept-Language"); v != "" && string(got.body) != "lang="+v {
					t.Errorf("step %d: body %q for Accept-Language %s", i, got.body, v)
				}
			}
		})
	}
}

// withHeader makes the origin request carry a header, as the edge server
// forwards the headers a behaviour includes in the cache key.
func withHeader(o Origin, k, v string) Origin {
	return OriginFunc(func(ctx context.Context, h http.Header) (*http.Response, error) {
		h = h.Clone()
		h.Set(k, v)
		return o.Fetch(ctx, h)
	})
}

func TestRevalidationSendsValidators(t *testing.T) {
	clock := newClock()
	o := newOrigin(t, clock)
	o.put("/v", &originObject{body: []byte("v"), etag: `"e"`, header: http.Header{"Cache-Control": {"max-age=1"}, "Last-Modified": {"Sat, 01 Mar 2025 11:00:00 GMT"}}})
	c := newTestCache(t, clock, Config{})
	serve(t, c, o.request("/v", defaultTTL))
	clock.Advance(2 * time.Second)
	got := serve(t, c, o.request("/v", defaultTTL))
	if got.header.Get("X-Cache") != "RefreshHit from coffer-edge" {
		t.Fatalf("X-Cache = %q", got.header.Get("X-Cache"))
	}
	last := o.log[len(o.log)-1]
	if last.Get("If-None-Match") != `"e"` || last.Get("If-Modified-Since") != "Sat, 01 Mar 2025 11:00:00 GMT" {
		t.Errorf("revalidation headers: %v", last)
	}
	if n := c.Stats("E1").NotModified.Load(); n != 1 {
		t.Errorf("NotModified = %d, want 1", n)
	}
}

func TestChangedObjectAfterExpiry(t *testing.T) {
	clock := newClock()
	o := newOrigin(t, clock)
	o.put("/c", &originObject{body: []byte("old"), etag: `"1"`, header: http.Header{"Cache-Control": {"max-age=5"}}})
	c := newTestCache(t, clock, Config{})
	serve(t, c, o.request("/c", defaultTTL))
	o.update("/c", func(ob *originObject) { ob.body, ob.etag = []byte("new"), `"2"` })
	if got := serve(t, c, o.request("/c", defaultTTL)); string(got.body) != "old" {
		t.Fatalf("fresh copy: %q", got.body)
	}
	clock.Advance(6 * time.Second)
	got := serve(t, c, o.request("/c", defaultTTL))
	if string(got.body) != "new" || got.header.Get("X-Cache") != "Miss from coffer-edge" || got.header.Get("ETag") != `"2"` {
		t.Errorf("after expiry: %q %v", got.body, got.header)
	}
}

// TestCoalescing: 100 concurrent viewers of one uncached key cause exactly
// one origin fetch.
func TestCoalescing(t *testing.T) {
	clock := newClock()
	o := newOrigin(t, clock)
	body := pattern(200 << 10)
	o.put("/hot", &originObject{body: body, etag: `"hot"`, header: http.Header{"Cache-Control": {"max-age=60"}}})
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	o.hold = func(*http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-release
	}
	c := newTestCache(t, clock, Config{})
	const n = 100
	var wg sync.WaitGroup
	errs := make(chan error, n)
	started := make(chan struct{}, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started <- struct{}{}
			resp, err := c.Serve(context.Background(), o.request("/hot", defaultTTL))
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if err != nil || !bytes.Equal(got, body) || resp.Status != http.StatusOK {
				errs <- errors.New("wrong response")
			}
		}()
	}
	for i := 0; i < n; i++ {
		<-started
	}
	<-arrived
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := o.requests.Load(); got != 1 {
		t.Errorf("origin requests = %d, want 1", got)
	}
	st := c.Stats("E1")
	if st.OriginFetches.Load() != 1 || st.Hits.Load()+st.Misses.Load() != n {
		t.Errorf("stats: fetches %d hits %d misses %d", st.OriginFetches.Load(), st.Hits.Load(), st.Misses.Load())
	}
}

// TestLargeObjectRange: a Range GET of a 50 MiB object is answered 206
// with the right bytes, and its first bytes reach the viewer while the
// origin is still held back from sending the rest.
func TestLargeObjectRange(t *testing.T) {
	clock := newClock()
	o := newOrigin(t, clock)
	const size = 50 << 20
	body := pattern(size)
	o.put("/movie.mp4", &originObject{body: body, etag: `"mp4"`, header: http.Header{"Content-Type": {"video/mp4"}, "Cache-Control": {"max-age=3600"}}})
	const start, end = 10_000_000, 45_000_000
	gate := make(chan struct{})
	o.hold = func(r *http.Request) {
		rg := r.Header.Get("Range")
		if rg != "bytes=9437184-10485759" { // every slice but the first one needed
			<-gate
		}
	}
	c := newTestCache(t, clock, Config{Dir: t.TempDir(), MemoryBytes: 16 << 20, DiskBytes: 128 << 20})
	req := o.request("/movie.mp4", defaultTTL, "Range", "bytes=10000000-45000000")
	resp, err := c.Serve(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Status != http.StatusPartialContent || resp.Header.Get("Content-Range") != "bytes 10000000-45000000/52428800" ||
		resp.Header.Get("Content-Length") != "35000001" {
		t.Fatalf("status %d, headers %v", resp.Status, resp.Header)
	}
	first := make([]byte, 4096)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, body[start:start+4096]) {
		t.Fatal("first bytes differ")
	}
	if n := o.requests.Load(); n != 1 {
		t.Fatalf("origin requests before the gate opened = %d, want 1 (first slice only)", n)
	}
	close(gate)
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(first, rest...), body[start:end+1]) {
		t.Fatal("range body differs")
	}
	fetched := o.requests.Load()
	if want := int64((end>>20)-(start>>20)) + 1; fetched != want {
		t.Errorf("origin requests = %d, want %d slices", fetched, want)
	}
	// A full GET now streams the whole object, fetching only the slices
	// the range did not cover.
	got := serve(t, c, o.request("/movie.mp4", defaultTTL))
	if got.status != http.StatusOK || !bytes.Equal(got.body, body) || got.header.Get("Content-Length") != "52428800" {
		t.Fatalf("full GET: status %d, %d bytes", got.status, len(got.body))
	}
	if n := o.requests.Load(); n != 50 {
		t.Errorf("origin requests after full GET = %d, want 50 (one per slice)", n)
	}
	u := c.Usage()
	if u.MemoryBytes > 16<<20 || u.DiskBytes > 128<<20 {
		t.Errorf("usage over limits: %+v", u)
	}
	// Everything is cached now (in memory or on disk).
	got = serve(t, c, o.request("/movie.mp4", defaultTTL, "Range", "bytes=-1000"))
	if got.status != http.StatusPartialContent || !bytes.Equal(got.body, body[size-1000:]) || o.requests.Load() != 50 {
		t.Errorf("suffix range from cache: %d, %d bytes, origin %d", got.status, len(got.body), o.requests.Load())
	}
}

func TestViewerRanges(t *testing.T) {
	clock := newClock()
	o := newOrigin(t, clock)
	body := pattern(3000)
	o.put("/r", &originObject{body: body, etag: `"r"`, header: http.Header{"Cache-Control": {"max-age=60"}}})
	c := newTestCache(t, clock, Config{SliceSize: 1024})
	tests := []struct {
		name, rng    string
		ifRange      string
		status       int
		contentRange string
		want         []byte
	}{
		{"first-last", "bytes=100-1999", "", 206, "bytes 100-1999/3000", body[100:2000]},
		{"open end", "bytes=2500-", "", 206, "bytes 2500-2999/3000", body[2500:]},
		{"suffix", "bytes=-10", "", 206, "bytes 2990-2999/3000", body[2990:]},
		{"last beyond end is clamped", "bytes=2990-99999", "", 206, "bytes 2990-2999/3000", body[2990:]},
		{"unsatisfiable", "bytes=5000-", "", 416, "bytes */3000", nil},
		{"several ranges: whole body", "bytes=0-1,5-6", "", 200, "", body},
		{"other unit: whole body", "items=0-1", "", 200, "", body},
		{"If-Range matching", "bytes=0-9", `"r"`, 206, "bytes 0-9/3000", body[:10]},
		{"If-Range not matching: whole body", "bytes=0-9", `"old"`, 200, "", body},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := []string{"Range", tt.rng}
			if tt.ifRange != "" {
				hdr = append(hdr, "If-Range", tt.ifRange)
			}
			got := serve(t, c, o.request("/r", defaultTTL, hdr...))
			if got.status != tt.status || got.header.Get("Content-Range") != tt.contentRange || !bytes.Equal(got.body, tt.want) {
				t.Errorf("status %d, Content-Range %q, %d bytes", got.status, got.header.Get("Content-Range"), len(got.body))
			}
		})
	}
	if n := o.requests.Load(); n > 3 {
		t.Errorf("origin requests = %d, want at most one per slice", n)
	}
}

func TestETagChangeInvalidatesSlices(t *testing.T) {
	clock := newClock()
	o := newOrigin(t, clock)
	v1 := pattern(4096)
	o.put("/big", &originObject{body: v1, etag: `"v1"`, header: http.Header{"Cache-Control": {"max-age=60"}}})
	c := newTestCache(t, clock, Config{SliceSize: 1024})
	got := serve(t, c, o.request("/big", defaultTTL, "Range", "bytes=0-10"))
	if got.status != 206 {
		t.Fatal(got.status)
	}
	v2 := bytes.Repeat([]byte("2"), 4096)
	o.update("/big", func(ob *originObject) { ob.body, ob.etag = v2, `"v2"` })
	resp, err := c.Serve(context.Background(), o.request("/big", defaultTTL))
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, ErrChanged) {
		t.Fatalf("mixing two versions: err = %v, want ErrChanged", err)
	}
	got = serve(t, c, o.request("/big", defaultTTL))
	if !bytes.Equal(got.body, v2) || got.header.Get("ETag") != `"v2"` {
		t.Errorf("after change: ETag %q", got.header.Get("ETag"))
	}
}

func TestStaleIfError(t *testing.T) {
	tests := []struct {
		name       string
		cc         string
		failure    func(o *testOrigin)
		advance    time.Duration
		wantStatus int
		wantStale  bool
		wantErr    bool
	}{
		{"5xx: stale copy served", "max-age=10", set500, 20 * time.Second, 200, true, false},
		{"origin down: stale copy served", "max-age=10", setDown, 20 * time.Second, 200, true, false},
		{"within stale-if-error", "max-age=10, stale-if-error=60", set500, 20 * time.Second, 200, true, false},
		{"beyond stale-if-error: the 5xx", "max-age=10, stale-if-error=5", set500, 20 * time.Second, 500, false, false},
		{"must-revalidate: the 5xx", "max-age=10, must-revalidate", set500, 20 * time.Second, 500, false, false},
		{"must-revalidate, origin down: error", "max-age=10, must-revalidate", setDown, 20 * time.Second, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			o := newOrigin(t, clock)
			o.put("/s", &originObject{body: []byte("good"), etag: `"g"`, header: http.Header{"Cache-Control": {tt.cc}}})
			c := newTestCache(t, clock, Config{})
			serve(t, c, o.request("/s", defaultTTL))
			tt.failure(o)
			clock.Advance(tt.advance)
			resp, err := c.Serve(context.Background(), o.request("/s", defaultTTL))
			if tt.wantErr {
				if !errors.Is(err, ErrOrigin) {
					t.Fatalf("err = %v, want ErrOrigin", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.Status != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.Status, tt.wantStatus)
			}
			if tt.wantStale && (string(b) != "good" || resp.Result != RefreshHit || c.Stats("E1").StaleServed.Load() != 1) {
				t.Errorf("stale: body %q result %v", b, resp.Result)
			}
		})
	}
	t.Run("nothing cached, origin down: ErrOrigin", func(t *testing.T) {
		clock := newClock()
		o := newOrigin(t, clock)
		setDown(o)
		c := newTestCache(t, clock, Config{})
		if _, err := c.Serve(context.Background(), o.request("/none", defaultTTL)); !errors.Is(err, ErrOrigin) {
			t.Errorf("err = %v", err)
		}
	})
}

func set500(o *testOrigin) {
	o.update("/s", func(ob *originObject) { ob.status, ob.body = 500, []byte("boom") })
}

func setDown(o *testOrigin) {
	o.mu.Lock()
	o.down = true
	o.mu.Unlock()
}

func TestEviction(t *testing.T) {
	clock := newClock()
	o := newOrigin(t, clock)
	dir := t.TempDir()
	const slice = 16 << 10
	c := newTestCache(t, clock, Config{Dir: dir, SliceSize: slice, MemoryBytes: 100 << 10, DiskBytes: 200 << 10})
	paths := make([]string, 30)
	for i := range paths {
		paths[i] = "/o" + string(rune('a'+i))
		o.put(paths[i], &originObject{body: pattern(slice), etag: `"` + paths[i] + `"`, header: http.Header{"Cache-Control": {"max-age=3600"}}})
		serve(t, c, o.request(paths[i], defaultTTL))
		u := c.Usage()
		if u.MemoryBytes > 100<<10 || u.DiskBytes > 200<<10 {
			t.Fatalf("after %d objects: usage %+v over limits", i+1, u)
		}
	}
	files := 0
	_ = filepath.Walk(filepath.Join(dir, diskSubdir), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files++
		}
		return nil
	})
	u := c.Usage()
	if files != u.DiskSlices || files*slice > 200<<10 || files == 0 {
		t.Errorf("%d slice files on disk, index says %d", files, u.DiskSlices)
	}
	before := o.requests.Load()
	// The newest objects are in memory; the ones before them were demoted
	// to disk and are still served without the origin.
	for _, p := range paths[len(paths)-8:] {
		if got := serve(t, c, o.request(p, defaultTTL)); got.header.Get("X-Cache") != "Hit from coffer-edge" || len(got.body) != slice {
			t.Errorf("%s: %s", p, got.header.Get("X-Cache"))
		}
	}
	if n := o.requests.Load(); n != before {
		t.Errorf("recent objects fetched again: %d origin requests", n-before)
	}
	// The oldest objects were evicted from both tiers.
	got := serve(t, c, o.request(paths[0], defaultTTL))
	if !bytes.Equal(got.body, pattern(slice)) || o.requests.Load() == before {
		t.Errorf("oldest object: X-Cache %s", got.header.Get("X-Cache"))
	}
}

func TestInvalidate(t *testing.T) {
	clock := newClock()
	o := newOrigin(t, clock)
	for _, p := range []string{"/images/a.jpg", "/images/b.jpg", "/img.png", "/index.html"} {
		o.put(p, &originObject{body: []byte(p), etag: `"1"`, header: http.Header{"Cache-Control": {"max-age=3600"}}})
	}
	tests := []struct {
		name    string
		dist    string
		pattern string
		removed int
		gone    []string
	}{
		{"exact path", "E1", "/images/a.jpg", 1, []string{"/images/a.jpg"}},
		{"exact path does not match query variants", "E1", "/index.html", 1, []string{"/index.html"}},
		{"trailing star matches the query variants", "E1", "/index.html*", 2, []string{"/index.html", "/index.html?v=2"}},
		{"directory wildcard", "E1", "/images/*", 2, []string{"/images/a.jpg", "/images/b.jpg"}},
		{"prefix wildcard", "E1", "/im*", 3, []string{"/images/a.jpg", "/images/b.jpg", "/img.png"}},
		{"everything", "E1", "/*", 5, []string{"/images/a.jpg", "/images/b.jpg", "/img.png", "/index.html", "/index.html?v=2"}},
		{"case-sensitive", "E1", "/IMAGES/*", 0, nil},
		{"other distribution untouched", "E2", "/*", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCache(t, clock, Config{})
			all := []string{"/images/a.jpg", "/images/b.jpg", "/img.png", "/index.html", "/index.html?v=2"}
			for _, p := range all {
				serve(t, c, o.request(p, defaultTTL))
			}
			if n := c.Invalidate(tt.dist, tt.pattern); n != tt.removed {
				t.Errorf("Invalidate removed %d, want %d", n, tt.removed)
			}
			gone := map[string]bool{}
			for _, p := range tt.gone {
				gone[p] = true
			}
			for _, p := range all {
				x := serve(t, c, o.request(p, defaultTTL)).header.Get("X-Cache")
				if want := map[bool]string{true: "Miss", false: "Hit"}[gone[p]] + " from coffer-edge"; x != want {
					t.Errorf("%s: %s, want %s", p, x, want)
				}
			}
		})
	}
}

func TestInvalidateServesNewVersion(t *testing.T) {
	clock := newClock()
	o := newOrigin(t, clock)
	o.put("/key", &originObject{body: []byte("one"), etag: `"1"`, header: http.Header{"Cache-Control": {"max-age=86400"}}})
	c := newTestCache(t, clock, Config{})
	serve(t, c, o.request("/key", defaultTTL))
	o.update("/key", func(ob *originObject) { ob.body, ob.etag = []byte("two"), `"2"` })
	if got := serve(t, c, o.request("/key", defaultTTL)); string(got.body) != "one" {
		t.Fatalf("before invalidation: %q", got.body)
	}
	c.Invalidate("E1", "/key")
	if got := serve(t, c, o.request("/key", defaultTTL)); string(got.body) != "two" {
		t.Errorf("after invalidation: %q", got.body)
	}
}

func TestConditionalViewerRequests(t *testing.T) {
	clock := newClock()
	o := newOrigin(t, clock)
	o.put("/c", &originObject{body: []byte("content"), etag: `"abc"`, header: http.Header{
		"Cache-Control": {"max-age=60"}, "Last-Modified": {"Sat, 01 Mar 2025 10:00:00 GMT"}}})
	c := newTestCache(t, clock, Config{})
	serve(t, c, o.request("/c", defaultTTL))
	tests := []struct {
		name   string
		header []string
		status int
	}{
		{"If-None-Match matches", []string{"If-None-Match", `"abc"`}, 304},
		{"If-None-Match weak form matches", []string{"If-None-Match", `W/"abc"`}, 304},
		{"If-None-Match in a list", []string{"If-None-Match", `"x", "abc"`}, 304},
		{"If-None-Match star", []string{"If-None-Match", `*`}, 304},
		{"If-None-Match differs", []string{"If-None-Match", `"zzz"`}, 200},
		{"If-Modified-Since after Last-Modified", []string{"If-Modified-Since", "Sat, 01 Mar 2025 11:00:00 GMT"}, 304},
		{"If-Modified-Since equal", []string{"If-Modified-Since", "Sat, 01 Mar 2025 10:00:00 GMT"}, 304},
		{"If-Modified-Since before", []string{"If-Modified-Since", "Sat, 01 Mar 2025 09:00:00 GMT"}, 200},
		{"If-None-Match takes precedence", []string{"If-None-Match", `"zzz"`, "If-Modified-Since", "Sat, 01 Mar 2025 11:00:00 GMT"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := serve(t, c, o.request("/c", defaultTTL, tt.header...))
			if got.status != tt.status {
				t.Fatalf("status %d, want %d", got.status, tt.status)
			}
			if tt.status == 304 && (len(got.body) != 0 || got.header.Get("ETag") != `"abc"` || got.header.Get("Content-Length") != "") {
				t.Errorf("304: body %q headers %v", got.body, got.header)
			}
		})
	}
	if n := o.requests.Load(); n != 1 {
		t.Errorf("origin requests = %d, want 1", n)
	}
}

// TestHitBodies serves one multi-slice object's hits from each tier, whole
// (through WriteTo, as a ResponseWriter copies it) and as a range read in
// small pieces (through Read).
func TestHitBodies(t *testing.T) {
	const slice = 16 << 10
	body := pattern(40 << 10) // three slices, the last one short
	tests := []struct {
		name     string
		cfg      func(dir string) Config
		wantDisk bool
	}{
		{"memory tier", func(string) Config { return Config{SliceSize: slice} }, false},
		// A memory tier smaller than a slice demotes every slice to disk.
		{"disk tier", func(dir string) Config { return Config{Dir: dir, SliceSize: slice, MemoryBytes: 4 << 10} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			o := newOrigin(t, clock)
			o.put("/b", &originObject{body: body, etag: `"b"`, header: http.Header{"Cache-Control": {"max-age=3600"}}})
			c := newTestCache(t, clock, tt.cfg(t.TempDir()))
			serve(t, c, o.request("/b", defaultTTL))
			for k := int64(1); k*slice < int64(len(body)); k++ {
				serve(t, c, o.request("/b", defaultTTL, "Range", fmt.Sprintf("bytes=%d-%d", k*slice, k*slice)))
			}
			if u := c.Usage(); (u.DiskSlices == 3) != tt.wantDisk {
				t.Fatalf("usage %+v: want the 3 slices on disk: %v", u, tt.wantDisk)
			}
			before := o.requests.Load()
			got := serve(t, c, o.request("/b", defaultTTL))
			if got.header.Get("X-Cache") != "Hit from coffer-edge" || !bytes.Equal(got.body, body) {
				t.Errorf("whole body: X-Cache %q, %d bytes, equal %v", got.header.Get("X-Cache"), len(got.body), bytes.Equal(got.body, body))
			}
			resp, err := c.Serve(context.Background(), o.request("/b", defaultTTL, "Range", "bytes=1000-35000"))
			if err != nil {
				t.Fatal(err)
			}
			var part bytes.Buffer
			buf := make([]byte, 777)
			_, err = io.CopyBuffer(&part, struct{ io.Reader }{resp.Body}, buf) // Read, not WriteTo
			resp.Body.Close()
			if err != nil || resp.Status != http.StatusPartialContent || !bytes.Equal(part.Bytes(), body[1000:35001]) {
				t.Errorf("range: %v, status %d, %d bytes", err, resp.Status, part.Len())
			}
			if n := o.requests.Load(); n != before {
				t.Errorf("hits went to the origin %d times", n-before)
			}
		})
	}
}

// TestHitHeaderShared: hits share one header set built from the stored
// one, without DropFields; a caller appending to a field it was given
// does not change the next hit's.
func TestHitHeaderShared(t *testing.T) {
	clock := newClock()
	o := newOrigin(t, clock)
	o.put("/h", &originObject{body: []byte("h"), etag: `"h"`, header: http.Header{"Cache-Control": {"max-age=60"},
		"X-Amz-Request-Id": {"R1"}, "X-Amz-Meta-A": {"1"}}})
	c := newTestCache(t, clock, Config{DropFields: []string{"X-Amz-Request-Id"}})
	for i, want := range []string{"Miss from coffer-edge", "Hit from coffer-edge", "Hit from coffer-edge"} {
		got := serve(t, c, o.request("/h", defaultTTL))
		if got.header.Get("X-Cache") != want || got.header.Get("X-Amz-Request-Id") != "" ||
			!slices.Equal(got.header.Values("Cache-Control"), []string{"max-age=60"}) || got.header.Get("X-Amz-Meta-A") != "1" {
			t.Errorf("request %d: header %v", i, got.header)
		}
		got.header.Add("Cache-Control", "private")
		got.header.Add("X-Amz-Meta-A", "2")
	}
}
