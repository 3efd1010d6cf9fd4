package edge

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the edge's per-distribution metrics, coffer_edge_*.
type Metrics struct {
	reg           prometheus.Registerer
	requests      *prometheus.CounterVec   // distribution, result
	bytes         *prometheus.CounterVec   // distribution
	originFetches *prometheus.CounterVec   // distribution, outcome
	originLatency *prometheus.HistogramVec // distribution
}

// NewMetrics registers the edge's metrics in reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "coffer_edge_requests_total",
			Help: "Viewer requests by distribution and result (Hit, RefreshHit, Miss, Error, Redirect); the hit ratio is Hit+RefreshHit over all."},
			[]string{"distribution", "result"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "coffer_edge_response_bytes_total",
			Help: "Body bytes sent to viewers."}, []string{"distribution"}),
		originFetches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "coffer_edge_origin_requests_total",
			Help: "Requests the edge made to origins, by outcome (ok, error)."}, []string{"distribution", "outcome"}),
		originLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "coffer_edge_origin_latency_seconds",
			Help: "Time to the origin's response headers.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)},
			[]string{"distribution"}),
	}
	reg.MustRegister(m.requests, m.bytes, m.originFetches, m.originLatency)
	return m
}

func (m *Metrics) request(dist, result string, bytes int64) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(dist, result).Inc()
	m.bytes.WithLabelValues(dist).Add(float64(bytes))
}

func (m *Metrics) originFetch(dist string, d time.Duration, err error) {
	if m == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.originFetches.WithLabelValues(dist, outcome).Inc()
	m.originLatency.WithLabelValues(dist).Observe(d.Seconds())
}
