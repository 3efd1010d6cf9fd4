package kms

import (
	"errors"
)

// Exception is a sentinel error whose value is the name of the AWS KMS
// exception it stands for, so the protocol server maps errors 1:1 with
// ExceptionName. Operations wrap them with context:
// fmt.Errorf("kms: …: %w", ErrDisabled).
type Exception string

func (e Exception) Error() string { return string(e) }

// The AWS KMS exceptions this package returns.
const (
	ErrNotFound          Exception = "NotFoundException"
	ErrDisabled          Exception = "DisabledException"
	ErrInvalidState      Exception = "KMSInvalidStateException"
	ErrInvalidCiphertext Exception = "InvalidCiphertextException"
	ErrIncorrectKey      Exception = "IncorrectKeyException"
	ErrValidation        Exception = "ValidationException"
	ErrAlreadyExists     Exception = "AlreadyExistsException"
	ErrInvalidKeyUsage   Exception = "InvalidKeyUsageException"
	ErrNotAuthorized     Exception = "NotAuthorizedException"
	ErrInvalidMarker     Exception = "InvalidMarkerException"
	ErrLimitExceeded     Exception = "LimitExceededException"
	ErrMalformedPolicy   Exception = "MalformedPolicyDocumentException"
	ErrTag               Exception = "TagException"
	ErrUnsupportedOp     Exception = "UnsupportedOperationException"
	ErrKMSInternal       Exception = "KMSInternalException"
	ErrAccessDenied      Exception = "AccessDeniedException"
	ErrInvalidGrantToken Exception = "InvalidGrantTokenException"
	ErrInvalidGrantID    Exception = "InvalidGrantIdException"
)

// ErrUnavailable is wrapped by the errors of a Provider that got no answer
// from the key management service: it could not be reached, timed out, or
// failed with a 5xx on every attempt. The caller may retry later; the S3
// server answers 503 ServiceUnavailable. It is not an Exception: the
// service never names it.
var ErrUnavailable = errors.New("kms: key management service unavailable")

// ErrWrongRootKey is returned by Open, and by RootKey.Open, when sealed
// data was not sealed under this root key (or was altered).
var ErrWrongRootKey = errors.New("kms: root key does not match the sealed data")

// ExceptionName returns the AWS exception name of err's sentinel, or
// "KMSInternalException" for any other error (a fault, not the caller's).
func ExceptionName(err error) string {
	var e Exception
	if errors.As(err, &e) {
		return string(e)
	}
	return string(ErrKMSInternal)
}
