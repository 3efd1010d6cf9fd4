package edge

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/coffer-project/coffer/internal/edge/cache"
)

// edgeCache is the edge's use of package cache.
type edgeCache struct {
	c   *cache.Cache
	log *slog.Logger
}

func newEdgeCache(cfg CacheConfig, now func() time.Time, log *slog.Logger) (*edgeCache, error) {
	c, err := cache.New(cache.Config{Dir: cfg.Dir, MemoryBytes: cfg.MemoryBytes, DiskBytes: cfg.DiskBytes, Now: now,
		DropFields: originOnlyFields})
	if err != nil {
		return nil, err
	}
	return &edgeCache{c: c, log: log}, nil
}

func (e *edgeCache) invalidate(distribution, path string) int {
	return e.c.Invalidate(distribution, path)
}

func (e *edgeCache) close() error { return nil }

// originOnlyFields are origin response fields viewers are not sent (the
// origin's request IDs and server name), besides hop-by-hop fields.
var originOnlyFields = []string{"X-Amz-Id-2", "X-Amz-Request-Id", "Server"}

// viaValue is the Via field of every cached response; shared, read-only.
var viaValue = []string{"1.1 coffer-edge"}

// cacheRequest is the cache's view of serving path for the viewer.
func (s *Server) cacheRequest(v *viewer, r *http.Request, path string) cache.Request {
	min, def, max := v.beh.ttls()
	var key string
	var org *originFetch
	if path == v.path {
		key = v.cacheKey()
		v.fetch = originFetch{s: s, v: v, path: path}
		org = &v.fetch
	} else {
		key = path
		org = &originFetch{s: s, v: v, path: path}
	}
	return cache.Request{
		Distribution: v.dist.ID,
		Path:         path,
		Key:          key,
		Viewer:       r,
		TTL:          cache.TTLs{Min: min, Default: def, Max: max},
		ErrorTTL:     s.errorTTLs[v.dist.ID],
		Compress:     v.beh.Compress,
		Origin:       org,
	}
}

// fromCache serves a GET or HEAD through the cache; an error status from
// the origin is replaced by the distribution's custom error page for it.
func (s *Server) fromCache(w http.ResponseWriter, v *viewer) {
	res, err := s.cache.c.Serve(v.r.Context(), s.cacheRequest(v, v.r, v.path))
	if err != nil {
		if v.r.Context().Err() != nil {
			return // the viewer left
		}
		s.log.Error("edge: origin", "distribution", v.dist.ID, "path", v.path, "err", err)
		v.result = "Error"
		status := http.StatusBadGateway
		if errors.Is(err, context.DeadlineExceeded) {
			status = http.StatusGatewayTimeout
		}
		s.errorPage(w, v, status, "the origin could not be reached")
		return
	}
	defer res.Body.Close()
	v.result = res.Result.String()
	// An origin's 403 for a missing key (no s3:ListBucket) is what S3
	// answers; CloudFront passes it on, and so do we.
	if res.Status >= 400 && s.customErrorPage(w, v, res.Status) {
		return
	}
	writeResponse(w, res)
}

// servePage answers with the page at path (from the origin bucket,
// through the cache) and status code; false if the page itself cannot be
// had.
func (s *Server) servePage(w http.ResponseWriter, v *viewer, path string, code int) bool {
	r := v.r.Clone(v.r.Context())
	r.Method = http.MethodGet
	for _, h := range []string{"Range", "If-None-Match", "If-Modified-Since", "If-Range"} {
		r.Header.Del(h)
	}
	res, err := s.cache.c.Serve(r.Context(), s.cacheRequest(v, r, path))
	if err != nil {
		return false
	}
	defer res.Body.Close()
	if res.Status != http.StatusOK {
		return false
	}
	res.Status = code
	if v.r.Method == http.MethodHead {
		res.Body.Close()
		res.Body = http.NoBody
	}
	writeResponse(w, res)
	return true
}

func writeResponse(w http.ResponseWriter, res *cache.Response) {
	h := w.Header()
	res.CopyHeader(h) // the cache drops originOnlyFields and hop-by-hop fields
	h["Via"] = viaValue
	w.WriteHeader(res.Status)
	if res.Body == http.NoBody {
		return
	}
	if _, err := io.Copy(w, res.Body); err != nil && !strings.Contains(err.Error(), "broken pipe") {
		// The status line is out: all we can do is cut the body short.
		panic(http.ErrAbortHandler)
	}
}
