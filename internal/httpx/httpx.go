// Package httpx holds the HTTP plumbing every coffer server shares: request
// IDs, panic recovery, access logging, metrics and graceful serving.
package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

type ctxKey int

const requestIDKey ctxKey = 0

// RequestID returns the request ID that WithRequestID assigned, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// NewRequestID returns a random 16-hex-digit upper-case ID, as S3's look.
func NewRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hexUpper(b[:])
}

func hexUpper(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i] = digits[c>>4]
		out[2*i+1] = digits[c&15]
	}
	return string(out)
}

// WithRequestID assigns every request an ID, exposes it in the context and
// sends it as x-amz-request-id (and x-amz-id-2, which clients also log).
func WithRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := NewRequestID()
		var host [16]byte
		_, _ = rand.Read(host[:])
		w.Header().Set("x-amz-request-id", id)
		w.Header().Set("x-amz-id-2", hex.EncodeToString(host[:]))
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

// Recover turns a panic in next into a 500 and logs it with the request ID.
// http.ErrAbortHandler is re-raised so net/http aborts the connection.
func Recover(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			log.Error("panic serving request", "request_id", RequestID(r.Context()), "panic", v)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
				`<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message><RequestId>` +
				RequestID(r.Context()) + `</RequestId></Error>`))
		}()
		next.ServeHTTP(w, r)
	})
}

// Server is what Serve runs: an *http.Server, or another server with its
// Serve and Shutdown contract (ErrServerClosed after Shutdown).
type Server interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
}

// Serve runs srv on ln until ctx is done, then shuts down gracefully,
// letting in-flight requests finish for up to grace.
func Serve(ctx context.Context, srv Server, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// ContinueEmptyBodies answers "Expect: 100-continue" on requests whose body
// is empty with an interim 100 Continue before the real response. net/http
// sends 100 Continue only when the handler reads the body, which never
// happens for an empty one; botocore (the AWS CLI, boto3) then misreads the
// next response on the same connection and hangs until its read timeout.
func ContinueEmptyBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength == 0 && strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
			w.WriteHeader(http.StatusContinue)
		}
		next.ServeHTTP(w, r)
	})
}

// MaxDrain is the most of a refused request's body DrainUnread reads, and
// expectDrainWait how long it waits for the body of a request that asked
// "Expect: 100-continue" (whose client may never send it).
const (
	MaxDrain        = 16 << 20
	expectDrainWait = 2 * time.Second
)

// DrainUnread reads and discards what the handler left unread of a request
// body (at most MaxDrain bytes) after it has answered. A client still
// sending an upload the server refused early (a missing SSE-C key, an
// unknown upload ID) otherwise meets a closed connection, whose reset can
// destroy the error response before the client reads it, and retries in
// vain.
//
// For "Expect: 100-continue" the answer is flushed first: it is final, so
// reading sends no 100 Continue (net/http stops that once a final status is
// written), a client that waits reads the refusal and sends nothing, and
// one that sent the body anyway (Go's transport does when its
// ExpectContinueTimeout is zero) has it drained. The wait for such a body
// is bounded by expectDrainWait.
func DrainUnread(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if r.Body == nil || r.ContentLength == 0 {
			return
		}
		if strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
			rc := http.NewResponseController(w)
			_ = rc.Flush()
			_ = rc.SetReadDeadline(time.Now().Add(expectDrainWait))
		}
		_, _ = io.CopyN(io.Discard, r.Body, MaxDrain)
	})
}

// HasToken reports whether a comma-separated list field (all its lines:
// Connection, Vary, …) holds token, compared case-insensitively.
func HasToken(lines []string, token string) bool {
	for _, l := range lines {
		for t := range strings.SplitSeq(l, ",") {
			if strings.EqualFold(strings.Trim(t, " \t"), token) {
				return true
			}
		}
	}
	return false
}

// tokenChars marks the bytes of an RFC 9110 token (tchar).
var tokenChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// IsToken reports whether s is an RFC 9110 token, as a field name must be.
func IsToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !tokenChars[s[i]] {
			return false
		}
	}
	return s != ""
}

// ValidFieldValue reports whether a field value has no control characters
// other than tab (what net/http accepts).
func ValidFieldValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < ' ' && b != '\t' || b == 0x7f {
			return false
		}
	}
	return true
}
