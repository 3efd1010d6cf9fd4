// Package iam holds coffer's accounts and their IAM entities: users, access
// keys, groups, inline and managed policies. It is the domain side of the
// IAM API (internal/iamapi serves it over HTTP) and of request signing and
// authorization: it looks up the secret behind an access key
// ([Service.Lookup], an auth.Credentials) and the identity policies of a
// caller ([Service.IdentityPolicies]).
//
// Storage. Each account's IAM state is one JSON document in the metadata
// store (meta.AccountStore), changed in one transaction per operation, with
// a revision number. Secret access keys in it are sealed (AES-256-GCM) under
// a key that only the KMS can unwrap ([KMSSealer]): the metadata database
// alone reveals no secret.
//
// Caching. Authentication and authorization read a per-account snapshot
// (decoded document, unsealed secrets, parsed policies) kept in memory. A
// change made through this Service replaces the snapshot at once; a change
// made by another server process sharing the database is seen within
// RevisionCheck (one indexed read of the revision per account and interval).
package iam

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/coffer-project/coffer/internal/meta"
)

// Error is an IAM API error: Code is AWS's error code (NoSuchEntity,
// EntityAlreadyExists, DeleteConflict, LimitExceeded, ValidationError,
// MalformedPolicyDocument, InvalidInput, AccessDenied), Message its text.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return "iam: " + e.Code + ": " + e.Message }

// Error codes.
const (
	CodeNoSuchEntity    = "NoSuchEntity"
	CodeEntityExists    = "EntityAlreadyExists"
	CodeDeleteConflict  = "DeleteConflict"
	CodeLimitExceeded   = "LimitExceeded"
	CodeValidation      = "ValidationError"
	CodeMalformedPolicy = "MalformedPolicyDocument"
	CodeInvalidInput    = "InvalidInput"
	CodeAccessDenied    = "AccessDenied"
)

func errorf(code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the IAM error code of err, or "" for an internal error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Limits, as AWS sets them (IAM and STS quotas).
const (
	MaxAccessKeysPerUser  = 2
	MaxGroupsPerUser      = 10
	MaxAttachedPolicies   = 10 // managed policies per user or group
	MaxPolicyVersions     = 5
	MaxUserInlineSize     = 2048
	MaxGroupInlineSize    = 5120
	MaxRoleInlineSize     = 10240
	MaxManagedPolicySize  = 6144
	MaxTagsPerUser        = 50
	defaultRevisionCheck  = time.Second
	lastUsedWriteInterval = time.Minute
)

// Service manages accounts and IAM entities.
type Service struct {
	Store  meta.AccountStore
	Sealer Sealer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the randomness for IDs and secrets; nil means crypto/rand.
	Rand io.Reader
	Log  *slog.Logger
	// Partition and the region IAM reports; "aws" when empty.
	Partition string
	// RevisionCheck is how long a cached account snapshot is trusted
	// before its revision is read again; 0 means one second.
	RevisionCheck time.Duration

	mu        sync.Mutex
	snapshots map[string]*snapshot
	lastUsed  map[string]time.Time // access key → last recorded use
	// keyAccounts caches which account an access key belongs to.
	keyAccounts map[string]string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

func (s *Service) partition() string {
	if s.Partition != "" {
		return s.Partition
	}
	return "aws"
}

func (s *Service) revisionCheck() time.Duration {
	if s.RevisionCheck > 0 {
		return s.RevisionCheck
	}
	return defaultRevisionCheck
}
