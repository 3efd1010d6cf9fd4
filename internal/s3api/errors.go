package s3api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/httpx"
	"github.com/coffer-project/coffer/internal/lifecycle"
	"github.com/coffer-project/coffer/internal/object"
	"github.com/coffer-project/coffer/internal/s3"
	"github.com/coffer-project/coffer/internal/s3err"
	"github.com/coffer-project/coffer/internal/s3xml"
)

// errorCodes maps domain sentinel errors to S3 wire codes. The first match
// in order wins, so more specific errors come first.
var errorCodes = []struct {
	err  error
	code s3err.Code
	msg  string // overrides the code's standard message when set
}{
	// Authentication.
	{auth.ErrMissingAuth, s3err.AccessDenied, "Access Denied"},
	{auth.ErrInvalidAccessKeyID, s3err.InvalidAccessKeyId, ""},
	{auth.ErrSignatureDoesNotMatch, s3err.SignatureDoesNotMatch, ""},
	{auth.ErrRequestTimeTooSkewed, s3err.RequestTimeTooSkewed, ""},
	{auth.ErrRequestExpired, s3err.AccessDenied, "Request has expired"},
	{auth.ErrAuthorizationHeaderMalformed, s3err.AuthorizationHeaderMalformed, ""},
	{auth.ErrAuthorizationQueryMalformed, s3err.AuthorizationQueryParametersError, ""},
	{auth.ErrUnsupportedAlgorithm, s3err.InvalidArgument, "Unsupported authorization type"},
	{auth.ErrMissingDate, s3err.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header"},
	{auth.ErrMissingContentSHA256, s3err.InvalidRequest, "Missing required header for this request: x-amz-content-sha256"},
	{auth.ErrInvalidContentSHA256, s3err.InvalidArgument, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-* or a valid sha256 value."},
	{auth.ErrContentSHA256Mismatch, s3err.XAmzContentSHA256Mismatch, ""},
	{auth.ErrMalformedChunk, s3err.IncompleteBody, ""},
	{auth.ErrMissingDecodedLength, s3err.MissingContentLength, ""},
	{auth.ErrMalformedTrailer, s3err.MalformedTrailerError, ""},
	{auth.ErrInvalidToken, s3err.InvalidToken, ""},
	{auth.ErrExpiredToken, s3err.ExpiredToken, ""},
	{errAccessDenied, s3err.AccessDenied, "Access Denied"},
	{errWrongService, s3err.InvalidRequest, "The credential scope names a service this endpoint does not serve."},

	// Vocabulary.
	{s3.ErrInvalidBucketName, s3err.InvalidBucketName, ""},
	{s3.ErrKeyTooLong, s3err.KeyTooLongError, ""},
	{s3.ErrInvalidKey, s3err.InvalidArgument, ""},
	{s3.ErrMetadataTooLarge, s3err.MetadataTooLarge, ""},
	{s3.ErrInvalidTag, s3err.InvalidTag, ""},
	{s3.ErrInvalidRange, s3err.InvalidRange, ""},
	{s3.ErrInvalidCopySourceRange, s3err.InvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy"},

	// XML bodies.
	{s3xml.ErrTooLarge, s3err.MaxMessageLengthExceeded, ""},
	{s3xml.ErrMissingBody, s3err.MissingRequestBodyError, ""},
	{s3xml.ErrMalformedXML, s3err.MalformedXML, ""},

	// Engine.
	{object.ErrNoSuchBucket, s3err.NoSuchBucket, ""},
	{object.ErrBucketAlreadyExists, s3err.BucketAlreadyExists, ""},
	{object.ErrBucketAlreadyOwnedByYou, s3err.BucketAlreadyOwnedByYou, ""},
	{object.ErrBucketNotEmpty, s3err.BucketNotEmpty, ""},
	{object.ErrNoSuchKey, s3err.NoSuchKey, ""},
	{object.ErrNoSuchVersion, s3err.NoSuchVersion, ""},
	{object.ErrNoSuchUpload, s3err.NoSuchUpload, ""},
	{object.ErrNoSuchTagSet, s3err.NoSuchTagSet, ""},
	{object.ErrInvalidPart, s3err.InvalidPart, ""},
	{object.ErrInvalidPartOrder, s3err.InvalidPartOrder, ""},
	{object.ErrEntityTooSmall, s3err.EntityTooSmall, ""},
	{object.ErrEntityTooLarge, s3err.EntityTooLarge, ""},
	{object.ErrBadDigest, s3err.BadDigest, ""},
	{object.ErrInvalidDigest, s3err.InvalidDigest, ""},
	{object.ErrIncompleteBody, s3err.IncompleteBody, ""},
	{object.ErrInvalidRange, s3err.InvalidRange, ""},
	{object.ErrPreconditionFailed, s3err.PreconditionFailed, ""},
	{object.ErrNotModified, s3err.NotModified, ""},
	{object.ErrConditionalConflict, s3err.ConditionalRequestConflict, ""},
	{object.ErrMethodNotAllowed, s3err.MethodNotAllowed, ""},
	{object.ErrInvalidArgument, s3err.InvalidArgument, ""},
	{object.ErrInvalidRequest, s3err.InvalidRequest, ""},
	{object.ErrInvalidTag, s3err.InvalidTag, ""},
	{object.ErrNotImplemented, s3err.NotImplemented, ""},
	{object.ErrNoSuchBucketPolicy, s3err.NoSuchBucketPolicy, ""},
	{object.ErrOwnershipControlsNotFound, s3err.OwnershipControlsNotFoundError, ""},
	{object.ErrInvalidObjectState, s3err.InvalidObjectState, ""},
	{object.ErrRestoreAlreadyInProgress, s3err.Code{Name: "RestoreAlreadyInProgress", Status: http.StatusConflict}, "Object restore is already in progress"},
	{object.ErrNoSuchPublicAccessBlock, s3err.NoSuchPublicAccessBlockConfiguration, ""},
	{object.ErrACLNotSupported, s3err.AccessControlListNotSupported, ""},
	{object.ErrInvalidBucketACLWithOwnership, s3err.Code{Name: "InvalidBucketAclWithObjectOwnership", Status: http.StatusBadRequest}, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"},
	{object.ErrInvalidOwnership, s3err.MalformedXML, ""},
	{object.ErrMalformedPolicy, s3err.MalformedPolicy, ""},
	{object.ErrNoSuchLifecycleConfiguration, s3err.NoSuchLifecycleConfiguration, ""},
	{object.ErrNoSuchConfiguration, s3err.Code{Name: "NoSuchConfiguration", Status: http.StatusNotFound}, "The specified configuration does not exist."},
	{object.ErrTooManyConfigurations, s3err.Code{Name: "TooManyConfigurations", Status: http.StatusBadRequest}, "You are attempting to create a new configuration but have already reached the 1,000-configuration limit."},

	// Lifecycle configuration.
	{lifecycle.ErrMalformed, s3err.MalformedXML, ""},
	{lifecycle.ErrInvalidArgument, s3err.InvalidArgument, ""},
	{lifecycle.ErrInvalidRequest, s3err.InvalidRequest, ""},

	// Encryption.
	{object.ErrSSECRequired, s3err.InvalidRequest, "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object."},
	{object.ErrSSECKeyMismatch, s3err.AccessDenied, "Access Denied"},
	{object.ErrSSECNotApplicable, s3err.InvalidRequest, "The encryption parameters are not applicable to this object."},
	{object.ErrEncryptionBlocked, s3err.AccessDenied, "Access Denied because this bucket has blocked upload requests that specify Server Side Encryption with Customer provided keys (SSE-C). Please specify a different server-side encryption type"},
}

// detailed marks engine errors whose own message is meant for the client
// (for example which checksum did not match).
var detailed = []error{lifecycle.ErrInvalidArgument, lifecycle.ErrInvalidRequest, object.ErrMalformedPolicy, object.ErrBadDigest, object.ErrInvalidRequest, object.ErrInvalidArgument, object.ErrInvalidTag, s3.ErrInvalidTag}

// toS3 turns any error into the S3 error sent to the client. Unknown
// errors become InternalError; their cause is logged, never sent.
func toS3(err error) (e *s3err.Error, known bool) {
	var se *s3err.Error
	if errors.As(err, &se) {
		return se, true
	}
	var ke *object.KMSError
	if errors.As(err, &ke) {
		return kmsS3Error(ke)
	}
	var re *ResolveError
	if errors.As(err, &re) {
		if re.NotImplemented {
			return &s3err.Error{Code: s3err.NotImplemented, Message: re.Msg}, true
		}
		return &s3err.Error{Code: s3err.MethodNotAllowed, Message: re.Msg}, true
	}
	for _, m := range errorCodes {
		if errors.Is(err, m.err) {
			e := &s3err.Error{Code: m.code, Message: m.msg}
			for _, d := range detailed {
				if errors.Is(err, d) && err.Error() != d.Error() {
					e.Message = clientMessage(err, d)
				}
			}
			return e, true
		}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &s3err.Error{Code: s3err.IncompleteBody}, true
	}
	if errors.Is(err, context.Canceled) {
		return &s3err.Error{Code: s3err.RequestTimeout}, true
	}
	return &s3err.Error{Code: s3err.InternalError}, false
}

// kmsS3Error is S3's answer to a KMS failure: 503 when the KMS could not be
// reached (clients retry), AccessDenied when it refused the caller, else
// the KMS exception as "KMS.<Exception>" with 400, as S3 reports them.
func kmsS3Error(ke *object.KMSError) (*s3err.Error, bool) {
	switch ke.Exception {
	case "", "KMSInternalException":
		return &s3err.Error{Code: s3err.ServiceUnavailable, Message: "The key management service is unavailable. Please retry."}, true
	case "AccessDeniedException":
		return &s3err.Error{Code: s3err.AccessDenied, Message: "The server's KMS identity is not authorized to use the KMS key."}, true
	case "UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignatureException":
		// The server's own KMS credentials are wrong: a fault of the
		// server's configuration, logged, not the client's to fix.
		return &s3err.Error{Code: s3err.InternalError}, false
	}
	code := s3err.Code{Name: "KMS." + ke.Exception, Status: http.StatusBadRequest, Message: "The KMS request failed: " + ke.Exception}
	msg := ke.Err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[:i] // drop the trailing sentinel name, keep the KMS's message
	}
	return &s3err.Error{Code: code, Message: msg}, true
}

// clientMessage strips the sentinel's own text from a wrapped error so the
// detail reads as a sentence: "bad digest: the CRC32 you specified…" →
// "The CRC32 you specified…".
func clientMessage(err, sentinel error) string {
	msg := err.Error()
	prefix := sentinel.Error() + ": "
	if i := strings.Index(msg, prefix); i >= 0 {
		msg = msg[i+len(prefix):]
	}
	if msg == "" {
		return ""
	}
	if c := msg[0]; c >= 'a' && c <= 'z' {
		msg = string(c-'a'+'A') + msg[1:]
	}
	return msg
}

// writeError is the one place an error becomes an S3 error response.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, op Op, err error) {
	id := httpx.RequestID(r.Context())
	e, known := toS3(err)
	if errors.Is(err, object.ErrIntegrity) {
		h.log.LogAttrs(r.Context(), slog.LevelError, "integrity failure: stored data or key failed authentication",
			slog.String("request_id", id), slog.String("op", op.Kind.String()),
			slog.String("bucket", op.Bucket), slog.String("key", op.Key), slog.Any("err", err))
	} else if !known {
		h.log.LogAttrs(r.Context(), slog.LevelError, "internal error",
			slog.String("request_id", id), slog.String("op", op.Kind.String()),
			slog.String("bucket", op.Bucket), slog.String("key", op.Key), slog.Any("err", err))
	} else {
		h.log.LogAttrs(r.Context(), slog.LevelDebug, "request failed",
			slog.String("request_id", id), slog.String("code", e.Code.Name), slog.Any("err", err))
	}
	if e.Resource == "" {
		e.Resource = resource(r, op)
	}
	var dm *object.DeleteMarkerError
	if errors.As(err, &dm) {
		w.Header().Set("x-amz-delete-marker", "true")
		w.Header().Set("Last-Modified", dm.Marker.LastModified.UTC().Format(http.TimeFormat))
		if dm.Marker.VersionID != "" && dm.Marker.VersionID != "null" {
			w.Header().Set("x-amz-version-id", dm.Marker.VersionID)
		} else if dm.Marker.VersionID == "null" {
			w.Header().Set("x-amz-version-id", "null")
		}
		if e.Code.Name == s3err.MethodNotAllowed.Name {
			w.Header().Set("Allow", "DELETE")
		}
	}
	s3err.Write(w, e, id, r.Method == http.MethodHead)
}

// wrongRegion is S3's answer to a signature scoped to another region.
func wrongRegion(res *auth.Result, want string) error {
	code := s3err.AuthorizationHeaderMalformed
	if res.Presigned {
		code = s3err.AuthorizationQueryParametersError
	}
	return &s3err.Error{Code: code,
		Message: "The authorization header is malformed; the region '" + res.Region + "' is wrong; expecting '" + want + "'",
		Extra:   []s3err.KV{{Name: "Region", Value: want}}}
}
