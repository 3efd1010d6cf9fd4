package httpx

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Chain wraps a service in what every coffer server shares: 100 Continue
// for empty bodies, draining refused bodies (DrainUnread), request IDs, panic recovery, the access log and request
// metrics (named prefix_*, registered in reg), and serves GET /health/live,
// /health/ready and /metrics (reg) itself when probe(r) says the request is
// meant for them (nil probe: every GET to those paths is).
func Chain(log *slog.Logger, reg *prometheus.Registry, prefix string, probe func(*http.Request) bool, service http.Handler) http.Handler {
	m := NewMetrics(reg, prefix)
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && (probe == nil || probe(r)) {
			switch r.URL.Path {
			case "/health/live", "/health/ready":
				InfoFrom(r.Context()).Op = "Health"
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				_, _ = w.Write([]byte("ok\n"))
				return
			case "/metrics":
				InfoFrom(r.Context()).Op = "Metrics"
				metrics.ServeHTTP(w, r)
				return
			}
		}
		service.ServeHTTP(w, r)
	})
	return ContinueEmptyBodies(DrainUnread(WithRequestID(Recover(log, Observe(log, m, root)))))
}
