package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/coffer-project/coffer/internal/meta"
)

// usageSource is what the usage collector reads (object.Service).
type usageSource interface {
	// Usage returns the usage of every bucket when bucket is "".
	Usage(ctx context.Context, bucket string) ([]meta.UsageRow, error)
}

// usageCollectTimeout bounds one scrape's wait for usage figures.
const usageCollectTimeout = 20 * time.Second

// usageCollector exports storage use per bucket and storage class as
// gauges, read at scrape time from the object engine (which caches them
// briefly, so frequent scrapes do not rescan the store).
type usageCollector struct {
	src    usageSource
	log    *slog.Logger
	gauges []usageGauge
}

// usageGauge is one exported figure of a meta.UsageRow.
type usageGauge struct {
	desc  *prometheus.Desc
	value func(meta.UsageRow) int64
}

func newUsageCollector(src usageSource, log *slog.Logger) *usageCollector {
	labels := []string{"bucket", "storage_class"}
	gauge := func(name, help string, value func(meta.UsageRow) int64) usageGauge {
		return usageGauge{prometheus.NewDesc(name, help, labels, nil), value}
	}
	return &usageCollector{src: src, log: log, gauges: []usageGauge{
		gauge("coffer_bucket_objects", "Stored object versions (current and noncurrent, not delete markers) per bucket and storage class.",
			func(r meta.UsageRow) int64 { return r.Objects }),
		gauge("coffer_bucket_bytes", "Bytes of object data (plaintext size) of the versions counted by coffer_bucket_objects.",
			func(r meta.UsageRow) int64 { return r.Bytes }),
		gauge("coffer_bucket_billable_bytes", "Bytes as AWS bills them in the class: 128 KiB at least per object in STANDARD_IA, ONEZONE_IA and GLACIER_IR; 32 KiB more per object in GLACIER and DEEP_ARCHIVE, and 8 KiB per archived object in STANDARD.",
			func(r meta.UsageRow) int64 { return r.BillableBytes }),
		gauge("coffer_bucket_noncurrent_objects", "Noncurrent object versions per bucket and storage class (included in coffer_bucket_objects).",
			func(r meta.UsageRow) int64 { return r.NoncurrentObjects }),
		gauge("coffer_bucket_noncurrent_bytes", "Bytes of noncurrent object versions (included in coffer_bucket_bytes).",
			func(r meta.UsageRow) int64 { return r.NoncurrentBytes }),
		gauge("coffer_bucket_delete_markers", "Delete markers per bucket (reported under storage_class STANDARD).",
			func(r meta.UsageRow) int64 { return r.DeleteMarkers }),
	}}
}

func (c *usageCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, g := range c.gauges {
		ch <- g.desc
	}
}

// Collect exports the figures of every bucket. If they cannot be had, it
// exports none and logs why: an error would fail the whole scrape, taking
// the request metrics down with it, and absent series are what alerts on
// missing data look for.
func (c *usageCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), usageCollectTimeout)
	defer cancel()
	rows, err := c.src.Usage(ctx, "")
	if err != nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "usage metrics unavailable", slog.Any("err", err))
		return
	}
	for _, r := range rows {
		for _, g := range c.gauges {
			ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(g.value(r)), r.Bucket, r.StorageClass)
		}
	}
}
