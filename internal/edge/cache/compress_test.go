package cache

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/coffer-project/coffer/internal/httpx"
)

func TestCompression(t *testing.T) {
	html := []byte(strings.Repeat("<p>hello coffer edge</p>\n", 400)) // 10 KB
	tests := []struct {
		name        string
		ctype       string
		body        []byte
		compress    bool
		accept      string
		rng         string
		wantEnc     string
		wantVaryAE  bool
		extraHeader []string
	}{
		{"gzip for text/html", "text/html; charset=utf-8", html, true, "gzip, deflate", "", "gzip", true, nil},
		{"br preferred over gzip", "application/javascript", html, true, "gzip, br", "", "br", true, nil},
		{"q=0 refuses br", "text/css", html, true, "br;q=0, gzip", "", "gzip", true, nil},
		{"viewer accepts nothing", "text/html", html, true, "", "", "", true, nil},
		{"behaviour does not compress", "text/html", html, false, "gzip", "", "", false, nil},
		{"not a compressible type", "image/png", html, true, "gzip", "", "", false, nil},
		{"below 1,000 bytes", "text/html", html[:999], true, "gzip", "", "", false, nil},
		{"range requests get identity bytes", "text/html", html, true, "gzip", "bytes=0-9", "", true, nil},
		{"already encoded at the origin", "text/html", html, true, "gzip", "", "", false, []string{"Content-Encoding", "zstd"}},
		{"no-transform", "text/html", html, true, "gzip", "", "", false, []string{"Cache-Control", "max-age=60, no-transform"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			o := newOrigin(t, clock)
			h := http.Header{"Cache-Control": {"max-age=60"}, "Content-Type": {tt.ctype}}
			for i := 0; i < len(tt.extraHeader); i += 2 {
				h.Set(tt.extraHeader[i], tt.extraHeader[i+1])
			}
			o.put("/f", &originObject{body: tt.body, etag: `"strong"`, header: h})
			c := newTestCache(t, clock, Config{SliceSize: 4096})
			var afterFirst int64
			for round := 0; round < 2; round++ {
				if round == 1 {
					afterFirst = o.requests.Load()
				}
				hdr := []string{}
				if tt.accept != "" {
					hdr = append(hdr, "Accept-Encoding", tt.accept)
				}
				if tt.rng != "" {
					hdr = append(hdr, "Range", tt.rng)
				}
				req := o.request("/f", defaultTTL, hdr...)
				req.Compress = tt.compress
				got := serve(t, c, req)
				if enc := got.header.Get("Content-Encoding"); enc != tt.wantEnc && !(tt.extraHeader != nil && enc == "zstd") {
					t.Fatalf("round %d: Content-Encoding %q, want %q", round, enc, tt.wantEnc)
				}
				if httpx.HasToken(got.header.Values("Vary"), "Accept-Encoding") != tt.wantVaryAE {
					t.Errorf("round %d: Vary %q", round, got.header.Values("Vary"))
				}
				plain := got.body
				switch tt.wantEnc {
				case "gzip":
					zr, err := gzip.NewReader(bytes.NewReader(got.body))
					if err != nil {
						t.Fatal(err)
					}
					plain, _ = io.ReadAll(zr)
				case "br":
					plain, _ = io.ReadAll(brotli.NewReader(bytes.NewReader(got.body)))
				}
				if tt.wantEnc != "" {
					if got.header.Get("ETag") != `W/"strong"` {
						t.Errorf("ETag %q, want weak", got.header.Get("ETag"))
					}
					if got.header.Get("Content-Length") != strconv.Itoa(len(got.body)) || len(got.body) >= len(tt.body) {
						t.Errorf("Content-Length %s for %d compressed bytes", got.header.Get("Content-Length"), len(got.body))
					}
				}
				if tt.rng == "" && !bytes.Equal(plain, tt.body) {
					t.Errorf("round %d: decoded body differs", round)
				}
			}
			if n := o.requests.Load(); n != afterFirst || n > 3 {
				t.Errorf("origin requests = %d (%d after the first round), want one per slice once", n, afterFirst)
			}
		})
	}
}

func TestCompressedVariantConditional(t *testing.T) {
	clock := newClock()
	o := newOrigin(t, clock)
	o.put("/a.js", &originObject{body: bytes.Repeat([]byte("var x = 1;\n"), 200), etag: `"js"`,
		header: http.Header{"Cache-Control": {"max-age=60"}, "Content-Type": {"text/javascript"}}})
	c := newTestCache(t, clock, Config{})
	req := o.request("/a.js", defaultTTL, "Accept-Encoding", "gzip", "If-None-Match", `W/"js"`)
	req.Compress = true
	resp, err := c.Serve(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Status != http.StatusNotModified || resp.Header.Get("ETag") != `W/"js"` {
		t.Errorf("status %d, ETag %q", resp.Status, resp.Header.Get("ETag"))
	}
}
