package object

import (
	"errors"
	"testing"
	"time"
)

// usageObjects returns the number of objects Usage reports for bucket.
func (e *env) usageObjects(bucket string) int64 {
	e.t.Helper()
	rows, err := e.svc.Usage(e.ctx, bucket)
	if err != nil {
		e.t.Fatalf("Usage(%q): %v", bucket, err)
	}
	var n int64
	for _, r := range rows {
		n += r.Objects
	}
	return n
}

func TestUsageCache(t *testing.T) {
	t.Run("a result is reused for UsageCacheTTL", func(t *testing.T) {
		e := newEnv(t)
		e.bucket("b", "")
		e.put("b", "one", "1")
		if n := e.usageObjects(""); n != 1 {
			t.Fatalf("Usage counts %d objects, want 1", n)
		}
		e.put("b", "two", "2")
		if n := e.usageObjects(""); n != 1 {
			t.Errorf("Usage within the TTL counts %d objects, want the cached 1", n)
		}
		if n := e.usageObjects("b"); n != 2 {
			t.Errorf("Usage of bucket b (not cached yet) counts %d objects, want 2", n)
		}
		e.clock.Set(epoch.Add(DefaultUsageCacheTTL + time.Second))
		if n := e.usageObjects(""); n != 2 {
			t.Errorf("Usage after the TTL counts %d objects, want 2", n)
		}
	})

	t.Run("a negative UsageCacheTTL caches nothing", func(t *testing.T) {
		e := newEnv(t)
		e.svc.UsageCacheTTL = -1
		e.bucket("b", "")
		e.put("b", "one", "1")
		if n := e.usageObjects(""); n != 1 {
			t.Fatalf("Usage counts %d objects, want 1", n)
		}
		e.put("b", "two", "2")
		if n := e.usageObjects(""); n != 2 {
			t.Errorf("Usage counts %d objects, want 2", n)
		}
	})

	t.Run("callers get copies", func(t *testing.T) {
		e := newEnv(t)
		e.svc.UsageCacheTTL = time.Hour
		e.bucket("b", "")
		e.put("b", "one", "1")
		rows, err := e.svc.Usage(e.ctx, "b")
		if err != nil {
			t.Fatal(err)
		}
		rows[0].Objects = 1000
		if n := e.usageObjects("b"); n != 1 {
			t.Errorf("Usage counts %d objects after a caller changed its result, want 1", n)
		}
	})

	t.Run("a missing bucket", func(t *testing.T) {
		e := newEnv(t)
		if _, err := e.svc.Usage(e.ctx, "missing"); !errors.Is(err, ErrNoSuchBucket) {
			t.Errorf("Usage(missing) error = %v, want ErrNoSuchBucket", err)
		}
	})
}
