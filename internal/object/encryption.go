package object

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/coffer-project/coffer/internal/kms"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/sse"
)

// KMS is what object encryption needs of the key management service:
// kms.Client (a remote or the embedded `coffer kms`) implements it.
type KMS interface {
	// GenerateDataKey returns a fresh data key under keyID bound to ec.
	// Errors wrap a kms.Exception the service answered, or
	// kms.ErrUnavailable when it could not be reached.
	GenerateDataKey(ctx context.Context, keyID string, ec map[string]string) (kms.DataKey, error)
	// Decrypt returns the plaintext of a data key; errors as
	// GenerateDataKey.
	Decrypt(ctx context.Context, ciphertext []byte, ec map[string]string) ([]byte, error)
}

// Encryption errors. s3api maps them to S3's codes.
var (
	// ErrSSECRequired: an SSE-C object read without its key (400 InvalidRequest).
	ErrSSECRequired = errors.New("the object was stored using a form of server side encryption; the correct parameters must be provided to retrieve the object")
	// ErrSSECKeyMismatch: the SSE-C key sent is not the object's (403 AccessDenied).
	ErrSSECKeyMismatch = errors.New("the provided SSE-C key does not match the object's key")
	// ErrSSECNotApplicable: SSE-C headers on a request for an object not
	// stored with SSE-C (400 InvalidRequest).
	ErrSSECNotApplicable = errors.New("the encryption parameters are not applicable to this object")
	// ErrEncryptionBlocked: the bucket's BlockedEncryptionTypes refuse
	// the write's encryption type (403 AccessDenied).
	ErrEncryptionBlocked = errors.New("the requested encryption type is blocked for this bucket")
	// ErrIntegrity: stored data or a sealed key failed authentication;
	// the data was tampered with or is corrupt (500 InternalError, logged).
	ErrIntegrity = sse.ErrIntegrity
)

// KMSError is a failure of the key management service during a request:
// Exception is the KMS exception name (DisabledException, …), or "" when
// the service was unavailable.
type KMSError struct {
	Exception string
	Err       error
}

func (e *KMSError) Error() string { return "kms: " + e.Err.Error() }
func (e *KMSError) Unwrap() error { return e.Err }

// kmsError wraps an error from the KMS for the HTTP layer.
func kmsError(err error) error {
	if errors.Is(err, kms.ErrUnavailable) {
		return &KMSError{Err: err}
	}
	var ex kms.Exception
	if errors.As(err, &ex) {
		return &KMSError{Exception: string(ex), Err: err}
	}
	return &KMSError{Err: err}
}

// CustomerKey is an SSE-C key as the request carried it (checked against
// its MD5 by the HTTP layer). It is never stored and never logged.
type CustomerKey struct {
	Key    []byte // 32 bytes
	KeyMD5 string // base64, as sent; echoed in responses
}

// LogValue implements slog.LogValuer: the key is never logged.
func (k *CustomerKey) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// SSEInput is what a write request asks for in its encryption headers.
// The zero value means "as the bucket's default encryption says".
type SSEInput struct {
	Algorithm  string // x-amz-server-side-encryption: "", meta.SSES3 or meta.SSEKMS
	KMSKeyID   string // x-amz-server-side-encryption-aws-kms-key-id; "" → alias/aws/s3
	KMSContext string // x-amz-server-side-encryption-context: base64 of a JSON object
	BucketKey  *bool  // x-amz-server-side-encryption-bucket-key-enabled; nil not sent
	Customer   *CustomerKey
}

// objectARN is the S3 ARN of an object or (key "") a bucket: the
// encryption context S3 binds KMS data keys to.
func objectARN(bucket, key string) string {
	if key == "" {
		return "arn:aws:s3:::" + bucket
	}
	return "arn:aws:s3:::" + bucket + "/" + key
}

// Labels for sse.DeriveKEK: a key-encryption key from a bucket key or from
// a customer's key. Frozen: changing one makes stored objects unreadable.
const (
	kekLabelBucketKey = "coffer sse bucket-key kek v1"
	kekLabelCustomer  = "coffer sse customer kek v1"
	saltSize          = 32
)

// resolveSSE decides how a new object (or upload) in bucket b is
// encrypted: the request's headers, else the bucket's default, else SSE-S3.
// A Service without a KMS writes plaintext unless SSE-C is asked for.
func resolveSSE(b *meta.Bucket, in SSEInput) (mode, keyID string, bucketKey bool, err error) {
	def := b.Encryption
	if def == nil {
		def = &meta.BucketEncryption{Algorithm: meta.SSES3}
	}
	if in.Customer != nil {
		if in.Algorithm != "" {
			return "", "", false, fmt.Errorf("%w: server side encryption with customer provided keys cannot be combined with x-amz-server-side-encryption", ErrInvalidArgument)
		}
		if slices.ContainsFunc(def.BlockedEncryptionTypes, func(t string) bool { return strings.EqualFold(t, "SSE-C") }) {
			return "", "", false, fmt.Errorf("%w: this bucket blocks SSE-C", ErrEncryptionBlocked)
		}
		return meta.SSEC, "", false, nil
	}
	switch in.Algorithm {
	case "":
		mode, keyID, bucketKey = def.Algorithm, def.KMSMasterKeyID, def.BucketKeyEnabled
		if in.KMSKeyID != "" || in.KMSContext != "" {
			return "", "", false, fmt.Errorf("%w: x-amz-server-side-encryption-aws-kms-key-id and -context require x-amz-server-side-encryption: aws:kms", ErrInvalidArgument)
		}
	case meta.SSES3:
		mode = meta.SSES3
		if in.KMSKeyID != "" || in.KMSContext != "" {
			return "", "", false, fmt.Errorf("%w: a KMS key id or context is only valid with aws:kms", ErrInvalidArgument)
		}
	case meta.SSEKMS:
		mode, keyID = meta.SSEKMS, in.KMSKeyID
		if def.Algorithm == meta.SSEKMS {
			bucketKey = def.BucketKeyEnabled
			if keyID == "" {
				keyID = def.KMSMasterKeyID
			}
		}
	default:
		return "", "", false, fmt.Errorf("%w: the encryption method specified is not supported", ErrInvalidArgument)
	}
	if in.BucketKey != nil {
		bucketKey = *in.BucketKey
	}
	if mode == meta.SSEKMS && keyID == "" {
		keyID = kms.AWSManagedS3Alias
	}
	if mode == meta.SSES3 {
		keyID, bucketKey = kms.S3OwnedAlias, true // SSE-S3 always uses a cached bucket key
	}
	return mode, keyID, bucketKey, nil
}

// kmsContext decodes the client's SSE-KMS encryption context and adds
// S3's own entry; the client may not set aws:s3:arn itself.
func kmsContext(encoded string, arn string) (map[string]string, error) {
	ec := map[string]string{}
	if encoded != "" {
		raw, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			return nil, fmt.Errorf("%w: the encryption context must be base64-encoded JSON", ErrInvalidArgument)
		}
		if err := json.Unmarshal(raw, &ec); err != nil {
			return nil, fmt.Errorf("%w: the encryption context must be a JSON object of string values", ErrInvalidArgument)
		}
		if _, ok := ec["aws:s3:arn"]; ok {
			return nil, fmt.Errorf("%w: the encryption context may not set aws:s3:arn", ErrInvalidArgument)
		}
	}
	ec["aws:s3:arn"] = arn
	return ec, nil
}

// newEncryption makes the object key for a new version or upload of
// bucket/key and seals it as the request and bucket ask. It returns the
// record to store and the object key, which the caller clears after use.
// Nothing is stored yet: a KMS failure here leaves nothing behind.
func (s *Service) newEncryption(ctx context.Context, b *meta.Bucket, key string, in SSEInput) (meta.Encryption, []byte, error) {
	mode, keyID, bucketKey, err := resolveSSE(b, in)
	if err != nil {
		return meta.Encryption{}, nil, err
	}
	if mode != meta.SSEC && s.KMS == nil {
		if in.Algorithm != "" {
			return meta.Encryption{}, nil, fmt.Errorf("%w: server-side encryption with KMS keys is not configured", ErrNotImplemented)
		}
		return meta.Encryption{}, nil, nil // engine tests and benchmarks without a KMS
	}
	enc := meta.Encryption{Mode: mode, ManagedKey: mode == meta.SSEKMS && keyID == kms.AWSManagedS3Alias}
	objectKey, err := sse.NewObjectKey(s.Rand)
	if err != nil {
		return enc, nil, err
	}
	ok := false
	defer func() {
		if !ok {
			clear(objectKey)
		}
	}()
	var kek []byte
	switch {
	case mode == meta.SSEC:
		if enc.Salt, err = s.randomBytes(saltSize); err != nil {
			return enc, nil, err
		}
		enc.KeyHMAC = sse.CustomerKeyHMAC(enc.Salt, in.Customer.Key)
		kek = sse.DeriveKEK(in.Customer.Key, enc.Salt, kekLabelCustomer)
	case bucketKey:
		bk, err := s.keys().bucketKey(ctx, s.KMS, keyID, b.Name)
		if err != nil {
			return enc, nil, err
		}
		if enc.Salt, err = s.randomBytes(saltSize); err != nil {
			return enc, nil, err
		}
		enc.KMSKeyARN, enc.DataKey, enc.BucketKey = bk.arn, bk.ciphertext, true
		kek = sse.DeriveKEK(bk.plaintext, enc.Salt, kekLabelBucketKey)
		if mode == meta.SSEKMS {
			// Validated and kept to be returned; with a bucket key the
			// KMS context is the bucket ARN, as on AWS.
			if _, err := kmsContext(in.KMSContext, ""); err != nil {
				return enc, nil, err
			}
			enc.KMSContext = in.KMSContext
		}
	default:
		ec, err := kmsContext(in.KMSContext, objectARN(b.Name, key))
		if err != nil {
			return enc, nil, err
		}
		dk, err := s.KMS.GenerateDataKey(ctx, keyID, ec)
		if err != nil {
			return enc, nil, kmsError(err)
		}
		enc.KMSKeyARN, enc.DataKey, enc.KMSContext = dk.KeyARN, dk.Ciphertext, in.KMSContext
		kek = dk.Plaintext
	}
	defer clear(kek)
	// Asked with the key's ARN, which the KMS resolved from the id or
	// alias the request named; the data key it made is cleared unused
	// when the caller may not use the key.
	if err := s.authorizeKeyUse(ctx, &enc, "kms:GenerateDataKey"); err != nil {
		return enc, nil, err
	}
	sealed, err := sse.SealKey(kek, objectKey, sse.Binding{Mode: mode, Bucket: b.Name, Key: key}, s.Rand)
	if err != nil {
		return enc, nil, err
	}
	enc.SealedKey = sealed
	ok = true
	return enc, objectKey, nil
}

// authorizeKeyUse asks s.AuthorizeKeyUse about an SSE-KMS key use. SSE-S3
// keys are the service's own, SSE-C uses no KMS key, and the AWS managed
// key aws/s3 serves every caller S3 authorizes: none of them asks.
func (s *Service) authorizeKeyUse(ctx context.Context, enc *meta.Encryption, action string) error {
	if enc.Mode != meta.SSEKMS || enc.ManagedKey || s.AuthorizeKeyUse == nil {
		return nil
	}
	return s.AuthorizeKeyUse(ctx, action, enc.KMSKeyARN)
}

// CheckCustomerKey checks the SSE-C key a request sent against an object's
// (or upload's) encryption, without unsealing anything: HEAD,
// GetObjectAttributes, and the cheap first check of every read. Errors:
// ErrSSECRequired, ErrSSECKeyMismatch, ErrSSECNotApplicable.
func CheckCustomerKey(enc *meta.Encryption, ck *CustomerKey) error {
	switch {
	case enc.Mode != meta.SSEC && ck != nil:
		return ErrSSECNotApplicable
	case enc.Mode != meta.SSEC:
		return nil
	case ck == nil:
		return ErrSSECRequired
	case !sse.VerifyCustomerKey(enc.Salt, ck.Key, enc.KeyHMAC):
		return ErrSSECKeyMismatch
	}
	return nil
}

// openKey unseals the object key of stored data encrypted as enc, for
// bucket/key; nil for plaintext data. The caller clears it after use.
func (s *Service) openKey(ctx context.Context, bucket, key string, enc *meta.Encryption, ck *CustomerKey) ([]byte, error) {
	if err := CheckCustomerKey(enc, ck); err != nil {
		return nil, err
	}
	if enc.Mode == "" {
		return nil, nil
	}
	if err := s.authorizeKeyUse(ctx, enc, "kms:Decrypt"); err != nil {
		return nil, err
	}
	var kek []byte
	switch {
	case enc.Mode == meta.SSEC:
		kek = sse.DeriveKEK(ck.Key, enc.Salt, kekLabelCustomer)
	case s.KMS == nil:
		return nil, fmt.Errorf("object: %s/%s is encrypted with %s but no KMS is configured", bucket, key, enc.Mode)
	case enc.BucketKey:
		bk, err := s.keys().openBucketKey(ctx, s.KMS, enc.DataKey, bucket)
		if err != nil {
			return nil, err
		}
		kek = sse.DeriveKEK(bk, enc.Salt, kekLabelBucketKey)
	default:
		ec, err := kmsContext(enc.KMSContext, objectARN(bucket, key))
		if err != nil {
			return nil, fmt.Errorf("object: stored encryption context of %s/%s: %w", bucket, key, err)
		}
		pt, err := s.KMS.Decrypt(ctx, enc.DataKey, ec)
		if err != nil {
			return nil, kmsError(err)
		}
		kek = pt
	}
	defer clear(kek)
	objectKey, err := sse.UnsealKey(kek, enc.SealedKey, sse.Binding{Mode: enc.Mode, Bucket: bucket, Key: key})
	if err != nil {
		return nil, fmt.Errorf("object: %s/%s: sealed object key: %w", bucket, key, err) // s3api logs integrity failures
	}
	return objectKey, nil
}

// opaqueETag reports whether objects encrypted as mode get an ETag that is
// not their MD5, as AWS does for SSE-KMS and SSE-C.
func opaqueETag(mode string) bool { return mode == meta.SSEKMS || mode == meta.SSEC }
