package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/edge"
)

// discardWriter is the least an http.ResponseWriter can be: a fresh
// header map per request, as net/http gives each one, and a body counted
// and dropped.
type discardWriter struct {
	h      http.Header
	status int
	n      int64
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += int64(len(p))
	return len(p), nil
}

// BenchmarkHandlerHit serves cache hits through `coffer edge`'s viewer
// handler (edge.New over an httptest origin, as bench/edge.sh configures
// it but with access: public), through the same with bench/edge.sh's
// BENCH_WAF web ACL on the distribution (edge-waf), and, for comparison,
// through the floor handler of `edgeload floor`, with no connection and no
// net/http server around them: what the edge's own code costs per hit.
//
//	go test -run '^$' -bench HandlerHit -benchmem -cpuprofile cpu.out ./bench/edgeload/
func BenchmarkHandlerHit(b *testing.B) {
	sizes := []int64{1 << 10, 1 << 20}
	origin := httptest.NewServer(http.StripPrefix("/edge-bench", floorHandler(sizes, time.Now())))
	defer origin.Close()
	newEdge := func(webACL bool) *edge.Server {
		cfg := &edge.Config{
			Cache: edge.CacheConfig{MemoryBytes: 256 << 20},
			Distributions: []edge.Distribution{{ID: "E1BENCH",
				Origin: edge.Origin{Endpoint: origin.URL, Bucket: "edge-bench", Access: "public"}}},
		}
		if webACL { // as bench/edge.sh BENCH_WAF=1 configures it
			cfg.Distributions[0].WebACL = "bench-acl"
			cfg.IPSets = []edge.IPSetConfig{{Name: "bad", Addresses: []string{"203.0.113.0/24", "198.51.100.0/24", "2001:db8::/32"}}}
			cfg.RegexPatternSets = []edge.RegexSetConfig{{Name: "scanners", Patterns: []string{"(?i)sqlmap", "(?i)nikto", "(?i)masscan", "(?i)zgrab"}}}
			cfg.WebACLs = []edge.WebACLFileConfig{{Name: "bench-acl", File: "../testdata/edge-web-acl.json"}}
		}
		if err := cfg.Validate(); err != nil {
			b.Fatal(err)
		}
		srv, err := edge.New(cfg, edge.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { srv.Close() })
		return srv
	}
	handlers := []struct {
		name string
		h    http.Handler
	}{{"edge", newEdge(false).Handler()}, {"edge-waf", newEdge(true).Handler()}, {"floor", floorHandler(sizes, time.Now())}}
	for _, size := range sizes {
		for _, hd := range handlers {
			b.Run(hd.name+"/"+sizeName(size), func(b *testing.B) {
				path := "/" + objectKey(size)
				serve := func() *discardWriter {
					r := httptest.NewRequest(http.MethodGet, "http://edge.test"+path, nil)
					w := &discardWriter{h: http.Header{}}
					hd.h.ServeHTTP(w, r)
					return w
				}
				serve() // the miss that fills the cache
				w := serve()
				if w.status != http.StatusOK || w.n != size || !bytes.HasPrefix([]byte(w.h.Get("X-Cache")), []byte("Hit")) {
					b.Fatalf("GET %s: %d, %d bytes, X-Cache %q; want a 200 hit of %d bytes", path, w.status, w.n, w.h.Get("X-Cache"), size)
				}
				b.SetBytes(size)
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					r := httptest.NewRequest(http.MethodGet, "http://edge.test"+path, nil)
					r.Header.Set("User-Agent", "coffer-edgeload")
					for pb.Next() {
						w := &discardWriter{h: make(http.Header, 12)}
						hd.h.ServeHTTP(w, r)
						if w.n != size {
							b.Error("short body: " + strconv.FormatInt(w.n, 10))
							return
						}
					}
				})
			})
		}
	}
}
