// Package meta is coffer's metadata store: buckets, object versions,
// multipart uploads and the durable blob-deletion queue, kept in SQL.
//
// The embedded dialect is SQLite (modernc.org/sqlite, WAL, synchronous=FULL).
// Every query is written to stay portable to PostgreSQL; only DDL may differ.
//
// Object data lives in immutable blobs (see package blob) that a version
// points at by ID. Whenever a commit drops the last reference to a blob,
// the same transaction enqueues the blob for deletion, so a blob that a
// committed version points at is never lost and none is orphaned forever.
//
// The exception is small data, kept inline: a Part whose BlobID is empty
// carries its bytes in Part.Inline, stored in the part's row and written in
// the same transaction as the version (package object decides what is
// small; by default up to 32 KiB). A blob costs two fsyncs of its own (the
// file, then its directory) before the metadata commit may even start,
// while the commit's WAL fsync is shared by every write of a group commit.
// Inline, a small PUT costs a share of one grouped fsync and nothing else.
// Durability is unchanged: CommitVersion returns only after the WAL holding
// the version row and its data is on disk (synchronous=FULL), just as the
// blob path returns only after the blob and then the row are. A crash before
// the commit leaves nothing at all, not even a blob to sweep. Inline parts
// have no blob to reference, enqueue or delete: every piece of blob
// bookkeeping ignores an empty BlobID.
package meta

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Implementations wrap them with context; callers test with
// errors.Is.
var (
	ErrBucketExists   = errors.New("bucket already exists")
	ErrNoSuchBucket   = errors.New("no such bucket")
	ErrBucketNotEmpty = errors.New("bucket not empty")
	ErrNoSuchKey      = errors.New("no such key")
	ErrNoSuchVersion  = errors.New("no such version")
	ErrNoSuchUpload   = errors.New("no such upload")
	ErrNoSuchPart     = errors.New("no such part")
)

// Versioning states of a bucket, as S3 names them. The zero value means the
// bucket has never had versioning enabled ("unversioned").
const (
	VersioningUnset     = ""
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
)

// NullVersionID is the version ID of objects written while versioning is
// unset or suspended.
const NullVersionID = "null"

// Tag is one key/value tag. Order is preserved as given.
type Tag struct {
	Key   string
	Value string
}

// Bucket is a bucket's stored state.
type Bucket struct {
	Name       string
	Owner      string // owning account ID
	Region     string // LocationConstraint; "" means us-east-1
	Created    time.Time
	Versioning string // VersioningUnset, VersioningEnabled or VersioningSuspended
	Tags       []Tag  // nil: no tag set
	// Encryption is the bucket's default encryption configuration
	// (PutBucketEncryption); nil means the default, SSE-S3.
	Encryption *BucketEncryption
	// Policy is the bucket policy document exactly as the owner put it
	// (PutBucketPolicy); "" means none. The store does not parse it.
	Policy string
	// Lifecycle is the bucket's lifecycle configuration
	// (PutBucketLifecycleConfiguration) as package object encodes it:
	// the JSON of a lifecycle.Configuration, validated and with every
	// rule named. "" means none. The store does not parse it.
	Lifecycle string
	// IntelligentTiering is the bucket's S3 Intelligent-Tiering
	// configurations (PutBucketIntelligentTieringConfiguration) as
	// package object encodes them: JSON, validated. "" means none. The
	// store does not parse it.
	IntelligentTiering string
	// Ownership is the bucket's Object Ownership setting
	// (OwnershipBucketOwnerEnforced, …); "" means none was set, which
	// behaves as ObjectWriter, as on S3.
	Ownership string
	// ACL is the bucket's access control list beyond its owner's implicit
	// FULL_CONTROL; nil means private.
	ACL []Grant
	// PublicAccessBlock is the bucket's Block Public Access
	// configuration; nil means none.
	PublicAccessBlock *PublicAccessBlock
	// MFADelete is the versioning configuration's MfaDelete: "" (never
	// set), "Enabled" or "Disabled". Enabled, deleting a version or
	// changing versioning needs the root user's MFA code (x-amz-mfa).
	MFADelete string
}

// Object Ownership settings.
const (
	OwnershipBucketOwnerEnforced  = "BucketOwnerEnforced"
	OwnershipBucketOwnerPreferred = "BucketOwnerPreferred"
	OwnershipObjectWriter         = "ObjectWriter"
)

// Grant is one ACL grant.
type Grant struct {
	// Type is "CanonicalUser" (ID set) or "Group" (URI set).
	Type       string
	ID         string
	URI        string
	Permission string // FULL_CONTROL, WRITE, WRITE_ACP, READ, READ_ACP
}

// PublicAccessBlock is a Block Public Access configuration.
type PublicAccessBlock struct {
	BlockPublicAcls       bool
	IgnorePublicAcls      bool
	BlockPublicPolicy     bool
	RestrictPublicBuckets bool
}

// BucketEncryption is a bucket's default encryption rule.
type BucketEncryption struct {
	Algorithm        string // SSEAlgorithm: "AES256" or "aws:kms"
	KMSMasterKeyID   string // "" with aws:kms: the account's alias/aws/s3 key
	BucketKeyEnabled bool
	// BlockedEncryptionTypes lists encryption types writes may not use,
	// such as "SSE-C"; nil: none blocked.
	BlockedEncryptionTypes []string
}

// Encryption modes of an object version or upload (Encryption.Mode).
const (
	SSES3  = "AES256"  // SSE-S3: object key sealed under a data key of the S3-owned KMS key
	SSEKMS = "aws:kms" // SSE-KMS: object key sealed under a data key of a customer's KMS key
	SSEC   = "SSE-C"   // SSE-C: object key sealed under a key derived from the customer's key
)

// Encryption is how an object version's (or upload's) data is encrypted at
// rest. The store keeps it opaque: package object fills it in and reads it.
// Every secret in it is sealed; none is usable without the KMS or, for
// SSE-C, the customer's key. The zero value (Mode "") is plaintext data,
// which only engine tests and benchmarks configured without a KMS write.
// The store returns every field as written, except that an empty byte
// slice reads back as nil.
type Encryption struct {
	Mode       string // SSES3, SSEKMS, SSEC, or "" for plaintext
	KMSKeyARN  string // the KMS key's ARN (SSES3, SSEKMS)
	KMSContext string // SSEKMS: the client's encryption context as sent (base64 JSON); "" none
	BucketKey  bool   // the data key is a cached bucket key; Salt derives this object's key-encryption key
	DataKey    []byte // the KMS-encrypted data key (ciphertext blob), SSES3/SSEKMS
	Salt       []byte // random per version/upload: derives the key-encryption key (bucket key, SSE-C) and salts KeyHMAC
	SealedKey  []byte // the object key, sealed under the key-encryption key
	KeyHMAC    []byte // SSEC: salted HMAC of the customer's key, to verify it; the key itself is never stored
	// ManagedKey: SSEKMS under the account's AWS managed key (aws/s3),
	// whose key policy lets every caller S3 authorizes use it through S3,
	// so callers need no kms: permission of their own.
	ManagedKey bool
}

// Checksum is an object or part checksum as S3 reports it.
type Checksum struct {
	Algorithm string // "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"; "" for none
	Type      string // "FULL_OBJECT" or "COMPOSITE"
	Value     string // base64, for composite with the "-N" suffix
}

// Part is one piece of an object's data: a whole single-part object
// (Number 0) or one part of a completed multipart upload (Number ≥ 1).
// Parts of a version are stored in order; their sizes add up to the
// version's size.
type Part struct {
	Number       int
	BlobID       string // blob holding exactly this part's bytes; "" when Inline holds them
	Inline       []byte // a small part's data kept in the store, as stored: encrypted if the version is, so not Size long
	Size         int64  // bytes of object data (plaintext); the stored form of encrypted data is longer
	ETag         string // hex MD5 of the part, unquoted
	Checksum     Checksum
	LastModified time.Time
}

// ObjectHeaders are the standard HTTP headers stored with an object.
type ObjectHeaders struct {
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	Expires            string // raw header value as the client sent it
	WebsiteRedirect    string
}

// Version is one version of an object, or a delete marker.
type Version struct {
	Bucket       string
	Key          string
	VersionID    string // NullVersionID for the null version
	Seq          int64  // assigned by the store on commit; newer versions have larger Seq
	IsLatest     bool   // set by the store on read
	DeleteMarker bool
	Owner        string
	LastModified time.Time
	Size         int64
	ETag         string // unquoted; "<hex>-N" for multipart
	StorageClass string // "STANDARD", … as given on write
	Headers      ObjectHeaders
	UserMeta     map[string]string // x-amz-meta-* without the prefix, lower-case keys
	Tags         []Tag
	Checksum     Checksum
	Encryption   Encryption // zero for delete markers
	Parts        []Part     // empty for delete markers
	// ACL is the object's access control list: the grants besides its
	// owner's implicit FULL_CONTROL; nil means private.
	ACL []Grant
	// Restore is the last RestoreObject of an archived version (GLACIER,
	// DEEP_ARCHIVE); nil if none.
	Restore *Restore
	// LastAccess is when the version was last read, as package object
	// records it (coarsely: see Store.TouchVersion); zero means not since
	// it was written. S3 Intelligent-Tiering derives the access tier from
	// it.
	LastAccess time.Time
}

// Restore is a restore of an archived object version: requested at
// Requested, readable from Ready until Expiry.
type Restore struct {
	Tier      string // Expedited, Standard or Bulk
	Days      int
	Requested time.Time
	Ready     time.Time
	Expiry    time.Time
	// AccessTier is, for an INTELLIGENT_TIERING version, the archive
	// tier it is being restored from (ARCHIVE_ACCESS,
	// DEEP_ARCHIVE_ACCESS); "" for GLACIER and DEEP_ARCHIVE.
	AccessTier string `json:",omitempty"`
}

// Upload is an in-progress multipart upload.
type Upload struct {
	UploadID     string
	Bucket       string
	Key          string
	Initiated    time.Time
	Owner        string
	StorageClass string
	Headers      ObjectHeaders
	UserMeta     map[string]string
	Tags         []Tag
	ChecksumAlgo string     // algorithm requested at create, "" for none
	ChecksumType string     // "COMPOSITE" or "FULL_OBJECT"; "" for none
	Encryption   Encryption // the upload's object key, sealed; every part is encrypted under it
	ACL          []Grant    // the ACL the completed object gets
}

// Precondition is evaluated inside the commit transaction against the key's
// current latest version (nil if the key has none; a delete marker is passed
// as is). A non-nil error aborts the commit and is returned unchanged.
type Precondition func(current *Version) error

// ListPage bounds a listing: return at most Limit items that sort strictly
// after the marker(s) and whose key starts with Prefix.
type ListPage struct {
	Prefix string
	// After is an exclusive lower bound on the key (UTF-8 byte order).
	After string
	// From, when set, is an inclusive lower bound on the key; used to skip
	// past a common prefix. When both are set the larger bound wins.
	From  string
	Limit int
}

// Task is a queued blob deletion.
type Task struct {
	ID     int64
	BlobID string
}

// Store is the metadata store. All methods are safe for concurrent use.
type Store interface {
	// CreateBucket inserts b. Returns ErrBucketExists if a bucket of that
	// name exists (whoever owns it; the returned error wraps the existing
	// owner's ID in its message only).
	CreateBucket(ctx context.Context, b Bucket) error
	// GetBucket returns ErrNoSuchBucket if name does not exist.
	GetBucket(ctx context.Context, name string) (Bucket, error)
	// UpdateBucket runs fn on the bucket inside a transaction and stores the
	// result (Name and Owner must not change). Returns ErrNoSuchBucket, or
	// fn's error unchanged.
	UpdateBucket(ctx context.Context, name string, fn func(*Bucket) error) error
	// DeleteBucket removes an empty bucket. Returns ErrNoSuchBucket, or
	// ErrBucketNotEmpty if any version, delete marker or multipart upload
	// remains in it.
	DeleteBucket(ctx context.Context, name string) error
	// ListBuckets returns buckets owned by owner ("" for all) with names
	// > page.After starting with page.Prefix, in name order.
	ListBuckets(ctx context.Context, owner string, page ListPage) ([]Bucket, error)

	// CommitVersion makes v the latest version of (v.Bucket, v.Key) in one
	// transaction: checks the bucket exists (ErrNoSuchBucket), runs cond (if
	// non-nil), removes any existing version with the same VersionID (that
	// is how the null version is replaced) and enqueues its blobs, inserts v
	// with a fresh Seq, and returns v as stored. Concurrent commits may be
	// grouped into one transaction; each still succeeds or fails alone.
	CommitVersion(ctx context.Context, v Version, cond Precondition) (Version, error)
	// GetVersion returns the version with versionID, or the latest version
	// if versionID is "" (which may be a delete marker). Returns
	// ErrNoSuchBucket, ErrNoSuchKey when the key has no versions at all,
	// or ErrNoSuchVersion when versionID names no version of the key.
	GetVersion(ctx context.Context, bucket, key, versionID string) (Version, error)
	// DeleteVersion permanently removes one version (or delete marker),
	// enqueues its blobs, and returns what was removed. If cond is non-nil
	// it runs first against the version to be removed. Returns
	// ErrNoSuchBucket, ErrNoSuchKey or ErrNoSuchVersion as GetVersion.
	DeleteVersion(ctx context.Context, bucket, key, versionID string, cond Precondition) (Version, error)
	// UpdateVersion runs fn on a stored version (latest if versionID is
	// "") and stores the changed Tags, ACL, Restore and LastAccess (other
	// fields are ignored). Errors as
	// GetVersion, or fn's error unchanged.
	UpdateVersion(ctx context.Context, bucket, key, versionID string, fn func(*Version) error) (Version, error)
	// TouchVersion records a read of a version at at: it sets LastAccess,
	// and nothing else, unless the stored LastAccess is already later.
	// versionID must not be empty. Returns ErrNoSuchBucket, ErrNoSuchKey
	// or ErrNoSuchVersion as GetVersion.
	TouchVersion(ctx context.Context, bucket, key, versionID string, at time.Time) error
	// ScanVersions walks a bucket's versions for the lifecycle scanner:
	// see SQL.ScanVersions.
	ScanVersions(ctx context.Context, bucket string, cur ScanCursor, limit int) ([]Version, error)
	// ReplaceVersionData swaps a version's storage class, restore state
	// and blobs (a tier transition): see SQL.ReplaceVersionData.
	ReplaceVersionData(ctx context.Context, bucket, key, versionID string, fn func(*Version) error) (Version, error)
	// ListLatest returns, in key order, the latest version of each key in
	// bucket that matches page, skipping keys whose latest version is a
	// delete marker. Parts are not loaded. Returns ErrNoSuchBucket.
	ListLatest(ctx context.Context, bucket string, page ListPage) ([]Version, error)
	// ListVersions returns all versions and delete markers matching page,
	// ordered by key, then newest first. If versionAfter is non-empty the
	// listing starts after that version of key page.After (inclusive of
	// the remaining older versions of that key); otherwise strictly after
	// all versions of page.After. IsLatest is set. Parts are not loaded.
	ListVersions(ctx context.Context, bucket string, page ListPage, versionAfter string) ([]Version, error)

	// CreateUpload stores a new multipart upload. Returns ErrNoSuchBucket.
	CreateUpload(ctx context.Context, u Upload) error
	// GetUpload returns ErrNoSuchUpload unless the upload exists in bucket
	// under key.
	GetUpload(ctx context.Context, bucket, key, uploadID string) (Upload, error)
	// PutPart records a part of an upload, replacing (and enqueueing the
	// blob of) any earlier part with that number. Returns ErrNoSuchUpload.
	PutPart(ctx context.Context, uploadID string, p Part) error
	// ListParts returns parts with Number > after, in order, at most limit.
	// Inline data is not loaded (a page may describe 1,000 inline parts).
	// Returns ErrNoSuchUpload.
	ListParts(ctx context.Context, uploadID string, after, limit int) ([]Part, error)
	// ListUploads lists uploads in bucket ordered by key, then initiation
	// time, then upload ID, starting after (keyAfter, uploadAfter): when
	// uploadAfter is "" strictly after all uploads of keyAfter.
	ListUploads(ctx context.Context, bucket string, page ListPage, uploadAfter string) ([]Upload, error)
	// CompleteUpload removes the upload and its part records, enqueues the
	// blobs of parts not listed in v.Parts, and commits v exactly as
	// CommitVersion does (same cond semantics), all in one transaction.
	// Each of v.Parts must be a part of the upload with the same Number and
	// BlobID, else ErrNoSuchPart; the data of an inline part is moved from
	// the upload part (v.Parts[i].Inline is ignored). v.Encryption is
	// stored as given: the caller copies the upload's. Returns
	// ErrNoSuchUpload if the upload is gone.
	CompleteUpload(ctx context.Context, uploadID string, v Version, cond Precondition) (Version, error)
	// AbortUpload removes the upload and enqueues all its part blobs.
	// Returns ErrNoSuchUpload.
	AbortUpload(ctx context.Context, bucket, key, uploadID string) error

	// EnqueueBlobs records blobs to delete (for example a blob written for
	// a request that then failed before committing). Empty IDs (inline
	// parts) are ignored.
	EnqueueBlobs(ctx context.Context, blobIDs ...string) error
	// PendingTasks returns up to limit queued deletions, oldest first.
	PendingTasks(ctx context.Context, limit int) ([]Task, error)
	// FinishTasks removes completed tasks.
	FinishTasks(ctx context.Context, ids ...int64) error
	// BlobReferenced reports whether any version, part or queued task
	// refers to blobID (used by the start-up orphan sweep). It is false
	// for "": inline parts refer to no blob.
	BlobReferenced(ctx context.Context, blobID string) (bool, error)

	// Usage returns the storage used per bucket and storage class, of
	// bucket or of all buckets if bucket is "" (see SQL.Usage). Returns
	// ErrNoSuchBucket if a named bucket does not exist.
	Usage(ctx context.Context, bucket string) ([]UsageRow, error)

	// Close releases the database.
	Close() error
}
