package kms

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// ClientConfig configures NewClient.
type ClientConfig struct {
	// Endpoint is the service URL, such as http://kms.internal:9100. Empty
	// means AWS KMS's own endpoint for Region, https://kms.REGION.amazonaws.com
	// (.amazonaws.com.cn for the cn- regions).
	Endpoint string
	Region   string // required
	// AccessKeyID and SecretAccessKey sign requests (SigV4, service kms).
	AccessKeyID     string
	SecretAccessKey string
	// HTTPClient, if set, sends the requests (timeouts, TLS). Default: a
	// client over a Transport that keeps 128 idle connections to the
	// service, takes proxies from the environment and has no timeout
	// beyond the caller's context and dialing's.
	HTTPClient *http.Client
	// MaxAttempts per call, including the first (0: 3).
	MaxAttempts int
	// AttemptTimeout bounds one attempt, response body included (0: no
	// limit but the caller's context). Prefer it to an HTTPClient's
	// Timeout, which costs a goroutine and a timer per request with any
	// transport but net/http's own.
	AttemptTimeout time.Duration
}

// LogValue implements slog.LogValuer: the secret key is never logged.
func (c ClientConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("endpoint", c.Endpoint), slog.String("region", c.Region),
		slog.String("access_key_id", c.AccessKeyID), slog.String("secret_access_key", "REDACTED"))
}

const (
	// defaultMaxAttempts is what MaxAttempts 0 means, as in the AWS SDKs.
	defaultMaxAttempts = 3
	// defaultMaxIdleConns is how many idle connections the default HTTP
	// client keeps: every concurrent SSE-KMS call keeps its own.
	defaultMaxIdleConns = 128
	// The nth retry waits a random time below retryBaseDelay·2ⁿ⁻¹, at most
	// retryMaxDelay: the calls are on the path of S3 requests.
	retryBaseDelay = 25 * time.Millisecond
	retryMaxDelay  = time.Second
	// maxResponseBody bounds a response read into memory; KMS answers are
	// small (a key policy is at most 32 KiB).
	maxResponseBody = 1 << 20
	// maxPooledBuffer is the largest response buffer kept for reuse.
	maxPooledBuffer = 64 << 10
	// jsonContentType is the Content-Type of AWS JSON 1.1 requests.
	jsonContentType = "application/x-amz-json-1.1"
	// targetPrefix prefixes every operation's X-Amz-Target.
	targetPrefix = "TrentService."
)

// Client is a Provider over the AWS KMS wire protocol (AWS JSON 1.1, SigV4
// for the service kms), so it works against `coffer kms` and AWS KMS alike.
// It encodes and signs its few requests itself rather than through
// aws-sdk-go-v2's KMS client, whose middleware stack cost more CPU per
// call than the service's own work (docs/benchmarks.md, issue 3).
type Client struct {
	endpoint    string // the URL requests are POSTed to
	region      string
	accessKeyID string
	signer      *signer
	http        *http.Client
	maxAttempts int
	timeout     time.Duration // of one attempt; 0: none
	// buffers holds response buffers (*[]byte) for reuse. They are cleared
	// before they go back: a response may carry a data key.
	buffers sync.Pool
}

var _ Provider = (*Client)(nil)

// NewClient returns a Client for the service at cfg.Endpoint.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Region == "" || cfg.AccessKeyID == "" || cfg.SecretAccessKey == "" {
		return nil, errors.New("kms: client: region, access key and secret key are required")
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = awsEndpoint(cfg.Region)
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("kms: client: endpoint %q is not an http:// or https:// URL", endpoint)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	s, err := newSigner(u, cfg.Region, cfg.AccessKeyID, cfg.SecretAccessKey)
	if err != nil {
		return nil, err
	}
	c := &Client{
		endpoint:    u.String(),
		region:      cfg.Region,
		accessKeyID: cfg.AccessKeyID,
		signer:      s,
		http:        cfg.HTTPClient,
		maxAttempts: cfg.MaxAttempts,
		timeout:     cfg.AttemptTimeout,
	}
	if c.http == nil {
		c.http = defaultHTTPClient()
	}
	if c.maxAttempts <= 0 {
		c.maxAttempts = defaultMaxAttempts
	}
	return c, nil
}

// LogValue implements slog.LogValuer: the secret key is never logged.
func (c *Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("endpoint", c.endpoint), slog.String("region", c.region),
		slog.String("access_key_id", c.accessKeyID), slog.String("secret_access_key", "REDACTED"))
}

// awsEndpoint is AWS KMS's endpoint in region; the China regions are in
// a partition of their own domain.
func awsEndpoint(region string) string {
	domain := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		domain = "amazonaws.com.cn"
	}
	return "https://kms." + region + "." + domain
}

// defaultHTTPClient sends through a Transport that keeps enough idle
// connections that concurrent calls do not each open their own, and uses
// the environment's proxy settings as net/http's default transport does.
func defaultHTTPClient() *http.Client {
	return &http.Client{Transport: &Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConns: defaultMaxIdleConns,
		DialTimeout: 30 * time.Second, TLSHandshakeTimeout: 10 * time.Second}}
}

// GenerateDataKey implements Provider.
func (c *Client) GenerateDataKey(ctx context.Context, keyID string, ec map[string]string) (DataKey, error) {
	body := make([]byte, 0, 64+len(keyID)+contextSize(ec))
	body = append(body, `{"KeyId":`...)
	body = appendJSONString(body, keyID)
	body = append(body, `,"KeySpec":"AES_256"`...)
	body = append(appendContext(body, ec), '}')
	var out struct {
		KeyID          string `json:"KeyId"`
		CiphertextBlob []byte
		Plaintext      []byte
	}
	if err := c.call(ctx, targetPrefix+"GenerateDataKey", body, &out); err != nil {
		clear(out.Plaintext) // a response that failed to decode may have set it
		return DataKey{}, err
	}
	if len(out.Plaintext) != 32 || len(out.CiphertextBlob) == 0 || !strings.HasPrefix(out.KeyID, "arn:") {
		clear(out.Plaintext)
		return DataKey{}, fmt.Errorf("kms: GenerateDataKey: service returned a %d-byte data key under key %q, not a 32-byte key under a key ARN",
			len(out.Plaintext), out.KeyID)
	}
	return DataKey{Plaintext: out.Plaintext, Ciphertext: out.CiphertextBlob, KeyARN: out.KeyID}, nil
}

// Decrypt implements Provider.
func (c *Client) Decrypt(ctx context.Context, ciphertext []byte, ec map[string]string) ([]byte, error) {
	body := make([]byte, 0, 24+base64.StdEncoding.EncodedLen(len(ciphertext))+contextSize(ec))
	body = append(body, `{"CiphertextBlob":"`...)
	body = base64.StdEncoding.AppendEncode(body, ciphertext)
	body = append(body, '"')
	body = append(appendContext(body, ec), '}')
	var out struct{ Plaintext []byte }
	if err := c.call(ctx, targetPrefix+"Decrypt", body, &out); err != nil {
		clear(out.Plaintext)
		return nil, err
	}
	return out.Plaintext, nil
}

// KeyPolicy returns the key policy (the policy named "default") of the
// key keyID. Errors as GenerateDataKey; ErrAccessDenied when the client's
// principal may not read it (kms:GetKeyPolicy).
func (c *Client) KeyPolicy(ctx context.Context, keyID string) (string, error) {
	body := append(appendJSONString([]byte(`{"KeyId":`), keyID), `,"PolicyName":"default"}`...)
	var out struct{ Policy string }
	if err := c.call(ctx, targetPrefix+"GetKeyPolicy", body, &out); err != nil {
		return "", err
	}
	return out.Policy, nil
}

// call sends an operation's JSON request body, retrying what another
// attempt may fix, and decodes the answer into out. Its errors are
// remoteError's.
func (c *Client) call(ctx context.Context, target string, body []byte, out any) error {
	op := strings.TrimPrefix(target, targetPrefix)
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	var err error
	for attempt := 1; ; attempt++ {
		if err = c.send(ctx, target, body, payloadHash, out); err == nil {
			return nil
		}
		if attempt >= c.maxAttempts || !retryable(err) || ctx.Err() != nil {
			break
		}
		if werr := wait(ctx, backoff(attempt)); werr != nil {
			err = fmt.Errorf("%w while waiting to retry after: %v", werr, err)
			break
		}
	}
	return remoteError(op, err)
}

// send makes one attempt: signs the request (afresh, so its time is
// current), sends it and decodes a 2xx answer into out.
func (c *Client) send(ctx context.Context, target string, body []byte, payloadHash string, out any) error {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	amzDate, authorization := c.signer.sign(time.Now(), target, payloadHash)
	req.Host = c.signer.host
	req.Header = http.Header{
		"Content-Type":  {jsonContentType},
		"X-Amz-Target":  {target},
		"X-Amz-Date":    {amzDate},
		"Authorization": {authorization},
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &noAnswer{err}
	}
	defer resp.Body.Close()
	buf := c.buffer()
	defer c.release(buf)
	*buf, err = readBody(*buf, resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return responseError(resp, *buf)
	}
	if err := json.Unmarshal(*buf, out); err != nil {
		return fmt.Errorf("HTTP %d with a response that is not the operation's JSON: %w", resp.StatusCode, err)
	}
	return nil
}

// buffer returns a response buffer from the pool, or a new one.
func (c *Client) buffer() *[]byte {
	if b, ok := c.buffers.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 1024)
	return &b
}

// release clears a response buffer and returns it to the pool unless it
// grew too large to keep.
func (c *Client) release(b *[]byte) {
	clear(*b)
	if cap(*b) <= maxPooledBuffer {
		*b = (*b)[:0]
		c.buffers.Put(b)
	}
}

// readBody reads r to its end into buf's storage and returns the bytes
// read. Storage it outgrows is cleared before it is dropped. Errors:
// a read error wrapped in noAnswer (the connection failed, the response
// was cut short), or a response over maxResponseBody.
func readBody(buf []byte, r io.Reader) ([]byte, error) {
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			if len(buf) > maxResponseBody {
				return buf, fmt.Errorf("response over %d bytes", maxResponseBody)
			}
			grown := make([]byte, len(buf), 2*cap(buf)+512)
			copy(grown, buf)
			clear(buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case errors.Is(err, io.EOF) && len(buf) > maxResponseBody:
			return buf, fmt.Errorf("response over %d bytes", maxResponseBody)
		case errors.Is(err, io.EOF):
			return buf, nil
		case err != nil:
			return buf, &noAnswer{fmt.Errorf("read response: %w", err)}
		}
	}
}

// apiError is an error the service answered with.
type apiError struct {
	status  int
	code    Exception
	message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("HTTP %d: %s: %s", e.status, e.message, e.code)
}

// noAnswer is a failure that left the call without the service's answer:
// the request may not have reached it, the response was cut short, or a
// 5xx came without an AWS error document. It is retried, and reported as
// ErrUnavailable.
type noAnswer struct{ err error }

func (e *noAnswer) Error() string { return e.err.Error() }
func (e *noAnswer) Unwrap() error { return e.err }

// responseError is the error a non-2xx response stands for. AWS JSON 1.1
// names the exception in the X-Amzn-ErrorType header or the document's
// __type (or code), possibly namespaced ("com.amazonaws.kms#NotFoundException")
// or followed by ":" and a URL; the message is in message or Message.
func responseError(resp *http.Response, body []byte) error {
	var doc struct {
		Type    string `json:"__type"`
		Code    any    `json:"code"`
		Message string `json:"message"` // encoding/json also matches "Message"
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &doc); err != nil {
			err = fmt.Errorf("HTTP %d with an error response that is not AWS JSON: %w", resp.StatusCode, err)
			if resp.StatusCode >= 500 {
				return &noAnswer{err}
			}
			return err
		}
	}
	code := resp.Header.Get("X-Amzn-ErrorType")
	if code == "" {
		code = doc.Type
	}
	if s, ok := doc.Code.(string); ok && code == "" {
		code = s
	}
	code, _, _ = strings.Cut(code, ":")
	if _, name, ok := strings.Cut(code, "#"); ok {
		code = name
	}
	if code == "" {
		code = "UnknownError"
	}
	msg := doc.Message
	if msg == "" {
		msg = code
	}
	return &apiError{status: resp.StatusCode, code: Exception(code), message: msg}
}

// retryable reports whether another attempt may succeed: no answer came,
// the service failed (5xx), or it throttled the call. Any other 4xx would
// be answered the same again.
func retryable(err error) bool {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status >= 500 || ae.status == http.StatusTooManyRequests || ae.code == "ThrottlingException"
	}
	var na *noAnswer
	return errors.As(err, &na)
}

// backoff is how long to wait before the retry that follows attempt:
// "full jitter", a random time below an exponentially growing bound.
func backoff(attempt int) time.Duration {
	return rand.N(min(retryBaseDelay<<(attempt-1), retryMaxDelay))
}

// wait sleeps for d, or until ctx is done and then returns its error.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// remoteError wraps the Exception named by the service's error code, so
// callers test errors.Is(err, ErrNotFound) whichever side failed, and
// ErrUnavailable when the service gave no answer: a 5xx (with its
// Exception, after the retries), a connection or timeout failure, a
// response cut short. The caller's own cancellation is not unavailability.
func remoteError(op string, err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		if ae.status >= 500 {
			return fmt.Errorf("kms: %s: %w: HTTP %d: %s: %w", op, ErrUnavailable, ae.status, ae.message, ae.code)
		}
		return fmt.Errorf("kms: %s: %s: %w", op, ae.message, ae.code)
	}
	var na *noAnswer
	if !errors.Is(err, context.Canceled) && (errors.As(err, &na) || errors.Is(err, context.DeadlineExceeded)) {
		return fmt.Errorf("kms: %s: %w: %w", op, ErrUnavailable, err)
	}
	return fmt.Errorf("kms: %s: %w", op, err)
}

// contextSize is about what appendContext appends for ec, escapes aside.
func contextSize(ec map[string]string) int {
	n := 24
	for k, v := range ec {
		n += len(k) + len(v) + 6
	}
	return n
}

// appendContext appends the EncryptionContext member for ec, if it has
// pairs (the service reads no member and an empty one alike).
func appendContext(b []byte, ec map[string]string) []byte {
	if len(ec) == 0 {
		return b
	}
	b = append(b, `,"EncryptionContext":{`...)
	sep := false
	for k, v := range ec {
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(appendJSONString(b, k), ':')
		b = appendJSONString(b, v)
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. Like aws-sdk-go-v2 and
// encoding/json, it replaces each byte of invalid UTF-8 with U+FFFD, so the
// service reads the string the SDK would have sent and a context binds the
// same whichever client made the data key.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0 // s[start:i] is pending, needing no escape
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
