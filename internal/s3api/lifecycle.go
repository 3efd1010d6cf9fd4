package s3api

import (
	"net/http"
	"time"

	"github.com/coffer-project/coffer/internal/lifecycle"
	"github.com/coffer-project/coffer/internal/s3err"
	"github.com/coffer-project/coffer/internal/s3xml"
)

// transitionMinimumHeader is x-amz-transition-default-minimum-object-size:
// put with the configuration, and answered by PUT and GET with the value in
// effect (the API reference of Put- and GetBucketLifecycleConfiguration).
const transitionMinimumHeader = "X-Amz-Transition-Default-Minimum-Object-Size"

func (h *handler) getBucketLifecycle(q *request) error {
	cfg, err := h.obj.GetBucketLifecycle(q.r.Context(), q.op.Bucket)
	if err != nil {
		return err
	}
	q.w.Header().Set(transitionMinimumHeader, cfg.TransitionDefault())
	return writeXML(q.w, http.StatusOK, lifecycleToXML(cfg))
}

func (h *handler) putBucketLifecycle(q *request) error {
	// S3 requires an integrity check of the document: Content-MD5 or a
	// flexible checksum (the SDKs send one of them by themselves).
	if q.r.Header.Get("Content-MD5") == "" && !hasAnyChecksum(q) {
		return &s3err.Error{Code: s3err.InvalidRequest, Message: "Missing required header for this request: Content-MD5"}
	}
	// S3 answers NoSuchBucket before it reads the document.
	if _, err := h.bucketOf(q); err != nil {
		return err
	}
	var doc s3xml.LifecycleConfiguration
	if err := decodeXML(q, &doc); err != nil {
		return err
	}
	cfg := lifecycleFromXML(doc)
	// Absent (or empty) means the default; the engine refuses unknown values.
	cfg.TransitionMinimumSize = q.r.Header.Get(transitionMinimumHeader)
	if err := h.obj.PutBucketLifecycle(q.r.Context(), q.op.Bucket, cfg); err != nil {
		return err
	}
	q.w.Header().Set(transitionMinimumHeader, cfg.TransitionDefault())
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *handler) deleteBucketLifecycle(q *request) error {
	if err := h.obj.DeleteBucketLifecycle(q.r.Context(), q.op.Bucket); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// lifecycleFromXML turns the request document into the engine's model; the
// engine validates it.
func lifecycleFromXML(doc s3xml.LifecycleConfiguration) lifecycle.Configuration {
	cfg := lifecycle.Configuration{Rules: make([]lifecycle.Rule, 0, len(doc.Rules))}
	for _, x := range doc.Rules {
		r := lifecycle.Rule{ID: x.ID, Status: x.Status, Prefix: x.Prefix}
		if f := x.Filter; f != nil {
			r.Filter = &lifecycle.Filter{Prefix: f.Prefix, ObjectSizeGreaterThan: f.ObjectSizeGreaterThan, ObjectSizeLessThan: f.ObjectSizeLessThan}
			if f.Tag != nil {
				r.Filter.Tag = &lifecycle.Tag{Key: f.Tag.Key, Value: f.Tag.Value}
			}
			if a := f.And; a != nil {
				r.Filter.And = &lifecycle.And{ObjectSizeGreaterThan: a.ObjectSizeGreaterThan, ObjectSizeLessThan: a.ObjectSizeLessThan}
				if a.Prefix != nil {
					r.Filter.And.Prefix = *a.Prefix
				}
				for _, t := range a.Tags {
					r.Filter.And.Tags = append(r.Filter.And.Tags, lifecycle.Tag{Key: t.Key, Value: t.Value})
				}
			}
		}
		for _, t := range x.Transitions {
			r.Transitions = append(r.Transitions, lifecycle.Transition{Days: t.Days, Date: fromXMLTime(t.Date), StorageClass: t.StorageClass})
		}
		if e := x.Expiration; e != nil {
			r.Expiration = &lifecycle.ExpirationAction{Days: e.Days, Date: fromXMLTime(e.Date), ExpiredObjectDeleteMarker: e.ExpiredObjectDeleteMarker}
		}
		for _, t := range x.NoncurrentVersionTransitions {
			r.NoncurrentVersionTransitions = append(r.NoncurrentVersionTransitions, lifecycle.NoncurrentVersionTransition{
				NoncurrentDays: t.NoncurrentDays, NewerNoncurrentVersions: t.NewerNoncurrentVersions, StorageClass: t.StorageClass})
		}
		if e := x.NoncurrentVersionExpiration; e != nil {
			r.NoncurrentVersionExpiration = &lifecycle.NoncurrentVersionExpiration{NoncurrentDays: e.NoncurrentDays, NewerNoncurrentVersions: e.NewerNoncurrentVersions}
		}
		if a := x.AbortIncompleteMultipartUpload; a != nil {
			r.AbortIncompleteMultipartUpload = &lifecycle.AbortIncompleteMultipartUpload{DaysAfterInitiation: a.DaysAfterInitiation}
		}
		cfg.Rules = append(cfg.Rules, r)
	}
	return cfg
}

// lifecycleToXML is the GetBucketLifecycleConfiguration document of cfg.
func lifecycleToXML(cfg lifecycle.Configuration) s3xml.LifecycleConfiguration {
	var doc s3xml.LifecycleConfiguration
	for _, r := range cfg.Rules {
		x := s3xml.LifecycleRule{ID: r.ID, Status: r.Status, Prefix: r.Prefix}
		if f := r.Filter; f != nil {
			x.Filter = &s3xml.LifecycleFilter{Prefix: f.Prefix, ObjectSizeGreaterThan: f.ObjectSizeGreaterThan, ObjectSizeLessThan: f.ObjectSizeLessThan}
			if f.Tag != nil {
				x.Filter.Tag = &s3xml.Tag{Key: f.Tag.Key, Value: f.Tag.Value}
			}
			if a := f.And; a != nil {
				x.Filter.And = &s3xml.LifecycleRuleAndOperator{ObjectSizeGreaterThan: a.ObjectSizeGreaterThan, ObjectSizeLessThan: a.ObjectSizeLessThan}
				if a.Prefix != "" {
					x.Filter.And.Prefix = &a.Prefix
				}
				for _, t := range a.Tags {
					x.Filter.And.Tags = append(x.Filter.And.Tags, s3xml.Tag{Key: t.Key, Value: t.Value})
				}
			}
		}
		for _, t := range r.Transitions {
			x.Transitions = append(x.Transitions, s3xml.Transition{Days: t.Days, Date: toXMLTime(t.Date), StorageClass: t.StorageClass})
		}
		if e := r.Expiration; e != nil {
			x.Expiration = &s3xml.LifecycleExpiration{Days: e.Days, Date: toXMLTime(e.Date), ExpiredObjectDeleteMarker: e.ExpiredObjectDeleteMarker}
		}
		for _, t := range r.NoncurrentVersionTransitions {
			x.NoncurrentVersionTransitions = append(x.NoncurrentVersionTransitions, s3xml.NoncurrentVersionTransition{
				NoncurrentDays: t.NoncurrentDays, NewerNoncurrentVersions: t.NewerNoncurrentVersions, StorageClass: t.StorageClass})
		}
		if e := r.NoncurrentVersionExpiration; e != nil {
			x.NoncurrentVersionExpiration = &s3xml.NoncurrentVersionExpiration{NoncurrentDays: e.NoncurrentDays, NewerNoncurrentVersions: e.NewerNoncurrentVersions}
		}
		if a := r.AbortIncompleteMultipartUpload; a != nil {
			x.AbortIncompleteMultipartUpload = &s3xml.AbortIncompleteMultipartUpload{DaysAfterInitiation: a.DaysAfterInitiation}
		}
		doc.Rules = append(doc.Rules, x)
	}
	return doc
}

func fromXMLTime(t *s3xml.Time) *time.Time {
	if t == nil {
		return nil
	}
	return &t.Time
}

func toXMLTime(t *time.Time) *s3xml.Time {
	if t == nil {
		return nil
	}
	return &s3xml.Time{Time: *t}
}
