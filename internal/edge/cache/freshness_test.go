package cache

import (
	"net/http"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/s3"
)

// TestLifetime is CloudFront's expiration table: which origin headers give
// which TTL under a behaviour's Min/Default/Max TTL.
func TestLifetime(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	date := s3.FormatHTTPTime(now)
	in2h := s3.FormatHTTPTime(now.Add(2 * time.Hour))
	cf := TTLs{Min: 0, Default: 86400 * time.Second, Max: 31536000 * time.Second}
	min60 := TTLs{Min: 60 * time.Second, Default: 300 * time.Second, Max: 3600 * time.Second}
	tests := []struct {
		name      string
		status    int
		header    []string
		ttl       TTLs
		errTTL    time.Duration
		wantLife  time.Duration
		wantStore bool
	}{
		{"no Cache-Control or Expires: Default TTL", 200, nil, cf, 0, 86400 * time.Second, true},
		{"no headers and Min TTL > 0: still Default TTL", 200, nil, min60, 0, 300 * time.Second, true},
		{"max-age within bounds", 200, []string{"Cache-Control", "max-age=3600"}, cf, 0, time.Hour, true},
		{"max-age above Max TTL: Max TTL", 200, []string{"Cache-Control", "max-age=7200"}, min60, 0, time.Hour, true},
		{"max-age below Min TTL: Min TTL", 200, []string{"Cache-Control", "max-age=10"}, min60, 0, time.Minute, true},
		{"max-age=0 with Min TTL 0: stored, always revalidated", 200, []string{"Cache-Control", "max-age=0"}, cf, 0, 0, true},
		{"s-maxage wins over max-age", 200, []string{"Cache-Control", "max-age=3600, s-maxage=100"}, cf, 0, 100 * time.Second, true},
		{"s-maxage clamped by Max TTL", 200, []string{"Cache-Control", "s-maxage=99999"}, min60, 0, time.Hour, true},
		{"Expires minus Date", 200, []string{"Date", date, "Expires", in2h}, cf, 0, 2 * time.Hour, true},
		{"max-age wins over Expires", 200, []string{"Date", date, "Expires", in2h, "Cache-Control", "max-age=60"}, cf, 0, time.Minute, true},
		{"Expires clamped by Min TTL", 200, []string{"Date", date, "Expires", date}, min60, 0, time.Minute, true},
		{"invalid Expires is already expired", 200, []string{"Expires", "0"}, cf, 0, 0, true},
		{"no-store, Min TTL 0: not stored", 200, []string{"Cache-Control", "no-store"}, cf, 0, 0, false},
		{"private, Min TTL 0: not stored", 200, []string{"Cache-Control", "private, max-age=600"}, cf, 0, 0, false},
		{"no-cache, Min TTL 0: stored, revalidated on every use", 200, []string{"Cache-Control", "no-cache"}, cf, 0, 0, true},
		{"no-store, Min TTL > 0: cached for Min TTL", 200, []string{"Cache-Control", "no-store"}, min60, 0, time.Minute, true},
		{"private, Min TTL > 0: cached for Min TTL", 200, []string{"Cache-Control", "private"}, min60, 0, time.Minute, true},
		{"no-cache, Min TTL > 0: cached for Min TTL", 200, []string{"Cache-Control", "no-cache"}, min60, 0, time.Minute, true},
		{"directive names are case-insensitive", 200, []string{"Cache-Control", "Max-Age=30"}, cf, 0, 30 * time.Second, true},
		{"301 follows the TTL rules", 301, []string{"Cache-Control", "max-age=30"}, cf, 0, 30 * time.Second, true},
		{"404 without headers: error caching min TTL", 404, nil, cf, 10 * time.Second, 10 * time.Second, true},
		{"404 with longer max-age: max-age", 404, []string{"Cache-Control", "max-age=300"}, cf, 10 * time.Second, 300 * time.Second, true},
		{"404 with shorter max-age: error caching min TTL", 404, []string{"Cache-Control", "max-age=1"}, cf, 10 * time.Second, 10 * time.Second, true},
		{"503 with no-store: still error caching min TTL", 503, []string{"Cache-Control", "no-store"}, cf, 10 * time.Second, 10 * time.Second, true},
		{"error caching min TTL 0: not cached", 500, nil, cf, 0, 0, false},
		{"416 is never cached", 416, nil, cf, 10 * time.Second, 0, false},
		{"302 is not cached", 302, []string{"Cache-Control", "max-age=60"}, cf, 0, 0, false},
		{"206 is not cached as such", 206, nil, cf, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for i := 0; i < len(tt.header); i += 2 {
				h.Add(tt.header[i], tt.header[i+1])
			}
			life, store := lifetime(tt.status, h, tt.ttl, tt.errTTL, now)
			if life != tt.wantLife || store != tt.wantStore {
				t.Errorf("lifetime = %v, store %v; want %v, %v", life, store, tt.wantLife, tt.wantStore)
			}
		})
	}
}

func TestInitialAge(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		header  []string
		reqTime time.Time
		want    time.Duration
	}{
		{"fresh response", []string{"Date", s3.FormatHTTPTime(now)}, now, 0},
		{"Age from upstream", []string{"Date", s3.FormatHTTPTime(now), "Age", "100"}, now, 100 * time.Second},
		{"response delay is added to Age", []string{"Date", s3.FormatHTTPTime(now), "Age", "100"}, now.Add(-2 * time.Second), 102 * time.Second},
		{"apparent age from an old Date", []string{"Date", s3.FormatHTTPTime(now.Add(-30 * time.Second))}, now, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for i := 0; i < len(tt.header); i += 2 {
				h.Add(tt.header[i], tt.header[i+1])
			}
			if got := initialAge(h, tt.reqTime, now); got != tt.want {
				t.Errorf("initialAge = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMergeNotModified(t *testing.T) {
	stored := http.Header{"Content-Length": {"10"}, "Cache-Control": {"max-age=10"}, "X-Amz-Meta-A": {"1"}, "Content-Type": {"text/plain"}}
	notMod := http.Header{"Content-Length": {"0"}, "Cache-Control": {"max-age=99"}, "X-Amz-Meta-B": {"2"}, "Connection": {"close"}, "Set-Cookie": {"s=1"}}
	got := mergeNotModified(stored, notMod)
	want := http.Header{"Content-Length": {"10"}, "Cache-Control": {"max-age=99"}, "X-Amz-Meta-A": {"1"}, "X-Amz-Meta-B": {"2"}, "Content-Type": {"text/plain"}}
	if len(got) != len(want) {
		t.Fatalf("merged = %v, want %v", got, want)
	}
	for k := range want {
		if got.Get(k) != want.Get(k) {
			t.Errorf("%s = %q, want %q", k, got.Get(k), want.Get(k))
		}
	}
}
