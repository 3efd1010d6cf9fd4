package s3api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/config"
	"github.com/coffer-project/coffer/internal/httpx"
	"github.com/coffer-project/coffer/internal/iam"
	"github.com/coffer-project/coffer/internal/kms"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/object"
	"github.com/coffer-project/coffer/internal/policy"
	"github.com/coffer-project/coffer/internal/s3"
)

// errAccessDenied is a request the policies refuse.
var errAccessDenied = errors.New("s3api: access denied by policy")

// authorize decides whether the authenticated request may run, following
// AWS's evaluation logic (policy.Evaluate):
//
//   - The caller is its account's root user, whom the evaluator grants
//     everything in its own account unless a Deny applies, or an IAM user
//     with the identity policies IAM holds for it (its own and its
//     groups'). Anonymous callers have no identity side.
//   - The resource policy is the bucket's policy, a KindResource set owned
//     by the bucket's owner, present (possibly empty) whenever the bucket
//     exists: a caller of another account then needs both its identity side
//     and the bucket policy. Without a bucket (ListBuckets, CreateBucket, a
//     missing bucket) the identity side alone decides, and the handler
//     reports NoSuchBucket.
//   - An explicit Deny binds the owner's root too, except that the owner's
//     root may always Get/Put/DeleteBucketPolicy, so that it can undo a
//     lockout, as on S3.
//   - Anonymous requests to a bucket without a policy are refused as
//     unsigned (auth.ErrMissingAuth), as before bucket policies existed.
//
// A refusal is errAccessDenied and one audit record at Info. On success
// it returns the bucket it read (nil when there is none), for the handler.
func (h *handler) authorize(r *http.Request, op Op, res *auth.Result) (*meta.Bucket, error) {
	var bucket *meta.Bucket
	if op.Bucket != "" && op.Kind != OpCreateBucket {
		var err error
		if bucket, err = h.existingBucket(r.Context(), op.Bucket); err != nil {
			return nil, err
		}
	}
	if (op.Kind == OpDeleteObjects || op.Kind == OpPutObjectTagging) && bucket != nil {
		// S3 authorizes each key of a batch delete (s3:DeleteObject or
		// s3:DeleteObjectVersion on the object), and the batch itself by
		// nothing else: deleteObjects asks per key (authorizeDelete).
		// The tags a PutObjectTagging sets, which its policy sees as
		// s3:RequestObjectTag/<key>, are in its body: putObjectTagging
		// decides once it has read them (authorizePutTagging). Both
		// bodies are bounded (maxXMLBody).
		if callerOf(res.Principal).Type == policy.PrincipalAnonymous && bucket.Policy == "" {
			return nil, auth.ErrMissingAuth
		}
		return bucket, nil
	}
	if err := h.decide(r, op, res, bucket, requestTags(r, op)); err != nil {
		return nil, err
	}
	return bucket, nil
}

// bucketOf is the request's bucket: as authorize read it, or
// ErrNoSuchBucket (wrapped, from the engine) when it does not exist.
func (h *handler) bucketOf(q *request) (meta.Bucket, error) {
	if q.bucket != nil {
		return *q.bucket, nil
	}
	return h.obj.HeadBucket(q.r.Context(), q.op.Bucket)
}

// authorizeCopySource decides the read of a copy's source (CopyObject,
// UploadPartCopy): S3 requires s3:GetObject (s3:GetObjectVersion for a
// named version) on the source object, besides the write the request
// itself was authorized for. A missing source bucket is left to the
// handler, which reports it.
func (h *handler) authorizeCopySource(q *request, bucket, key, versionID string) error {
	op := Op{Kind: OpGetObject, Bucket: bucket, Key: key, Query: url.Values{}}
	if versionID != "" {
		op.Query.Set("versionId", versionID)
	}
	src, err := h.existingBucket(q.r.Context(), bucket)
	if err != nil {
		return err
	}
	return h.decide(q.r, op, q.auth, src, nil)
}

// existingBucket returns the bucket to authorize against, or nil when
// there is no such bucket (the handler then reports NoSuchBucket).
func (h *handler) existingBucket(ctx context.Context, name string) (*meta.Bucket, error) {
	b, err := h.obj.HeadBucket(ctx, name)
	switch {
	case err == nil:
		return &b, nil
	case errors.Is(err, object.ErrNoSuchBucket):
		return nil, nil
	}
	return nil, err
}

// authorizeDelete decides one key of a DeleteObjects batch as the
// DeleteObject of that key (and version) would be decided. It returns
// errAccessDenied (or auth.ErrMissingAuth) for a refused key; other errors
// fail the batch.
func (h *handler) authorizeDelete(r *http.Request, res *auth.Result, bucket *meta.Bucket, in object.DeleteInput) error {
	op := Op{Kind: OpDeleteObject, Bucket: bucket.Name, Key: in.Key, Query: url.Values{}}
	if in.VersionID != "" {
		op.Query.Set("versionId", in.VersionID)
	}
	return h.decide(r, op, res, bucket, nil)
}

// hideMissingKey answers a read of a missing key as S3 does: NoSuchKey
// (err) only to a caller that may list the bucket (s3:ListBucket), which
// could learn as much from a listing; AccessDenied to anyone else, so
// that keys cannot be probed for.
func (h *handler) hideMissingKey(q *request, err error) error {
	if q.bucket == nil {
		return err
	}
	list := Op{Kind: OpListObjectsV2, Bucket: q.op.Bucket, Query: url.Values{}}
	if derr := h.decide(q.r, list, q.auth, q.bucket, nil); derr != nil {
		if errors.Is(derr, errAccessDenied) || errors.Is(derr, auth.ErrMissingAuth) {
			return errAccessDenied
		}
		return derr
	}
	return err
}

// authorizePutTagging decides a PutObjectTagging once the tag set of its
// body is known, as authorize decides other requests.
func (h *handler) authorizePutTagging(q *request, tags []meta.Tag) error {
	return h.decide(q.r, q.op, q.auth, q.bucket, tags)
}

// decide is authorize once the bucket (nil when there is none) and the
// tags the request sets on an object (s3:RequestObjectTag/<key>;
// requestTags for those of a header) are known. The caller's identity
// policies (an IAM user's; none for root and anonymous) come from IAM.
func (h *handler) decide(r *http.Request, op Op, res *auth.Result, bucket *meta.Bucket, tags []meta.Tag) error {
	var identity []*policy.Policy
	if t := callerOf(res.Principal).Type; (t == policy.PrincipalUser || t == policy.PrincipalAssumedRole) && h.cfg.IAM != nil {
		var err error
		if identity, err = h.cfg.IAM.IdentityPolicies(r.Context(), res.Principal); err != nil {
			return err
		}
	}
	return h.decideWith(r, op, res, bucket, identity, tags)
}

// decideWith is decide once the caller's identity policies are known.
func (h *handler) decideWith(r *http.Request, op Op, res *auth.Result, bucket *meta.Bucket, identity []*policy.Policy, tags []meta.Tag) error {
	caller := callerOf(res.Principal)
	if bucket != nil && caller.Type == policy.PrincipalRoot && caller.Account == bucket.Owner && managesPolicy(op.Kind) {
		return nil
	}
	// With ACLs enabled (Object Ownership other than BucketOwnerEnforced)
	// the bucket's and objects' grants take part; an object's owner and
	// ACL cost a metadata read, for the operations its ACL governs.
	acls := bucket != nil && object.ACLsEnabled(bucket)
	objectACL := acls && readsObjectACL(op.Kind)
	if caller.Type == policy.PrincipalAnonymous && (bucket == nil || bucket.Policy == "" && !acls) {
		return auth.ErrMissingAuth
	}
	if caller.Type == policy.PrincipalRoot && len(identity) == 0 &&
		(bucket == nil || bucket.Owner == caller.Account && bucket.Policy == "" && !objectACL) {
		// A root user in its own account, and no policy that could deny:
		// what policy.Evaluate would decide, without building the
		// request's condition keys (the common case, on every request).
		return nil
	}
	sets := []policy.Set{{Kind: policy.KindIdentity, Policies: identity}}
	if h.cfg.IAM != nil {
		if b := h.cfg.IAM.SessionBoundary(res.Principal); b != nil {
			sets = append(sets, policy.Set{Kind: policy.KindBoundary, Policies: []*policy.Policy{b}})
		}
	}
	existingTags := false
	for _, p := range identity {
		existingTags = existingTags || mentionsExistingObjectTag(p)
	}
	var (
		pab          meta.PublicAccessBlock
		publicPolicy bool
	)
	if bucket != nil {
		ctx := r.Context()
		if bucket.Policy != "" || acls {
			var err error
			if pab, err = h.publicAccessBlock(ctx, bucket); err != nil {
				return err
			}
			if h.cfg.IAM != nil && caller.Account != "" {
				// For {"CanonicalUser": …} principals and ACL grants.
				caller.CanonicalUser = h.cfg.IAM.CanonicalID(ctx, caller.Account)
			}
		}
		rs := policy.Set{Kind: policy.KindResource, Owner: bucket.Owner}
		if bucket.Policy != "" {
			cp, err := h.policies.parse(bucket.Name, bucket.Policy)
			if err != nil {
				// Not the client's fault: an internal error, which also
				// refuses the request.
				return fmt.Errorf("s3api: stored policy of bucket %s: %v", bucket.Name, err)
			}
			rs.Policies = []*policy.Policy{cp.p}
			existingTags = existingTags || cp.existingTags
			publicPolicy = cp.public
		}
		if acls {
			var err error
			if rs, err = h.aclSet(ctx, rs, bucket, op, objectACL, pab.IgnorePublicAcls); err != nil {
				return err
			}
		}
		sets = append(sets, rs)
	}
	req := policy.Request{Principal: caller, Action: op.Action(), Resource: resourceARN(op), Context: h.conditionKeys(r, op, res, tags)}
	if h.cfg.IAM != nil {
		if err := h.cfg.IAM.AddPrincipalTags(r.Context(), req.Context, res.Principal); err != nil {
			return err
		}
	}
	if existingTags && readsExistingTags(op.Kind) {
		if err := h.addExistingObjectTags(r.Context(), req.Context, op); err != nil {
			return err
		}
	}
	d := policy.Evaluate(req, sets...)
	if d.Allowed() && pab.RestrictPublicBuckets && publicPolicy &&
		(caller.Type == policy.PrincipalAnonymous || caller.Type != policy.PrincipalService && caller.Account != bucket.Owner) &&
		!slices.ContainsFunc(d.Statements, func(s policy.StatementRef) bool { return s.Kind == policy.KindResource && s.Policy == aclPolicyName }) {
		// RestrictPublicBuckets: a public bucket policy grants nothing to
		// anonymous callers or other accounts; service principals (a CDN
		// edge's origin access) and the owner's users keep what it grants.
		d = policy.Decision{Outcome: policy.ImplicitDeny, Reason: "RestrictPublicBuckets: the bucket policy is public"}
	}
	if d.Allowed() {
		return nil
	}
	h.auditDenial(r.Context(), req, d)
	return errAccessDenied
}

// readsObjectACL reports whether operation k is governed by the object's
// ACL (READ, READ_ACP, WRITE_ACP) and owner.
func readsObjectACL(k Kind) bool {
	switch k {
	case OpGetObject, OpHeadObject, OpGetObjectAcl, OpPutObjectAcl:
		return true
	}
	return false
}

// aclSet adds the ACL grants to the resource set rs of a bucket with ACLs
// enabled: the bucket's ACL, and for the operations an object's ACL
// governs (objectACL) that object's. An object another account owns is
// governed by its ACL alone, owned by that account: the bucket's policy
// and ACL do not reach it, as on S3.
func (h *handler) aclSet(ctx context.Context, rs policy.Set, bucket *meta.Bucket, op Op, objectACL, ignorePublic bool) (policy.Set, error) {
	bp, err := aclPolicy(bucket.ACL, h.canonical(ctx, bucket.Owner), bucket.Name, "", ignorePublic)
	if err != nil {
		return rs, err
	}
	if bp != nil {
		rs.Policies = append(rs.Policies, bp)
	}
	if !objectACL {
		return rs, nil
	}
	v, err := h.obj.GetVersion(ctx, op.Bucket, op.Key, op.Query.Get("versionId"))
	var dm *object.DeleteMarkerError
	switch {
	case errors.Is(err, object.ErrNoSuchKey), errors.Is(err, object.ErrNoSuchVersion), errors.As(err, &dm):
		return rs, nil // missing: nothing granted; the handler reports it
	case err != nil:
		return rs, err
	}
	op2, err := aclPolicy(v.ACL, h.canonical(ctx, v.Owner), bucket.Name, op.Key, ignorePublic)
	if err != nil {
		return rs, err
	}
	if v.Owner != bucket.Owner {
		rs = policy.Set{Kind: policy.KindResource, Owner: v.Owner}
	}
	if op2 != nil {
		rs.Policies = append(rs.Policies, op2)
	}
	return rs, nil
}

// managesPolicy reports whether k is one of the operations a bucket
// owner's root may always perform.
func managesPolicy(k Kind) bool {
	return k == OpGetBucketPolicy || k == OpPutBucketPolicy || k == OpDeleteBucketPolicy
}

// callerOf is the policy principal of an authenticated caller.
func callerOf(p auth.Principal) policy.Principal { return iam.PolicyPrincipal(p) }

// resourceARN is the resource an operation acts on: the object for object
// operations, the bucket for bucket operations, "*" for ListBuckets.
func resourceARN(op Op) string {
	switch {
	case op.Bucket == "":
		return "*"
	case op.Key == "":
		return "arn:aws:s3:::" + op.Bucket
	}
	return "arn:aws:s3:::" + op.Bucket + "/" + op.Key
}

// conditionKeys are the request's condition keys, named in the lower-case
// form policy.Evaluate indexes them by (so it can use the map as it is).
// The principal's keys (aws:username, aws:userid, aws:PrincipalAccount,
// aws:PrincipalArn, aws:PrincipalType) are filled in by policy.Evaluate.
// aws:SourceIp is the TCP peer, or the client a trusted proxy names in
// X-Forwarded-For (clientIP). s3:ExistingObjectTag/<key> costs a metadata
// read and is added by decide, only when a policy names it.
func (h *handler) conditionKeys(r *http.Request, op Op, res *auth.Result, tags []meta.Tag) map[string][]string {
	c := make(map[string][]string, 16)
	values := make([]string, 0, 16) // one backing array for every key's single value
	set := func(k, v string) {
		if v != "" {
			values = append(values, v)
			c[k] = values[len(values)-1 : len(values) : len(values)]
		}
	}
	if ip := httpx.ClientIP(r, h.cfg.TrustedProxies); ip.IsValid() {
		if ep := vpcEndpointOf(ip, h.cfg.VPCEndpoints); ep != nil {
			set("aws:sourcevpce", ep.ID)
			set("aws:sourcevpc", ep.VPC)
			set("aws:vpcsourceip", ip.String())
		} else {
			set("aws:sourceip", ip.String())
		}
	}
	set("aws:securetransport", strconv.FormatBool(r.TLS != nil))
	if r.TLS != nil {
		set("s3:tlsversion", tlsVersion(r.TLS.Version))
	}
	set("aws:referer", r.Header.Get("Referer"))
	set("aws:useragent", r.Header.Get("User-Agent"))
	now := h.now().UTC()
	var buf [len(time.RFC3339) + 8]byte
	set("aws:currenttime", string(now.AppendFormat(buf[:0], time.RFC3339)))
	set("aws:epochtime", string(strconv.AppendInt(buf[:0], now.Unix(), 10)))
	switch op.Kind {
	case OpListObjects, OpListObjectsV2, OpListObjectVersions:
		for _, p := range [...]struct{ param, key string }{{"prefix", "s3:prefix"}, {"delimiter", "s3:delimiter"}, {"max-keys", "s3:max-keys"}} {
			if vs, ok := op.Query[p.param]; ok && len(vs) > 0 {
				c[p.key] = vs[:1:1] // present even when empty, as on S3
			}
		}
	}
	// Header names in canonical form, so that Get does not allocate one.
	for _, hd := range [...]struct{ header, key string }{
		{"X-Amz-Server-Side-Encryption", "s3:x-amz-server-side-encryption"},
		{"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", "s3:x-amz-server-side-encryption-aws-kms-key-id"},
		{"X-Amz-Storage-Class", "s3:x-amz-storage-class"},
		{"X-Amz-Acl", "s3:x-amz-acl"},
		{"X-Amz-Content-Sha256", "s3:x-amz-content-sha256"},
	} {
		set(hd.key, r.Header.Get(hd.header))
	}
	switch op.Kind {
	case OpPutObject, OpCopyObject, OpCreateMultipartUpload, OpCreateBucket:
		for _, hd := range [...]struct{ header, key string }{
			{"X-Amz-Grant-Read", "s3:x-amz-grant-read"},
			{"X-Amz-Grant-Write", "s3:x-amz-grant-write"},
			{"X-Amz-Grant-Read-Acp", "s3:x-amz-grant-read-acp"},
			{"X-Amz-Grant-Write-Acp", "s3:x-amz-grant-write-acp"},
			{"X-Amz-Grant-Full-Control", "s3:x-amz-grant-full-control"},
		} {
			set(hd.key, r.Header.Get(hd.header))
		}
	}
	addRequestObjectTags(c, tags)
	set("s3:versionid", op.Query.Get("versionId"))
	if o := res.Principal.Origin; o != nil && o.SourceARN != "" {
		// An origin access control's distribution, bound to its key.
		set("aws:sourcearn", o.SourceARN)
		set("aws:sourceaccount", res.Principal.AccountID)
	}
	if !res.Principal.Anonymous {
		iam.MFAKeys(c, res.Principal, now)
		set("s3:signatureversion", "AWS4-HMAC-SHA256")
		if res.Presigned {
			set("s3:authtype", "REST-QUERY-STRING")
		} else {
			set("s3:authtype", "REST-HEADER")
		}
	}
	return c
}

// vpcEndpointOf is the VPC endpoint whose networks hold ip, or nil.
func vpcEndpointOf(ip netip.Addr, eps []config.VPCEndpoint) *config.VPCEndpoint {
	for i := range eps {
		for _, p := range eps[i].Prefixes {
			if p.Contains(ip) {
				return &eps[i]
			}
		}
	}
	return nil
}

// readsExistingTags reports whether S3 gives operation k the
// s3:ExistingObjectTag/<key> condition keys: the object reads and the
// tagging operations, never PutObject or DeleteObject (AWS's "Actions,
// resources, and condition keys for Amazon S3"). CopyObject's source read
// is authorized as a GetObject of the source (authorizeCopySource).
func readsExistingTags(k Kind) bool {
	switch k {
	case OpGetObject, OpHeadObject, OpGetObjectAttributes, OpGetObjectTagging, OpPutObjectTagging, OpDeleteObjectTagging:
		return true
	}
	return false
}

// addExistingObjectTags adds s3:ExistingObjectTag/<key> for each tag of
// the object (the version op names) to the condition keys c. A missing
// object, version or a delete marker has no tags: no key, and the handler
// reports what is missing.
func (h *handler) addExistingObjectTags(ctx context.Context, c map[string][]string, op Op) error {
	v, err := h.obj.GetVersion(ctx, op.Bucket, op.Key, op.Query.Get("versionId"))
	var dm *object.DeleteMarkerError
	switch {
	case errors.Is(err, object.ErrNoSuchKey), errors.Is(err, object.ErrNoSuchVersion), errors.As(err, &dm):
		return nil
	case err != nil:
		return err
	}
	for _, t := range v.Tags {
		k := "s3:existingobjecttag/" + strings.ToLower(t.Key)
		c[k] = append(c[k], t.Value)
	}
	return nil
}

// mentionsExistingObjectTag reports whether a condition of p reads an
// s3:ExistingObjectTag/<key>: only then is reading the object's tags, a
// metadata read, worth its cost.
func mentionsExistingObjectTag(p *policy.Policy) bool {
	for _, st := range p.Statements() {
		for _, c := range st.Conditions {
			// "Operator key", the key lower-cased.
			if strings.Contains(c, " s3:existingobjecttag/") {
				return true
			}
		}
	}
	return false
}

// requestTags are the tags a request sets in its x-amz-tagging header:
// PutObject, CreateMultipartUpload, and CopyObject when it replaces the
// source's tags. A malformed header sets none here; the handler refuses it.
func requestTags(r *http.Request, op Op) []meta.Tag {
	switch op.Kind {
	case OpPutObject, OpCreateMultipartUpload:
	case OpCopyObject:
		if r.Header.Get("X-Amz-Tagging-Directive") != "REPLACE" {
			return nil
		}
	default:
		return nil
	}
	v := r.Header.Get("X-Amz-Tagging")
	if v == "" {
		return nil
	}
	tags, err := s3.ParseTaggingHeader(v)
	if err != nil {
		return nil
	}
	return toMetaTags(tags)
}

// addRequestObjectTags adds s3:RequestObjectTag/<key> (the tag's value)
// per tag and the multi-valued s3:RequestObjectTagKeys to the condition
// keys c. Key names are lower-cased as policy.Evaluate indexes them; the
// tag keys listed as values keep their case.
func addRequestObjectTags(c map[string][]string, tags []meta.Tag) {
	if len(tags) == 0 {
		return
	}
	keys := make([]string, len(tags))
	for i, t := range tags {
		keys[i] = t.Key
		k := "s3:requestobjecttag/" + strings.ToLower(t.Key)
		c[k] = append(c[k], t.Value)
	}
	c["s3:requestobjecttagkeys"] = keys
}

// tlsVersion is s3:TlsVersion's form of a TLS version: "1.2", "1.3".
func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "1.0"
	case tls.VersionTLS11:
		return "1.1"
	case tls.VersionTLS12:
		return "1.2"
	case tls.VersionTLS13:
		return "1.3"
	}
	return ""
}

// auditDenial records a refused request: who, what, on which resource and
// which statement decided ("implicit" when none allowed it).
func (h *handler) auditDenial(ctx context.Context, req policy.Request, d policy.Decision) {
	principal := req.Principal.ARN
	switch {
	case req.Principal.Type == policy.PrincipalAnonymous:
		principal = "anonymous"
	case principal == "":
		principal = req.Principal.Service
	}
	h.log.LogAttrs(ctx, slog.LevelInfo, "access denied",
		slog.String("request_id", httpx.RequestID(ctx)), slog.String("principal", principal),
		slog.String("action", req.Action), slog.String("resource", req.Resource),
		slog.String("statement", d.Decider()), slog.String("reason", d.Reason))
}

// policyCache keeps each bucket's parsed policy, so that a policy is
// parsed once per change rather than per request. It is keyed by bucket
// and checked against the stored text: a changed policy is parsed again.
type policyCache struct {
	mu sync.Mutex
	m  map[string]cachedPolicy
}

type cachedPolicy struct {
	text string
	p    *policy.Policy
	// public: the policy is public (object.PolicyIsPublic), for
	// RestrictPublicBuckets.
	public bool
	// existingTags: a condition reads s3:ExistingObjectTag/<key>, so
	// requests must read the object's tags.
	existingTags bool
}

// maxCachedPolicies bounds the cache; past it, it starts over.
const maxCachedPolicies = 4096

func (c *policyCache) parse(bucket, text string) (cachedPolicy, error) {
	c.mu.Lock()
	e, ok := c.m[bucket]
	c.mu.Unlock()
	if ok && e.text == text {
		return e, nil
	}
	p, err := object.ParseBucketPolicy(bucket, []byte(text))
	if err != nil {
		return cachedPolicy{}, err
	}
	e = cachedPolicy{text: text, p: p, existingTags: mentionsExistingObjectTag(p), public: object.PolicyIsPublic(p)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedPolicies {
		c.m = make(map[string]cachedPolicy)
	}
	c.m[bucket] = e
	return e, nil
}

// callerKey carries the authenticated caller in a request's context, for
// decisions the engine asks for while serving it (KeyUseAuthorizer).
type callerKey struct{}

// withCaller returns r with its caller in the context.
func withCaller(r *http.Request, p auth.Principal) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), callerKey{}, p))
}

// KeyUseAuthorizer is object.Service.AuthorizeKeyUse for requests this
// package serves: as on AWS, an IAM user writing or reading an object
// under a customer managed KMS key needs an identity policy allowing
// kms:GenerateDataKey or kms:Decrypt on the key's ARN. Root users hold
// every permission of their account; anonymous callers cannot use KMS
// keys. A service principal (a CDN edge's origin access) has no identity
// policies: the key policy, read from keys, must allow it directly, as
// AWS requires for CloudFront's origin access control (a statement for
// {"Service": "cloudfront.amazonaws.com"}, typically with a StringEquals
// AWS:SourceArn condition naming the distribution). Refusals are audited
// like other denials.
func KeyUseAuthorizer(svc *iam.Service, keys KeyPolicies, log *slog.Logger) func(ctx context.Context, action, keyARN string) error {
	policies := &keyPolicyCache{src: keys}
	return func(ctx context.Context, action, keyARN string) error {
		p, ok := ctx.Value(callerKey{}).(auth.Principal)
		if !ok {
			return nil // not a request (recovery, lifecycle): the service's own use
		}
		caller := callerOf(p)
		sets := []policy.Set{{Kind: policy.KindIdentity}}
		keyContext := map[string][]string{"kms:viaservice": {"s3.amazonaws.com"}}
		switch {
		case caller.Type == policy.PrincipalRoot:
			return nil
		case (caller.Type == policy.PrincipalUser || caller.Type == policy.PrincipalAssumedRole) && svc != nil:
			var err error
			if sets[0].Policies, err = svc.IdentityPolicies(ctx, p); err != nil {
				return err
			}
			if b := svc.SessionBoundary(p); b != nil {
				sets = append(sets, policy.Set{Kind: policy.KindBoundary, Policies: []*policy.Policy{b}})
			}
		case caller.Type == policy.PrincipalService:
			kp, err := policies.get(ctx, keyARN)
			if err != nil {
				if errors.Is(err, kms.ErrUnavailable) {
					return err
				}
				// Unreadable (no such key, or the server's KMS principal
				// may not read it): nothing grants the use.
				log.LogAttrs(ctx, slog.LevelWarn, "s3api: reading a key policy for a service principal", slog.String("key", keyARN), slog.Any("err", err))
				kp = nil
			}
			sets = append(sets, policy.Set{Kind: policy.KindResource, Owner: accountOfARN(keyARN), Required: true, Policies: []*policy.Policy{kp}})
			if o := p.Origin; o != nil && o.SourceARN != "" {
				keyContext["aws:sourcearn"] = []string{o.SourceARN}
				keyContext["aws:sourceaccount"] = []string{p.AccountID}
			}
		}
		req := policy.Request{Principal: caller, Action: action, Resource: keyARN, Context: keyContext}
		d := policy.Evaluate(req, sets...)
		if d.Allowed() {
			return nil
		}
		(&handler{log: log}).auditDenial(ctx, req, d)
		return errAccessDenied
	}
}

// accountOfARN is the account field of an ARN ("" when there is none).
func accountOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
