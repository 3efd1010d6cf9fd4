package inproc

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// ACLs, Object Ownership and Block Public Access through the SDK's S3
// client, with two accounts: the first (the operator's) owns the buckets,
// the second, B, uploads into them or is granted access to them.

// The predefined groups an ACL grants to.
const (
	aclAllUsers      = "http://acs.amazonaws.com/groups/global/AllUsers"
	aclAuthenticated = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	aclLogDelivery   = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

// aclEnv is an IAM environment with a second account.
type aclEnv struct {
	*iamEnv
	ownerID string     // the first account's canonical user ID
	b       newAccount // the second account
	bS3     *s3.Client // signed by B's root user
	bID     string     // B's canonical user ID
}

func aclNewEnv(t *testing.T) *aclEnv {
	t.Helper()
	e := newIAMEnv(t)
	b := e.createAccount(t, "tenant-b")
	env := &aclEnv{iamEnv: e, b: b, bS3: e.newS3(b.AccessKeyID, b.SecretAccessKey)}
	env.ownerID = aclCanonicalID(t, e.s3)
	env.bID = aclCanonicalID(t, env.bS3)
	if env.ownerID == env.bID {
		t.Fatalf("both accounts have canonical ID %q", env.ownerID)
	}
	return env
}

// aclCanonicalID is the canonical user ID of the account c signs for, as
// ListBuckets reports it.
func aclCanonicalID(t testing.TB, c *s3.Client) string {
	t.Helper()
	lb, err := c.ListBuckets(ctx(t), &s3.ListBucketsInput{})
	must(t, err, "ListBuckets")
	if lb.Owner == nil || str(lb.Owner.ID) == "" {
		t.Fatalf("ListBuckets names no owner")
	}
	return str(lb.Owner.ID)
}

// bucket creates a bucket of the first account with Object Ownership
// ownership ("" leaves the default, BucketOwnerEnforced).
func (e *aclEnv) bucket(t testing.TB, prefix string, ownership types.ObjectOwnership) string {
	t.Helper()
	name := uniqueBucket(t, prefix)
	_, err := e.s3.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(name), ObjectOwnership: ownership})
	must(t, err, "CreateBucket "+name)
	return name
}

// root returns the S3 client of the account whose canonical ID is id.
func (e *aclEnv) root(id string) *s3.Client {
	if id == e.bID {
		return e.bS3
	}
	return e.s3
}

// aclBlock is a Block Public Access configuration.
type aclBlock struct {
	BlockPublicAcls       bool `xml:"BlockPublicAcls"`
	IgnorePublicAcls      bool `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     bool `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets bool `xml:"RestrictPublicBuckets"`
}

var aclBlockAll = aclBlock{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}

func (b aclBlock) sdk() *types.PublicAccessBlockConfiguration {
	return &types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(b.BlockPublicAcls), IgnorePublicAcls: aws.Bool(b.IgnorePublicAcls),
		BlockPublicPolicy: aws.Bool(b.BlockPublicPolicy), RestrictPublicBuckets: aws.Bool(b.RestrictPublicBuckets)}
}

// controlBody is the S3 Control PutPublicAccessBlock body.
func (b aclBlock) controlBody() []byte {
	return fmt.Appendf(nil, `<PublicAccessBlockConfiguration xmlns="http://awss3control.amazonaws.com/doc/2018-08-20/">`+
		`<BlockPublicAcls>%t</BlockPublicAcls><IgnorePublicAcls>%t</IgnorePublicAcls>`+
		`<BlockPublicPolicy>%t</BlockPublicPolicy><RestrictPublicBuckets>%t</RestrictPublicBuckets></PublicAccessBlockConfiguration>`,
		b.BlockPublicAcls, b.IgnorePublicAcls, b.BlockPublicPolicy, b.RestrictPublicBuckets)
}

func aclBlockOf(c *types.PublicAccessBlockConfiguration) aclBlock {
	if c == nil {
		return aclBlock{}
	}
	return aclBlock{BlockPublicAcls: boolv(c.BlockPublicAcls), IgnorePublicAcls: boolv(c.IgnorePublicAcls),
		BlockPublicPolicy: boolv(c.BlockPublicPolicy), RestrictPublicBuckets: boolv(c.RestrictPublicBuckets)}
}

// block sets a bucket's Block Public Access.
func (e *aclEnv) block(t testing.TB, bucket string, b aclBlock) {
	t.Helper()
	_, err := e.s3.PutPublicAccessBlock(ctx(t), &s3.PutPublicAccessBlockInput{Bucket: aws.String(bucket), PublicAccessBlockConfiguration: b.sdk()})
	must(t, err, "PutPublicAccessBlock "+bucket)
}

// policy sets a bucket's policy to statements.
func (e *aclEnv) policy(t testing.TB, bucket string, statements ...string) {
	t.Helper()
	_, err := e.s3.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policyDoc(statements...))})
	must(t, err, "PutBucketPolicy "+bucket)
}

// aclPublicRead is a bucket policy statement letting everyone read bucket's objects.
func aclPublicRead(bucket string) string {
	return `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}`
}

// --- grants ------------------------------------------------------------------

// aclUser and aclGroup name a grant as aclGrantSet lists it.
func aclUser(id string, p types.Permission) string   { return "CanonicalUser " + id + " " + string(p) }
func aclGroup(uri string, p types.Permission) string { return "Group " + uri + " " + string(p) }

func aclUserGrant(id string, p types.Permission) types.Grant {
	return types.Grant{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(id)}, Permission: p}
}

func aclGroupGrant(uri string, p types.Permission) types.Grant {
	return types.Grant{Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String(uri)}, Permission: p}
}

// aclGrantSet lists grants in a comparable, sorted form.
func aclGrantSet(grants []types.Grant) []string {
	out := []string{}
	for _, g := range grants {
		switch {
		case g.Grantee == nil:
			out = append(out, "no grantee "+string(g.Permission))
		case g.Grantee.Type == types.TypeGroup:
			out = append(out, aclGroup(str(g.Grantee.URI), g.Permission))
		case g.Grantee.Type == types.TypeCanonicalUser:
			out = append(out, aclUser(str(g.Grantee.ID), g.Permission))
		default:
			out = append(out, string(g.Grantee.Type)+" "+str(g.Grantee.EmailAddress)+" "+string(g.Permission))
		}
	}
	slices.Sort(out)
	return out
}

func aclOwnerID(o *types.Owner) string {
	if o == nil {
		return ""
	}
	return str(o.ID)
}

// aclWant asserts a Get…Acl answer: its owner and, in any order, its grants.
func aclWant(t testing.TB, what string, owner *types.Owner, grants []types.Grant, wantOwner string, want ...string) {
	t.Helper()
	want = slices.Sorted(slices.Values(want))
	got := aclGrantSet(grants)
	gotOwner := aclOwnerID(owner)
	if gotOwner != wantOwner || !slices.Equal(got, want) {
		t.Errorf("%s: owner %q, grants %q; want owner %q, grants %q", what, gotOwner, got, wantOwner, want)
	}
}

func (e *aclEnv) bucketACL(t testing.TB, c *s3.Client, bucket string) (*types.Owner, []types.Grant) {
	t.Helper()
	out, err := c.GetBucketAcl(ctx(t), &s3.GetBucketAclInput{Bucket: aws.String(bucket)})
	must(t, err, "GetBucketAcl "+bucket)
	return out.Owner, out.Grants
}

func (e *aclEnv) objectACL(t testing.TB, c *s3.Client, bucket, key string) (*types.Owner, []types.Grant) {
	t.Helper()
	out, err := c.GetObjectAcl(ctx(t), &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	must(t, err, "GetObjectAcl "+bucket+"/"+key)
	return out.Owner, out.Grants
}

// aclOutcome is the HTTP status and error code of an SDK call's error
// (0 and "" for success).
func aclOutcome(err error) (int, string) {
	if err == nil {
		return 0, ""
	}
	var re *awshttp.ResponseError
	var ae smithy.APIError
	status, code := -1, ""
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	return status, code
}

// aclWantOrBug asserts err is AWS's answer (status 0: success; code as
// for wantAPIError). The answer of a bug fixed before (bugStatus 0:
// success) fails naming it.
func aclWantOrBug(t *testing.T, err error, status int, code string, bugStatus int, bugCode, bug string) {
	t.Helper()
	got, gotCode := aclOutcome(err)
	isAWS := got == status && (code == "" || gotCode == code)
	if !isAWS && got == bugStatus && (bugCode == "" || gotCode == bugCode) {
		t.Errorf("the answer of a bug fixed before: %s (got %v)", bug, err)
		return
	}
	if status == 0 {
		must(t, err, "the request")
		return
	}
	wantAPIError(t, err, status, code)
}

// --- Object Ownership ----------------------------------------------------------

// TestObjectOwnershipUploads: who owns an upload, per Object Ownership,
// uploader and ACL header, and whether the bucket owner may then read it.
// The other account uploads under a bucket policy granting it
// s3:PutObject only; Block Public Access is on (the default), so public
// ACLs are refused where ACLs are enabled.
func TestObjectOwnershipUploads(t *testing.T) {
	t.Parallel()
	e := aclNewEnv(t)
	buckets := map[types.ObjectOwnership]string{}
	for _, o := range []types.ObjectOwnership{types.ObjectOwnershipBucketOwnerEnforced, types.ObjectOwnershipBucketOwnerPreferred, types.ObjectOwnershipObjectWriter} {
		name := e.bucket(t, strings.ToLower(string(o)), o)
		e.policy(t, name, `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+e.b.AccountID+`:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::`+name+`/*"}`)
		buckets[o] = name
	}
	const (
		owner = "bucket-owner"  // the first account's root user
		other = "other-account" // B's root user
	)
	const (
		enforced  = types.ObjectOwnershipBucketOwnerEnforced
		preferred = types.ObjectOwnershipBucketOwnerPreferred
		writer    = types.ObjectOwnershipObjectWriter

		none      = types.ObjectCannedACL("")
		fullCtl   = types.ObjectCannedACLBucketOwnerFullControl
		ownerRead = types.ObjectCannedACLBucketOwnerRead
		private   = types.ObjectCannedACLPrivate
		public    = types.ObjectCannedACLPublicRead
	)
	tests := []struct {
		ownership types.ObjectOwnership
		uploader  string
		acl       types.ObjectCannedACL
		status    int    // 0: the upload succeeds
		code      string // the error code when it does not
		owner     string // on success, who owns the object
		readable  bool   // on success, whether the bucket owner may GetObject it
	}{
		{enforced, owner, none, 0, "", owner, true},
		{enforced, owner, fullCtl, 0, "", owner, true},
		{enforced, owner, ownerRead, 400, "AccessControlListNotSupported", "", false},
		{enforced, owner, private, 0, "", owner, true}, // from the bucket owner, private is its full control
		{enforced, owner, public, 400, "AccessControlListNotSupported", "", false},
		{enforced, other, none, 0, "", owner, true},
		{enforced, other, fullCtl, 0, "", owner, true},
		{enforced, other, ownerRead, 400, "AccessControlListNotSupported", "", false},
		{enforced, other, private, 400, "AccessControlListNotSupported", "", false},
		{enforced, other, public, 400, "AccessControlListNotSupported", "", false},

		{preferred, owner, none, 0, "", owner, true},
		{preferred, owner, fullCtl, 0, "", owner, true},
		{preferred, owner, ownerRead, 0, "", owner, true},
		{preferred, owner, private, 0, "", owner, true},
		{preferred, owner, public, 403, "AccessDenied", "", false},
		{preferred, other, none, 0, "", other, false},
		{preferred, other, fullCtl, 0, "", owner, true},
		{preferred, other, ownerRead, 0, "", other, true},
		{preferred, other, private, 0, "", other, false},
		{preferred, other, public, 403, "AccessDenied", "", false},

		{writer, owner, none, 0, "", owner, true},
		{writer, owner, fullCtl, 0, "", owner, true},
		{writer, owner, ownerRead, 0, "", owner, true},
		{writer, owner, private, 0, "", owner, true},
		{writer, owner, public, 403, "AccessDenied", "", false},
		{writer, other, none, 0, "", other, false},
		{writer, other, fullCtl, 0, "", other, true},
		{writer, other, ownerRead, 0, "", other, true},
		{writer, other, private, 0, "", other, false},
		{writer, other, public, 403, "AccessDenied", "", false},
	}
	ids := map[string]string{owner: e.ownerID, other: e.bID}
	for _, tt := range tests {
		acl := string(tt.acl)
		if acl == "" {
			acl = "no-acl"
		}
		t.Run(string(tt.ownership)+"/"+tt.uploader+"/"+acl, func(t *testing.T) {
			t.Parallel()
			bucket, key := buckets[tt.ownership], tt.uploader+"/"+acl
			_, err := e.root(ids[tt.uploader]).PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
				Body: strings.NewReader("data"), ACL: tt.acl})
			if tt.status != 0 {
				wantAPIError(t, err, tt.status, tt.code)
				wantAPIError(t, errOf(e.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})), 404, "")
				return
			}
			must(t, err, "PutObject")
			// The owner may always read its object's ACL.
			ownerID := ids[tt.owner]
			o, _ := e.objectACL(t, e.root(ownerID), bucket, key)
			if aclOwnerID(o) != ownerID {
				t.Errorf("GetObjectAcl Owner.ID = %q, want the %s's %q", aclOwnerID(o), tt.owner, ownerID)
			}
			if tt.readable {
				must(t, tryGet(t, e.s3, bucket, key), "GetObject by the bucket owner")
			} else {
				wantAPIError(t, tryGet(t, e.s3, bucket, key), 403, "AccessDenied")
			}
		})
	}

	// Under BucketOwnerEnforced grant headers are accepted when they
	// amount to the bucket owner's full control, and only then.
	grants := []struct {
		name     string
		uploader string
		in       s3.PutObjectInput
		status   int
	}{
		{"the bucket owner's full control", owner, s3.PutObjectInput{GrantFullControl: aws.String(`id="` + e.ownerID + `"`)}, 0},
		{"the bucket owner's full control, sent by the other account", other, s3.PutObjectInput{GrantFullControl: aws.String(`id="` + e.ownerID + `"`)}, 0},
		{"the uploader's full control", other, s3.PutObjectInput{GrantFullControl: aws.String(`id="` + e.bID + `"`)}, 400},
		{"READ to another account", owner, s3.PutObjectInput{GrantFullControl: aws.String(`id="` + e.ownerID + `"`), GrantRead: aws.String(`id="` + e.bID + `"`)}, 400},
		{"READ to a group", owner, s3.PutObjectInput{GrantRead: aws.String(`uri="` + aclLogDelivery + `"`)}, 400},
	}
	for i, tt := range grants {
		t.Run("BucketOwnerEnforced/grant headers/"+tt.name, func(t *testing.T) {
			t.Parallel()
			bucket, key := buckets[enforced], fmt.Sprintf("grants/%d", i)
			in := tt.in
			in.Bucket, in.Key, in.Body = aws.String(bucket), aws.String(key), strings.NewReader("data")
			_, err := e.root(ids[tt.uploader]).PutObject(ctx(t), &in)
			if tt.status != 0 {
				wantAPIError(t, err, tt.status, "AccessControlListNotSupported")
				return
			}
			must(t, err, "PutObject")
			o, gs := e.objectACL(t, e.s3, bucket, key)
			aclWant(t, "GetObjectAcl", o, gs, e.ownerID, aclUser(e.ownerID, types.PermissionFullControl))
		})
	}

	// A multipart upload's owner is decided when it is created, by the
	// same rules.
	multipart := []struct {
		ownership types.ObjectOwnership
		acl       types.ObjectCannedACL
		owner     string
	}{
		{preferred, fullCtl, owner},
		{preferred, none, other},
		{writer, fullCtl, other},
		{enforced, none, owner},
	}
	for _, tt := range multipart {
		acl := string(tt.acl)
		if acl == "" {
			acl = "no-acl"
		}
		t.Run(string(tt.ownership)+"/multipart/"+acl, func(t *testing.T) {
			t.Parallel()
			bucket, key := buckets[tt.ownership], "multipart/"+acl
			up, err := e.bS3.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), ACL: tt.acl})
			must(t, err, "CreateMultipartUpload by B")
			part, err := e.bS3.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
				PartNumber: aws.Int32(1), Body: strings.NewReader("data")})
			must(t, err, "UploadPart by B")
			_, err = e.bS3.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: up.UploadId,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}})
			must(t, err, "CompleteMultipartUpload by B")
			o, _ := e.objectACL(t, e.root(ids[tt.owner]), bucket, key)
			if aclOwnerID(o) != ids[tt.owner] {
				t.Errorf("GetObjectAcl Owner.ID = %q, want the %s's %q", aclOwnerID(o), tt.owner, ids[tt.owner])
			}
		})
	}
}

// TestObjectOwnershipControls: Get/Put/DeleteBucketOwnershipControls and
// CreateBucket's x-amz-object-ownership, and what they require of the
// bucket ACL.
func TestObjectOwnershipControls(t *testing.T) {
	t.Parallel()
	e := aclNewEnv(t)
	get := func(t *testing.T, bucket string) (types.ObjectOwnership, error) {
		t.Helper()
		out, err := e.s3.GetBucketOwnershipControls(ctx(t), &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(bucket)})
		if err != nil {
			return "", err
		}
		if out.OwnershipControls == nil || len(out.OwnershipControls.Rules) != 1 {
			t.Fatalf("GetBucketOwnershipControls = %+v, want one rule", out.OwnershipControls)
		}
		return out.OwnershipControls.Rules[0].ObjectOwnership, nil
	}
	wantOwnership := func(t *testing.T, bucket string, want types.ObjectOwnership) {
		t.Helper()
		got, err := get(t, bucket)
		must(t, err, "GetBucketOwnershipControls")
		if got != want {
			t.Errorf("ObjectOwnership = %q, want %q", got, want)
		}
	}
	put := func(t *testing.T, c *s3.Client, bucket string, o types.ObjectOwnership) error {
		t.Helper()
		_, err := c.PutBucketOwnershipControls(ctx(t), &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(bucket),
			OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: o}}}})
		return err
	}

	t.Run("a new bucket enforces bucket ownership", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "new", "")
		wantOwnership(t, bucket, types.ObjectOwnershipBucketOwnerEnforced)
		o, gs := e.bucketACL(t, e.s3, bucket)
		aclWant(t, "GetBucketAcl", o, gs, e.ownerID, aclUser(e.ownerID, types.PermissionFullControl))
	})

	t.Run("put, get and delete", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "pgd", "")
		for _, o := range []types.ObjectOwnership{types.ObjectOwnershipObjectWriter, types.ObjectOwnershipBucketOwnerPreferred, types.ObjectOwnershipBucketOwnerEnforced} {
			must(t, put(t, e.s3, bucket, o), "PutBucketOwnershipControls "+string(o))
			wantOwnership(t, bucket, o)
		}
		_, err := e.s3.DeleteBucketOwnershipControls(ctx(t), &s3.DeleteBucketOwnershipControlsInput{Bucket: aws.String(bucket)})
		must(t, err, "DeleteBucketOwnershipControls")
		_, err = get(t, bucket)
		wantAPIError(t, err, 404, "OwnershipControlsNotFoundError")
		// Without the setting the bucket behaves as ObjectWriter: ACLs are
		// accepted again.
		_, err = e.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("x"),
			ACL: types.ObjectCannedACLPrivate})
		must(t, err, "PutObject with an ACL once the controls are deleted")
	})

	t.Run("an unknown setting", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "unknown", "")
		wantAPIError(t, put(t, e.s3, bucket, "EveryoneOwnsEverything"), 400, "MalformedXML")
		wantOwnership(t, bucket, types.ObjectOwnershipBucketOwnerEnforced)
	})

	t.Run("BucketOwnerEnforced is refused while the bucket ACL grants others", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "grants", types.ObjectOwnershipObjectWriter)
		_, err := e.s3.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket),
			GrantFullControl: aws.String(`id="` + e.ownerID + `"`), GrantRead: aws.String(`id="` + e.bID + `"`)})
		must(t, err, "PutBucketAcl granting B READ")
		wantAPIError(t, put(t, e.s3, bucket, types.ObjectOwnershipBucketOwnerEnforced), 400, "InvalidBucketAclWithObjectOwnership")
		wantOwnership(t, bucket, types.ObjectOwnershipObjectWriter)
		_, err = e.s3.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPrivate})
		must(t, err, "PutBucketAcl private")
		must(t, put(t, e.s3, bucket, types.ObjectOwnershipBucketOwnerEnforced), "PutBucketOwnershipControls BucketOwnerEnforced once private")
		wantOwnership(t, bucket, types.ObjectOwnershipBucketOwnerEnforced)
	})

	t.Run("CreateBucket with an ACL", func(t *testing.T) {
		t.Parallel()
		grants := &s3.CreateBucketInput{GrantFullControl: aws.String(`id="` + e.ownerID + `"`), GrantRead: aws.String(`id="` + e.bID + `"`)}
		enforced := uniqueBucket(t, "create-enforced")
		in := *grants
		in.Bucket = aws.String(enforced)
		wantAPIError(t, errOf(e.s3.CreateBucket(ctx(t), &in)), 400, "InvalidBucketAclWithObjectOwnership")
		wantAPIError(t, errOf(e.s3.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String(enforced)})), 404, "")

		// A public ACL too: Object Ownership is checked first.
		public := uniqueBucket(t, "create-public")
		wantAPIError(t, errOf(e.s3.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(public), ACL: types.BucketCannedACLPublicRead})),
			400, "InvalidBucketAclWithObjectOwnership")
		// With ACLs enabled, Block Public Access (on from the start) refuses it.
		refused := errOf(e.s3.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(public), ACL: types.BucketCannedACLPublicRead,
			ObjectOwnership: types.ObjectOwnershipObjectWriter}))
		if refused == nil {
			t.Errorf("CreateBucket ObjectWriter public-read succeeded, want it refused")
		}
		wantAPIError(t, errOf(e.s3.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String(public)})), 404, "")
		// private is the owner's full control: accepted.
		private := uniqueBucket(t, "create-private")
		must(t, errOf(e.s3.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(private), ACL: types.BucketCannedACLPrivate})),
			"CreateBucket private")
		wantOwnership(t, private, types.ObjectOwnershipBucketOwnerEnforced)

		writer := uniqueBucket(t, "create-writer")
		in = *grants
		in.Bucket, in.ObjectOwnership = aws.String(writer), types.ObjectOwnershipObjectWriter
		must(t, errOf(e.s3.CreateBucket(ctx(t), &in)), "CreateBucket ObjectWriter with grants")
		wantOwnership(t, writer, types.ObjectOwnershipObjectWriter)
		o, gs := e.bucketACL(t, e.s3, writer)
		aclWant(t, "GetBucketAcl", o, gs, e.ownerID, aclUser(e.ownerID, types.PermissionFullControl), aclUser(e.bID, types.PermissionRead))
	})

	t.Run("another account may not change them", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "foreign", "")
		wantAPIError(t, put(t, e.bS3, bucket, types.ObjectOwnershipObjectWriter), 403, "AccessDenied")
		wantAPIError(t, errOf(e.bS3.DeleteBucketOwnershipControls(ctx(t), &s3.DeleteBucketOwnershipControlsInput{Bucket: aws.String(bucket)})), 403, "AccessDenied")
		wantOwnership(t, bucket, types.ObjectOwnershipBucketOwnerEnforced)
	})

	t.Run("BucketOwnerEnforced takes over objects other accounts own", func(t *testing.T) {
		t.Parallel()
		// S3: with the setting "the bucket owner automatically owns and
		// has full control over every object in the bucket", and "requests
		// to read ACLs always return a response that shows full control
		// for the bucket owner".
		bucket := e.bucket(t, "takeover", types.ObjectOwnershipObjectWriter)
		e.policy(t, bucket, `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+e.b.AccountID+`:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::`+bucket+`/*"}`)
		must(t, tryPut(t, e.bS3, bucket, "private"), "B's PutObject")
		_, err := e.bS3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("shared"), Body: strings.NewReader("x"),
			ACL: types.ObjectCannedACLBucketOwnerFullControl})
		must(t, err, "B's PutObject bucket-owner-full-control")
		wantAPIError(t, tryGet(t, e.s3, bucket, "private"), 403, "AccessDenied")

		must(t, put(t, e.s3, bucket, types.ObjectOwnershipBucketOwnerEnforced), "PutBucketOwnershipControls BucketOwnerEnforced")
		must(t, tryGet(t, e.s3, bucket, "private"), "GetObject by the bucket owner under BucketOwnerEnforced")
		wantAPIError(t, tryGet(t, e.bS3, bucket, "private"), 403, "AccessDenied")
		var wrong []string
		o, gs := e.objectACL(t, e.s3, bucket, "shared")
		if aclOwnerID(o) != e.ownerID || !slices.Equal(aclGrantSet(gs), []string{aclUser(e.ownerID, types.PermissionFullControl)}) {
			wrong = append(wrong, fmt.Sprintf("GetObjectAcl: owner %q, grants %q", aclOwnerID(o), aclGrantSet(gs)))
		}
		list, err := e.s3.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), FetchOwner: aws.Bool(true)})
		must(t, err, "ListObjectsV2")
		for _, obj := range list.Contents {
			if id := aclOwnerID(obj.Owner); id != e.ownerID {
				wrong = append(wrong, fmt.Sprintf("ListObjectsV2: %s owned by %q", str(obj.Key), id))
			}
		}
		if wrong != nil {
			t.Errorf("under BucketOwnerEnforced objects another account uploaded before still show that account as owner (want the bucket owner %q, B is %q): %s",
				e.ownerID, e.bID, strings.Join(wrong, "; "))
		}
	})
}

// --- Put/Get…Acl ---------------------------------------------------------------

// TestBucketAcl: Put/GetBucketAcl round trips in the body and header
// forms, the requests S3 refuses, and BucketOwnerEnforced's refusal of ACLs.
func TestBucketAcl(t *testing.T) {
	t.Parallel()
	e := aclNewEnv(t)
	bucket := e.bucket(t, "bacl", types.ObjectOwnershipObjectWriter)
	ownerFull := aclUser(e.ownerID, types.PermissionFullControl)

	t.Run("a new bucket grants its owner full control", func(t *testing.T) {
		o, gs := e.bucketACL(t, e.s3, bucket)
		aclWant(t, "GetBucketAcl", o, gs, e.ownerID, ownerFull)
	})

	sets := []struct {
		name string
		in   s3.PutBucketAclInput
		want []string
	}{
		{"AccessControlPolicy body", s3.PutBucketAclInput{AccessControlPolicy: &types.AccessControlPolicy{
			Owner: &types.Owner{ID: aws.String(e.ownerID)},
			Grants: []types.Grant{aclUserGrant(e.ownerID, types.PermissionFullControl), aclUserGrant(e.bID, types.PermissionRead),
				aclUserGrant(e.bID, types.PermissionReadAcp), aclGroupGrant(aclLogDelivery, types.PermissionWrite)},
		}}, []string{ownerFull, aclUser(e.bID, types.PermissionRead), aclUser(e.bID, types.PermissionReadAcp), aclGroup(aclLogDelivery, types.PermissionWrite)}},
		{"grant headers", s3.PutBucketAclInput{
			GrantFullControl: aws.String(`id="` + e.ownerID + `"`),
			GrantRead:        aws.String(`id="` + e.bID + `", uri="` + aclLogDelivery + `"`),
			GrantWriteACP:    aws.String(`id="` + e.bID + `"`),
		}, []string{ownerFull, aclUser(e.bID, types.PermissionRead), aclGroup(aclLogDelivery, types.PermissionRead), aclUser(e.bID, types.PermissionWriteAcp)}},
		{"canned log-delivery-write", s3.PutBucketAclInput{ACL: "log-delivery-write"},
			[]string{ownerFull, aclGroup(aclLogDelivery, types.PermissionWrite), aclGroup(aclLogDelivery, types.PermissionReadAcp)}},
		{"canned private", s3.PutBucketAclInput{ACL: types.BucketCannedACLPrivate}, []string{ownerFull}},
	}
	for _, tt := range sets {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Bucket = aws.String(bucket)
			_, err := e.s3.PutBucketAcl(ctx(t), &in)
			must(t, err, "PutBucketAcl")
			o, gs := e.bucketACL(t, e.s3, bucket)
			aclWant(t, "GetBucketAcl", o, gs, e.ownerID, tt.want...)
		})
	}

	errs := []struct {
		name   string
		in     s3.PutBucketAclInput
		status int
		code   string
	}{
		{"an email grantee in the body", s3.PutBucketAclInput{AccessControlPolicy: &types.AccessControlPolicy{
			Owner: &types.Owner{ID: aws.String(e.ownerID)},
			Grants: []types.Grant{{Grantee: &types.Grantee{Type: types.TypeAmazonCustomerByEmail, EmailAddress: aws.String("someone@example.com")},
				Permission: types.PermissionRead}},
		}}, 400, "UnresolvableGrantByEmailAddress"},
		{"an email grantee in a header", s3.PutBucketAclInput{GrantRead: aws.String(`emailAddress="someone@example.com"`)}, 400, "UnresolvableGrantByEmailAddress"},
		{"a canned ACL and grant headers", s3.PutBucketAclInput{ACL: types.BucketCannedACLPrivate, GrantRead: aws.String(`id="` + e.bID + `"`)}, 400, "InvalidRequest"},
		{"a public ACL while Block Public Access blocks them", s3.PutBucketAclInput{ACL: types.BucketCannedACLPublicRead}, 403, "AccessDenied"},
		{"a public grant header while Block Public Access blocks them", s3.PutBucketAclInput{GrantRead: aws.String(`uri="` + aclAuthenticated + `"`)}, 403, "AccessDenied"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Bucket = aws.String(bucket)
			wantAPIError(t, errOf(e.s3.PutBucketAcl(ctx(t), &in)), tt.status, tt.code)
			o, gs := e.bucketACL(t, e.s3, bucket)
			aclWant(t, "GetBucketAcl after a refused PutBucketAcl", o, gs, e.ownerID, ownerFull)
		})
	}

	t.Run("another account may neither read nor change it", func(t *testing.T) {
		wantAPIError(t, errOf(e.bS3.GetBucketAcl(ctx(t), &s3.GetBucketAclInput{Bucket: aws.String(bucket)})), 403, "AccessDenied")
		wantAPIError(t, errOf(e.bS3.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket),
			GrantFullControl: aws.String(`id="` + e.bID + `"`)})), 403, "AccessDenied")
	})

	t.Run("BucketOwnerEnforced", func(t *testing.T) {
		enforced := e.bucket(t, "bacl-enforced", "")
		put := func(in s3.PutBucketAclInput) error {
			in.Bucket = aws.String(enforced)
			_, err := e.s3.PutBucketAcl(ctx(t), &in)
			return err
		}
		// Reading ACLs still works: the owner's full control.
		o, gs := e.bucketACL(t, e.s3, enforced)
		aclWant(t, "GetBucketAcl", o, gs, e.ownerID, ownerFull)
		must(t, put(s3.PutBucketAclInput{AccessControlPolicy: &types.AccessControlPolicy{Owner: &types.Owner{ID: aws.String(e.ownerID)},
			Grants: []types.Grant{aclUserGrant(e.ownerID, types.PermissionFullControl)}}}), "PutBucketAcl granting the owner full control only")
		wantAPIError(t, put(s3.PutBucketAclInput{GrantFullControl: aws.String(`id="` + e.ownerID + `"`), GrantRead: aws.String(`id="` + e.bID + `"`)}),
			400, "AccessControlListNotSupported")
		wantAPIError(t, put(s3.PutBucketAclInput{AccessControlPolicy: &types.AccessControlPolicy{Owner: &types.Owner{ID: aws.String(e.ownerID)},
			Grants: []types.Grant{aclUserGrant(e.ownerID, types.PermissionFullControl), aclGroupGrant(aclLogDelivery, types.PermissionWrite)}}}),
			400, "AccessControlListNotSupported")
		o, gs = e.bucketACL(t, e.s3, enforced)
		aclWant(t, "GetBucketAcl after refused changes", o, gs, e.ownerID, ownerFull)

		t.Run("a public canned ACL", func(t *testing.T) {
			aclWantOrBug(t, put(s3.PutBucketAclInput{ACL: types.BucketCannedACLPublicRead}), 400, "AccessControlListNotSupported", 403, "AccessDenied",
				"putBucketACL (internal/s3api/acl.go) checks Block Public Access before Object Ownership: a public ACL on a BucketOwnerEnforced bucket is AccessDenied, S3 says AccessControlListNotSupported")
		})
		t.Run("the private canned ACL", func(t *testing.T) {
			// S3 refuses every canned ACL here ("requests to set ACLs or
			// update ACLs fail"): PutBucketAcl private is the call
			// Terraform's aws_s3_bucket_acl acl = "private" makes, which
			// fails with AccessControlListNotSupported on such buckets.
			aclWantOrBug(t, put(s3.PutBucketAclInput{ACL: types.BucketCannedACLPrivate}), 400, "AccessControlListNotSupported", 0, "",
				"PutBucketAcl with the canned ACL private succeeds on a BucketOwnerEnforced bucket (object.Service.PutBucketACL accepts any owner-only ACL); S3 answers AccessControlListNotSupported")
		})
	})
}

// TestObjectAcl: Put/GetObjectAcl as TestBucketAcl does for buckets.
func TestObjectAcl(t *testing.T) {
	t.Parallel()
	e := aclNewEnv(t)
	bucket := e.bucket(t, "oacl", types.ObjectOwnershipObjectWriter)
	must(t, tryPut(t, e.s3, bucket, "k"), "PutObject")
	ownerFull := aclUser(e.ownerID, types.PermissionFullControl)

	t.Run("a new object grants its owner full control", func(t *testing.T) {
		o, gs := e.objectACL(t, e.s3, bucket, "k")
		aclWant(t, "GetObjectAcl", o, gs, e.ownerID, ownerFull)
	})

	sets := []struct {
		name string
		in   s3.PutObjectAclInput
		want []string
	}{
		{"AccessControlPolicy body", s3.PutObjectAclInput{AccessControlPolicy: &types.AccessControlPolicy{
			Owner: &types.Owner{ID: aws.String(e.ownerID)},
			Grants: []types.Grant{aclUserGrant(e.ownerID, types.PermissionFullControl), aclUserGrant(e.bID, types.PermissionRead),
				aclUserGrant(e.bID, types.PermissionWriteAcp)},
		}}, []string{ownerFull, aclUser(e.bID, types.PermissionRead), aclUser(e.bID, types.PermissionWriteAcp)}},
		{"grant headers", s3.PutObjectAclInput{
			GrantFullControl: aws.String(`id="` + e.ownerID + `"`),
			GrantRead:        aws.String(`id="` + e.bID + `"`),
			GrantReadACP:     aws.String(`id="` + e.bID + `", uri="` + aclLogDelivery + `"`),
		}, []string{ownerFull, aclUser(e.bID, types.PermissionRead), aclUser(e.bID, types.PermissionReadAcp), aclGroup(aclLogDelivery, types.PermissionReadAcp)}},
		{"canned bucket-owner-full-control by the bucket owner", s3.PutObjectAclInput{ACL: types.ObjectCannedACLBucketOwnerFullControl}, []string{ownerFull}},
		{"canned private", s3.PutObjectAclInput{ACL: types.ObjectCannedACLPrivate}, []string{ownerFull}},
	}
	for _, tt := range sets {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Bucket, in.Key = aws.String(bucket), aws.String("k")
			_, err := e.s3.PutObjectAcl(ctx(t), &in)
			must(t, err, "PutObjectAcl")
			o, gs := e.objectACL(t, e.s3, bucket, "k")
			aclWant(t, "GetObjectAcl", o, gs, e.ownerID, tt.want...)
		})
	}

	errs := []struct {
		name   string
		in     s3.PutObjectAclInput
		status int
		code   string
	}{
		{"an email grantee in the body", s3.PutObjectAclInput{AccessControlPolicy: &types.AccessControlPolicy{
			Owner: &types.Owner{ID: aws.String(e.ownerID)},
			Grants: []types.Grant{aclUserGrant(e.ownerID, types.PermissionFullControl),
				{Grantee: &types.Grantee{Type: types.TypeAmazonCustomerByEmail, EmailAddress: aws.String("someone@example.com")}, Permission: types.PermissionRead}},
		}}, 400, "UnresolvableGrantByEmailAddress"},
		{"an email grantee in a header", s3.PutObjectAclInput{GrantRead: aws.String(`emailAddress="someone@example.com"`)}, 400, "UnresolvableGrantByEmailAddress"},
		{"a canned ACL and grant headers", s3.PutObjectAclInput{ACL: types.ObjectCannedACLPrivate, GrantRead: aws.String(`id="` + e.bID + `"`)}, 400, "InvalidRequest"},
		{"a public ACL while Block Public Access blocks them", s3.PutObjectAclInput{ACL: types.ObjectCannedACLPublicRead}, 403, "AccessDenied"},
		{"an authenticated-read ACL while Block Public Access blocks them", s3.PutObjectAclInput{ACL: types.ObjectCannedACLAuthenticatedRead}, 403, "AccessDenied"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Bucket, in.Key = aws.String(bucket), aws.String("k")
			wantAPIError(t, errOf(e.s3.PutObjectAcl(ctx(t), &in)), tt.status, tt.code)
			o, gs := e.objectACL(t, e.s3, bucket, "k")
			aclWant(t, "GetObjectAcl after a refused PutObjectAcl", o, gs, e.ownerID, ownerFull)
		})
	}

	t.Run("a missing key", func(t *testing.T) {
		wantAPIError(t, errOf(e.s3.GetObjectAcl(ctx(t), &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("missing")})), 404, "NoSuchKey")
		wantAPIError(t, errOf(e.s3.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("missing"),
			ACL: types.ObjectCannedACLPrivate})), 404, "NoSuchKey")
	})

	t.Run("BucketOwnerEnforced", func(t *testing.T) {
		enforced := e.bucket(t, "oacl-enforced", "")
		must(t, tryPut(t, e.s3, enforced, "k"), "PutObject")
		put := func(in s3.PutObjectAclInput) error {
			in.Bucket, in.Key = aws.String(enforced), aws.String("k")
			_, err := e.s3.PutObjectAcl(ctx(t), &in)
			return err
		}
		o, gs := e.objectACL(t, e.s3, enforced, "k")
		aclWant(t, "GetObjectAcl", o, gs, e.ownerID, ownerFull)
		must(t, put(s3.PutObjectAclInput{ACL: types.ObjectCannedACLBucketOwnerFullControl}), "PutObjectAcl bucket-owner-full-control")
		must(t, put(s3.PutObjectAclInput{AccessControlPolicy: &types.AccessControlPolicy{Owner: &types.Owner{ID: aws.String(e.ownerID)},
			Grants: []types.Grant{aclUserGrant(e.ownerID, types.PermissionFullControl)}}}), "PutObjectAcl granting the bucket owner full control only")
		wantAPIError(t, put(s3.PutObjectAclInput{GrantFullControl: aws.String(`id="` + e.ownerID + `"`), GrantRead: aws.String(`id="` + e.bID + `"`)}),
			400, "AccessControlListNotSupported")
		o, gs = e.objectACL(t, e.s3, enforced, "k")
		aclWant(t, "GetObjectAcl after a refused change", o, gs, e.ownerID, ownerFull)

		t.Run("a public canned ACL", func(t *testing.T) {
			aclWantOrBug(t, put(s3.PutObjectAclInput{ACL: types.ObjectCannedACLPublicRead}), 400, "AccessControlListNotSupported", 403, "AccessDenied",
				"putObjectACL (internal/s3api/acl.go) checks Block Public Access before Object Ownership: a public ACL on a BucketOwnerEnforced bucket is AccessDenied, S3 says AccessControlListNotSupported")
		})
		t.Run("the private canned ACL", func(t *testing.T) {
			// S3: "requests to set ACLs or update ACLs fail"; Ansible's
			// s3_object sets its default permission, private, with
			// PutObjectAcl and gets AccessControlListNotSupported from S3.
			aclWantOrBug(t, put(s3.PutObjectAclInput{ACL: types.ObjectCannedACLPrivate}), 400, "AccessControlListNotSupported", 0, "",
				"PutObjectAcl with the canned ACL private succeeds on a BucketOwnerEnforced bucket (object.Service.PutObjectACL accepts any owner-only ACL); S3 answers AccessControlListNotSupported")
		})
	})
}

// TestACLAddressingStyles: the AccessControlPolicy documents, in each
// addressing style (over TLS the SDK sends the body aws-chunked with a
// trailing checksum).
func TestACLAddressingStyles(t *testing.T) {
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		owner := aclCanonicalID(t, c.s3)
		bucket := uniqueBucket(t, "styles")
		_, err := c.s3.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(bucket), ObjectOwnership: types.ObjectOwnershipObjectWriter})
		must(t, err, "CreateBucket")
		c.put(t, bucket, "k", []byte("data"))
		policy := &types.AccessControlPolicy{Owner: &types.Owner{ID: aws.String(owner)}, Grants: []types.Grant{
			aclUserGrant(owner, types.PermissionFullControl), aclGroupGrant(aclLogDelivery, types.PermissionWrite), aclGroupGrant(aclLogDelivery, types.PermissionReadAcp)}}
		want := []string{aclUser(owner, types.PermissionFullControl), aclGroup(aclLogDelivery, types.PermissionWrite), aclGroup(aclLogDelivery, types.PermissionReadAcp)}

		_, err = c.s3.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket), AccessControlPolicy: policy})
		must(t, err, "PutBucketAcl")
		b, err := c.s3.GetBucketAcl(ctx(t), &s3.GetBucketAclInput{Bucket: aws.String(bucket)})
		must(t, err, "GetBucketAcl")
		aclWant(t, "GetBucketAcl", b.Owner, b.Grants, owner, want...)

		policy.Grants = []types.Grant{aclUserGrant(owner, types.PermissionFullControl), aclGroupGrant(aclLogDelivery, types.PermissionReadAcp)}
		_, err = c.s3.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("k"), AccessControlPolicy: policy})
		must(t, err, "PutObjectAcl")
		o, err := c.s3.GetObjectAcl(ctx(t), &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("k")})
		must(t, err, "GetObjectAcl")
		aclWant(t, "GetObjectAcl", o.Owner, o.Grants, owner, aclUser(owner, types.PermissionFullControl), aclGroup(aclLogDelivery, types.PermissionReadAcp))
	})
}

// --- ACL grants in authorization -------------------------------------------------

// TestACLGrantsAuthorize: ACL grants take part in authorization where
// Object Ownership enables ACLs, as a resource policy would.
func TestACLGrantsAuthorize(t *testing.T) {
	t.Parallel()
	e := aclNewEnv(t)
	ownerGrant := aws.String(`id="` + e.ownerID + `"`)
	bGrant := aws.String(`id="` + e.bID + `"`)
	anonGet := func(t *testing.T, bucket, key string) int {
		t.Helper()
		status, _ := e.anon(t, http.MethodGet, "/"+bucket+"/"+key, nil)
		return status
	}

	t.Run("a bucket READ grant lets another account list", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "list", types.ObjectOwnershipObjectWriter)
		must(t, tryPut(t, e.s3, bucket, "k"), "PutObject")
		list := func() error {
			return errOf(e.bS3.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}))
		}
		wantAPIError(t, list(), 403, "AccessDenied")
		_, err := e.s3.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket), GrantFullControl: ownerGrant, GrantRead: bGrant})
		must(t, err, "PutBucketAcl granting B READ")
		out, err := e.bS3.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		must(t, err, "ListObjectsV2 by B")
		if len(out.Contents) != 1 || str(out.Contents[0].Key) != "k" {
			t.Errorf("B lists %d objects, want k", len(out.Contents))
		}
		// READ on the bucket is the listing only.
		wantAPIError(t, tryGet(t, e.bS3, bucket, "k"), 403, "AccessDenied")
		wantAPIError(t, tryPut(t, e.bS3, bucket, "b"), 403, "AccessDenied")
		wantAPIError(t, errOf(e.bS3.GetBucketAcl(ctx(t), &s3.GetBucketAclInput{Bucket: aws.String(bucket)})), 403, "AccessDenied")
	})

	t.Run("a bucket WRITE grant lets another account upload what it then owns", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "write", types.ObjectOwnershipObjectWriter)
		wantAPIError(t, tryPut(t, e.bS3, bucket, "b"), 403, "AccessDenied")
		_, err := e.s3.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket), GrantFullControl: ownerGrant, GrantWrite: bGrant})
		must(t, err, "PutBucketAcl granting B WRITE")
		must(t, tryPut(t, e.bS3, bucket, "b"), "PutObject by B")
		o, _ := e.objectACL(t, e.bS3, bucket, "b")
		if aclOwnerID(o) != e.bID {
			t.Errorf("B's upload is owned by %q, want B %q", aclOwnerID(o), e.bID)
		}
		wantAPIError(t, tryGet(t, e.s3, bucket, "b"), 403, "AccessDenied")
	})

	t.Run("an object READ grant to another account", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "oread", types.ObjectOwnershipObjectWriter)
		must(t, tryPut(t, e.s3, bucket, "k"), "PutObject")
		must(t, tryPut(t, e.s3, bucket, "other"), "PutObject")
		wantAPIError(t, tryGet(t, e.bS3, bucket, "k"), 403, "AccessDenied")
		_, err := e.s3.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("k"), GrantFullControl: ownerGrant, GrantRead: bGrant})
		must(t, err, "PutObjectAcl granting B READ")
		must(t, tryGet(t, e.bS3, bucket, "k"), "GetObject by B")
		wantAPIError(t, tryGet(t, e.bS3, bucket, "other"), 403, "AccessDenied")
		wantAPIError(t, errOf(e.bS3.GetObjectAcl(ctx(t), &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("k")})), 403, "AccessDenied")
		_, err = e.s3.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("k"), GrantFullControl: ownerGrant,
			GrantRead: bGrant, GrantReadACP: bGrant})
		must(t, err, "PutObjectAcl granting B READ and READ_ACP")
		o, gs := e.objectACL(t, e.bS3, bucket, "k")
		aclWant(t, "GetObjectAcl by B", o, gs, e.ownerID, aclUser(e.ownerID, types.PermissionFullControl),
			aclUser(e.bID, types.PermissionRead), aclUser(e.bID, types.PermissionReadAcp))
		// Without WRITE_ACP B cannot change the ACL.
		wantAPIError(t, errOf(e.bS3.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("k"),
			GrantFullControl: bGrant})), 403, "AccessDenied")
	})

	t.Run("an object public-read ACL lets anonymous callers read", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "public", types.ObjectOwnershipObjectWriter)
		_, err := e.s3.DeletePublicAccessBlock(ctx(t), &s3.DeletePublicAccessBlockInput{Bucket: aws.String(bucket)})
		must(t, err, "DeletePublicAccessBlock")
		must(t, tryPut(t, e.s3, bucket, "k"), "PutObject")
		must(t, tryPut(t, e.s3, bucket, "private"), "PutObject")
		wantStatus(t, "anonymous GET of a private object", anonGet(t, bucket, "k"), 403, "")
		_, err = e.s3.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("k"), ACL: types.ObjectCannedACLPublicRead})
		must(t, err, "PutObjectAcl public-read")
		wantStatus(t, "anonymous GET of a public-read object", anonGet(t, bucket, "k"), 200, "")
		status, _ := e.anon(t, http.MethodHead, "/"+bucket+"/k", nil)
		wantStatus(t, "anonymous HEAD of a public-read object", status, 200, "")
		wantStatus(t, "anonymous GET of another object", anonGet(t, bucket, "private"), 403, "")
		status, body := e.anon(t, http.MethodGet, "/"+bucket+"?list-type=2", nil)
		wantStatus(t, "anonymous listing", status, 403, body)
		status, body = e.anon(t, http.MethodPut, "/"+bucket+"/k", nil)
		wantStatus(t, "anonymous overwrite", status, 403, body)
	})

	t.Run("an AuthenticatedUsers READ grant lets signed callers read, not anonymous ones", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "authn", types.ObjectOwnershipObjectWriter)
		_, err := e.s3.DeletePublicAccessBlock(ctx(t), &s3.DeletePublicAccessBlockInput{Bucket: aws.String(bucket)})
		must(t, err, "DeletePublicAccessBlock")
		must(t, tryPut(t, e.s3, bucket, "k"), "PutObject")
		must(t, tryPut(t, e.s3, bucket, "private"), "PutObject")
		_, err = e.s3.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("k"), GrantFullControl: ownerGrant,
			GrantRead: aws.String(`uri="` + aclAuthenticated + `"`)})
		must(t, err, "PutObjectAcl granting AuthenticatedUsers READ")
		must(t, tryGet(t, e.bS3, bucket, "k"), "GetObject by B")
		wantStatus(t, "anonymous GET", anonGet(t, bucket, "k"), 403, "")
		wantAPIError(t, tryGet(t, e.bS3, bucket, "private"), 403, "AccessDenied")
	})

	t.Run("bucket READ_ACP and WRITE_ACP grants", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "acp", types.ObjectOwnershipObjectWriter)
		_, err := e.s3.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket), GrantFullControl: ownerGrant, GrantReadACP: bGrant})
		must(t, err, "PutBucketAcl granting B READ_ACP")
		o, gs := e.bucketACL(t, e.bS3, bucket)
		aclWant(t, "GetBucketAcl by B", o, gs, e.ownerID, aclUser(e.ownerID, types.PermissionFullControl), aclUser(e.bID, types.PermissionReadAcp))
		wantAPIError(t, errOf(e.bS3.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket), GrantFullControl: bGrant})), 403, "AccessDenied")
		_, err = e.s3.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket), GrantFullControl: ownerGrant, GrantWriteACP: bGrant})
		must(t, err, "PutBucketAcl granting B WRITE_ACP")
		wantAPIError(t, errOf(e.bS3.GetBucketAcl(ctx(t), &s3.GetBucketAclInput{Bucket: aws.String(bucket)})), 403, "AccessDenied")
		_, err = e.bS3.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket), GrantFullControl: ownerGrant, GrantRead: bGrant})
		must(t, err, "PutBucketAcl by B, granted WRITE_ACP")
		must(t, errOf(e.bS3.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})), "ListObjectsV2 by B, which granted itself READ")
	})

	t.Run("a public-read-write bucket takes anonymous uploads, owned by the bucket owner", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "drop", types.ObjectOwnershipObjectWriter)
		_, err := e.s3.DeletePublicAccessBlock(ctx(t), &s3.DeletePublicAccessBlockInput{Bucket: aws.String(bucket)})
		must(t, err, "DeletePublicAccessBlock")
		status, body := e.anon(t, http.MethodPut, "/"+bucket+"/dropped", nil)
		wantStatus(t, "anonymous PUT before the grant", status, 403, body)
		_, err = e.s3.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPublicReadWrite})
		must(t, err, "PutBucketAcl public-read-write")
		status, body = e.anon(t, http.MethodPut, "/"+bucket+"/dropped", nil)
		wantStatus(t, "anonymous PUT", status, 200, body)
		o, _ := e.objectACL(t, e.s3, bucket, "dropped")
		if aclOwnerID(o) != e.ownerID {
			t.Errorf("the anonymous upload is owned by %q, want the bucket owner %q", aclOwnerID(o), e.ownerID)
		}
		status, body = e.anon(t, http.MethodGet, "/"+bucket+"?list-type=2", nil)
		wantStatus(t, "anonymous listing", status, 200, body)
		// Bucket READ is the listing, not the objects.
		wantStatus(t, "anonymous GET", anonGet(t, bucket, "dropped"), 403, "")
	})

	t.Run("the bucket policy does not reach objects other accounts own", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "reach", types.ObjectOwnershipObjectWriter)
		e.block(t, bucket, aclBlock{})
		e.policy(t, bucket, aclPublicRead(bucket),
			`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+e.b.AccountID+`:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::`+bucket+`/*"}`)
		must(t, tryPut(t, e.s3, bucket, "mine"), "PutObject by the owner")
		must(t, tryPut(t, e.bS3, bucket, "theirs"), "PutObject by B")
		wantStatus(t, "anonymous GET of the bucket owner's object", anonGet(t, bucket, "mine"), 200, "")
		wantStatus(t, "anonymous GET of B's object", anonGet(t, bucket, "theirs"), 403, "")
		// B's own ACL does reach it.
		_, err := e.bS3.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("theirs"), ACL: types.ObjectCannedACLPublicRead})
		must(t, err, "PutObjectAcl public-read by B")
		wantStatus(t, "anonymous GET of B's public-read object", anonGet(t, bucket, "theirs"), 200, "")
	})

	t.Run("grants stop counting under BucketOwnerEnforced", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "stop", types.ObjectOwnershipObjectWriter)
		must(t, tryPut(t, e.s3, bucket, "k"), "PutObject")
		_, err := e.s3.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("k"), GrantFullControl: ownerGrant, GrantRead: bGrant})
		must(t, err, "PutObjectAcl granting B READ")
		must(t, tryGet(t, e.bS3, bucket, "k"), "GetObject by B")
		_, err = e.s3.PutBucketOwnershipControls(ctx(t), &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(bucket),
			OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}}}})
		must(t, err, "PutBucketOwnershipControls BucketOwnerEnforced")
		wantAPIError(t, tryGet(t, e.bS3, bucket, "k"), 403, "AccessDenied")
	})
}

// --- Block Public Access -----------------------------------------------------------

// TestBlockPublicAccess: the bucket's four settings, each on its own.
func TestBlockPublicAccess(t *testing.T) {
	t.Parallel()
	e := aclNewEnv(t)
	anonGet := func(t *testing.T, bucket, key string) int {
		t.Helper()
		status, _ := e.anon(t, http.MethodGet, "/"+bucket+"/"+key, nil)
		return status
	}
	getBlock := func(t *testing.T, bucket string) (aclBlock, error) {
		t.Helper()
		out, err := e.s3.GetPublicAccessBlock(ctx(t), &s3.GetPublicAccessBlockInput{Bucket: aws.String(bucket)})
		if err != nil {
			return aclBlock{}, err
		}
		return aclBlockOf(out.PublicAccessBlockConfiguration), nil
	}

	t.Run("a new bucket blocks everything", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "new", "")
		got, err := getBlock(t, bucket)
		must(t, err, "GetPublicAccessBlock")
		if got != aclBlockAll {
			t.Errorf("GetPublicAccessBlock = %+v, want all on", got)
		}
	})

	t.Run("put, get and delete", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "pgd", "")
		for _, b := range []aclBlock{{}, {BlockPublicAcls: true}, {IgnorePublicAcls: true, RestrictPublicBuckets: true}, aclBlockAll} {
			e.block(t, bucket, b)
			got, err := getBlock(t, bucket)
			must(t, err, "GetPublicAccessBlock")
			if got != b {
				t.Errorf("GetPublicAccessBlock = %+v, want %+v", got, b)
			}
		}
		_, err := e.s3.DeletePublicAccessBlock(ctx(t), &s3.DeletePublicAccessBlockInput{Bucket: aws.String(bucket)})
		must(t, err, "DeletePublicAccessBlock")
		_, err = getBlock(t, bucket)
		wantAPIError(t, err, 404, "NoSuchPublicAccessBlockConfiguration")
		wantAPIError(t, errOf(e.bS3.PutPublicAccessBlock(ctx(t), &s3.PutPublicAccessBlockInput{Bucket: aws.String(bucket),
			PublicAccessBlockConfiguration: aclBlock{}.sdk()})), 403, "AccessDenied")
	})

	t.Run("BlockPublicPolicy", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "bpp", "")
		put := func(statements ...string) error {
			return errOf(e.s3.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policyDoc(statements...))}))
		}
		wantAPIError(t, put(aclPublicRead(bucket)), 403, "AccessDenied")
		wantAPIError(t, errOf(e.s3.GetBucketPolicy(ctx(t), &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})), 404, "NoSuchBucketPolicy")
		// Limited to a set of addresses, a policy is not public.
		must(t, put(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::`+bucket+`/*",
			"Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.1/32"}}}`), "PutBucketPolicy limited by aws:SourceIp")
		// Nor is one granting a fixed account.
		must(t, put(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+e.b.AccountID+`:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::`+bucket+`/*"}`),
			"PutBucketPolicy granting an account")
		e.block(t, bucket, aclBlock{BlockPublicAcls: true, IgnorePublicAcls: true})
		must(t, put(aclPublicRead(bucket)), "PutBucketPolicy public once BlockPublicPolicy is off")
		// Turning BlockPublicPolicy on leaves the existing policy alone.
		e.block(t, bucket, aclBlock{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true})
		must(t, tryPut(t, e.s3, bucket, "k"), "PutObject")
		wantStatus(t, "anonymous GET under the existing public policy", anonGet(t, bucket, "k"), 200, "")
	})

	t.Run("RestrictPublicBuckets", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "rpb", "")
		must(t, tryPut(t, e.s3, bucket, "k"), "PutObject")
		e.block(t, bucket, aclBlock{BlockPublicAcls: true, IgnorePublicAcls: true, RestrictPublicBuckets: true})
		e.policy(t, bucket, aclPublicRead(bucket))
		wantStatus(t, "anonymous GET with RestrictPublicBuckets", anonGet(t, bucket, "k"), 403, "")
		wantAPIError(t, tryGet(t, e.bS3, bucket, "k"), 403, "AccessDenied")
		must(t, tryGet(t, e.s3, bucket, "k"), "GetObject by the owner")
		e.block(t, bucket, aclBlock{BlockPublicAcls: true, IgnorePublicAcls: true})
		wantStatus(t, "anonymous GET without RestrictPublicBuckets", anonGet(t, bucket, "k"), 200, "")
		must(t, tryGet(t, e.bS3, bucket, "k"), "GetObject by B without RestrictPublicBuckets")
	})

	t.Run("RestrictPublicBuckets leaves a non-public policy alone", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "rpb-fixed", "")
		must(t, tryPut(t, e.s3, bucket, "k"), "PutObject")
		e.policy(t, bucket, `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+e.b.AccountID+`:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::`+bucket+`/*"}`)
		must(t, tryGet(t, e.bS3, bucket, "k"), "GetObject by B, granted by account")
	})

	t.Run("IgnorePublicAcls", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "ipa", types.ObjectOwnershipObjectWriter)
		e.block(t, bucket, aclBlock{IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true})
		_, err := e.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("x"),
			ACL: types.ObjectCannedACLPublicRead})
		must(t, err, "PutObject public-read with BlockPublicAcls off")
		_, err = e.s3.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPublicRead})
		must(t, err, "PutBucketAcl public-read with BlockPublicAcls off")
		wantStatus(t, "anonymous GET with IgnorePublicAcls", anonGet(t, bucket, "k"), 403, "")
		status, body := e.anon(t, http.MethodGet, "/"+bucket+"?list-type=2", nil)
		wantStatus(t, "anonymous listing with IgnorePublicAcls", status, 403, body)
		// Ignored, not removed.
		o, gs := e.objectACL(t, e.s3, bucket, "k")
		aclWant(t, "GetObjectAcl", o, gs, e.ownerID, aclUser(e.ownerID, types.PermissionFullControl), aclGroup(aclAllUsers, types.PermissionRead))

		e.block(t, bucket, aclBlock{BlockPublicPolicy: true, RestrictPublicBuckets: true})
		wantStatus(t, "anonymous GET without IgnorePublicAcls", anonGet(t, bucket, "k"), 200, "")
		status, body = e.anon(t, http.MethodGet, "/"+bucket+"?list-type=2", nil)
		wantStatus(t, "anonymous listing without IgnorePublicAcls", status, 200, body)
	})

	t.Run("BlockPublicAcls", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "bpa", types.ObjectOwnershipObjectWriter)
		must(t, tryPut(t, e.s3, bucket, "k"), "PutObject")
		refused := []struct {
			name string
			call func() error
		}{
			{"PutObject public-read", func() error {
				return errOf(e.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("p"), Body: strings.NewReader("x"),
					ACL: types.ObjectCannedACLPublicRead}))
			}},
			{"PutObject authenticated-read", func() error {
				return errOf(e.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("p"), Body: strings.NewReader("x"),
					ACL: types.ObjectCannedACLAuthenticatedRead}))
			}},
			{"PutObject granting AllUsers", func() error {
				return errOf(e.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("p"), Body: strings.NewReader("x"),
					GrantRead: aws.String(`uri="` + aclAllUsers + `"`)}))
			}},
			{"PutObjectAcl public-read", func() error {
				return errOf(e.s3.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("k"), ACL: types.ObjectCannedACLPublicRead}))
			}},
			{"PutBucketAcl public-read", func() error {
				return errOf(e.s3.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPublicRead}))
			}},
		}
		for _, tt := range refused {
			wantAPIError(t, tt.call(), 403, "AccessDenied")
		}
		wantAPIError(t, errOf(e.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("p")})), 404, "")
		e.block(t, bucket, aclBlock{IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true})
		for _, tt := range refused {
			must(t, tt.call(), tt.name+" with BlockPublicAcls off")
		}
	})
}

// TestAccountPublicAccessBlock: the account-level setting, through the S3
// Control API's path (signed for s3, naming the account in
// x-amz-account-id), and how it combines with the bucket's.
func TestAccountPublicAccessBlock(t *testing.T) {
	t.Parallel()
	e := aclNewEnv(t)
	call := func(t *testing.T, method, account, access, secret string, body []byte) (*http.Response, []byte) {
		t.Helper()
		req := newRequest(t, method, e.endpoint+"/v20180820/configuration/publicAccessBlock", body)
		req.Header.Set("X-Amz-Account-Id", account)
		sum := sha256.Sum256(body)
		e.sign(t, req, hex.EncodeToString(sum[:]), access, secret, time.Now())
		return e.do(t, req)
	}
	mine := func(t *testing.T, method string, body []byte) (*http.Response, []byte) {
		t.Helper()
		return call(t, method, e.account, e.ts.access, e.ts.secret, body)
	}
	set := func(t *testing.T, b aclBlock) {
		t.Helper()
		resp, body := mine(t, http.MethodPut, b.controlBody())
		wantStatus(t, "PutPublicAccessBlock (account)", resp.StatusCode, 200, string(body))
	}
	wantSetting := func(t *testing.T, want aclBlock) {
		t.Helper()
		resp, body := mine(t, http.MethodGet, nil)
		var got aclBlock
		if resp.StatusCode != 200 || xml.Unmarshal(body, &got) != nil || got != want {
			t.Errorf("GetPublicAccessBlock (account) = %d %s, want %+v", resp.StatusCode, body, want)
		}
	}
	anonGet := func(t *testing.T, bucket, key string) int {
		t.Helper()
		status, _ := e.anon(t, http.MethodGet, "/"+bucket+"/"+key, nil)
		return status
	}
	// The buckets' own settings are all off: only the account's block.
	bucket := e.bucket(t, "acct", "")
	e.block(t, bucket, aclBlock{})
	must(t, tryPut(t, e.s3, bucket, "k"), "PutObject")
	putPolicy := func() error {
		return errOf(e.s3.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policyDoc(aclPublicRead(bucket)))}))
	}

	t.Run("none at first", func(t *testing.T) {
		resp, body := mine(t, http.MethodGet, nil)
		wantRawError(t, resp, body, 404, "NoSuchPublicAccessBlockConfiguration")
	})

	t.Run("the account's BlockPublicPolicy binds buckets whose own is off", func(t *testing.T) {
		set(t, aclBlock{BlockPublicPolicy: true})
		wantSetting(t, aclBlock{BlockPublicPolicy: true})
		wantAPIError(t, putPolicy(), 403, "AccessDenied")
		out, err := e.s3.GetPublicAccessBlock(ctx(t), &s3.GetPublicAccessBlockInput{Bucket: aws.String(bucket)})
		must(t, err, "GetPublicAccessBlock (bucket)")
		if got := aclBlockOf(out.PublicAccessBlockConfiguration); got != (aclBlock{}) {
			t.Errorf("the bucket's own setting = %+v, want all off", got)
		}
	})

	t.Run("the account's RestrictPublicBuckets", func(t *testing.T) {
		set(t, aclBlock{RestrictPublicBuckets: true})
		must(t, putPolicy(), "PutBucketPolicy public once BlockPublicPolicy is off")
		wantStatus(t, "anonymous GET with the account's RestrictPublicBuckets", anonGet(t, bucket, "k"), 403, "")
		resp, body := mine(t, http.MethodDelete, nil)
		wantStatus(t, "DeletePublicAccessBlock (account)", resp.StatusCode, 204, string(body))
		wantStatus(t, "anonymous GET once the account's setting is deleted", anonGet(t, bucket, "k"), 200, "")
		resp, body = mine(t, http.MethodGet, nil)
		wantRawError(t, resp, body, 404, "NoSuchPublicAccessBlockConfiguration")
	})

	t.Run("another account's ID", func(t *testing.T) {
		set(t, aclBlockAll)
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			var body []byte
			if method == http.MethodPut {
				body = aclBlock{}.controlBody()
			}
			// The first account's key naming B's account, and B's key naming the first's.
			resp, got := call(t, method, e.b.AccountID, e.ts.access, e.ts.secret, body)
			wantRawError(t, resp, got, 403, "AccessDenied")
			resp, got = call(t, method, e.account, e.b.AccessKeyID, e.b.SecretAccessKey, body)
			wantRawError(t, resp, got, 403, "AccessDenied")
		}
		wantSetting(t, aclBlockAll)
		// B's own setting is its own.
		resp, body := call(t, http.MethodGet, e.b.AccountID, e.b.AccessKeyID, e.b.SecretAccessKey, nil)
		wantRawError(t, resp, body, 404, "NoSuchPublicAccessBlockConfiguration")
	})
}
