package edge

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/coffer-project/coffer/internal/pkitest"
)

// testOrigin is an origin on loopback standing in for a public bucket:
// it answers GETs of /bucket/key from a map, records every request, and
// echoes other methods.
type testOrigin struct {
	*httptest.Server
	mu       sync.Mutex
	objects  map[string]string
	requests []string
}

func newTestOrigin(t *testing.T, objects map[string]string) *testOrigin {
	o := &testOrigin{objects: objects}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		o.mu.Lock()
		o.requests = append(o.requests, r.Method+" "+r.URL.Path+" "+string(body))
		obj, ok := o.objects[r.URL.Path]
		o.mu.Unlock()
		switch {
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, "stored "+string(body))
		case !ok:
			http.Error(w, "NoSuchKey", http.StatusNotFound)
		default:
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("ETag", `"e1"`)
			io.WriteString(w, obj)
		}
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *testOrigin) seen() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.requests...)
}

// newTestEdge builds an edge over origin with the given behaviours.
func newTestEdge(t *testing.T, origin string, behaviors string, extra string) (*Server, *prometheus.Registry, string) {
	t.Helper()
	logFile := filepath.Join(t.TempDir(), "access.log")
	doc := `
admin: {listen: 127.0.0.1:0, access_key_id: AK, secret_access_key: SK}
access_log: ` + logFile + `
` + extra + `
distributions:
  - id: ETEST
    origin: {endpoint: ` + origin + `, bucket: b, access: public}
    behaviors:
` + behaviors
	cfg, err := ParseConfig([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	s, err := New(cfg, Options{Metrics: NewMetrics(reg)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, reg, logFile
}

func TestViewerProtocolPolicyAndMethods(t *testing.T) {
	origin := newTestOrigin(t, map[string]string{"/b/secure/a": "secret", "/b/plain/a": "plain", "/b/api/x": "api"})
	s, reg, logFile := newTestEdge(t, origin.URL, `
      - path_pattern: "/secure/*"
        viewer_protocol_policy: https-only
      - path_pattern: "/plain/*"
        viewer_protocol_policy: redirect-to-https
      - path_pattern: "/api/*"
        allowed_methods: [GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE]
      - path_pattern: "*"
`, "")
	plain := httptest.NewServer(s.Handler())
	defer plain.Close()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	resp, err := noRedirect.Get(plain.URL + "/plain/a?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != 301 || !strings.HasPrefix(loc, "https://") || !strings.HasSuffix(loc, "/plain/a?x=1") {
		t.Errorf("redirect-to-https over HTTP: %s Location %q", resp.Status, loc)
	}
	if resp, _ := http.Get(plain.URL + "/secure/a"); resp.StatusCode != 403 {
		t.Errorf("https-only over HTTP: %s, want 403", resp.Status)
	}

	// Over TLS (HTTP/2) both are served.
	pki := pkitest.New(t)
	tlsCfg, err := TLSConfig(pki.Server.CertFile, pki.Server.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	secure := httptest.NewUnstartedServer(s.Handler())
	secure.TLS = tlsCfg
	secure.EnableHTTP2 = true
	secure.StartTLS()
	defer secure.Close()
	h2 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.CertPool()}, ForceAttemptHTTP2: true}}
	for path, want := range map[string]string{"/secure/a": "secret", "/plain/a": "plain"} {
		resp, err := h2.Get(secure.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != want || resp.ProtoMajor != 2 {
			t.Errorf("GET %s over TLS: %s %q (HTTP/%d), want 200 %q over HTTP/2", path, resp.Status, body, resp.ProtoMajor, want)
		}
	}

	// Methods: POST is refused where only GET/HEAD are allowed, and passed
	// through, uncached, where the behaviour allows it.
	if resp, _ := http.Post(plain.URL+"/other", "text/plain", strings.NewReader("x")); resp.StatusCode != 403 {
		t.Errorf("POST to a GET/HEAD behaviour: %s, want 403", resp.Status)
	}
	resp, err = http.Post(plain.URL+"/api/x", "text/plain", strings.NewReader("payload"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || string(body) != "stored payload" {
		t.Errorf("POST through an all-methods behaviour: %s %q", resp.Status, body)
	}
	for range 2 {
		if resp, _ := http.Get(plain.URL + "/api/x"); resp.StatusCode != 200 {
			t.Errorf("GET /api/x: %s", resp.Status)
		}
	}
	gets := 0
	for _, r := range origin.seen() {
		if strings.HasPrefix(r, "GET /b/api/x") {
			gets++
		}
		if strings.HasPrefix(r, "POST ") && r != "POST /b/api/x payload" {
			t.Errorf("origin saw %q", r)
		}
	}
	if gets != 1 {
		t.Errorf("two GETs of /api/x reached the origin %d times, want 1 (the second is a hit)", gets)
	}

	// Access log in CloudFront's format, and metrics by result.
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	if !strings.HasPrefix(lines[0], "#Version: 1.0") || !strings.HasPrefix(lines[1], "#Fields: date time x-edge-location sc-bytes c-ip cs-method") {
		t.Errorf("access log header:\n%s", strings.Join(lines[:2], "\n"))
	}
	var hitLine []string
	for _, l := range lines[2:] {
		f := strings.Split(l, "\t")
		if len(f) != len(strings.Fields(logFields)) {
			t.Fatalf("log line has %d fields, want %d: %q", len(f), len(strings.Fields(logFields)), l)
		}
		if f[5] == "GET" && f[7] == "/api/x" && f[13] == "Hit" {
			hitLine = f
		}
	}
	if hitLine == nil || hitLine[8] != "200" || hitLine[3] != "3" || hitLine[16] != "http" {
		t.Errorf("no log line for the hit on /api/x (status 200, 3 bytes, http): %v", hitLine)
	}
	if got := testutil.ToFloat64(s.metrics.requests.WithLabelValues("ETEST", "Hit")); got < 1 {
		t.Errorf("coffer_edge_requests_total{result=Hit} = %v", got)
	}
	if n, err := testutil.GatherAndCount(reg, "coffer_edge_origin_requests_total"); err != nil || n == 0 {
		t.Errorf("coffer_edge_origin_requests_total: %d series, %v", n, err)
	}
}
