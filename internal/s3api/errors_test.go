package s3api

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/object"
	"github.com/coffer-project/coffer/internal/s3"
	"github.com/coffer-project/coffer/internal/s3err"
)

func TestToS3(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		code    string
		status  int
		message string // "" → not checked
		known   bool
	}{
		{"wrapped engine error", fmt.Errorf("put: %w", object.ErrNoSuchBucket), "NoSuchBucket", 404, "", true},
		{"bad digest keeps detail", fmt.Errorf("%w: the CRC32 you specified did not match", object.ErrBadDigest), "BadDigest", 400, "The CRC32 you specified did not match", true},
		{"expired presign", auth.ErrRequestExpired, "AccessDenied", 403, "Request has expired", true},
		{"signature", fmt.Errorf("x: %w", auth.ErrSignatureDoesNotMatch), "SignatureDoesNotMatch", 403, "", true},
		{"precondition", object.ErrPreconditionFailed, "PreconditionFailed", 412, "", true},
		{"not implemented subresource", &ResolveError{NotImplemented: true, Msg: "no"}, "NotImplemented", 501, "no", true},
		{"method not allowed", &ResolveError{Method: true, Msg: "no"}, "MethodNotAllowed", 405, "no", true},
		{"wire error passes through", &s3err.Error{Code: s3err.InvalidStorageClass}, "InvalidStorageClass", 400, "", true},
		{"unknown becomes internal", errors.New("disk on fire"), "InternalError", 500, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, known := toS3(tt.err)
			if e.Code.Name != tt.code || e.Code.Status != tt.status || known != tt.known {
				t.Fatalf("toS3 = %s %d known=%v, want %s %d known=%v", e.Code.Name, e.Code.Status, known, tt.code, tt.status, tt.known)
			}
			if tt.message != "" && e.Message != tt.message {
				t.Errorf("message %q, want %q", e.Message, tt.message)
			}
			if !tt.known && e.Message != "" {
				t.Errorf("internal error leaks a message: %q", e.Message)
			}
		})
	}
}

func TestEveryEngineErrorHasACode(t *testing.T) {
	seen := map[error]bool{}
	for _, m := range errorCodes {
		if seen[m.err] {
			t.Errorf("%v mapped twice", m.err)
		}
		seen[m.err] = true
		if m.code.Status < 300 || m.code.Status > 599 || m.code.Status == http.StatusInternalServerError {
			t.Errorf("%v maps to %s with status %d", m.err, m.code.Name, m.code.Status)
		}
	}
}

func TestInvalidBucketNameUsesStandardMessage(t *testing.T) {
	e, _ := toS3(fmt.Errorf("create: %w", s3errBucketName()))
	if e.Code.Name != "InvalidBucketName" || e.Message != "" {
		t.Fatalf("got %s %q, want InvalidBucketName with the standard message", e.Code.Name, e.Message)
	}
}

func s3errBucketName() error { return s3.ValidBucketName("b") }
