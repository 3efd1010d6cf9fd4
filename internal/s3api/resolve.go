package s3api

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Kind names an S3 operation.
type Kind int

// The operations coffer serves. The String form is the AWS operation name.
const (
	OpUnknown Kind = iota
	OpListBuckets
	OpCreateBucket
	OpHeadBucket
	OpDeleteBucket
	OpGetBucketLocation
	OpGetBucketVersioning
	OpPutBucketVersioning
	OpGetBucketTagging
	OpPutBucketTagging
	OpDeleteBucketTagging
	OpGetBucketEncryption
	OpPutBucketEncryption
	OpDeleteBucketEncryption
	OpGetBucketPolicy
	OpPutBucketPolicy
	OpDeleteBucketPolicy
	OpGetBucketPolicyStatus
	OpListObjects
	OpListObjectsV2
	OpListObjectVersions
	OpListMultipartUploads
	OpDeleteObjects
	OpPutObject
	OpCopyObject
	OpGetObject
	OpHeadObject
	OpDeleteObject
	OpGetObjectAttributes
	OpGetObjectTagging
	OpPutObjectTagging
	OpDeleteObjectTagging
	OpCreateMultipartUpload
	OpUploadPart
	OpUploadPartCopy
	OpCompleteMultipartUpload
	OpAbortMultipartUpload
	OpListParts
	OpGetBucketAcl
	OpRestoreObject
	OpPutBucketAcl
	OpGetObjectAcl
	OpPutObjectAcl
	OpGetBucketOwnershipControls
	OpPutBucketOwnershipControls
	OpDeleteBucketOwnershipControls
	OpGetPublicAccessBlock
	OpPutPublicAccessBlock
	OpDeletePublicAccessBlock
	// The account's Block Public Access (S3 Control,
	// /v20180820/configuration/publicAccessBlock).
	OpGetAccountPublicAccessBlock
	OpPutAccountPublicAccessBlock
	OpDeleteAccountPublicAccessBlock
	OpGetBucketLifecycle
	OpPutBucketLifecycle
	OpDeleteBucketLifecycle
	OpGetBucketIntelligentTiering
	OpPutBucketIntelligentTiering
	OpDeleteBucketIntelligentTiering
	OpListBucketIntelligentTiering
	kindCount
)

var kindNames = [kindCount]string{
	OpUnknown:                        "Unknown",
	OpListBuckets:                    "ListBuckets",
	OpCreateBucket:                   "CreateBucket",
	OpHeadBucket:                     "HeadBucket",
	OpDeleteBucket:                   "DeleteBucket",
	OpGetBucketLocation:              "GetBucketLocation",
	OpGetBucketVersioning:            "GetBucketVersioning",
	OpPutBucketVersioning:            "PutBucketVersioning",
	OpGetBucketTagging:               "GetBucketTagging",
	OpPutBucketTagging:               "PutBucketTagging",
	OpDeleteBucketTagging:            "DeleteBucketTagging",
	OpGetBucketEncryption:            "GetBucketEncryption",
	OpPutBucketEncryption:            "PutBucketEncryption",
	OpDeleteBucketEncryption:         "DeleteBucketEncryption",
	OpGetBucketPolicy:                "GetBucketPolicy",
	OpPutBucketPolicy:                "PutBucketPolicy",
	OpDeleteBucketPolicy:             "DeleteBucketPolicy",
	OpGetBucketPolicyStatus:          "GetBucketPolicyStatus",
	OpListObjects:                    "ListObjects",
	OpListObjectsV2:                  "ListObjectsV2",
	OpListObjectVersions:             "ListObjectVersions",
	OpListMultipartUploads:           "ListMultipartUploads",
	OpDeleteObjects:                  "DeleteObjects",
	OpPutObject:                      "PutObject",
	OpCopyObject:                     "CopyObject",
	OpGetObject:                      "GetObject",
	OpHeadObject:                     "HeadObject",
	OpDeleteObject:                   "DeleteObject",
	OpGetObjectAttributes:            "GetObjectAttributes",
	OpGetObjectTagging:               "GetObjectTagging",
	OpPutObjectTagging:               "PutObjectTagging",
	OpDeleteObjectTagging:            "DeleteObjectTagging",
	OpCreateMultipartUpload:          "CreateMultipartUpload",
	OpUploadPart:                     "UploadPart",
	OpUploadPartCopy:                 "UploadPartCopy",
	OpCompleteMultipartUpload:        "CompleteMultipartUpload",
	OpAbortMultipartUpload:           "AbortMultipartUpload",
	OpListParts:                      "ListParts",
	OpGetBucketAcl:                   "GetBucketAcl",
	OpRestoreObject:                  "RestoreObject",
	OpPutBucketAcl:                   "PutBucketAcl",
	OpGetObjectAcl:                   "GetObjectAcl",
	OpPutObjectAcl:                   "PutObjectAcl",
	OpGetBucketOwnershipControls:     "GetBucketOwnershipControls",
	OpPutBucketOwnershipControls:     "PutBucketOwnershipControls",
	OpDeleteBucketOwnershipControls:  "DeleteBucketOwnershipControls",
	OpGetPublicAccessBlock:           "GetPublicAccessBlock",
	OpPutPublicAccessBlock:           "PutPublicAccessBlock",
	OpDeletePublicAccessBlock:        "DeletePublicAccessBlock",
	OpGetAccountPublicAccessBlock:    "GetAccountPublicAccessBlock",
	OpPutAccountPublicAccessBlock:    "PutAccountPublicAccessBlock",
	OpDeleteAccountPublicAccessBlock: "DeleteAccountPublicAccessBlock",
	OpGetBucketLifecycle:             "GetBucketLifecycleConfiguration",
	OpPutBucketLifecycle:             "PutBucketLifecycleConfiguration",
	OpDeleteBucketLifecycle:          "DeleteBucketLifecycle",
	OpGetBucketIntelligentTiering:    "GetBucketIntelligentTieringConfiguration",
	OpPutBucketIntelligentTiering:    "PutBucketIntelligentTieringConfiguration",
	OpDeleteBucketIntelligentTiering: "DeleteBucketIntelligentTieringConfiguration",
	OpListBucketIntelligentTiering:   "ListBucketIntelligentTieringConfigurations",
}

func (k Kind) String() string {
	if k < 0 || k >= kindCount {
		return "Unknown"
	}
	return kindNames[k]
}

// versionedActions are the actions a request naming a version
// (?versionId) needs instead of its kind's, as AWS documents them.
var versionedActions = map[Kind]string{
	OpGetObject:           "s3:GetObjectVersion",
	OpHeadObject:          "s3:GetObjectVersion",
	OpDeleteObject:        "s3:DeleteObjectVersion",
	OpGetObjectAttributes: "s3:GetObjectVersionAttributes",
	OpGetObjectTagging:    "s3:GetObjectVersionTagging",
	OpPutObjectTagging:    "s3:PutObjectVersionTagging",
	OpDeleteObjectTagging: "s3:DeleteObjectVersionTagging",
	OpGetObjectAcl:        "s3:GetObjectVersionAcl",
	OpPutObjectAcl:        "s3:PutObjectVersionAcl",
}

// Action is the IAM action that authorizes this request: its kind's, or
// the versioned action when it names a version (GetObject with
// ?versionId needs s3:GetObjectVersion).
func (o Op) Action() string {
	if a, ok := versionedActions[o.Kind]; ok && o.Query.Has("versionId") {
		return a
	}
	return o.Kind.Action()
}

// Action is the IAM action that authorizes the operation. Several
// operations share one action, as on AWS (HeadObject needs s3:GetObject).
func (k Kind) Action() string {
	switch k {
	case OpListBuckets:
		return "s3:ListAllMyBuckets"
	case OpHeadBucket, OpListObjects, OpListObjectsV2:
		return "s3:ListBucket"
	case OpListObjectVersions:
		return "s3:ListBucketVersions"
	case OpListMultipartUploads:
		return "s3:ListBucketMultipartUploads"
	case OpGetBucketLocation:
		return "s3:GetBucketLocation"
	case OpGetBucketVersioning:
		return "s3:GetBucketVersioning"
	case OpPutBucketVersioning:
		return "s3:PutBucketVersioning"
	case OpGetBucketTagging:
		return "s3:GetBucketTagging"
	case OpPutBucketTagging, OpDeleteBucketTagging:
		return "s3:PutBucketTagging"
	case OpGetBucketEncryption:
		return "s3:GetEncryptionConfiguration"
	case OpPutBucketEncryption, OpDeleteBucketEncryption:
		return "s3:PutEncryptionConfiguration"
	case OpGetBucketLifecycle:
		return "s3:GetLifecycleConfiguration"
	case OpPutBucketLifecycle, OpDeleteBucketLifecycle:
		return "s3:PutLifecycleConfiguration"
	case OpGetBucketIntelligentTiering, OpListBucketIntelligentTiering:
		return "s3:GetIntelligentTieringConfiguration"
	case OpPutBucketIntelligentTiering, OpDeleteBucketIntelligentTiering:
		return "s3:PutIntelligentTieringConfiguration"
	case OpGetBucketPolicy:
		return "s3:GetBucketPolicy"
	case OpPutBucketPolicy:
		return "s3:PutBucketPolicy"
	case OpDeleteBucketPolicy:
		return "s3:DeleteBucketPolicy"
	case OpGetBucketPolicyStatus:
		return "s3:GetBucketPolicyStatus"
	case OpCreateBucket:
		return "s3:CreateBucket"
	case OpDeleteBucket:
		return "s3:DeleteBucket"
	case OpPutObject, OpCopyObject, OpCreateMultipartUpload, OpUploadPart, OpUploadPartCopy, OpCompleteMultipartUpload:
		return "s3:PutObject"
	case OpGetObject, OpHeadObject:
		return "s3:GetObject"
	case OpGetObjectAttributes:
		return "s3:GetObjectAttributes"
	case OpDeleteObject, OpDeleteObjects:
		return "s3:DeleteObject"
	case OpGetObjectTagging:
		return "s3:GetObjectTagging"
	case OpPutObjectTagging:
		return "s3:PutObjectTagging"
	case OpDeleteObjectTagging:
		return "s3:DeleteObjectTagging"
	case OpAbortMultipartUpload:
		return "s3:AbortMultipartUpload"
	case OpListParts:
		return "s3:ListMultipartUploadParts"
	case OpGetBucketAcl:
		return "s3:GetBucketAcl"
	case OpRestoreObject:
		return "s3:RestoreObject"
	case OpPutBucketAcl:
		return "s3:PutBucketAcl"
	case OpGetObjectAcl:
		return "s3:GetObjectAcl"
	case OpPutObjectAcl:
		return "s3:PutObjectAcl"
	case OpGetBucketOwnershipControls:
		return "s3:GetBucketOwnershipControls"
	case OpPutBucketOwnershipControls, OpDeleteBucketOwnershipControls:
		return "s3:PutBucketOwnershipControls"
	case OpGetPublicAccessBlock:
		return "s3:GetBucketPublicAccessBlock"
	case OpPutPublicAccessBlock, OpDeletePublicAccessBlock:
		return "s3:PutBucketPublicAccessBlock"
	case OpGetAccountPublicAccessBlock:
		return "s3:GetAccountPublicAccessBlock"
	case OpPutAccountPublicAccessBlock, OpDeleteAccountPublicAccessBlock:
		return "s3:PutAccountPublicAccessBlock"
	}
	return ""
}

// Op is a resolved request: which operation, on which bucket and key.
type Op struct {
	Kind   Kind
	Bucket string
	Key    string
	// VirtualHost is true when the bucket came from the Host header.
	VirtualHost bool
	Query       url.Values
}

// ResolveError says why a request names no operation coffer serves.
type ResolveError struct {
	NotImplemented bool   // a real S3 operation or subresource coffer does not serve
	Method         bool   // the method is not allowed on this resource
	Msg            string // for the client
}

func (e *ResolveError) Error() string { return e.Msg }

// bucketSubresources are query parameters that select a bucket operation
// coffer does not serve yet; they must not fall through to ListObjects.
var bucketSubresources = []string{
	"accelerate", "analytics", "cors", "inventory",
	"logging", "metrics", "notification", "object-lock",
	"replication", "requestPayment", "website", "session",
	"legal-hold", "retention", "torrent", "select", "metadataTable", "abac",
}

// Resolve maps a request to an Op. It is pure: it reads the method, Host,
// path, query and a few headers, and nothing else. domain enables
// virtual-hosted-style addressing (BUCKET.domain).
func Resolve(r *http.Request, domain string) (Op, error) {
	var op Op
	q := r.URL.Query()
	op.Query = q
	path := r.URL.Path
	if path == accountPublicAccessBlockPath && hostBucket(r.Host, domain) == "" {
		switch r.Method {
		case http.MethodGet:
			op.Kind = OpGetAccountPublicAccessBlock
		case http.MethodPut:
			op.Kind = OpPutAccountPublicAccessBlock
		case http.MethodDelete:
			op.Kind = OpDeleteAccountPublicAccessBlock
		default:
			return op, &ResolveError{Method: true, Msg: "The specified method is not allowed against this resource."}
		}
		return op, nil
	}
	if b := hostBucket(r.Host, domain); b != "" {
		op.Bucket = b
		op.VirtualHost = true
		op.Key = strings.TrimPrefix(path, "/")
	} else {
		p := strings.TrimPrefix(path, "/")
		if i := strings.IndexByte(p, '/'); i >= 0 {
			op.Bucket, op.Key = p[:i], p[i+1:]
		} else {
			op.Bucket = p
		}
	}
	for _, s := range bucketSubresources {
		if _, ok := q[s]; ok {
			return op, &ResolveError{NotImplemented: true, Msg: "The " + s + " subresource is not implemented."}
		}
	}
	has := func(name string) bool { _, ok := q[name]; return ok }
	m := r.Method
	switch {
	case op.Bucket == "":
		if m == http.MethodGet {
			op.Kind = OpListBuckets
			return op, nil
		}
		return op, &ResolveError{Method: true, Msg: "The specified method is not allowed against this resource."}
	case op.Key == "":
		op.Kind = bucketKind(m, has, q.Get("list-type"))
	default:
		op.Kind = objectKind(m, has, r.Header.Get("x-amz-copy-source") != "")
	}
	if op.Kind == OpUnknown {
		return op, &ResolveError{Method: true, Msg: "The specified method is not allowed against this resource."}
	}
	return op, nil
}

func bucketKind(m string, has func(string) bool, listType string) Kind {
	switch m {
	case http.MethodGet:
		switch {
		case has("location"):
			return OpGetBucketLocation
		case has("versioning"):
			return OpGetBucketVersioning
		case has("tagging"):
			return OpGetBucketTagging
		case has("encryption"):
			return OpGetBucketEncryption
		case has("lifecycle"):
			return OpGetBucketLifecycle
		case has("intelligent-tiering") && has("id"):
			return OpGetBucketIntelligentTiering
		case has("intelligent-tiering"):
			return OpListBucketIntelligentTiering
		case has("policy"):
			return OpGetBucketPolicy
		case has("policyStatus"):
			return OpGetBucketPolicyStatus
		case has("acl"):
			return OpGetBucketAcl
		case has("ownershipControls"):
			return OpGetBucketOwnershipControls
		case has("publicAccessBlock"):
			return OpGetPublicAccessBlock
		case has("versions"):
			return OpListObjectVersions
		case has("uploads"):
			return OpListMultipartUploads
		case listType == "2":
			return OpListObjectsV2
		default:
			return OpListObjects
		}
	case http.MethodHead:
		return OpHeadBucket
	case http.MethodPut:
		switch {
		case has("versioning"):
			return OpPutBucketVersioning
		case has("tagging"):
			return OpPutBucketTagging
		case has("encryption"):
			return OpPutBucketEncryption
		case has("lifecycle"):
			return OpPutBucketLifecycle
		case has("intelligent-tiering"):
			return OpPutBucketIntelligentTiering
		case has("policy"):
			return OpPutBucketPolicy
		case has("policyStatus"):
			return OpUnknown // read-only: not a CreateBucket
		case has("acl"):
			return OpPutBucketAcl
		case has("ownershipControls"):
			return OpPutBucketOwnershipControls
		case has("publicAccessBlock"):
			return OpPutPublicAccessBlock
		default:
			return OpCreateBucket
		}
	case http.MethodDelete:
		switch {
		case has("tagging"):
			return OpDeleteBucketTagging
		case has("encryption"):
			return OpDeleteBucketEncryption
		case has("lifecycle"):
			return OpDeleteBucketLifecycle
		case has("intelligent-tiering"):
			return OpDeleteBucketIntelligentTiering
		case has("policy"):
			return OpDeleteBucketPolicy
		case has("policyStatus"), has("acl"):
			return OpUnknown // never a DeleteBucket
		case has("ownershipControls"):
			return OpDeleteBucketOwnershipControls
		case has("publicAccessBlock"):
			return OpDeletePublicAccessBlock
		default:
			return OpDeleteBucket
		}
	case http.MethodPost:
		if has("delete") {
			return OpDeleteObjects
		}
	}
	return OpUnknown
}

func objectKind(m string, has func(string) bool, copySource bool) Kind {
	switch m {
	case http.MethodGet:
		switch {
		case has("uploadId"):
			return OpListParts
		case has("tagging"):
			return OpGetObjectTagging
		case has("attributes"):
			return OpGetObjectAttributes
		case has("acl"):
			return OpGetObjectAcl
		default:
			return OpGetObject
		}
	case http.MethodHead:
		return OpHeadObject
	case http.MethodPut:
		switch {
		case has("uploadId") || has("partNumber"):
			if copySource {
				return OpUploadPartCopy
			}
			return OpUploadPart
		case has("tagging"):
			return OpPutObjectTagging
		case has("acl"):
			return OpPutObjectAcl
		case copySource:
			return OpCopyObject
		default:
			return OpPutObject
		}
	case http.MethodDelete:
		switch {
		case has("uploadId"):
			return OpAbortMultipartUpload
		case has("tagging"):
			return OpDeleteObjectTagging
		case has("acl"):
			return OpUnknown // never a DeleteObject
		default:
			return OpDeleteObject
		}
	case http.MethodPost:
		switch {
		case has("uploads"):
			return OpCreateMultipartUpload
		case has("uploadId"):
			return OpCompleteMultipartUpload
		case has("restore"):
			return OpRestoreObject
		}
	}
	return OpUnknown
}

// accountPublicAccessBlockPath is the S3 Control API's path for an
// account's Block Public Access (x-amz-account-id names the account).
const accountPublicAccessBlockPath = "/v20180820/configuration/publicAccessBlock"

// hostBucket returns the bucket named by a virtual-hosted-style Host, or "".
func hostBucket(host, domain string) string {
	if domain == "" {
		return ""
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	suffix := "." + strings.ToLower(domain)
	if !strings.HasSuffix(host, suffix) {
		return ""
	}
	return strings.TrimSuffix(host, suffix)
}
