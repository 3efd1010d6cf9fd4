package cache

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/s3"
)

// fakeClock is the injected clock; tests move it by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testOrigin is an httptest origin on 127.0.0.1 serving one object per
// path, with byte ranges and conditional requests, counting requests.
type testOrigin struct {
	t     *testing.T
	clock *fakeClock
	srv   *httptest.Server

	requests atomic.Int64
	mu       sync.Mutex
	objects  map[string]*originObject
	log      []http.Header // request headers, in order
	down     bool
	// hold, when set, is called before serving a request (after counting).
	hold func(r *http.Request)
}

type originObject struct {
	status  int
	body    []byte
	etag    string
	header  http.Header // extra response headers (Cache-Control, Vary, …)
	on304   http.Header // extra headers sent with a 304
	byValue func(r *http.Request) []byte
}

func newOrigin(t *testing.T, clock *fakeClock) *testOrigin {
	o := &testOrigin{t: t, clock: clock, objects: map[string]*originObject{}}
	o.srv = httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *testOrigin) put(path string, obj *originObject) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if obj.status == 0 {
		obj.status = http.StatusOK
	}
	if obj.header == nil {
		obj.header = http.Header{}
	}
	o.objects[path] = obj
}

func (o *testOrigin) update(path string, fn func(*originObject)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fn(o.objects[path])
}

func (o *testOrigin) serve(w http.ResponseWriter, r *http.Request) {
	o.requests.Add(1)
	o.mu.Lock()
	o.log = append(o.log, r.Header.Clone())
	obj := o.objects[r.URL.Path]
	hold := o.hold
	o.mu.Unlock()
	if hold != nil {
		hold(r)
	}
	w.Header().Set("Date", s3.FormatHTTPTime(o.clock.Now()))
	if obj == nil {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	o.mu.Lock()
	for k, vs := range obj.header {
		w.Header()[k] = append([]string(nil), vs...)
	}
	body := obj.body
	if obj.byValue != nil {
		body = obj.byValue(r)
	}
	etag, status, on304 := obj.etag, obj.status, obj.on304.Clone()
	o.mu.Unlock()
	if etag != "" {
		w.Header().Set("ETag", etag)
	}
	if status != http.StatusOK {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return
	}
	if im := r.Header.Get("If-Match"); im != "" && im != etag {
		w.WriteHeader(http.StatusPreconditionFailed)
		return
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && inm == etag {
		for k, vs := range on304 {
			w.Header()[k] = vs
		}
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if rg, ok := s3.ParseRange(r.Header.Get("Range")); ok {
		off, n, err := rg.Resolve(int64(len(body)))
		if err != nil {
			w.Header().Set("Content-Range", "bytes */"+strconv.Itoa(len(body)))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		}
		w.Header().Set("Content-Range", "bytes "+strconv.FormatInt(off, 10)+"-"+strconv.FormatInt(off+n-1, 10)+"/"+strconv.Itoa(len(body)))
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		w.WriteHeader(http.StatusPartialContent)
		_, _ = w.Write(body[off : off+n])
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// fetcher returns the Origin func for a path: a plain GET to the test
// server carrying the cache's extra headers.
func (o *testOrigin) fetcher(path string) Origin {
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	return OriginFunc(func(ctx context.Context, h http.Header) (*http.Response, error) {
		o.mu.Lock()
		down := o.down
		o.mu.Unlock()
		if down {
			return nil, io.ErrUnexpectedEOF
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.srv.URL+path, nil)
		if err != nil {
			return nil, err
		}
		for k, vs := range h {
			req.Header[k] = vs
		}
		return client.Do(req)
	})
}

func newTestCache(t *testing.T, clock *fakeClock, cfg Config) *Cache {
	t.Helper()
	cfg.Now = clock.Now
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var defaultTTL = TTLs{Min: 0, Default: 24 * time.Hour, Max: 365 * 24 * time.Hour}

// request builds a cache Request for path on distribution "E1".
func (o *testOrigin) request(path string, ttl TTLs, hdr ...string) Request {
	r := httptest.NewRequest(http.MethodGet, "http://edge.test"+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return Request{Distribution: "E1", Path: path, Key: path, Viewer: r, TTL: ttl, Origin: o.fetcher(strings.SplitN(path, "?", 2)[0])}
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func serve(t *testing.T, c *Cache, req Request) result {
	t.Helper()
	resp, err := c.Serve(context.Background(), req)
	if err != nil {
		t.Fatalf("Serve %s: %v", req.Path, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, resp.Body); err != nil {
		t.Fatalf("read body %s: %v", req.Path, err)
	}
	h := http.Header{}
	resp.CopyHeader(h)
	return result{resp.Status, h, buf.Bytes()}
}

// pattern is n deterministic, non-repeating-looking bytes.
func pattern(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}
