package s3api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/coffer-project/coffer/internal/iam"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/object"
	"github.com/coffer-project/coffer/internal/policy"
	"github.com/coffer-project/coffer/internal/s3err"
	"github.com/coffer-project/coffer/internal/s3xml"
)

// The predefined groups of ACL grants.
const (
	groupAllUsers      = "http://acs.amazonaws.com/groups/global/AllUsers"
	groupAuthenticated = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	groupLogDelivery   = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

var (
	errBothACLForms = &s3err.Error{Code: s3err.InvalidRequest, Message: "Specifying both Canned ACLs and Header Grants is not allowed"}
	errEmailGrantee = &s3err.Error{Code: s3err.Code{Name: "UnresolvableGrantByEmailAddress", Status: http.StatusBadRequest,
		Message: "The email address you provided does not match any account on record."}}
)

// grantHeaders are the x-amz-grant-* headers and the permission of each.
var grantHeaders = [...]struct{ header, permission string }{
	{"X-Amz-Grant-Full-Control", "FULL_CONTROL"},
	{"X-Amz-Grant-Read", "READ"},
	{"X-Amz-Grant-Read-Acp", "READ_ACP"},
	{"X-Amz-Grant-Write", "WRITE"},
	{"X-Amz-Grant-Write-Acp", "WRITE_ACP"},
}

// headerACL is the ACL a request sets in its headers: a canned ACL
// (x-amz-acl) or explicit grants (x-amz-grant-*). given is false when it
// sets none.
type headerACL struct {
	canned string
	grants []meta.Grant // the explicit grants; canned ones are expanded by expand
	given  bool
}

func readHeaderACL(r *http.Request) (headerACL, error) {
	a := headerACL{canned: r.Header.Get("X-Amz-Acl")}
	for _, gh := range grantHeaders {
		v := r.Header.Get(gh.header)
		if v == "" {
			continue
		}
		gs, err := parseGrantHeader(v, gh.permission)
		if err != nil {
			return a, err
		}
		a.grants = append(a.grants, gs...)
	}
	if a.canned != "" && a.grants != nil {
		return a, errBothACLForms
	}
	a.given = a.canned != "" || a.grants != nil
	return a, nil
}

// parseGrantHeader reads `id="…", uri="…", emailAddress="…"` entries.
func parseGrantHeader(v, permission string) ([]meta.Grant, error) {
	var out []meta.Grant
	for _, part := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		val = strings.Trim(strings.TrimSpace(val), `"`)
		if !ok || val == "" {
			return nil, &s3err.Error{Code: s3err.InvalidArgument, Message: "Invalid grant: " + part}
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "id":
			out = append(out, meta.Grant{Type: s3xml.GranteeCanonicalUser, ID: val, Permission: permission})
		case "uri":
			if val != groupAllUsers && val != groupAuthenticated && val != groupLogDelivery {
				return nil, &s3err.Error{Code: s3err.InvalidArgument, Message: "Invalid group uri: " + val}
			}
			out = append(out, meta.Grant{Type: s3xml.GranteeGroup, URI: val, Permission: permission})
		case "emailaddress":
			return nil, errEmailGrantee
		default:
			return nil, &s3err.Error{Code: s3err.InvalidArgument, Message: "Invalid grantee type: " + k}
		}
	}
	return out, nil
}

// cannedGrants expands a canned ACL for a resource owned by owner (a
// canonical ID) in a bucket owned by bucketOwner. forBucket selects the
// bucket forms (log-delivery-write) over the object ones
// (bucket-owner-read, bucket-owner-full-control).
func cannedGrants(canned, owner, bucketOwner string, forBucket bool) ([]meta.Grant, error) {
	gs := []meta.Grant{{Type: s3xml.GranteeCanonicalUser, ID: owner, Permission: "FULL_CONTROL"}}
	group := func(uri, perm string) {
		gs = append(gs, meta.Grant{Type: s3xml.GranteeGroup, URI: uri, Permission: perm})
	}
	switch canned {
	case "private", "aws-exec-read":
	case "public-read":
		group(groupAllUsers, "READ")
	case "public-read-write":
		group(groupAllUsers, "READ")
		group(groupAllUsers, "WRITE")
	case "authenticated-read":
		group(groupAuthenticated, "READ")
	case "bucket-owner-read", "bucket-owner-full-control":
		perm := "READ"
		if canned == "bucket-owner-full-control" {
			perm = "FULL_CONTROL"
		}
		if !forBucket && bucketOwner != owner {
			gs = append(gs, meta.Grant{Type: s3xml.GranteeCanonicalUser, ID: bucketOwner, Permission: perm})
		}
	case "log-delivery-write":
		group(groupLogDelivery, "WRITE")
		group(groupLogDelivery, "READ_ACP")
	default:
		return nil, &s3err.Error{Code: s3err.InvalidArgument, Message: "Invalid canned ACL: " + canned}
	}
	return gs, nil
}

// acl is the full grant list a headerACL sets on a resource owned by
// owner (canonical ID) in a bucket owned by bucketOwner.
func (a headerACL) acl(owner, bucketOwner string, forBucket bool) ([]meta.Grant, error) {
	if a.canned != "" {
		return cannedGrants(a.canned, owner, bucketOwner, forBucket)
	}
	return a.grants, nil
}

// isPublicACL reports whether grants give anything to everyone or to
// every authenticated caller (S3 Block Public Access's public ACL).
func isPublicACL(grants []meta.Grant) bool {
	for _, g := range grants {
		if g.Type == s3xml.GranteeGroup && (g.URI == groupAllUsers || g.URI == groupAuthenticated) {
			return true
		}
	}
	return false
}

// ownerOnly returns a predicate telling the grants to owner (canonical ID).
func ownerOnly(owner string) func(meta.Grant) bool {
	return func(g meta.Grant) bool { return g.Type == s3xml.GranteeCanonicalUser && g.ID == owner }
}

// objectOwner is who S3 reports as the owner of an object stored as owned
// by stored: under BucketOwnerEnforced the bucket owner, whoever uploaded
// it.
func (h *handler) objectOwner(ctx context.Context, b *meta.Bucket, stored string) *s3xml.Owner {
	if b != nil && !object.ACLsEnabled(b) {
		stored = b.Owner
	}
	return h.owner(ctx, stored)
}

// canonical is an account's canonical user ID (the account ID when IAM
// does not know it).
func (h *handler) canonical(ctx context.Context, account string) string {
	return h.owner(ctx, account).ID
}

// publicAccessBlock is what Block Public Access enforces for a bucket:
// each setting on if the bucket's or its owner account's is.
func (h *handler) publicAccessBlock(ctx context.Context, b *meta.Bucket) (meta.PublicAccessBlock, error) {
	var out meta.PublicAccessBlock
	or := func(p *meta.PublicAccessBlock) {
		if p != nil {
			out.BlockPublicAcls = out.BlockPublicAcls || p.BlockPublicAcls
			out.IgnorePublicAcls = out.IgnorePublicAcls || p.IgnorePublicAcls
			out.BlockPublicPolicy = out.BlockPublicPolicy || p.BlockPublicPolicy
			out.RestrictPublicBuckets = out.RestrictPublicBuckets || p.RestrictPublicBuckets
		}
	}
	or(b.PublicAccessBlock)
	if h.cfg.IAM != nil {
		acct, err := h.cfg.IAM.AccountPublicAccessBlock(ctx, b.Owner)
		if err != nil {
			return out, err
		}
		or(acct)
	}
	return out, nil
}

// writeACL decides who owns an object a request writes to b and the ACL
// it gets (nil: private), from the request's ACL headers and the bucket's
// Object Ownership: under BucketOwnerEnforced only bucket-owner-full-
// control (or no ACL) is accepted and the bucket owner owns everything;
// otherwise ObjectOwner decides, and a public ACL is refused while Block
// Public Access blocks public ACLs.
func (h *handler) writeACL(q *request, b *meta.Bucket) (string, []meta.Grant, error) {
	req, err := readHeaderACL(q.r)
	if err != nil {
		return "", nil, err
	}
	writer := q.auth.Principal.AccountID
	if q.auth.Principal.Anonymous {
		writer = b.Owner // an anonymous upload (public-write) belongs to the bucket owner
	}
	if !object.ACLsEnabled(b) {
		// Only no ACL or the bucket owner's full control: the
		// bucket-owner-full-control canned ACL, private from the owner
		// itself, or grants to the bucket owner alone.
		if req.given && req.canned != "bucket-owner-full-control" && !(req.canned == "private" && writer == b.Owner) &&
			(req.canned != "" || !object.OnlyOwner(req.grants, ownerOnly(h.canonical(q.r.Context(), b.Owner)))) {
			return "", nil, object.ErrACLNotSupported
		}
		return b.Owner, nil, nil
	}
	owner := object.ObjectOwner(b, writer, req.canned)
	if !req.given {
		return owner, nil, nil
	}
	ctx := q.r.Context()
	acl, err := req.acl(h.canonical(ctx, owner), h.canonical(ctx, b.Owner), false)
	if err != nil {
		return "", nil, err
	}
	if err := h.blockPublicACL(ctx, b, acl); err != nil {
		return "", nil, err
	}
	return owner, acl, nil
}

// blockPublicACL refuses a public ACL while Block Public Access blocks
// them.
func (h *handler) blockPublicACL(ctx context.Context, b *meta.Bucket, acl []meta.Grant) error {
	if !isPublicACL(acl) {
		return nil
	}
	pab, err := h.publicAccessBlock(ctx, b)
	if err != nil {
		return err
	}
	if pab.BlockPublicAcls {
		return errAccessDenied
	}
	return nil
}

// aclStatement is a statement of the policy an ACL stands for.
type aclStatement struct {
	Effect    string         `json:"Effect"`
	Principal any            `json:"Principal"`
	Action    []string       `json:"Action"`
	Resource  string         `json:"Resource"`
	Condition map[string]any `json:"Condition,omitempty"`
}

// The actions each permission grants, on a bucket and on an object (S3's
// "Mapping of ACL permissions and access policy permissions").
var (
	bucketACLActions = map[string][]string{
		"READ":      {"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"},
		"WRITE":     {"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"},
		"READ_ACP":  {"s3:GetBucketAcl"},
		"WRITE_ACP": {"s3:PutBucketAcl"},
	}
	objectACLActions = map[string][]string{
		"READ":      {"s3:GetObject", "s3:GetObjectVersion"},
		"READ_ACP":  {"s3:GetObjectAcl", "s3:GetObjectVersionAcl"},
		"WRITE_ACP": {"s3:PutObjectAcl", "s3:PutObjectVersionAcl"},
	}
)

// aclPolicy is the resource policy an ACL amounts to, for evaluation
// with the bucket policy: each grant an Allow for its grantee of the
// actions its permission maps to. Grants to owner (its own, implicit) are
// left out, and public grants too when ignorePublic (IgnorePublicAcls).
// nil when nothing is granted.
func aclPolicy(grants []meta.Grant, owner, bucket, key string, ignorePublic bool) (*policy.Policy, error) {
	actions, resource := objectACLActions, "arn:aws:s3:::"+bucket+"/"+key
	if key == "" {
		actions, resource = bucketACLActions, "arn:aws:s3:::"+bucket
	}
	var sts []aclStatement
	for _, g := range grants {
		st := aclStatement{Effect: "Allow", Resource: resource}
		switch {
		case g.Type == s3xml.GranteeCanonicalUser && g.ID == owner:
			continue
		case g.Type == s3xml.GranteeCanonicalUser:
			st.Principal = map[string]string{"CanonicalUser": g.ID}
		case g.URI == groupAllUsers && !ignorePublic:
			st.Principal = "*"
		case g.URI == groupAuthenticated && !ignorePublic:
			st.Principal = "*"
			st.Condition = map[string]any{"StringNotEquals": map[string]string{"aws:PrincipalType": "Anonymous"}}
		case g.URI == groupLogDelivery:
			st.Principal = map[string]string{"Service": "logging.s3.amazonaws.com"}
		default:
			continue
		}
		if g.Permission == "FULL_CONTROL" {
			for _, perm := range []string{"READ", "WRITE", "READ_ACP", "WRITE_ACP"} {
				st.Action = append(st.Action, actions[perm]...)
			}
		} else {
			st.Action = actions[g.Permission]
		}
		if len(st.Action) == 0 {
			continue
		}
		if key == "" && g.Permission == "WRITE" || key == "" && g.Permission == "FULL_CONTROL" {
			// Writes act on the bucket's objects.
			write := st
			write.Action, write.Resource = bucketACLActions["WRITE"], resource+"/*"
			sts = append(sts, write)
		}
		sts = append(sts, st)
	}
	if len(sts) == 0 {
		return nil, nil
	}
	doc, err := json.Marshal(map[string]any{"Version": policy.Version2012, "Statement": sts})
	if err != nil {
		return nil, err
	}
	p, err := policy.Parse(doc, policy.KindResource)
	if err != nil {
		return nil, err
	}
	p.Name = aclPolicyName
	return p, nil
}

// aclPolicyName labels the ACL's statements in decisions.
const aclPolicyName = "ACL"

// accessControlPolicy is the Get…Acl answer for a resource owned by
// owner (an account) with grants (nil: private).
func (h *handler) accessControlPolicy(ctx context.Context, owner string, grants []meta.Grant) s3xml.AccessControlPolicyResult {
	o := h.owner(ctx, owner)
	if grants == nil {
		grants = []meta.Grant{{Type: s3xml.GranteeCanonicalUser, ID: o.ID, Permission: "FULL_CONTROL"}}
	}
	var xs []s3xml.Grant
	for _, g := range grants {
		xs = append(xs, s3xml.Grant{Grantee: s3xml.Grantee{Type: g.Type, ID: g.ID, URI: g.URI}, Permission: g.Permission})
	}
	return s3xml.NewAccessControlPolicyResult(*o, xs)
}

// bodyOrHeaderACL reads the ACL a Put…Acl request sets: its
// AccessControlPolicy body, or its headers (one or the other). With ACLs
// disabled (BucketOwnerEnforced) only the bucket owner's full control is
// accepted (bucket-owner-full-control, or a body granting the owner alone
// full control); anything else, canned "private" included, is
// AccessControlListNotSupported.
func (h *handler) bodyOrHeaderACL(q *request, b *meta.Bucket, owner, bucketOwner string, forBucket bool) ([]meta.Grant, error) {
	req, err := readHeaderACL(q.r)
	if err != nil {
		return nil, err
	}
	acl, err := h.readPutACL(q, req, owner, bucketOwner, forBucket)
	if err != nil {
		return nil, err
	}
	if !object.ACLsEnabled(b) && (req.given && req.canned != "bucket-owner-full-control" || !object.OnlyOwner(acl, ownerOnly(owner))) {
		return nil, object.ErrACLNotSupported
	}
	return acl, nil
}

func (h *handler) readPutACL(q *request, req headerACL, owner, bucketOwner string, forBucket bool) ([]meta.Grant, error) {
	if req.given {
		return req.acl(owner, bucketOwner, forBucket)
	}
	var doc s3xml.AccessControlPolicy
	if err := decodeXML(q, &doc); err != nil {
		if err == s3xml.ErrMissingBody {
			return nil, &s3err.Error{Code: s3err.MissingSecurityHeader, Message: "Your request was missing a required header"}
		}
		return nil, &s3err.Error{Code: s3err.MalformedACLError}
	}
	var out []meta.Grant
	for _, g := range doc.Grants {
		switch g.Grantee.Type {
		case s3xml.GranteeEmail:
			return nil, errEmailGrantee
		case s3xml.GranteeGroup:
			if g.Grantee.URI != groupAllUsers && g.Grantee.URI != groupAuthenticated && g.Grantee.URI != groupLogDelivery {
				return nil, &s3err.Error{Code: s3err.MalformedACLError}
			}
			out = append(out, meta.Grant{Type: g.Grantee.Type, URI: g.Grantee.URI, Permission: g.Permission})
		default:
			if g.Grantee.ID == "" {
				return nil, &s3err.Error{Code: s3err.MalformedACLError}
			}
			out = append(out, meta.Grant{Type: g.Grantee.Type, ID: g.Grantee.ID, Permission: g.Permission})
		}
	}
	if out == nil {
		out = []meta.Grant{}
	}
	return out, nil
}

func (h *handler) getBucketACL(q *request) error {
	b, err := h.bucketOf(q)
	if err != nil {
		return err
	}
	return writeXML(q.w, http.StatusOK, h.accessControlPolicy(q.r.Context(), b.Owner, b.ACL))
}

func (h *handler) putBucketACL(q *request) error {
	b, err := h.bucketOf(q)
	if err != nil {
		return err
	}
	ctx := q.r.Context()
	owner := h.canonical(ctx, b.Owner)
	acl, err := h.bodyOrHeaderACL(q, &b, owner, owner, true)
	if err != nil {
		return err
	}
	if err := h.blockPublicACL(ctx, &b, acl); err != nil {
		return err
	}
	if err := h.obj.PutBucketACL(ctx, b.Name, acl, ownerOnly(owner)); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *handler) getObjectACL(q *request) error {
	vid, err := versionID(q)
	if err != nil {
		return err
	}
	v, err := h.obj.GetVersion(q.r.Context(), q.op.Bucket, q.op.Key, vid)
	if err != nil {
		return err
	}
	if v.VersionID != meta.NullVersionID {
		q.w.Header().Set("X-Amz-Version-Id", v.VersionID)
	}
	owner, acl := v.Owner, v.ACL
	if q.bucket != nil && !object.ACLsEnabled(q.bucket) {
		// BucketOwnerEnforced: the bucket owner owns every object and
		// has full control of it, whoever uploaded it before.
		owner, acl = q.bucket.Owner, nil
	}
	return writeXML(q.w, http.StatusOK, h.accessControlPolicy(q.r.Context(), owner, acl))
}

func (h *handler) putObjectACL(q *request) error {
	vid, err := versionID(q)
	if err != nil {
		return err
	}
	b, err := h.bucketOf(q)
	if err != nil {
		return err
	}
	ctx := q.r.Context()
	v, err := h.obj.GetVersion(ctx, q.op.Bucket, q.op.Key, vid)
	if err != nil {
		return err
	}
	owner := h.canonical(ctx, v.Owner)
	acl, err := h.bodyOrHeaderACL(q, &b, owner, h.canonical(ctx, b.Owner), false)
	if err != nil {
		return err
	}
	if err := h.blockPublicACL(ctx, &b, acl); err != nil {
		return err
	}
	nv, err := h.obj.PutObjectACL(ctx, b.Name, q.op.Key, v.VersionID, acl, ownerOnly(owner))
	if err != nil {
		return err
	}
	if nv.VersionID != meta.NullVersionID {
		q.w.Header().Set("X-Amz-Version-Id", nv.VersionID)
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *handler) getOwnershipControls(q *request) error {
	o, err := h.obj.GetBucketOwnershipControls(q.r.Context(), q.op.Bucket)
	if err != nil {
		return err
	}
	return writeXML(q.w, http.StatusOK, s3xml.OwnershipControls{Rules: []s3xml.OwnershipControlsRule{{ObjectOwnership: o}}})
}

func (h *handler) putOwnershipControls(q *request) error {
	var doc s3xml.OwnershipControls
	if err := decodeXML(q, &doc); err != nil {
		return err
	}
	b, err := h.bucketOf(q)
	if err != nil {
		return err
	}
	owner := h.canonical(q.r.Context(), b.Owner)
	if err := h.obj.PutBucketOwnershipControls(q.r.Context(), b.Name, doc.Rules[0].ObjectOwnership, ownerOnly(owner)); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *handler) deleteOwnershipControls(q *request) error {
	if err := h.obj.DeleteBucketOwnershipControls(q.r.Context(), q.op.Bucket); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

func pabXML(p meta.PublicAccessBlock) s3xml.PublicAccessBlockConfiguration {
	return s3xml.PublicAccessBlockConfiguration{BlockPublicAcls: p.BlockPublicAcls, IgnorePublicAcls: p.IgnorePublicAcls,
		BlockPublicPolicy: p.BlockPublicPolicy, RestrictPublicBuckets: p.RestrictPublicBuckets}
}

func (h *handler) readPAB(q *request) (meta.PublicAccessBlock, error) {
	var doc s3xml.PublicAccessBlockConfiguration
	if err := decodeXML(q, &doc); err != nil {
		return meta.PublicAccessBlock{}, err
	}
	return meta.PublicAccessBlock{BlockPublicAcls: doc.BlockPublicAcls, IgnorePublicAcls: doc.IgnorePublicAcls,
		BlockPublicPolicy: doc.BlockPublicPolicy, RestrictPublicBuckets: doc.RestrictPublicBuckets}, nil
}

func (h *handler) getPublicAccessBlock(q *request) error {
	p, err := h.obj.GetPublicAccessBlock(q.r.Context(), q.op.Bucket)
	if err != nil {
		return err
	}
	return writeXML(q.w, http.StatusOK, pabXML(p))
}

func (h *handler) putPublicAccessBlock(q *request) error {
	p, err := h.readPAB(q)
	if err != nil {
		return err
	}
	if err := h.obj.PutPublicAccessBlock(q.r.Context(), q.op.Bucket, p); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *handler) deletePublicAccessBlock(q *request) error {
	if err := h.obj.DeletePublicAccessBlock(q.r.Context(), q.op.Bucket); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// accountOfControl checks the S3 Control request's x-amz-account-id
// against the caller's account.
func accountOfControl(q *request) (string, error) {
	id := q.r.Header.Get("X-Amz-Account-Id")
	if id == "" || id != q.auth.Principal.AccountID {
		return "", errAccessDenied
	}
	return id, nil
}

func (h *handler) accountPublicAccessBlock(q *request) error {
	if h.cfg.IAM == nil {
		return &s3err.Error{Code: s3err.NotImplemented}
	}
	account, err := accountOfControl(q)
	if err != nil {
		return err
	}
	ctx := q.r.Context()
	switch q.op.Kind {
	case OpGetAccountPublicAccessBlock:
		p, err := h.cfg.IAM.AccountPublicAccessBlock(ctx, account)
		if err != nil {
			return err
		}
		if p == nil {
			return object.ErrNoSuchPublicAccessBlock
		}
		return writeXML(q.w, http.StatusOK, pabXML(*p))
	case OpPutAccountPublicAccessBlock:
		p, err := h.readPAB(q)
		if err != nil {
			return err
		}
		if err := h.cfg.IAM.PutAccountPublicAccessBlock(ctx, account, &p); err != nil {
			return err
		}
		q.w.WriteHeader(http.StatusOK)
		return nil
	}
	if err := h.cfg.IAM.PutAccountPublicAccessBlock(ctx, account, nil); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// errMFARequired refuses a request MFA Delete protects that did not prove
// the root user's MFA.
var errMFARequired = &s3err.Error{Code: s3err.AccessDenied, Message: "Mfa Authentication must be used for this request"}

// checkMFAHeader checks x-amz-mfa ("SERIAL CODE") of a request MFA Delete
// protects: the caller must be the bucket owner's root user and the code
// one of its MFA device, not used before.
func (h *handler) checkMFAHeader(q *request, b *meta.Bucket) error {
	serial, code, ok := strings.Cut(strings.TrimSpace(q.r.Header.Get("X-Amz-Mfa")), " ")
	p := q.auth.Principal
	if !ok || h.cfg.IAM == nil || p.Anonymous || p.UserName != "" || p.Origin != nil || p.Session != nil && p.Session.RoleARN != "" || p.AccountID != b.Owner {
		return errMFARequired
	}
	if _, err := h.cfg.IAM.CheckMFA(q.r.Context(), b.Owner, "", serial, strings.TrimSpace(code)); err != nil {
		if iam.ErrorCode(err) != "" {
			return errMFARequired
		}
		return err
	}
	return nil
}
