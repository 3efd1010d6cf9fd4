// Package auth authenticates S3-style requests: AWS Signature Version 4 in
// the Authorization header or in the query string (presigned URLs), with
// every payload mode AWS defines, and yields a typed Principal.
//
// The payload hash is verified as the body streams, never by buffering it:
// Result.Body returns an error wrapping ErrContentSHA256Mismatch or
// ErrSignatureDoesNotMatch instead of io.EOF when the bytes do not match.
package auth

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// Sentinel errors. Each maps to one S3 error code (named in the comment).
var (
	ErrMissingAuth                  = errors.New("auth: request is not signed")                // AccessDenied 403 (anonymous where not allowed)
	ErrInvalidAccessKeyID           = errors.New("auth: unknown access key")                   // InvalidAccessKeyId 403
	ErrSignatureDoesNotMatch        = errors.New("auth: signature does not match")             // SignatureDoesNotMatch 403
	ErrRequestTimeTooSkewed         = errors.New("auth: request time too skewed")              // RequestTimeTooSkewed 403
	ErrRequestExpired               = errors.New("auth: presigned request expired")            // AccessDenied 403 "Request has expired"
	ErrAuthorizationHeaderMalformed = errors.New("auth: authorization header malformed")       // AuthorizationHeaderMalformed 400
	ErrAuthorizationQueryMalformed  = errors.New("auth: authorization query malformed")        // AuthorizationQueryParametersError 400
	ErrUnsupportedAlgorithm         = errors.New("auth: unsupported signing algorithm")        // AccessDenied? see s3api; InvalidArgument 400
	ErrMissingDate                  = errors.New("auth: missing date")                         // AccessDenied 403 "AWS authentication requires a valid Date or x-amz-date header"
	ErrMissingContentSHA256         = errors.New("auth: missing x-amz-content-sha256")         // InvalidRequest 400
	ErrInvalidContentSHA256         = errors.New("auth: invalid x-amz-content-sha256")         // InvalidArgument 400
	ErrContentSHA256Mismatch        = errors.New("auth: payload hash mismatch")                // XAmzContentSHA256Mismatch 400
	ErrMalformedChunk               = errors.New("auth: malformed aws-chunked body")           // IncompleteBody 400
	ErrMissingDecodedLength         = errors.New("auth: missing x-amz-decoded-content-length") // MissingContentLength 411
	ErrMalformedTrailer             = errors.New("auth: malformed trailer")                    // MalformedTrailerError 400
	ErrInvalidToken                 = errors.New("auth: invalid session token")                // InvalidToken 400
	ErrExpiredToken                 = errors.New("auth: session token expired")                // ExpiredToken 400
)

// Principal is who made a request.
type Principal struct {
	Anonymous   bool
	AccountID   string // 12-digit account ID
	AccessKeyID string
	UserName    string // "" for the account root
	UserID      string // the user's unique ID (AIDA…); "" for the account root
	ARN         string // arn:aws:iam::ACCOUNT:root or …:user/PATH/NAME
	// Operator marks the first account's root, which manages accounts.
	Operator bool

	// Session is set for temporary credentials (STS).
	Session *Session

	// Origin is set when a CDN edge signed the request with an origin
	// access credential (`coffer admin oai|oac create`). The caller is
	// then CloudFront's principal, not its account's root: AccountID is
	// the account that owns the credential, ARN the origin access
	// identity's principal ARN (for an origin access control, the
	// control's own ARN, which no policy names).
	Origin *OriginAccess
}

// OriginAccess is what an origin access credential stands for: an origin
// access identity (OAI), whose principal is
// arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity <ID>, or an
// origin access control (OAC), whose principal is the service
// cloudfront.amazonaws.com on behalf of one distribution.
type OriginAccess struct {
	// ID is the OAI's or OAC's ID (E…).
	ID string
	// CanonicalUser is an OAI's S3 canonical user ID; "" for an OAC.
	CanonicalUser string
	// SourceARN is an OAC's distribution ARN, the request's aws:SourceArn;
	// "" for an OAI. It is part of the credential: a request cannot name
	// its own.
	SourceARN string
}

// Session describes temporary credentials: who they were issued to and
// how.
type Session struct {
	Expires time.Time
	// MFATime is when the session's holder last proved MFA; zero if not.
	MFATime time.Time
	// RoleARN, RoleID and Name are set for an assumed role: the role (with
	// its path) and the session name. The Principal's ARN is then
	// arn:aws:sts::ACCOUNT:assumed-role/ROLE/NAME and UserID ROLEID:NAME.
	RoleARN, RoleID, RoleName, Name string
	// Policy is the session policy (AssumeRole's Policy), "" for none: it
	// limits what the role's policies grant.
	Policy string
	// SourceIdentity is AssumeRole's SourceIdentity.
	SourceIdentity string
}

// SessionCredentials looks up temporary credentials: the secret and the
// principal come from the session token sent with the request
// (X-Amz-Security-Token). Errors wrap ErrInvalidToken or ErrExpiredToken.
type SessionCredentials interface {
	LookupSession(ctx context.Context, accessKeyID, token string) (Credential, error)
}

// Credential is a secret an access key signs with.
type Credential struct {
	AccessKeyID string
	SecretKey   string
	Principal   Principal
}

// LogValue keeps the secret key out of logs.
func (c Credential) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_key_id", c.AccessKeyID), slog.String("secret_key", "REDACTED"))
}

// Credentials looks up signing secrets.
type Credentials interface {
	// Lookup returns the credential for accessKeyID, or an error wrapping
	// ErrInvalidAccessKeyID if there is none.
	Lookup(ctx context.Context, accessKeyID string) (Credential, error)
}

// Payload modes (the x-amz-content-sha256 values), plus the raw-hash mode.
const (
	PayloadUnsigned             = "UNSIGNED-PAYLOAD"
	PayloadStreamingSigned      = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	PayloadStreamingUnsignedTrl = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	PayloadStreamingSignedTrl   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	PayloadSignedSHA256         = "SHA256" // a hex SHA-256 of the body
)

// Result is an authenticated request.
type Result struct {
	Principal Principal
	Service   string // credential-scope service: "s3", "iam", "sts"; "" when anonymous
	Region    string // credential-scope region
	Presigned bool
	// PayloadMode is one of the Payload* constants ("" when anonymous).
	PayloadMode string
	// Body is the verified, decoded body (aws-chunked framing removed).
	// It yields io.EOF only after the whole payload verified.
	Body io.ReadCloser
	// ContentLength of the decoded body: x-amz-decoded-content-length for
	// aws-chunked modes, else the request's Content-Length; -1 if unknown.
	ContentLength int64
	// Trailer returns trailing headers (e.g. x-amz-checksum-crc32) received
	// after the last chunk; only meaningful after Body returned io.EOF.
	// Header names are canonical (http.CanonicalHeaderKey).
	Trailer func() http.Header
}

// Verifier checks signatures. It caches the signing keys it derives (one
// per secret, day, region and service; bounded), so use a Verifier through
// a pointer and do not copy it after first use.
type Verifier struct {
	Creds   Credentials
	Now     func() time.Time
	MaxSkew time.Duration // 0 → 15 minutes

	keys atomic.Pointer[signingKeys] // created on first use
}
