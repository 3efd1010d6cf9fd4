package kms

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/coffer-project/coffer/internal/httpx"
)

// Transport is the http.RoundTripper of the client's calls to a KMS: plain
// HTTP/1.1 over kept-alive connections (TLS for https), the request written
// and the response read by the calling goroutine. net/http's Transport runs
// two goroutines per connection and hands every request and response
// between them and the caller, which on the KMS calls of an encrypted PUT
// or GET cost more CPU than the request itself (docs/benchmarks.md, issue 3).
//
// It is made for requests that are safe to send twice, as the KMS calls a
// Client makes are (a repeated GenerateDataKey makes another data key, the
// first one unused): a request that fails on a reused connection before any
// byte of the response arrives is sent again on a new connection, as the
// server may have closed the idle connection as the request went out.
// Requests whose body length is unknown or over 1 MiB, and requests that
// Proxy sends to a proxy, go through a net/http Transport with the same
// settings.
//
// Idle connections are not watched: one the server closed is found out
// when a request tries it (and moves on to the next), or closed by a sweep
// once it has been idle for IdleConnTimeout.
//
// The zero value is usable: no proxy, Go's TLS defaults, no timeouts
// beyond the request's context, 128 idle connections kept for 90 s.
type Transport struct {
	// TLS configures connections to https endpoints (ServerName defaults to
	// the endpoint's host); nil: Go's defaults.
	TLS *tls.Config
	// Proxy chooses a proxy for a request, as http.Transport's (nil: none).
	Proxy func(*http.Request) (*url.URL, error)
	// DialContext opens connections (nil: a net.Dialer with DialTimeout
	// and 30 s TCP keep-alives).
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// DialTimeout and TLSHandshakeTimeout bound making a connection;
	// ResponseHeaderTimeout the wait for a response's head once the request
	// is written. Zero: no limit but the request's context.
	DialTimeout           time.Duration
	TLSHandshakeTimeout   time.Duration
	ResponseHeaderTimeout time.Duration
	// MaxIdleConns is how many idle connections are kept (0: 128), and
	// IdleConnTimeout how long one stays unused before it is closed
	// instead of reused (0: 90 s).
	MaxIdleConns    int
	IdleConnTimeout time.Duration

	mu       sync.Mutex
	idle     map[string][]*transportConn // by connKey, most recently used last
	sweep    *time.Timer                 // closes expired idle connections; nil: none pending
	fallback *http.Transport
}

const (
	transportMaxBody         = 1 << 20
	transportDefaultIdle     = 128
	transportDefaultIdleTime = 90 * time.Second
	transportUserAgent       = "coffer-kms-client"
)

// transportConn is one connection to a server and its read buffer.
type transportConn struct {
	key      string
	net      net.Conn
	br       *bufio.Reader
	buf      []byte    // the request being written
	idleFrom time.Time // when it went back to the pool
	reused   bool
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.takes(req) {
		return t.fallbackTransport().RoundTrip(req)
	}
	if t.Proxy != nil {
		if proxy, err := t.Proxy(req); err != nil || proxy != nil {
			if err != nil {
				closeBody(req)
				return nil, err
			}
			return t.fallbackTransport().RoundTrip(req)
		}
	}
	body, err := readRequestBody(req)
	if err != nil {
		return nil, err
	}
	key := connKey(req.URL)
	for {
		c, err := t.conn(req.Context(), key, req.URL)
		if err != nil {
			return nil, err
		}
		resp, err := t.exchange(req, c, body)
		if err == nil {
			return resp, nil
		}
		c.net.Close()
		var stale *staleConnError
		if !errors.As(err, &stale) || req.Context().Err() != nil {
			return nil, err
		}
		// The server closed a connection it had kept for us: try a new one.
		// The next conn may be another idle one; each is tried once, and
		// a new one is never stale.
	}
}

// takes reports whether RoundTrip sends req itself: a request with a body
// of known length and fields it can write as they are. net/http sends the
// rest, and refuses what it refuses.
func (t *Transport) takes(req *http.Request) bool {
	if req.URL == nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") || req.URL.Host == "" ||
		req.ContentLength < 0 || req.ContentLength > transportMaxBody ||
		(req.ContentLength == 0 && req.Body != nil && req.Body != http.NoBody) ||
		len(req.TransferEncoding) > 0 || req.Close || req.Trailer != nil ||
		!httpx.ValidFieldValue(req.Host) || (req.Method != "" && !httpx.IsToken(req.Method)) {
		return false
	}
	for name, values := range req.Header {
		switch {
		case !httpx.IsToken(name):
			return false
		case name == "Expect", name == "Connection", name == "Transfer-Encoding", name == "Upgrade", name == "Te":
			return false
		}
		for _, v := range values {
			if !httpx.ValidFieldValue(v) {
				return false
			}
		}
	}
	return true
}

// fallbackTransport is the net/http Transport for what RoundTrip does not
// send itself.
func (t *Transport) fallbackTransport() *http.Transport {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fallback == nil {
		t.fallback = &http.Transport{
			Proxy:                 t.Proxy,
			DialContext:           t.dialContext(),
			TLSClientConfig:       t.TLS,
			TLSHandshakeTimeout:   t.TLSHandshakeTimeout,
			ResponseHeaderTimeout: t.ResponseHeaderTimeout,
			MaxIdleConns:          t.maxIdle(),
			MaxIdleConnsPerHost:   t.maxIdle(),
			IdleConnTimeout:       t.idleTime(),
			ExpectContinueTimeout: time.Second,
		}
	}
	return t.fallback
}

func (t *Transport) dialContext() func(ctx context.Context, network, addr string) (net.Conn, error) {
	if t.DialContext != nil {
		return t.DialContext
	}
	return (&net.Dialer{Timeout: t.DialTimeout, KeepAlive: 30 * time.Second}).DialContext
}

func (t *Transport) maxIdle() int {
	if t.MaxIdleConns > 0 {
		return t.MaxIdleConns
	}
	return transportDefaultIdle
}

func (t *Transport) idleTime() time.Duration {
	if t.IdleConnTimeout > 0 {
		return t.IdleConnTimeout
	}
	return transportDefaultIdleTime
}

// CloseIdleConnections closes the connections kept for reuse, as
// http.Client.CloseIdleConnections asks.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle, fallback := t.idle, t.fallback
	t.idle = nil
	if t.sweep != nil {
		t.sweep.Stop()
		t.sweep = nil
	}
	t.mu.Unlock()
	for _, conns := range idle {
		for _, c := range conns {
			c.net.Close()
		}
	}
	if fallback != nil {
		fallback.CloseIdleConnections()
	}
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// readRequestBody reads req's body (of its announced length) and closes it.
func readRequestBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	body := make([]byte, req.ContentLength)
	if _, err := io.ReadFull(req.Body, body); err != nil {
		return nil, fmt.Errorf("kms: transport: request body shorter than its ContentLength %d: %w", req.ContentLength, err)
	}
	return body, nil
}

// connKey names the server a connection goes to.
func connKey(u *url.URL) string {
	return u.Scheme + "://" + u.Host
}

// hostPort is the address to dial for u.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// conn returns an idle connection to key's server, or a new one.
func (t *Transport) conn(ctx context.Context, key string, u *url.URL) (*transportConn, error) {
	now := time.Now()
	t.mu.Lock()
	for conns := t.idle[key]; len(conns) > 0; conns = t.idle[key] {
		c := conns[len(conns)-1]
		conns[len(conns)-1] = nil
		t.idle[key] = conns[:len(conns)-1]
		if now.Sub(c.idleFrom) < t.idleTime() {
			t.mu.Unlock()
			c.reused = true
			return c, nil
		}
		c.net.Close()
	}
	t.mu.Unlock()
	return t.dial(ctx, key, u)
}

// dial opens a connection to u's server, with TLS for https.
func (t *Transport) dial(ctx context.Context, key string, u *url.URL) (*transportConn, error) {
	nc, err := t.dialContext()(ctx, "tcp", hostPort(u))
	if err != nil {
		return nil, err
	}
	if u.Scheme == "https" {
		cfg := &tls.Config{}
		if t.TLS != nil {
			cfg = t.TLS.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		cfg.NextProtos = []string{"http/1.1"}
		hctx := ctx
		if t.TLSHandshakeTimeout > 0 {
			var cancel context.CancelFunc
			hctx, cancel = context.WithTimeout(ctx, t.TLSHandshakeTimeout)
			defer cancel()
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(hctx); err != nil {
			nc.Close()
			return nil, err
		}
		nc = tc
	}
	return &transportConn{key: key, net: nc, br: bufio.NewReaderSize(nc, 4096)}, nil
}

// put keeps c for reuse, or closes it if enough are kept.
func (t *Transport) put(c *transportConn) {
	c.idleFrom = time.Now()
	t.mu.Lock()
	n := 0
	for _, conns := range t.idle {
		n += len(conns)
	}
	if n < t.maxIdle() {
		if t.idle == nil {
			t.idle = make(map[string][]*transportConn)
		}
		t.idle[c.key] = append(t.idle[c.key], c)
		c = nil
		if t.sweep == nil {
			t.sweep = time.AfterFunc(t.idleTime(), t.sweepIdle)
		}
	}
	t.mu.Unlock()
	if c != nil {
		c.net.Close()
	}
}

// sweepIdle closes the idle connections that have expired, and comes back
// while any are left: a server idle for long keeps no sockets open.
func (t *Transport) sweepIdle() {
	now := time.Now()
	var expired []*transportConn
	t.mu.Lock()
	t.sweep = nil
	for key, conns := range t.idle {
		kept := conns[:0]
		for _, c := range conns {
			if now.Sub(c.idleFrom) >= t.idleTime() {
				expired = append(expired, c)
			} else {
				kept = append(kept, c)
			}
		}
		clear(conns[len(kept):])
		if len(kept) == 0 {
			delete(t.idle, key)
		} else {
			t.idle[key] = kept
			if t.sweep == nil {
				t.sweep = time.AfterFunc(t.idleTime(), t.sweepIdle)
			}
		}
	}
	t.mu.Unlock()
	for _, c := range expired {
		c.net.Close()
	}
}

// staleConnError is a reused connection that failed before the response
// began: the server had closed it.
type staleConnError struct{ err error }

func (e *staleConnError) Error() string { return e.err.Error() }
func (e *staleConnError) Unwrap() error { return e.err }

// exchange writes req on c and reads the response head. The response's
// body reads from c; c goes back to the pool when the body is read to its
// end, and is closed if the body is closed before. On error the caller
// closes c.
func (t *Transport) exchange(req *http.Request, c *transportConn, body []byte) (*http.Response, error) {
	ctx := req.Context()
	// A cancelled context interrupts a blocked write or read; the
	// connection is then not reused.
	stop := context.AfterFunc(ctx, func() { c.net.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error) (*http.Response, error) {
		stop()
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		return nil, err
	}
	c.buf = appendRequest(c.buf[:0], req, len(body))
	c.buf = append(c.buf, body...)
	_, err := c.net.Write(c.buf)
	if cap(c.buf) > maxPooledBuffer {
		c.buf = nil // a rare large request: do not keep its buffer
	}
	if err != nil {
		if c.reused {
			return fail(&staleConnError{err})
		}
		return fail(err)
	}
	if t.ResponseHeaderTimeout > 0 {
		c.net.SetReadDeadline(time.Now().Add(t.ResponseHeaderTimeout))
	}
	if _, err := c.br.Peek(1); err != nil {
		if c.reused && !isTimeout(err) {
			return fail(&staleConnError{err})
		}
		return fail(err)
	}
	resp, err := http.ReadResponse(c.br, req)
	// Informational answers (103 Early Hints) precede the response; a
	// request without Expect or Upgrade has nothing to do with them.
	for err == nil && resp.StatusCode >= 100 && resp.StatusCode <= 199 && resp.StatusCode != http.StatusSwitchingProtocols {
		resp, err = http.ReadResponse(c.br, req)
	}
	if err != nil {
		return fail(err)
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return fail(errors.New("kms: transport: 101 Switching Protocols to a request that asked for no upgrade"))
	}
	if t.ResponseHeaderTimeout > 0 {
		c.net.SetReadDeadline(time.Time{})
	}
	resp.Body = &transportBody{rc: resp.Body, t: t, c: c, stop: stop, reuse: !resp.Close}
	return resp, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// appendRequest appends req's request line and header for a body of n
// bytes (takes has checked the fields).
func appendRequest(b []byte, req *http.Request, n int) []byte {
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, req.URL.RequestURI()...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	b = append(b, host...)
	b = append(b, "\r\n"...)
	for name, values := range req.Header {
		if name == "Host" || name == "Content-Length" {
			continue
		}
		for _, v := range values {
			b = append(b, name...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	if req.Header.Get("User-Agent") == "" {
		b = append(b, "User-Agent: "+transportUserAgent+"\r\n"...)
	}
	if n > 0 || method == http.MethodPost || method == http.MethodPut {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, "\r\n"...)
	}
	return append(b, "\r\n"...)
}

// transportBody is a response body. Read to its end, it gives its
// connection back to the pool at once, before the caller sees io.EOF: a
// caller may end the request's context as soon as it has the whole body
// (http.Client does, with a Timeout), and the connection stays usable only
// if the end of the body was seen first. Closed before its end, the body
// closes its connection without draining it.
type transportBody struct {
	rc       io.ReadCloser
	t        *Transport
	c        *transportConn
	stop     func() bool // ends the context's hold on the connection
	reuse    bool        // the response allows it
	released bool        // the connection is pooled or closed
	closed   bool
}

func (b *transportBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errors.New("kms: transport: read on a closed response body")
	}
	n, err := b.rc.Read(p)
	if err != nil && !b.released {
		b.released = true
		// stop reports false when the context's cancellation ran (or is
		// running) and may have set a past deadline on the connection.
		if b.stop() && errors.Is(err, io.EOF) && b.reuse && b.c.br.Buffered() == 0 {
			b.t.put(b.c)
		} else {
			b.c.net.Close()
		}
	}
	return n, err
}

func (b *transportBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	if !b.released {
		b.released = true
		b.stop()
		return b.c.net.Close()
	}
	return nil
}
