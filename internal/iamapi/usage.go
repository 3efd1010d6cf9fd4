package iamapi

import (
	"context"
	"errors"

	"github.com/coffer-project/coffer/internal/iam"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/object"
)

// UsageSource reports storage use per bucket and storage class
// (object.Service).
type UsageSource interface {
	// Usage returns the usage of bucket, or of every bucket if bucket is
	// "". Returns an error wrapping object.ErrNoSuchBucket if a named
	// bucket does not exist.
	Usage(ctx context.Context, bucket string) ([]meta.UsageRow, error)
}

// usageResource is what GetUsage is authorized against: the bucket's ARN
// when the request names one, else every resource ("*").
func usageResource(_ *Handler, q *request) string {
	if b := q.get("Bucket"); b != "" {
		return "arn:aws:s3:::" + b
	}
	return "*"
}

type usageXML struct {
	Bucket            string
	AccountID         string `xml:"AccountId"`
	StorageClass      string
	Objects           int64
	Bytes             int64
	BillableBytes     int64
	NoncurrentObjects int64
	NoncurrentBytes   int64
	DeleteMarkers     int64
}

// getUsage answers GetUsage, an action of coffer's own (`coffer admin
// usage` sends it): storage use per bucket and storage class, of the
// bucket named by the optional Bucket parameter or of all buckets,
// paginated as IAM's List actions are (MaxItems, Marker). The operator
// sees every account's buckets; anyone else only the caller's account's.
// Who may call it is decided as for every IAM action: an account's root
// user may; an IAM user or role needs iam:GetUsage allowed on the
// bucket's ARN (arn:aws:s3:::BUCKET) when naming a bucket, on "*"
// otherwise. Figures may be up to object.DefaultUsageCacheTTL old.
func (h *Handler) getUsage(q *request) error {
	if h.Usage == nil {
		return errors.New("iamapi: GetUsage: no usage source configured")
	}
	bucket := q.get("Bucket")
	rows, err := h.Usage.Usage(q.r.Context(), bucket)
	if errors.Is(err, object.ErrNoSuchBucket) {
		return &iam.Error{Code: iam.CodeNoSuchEntity, Message: "The bucket with name " + bucket + " cannot be found."}
	}
	if err != nil {
		return err
	}
	if !q.caller.Operator {
		var mine []meta.UsageRow
		for _, r := range rows {
			if r.Owner == q.account {
				mine = append(mine, r)
			}
		}
		if bucket != "" && len(mine) == 0 {
			return &iam.Error{Code: iam.CodeAccessDenied, Message: "User: " + q.caller.ARN + " is not authorized to perform: iam:GetUsage on resource: arn:aws:s3:::" + bucket + " (the bucket belongs to another account)"}
		}
		rows = mine
	}
	pg, more, marker, err := page(q, rows)
	if err != nil {
		return err
	}
	out := struct {
		Usage []usageXML `xml:"Usage>member"`
		truncation
	}{Usage: []usageXML{}, truncation: truncation{more, marker}}
	for _, r := range pg {
		out.Usage = append(out.Usage, usageXML{Bucket: r.Bucket, AccountID: r.Owner, StorageClass: r.StorageClass,
			Objects: r.Objects, Bytes: r.Bytes, BillableBytes: r.BillableBytes,
			NoncurrentObjects: r.NoncurrentObjects, NoncurrentBytes: r.NoncurrentBytes, DeleteMarkers: r.DeleteMarkers})
	}
	return h.write(q, out)
}
