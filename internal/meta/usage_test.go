package meta_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/meta"
)

// usageVersion is a version of size bytes in class, its data in one blob.
func usageVersion(bucket, key, versionID, class string, size int64) meta.Version {
	return meta.Version{
		Bucket: bucket, Key: key, VersionID: versionID, Owner: "owner", StorageClass: class,
		LastModified: time.Unix(1700000000, 0).UTC(), Size: size, ETag: "etag",
		Parts: []meta.Part{{BlobID: fmt.Sprintf("blob-%s-%s-%s", bucket, key, versionID), Size: size, ETag: "etag"}},
	}
}

func usageDeleteMarker(bucket, key, versionID string) meta.Version {
	return meta.Version{Bucket: bucket, Key: key, VersionID: versionID, Owner: "owner", DeleteMarker: true,
		LastModified: time.Unix(1700000000, 0).UTC()}
}

func TestSQLiteUsage(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t, filepath.Join(t.TempDir(), "meta.db"))
	for _, b := range []meta.Bucket{
		{Name: "alpha", Owner: "111111111111"},
		{Name: "beta", Owner: "222222222222"},
		{Name: "empty", Owner: "111111111111"},
	} {
		if err := s.CreateBucket(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	const kib = 1 << 10
	for _, v := range []meta.Version{
		// alpha: STANDARD written with and without the class, a
		// noncurrent version and a delete marker over it.
		usageVersion("alpha", "a", "v1", "", 100),
		usageVersion("alpha", "a", "v2", "STANDARD", 300),
		usageVersion("alpha", "b", "v1", "STANDARD", 50),
		usageDeleteMarker("alpha", "b", "v2"),
		// Small and large objects in the classes with a 128 KiB minimum.
		usageVersion("alpha", "ia-small", "v1", "STANDARD_IA", 1*kib),
		usageVersion("alpha", "ia-large", "v1", "STANDARD_IA", 200*kib),
		usageVersion("alpha", "oz-small", "v1", "ONEZONE_IA", 0),
		usageVersion("alpha", "gir-small", "v1", "GLACIER_IR", 128*kib-1),
		// No minimum for INTELLIGENT_TIERING or REDUCED_REDUNDANCY.
		usageVersion("alpha", "it-small", "v1", "INTELLIGENT_TIERING", 10),
		usageVersion("alpha", "rrs-small", "v1", "REDUCED_REDUNDANCY", 10),
		// beta: archives only, one of them noncurrent.
		usageVersion("beta", "g", "v1", "GLACIER", 10),
		usageVersion("beta", "g", "v2", "GLACIER", 1000),
		usageVersion("beta", "d", "v1", "DEEP_ARCHIVE", 5),
	} {
		if _, err := s.CommitVersion(ctx, v, nil); err != nil {
			t.Fatalf("CommitVersion %s/%s %s: %v", v.Bucket, v.Key, v.VersionID, err)
		}
	}

	alpha := []meta.UsageRow{
		{Bucket: "alpha", Owner: "111111111111", StorageClass: "GLACIER_IR", Objects: 1, Bytes: 128*kib - 1, BillableBytes: 128 * kib},
		{Bucket: "alpha", Owner: "111111111111", StorageClass: "INTELLIGENT_TIERING", Objects: 1, Bytes: 10, BillableBytes: 10},
		{Bucket: "alpha", Owner: "111111111111", StorageClass: "ONEZONE_IA", Objects: 1, Bytes: 0, BillableBytes: 128 * kib},
		{Bucket: "alpha", Owner: "111111111111", StorageClass: "REDUCED_REDUNDANCY", Objects: 1, Bytes: 10, BillableBytes: 10},
		{Bucket: "alpha", Owner: "111111111111", StorageClass: "STANDARD", Objects: 3, Bytes: 450, BillableBytes: 450,
			NoncurrentObjects: 2, NoncurrentBytes: 150, DeleteMarkers: 1},
		{Bucket: "alpha", Owner: "111111111111", StorageClass: "STANDARD_IA", Objects: 2, Bytes: 201 * kib, BillableBytes: 328 * kib},
	}
	beta := []meta.UsageRow{
		{Bucket: "beta", Owner: "222222222222", StorageClass: "DEEP_ARCHIVE", Objects: 1, Bytes: 5, BillableBytes: 5 + 32*kib},
		{Bucket: "beta", Owner: "222222222222", StorageClass: "GLACIER", Objects: 2, Bytes: 1010, BillableBytes: 1010 + 2*32*kib,
			NoncurrentObjects: 1, NoncurrentBytes: 10},
		// The archives' names and metadata, billed as STANDARD.
		{Bucket: "beta", Owner: "222222222222", StorageClass: "STANDARD", BillableBytes: 3 * 8 * kib},
	}
	empty := []meta.UsageRow{{Bucket: "empty", Owner: "111111111111", StorageClass: "STANDARD"}}

	tests := []struct {
		name   string
		bucket string
		want   []meta.UsageRow
	}{
		{"every bucket", "", append(append(append([]meta.UsageRow{}, alpha...), beta...), empty...)},
		{"one bucket", "alpha", alpha},
		{"archives add their overhead", "beta", beta},
		{"an empty bucket", "empty", empty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Usage(ctx, tt.bucket)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Usage(%q):\n got  %+v\n want %+v", tt.bucket, got, tt.want)
			}
		})
	}

	t.Run("a missing bucket", func(t *testing.T) {
		if _, err := s.Usage(ctx, "missing"); !errors.Is(err, meta.ErrNoSuchBucket) {
			t.Errorf("Usage(missing) error = %v, want ErrNoSuchBucket", err)
		}
	})

	t.Run("deletes are counted away", func(t *testing.T) {
		if _, err := s.DeleteVersion(ctx, "beta", "g", "v1", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeleteVersion(ctx, "beta", "d", "v1", nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.Usage(ctx, "beta")
		if err != nil {
			t.Fatal(err)
		}
		want := []meta.UsageRow{
			{Bucket: "beta", Owner: "222222222222", StorageClass: "GLACIER", Objects: 1, Bytes: 1000, BillableBytes: 1000 + 32*kib},
			{Bucket: "beta", Owner: "222222222222", StorageClass: "STANDARD", BillableBytes: 8 * kib},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Usage(beta) after deletes:\n got  %+v\n want %+v", got, want)
		}
	})
}

func TestBillable(t *testing.T) {
	tests := []struct {
		class                     string
		objects, bytes, shortfall int64
		want                      int64
	}{
		{"STANDARD", 2, 10, 262134, 10},
		{"STANDARD_IA", 2, 10, 262134, 262144},
		{"ONEZONE_IA", 1, 0, 131072, 131072},
		{"GLACIER_IR", 1, 131072, 0, 131072},
		{"INTELLIGENT_TIERING", 1, 1, 131071, 1},
		{"GLACIER", 3, 100, 0, 100 + 3*32768},
		{"DEEP_ARCHIVE", 1, 1 << 30, 0, 1<<30 + 32768},
	}
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			if got := meta.Billable(tt.class, tt.objects, tt.bytes, tt.shortfall); got != tt.want {
				t.Errorf("Billable(%s, %d, %d, %d) = %d, want %d", tt.class, tt.objects, tt.bytes, tt.shortfall, got, tt.want)
			}
		})
	}
}
