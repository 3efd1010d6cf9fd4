package cache

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkHit measures cache hits served from the memory tier, in
// parallel, for 1 KiB and 1 MiB objects (body copied to io.Discard).
func BenchmarkHit(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"1KiB", 1 << 10}, {"1MiB", 1 << 20}} {
		b.Run(size.name, func(b *testing.B) {
			body := pattern(size.n)
			origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("ETag", `"b"`)
				w.Header().Set("Cache-Control", "max-age=3600")
				http.ServeContent(w, r, "", benchTime, bytes.NewReader(body))
			}))
			defer origin.Close()
			client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
			fetch := OriginFunc(func(ctx context.Context, h http.Header) (*http.Response, error) {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, origin.URL+"/obj", nil)
				for k, vs := range h {
					req.Header[k] = vs
				}
				return client.Do(req)
			})
			c, err := New(Config{MemoryBytes: 64 << 20})
			if err != nil {
				b.Fatal(err)
			}
			viewer := httptest.NewRequest(http.MethodGet, "http://edge.test/obj", nil)
			req := Request{Distribution: "E1", Path: "/obj", Key: "/obj", Viewer: viewer, TTL: defaultTTL, Origin: fetch}
			if _, err := c.Serve(context.Background(), req); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size.n))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := c.Serve(context.Background(), req)
					if err != nil {
						b.Error(err)
						return
					}
					if _, err := io.Copy(io.Discard, resp.Body); err != nil {
						b.Error(err)
					}
					resp.Body.Close()
					if resp.Result != Hit {
						b.Errorf("result %v", resp.Result)
					}
				}
			})
		})
	}
}

var benchTime = newClock().Now()
