package inproc

import (
	"bufio"
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, serverOptions{})
	c := ts.client(styles[0])
	for _, path := range []string{"/health/live", "/health/ready"} {
		resp, body := c.do(t, newRequest(t, http.MethodGet, "http://"+ts.plain.Listener.Addr().String()+path, nil))
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d %q, want 200", path, resp.StatusCode, body)
		}
	}

	// Drive a few operations, including a failing one.
	b := c.mkBucket(t, "metrics")
	for range 3 {
		c.put(t, b, "m", []byte("metric me"))
	}
	c.get(t, b, "m")
	c.listAll(t, b, "")

	resp, body := c.do(t, newRequest(t, http.MethodGet, "http://"+ts.plain.Listener.Addr().String()+"/metrics", nil))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %q", resp.StatusCode, body)
	}
	for _, op := range []struct {
		name string
		min  float64
	}{{"CreateBucket", 1}, {"PutObject", 3}, {"GetObject", 1}, {"ListObjectsV2", 1}} {
		if got := counterSum(body, op.name); got < op.min {
			t.Errorf("/metrics: request counters (*_total) labelled %q sum to %v, want ≥ %v", op.name, got, op.min)
		}
	}
	if !bytes.Contains(body, []byte("_bucket{")) {
		t.Errorf("/metrics has no histogram (latency) buckets")
	}
	if t.Failed() {
		t.Logf("/metrics:\n%.4000s", body)
	}
}

// counterSum adds up the samples of counters (metric names ending in
// _total) that carry the label value "op".
func counterSum(exposition []byte, op string) float64 {
	var sum float64
	sc := bufio.NewScanner(bytes.NewReader(exposition))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, rest, ok := strings.Cut(line, "{")
		if !ok || !strings.HasSuffix(name, "_total") || !strings.Contains(rest, `"`+op+`"`) {
			continue
		}
		i := strings.LastIndex(rest, "}")
		if i < 0 {
			continue
		}
		fields := strings.Fields(rest[i+1:])
		if len(fields) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(fields[0], 64); err == nil {
			sum += v
		}
	}
	return sum
}
