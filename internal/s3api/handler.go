// Package s3api is coffer's S3 HTTP layer: it resolves a request to an Op,
// authenticates it, authorizes it, runs the handler and writes every error
// through one function.
package s3api

import (
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/config"
	"github.com/coffer-project/coffer/internal/httpx"
	"github.com/coffer-project/coffer/internal/iam"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/object"
	"github.com/coffer-project/coffer/internal/s3"
)

// Config is what the HTTP layer needs.
type Config struct {
	Objects  *object.Service
	Verifier *auth.Verifier
	Domain   string // virtual-hosted-style base domain; "" disables
	Region   string
	Log      *slog.Logger
	// Registry receives the request metrics and is served at /metrics.
	Registry *prometheus.Registry
	// AllowSSECOverHTTP accepts SSE-C keys on plain HTTP requests, for
	// local testing; S3 refuses them.
	AllowSSECOverHTTP bool
	// TrustedProxies are the proxies whose X-Forwarded-For is believed for
	// aws:SourceIp; nil believes none, the TCP peer is the client.
	TrustedProxies []netip.Prefix
	// VPCEndpoints map client networks to VPC endpoints: a request from
	// one carries aws:SourceVpce, aws:SourceVpc and aws:VpcSourceIp
	// instead of aws:SourceIp, as on AWS.
	VPCEndpoints []config.VPCEndpoint
	// Now is the clock of aws:CurrentTime and aws:EpochTime; nil means
	// time.Now.
	Now func() time.Time
	// IAM holds accounts, users and their identity policies; nil means
	// only account root users exist (no identity policies).
	IAM *iam.Service
	// IAMAPI serves requests signed for the "iam" service; nil refuses
	// them as signed for another service.
	IAMAPI interface {
		Serve(w http.ResponseWriter, r *http.Request, res *auth.Result)
		ServeAuthError(w http.ResponseWriter, r *http.Request, err error)
	}
}

// Limits of request bodies the server parses (objects stream instead).
const (
	maxXMLBody = 1 << 20 // S3 configuration and Delete documents
)

type handler struct {
	cfg               Config
	obj               *object.Service
	log               *slog.Logger
	allowSSECOverHTTP bool
	policies          policyCache
}

func (h *handler) now() time.Time {
	if h.cfg.Now != nil {
		return h.cfg.Now()
	}
	return time.Now()
}

// New returns the server's root handler: health, metrics and the S3 API,
// wrapped in the httpx chain.
func New(cfg Config) http.Handler {
	h := &handler{cfg: cfg, obj: cfg.Objects, log: cfg.Log, allowSSECOverHTTP: cfg.AllowSSECOverHTTP}
	// Health and metrics answer unsigned path-style GETs only: a signed
	// request to /metrics is a ListObjects of a bucket named "metrics".
	probe := func(r *http.Request) bool { return isUnsigned(r) && hostBucket(r.Host, cfg.Domain) == "" }
	return httpx.Chain(cfg.Log, cfg.Registry, "coffer_s3", probe, http.HandlerFunc(h.serveS3))
}

func isUnsigned(r *http.Request) bool {
	return r.Header.Get("Authorization") == "" && r.URL.Query().Get("X-Amz-Signature") == ""
}

// request is one S3 request in flight.
type request struct {
	op   Op
	auth *auth.Result
	r    *http.Request
	w    http.ResponseWriter
	// bucket is the op's bucket as authorize read it; nil when it does not
	// exist (or the op names none). Handlers reuse it (bucketOf) instead of
	// reading it again.
	bucket *meta.Bucket
}

func (h *handler) serveS3(w http.ResponseWriter, r *http.Request) {
	if h.cfg.IAMAPI != nil && (signedFor(r, "iam") || signedFor(r, "sts")) {
		h.serveIAM(w, r)
		return
	}
	info := httpx.InfoFrom(r.Context())
	op, err := Resolve(r, h.cfg.Domain)
	info.Op, info.Bucket, info.Key = op.Kind.String(), op.Bucket, op.Key
	if err == nil && op.Key != "" {
		err = s3.ValidObjectKey(op.Key)
	}
	if err != nil {
		h.writeError(w, r, op, err)
		return
	}
	res, err := h.cfg.Verifier.Verify(r)
	if err != nil {
		h.writeError(w, r, op, err)
		return
	}
	// res.Body is not closed here: it reads r.Body, which net/http closes
	// after httpx.DrainUnread has read what a refused upload left unread.
	info.Principal = res.Principal.ARN
	if !res.Principal.Anonymous && res.Service != "s3" {
		h.writeError(w, r, op, errWrongService)
		return
	}
	if !res.Principal.Anonymous && res.Region != h.cfg.Region {
		h.writeError(w, r, op, wrongRegion(res, h.cfg.Region))
		return
	}
	bucket, err := h.authorize(r, op, res)
	if err != nil {
		h.writeError(w, r, op, err)
		return
	}
	if h.cfg.IAM != nil {
		h.cfg.IAM.RecordUse(r.Context(), res.Principal, "s3", res.Region)
	}
	if res.Principal.Anonymous || res.Principal.UserName != "" || res.Principal.Session != nil || res.Principal.Origin != nil {
		// For KeyUseAuthorizer; a root user needs no check (nor the
		// allocation, on the hot path).
		r = withCaller(r, res.Principal)
	}
	req := &request{op: op, auth: res, r: r, w: w, bucket: bucket}
	if err := h.dispatch(req); err != nil {
		h.writeError(w, r, op, err)
	}
}

var errWrongService = errors.New("s3api: credential scope names another service")

// signedFor reports whether the request's SigV4 credential scope names
// service (header or presigned form). IAM, STS and S3 share the port and
// are told apart by it, as DESIGN.md §1 says.
func signedFor(r *http.Request, service string) bool {
	scope := "/" + service + "/aws4_request"
	if a := r.Header.Get("Authorization"); a != "" {
		return strings.Contains(a, scope+",") || strings.Contains(a, scope+" ")
	}
	return strings.HasSuffix(r.URL.Query().Get("X-Amz-Credential"), scope)
}

// serveIAM authenticates a request signed for IAM or STS and hands it to
// the IAM API. Both are global services here: any region in the scope is
// accepted.
func (h *handler) serveIAM(w http.ResponseWriter, r *http.Request) {
	res, err := h.cfg.Verifier.Verify(r)
	if err == nil && res.Service != "iam" && res.Service != "sts" {
		err = auth.ErrMissingAuth // signed for another service by a presigned URL's query only
	}
	if err != nil {
		h.cfg.IAMAPI.ServeAuthError(w, r, err)
		return
	}
	httpx.InfoFrom(r.Context()).Principal = res.Principal.ARN
	h.cfg.IAMAPI.Serve(w, r, res)
}

func (h *handler) dispatch(q *request) error {
	switch q.op.Kind {
	case OpListBuckets:
		return h.listBuckets(q)
	case OpCreateBucket:
		return h.createBucket(q)
	case OpHeadBucket:
		return h.headBucket(q)
	case OpDeleteBucket:
		return h.deleteBucket(q)
	case OpGetBucketLocation:
		return h.getBucketLocation(q)
	case OpGetBucketVersioning:
		return h.getBucketVersioning(q)
	case OpPutBucketVersioning:
		return h.putBucketVersioning(q)
	case OpGetBucketTagging:
		return h.getBucketTagging(q)
	case OpPutBucketTagging:
		return h.putBucketTagging(q)
	case OpDeleteBucketTagging:
		return h.deleteBucketTagging(q)
	case OpGetBucketEncryption:
		return h.getBucketEncryption(q)
	case OpPutBucketEncryption:
		return h.putBucketEncryption(q)
	case OpDeleteBucketEncryption:
		return h.deleteBucketEncryption(q)
	case OpGetBucketLifecycle:
		return h.getBucketLifecycle(q)
	case OpPutBucketLifecycle:
		return h.putBucketLifecycle(q)
	case OpDeleteBucketLifecycle:
		return h.deleteBucketLifecycle(q)
	case OpGetBucketIntelligentTiering:
		return h.getBucketIntelligentTiering(q)
	case OpPutBucketIntelligentTiering:
		return h.putBucketIntelligentTiering(q)
	case OpDeleteBucketIntelligentTiering:
		return h.deleteBucketIntelligentTiering(q)
	case OpListBucketIntelligentTiering:
		return h.listBucketIntelligentTiering(q)
	case OpGetBucketPolicy:
		return h.getBucketPolicy(q)
	case OpPutBucketPolicy:
		return h.putBucketPolicy(q)
	case OpDeleteBucketPolicy:
		return h.deleteBucketPolicy(q)
	case OpGetBucketPolicyStatus:
		return h.getBucketPolicyStatus(q)
	case OpListObjects:
		return h.listObjects(q, false)
	case OpListObjectsV2:
		return h.listObjects(q, true)
	case OpListObjectVersions:
		return h.listObjectVersions(q)
	case OpListMultipartUploads:
		return h.listMultipartUploads(q)
	case OpDeleteObjects:
		return h.deleteObjects(q)
	case OpPutObject:
		return h.putObject(q)
	case OpCopyObject:
		return h.copyObject(q)
	case OpGetObject:
		return h.getObject(q, false)
	case OpHeadObject:
		return h.getObject(q, true)
	case OpDeleteObject:
		return h.deleteObject(q)
	case OpGetObjectAttributes:
		return h.getObjectAttributes(q)
	case OpGetBucketAcl:
		return h.getBucketACL(q)
	case OpRestoreObject:
		return h.restoreObject(q)
	case OpPutBucketAcl:
		return h.putBucketACL(q)
	case OpGetObjectAcl:
		return h.getObjectACL(q)
	case OpPutObjectAcl:
		return h.putObjectACL(q)
	case OpGetBucketOwnershipControls:
		return h.getOwnershipControls(q)
	case OpPutBucketOwnershipControls:
		return h.putOwnershipControls(q)
	case OpDeleteBucketOwnershipControls:
		return h.deleteOwnershipControls(q)
	case OpGetPublicAccessBlock:
		return h.getPublicAccessBlock(q)
	case OpPutPublicAccessBlock:
		return h.putPublicAccessBlock(q)
	case OpDeletePublicAccessBlock:
		return h.deletePublicAccessBlock(q)
	case OpGetAccountPublicAccessBlock, OpPutAccountPublicAccessBlock, OpDeleteAccountPublicAccessBlock:
		return h.accountPublicAccessBlock(q)
	case OpGetObjectTagging:
		return h.getObjectTagging(q)
	case OpPutObjectTagging:
		return h.putObjectTagging(q)
	case OpDeleteObjectTagging:
		return h.deleteObjectTagging(q)
	case OpCreateMultipartUpload:
		return h.createMultipartUpload(q)
	case OpUploadPart:
		return h.uploadPart(q)
	case OpUploadPartCopy:
		return h.uploadPartCopy(q)
	case OpCompleteMultipartUpload:
		return h.completeMultipartUpload(q)
	case OpAbortMultipartUpload:
		return h.abortMultipartUpload(q)
	case OpListParts:
		return h.listParts(q)
	}
	return &ResolveError{NotImplemented: true, Msg: "This operation is not implemented."}
}

// resource is the Resource element of an error: the path the client asked for.
func resource(r *http.Request, op Op) string {
	if op.VirtualHost {
		return "/" + op.Bucket + "/" + op.Key
	}
	return strings.SplitN(r.URL.RequestURI(), "?", 2)[0]
}
