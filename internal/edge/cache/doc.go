// Package cache is the caching engine of coffer edge: an RFC 9111 shared
// cache with CloudFront's expiration rules, a memory tier and a disk tier,
// request coalescing, sliced range caching of large objects, compression
// and invalidation. It knows nothing of distributions, behaviours, signing
// or error pages; the edge server resolves those and calls Serve.
//
// # Using it
//
//	c, err := cache.New(cache.Config{Dir: dir, MemoryBytes: mem, DiskBytes: disk})
//	resp, err := c.Serve(ctx, cache.Request{
//		Distribution: "E1EXAMPLE",
//		Path:         "/video/a.mp4",          // + "?query" if the behaviour keys on it
//		Key:          key,                      // the behaviour's full cache key
//		Viewer:       r,                        // GET or HEAD
//		TTL:          cache.TTLs{Min: 0, Default: 24 * time.Hour, Max: 365 * 24 * time.Hour},
//		ErrorTTL:     errorCachingMinTTL,       // per status; nil: 10 s
//		Compress:     behaviour.Compress,
//		Origin:       signedGet,                // an Origin: Fetch(ctx, extra http.Header) (*http.Response, error)
//	})
//	resp.CopyHeader(w.Header())                // resp.Header (shared, read-only) + X-Cache, Age
//	// resp.Status, resp.Body (close it)
//	c.Invalidate("E1EXAMPLE", "/video/*")
//	c.Stats("E1EXAMPLE").Hits.Load()
//
// Serve fails only with ErrMethod (not GET/HEAD), an error wrapping
// ErrOrigin (origin unreachable or nonsensical, and no stale copy may be
// used), or the context's error. Origin error statuses (404, 503 …) are
// ordinary responses. Reading Body can still fail (a slice fetch failed, or
// ErrChanged when the object changed at the origin mid-stream); the server
// then aborts the connection.
//
// The Origin receives only the headers the cache adds (Range,
// If-None-Match, If-Modified-Since, If-Match); it must add whatever the
// behaviour forwards, sign, and must not decode Content-Encoding
// (http.Transport.DisableCompression). Coalesced fetches are run with a
// context that outlives the viewer that started them, so Origin should
// apply its own timeout.
//
// # Expiration (CloudFront's rules, which are the spec here)
//
//   - Origin sends none of Cache-Control max-age/s-maxage or Expires: the
//     object is cached for Default TTL.
//   - Otherwise s-maxage, else max-age, else Expires−Date is clamped to
//     [Min TTL, Max TTL]: below Min → Min, above Max → Max. max-age wins
//     over Expires; an unparsable Expires means already expired.
//   - Cache-Control no-store, no-cache or private with Min TTL > 0: cached
//     for Min TTL anyway. With Min TTL 0: no-store and private are not
//     stored; no-cache is stored with lifetime 0 and revalidated on every
//     use (RFC 9111 §5.2.2.4), which CloudFront's "respects the header"
//     allows and which saves bodies through 304s.
//   - Status codes: 200, 203, 300, 301, 410 follow the rules above. 400,
//     403, 404, 405, 414, 500, 501, 502, 503, 504 are cached for the Error
//     Caching Minimum TTL (Request.ErrorTTL, default 10 s), or for the
//     origin's s-maxage/max-age when that is longer; 416 and everything else
//     (302, 307, 206 as such …) are not cached.
//   - A response with Vary: * is not stored; other Vary fields give one
//     stored variant per combination of the named request headers.
//   - Set-Cookie is never stored (it is passed through on uncached
//     responses only), so one viewer's session never reaches another.
//
// Age is RFC 9111 §4.2.3's current_age (the origin's Age and Date count);
// it is sent on Hit and RefreshHit, not on Miss. X-Cache is
// "Hit from coffer-edge", "Miss from coffer-edge" (also for uncacheable
// responses) or "RefreshHit from coffer-edge" (stale copy confirmed by a
// 304, or served because the origin failed).
//
// # Revalidation and errors
//
// A stale object is revalidated with If-None-Match (its ETag) and
// If-Modified-Since (its Last-Modified). A 304 updates the stored header
// fields (RFC 9111 §3.2: all but framing and hop-by-hop fields) and
// restarts freshness: RefreshHit. A 304 carrying another ETag causes an
// unconditional refetch. When the origin errs or answers 5xx, the stale
// copy is served (RefreshHit) unless it carries must-revalidate or
// proxy-revalidate, or carries stale-if-error=N and is stale by more than N
// seconds; with no such directive the copy is served, as CloudFront does
// while the origin is unavailable.
//
// # Slices and ranges
//
// Every origin fetch is a range request for one slice (Config.SliceSize,
// default 1 MiB): "bytes=k·S-(k+1)·S−1". A 206 gives the total size; the
// object is then stored slice by slice, each fetched when a viewer first
// needs it, with If-Match on the object's ETag so that slices of two
// versions never mix (a 412 or another ETag drops the object and the
// stream ends with ErrChanged). A viewer range therefore costs only the
// slices it covers and its first bytes leave as soon as the first slice
// arrives; a full GET streams slice by slice. An origin that ignores Range
// and answers 200 with more than one slice is streamed through uncached.
// An empty object (416 to the slice request) is fetched without Range.
//
// Viewer ranges: one range (bytes=a-b, a-, -n) → 206 with Content-Range;
// unsatisfiable → 416 with "Content-Range: bytes */size"; several ranges,
// other units or an If-Range that does not match → 200 with the whole body.
// Ranges apply to 200 objects only.
//
// Conditional viewer requests are answered from the cache: If-None-Match
// (weak comparison, "*" matches), else If-Modified-Since against
// Last-Modified → 304 with the RFC 9110 §15.4.5 fields.
//
// # Compression
//
// With Request.Compress, a cached 200 of a compressible type (CloudFront's
// list, and text/*) of 1,000 to 10,000,000 bytes, not already encoded and
// without no-transform, is served br (preferred) or gzip when the viewer's
// Accept-Encoding allows (q=0 refuses). The compressed variant is made once
// from the cached identity bytes, cached beside it, shares its freshness
// and goes with it; its ETag is the weak form of the origin's. Such
// responses (compressed or not) carry Vary: Accept-Encoding. Range requests
// get identity bytes.
//
// # Coalescing and bounds
//
// Concurrent requests that need the same object (or the same slice) share
// one origin request (golang.org/x/sync/singleflight). Responses that may
// not be stored (no-store, private, Vary: *) are not shared: each waiting
// viewer then fetches for itself. At most Config.MaxOriginFetches origin
// requests run at once, each buffering at most one slice, and a body is
// never held whole in memory (a compressed variant, at most 10 MB, is).
//
// # Storage
//
// The memory tier (Config.MemoryBytes) holds object metadata and slices in
// LRU order; slices leave it first, demoted to the disk tier, and metadata
// is evicted once it holds more than a quarter of the budget, taking the
// object's slices on disk with it. The disk tier (Config.DiskBytes) keeps
// one file per slice under Dir/coffer-edge-cache-v1, written to a temporary
// file and renamed, evicted LRU by deleting the file. Its index is in
// memory: the directory is cleared at start, so nothing survives a restart.
//
// # Invalidation
//
// Invalidate(distribution, pattern) follows CloudFront: a path is matched
// exactly and case-sensitively, a trailing "*" makes it a prefix ("/a/*",
// "/a/img*", "/*"), and every variant of a matched path goes (Vary
// variants, header/cookie parts of the key, compressed copies). The query
// string belongs to Path, so "/a" leaves "/a?v=2" alone and "/a*" does not.
// The cost is linear in the distribution's cached objects. A fetch in
// flight while Invalidate runs is stored already stale.
package cache
