package meta

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/coffer-project/coffer/internal/s3"
)

// UsageRow is the storage one bucket uses in one storage class.
//
// Objects and Bytes count every stored version that is not a delete
// marker, current and noncurrent alike, as AWS's NumberOfObjects and
// BucketSizeBytes storage metrics do: each retained version is stored,
// and billed. Sizes are plaintext sizes (Version.Size), not the longer
// encrypted form on disk.
type UsageRow struct {
	Bucket string
	// Owner is the bucket owner's account ID.
	Owner string
	// StorageClass is the class the versions are stored in; versions
	// stored without one count as STANDARD.
	StorageClass string
	Objects      int64
	Bytes        int64
	// BillableBytes is what AWS would bill in this class for the bucket's
	// versions; see Billable.
	BillableBytes int64
	// NoncurrentObjects and NoncurrentBytes are the part of Objects and
	// Bytes that is noncurrent versions.
	NoncurrentObjects int64
	NoncurrentBytes   int64
	// DeleteMarkers counts the bucket's delete markers (which carry no
	// storage class: they count as STANDARD, with no bytes).
	DeleteMarkers int64
}

// AWS's storage billing, from the Amazon S3 pricing page and the S3 User
// Guide ("Understanding archival storage in S3 Glacier Flexible Retrieval
// and S3 Glacier Deep Archive", cost considerations). AWS writes KB; its
// own calculator converts at 1,024, so these are KiB.
const (
	// MinBillableSize: STANDARD_IA, ONEZONE_IA and GLACIER_IR have a
	// minimum billable object size of 128 KB. A smaller object is stored
	// but billed as 128 KB in its class. (INTELLIGENT_TIERING has no
	// minimum: its objects under 128 KB are simply not tiered.)
	MinBillableSize = 128 << 10
	// ArchiveIndexOverhead: for each object archived in GLACIER or
	// DEEP_ARCHIVE, 32 KB of index and metadata billed at the archive
	// class's rate …
	ArchiveIndexOverhead = 32 << 10
	// ArchiveNameOverhead: … and 8 KB for the object's name and
	// metadata, which S3 keeps so that archived objects can be listed,
	// billed at STANDARD rates.
	ArchiveNameOverhead = 8 << 10
)

// hasMinBillableSize reports whether class bills small objects as
// MinBillableSize.
func hasMinBillableSize(class string) bool {
	switch class {
	case s3.StorageStandardIA, s3.StorageOneZoneIA, s3.StorageGlacierIR:
		return true
	}
	return false
}

// Billable returns the bytes AWS bills in class for objects versions
// holding bytes bytes, of which the ones smaller than MinBillableSize fall
// short of it by shortfall bytes in all. The ArchiveNameOverhead of an
// archive class is billed in STANDARD, so it is not part of the result:
// Usage adds it to the bucket's STANDARD row.
func Billable(class string, objects, bytes, shortfall int64) int64 {
	switch {
	case hasMinBillableSize(class):
		return bytes + shortfall
	case s3.IsArchiveClass(class):
		return bytes + objects*ArchiveIndexOverhead
	}
	return bytes
}

// Usage returns the storage used per bucket and storage class: of bucket,
// or of every bucket if bucket is "". A bucket appears even when empty (as
// one STANDARD row of zeros); a bucket that stores archived objects has a
// STANDARD row for their ArchiveNameOverhead even if nothing else is
// STANDARD. Rows are in bucket, then class order. Returns ErrNoSuchBucket
// if a named bucket does not exist.
//
// One aggregate query over the versions table, in one snapshot: its cost
// grows with the number of versions, which is why callers cache the
// result.
func (s *SQL) Usage(ctx context.Context, bucket string) ([]UsageRow, error) {
	// Every aggregate is a CASE so that one pass counts versions and
	// delete markers, and a bucket without versions (whose joined
	// columns are NULL) sums to zeros. SUM of a BIGINT column is NUMERIC
	// in PostgreSQL; the CAST keeps every column an integer in both
	// dialects.
	q := `SELECT b.name, b.owner, COALESCE(v.storage_class, ''),
		CAST(SUM(CASE WHEN v.delete_marker = 0 THEN 1 ELSE 0 END) AS BIGINT),
		CAST(SUM(CASE WHEN v.delete_marker = 0 THEN v.size ELSE 0 END) AS BIGINT),
		CAST(SUM(CASE WHEN v.delete_marker = 0 AND v.size < ? THEN ? - v.size ELSE 0 END) AS BIGINT),
		CAST(SUM(CASE WHEN v.delete_marker = 0 AND v.is_latest = 0 THEN 1 ELSE 0 END) AS BIGINT),
		CAST(SUM(CASE WHEN v.delete_marker = 0 AND v.is_latest = 0 THEN v.size ELSE 0 END) AS BIGINT),
		CAST(SUM(CASE WHEN v.delete_marker = 1 THEN 1 ELSE 0 END) AS BIGINT)
		FROM buckets b LEFT JOIN versions v ON v.bucket = b.name`
	args := []any{MinBillableSize, MinBillableSize}
	if bucket != "" {
		q += ` WHERE b.name = ?`
		args = append(args, bucket)
	}
	q += ` GROUP BY b.name, b.owner, v.storage_class`

	type key struct{ bucket, class string }
	sums := map[key]*UsageRow{}
	err := s.read(ctx, func(t *txn) error {
		rows, err := t.query(q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r UsageRow
			var shortfall int64
			if err := rows.Scan(&r.Bucket, &r.Owner, &r.StorageClass, &r.Objects, &r.Bytes, &shortfall,
				&r.NoncurrentObjects, &r.NoncurrentBytes, &r.DeleteMarkers); err != nil {
				return err
			}
			if r.StorageClass == "" {
				r.StorageClass = s3.StorageStandard
			}
			r.BillableBytes = Billable(r.StorageClass, r.Objects, r.Bytes, shortfall)
			// Versions written without a class and delete markers
			// land in the same STANDARD row as explicit STANDARD ones.
			sum := sums[key{r.Bucket, r.StorageClass}]
			if sum == nil {
				sum = &UsageRow{Bucket: r.Bucket, Owner: r.Owner, StorageClass: r.StorageClass}
				sums[key{r.Bucket, r.StorageClass}] = sum
			}
			sum.add(r)
			if s3.IsArchiveClass(r.StorageClass) && r.Objects > 0 {
				std := sums[key{r.Bucket, s3.StorageStandard}]
				if std == nil {
					std = &UsageRow{Bucket: r.Bucket, Owner: r.Owner, StorageClass: s3.StorageStandard}
					sums[key{r.Bucket, s3.StorageStandard}] = std
				}
				std.BillableBytes += r.Objects * ArchiveNameOverhead
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("meta: usage %s: %w", bucket, err)
	}
	if bucket != "" && len(sums) == 0 {
		return nil, fmt.Errorf("meta: usage %s: %w", bucket, ErrNoSuchBucket)
	}
	out := make([]UsageRow, 0, len(sums))
	for _, r := range sums {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b UsageRow) int {
		return cmp.Or(cmp.Compare(a.Bucket, b.Bucket), cmp.Compare(a.StorageClass, b.StorageClass))
	})
	return out, nil
}

func (r *UsageRow) add(o UsageRow) {
	r.Objects += o.Objects
	r.Bytes += o.Bytes
	r.BillableBytes += o.BillableBytes
	r.NoncurrentObjects += o.NoncurrentObjects
	r.NoncurrentBytes += o.NoncurrentBytes
	r.DeleteMarkers += o.DeleteMarkers
}
