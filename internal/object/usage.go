package object

import (
	"context"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/coffer-project/coffer/internal/meta"
)

// DefaultUsageCacheTTL is the default Service.UsageCacheTTL.
//
// Why cache: usage is one aggregate scan over every stored version, and
// Prometheus scrapes /metrics every 15 to 60 seconds, possibly from
// several servers at once. Reused for 30 s, a store of millions of
// objects is scanned at most twice a minute however often it is asked,
// and the figures are never more than 30 s old. Storage use changes
// slowly: AWS itself publishes its storage metrics once a day.
const DefaultUsageCacheTTL = 30 * time.Second

// usageCache holds recent Usage results by bucket ("" for all). Its zero
// value is ready to use.
type usageCache struct {
	mu      sync.Mutex
	entries map[string]usageEntry
	// flight makes concurrent callers for one bucket share one scan.
	flight singleflight.Group
}

type usageEntry struct {
	at   time.Time
	rows []meta.UsageRow
}

// Usage returns the storage used per bucket and storage class (see
// meta.UsageRow): of bucket, or of every bucket if bucket is "". A result
// may be up to UsageCacheTTL old. Returns ErrNoSuchBucket if a named
// bucket does not exist.
func (s *Service) Usage(ctx context.Context, bucket string) ([]meta.UsageRow, error) {
	ttl := s.UsageCacheTTL
	if ttl == 0 {
		ttl = DefaultUsageCacheTTL
	}
	if ttl < 0 {
		rows, err := s.Meta.Usage(ctx, bucket)
		return rows, fromMeta(err)
	}
	c := &s.usage
	if rows, ok := c.get(bucket, s.now(), ttl); ok {
		return rows, nil
	}
	// The scan runs on after a caller gives up, so that the callers
	// sharing it, and the next ones, still get its result.
	ch := c.flight.DoChan(bucket, func() (any, error) {
		// Aged from the start of the scan: its snapshot is no newer.
		start := s.now()
		rows, err := s.Meta.Usage(context.WithoutCancel(ctx), bucket)
		if err != nil {
			return nil, fromMeta(err)
		}
		c.put(bucket, rows, start, ttl)
		return rows, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return slices.Clone(res.Val.([]meta.UsageRow)), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// get returns a copy of bucket's result if it is younger than ttl.
func (c *usageCache) get(bucket string, now time.Time, ttl time.Duration) ([]meta.UsageRow, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[bucket]
	if !ok || now.Sub(e.at) >= ttl {
		return nil, false
	}
	return slices.Clone(e.rows), true
}

// put stores a result and drops the expired ones, so that the cache holds
// no more than the buckets asked about within ttl.
func (c *usageCache) put(bucket string, rows []meta.UsageRow, now time.Time, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[string]usageEntry)
	}
	for b, e := range c.entries {
		if now.Sub(e.at) >= ttl {
			delete(c.entries, b)
		}
	}
	c.entries[bucket] = usageEntry{at: now, rows: rows}
}
