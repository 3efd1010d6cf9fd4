package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// Errors returned by Serve. The server turns ErrOrigin into 502 (or 504 for
// a timeout) and ErrMethod into a pass-through or 405.
var (
	// ErrOrigin: the origin could not be reached or answered nonsense, and
	// no stale copy may stand in.
	ErrOrigin = errors.New("edge cache: origin failed")
	// ErrMethod: the viewer's method is neither GET nor HEAD.
	ErrMethod = errors.New("edge cache: method not cacheable")
	// ErrChanged: the object changed at the origin while its slices were
	// being streamed (its ETag moved); the body is cut short. The next
	// request fetches the new version.
	ErrChanged = errors.New("edge cache: object changed at origin during transfer")
)

// Origin performs the (signed) origin GET for a request's key.
type Origin interface {
	// Fetch sends the GET with the extra request headers in h that the
	// cache needs (Range, If-None-Match, If-Modified-Since, If-Match) and
	// returns the origin's response, whatever its status; an error means
	// no response was had (the cache wraps it in ErrOrigin). It must not
	// decode Content-Encoding (set http.Transport.DisableCompression) and
	// should bound its own time: coalesced fetches run with a context that
	// is not cancelled when the viewer that started them goes away, because
	// other viewers wait on them.
	Fetch(ctx context.Context, h http.Header) (*http.Response, error)
}

// OriginFunc is a function as an Origin.
type OriginFunc func(ctx context.Context, h http.Header) (*http.Response, error)

// Fetch calls f.
func (f OriginFunc) Fetch(ctx context.Context, h http.Header) (*http.Response, error) {
	return f(ctx, h)
}

var _ Origin = OriginFunc(nil)

// Request is one viewer request, as the edge server resolved it.
type Request struct {
	// Distribution is the distribution id (stats, invalidation).
	Distribution string
	// Path is the viewer's URL path, plus "?query" when the behaviour puts
	// query strings in the cache key. Invalidation matches against it.
	Path string
	// Key is the behaviour's cache key: path, query, and the headers and
	// cookies the behaviour includes. Equal keys share a cache entry.
	Key string
	// Viewer is the viewer's request: method (GET or HEAD), Range,
	// If-Range, If-None-Match, If-Modified-Since, Accept-Encoding, and the
	// headers an origin's Vary may name.
	Viewer *http.Request
	// TTL holds the behaviour's Min/Default/Max TTL.
	TTL TTLs
	// ErrorTTL returns the Error Caching Minimum TTL for a 4xx/5xx status
	// (custom_error_responses.error_caching_min_ttl); ok=false or a nil
	// func means DefaultErrorTTL. A zero TTL means "do not cache".
	ErrorTTL func(status int) (ttl time.Duration, ok bool)
	// Compress is the behaviour's compress setting.
	Compress bool
	// Origin fetches from the origin; it is used only when the cache misses.
	Origin Origin
}

func (r *Request) errorTTL(status int) time.Duration {
	if r.ErrorTTL != nil {
		if d, ok := r.ErrorTTL(status); ok {
			return d
		}
	}
	return DefaultErrorTTL
}

// Result says where a response came from; it becomes X-Cache.
type Result int

const (
	// Miss: fetched from the origin (or not cacheable).
	Miss Result = iota
	// Hit: served from the cache without contacting the origin.
	Hit
	// RefreshHit: the cached copy was stale; the origin confirmed it (304),
	// or failed and the stale copy stood in (stale-if-error).
	RefreshHit
)

// XCache is the value of the X-Cache response header.
func (r Result) XCache() string {
	switch r {
	case Hit:
		return "Hit from coffer-edge"
	case RefreshHit:
		return "RefreshHit from coffer-edge"
	}
	return "Miss from coffer-edge"
}

func (r Result) String() string {
	switch r {
	case Hit:
		return "Hit"
	case RefreshHit:
		return "RefreshHit"
	}
	return "Miss"
}

// Response is what the edge writes to the viewer. Body is never nil
// (http.NoBody for HEAD, 304 and 416) and must be closed. Reading Body may
// fetch further slices from the origin; an error while reading means the
// response must be cut short (the status line is already out).
type Response struct {
	Status int
	// Header holds the response's fields except Age and X-Cache, which
	// CopyHeader adds. Hits share it with each other (it is built once per
	// stored object), so it must not be modified.
	Header http.Header
	Body   io.ReadCloser
	Result Result
	// age is the Age field in seconds, sent when hasAge (not on a miss).
	age    int64
	hasAge bool
}

// CopyHeader sets the response's fields in dst, typically a
// ResponseWriter's header map: Header's (their value slices shared, not
// copied: dst must not modify them in place), X-Cache, and Age for a hit.
func (r *Response) CopyHeader(dst http.Header) {
	for k, vs := range r.Header {
		dst[k] = vs
	}
	dst["X-Cache"] = xCacheValues[r.Result]
	if r.hasAge {
		if r.age < int64(len(ageValues)) {
			dst["Age"] = ageValues[r.age : r.age+1 : r.age+1]
		} else {
			dst["Age"] = []string{strconv.FormatInt(r.age, 10)}
		}
	}
}

// xCacheValues and ageValues are field values shared by every response
// (read-only): a hit allocates none of them.
var (
	xCacheValues = [...][]string{Miss: {Miss.XCache()}, Hit: {Hit.XCache()}, RefreshHit: {RefreshHit.XCache()}}
	ageValues    = func() []string {
		v := make([]string, 3600)
		for i := range v {
			v[i] = strconv.Itoa(i)
		}
		return v
	}()
)

// Stats counts one distribution's cache traffic. The fields are live
// atomics; read them with Load.
type Stats struct {
	Hits, Misses, RefreshHits atomic.Int64
	// OriginFetches counts origin requests (one per slice fetched);
	// NotModified counts the 304s among them.
	OriginFetches, NotModified atomic.Int64
	// StaleServed counts stale copies served because the origin failed.
	StaleServed atomic.Int64
	// BytesFromOrigin counts body bytes read from the origin;
	// BytesFromCache counts body bytes served from the memory or disk tier.
	BytesFromOrigin, BytesFromCache atomic.Int64
}

// Config configures a Cache. The zero value is a 64 MiB memory-only cache.
type Config struct {
	// Dir is the disk tier's directory; empty means no disk tier. The cache
	// owns (and clears at start) only Dir/coffer-edge-cache-v1.
	Dir string
	// MemoryBytes bounds the memory tier (default 64 MiB).
	MemoryBytes int64
	// DiskBytes bounds the disk tier (default 1 GiB when Dir is set).
	DiskBytes int64
	// SliceSize is the unit of origin range fetches and of storage
	// (default 1 MiB).
	SliceSize int64
	// MaxOriginFetches bounds concurrent origin requests and so the slices
	// buffered in memory at once (default 64).
	MaxOriginFetches int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// DropFields are origin response fields (canonical names) that no
	// viewer is sent, besides the hop-by-hop ones, such as the origin's own
	// request IDs.
	DropFields []string
}

// Cache is the edge's shared HTTP cache. It is safe for concurrent use.
type Cache struct {
	now        func() time.Time
	slice      int64
	sem        chan struct{}
	disk       *diskTier
	dropFields []string

	flights singleflight.Group
	stats   sync.Map // distribution → *Stats

	mu      sync.Mutex
	mem     memTier
	objects map[string]*object
	byDist  map[string]map[*object]struct{}
	vary    map[string][]string // base key → the origin's Vary field names
	gen     map[string]uint64   // distribution → invalidation generation
}

// New returns a Cache. With cfg.Dir set it clears and prepares the disk
// tier's directory.
func New(cfg Config) (*Cache, error) {
	c := &Cache{
		now:        cfg.Now,
		slice:      cfg.SliceSize,
		dropFields: cfg.DropFields,
		objects:    map[string]*object{},
		byDist:     map[string]map[*object]struct{}{},
		vary:       map[string][]string{},
		gen:        map[string]uint64{},
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.slice <= 0 {
		c.slice = 1 << 20
	}
	n := cfg.MaxOriginFetches
	if n <= 0 {
		n = 64
	}
	c.sem = make(chan struct{}, n)
	c.mem.limit = cfg.MemoryBytes
	if c.mem.limit <= 0 {
		c.mem.limit = 64 << 20
	}
	c.mem.slices = map[string]*lruItem{}
	if cfg.Dir != "" {
		limit := cfg.DiskBytes
		if limit <= 0 {
			limit = 1 << 30
		}
		d, err := openDisk(cfg.Dir, limit)
		if err != nil {
			return nil, err
		}
		c.disk = d
	}
	return c, nil
}

// Stats returns the live counters of a distribution.
func (c *Cache) Stats(distribution string) *Stats {
	if s, ok := c.stats.Load(distribution); ok {
		return s.(*Stats)
	}
	s, _ := c.stats.LoadOrStore(distribution, new(Stats))
	return s.(*Stats)
}

// EachStats calls fn for every distribution that has counters.
func (c *Cache) EachStats(fn func(distribution string, s *Stats)) {
	c.stats.Range(func(k, v any) bool {
		fn(k.(string), v.(*Stats))
		return true
	})
}

// Usage is the cache's current size.
type Usage struct {
	MemoryBytes, DiskBytes int64
	Objects, DiskSlices    int
}

// Usage reports the tiers' current sizes.
func (c *Cache) Usage() Usage {
	c.mu.Lock()
	u := Usage{MemoryBytes: c.mem.used, Objects: len(c.objects)}
	c.mu.Unlock()
	if c.disk != nil {
		u.DiskBytes, u.DiskSlices = c.disk.usage()
	}
	return u
}

// object is one cached response (one variant of one cache key).
type object struct {
	key, dist, path string
	status          int
	size            int64
	etag            string
	version         string // names this object's slices; changes with the ETag
	ranged          bool   // the origin serves byte ranges of it
	encoding        string // "gzip"/"br" for a compressed variant
	identity        *object
	variants        []*object // compressed variants of an identity object; guarded by Cache.mu
	st              *state    // guarded by Cache.mu
	item            *lruItem
	slice0          string                       // sliceID(0), set before the object is published
	viewerHdr       atomic.Pointer[viewerHeader] // the last built Response.Header of a full response

	// transient objects are not in the index (not storable, or a
	// pass-through); pre holds the one slice already fetched (slice preK),
	// or the whole body when preK < 0.
	transient bool
	pre       []byte
	preK      int64
}

func (o *object) nslices(s int64) int64 { return (o.size + s - 1) / s }

func (o *object) sliceID(k int64) string {
	if k == 0 && o.slice0 != "" {
		return o.slice0
	}
	return o.key + "\x00" + o.version + "\x00" + strconv.FormatInt(k, 10)
}

// metaSize is what an object's metadata is charged in the memory tier.
func metaSize(o *object, h http.Header) int64 {
	n := int64(256 + 2*len(o.key) + len(o.path))
	for k, vs := range h {
		n += int64(len(k))
		for _, v := range vs {
			n += int64(len(v)) + 16
		}
	}
	return n
}

// evictions is work found under Cache.mu and done after it is released:
// slices to demote to disk and disk slices to delete.
type evictions struct {
	demote []*lruItem
	remove []string
}

func (c *Cache) finish(ev evictions) {
	if c.disk == nil {
		return
	}
	for _, it := range ev.demote {
		_ = c.disk.put(it.id, it.data)
	}
	if len(ev.remove) > 0 {
		c.disk.remove(ev.remove)
	}
}

// insertLocked publishes obj, replacing any object under the same key.
func (c *Cache) insertLocked(obj *object, ev *evictions) {
	if old := c.objects[obj.key]; old != nil {
		c.dropLocked(old, ev)
	}
	obj.slice0 = obj.sliceID(0)
	c.objects[obj.key] = obj
	m := c.byDist[obj.dist]
	if m == nil {
		m = map[*object]struct{}{}
		c.byDist[obj.dist] = m
	}
	m[obj] = struct{}{}
	obj.item = &lruItem{id: obj.key, size: metaSize(obj, obj.st.header), obj: obj}
	c.mem.add(obj.item)
	c.evictLocked(ev)
}

// dropLocked removes obj, its compressed variants and its slices.
func (c *Cache) dropLocked(obj *object, ev *evictions) {
	c.mem.remove(obj.item)
	if c.objects[obj.key] != obj {
		return
	}
	delete(c.objects, obj.key)
	if m := c.byDist[obj.dist]; m != nil {
		delete(m, obj)
		if len(m) == 0 {
			delete(c.byDist, obj.dist)
		}
	}
	for k := int64(0); k < obj.nslices(c.slice); k++ {
		id := obj.sliceID(k)
		if it := c.mem.slices[id]; it != nil {
			c.mem.remove(it)
		}
		ev.remove = append(ev.remove, id)
	}
	for _, v := range obj.variants {
		c.dropLocked(v, ev)
	}
	obj.variants = nil
}

func (c *Cache) evictLocked(ev *evictions) {
	for c.mem.used > c.mem.limit {
		it := c.mem.victim()
		if it == nil {
			return
		}
		if it.obj != nil {
			c.dropLocked(it.obj, ev)
			continue
		}
		c.mem.remove(it)
		if c.disk != nil {
			ev.demote = append(ev.demote, it)
		}
	}
}

// putSliceLocked stores slice k of obj if obj is still the published object
// for its key.
func (c *Cache) putSliceLocked(obj *object, k int64, data []byte, ev *evictions) {
	if obj.transient || c.objects[obj.key] != obj {
		return
	}
	c.mem.add(&lruItem{id: obj.sliceID(k), size: int64(len(data)), data: data})
	c.mem.touch(obj.item)
	c.evictLocked(ev)
}

// Invalidate removes every object of distribution whose Path matches
// pattern, CloudFront-style: an exact, case-sensitive path, or a prefix
// when pattern ends in "*" ("/images/*", "/images/img*", "/*"). Only a
// trailing "*" is a wildcard. All variants of a path (Vary, headers and
// cookies in the cache key, compressed copies) go with it; query strings
// are part of Path, so "/a" does not match "/a?x=1" but "/a*" does.
// Fetches already in flight when Invalidate runs are stored already stale,
// so the next request revalidates. It returns the number of objects removed.
func (c *Cache) Invalidate(distribution, pattern string) int {
	prefix, wild := pattern, false
	if len(pattern) > 0 && pattern[len(pattern)-1] == '*' {
		prefix, wild = pattern[:len(pattern)-1], true
	}
	var ev evictions
	n := 0
	c.mu.Lock()
	c.gen[distribution]++
	for obj := range c.byDist[distribution] {
		if obj.path == pattern || (wild && len(obj.path) >= len(prefix) && obj.path[:len(prefix)] == prefix) {
			if c.objects[obj.key] == obj {
				c.dropLocked(obj, &ev)
				n++
			}
		}
	}
	c.mu.Unlock()
	c.finish(ev)
	return n
}

// originCall is one origin request holding a slot of the fetch semaphore.
type originCall struct {
	resp    *http.Response
	release func()
}

func (c *Cache) origin(ctx context.Context, req *Request, st *Stats, h http.Header) (*originCall, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	st.OriginFetches.Add(1)
	resp, err := req.Origin.Fetch(ctx, h)
	if err != nil {
		<-c.sem
		return nil, fmt.Errorf("%w: %w", ErrOrigin, err)
	}
	var once sync.Once
	return &originCall{resp: resp, release: func() {
		once.Do(func() {
			_ = resp.Body.Close()
			<-c.sem
		})
	}}, nil
}
