package server

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/coffer-project/coffer/internal/lifecycle"
)

// registerScannerMetrics exports the lifecycle scanner's counters as
// coffer_lifecycle_*.
func registerScannerMetrics(reg prometheus.Registerer, st *lifecycle.Stats) {
	counter := func(name, help string, v *atomic.Int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "coffer_lifecycle_" + name, Help: help},
			func() float64 { return float64(v.Load()) })
	}
	actions := prometheus.NewDesc("coffer_lifecycle_actions_total", "Lifecycle actions carried out, by action.", []string{"action"}, nil)
	reg.MustRegister(
		counter("runs_total", "Completed lifecycle scanner runs.", &st.Runs),
		counter("versions_scanned_total", "Object versions and delete markers the lifecycle scanner evaluated.", &st.Versions),
		counter("uploads_scanned_total", "Incomplete multipart uploads the lifecycle scanner evaluated.", &st.Uploads),
		counter("errors_total", "Lifecycle actions that failed (retried on the next run).", &st.Errors),
		counter("skipped_mfa_delete_total", "Permanent deletions lifecycle rules asked for in buckets with MFA Delete enabled, not done.", &st.SkippedMFADelete),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "coffer_lifecycle_last_run_seconds", Help: "Duration of the last completed lifecycle scanner run."},
			func() float64 { return float64(st.LastRunMillis.Load()) / 1000 }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "coffer_lifecycle_last_run_end_timestamp_seconds", Help: "Unix time at which the last lifecycle scanner run ended."},
			func() float64 { return float64(st.LastRunEnd.Load()) }),
		collectorFunc{desc: actions, collect: func(ch chan<- prometheus.Metric) {
			for _, a := range []struct {
				name string
				v    *atomic.Int64
			}{
				{"transition", &st.Transitions}, {"expire", &st.Expirations}, {"delete_version", &st.DeletedVersions},
				{"abort_upload", &st.AbortedUploads}, {"expire_restore", &st.ExpiredRestores},
			} {
				ch <- prometheus.MustNewConstMetric(actions, prometheus.CounterValue, float64(a.v.Load()), a.name)
			}
		}},
	)
}

// collectorFunc is a collector of one metric family computed at scrape
// time.
type collectorFunc struct {
	desc    *prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

func (c collectorFunc) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }
func (c collectorFunc) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }
