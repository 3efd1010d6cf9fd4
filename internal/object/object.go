// Package object is coffer's S3 semantics engine: buckets, versions,
// PUT/GET/COPY/DELETE, multipart uploads, listing and conditional requests.
//
// It knows nothing of HTTP or S3 wire errors: it returns the sentinel errors
// below (wrapped with context), and package s3api turns them into S3 error
// responses.
package object

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/coffer-project/coffer/internal/blob"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/s3"
)

// Sentinel errors. Each maps to exactly one S3 error code in package s3api.
var (
	ErrNoSuchBucket            = errors.New("no such bucket")               // NoSuchBucket 404
	ErrBucketAlreadyExists     = errors.New("bucket already exists")        // BucketAlreadyExists 409
	ErrBucketAlreadyOwnedByYou = errors.New("bucket already owned by you")  // BucketAlreadyOwnedByYou 409
	ErrBucketNotEmpty          = errors.New("bucket not empty")             // BucketNotEmpty 409
	ErrNoSuchKey               = errors.New("no such key")                  // NoSuchKey 404
	ErrNoSuchVersion           = errors.New("no such version")              // NoSuchVersion 404
	ErrNoSuchUpload            = errors.New("no such upload")               // NoSuchUpload 404
	ErrNoSuchTagSet            = errors.New("no such tag set")              // NoSuchTagSet 404
	ErrInvalidPart             = errors.New("invalid part")                 // InvalidPart 400
	ErrInvalidPartOrder        = errors.New("invalid part order")           // InvalidPartOrder 400
	ErrEntityTooSmall          = errors.New("entity too small")             // EntityTooSmall 400
	ErrEntityTooLarge          = errors.New("entity too large")             // EntityTooLarge 400
	ErrBadDigest               = errors.New("bad digest")                   // BadDigest 400
	ErrInvalidDigest           = errors.New("invalid digest")               // InvalidDigest 400 (malformed Content-MD5)
	ErrIncompleteBody          = errors.New("incomplete body")              // IncompleteBody 400
	ErrInvalidRange            = errors.New("invalid range")                // InvalidRange 416
	ErrPreconditionFailed      = errors.New("precondition failed")          // PreconditionFailed 412
	ErrNotModified             = errors.New("not modified")                 // 304, no body
	ErrConditionalConflict     = errors.New("conditional request conflict") // ConditionalRequestConflict 409
	ErrMethodNotAllowed        = errors.New("method not allowed")           // MethodNotAllowed 405 (GET/HEAD of a delete marker by version ID)
	ErrInvalidArgument         = errors.New("invalid argument")             // InvalidArgument 400
	ErrInvalidRequest          = errors.New("invalid request")              // InvalidRequest 400
	ErrInvalidTag              = errors.New("invalid tag")                  // InvalidTag 400
	ErrNotImplemented          = errors.New("not implemented")              // NotImplemented 501
)

// DeleteMarkerError is returned (wrapping ErrNoSuchKey or
// ErrMethodNotAllowed) when a read lands on a delete marker, so the HTTP layer
// can send x-amz-delete-marker, x-amz-version-id and Last-Modified.
type DeleteMarkerError struct {
	Marker meta.Version
	Err    error
}

func (e *DeleteMarkerError) Error() string { return e.Err.Error() + " (delete marker)" }
func (e *DeleteMarkerError) Unwrap() error { return e.Err }

// Limits from the S3 documentation.
const (
	MaxObjectSize = 5 << 40 // 5 TiB
	MaxPutSize    = 5 << 30 // 5 GiB, single PUT and a part
	MinPartSize   = 5 << 20 // 5 MiB, all parts but the last
	MaxPartNumber = 10000
	MaxKeyLength  = 1024
	MaxListKeys   = 1000
	MaxDeleteKeys = 1000
	MaxTagsObject = 10
	MaxTagsBucket = 50
)

// DefaultInlineMax is the default Service.InlineMax: bodies up to 32 KiB
// are stored inline in the metadata store.
//
// Why: a body in a blob costs two fsyncs of its own (the file, then the
// directory entry of its rename) before the metadata commit can start,
// and those cannot be shared between requests. Inline data travels in the
// version's (or part's) row and is made durable by the commit's WAL fsync,
// which the metadata store's group commit shares among all concurrent
// writes. A small PUT thus costs a fraction of one fsync instead of two
// and a fraction.
//
// Durability: unchanged. The write is acknowledged only after the
// transaction holding the row and its data has committed with
// synchronous=FULL, exactly the point at which a blob-backed write is
// acknowledged (its blob having been fsynced before). A failed or
// interrupted request leaves nothing: there is no blob to discard.
//
// The threshold: large enough for the small objects that dominate request
// counts (documents, thumbnails, manifests, the last part of an upload),
// small enough that the data written twice (WAL, then the database file at
// checkpoint), database growth, and the memory a request buffers (at most
// InlineMax+1 bytes, allocated at the declared size) stay modest. Bodies of
// unknown size always stream into a blob.
const DefaultInlineMax = 32 << 10

// Service implements S3 semantics over a metadata store and a blob store.
type Service struct {
	Meta  meta.Store
	Blobs blob.Store
	Now   func() time.Time // UTC; truncate to what meta stores
	Rand  io.Reader        // for version and upload IDs; safe for concurrent use (nil: crypto/rand)
	Log   *slog.Logger     // nil: discard

	// GCInterval is how often RunGC wakes up when nothing nudges it;
	// 0 means 5 seconds.
	GCInterval time.Duration

	// InlineMax is the largest object or part, in bytes, whose data is
	// kept inline in the metadata store instead of in a blob, when its
	// size is declared up front. 0 means DefaultInlineMax; a negative
	// value stores every body in a blob.
	InlineMax int64

	// KMS, when set, encrypts every object at rest: SSE-S3 by default,
	// SSE-KMS when asked. Without it only SSE-C objects are encrypted
	// (engine tests and benchmarks of the plaintext path).
	KMS KMS
	// AuthorizeKeyUse, when set, is asked before a customer managed KMS
	// key is used for a request ("kms:GenerateDataKey" on writes, before
	// the data key is used; "kms:Decrypt" on reads and for multipart
	// parts) with the key's ARN; a non-nil error fails the request
	// unchanged. This is where IAM checks that the caller may use the key,
	// as S3 requires of SSE-KMS callers on AWS; nil allows every use.
	AuthorizeKeyUse func(ctx context.Context, action, keyID string) error
	// RestoreDurations override DefaultRestoreDurations by tier.
	RestoreDurations RestoreDurations
	// KeyCacheTTL bounds how long a bucket key (S3 Bucket Keys, and every
	// SSE-S3 key) is used and kept in memory; 0 means DefaultKeyCacheTTL.
	KeyCacheTTL time.Duration
	// UsageCacheTTL is how long Usage reuses a result; 0 means
	// DefaultUsageCacheTTL, a negative value computes every call afresh.
	UsageCacheTTL time.Duration

	gcOnce   sync.Once
	gcWake   chan struct{} // see nudgeGC
	keyOnce  sync.Once
	keyCache *keyCache
	usage    usageCache
}

// Conditions are the If-* headers of a read (or a copy source's
// x-amz-copy-source-if-*). Zero values mean "not sent".
type Conditions struct {
	IfMatch           string // raw header: "*", or comma-separated quoted/unquoted ETags
	IfNoneMatch       string
	IfModifiedSince   time.Time
	IfUnmodifiedSince time.Time
}

// ChecksumInput is what the client sent about a body's checksum.
type ChecksumInput struct {
	// Algorithm from x-amz-checksum-algorithm, x-amz-sdk-checksum-algorithm,
	// or the x-amz-checksum-* header/trailer present; "" for none.
	Algorithm string
	// Value is the base64 value from an x-amz-checksum-* header, "" if
	// none was sent as a header.
	Value string
	// Trailer, if non-nil, returns the value sent as a trailer; it is
	// called only after Body has returned io.EOF.
	Trailer func() string
	// Type "FULL_OBJECT" or "COMPOSITE" (x-amz-checksum-type), "" default.
	Type string
}

// PutInput is a PutObject request.
type PutInput struct {
	Bucket, Key  string
	Owner        string
	Body         io.Reader // verified body (auth already checks the signature as it streams)
	Size         int64     // decoded content length; -1 if unknown
	ContentMD5   string    // base64 as sent; "" if not sent
	Checksum     ChecksumInput
	Headers      meta.ObjectHeaders
	UserMeta     map[string]string
	Tags         []meta.Tag
	StorageClass string // "" → STANDARD
	IfMatch      string // conditional write; "" not sent
	IfNoneMatch  string // "*" only
	SSE          SSEInput
	ACL          []meta.Grant // the object's ACL beyond its owner; nil private
}

// GetInput is a GetObject/HeadObject request.
type GetInput struct {
	Bucket, Key string
	VersionID   string
	PartNumber  int       // 0: whole object
	Range       *s3.Range // nil: whole object (a Range the client sent but s3 could not parse is passed as nil)
	Cond        Conditions
	Customer    *CustomerKey // SSE-C key sent with the request; nil none
}

// ObjectReader is the result of GetObject/HeadObject. With
// ErrNotModified or ErrPreconditionFailed it is returned too, without a
// body, so that a 304 can carry ETag and Last-Modified.
type ObjectReader struct {
	Version    meta.Version  // Parts loaded
	Offset     int64         // first byte served
	Length     int64         // bytes served
	Partial    bool          // a Range or partNumber applied: 206
	PartsCount int           // number of parts for multipart objects, 0 otherwise
	Body       io.ReadCloser // nil for HeadObject
}

// DeleteInput is a DeleteObject request (also one item of DeleteObjects).
type DeleteInput struct {
	Bucket, Key string
	VersionID   string
	IfMatch     string // conditional delete
}

// DeleteResult reports what a delete did.
type DeleteResult struct {
	Key                   string
	VersionID             string // the version removed, or the new delete marker's ID
	DeleteMarker          bool   // a delete marker was created or removed
	DeleteMarkerVersionID string
	Err                   error // per-key error in DeleteObjects
}

// CopyInput is a CopyObject request.
type CopyInput struct {
	SrcBucket, SrcKey, SrcVersionID string
	SrcCond                         Conditions
	Dst                             PutInput     // Body/Size/ContentMD5 unused
	ReplaceMetadata                 bool         // x-amz-metadata-directive: REPLACE
	ReplaceTags                     bool         // x-amz-tagging-directive: REPLACE
	SrcCustomer                     *CustomerKey // x-amz-copy-source-server-side-encryption-customer-*; nil none
}

// ListInput is ListObjects (v1 and v2).
type ListInput struct {
	Bucket    string
	Prefix    string
	Delimiter string
	After     string // marker, start-after, or decoded continuation token
	MaxKeys   int    // 0: an empty, untruncated page; < 0 or > 1000: 1000
}

// ListResult is one page of a listing. NextAfter is the key (or common
// prefix) to continue after; set when IsTruncated.
type ListResult struct {
	Objects        []meta.Version
	CommonPrefixes []string
	IsTruncated    bool
	NextAfter      string
}

// VersionListInput is ListObjectVersions.
type VersionListInput struct {
	Bucket          string
	Prefix          string
	Delimiter       string
	KeyMarker       string
	VersionIDMarker string
	MaxKeys         int // as ListInput.MaxKeys
}

// VersionListResult is one page of ListObjectVersions.
type VersionListResult struct {
	Versions            []meta.Version // versions and delete markers, IsLatest set
	CommonPrefixes      []string
	IsTruncated         bool
	NextKeyMarker       string
	NextVersionIDMarker string
}

// CreateUploadInput is CreateMultipartUpload.
type CreateUploadInput struct {
	Bucket, Key  string
	Owner        string
	Headers      meta.ObjectHeaders
	UserMeta     map[string]string
	Tags         []meta.Tag
	StorageClass string
	ChecksumAlgo string
	ChecksumType string
	SSE          SSEInput
	ACL          []meta.Grant
}

// UploadPartInput is UploadPart.
type UploadPartInput struct {
	Bucket, Key, UploadID string
	PartNumber            int
	Body                  io.Reader
	Size                  int64
	ContentMD5            string
	Checksum              ChecksumInput
	Customer              *CustomerKey // the upload's SSE-C key; required when it has one
}

// UploadPartCopyInput is UploadPartCopy.
type UploadPartCopyInput struct {
	Bucket, Key, UploadID           string
	PartNumber                      int
	SrcBucket, SrcKey, SrcVersionID string
	SrcRange                        *s3.Range // bytes=first-last only; nil for whole source
	SrcCond                         Conditions
	Customer                        *CustomerKey // the upload's SSE-C key
	SrcCustomer                     *CustomerKey // the source's SSE-C key
}

// CompletePart is one element of CompleteMultipartUpload's body.
type CompletePart struct {
	PartNumber int
	ETag       string            // as sent, quotes optional
	Checksums  map[string]string // algorithm → base64, as sent
}

// CompleteInput is CompleteMultipartUpload.
type CompleteInput struct {
	Bucket, Key, UploadID string
	Parts                 []CompletePart
	IfMatch, IfNoneMatch  string
	// Checksum is the full-object checksum header the client sent, if any.
	Checksum ChecksumInput
}

// ListPartsInput is ListParts.
type ListPartsInput struct {
	Bucket, Key, UploadID string
	PartNumberMarker      int
	MaxParts              int // as ListInput.MaxKeys
}

// ListPartsResult is one page of ListParts.
type ListPartsResult struct {
	Upload               meta.Upload
	Parts                []meta.Part
	IsTruncated          bool
	NextPartNumberMarker int
}

// ListUploadsInput is ListMultipartUploads.
type ListUploadsInput struct {
	Bucket         string
	Prefix         string
	Delimiter      string
	KeyMarker      string
	UploadIDMarker string
	MaxUploads     int // as ListInput.MaxKeys
}

// ListUploadsResult is one page of ListMultipartUploads.
type ListUploadsResult struct {
	Uploads            []meta.Upload
	CommonPrefixes     []string
	IsTruncated        bool
	NextKeyMarker      string
	NextUploadIDMarker string
}
