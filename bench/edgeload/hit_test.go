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
// it but with access: public) and, for comparison, through the floor
// handler of `edgeload floor`, with no connection and no net/http server
// around them: what the edge's own code costs per hit.
//
//	go test -run '^$' -bench HandlerHit -benchmem -cpuprofile cpu.out ./bench/edgeload/
func BenchmarkHandlerHit(b *testing.B) {
	sizes := []int64{1 << 10, 1 << 20}
	origin := httptest.NewServer(http.StripPrefix("/edge-bench", floorHandler(sizes, time.Now())))
	defer origin.Close()
	cfg := &edge.Config{
		Cache: edge.CacheConfig{MemoryBytes: 256 << 20},
		Distributions: []edge.Distribution{{ID: "E1BENCH",
			Origin: edge.Origin{Endpoint: origin.URL, Bucket: "edge-bench", Access: "public"}}},
	}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	srv, err := edge.New(cfg, edge.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	handlers := []struct {
		name string
		h    http.Handler
	}{{"edge", srv.Handler()}, {"floor", floorHandler(sizes, time.Now())}}
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
