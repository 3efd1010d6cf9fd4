package s3api

import (
	"io"
	"net/http"

	"github.com/coffer-project/coffer/internal/object"
	"github.com/coffer-project/coffer/internal/s3xml"
)

func (h *handler) putBucketPolicy(q *request) error {
	// One byte past the limit is enough for the engine to refuse it.
	doc, err := io.ReadAll(io.LimitReader(q.auth.Body, object.MaxBucketPolicySize+1))
	if err != nil {
		return err
	}
	if len(doc) <= object.MaxBucketPolicySize {
		if err := checkContentMD5(q, doc); err != nil {
			return err
		}
	}
	if err := h.blockPublicPolicy(q, doc); err != nil {
		return err
	}
	if err := h.obj.PutBucketPolicy(q.r.Context(), q.op.Bucket, doc); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// blockPublicPolicy refuses a public bucket policy while Block Public
// Access blocks them (a malformed one is left to the engine to refuse).
func (h *handler) blockPublicPolicy(q *request, doc []byte) error {
	if q.bucket == nil {
		return nil
	}
	p, err := object.ParseBucketPolicy(q.op.Bucket, doc)
	if err != nil || !object.PolicyIsPublic(p) {
		return nil
	}
	pab, err := h.publicAccessBlock(q.r.Context(), q.bucket)
	if err != nil {
		return err
	}
	if pab.BlockPublicPolicy {
		return errAccessDenied
	}
	return nil
}

func (h *handler) getBucketPolicy(q *request) error {
	doc, err := h.obj.GetBucketPolicy(q.r.Context(), q.op.Bucket)
	if err != nil {
		return err
	}
	q.w.Header().Set("Content-Type", "application/json")
	q.w.Header().Set("Content-Length", itoa(int64(len(doc))))
	q.w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(q.w, doc)
	return nil
}

func (h *handler) deleteBucketPolicy(q *request) error {
	if err := h.obj.DeleteBucketPolicy(q.r.Context(), q.op.Bucket); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) getBucketPolicyStatus(q *request) error {
	public, err := h.obj.GetBucketPolicyStatus(q.r.Context(), q.op.Bucket)
	if err != nil {
		return err
	}
	return writeXML(q.w, http.StatusOK, s3xml.PolicyStatus{IsPublic: public})
}
