package object

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/policy"
)

// Bucket policy errors.
var (
	ErrNoSuchBucketPolicy = errors.New("the bucket policy does not exist") // NoSuchBucketPolicy 404
	// ErrMalformedPolicy wraps AWS's message for the client ("Policy has
	// invalid action", …).
	ErrMalformedPolicy = errors.New("malformed policy") // MalformedPolicy 400
)

// MaxBucketPolicySize is the largest bucket policy S3 accepts: 20 KiB.
const MaxBucketPolicySize = 20 << 10

// PutBucketPolicy validates doc as a bucket policy and stores it verbatim,
// replacing any policy the bucket had. Besides policy.Parse's checks (a
// resource policy: a Principal is required, operators must be known), it
// applies the ones S3 adds for bucket policies:
//   - at most MaxBucketPolicySize bytes;
//   - every Resource and NotResource lies inside this bucket
//     (arn:aws:s3:::BUCKET or arn:aws:s3:::BUCKET/…);
//   - every Action and NotAction is "*" or names (or, with wildcards,
//     matches) at least one S3 action;
//   - condition keys are global (aws:) or S3 (s3:) keys.
//
// The bucket is looked up first, as S3 does. Returns ErrNoSuchBucket, or
// ErrMalformedPolicy wrapping AWS's message.
func (s *Service) PutBucketPolicy(ctx context.Context, bucket string, doc []byte) error {
	if _, err := s.bucket(ctx, bucket); err != nil {
		return err
	}
	if _, err := ParseBucketPolicy(bucket, doc); err != nil {
		return err
	}
	return fromMeta(s.Meta.UpdateBucket(ctx, bucket, func(b *meta.Bucket) error {
		b.Policy = string(doc)
		return nil
	}))
}

// GetBucketPolicy returns the bucket's policy as it was put. Returns
// ErrNoSuchBucket or ErrNoSuchBucketPolicy.
func (s *Service) GetBucketPolicy(ctx context.Context, bucket string) (string, error) {
	b, err := s.bucket(ctx, bucket)
	if err != nil {
		return "", err
	}
	if b.Policy == "" {
		return "", fmt.Errorf("%w: %s", ErrNoSuchBucketPolicy, bucket)
	}
	return b.Policy, nil
}

// DeleteBucketPolicy removes the bucket's policy; deleting none succeeds,
// as on S3. Returns ErrNoSuchBucket.
func (s *Service) DeleteBucketPolicy(ctx context.Context, bucket string) error {
	return fromMeta(s.Meta.UpdateBucket(ctx, bucket, func(b *meta.Bucket) error {
		b.Policy = ""
		return nil
	}))
}

// GetBucketPolicyStatus reports whether the bucket's policy makes it
// public (see PolicyIsPublic). Returns ErrNoSuchBucket or
// ErrNoSuchBucketPolicy, as S3 does for a bucket without a policy.
func (s *Service) GetBucketPolicyStatus(ctx context.Context, bucket string) (bool, error) {
	doc, err := s.GetBucketPolicy(ctx, bucket)
	if err != nil {
		return false, err
	}
	p, err := ParseBucketPolicy(bucket, []byte(doc))
	if err != nil {
		return false, fmt.Errorf("object: stored policy of %s: %w", bucket, err)
	}
	return PolicyIsPublic(p), nil
}

// ParseBucketPolicy parses doc as the policy of bucket with every check of
// PutBucketPolicy. Errors wrap ErrMalformedPolicy.
func ParseBucketPolicy(bucket string, doc []byte) (*policy.Policy, error) {
	if len(doc) > MaxBucketPolicySize {
		return nil, malformedPolicy("Policy exceeds the maximum allowed document size.")
	}
	p, err := policy.Parse(doc, policy.KindResource)
	if err != nil {
		var pe *policy.ParseError
		if errors.As(err, &pe) {
			return nil, malformedPolicy(awsPolicyMessage(pe.Msg))
		}
		return nil, malformedPolicy("This policy contains invalid Json")
	}
	bucketARN := "arn:aws:s3:::" + bucket
	for _, st := range p.Statements() {
		for _, r := range st.Resources {
			if r != bucketARN && !strings.HasPrefix(r, bucketARN+"/") {
				return nil, malformedPolicy("Policy has invalid resource")
			}
		}
		for _, a := range st.Actions {
			if !isS3Action(a) {
				return nil, malformedPolicy("Policy has invalid action")
			}
		}
		for _, c := range st.Conditions {
			_, key, _ := strings.Cut(c, " ")
			if !strings.HasPrefix(key, "aws:") && !strings.HasPrefix(key, "s3:") {
				return nil, malformedPolicy("Policy has an invalid condition key")
			}
		}
	}
	p.Name = "bucket-policy/" + bucket
	return p, nil
}

func malformedPolicy(msg string) error { return fmt.Errorf("%w: %s", ErrMalformedPolicy, msg) }

// awsPolicyMessage turns a policy.ParseError message into S3's wording
// where S3 has a fixed one, else capitalises it.
func awsPolicyMessage(msg string) string {
	for _, m := range []struct{ prefix, aws string }{
		{"policy has invalid action", "Policy has invalid action"},
		{"policy has invalid resource", "Policy has invalid resource"},
		{"invalid principal in policy", "Invalid principal in policy"},
		{"missing required field Principal", "Missing required field Principal"},
		{"syntax errors in policy", "This policy contains invalid Json"},
	} {
		if strings.HasPrefix(msg, m.prefix) {
			return m.aws
		}
	}
	if msg != "" && msg[0] >= 'a' && msg[0] <= 'z' {
		msg = string(msg[0]-'a'+'A') + msg[1:]
	}
	return msg
}

// isS3Action reports whether a lower-cased Action pattern is "*" or
// matches one of S3's actions.
func isS3Action(pattern string) bool {
	if pattern == "*" {
		return true
	}
	name, ok := strings.CutPrefix(pattern, "s3:")
	if !ok || strings.ContainsAny(name, `[]\`) {
		return false
	}
	for _, a := range s3Actions {
		if ok, _ := path.Match(name, strings.ToLower(a)); ok {
			return true
		}
	}
	return false
}

// s3Actions are the S3 actions of AWS's service authorization reference
// (without the s3: prefix): what a bucket policy may name.
var s3Actions = []string{
	"AbortMultipartUpload", "BypassGovernanceRetention", "CreateAccessPoint", "CreateAccessPointForObjectLambda",
	"CreateBucket", "CreateJob", "CreateMultiRegionAccessPoint", "CreateSession", "DeleteAccessPoint",
	"DeleteAccessPointForObjectLambda", "DeleteAccessPointPolicy", "DeleteAccessPointPolicyForObjectLambda",
	"DeleteBucket", "DeleteBucketOwnershipControls", "DeleteBucketPolicy", "DeleteBucketWebsite",
	"DeleteJobTagging", "DeleteMultiRegionAccessPoint", "DeleteObject", "DeleteObjectTagging", "DeleteObjectVersion",
	"DeleteObjectVersionTagging", "DeleteStorageLensConfiguration", "DeleteStorageLensConfigurationTagging",
	"DescribeJob", "DescribeMultiRegionAccessPointOperation", "GetAccelerateConfiguration", "GetAccessPoint",
	"GetAccessPointConfigurationForObjectLambda", "GetAccessPointForObjectLambda", "GetAccessPointPolicy",
	"GetAccessPointPolicyForObjectLambda", "GetAccessPointPolicyStatus", "GetAccessPointPolicyStatusForObjectLambda",
	"GetAccountPublicAccessBlock", "GetAnalyticsConfiguration", "GetBucketAcl", "GetBucketCORS",
	"GetBucketLocation", "GetBucketLogging", "GetBucketNotification", "GetBucketObjectLockConfiguration",
	"GetBucketOwnershipControls", "GetBucketPolicy", "GetBucketPolicyStatus", "GetBucketPublicAccessBlock",
	"GetBucketRequestPayment", "GetBucketTagging", "GetBucketVersioning", "GetBucketWebsite",
	"GetEncryptionConfiguration", "GetIntelligentTieringConfiguration", "GetInventoryConfiguration",
	"GetJobTagging", "GetLifecycleConfiguration", "GetMetricsConfiguration", "GetMultiRegionAccessPoint",
	"GetMultiRegionAccessPointPolicy", "GetMultiRegionAccessPointPolicyStatus", "GetObject", "GetObjectAcl",
	"GetObjectAttributes", "GetObjectLegalHold", "GetObjectRetention", "GetObjectTagging", "GetObjectTorrent",
	"GetObjectVersion", "GetObjectVersionAcl", "GetObjectVersionAttributes", "GetObjectVersionForReplication",
	"GetObjectVersionTagging", "GetObjectVersionTorrent", "GetReplicationConfiguration",
	"GetStorageLensConfiguration", "GetStorageLensConfigurationTagging", "GetStorageLensDashboard",
	"InitiateReplication", "ListAccessPoints", "ListAccessPointsForObjectLambda", "ListAllMyBuckets",
	"ListBucket", "ListBucketMultipartUploads", "ListBucketVersions", "ListJobs", "ListMultiRegionAccessPoints",
	"ListMultipartUploadParts", "ListStorageLensConfigurations", "ObjectOwnerOverrideToBucketOwner",
	"PutAccelerateConfiguration", "PutAccessPointConfigurationForObjectLambda", "PutAccessPointPolicy",
	"PutAccessPointPolicyForObjectLambda", "PutAccessPointPublicAccessBlock", "PutAccountPublicAccessBlock",
	"PutAnalyticsConfiguration", "PutBucketAcl", "PutBucketCORS", "PutBucketLogging", "PutBucketNotification",
	"PutBucketObjectLockConfiguration", "PutBucketOwnershipControls", "PutBucketPolicy",
	"PutBucketPublicAccessBlock", "PutBucketRequestPayment", "PutBucketTagging", "PutBucketVersioning",
	"PutBucketWebsite", "PutEncryptionConfiguration", "PutIntelligentTieringConfiguration",
	"PutInventoryConfiguration", "PutJobTagging", "PutLifecycleConfiguration", "PutMetricsConfiguration",
	"PutMultiRegionAccessPointPolicy", "PutObject", "PutObjectAcl", "PutObjectLegalHold", "PutObjectRetention",
	"PutObjectTagging", "PutObjectVersionAcl", "PutObjectVersionTagging", "PutReplicationConfiguration",
	"PutStorageLensConfiguration", "PutStorageLensConfigurationTagging", "ReplicateDelete", "ReplicateObject",
	"ReplicateTags", "RestoreObject", "UpdateJobPriority", "UpdateJobStatus",
}

// narrowingKeys are the condition keys that, compared with a fixed value,
// keep a statement naming every principal from being public (AWS: "The
// meaning of public", S3 Block Public Access). Lower-cased, as
// policy.StatementInfo reports keys.
var narrowingKeys = map[string]bool{
	"aws:sourceip": true, "aws:sourcearn": true, "aws:sourcevpc": true, "aws:sourcevpce": true,
	"aws:sourceowner": true, "aws:sourceaccount": true, "aws:principalorgid": true,
	"aws:principalaccount": true, "aws:principalarn": true, "aws:userid": true,
	"s3:x-amz-server-side-encryption-aws-kms-key-id": true, "s3:dataaccesspointarn": true,
	"s3:dataaccesspointaccount": true,
}

// PolicyIsPublic reports whether a bucket policy is public in the sense of
// S3's GetBucketPolicyStatus: some Allow statement names every principal
// ("*", {"AWS": "*"}, or a NotPrincipal) without a condition that pins
// the request to a fixed source or caller. A narrowing condition is a
// positive operator (StringEquals, StringEqualsIgnoreCase, StringLike,
// ArnEquals, ArnLike, IpAddress; not negated, not …IfExists, not
// ForAllValues:, which an absent key satisfies) on one of narrowingKeys.
//
// Unlike AWS, the condition's values are not inspected: a wildcard value
// or a very wide CIDR (0.0.0.0/1) still counts as narrowing here.
func PolicyIsPublic(p *policy.Policy) bool {
	for _, st := range p.Statements() {
		if st.Effect != policy.Allow || !st.Everyone {
			continue
		}
		narrowed := false
		for _, c := range st.Conditions {
			op, key, _ := strings.Cut(c, " ")
			op = strings.TrimPrefix(op, "ForAnyValue:")
			switch op {
			case "StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "IpAddress":
				if narrowingKeys[key] {
					narrowed = true
				}
			}
		}
		if !narrowed {
			return true
		}
	}
	return false
}
