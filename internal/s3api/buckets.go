package s3api

import (
	"context"
	"net/http"
	"strings"

	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/object"
	"github.com/coffer-project/coffer/internal/s3"
	"github.com/coffer-project/coffer/internal/s3err"
	"github.com/coffer-project/coffer/internal/s3xml"
)

func (h *handler) listBuckets(q *request) error {
	limit, err := intParam(q, "max-buckets", 10000, 10000)
	if err != nil {
		return err
	}
	if limit == 0 {
		return invalidArg("Argument max-buckets must be an integer between 1 and 10000", "max-buckets", "0")
	}
	after := ""
	if tok := q.op.Query.Get("continuation-token"); tok != "" {
		if after, err = decodeToken(tok); err != nil {
			return invalidArg("The continuation token provided is incorrect", "continuation-token", tok)
		}
	}
	prefix := q.op.Query.Get("prefix")
	owner := q.auth.Principal.AccountID
	buckets, more, err := h.obj.ListBuckets(q.r.Context(), owner, prefix, after, limit)
	if err != nil {
		return err
	}
	out := s3xml.ListAllMyBucketsResult{Owner: h.owner(q.r.Context(), owner), Prefix: prefix}
	for _, b := range buckets {
		out.Buckets = append(out.Buckets, s3xml.Bucket{Name: b.Name, CreationDate: s3xml.NewTime(b.Created), BucketRegion: region(b)})
	}
	if more && len(buckets) > 0 {
		out.ContinuationToken = encodeToken(buckets[len(buckets)-1].Name)
	}
	return writeXML(q.w, http.StatusOK, out)
}

// owner is an account as S3 reports owners: by its canonical user ID (the
// account ID when IAM does not know the account).
func (h *handler) owner(ctx context.Context, account string) *s3xml.Owner {
	if h.cfg.IAM != nil {
		if id := h.cfg.IAM.CanonicalID(ctx, account); id != "" {
			return &s3xml.Owner{ID: id}
		}
	}
	return &s3xml.Owner{ID: account}
}

func region(b meta.Bucket) string {
	if b.Region == "" {
		return "us-east-1"
	}
	return b.Region
}

func (h *handler) createBucket(q *request) error {
	if err := s3.ValidBucketName(q.op.Bucket); err != nil {
		return err
	}
	regionName := ""
	if q.auth.ContentLength != 0 {
		var cfg s3xml.CreateBucketConfiguration
		if err := decodeXML(q, &cfg); err != nil && err != s3xml.ErrMissingBody {
			return err
		}
		regionName = cfg.LocationConstraint
	}
	if regionName == "us-east-1" {
		// AWS rejects an explicit us-east-1 constraint.
		return &s3err.Error{Code: s3err.InvalidLocationConstraint, Message: "The specified location-constraint is not valid", Extra: []s3err.KV{{Name: "LocationConstraint", Value: regionName}}}
	}
	if regionName != "" && regionName != h.cfg.Region {
		if h.cfg.Region != "us-east-1" || !validRegionName(regionName) {
			return &s3err.Error{Code: s3err.IllegalLocationConstraintException,
				Message: "The " + regionName + " location constraint is incompatible for the region specific endpoint this request was sent to."}
		}
	}
	ownership := q.r.Header.Get("X-Amz-Object-Ownership")
	if ownership == "" {
		ownership = meta.OwnershipBucketOwnerEnforced
	}
	req, err := readHeaderACL(q.r)
	if err != nil {
		return err
	}
	var acl []meta.Grant
	if req.given {
		owner := h.canonical(q.r.Context(), q.auth.Principal.AccountID)
		if acl, err = req.acl(owner, owner, true); err != nil {
			return err
		}
		if ownership == meta.OwnershipBucketOwnerEnforced && !object.OnlyOwner(acl, ownerOnly(owner)) {
			return object.ErrInvalidBucketACLWithOwnership
		}
		if isPublicACL(acl) {
			return errAccessDenied // Block Public Access starts all on
		}
	}
	if err := h.obj.CreateBucketWith(q.r.Context(), q.auth.Principal.AccountID, q.op.Bucket, regionName, ownership, acl); err != nil {
		return err
	}
	q.w.Header().Set("Location", "/"+q.op.Bucket)
	q.w.WriteHeader(http.StatusOK)
	return nil
}

// validRegionName accepts names shaped like AWS regions (us-west-2, eu-central-1).
func validRegionName(s string) bool {
	if len(s) < 4 || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return strings.Contains(s, "-")
}

func (h *handler) headBucket(q *request) error {
	b, err := h.bucketOf(q)
	if err != nil {
		return err
	}
	q.w.Header().Set("x-amz-bucket-region", region(b))
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *handler) deleteBucket(q *request) error {
	if err := h.obj.DeleteBucket(q.r.Context(), q.op.Bucket); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) getBucketLocation(q *request) error {
	b, err := h.bucketOf(q)
	if err != nil {
		return err
	}
	// us-east-1 is reported as an empty LocationConstraint.
	return writeXML(q.w, http.StatusOK, s3xml.LocationConstraint{Location: b.Region})
}

func (h *handler) getBucketVersioning(q *request) error {
	b, err := h.bucketOf(q)
	if err != nil {
		return err
	}
	return writeXML(q.w, http.StatusOK, s3xml.VersioningConfiguration{Status: b.Versioning, MfaDelete: b.MFADelete})
}

func (h *handler) putBucketVersioning(q *request) error {
	var cfg s3xml.VersioningConfiguration
	if err := decodeXML(q, &cfg); err != nil {
		return err
	}
	if cfg.Status != meta.VersioningEnabled && cfg.Status != meta.VersioningSuspended {
		return &s3err.Error{Code: s3err.IllegalVersioningConfigurationException, Message: "The Versioning element must be specified"}
	}
	b, err := h.bucketOf(q)
	if err != nil {
		return err
	}
	// Setting MfaDelete, or changing versioning while it is enabled,
	// takes the bucket owner's root user with its MFA code.
	if cfg.MfaDelete != "" || b.MFADelete == "Enabled" {
		if err := h.checkMFAHeader(q, &b); err != nil {
			return err
		}
	}
	if err := h.obj.PutBucketVersioningMFA(q.r.Context(), q.op.Bucket, cfg.Status, cfg.MfaDelete); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *handler) getBucketTagging(q *request) error {
	b, err := h.bucketOf(q)
	if err != nil {
		return err
	}
	if b.Tags == nil {
		return &s3err.Error{Code: s3err.NoSuchTagSet, Extra: []s3err.KV{{Name: "BucketName", Value: b.Name}}}
	}
	return writeXML(q.w, http.StatusOK, taggingXML(b.Tags))
}

func taggingXML(tags []meta.Tag) s3xml.Tagging {
	out := s3xml.Tagging{TagSet: []s3xml.Tag{}}
	for _, t := range tags {
		out.TagSet = append(out.TagSet, s3xml.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

// readTagging decodes and validates a Tagging document.
func readTagging(q *request, max int) ([]meta.Tag, error) {
	var doc s3xml.Tagging
	if err := decodeXML(q, &doc); err != nil {
		return nil, err
	}
	tags := make([]s3.Tag, len(doc.TagSet))
	for i, t := range doc.TagSet {
		tags[i] = s3.Tag{Key: t.Key, Value: t.Value}
	}
	if err := s3.ValidateTags(tags, max); err != nil {
		return nil, err
	}
	return toMetaTags(tags), nil
}

func (h *handler) putBucketTagging(q *request) error {
	tags, err := readTagging(q, object.MaxTagsBucket)
	if err != nil {
		return err
	}
	if tags == nil {
		tags = []meta.Tag{}
	}
	if err := h.obj.PutBucketTagging(q.r.Context(), q.op.Bucket, tags); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) deleteBucketTagging(q *request) error {
	if err := h.obj.PutBucketTagging(q.r.Context(), q.op.Bucket, nil); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) getBucketEncryption(q *request) error {
	cfg, err := h.obj.GetBucketEncryption(q.r.Context(), q.op.Bucket)
	if err != nil {
		return err
	}
	rule := s3xml.ServerSideEncryptionRule{
		ApplyServerSideEncryptionByDefault: &s3xml.ServerSideEncryptionByDefault{SSEAlgorithm: cfg.Algorithm, KMSMasterKeyID: cfg.KMSMasterKeyID},
		BucketKeyEnabled:                   &cfg.BucketKeyEnabled,
	}
	if cfg.BlockedEncryptionTypes != nil {
		rule.BlockedEncryptionTypes = &s3xml.BlockedEncryptionTypes{EncryptionType: cfg.BlockedEncryptionTypes}
	}
	return writeXML(q.w, http.StatusOK, s3xml.ServerSideEncryptionConfiguration{Rules: []s3xml.ServerSideEncryptionRule{rule}})
}

func (h *handler) putBucketEncryption(q *request) error {
	// S3 answers NoSuchBucket before it reads the document.
	if _, err := h.bucketOf(q); err != nil {
		return err
	}
	var doc s3xml.ServerSideEncryptionConfiguration
	if err := decodeXML(q, &doc); err != nil {
		return err
	}
	rule := doc.Rules[0] // Decode checked there is exactly one
	var cfg meta.BucketEncryption
	if d := rule.ApplyServerSideEncryptionByDefault; d != nil {
		cfg.Algorithm, cfg.KMSMasterKeyID = d.SSEAlgorithm, d.KMSMasterKeyID
	}
	if rule.BucketKeyEnabled != nil {
		cfg.BucketKeyEnabled = *rule.BucketKeyEnabled
	}
	if b := rule.BlockedEncryptionTypes; b != nil {
		cfg.BlockedEncryptionTypes = b.EncryptionType
	}
	if err := h.obj.PutBucketEncryption(q.r.Context(), q.op.Bucket, cfg); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *handler) deleteBucketEncryption(q *request) error {
	if err := h.obj.DeleteBucketEncryption(q.r.Context(), q.op.Bucket); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}
