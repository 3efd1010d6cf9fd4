// Package kmsapi is the HTTP face of coffer's key management service: the
// AWS KMS JSON 1.1 protocol (POST / with X-Amz-Target: TrentService.<Op>),
// authenticated with SigV4 for the service "kms", over a kms.Store. Every
// request is decoded into a typed Request before anything runs, and every
// error leaves through one writer: kms.Exception sentinels become HTTP 400
// with their AWS __type; anything else is a fault, logged with the request
// ID and answered 500 KMSInternalException with a generic message.
//
// Callers are the administrator (its account's root, allowed every kms:
// action by kms.AdministratorPolicy, within what key policies allow the
// account) and the principals of the keystore's principals table (users
// with no identity policies: only key policies and grants naming them
// allow anything). Between decoding and execution every request is
// authorized with kms.Store.Authorize for the actions its type implies
// (checks). With Config.Audit, every call leaves one JSON line (auditRecord)
// before its response, and a call that cannot be audited fails.
package kmsapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/httpx"
	"github.com/coffer-project/coffer/internal/kms"
	"github.com/coffer-project/coffer/internal/policy"
)

// Config is what the handler needs.
type Config struct {
	Store    *kms.Store
	Verifier *auth.Verifier
	Region   string // the credential-scope region clients must sign for
	Log      *slog.Logger
	// Registry receives the metrics and is served at /metrics.
	Registry *prometheus.Registry
	// Audit receives one JSON line per KMS call (see auditRecord), written
	// before the response; a call whose record cannot be written fails
	// with KMSInternalException. nil: no audit log.
	Audit io.Writer
	// Now is the clock of audit records. nil: time.Now.
	Now func() time.Time
}

// MaxRequestBody bounds a request body; AWS KMS documents are small
// (Encrypt takes at most 4096 bytes of plaintext, a policy 32 KiB).
const MaxRequestBody = 1 << 20

const contentType = "application/x-amz-json-1.1"

type handler struct {
	cfg   Config
	calls *prometheus.CounterVec
	// adminPolicies are the identity policies of the account root,
	// shared by its calls (nothing modifies them).
	adminPolicies []*policy.Policy
	audit         *auditLog // nil without Config.Audit
}

// New returns the root handler: GET /health/live, /health/ready, /metrics
// and the KMS API on POST /, wrapped in the httpx chain.
func New(cfg Config) http.Handler {
	h := &handler{cfg: cfg, adminPolicies: []*policy.Policy{kms.AdministratorPolicy()},
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coffer_kms_calls_total",
			Help: "KMS API calls by operation and result (Success or the AWS exception name).",
		}, []string{"operation", "result"}),
	}
	if h.cfg.Now == nil {
		h.cfg.Now = time.Now
	}
	if cfg.Audit != nil {
		h.audit = &auditLog{w: cfg.Audit}
	}
	cfg.Registry.MustRegister(h.calls)
	return httpx.Chain(cfg.Log, cfg.Registry, "coffer_kms", nil, http.HandlerFunc(h.serveKMS))
}

// Protocol-level exceptions, beyond those of package kms.
const (
	errMissingAuth         kms.Exception = "MissingAuthenticationTokenException"
	errIncompleteSignature kms.Exception = "IncompleteSignatureException"
	errInvalidSignature    kms.Exception = "InvalidSignatureException"
	errUnrecognizedClient  kms.Exception = "UnrecognizedClientException"
)

func (h *handler) serveKMS(w http.ResponseWriter, r *http.Request) {
	info := httpx.InfoFrom(r.Context())
	op := "unknown"
	if name, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix); ok && newRequest(name) != nil {
		op = name
	}
	info.Op = op
	rec := &auditRecord{RequestID: httpx.RequestID(r.Context()), Operation: op}
	defer func() {
		// A panic is a fault like any other: JSON the SDKs can read, the
		// cause in the log only. httpx.Recover stays as the last resort.
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.finish(w, r, rec, nil, fmt.Errorf("kmsapi: panic: %v", v))
		}
	}()
	resp, err := h.call(w, r, info, rec)
	h.finish(w, r, rec, resp, err)
}

// finish audits the call and then writes its response or error. If the
// audit record cannot be written the call fails: no unaudited result leaves.
func (h *handler) finish(w http.ResponseWriter, r *http.Request, rec *auditRecord, resp any, err error) {
	op := rec.Operation
	if c, ok := resp.(interface{ clearSecrets() }); ok {
		defer c.clearSecrets()
	}
	if h.audit != nil {
		rec.Time, rec.Result = h.cfg.Now().UTC(), "Success"
		if err != nil {
			rec.Result = kms.ExceptionName(err)
		}
		if aerr := h.audit.write(rec); aerr != nil {
			resp, err = nil, fmt.Errorf("kmsapi: %s (%s) not audited: %w", op, rec.Result, aerr)
		}
	}
	if err == nil {
		err = writeJSON(w, http.StatusOK, resp)
		if err != nil {
			// The status is sent; all that is left is to tell the operator.
			h.cfg.Log.Warn("kms: write response", "request_id", httpx.RequestID(r.Context()), "op", op, "error", err)
		}
		h.calls.WithLabelValues(op, "Success").Inc()
		return
	}
	h.calls.WithLabelValues(op, h.writeError(w, r, op, err)).Inc()
}

// call authenticates, decodes and executes one request.
func (h *handler) call(w http.ResponseWriter, r *http.Request, info *httpx.Info, rec *auditRecord) (any, error) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		return nil, fmt.Errorf("kmsapi: %s %.100s is not a KMS call: %w", r.Method, r.URL.Path, errUnknownOperation)
	}
	if r.ContentLength > MaxRequestBody {
		return nil, fmt.Errorf("kmsapi: request body over %d bytes: %w", MaxRequestBody, kms.ErrValidation)
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxRequestBody)
	res, err := h.cfg.Verifier.Verify(r)
	if err != nil {
		return nil, authError(err)
	}
	defer res.Body.Close()
	info.Principal = res.Principal.ARN
	rec.Principal, rec.AccessKeyID = res.Principal.ARN, res.Principal.AccessKeyID
	switch {
	case res.Principal.Anonymous:
		return nil, fmt.Errorf("kmsapi: missing authentication token: %w", errMissingAuth)
	case res.Service != "kms":
		return nil, fmt.Errorf("kmsapi: credential should be scoped to correct service: 'kms': %w", errInvalidSignature)
	case res.Region != h.cfg.Region:
		return nil, fmt.Errorf("kmsapi: credential should be scoped to a valid region, not '%.40s': %w", res.Region, errInvalidSignature)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, MaxRequestBody+1))
	if err != nil {
		return nil, authError(err)
	}
	if len(body) > MaxRequestBody {
		return nil, fmt.Errorf("kmsapi: request body over %d bytes: %w", MaxRequestBody, kms.ErrValidation)
	}
	info.BytesIn = int64(len(body))
	req, err := DecodeRequest(r.Header.Get("X-Amz-Target"), body)
	if err != nil {
		return nil, err
	}
	c := h.callerOf(res.Principal)
	if err := h.authorize(r.Context(), c, req, rec); err != nil {
		return nil, err
	}
	return h.execute(r.Context(), c, req)
}

// authError maps an auth error to the exception AWS KMS answers with.
func authError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), errors.Is(err, auth.ErrMissingContentSHA256):
		return fmt.Errorf("kmsapi: request body over %d bytes: %w", MaxRequestBody, kms.ErrValidation)
	case errors.Is(err, auth.ErrInvalidAccessKeyID):
		return fmt.Errorf("kmsapi: the security token included in the request is invalid: %w", errUnrecognizedClient)
	case errors.Is(err, auth.ErrSignatureDoesNotMatch), errors.Is(err, auth.ErrContentSHA256Mismatch):
		return fmt.Errorf("kmsapi: the request signature we calculated does not match the signature you provided; "+
			"check your AWS secret access key and signing method: %w", errInvalidSignature)
	case errors.Is(err, auth.ErrRequestTimeTooSkewed), errors.Is(err, auth.ErrRequestExpired):
		return fmt.Errorf("kmsapi: signature expired: the request time is more than 15 minutes from the server time: %w", errInvalidSignature)
	case errors.Is(err, auth.ErrMissingAuth):
		return fmt.Errorf("kmsapi: every x-amz-* header must be signed: %w", errIncompleteSignature)
	case errors.Is(err, auth.ErrAuthorizationHeaderMalformed), errors.Is(err, auth.ErrAuthorizationQueryMalformed),
		errors.Is(err, auth.ErrMissingDate), errors.Is(err, auth.ErrUnsupportedAlgorithm),
		errors.Is(err, auth.ErrInvalidContentSHA256), errors.Is(err, auth.ErrMalformedChunk),
		errors.Is(err, auth.ErrMissingDecodedLength), errors.Is(err, auth.ErrMalformedTrailer):
		return fmt.Errorf("kmsapi: the request signature does not conform to AWS standards: %w", errIncompleteSignature)
	}
	return err
}

// errorBody is AWS's JSON error document.
type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

// writeError is the one place errors become responses. It returns the
// exception name it sent.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, op string, err error) string {
	name := kms.ExceptionName(err)
	status := http.StatusBadRequest
	msg := exceptionMessage(err, name)
	if name == string(kms.ErrKMSInternal) {
		status = http.StatusInternalServerError
		msg = "An internal error occurred; the request ID is " + httpx.RequestID(r.Context()) + "."
		h.cfg.Log.Error("kms: internal error", "request_id", httpx.RequestID(r.Context()), "op", op, "error", err)
	}
	if werr := writeJSON(w, status, errorBody{Type: name, Message: msg}); werr != nil {
		h.cfg.Log.Warn("kms: write error response", "request_id", httpx.RequestID(r.Context()), "op", op, "error", werr)
	}
	return name
}

// exceptionMessage turns "kms: key … not found: NotFoundException" into the
// client-facing "Key … not found".
func exceptionMessage(err error, name string) string {
	msg := strings.TrimSuffix(err.Error(), ": "+name)
	for _, p := range []string{"kmsapi: ", "kms: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	if msg == name || msg == "" {
		return name
	}
	return strings.ToUpper(msg[:1]) + msg[1:]
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	defer clear(b) // it may hold a data key, in base64
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}
