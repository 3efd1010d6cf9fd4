package waf

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
)

// HandlerOption configures Handler.
type HandlerOption func(*handlerConfig)

type handlerConfig struct {
	clientIP  func(*http.Request) netip.Addr
	requestID func(*http.Request) string
	blockPage func(http.ResponseWriter, *http.Request, Decision) bool
	logger    *Logger
	errorLog  *slog.Logger
	observe   func(*http.Request, *Request, Decision)
}

// WithClientIP sets how the client address is found; the default is the
// address of r.RemoteAddr (the TCP peer).
func WithClientIP(f func(*http.Request) netip.Addr) HandlerOption {
	return func(c *handlerConfig) { c.clientIP = f }
}

// WithRequestID sets how the request ID of log records is found.
func WithRequestID(f func(*http.Request) string) HandlerOption {
	return func(c *handlerConfig) { c.requestID = f }
}

// WithBlockPage lets the caller render blocks that use the default block
// response (not a rule's CustomResponse), for example the edge's custom
// error page for 403. It returns false to fall back to the default page.
func WithBlockPage(f func(w http.ResponseWriter, r *http.Request, d Decision) bool) HandlerOption {
	return func(c *handlerConfig) { c.blockPage = f }
}

// WithLogger writes an AWS WAF log record for every request; failures to
// write are reported on errorLog when it is not nil.
func WithLogger(l *Logger, errorLog *slog.Logger) HandlerOption {
	return func(c *handlerConfig) { c.logger, c.errorLog = l, errorLog }
}

// WithObserver calls f with every decision, for audit events and metrics.
func WithObserver(f func(r *http.Request, req *Request, d Decision)) HandlerOption {
	return func(c *handlerConfig) { c.observe = f }
}

// Handler returns middleware that evaluates every request against acl
// before calling next. Blocked requests get the decision's response;
// allowed requests reach next with their body intact and any
// CustomRequestHandling headers inserted.
func Handler(acl *WebACL, next http.Handler, opts ...HandlerOption) http.Handler {
	cfg := handlerConfig{clientIP: remoteIP}
	for _, o := range opts {
		o(&cfg)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := NewRequest(r, acl.BodyInspectionLimit())
		if err != nil {
			// The body could not be read for inspection: fail closed.
			http.Error(w, "Bad Request", http.StatusBadRequest)
			return
		}
		req.ClientIP = cfg.clientIP(r)
		if cfg.requestID != nil {
			req.RequestID = cfg.requestID(r)
		}
		d := acl.Evaluate(req)
		if cfg.logger != nil {
			if err := cfg.logger.Log(acl, req, d); err != nil && cfg.errorLog != nil {
				cfg.errorLog.Error("waf: write log record", "err", err, "request_id", req.RequestID)
			}
		}
		if cfg.observe != nil {
			cfg.observe(r, req, d)
		}
		if d.Action == Block {
			if !d.Response.Custom && cfg.blockPage != nil && cfg.blockPage(w, r, d) {
				return
			}
			WriteResponse(w, d.Response)
			return
		}
		for _, h := range d.InsertHeaders {
			r.Header.Set(h.Name, h.Value)
		}
		next.ServeHTTP(w, r)
	})
}

// WriteResponse writes a block response.
func WriteResponse(w http.ResponseWriter, resp *Response) {
	h := w.Header()
	for _, hd := range resp.Headers {
		h.Set(hd.Name, hd.Value)
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

func remoteIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// NewRequest builds the inspected form of r. It reads at most bodyLimit+1
// body bytes (one more than inspected, to tell an oversize body of unknown
// length) and puts them back in front of r.Body, so the handler after the
// WAF still reads the whole body.
//
// net/http does not keep the order of header fields, so Headers (and with
// them HeaderOrder) list Host first and the rest sorted by name.
func NewRequest(r *http.Request, bodyLimit int) (*Request, error) {
	req := &Request{
		Method:      r.Method,
		Path:        r.URL.EscapedPath(),
		RawQuery:    r.URL.RawQuery,
		HTTPVersion: r.Proto,
		BodySize:    r.ContentLength,
	}
	if r.Host != "" {
		req.Headers = append(req.Headers, Header{Name: "Host", Value: r.Host})
	}
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range r.Header[name] {
			req.Headers = append(req.Headers, Header{Name: name, Value: v})
		}
	}
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		req.BodySize = max(req.BodySize, 0)
		return req, nil
	}
	want := int64(bodyLimit) + 1
	if r.ContentLength >= 0 && r.ContentLength < want {
		want = r.ContentLength
	}
	buf := make([]byte, want)
	n, err := io.ReadFull(r.Body, buf)
	buf = buf[:n]
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("waf: read body: %w", err)
	}
	r.Body = replayBody{Reader: io.MultiReader(bytes.NewReader(buf), r.Body), Closer: r.Body}
	if r.ContentLength < 0 {
		req.BodySize = int64(n)
	}
	req.Body = buf[:min(n, bodyLimit)]
	return req, nil
}

type replayBody struct {
	io.Reader
	io.Closer
}
