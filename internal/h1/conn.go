package h1

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coffer-project/coffer/internal/httpx"
)

// Connection states, for Shutdown: it closes only idle connections.
const (
	stateIdle int32 = iota
	stateActive
	stateClosed
)

const (
	initialReadBuffer = 4 << 10
	// headSlack is what a head may exceed MaxHeaderBytes by, as in
	// net/http (the request line and framing).
	headSlack = 4 << 10
	// deadlineSlack is how stale the idle deadline may get before a read
	// renews it: renewing costs a timer update, so it happens at most once
	// a second per connection, and an idle connection lives up to a second
	// longer than IdleTimeout.
	deadlineSlack = time.Second
	// rstAvoidanceDelay and maxDrainAfterClose bound closeGracefully.
	rstAvoidanceDelay  = 500 * time.Millisecond
	maxDrainAfterClose = 256 << 10
)

// errHandoff means the connection goes to net/http from the request at
// the read position on.
var errHandoff = errors.New("h1: hand off to net/http")

// conn is one client connection while h1 serves it.
type conn struct {
	s      *Server
	rwc    net.Conn
	tcp    *net.TCPConn // rwc, when it is one: ReadFrom sends files with sendfile
	remote string
	ctx    context.Context
	cancel context.CancelFunc
	state  atomic.Int32

	buf      []byte // read buffer; buf[r:w] is read and not yet consumed
	r, w     int
	deadline time.Time // the read deadline set on rwc; zero: none

	res     response
	out     []byte   // response bytes not yet written
	pending []byte   // body bytes held back while the length is unknown
	keys    []string // scratch for sorting header keys
	copyBuf []byte   // for copies that cannot use ReadFrom
	handed  bool
}

func (c *conn) close() {
	c.rwc.Close()
}

func (c *conn) serve() {
	defer func() {
		if v := recover(); v != nil && v != http.ErrAbortHandler {
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			c.s.logf("h1: panic serving %s: %v\n%s", c.remote, v, buf)
		}
		c.s.forget(c)
		if !c.handed {
			c.rwc.Close()
		}
		c.cancel()
	}()
	c.buf = make([]byte, initialReadBuffer)
	for {
		end, err := c.readHead()
		if err == errHandoff {
			c.handoff()
			return
		}
		if err != nil {
			return
		}
		if !c.state.CompareAndSwap(stateIdle, stateActive) {
			return // Shutdown closed it
		}
		req, ok := c.parse(c.buf[c.r:end])
		if !ok {
			c.handoff()
			return
		}
		c.r = end
		w := &c.res
		w.reset(c, req)
		c.s.handler.ServeHTTP(w, req)
		w.finish()
		if w.err != nil {
			return
		}
		if w.closeAfter {
			c.closeGracefully()
			return
		}
		c.state.Store(stateIdle)
		if c.s.closing.Load() {
			return
		}
	}
}

// readHead reads until buf[r:end] holds a whole request head, its blank
// line included. errHandoff: a line ends in a bare LF, the head starts
// with a blank line, or it outgrows the limit; net/http reads it again.
func (c *conn) readHead() (end int, err error) {
	scan := c.r // lines before scan are complete and end in CRLF
	for {
		for {
			i := bytes.IndexByte(c.buf[scan:c.w], '\n')
			if i < 0 {
				break
			}
			nl := scan + i
			if nl == c.r || c.buf[nl-1] != '\r' || nl-1 == c.r {
				return 0, errHandoff
			}
			if nl-1 == scan { // "\r\n" alone: the blank line
				return nl + 1, nil
			}
			scan = nl + 1
		}
		if c.w-c.r >= c.s.maxHead+headSlack {
			return 0, errHandoff
		}
		if c.r == c.w {
			c.r, c.w, scan = 0, 0, 0
		} else if c.w == len(c.buf) && c.r > 0 {
			n := copy(c.buf, c.buf[c.r:c.w])
			scan -= c.r
			c.r, c.w = 0, n
		}
		if c.w == len(c.buf) {
			grown := make([]byte, min(2*len(c.buf), c.s.maxHead+headSlack))
			copy(grown, c.buf[:c.w])
			c.buf = grown
		}
		if err := c.setReadDeadline(c.r == c.w); err != nil {
			return 0, err
		}
		n, err := c.rwc.Read(c.buf[c.w:])
		c.w += n
		if err != nil {
			// End of stream, a timeout or a reset, possibly in the middle
			// of a head: net/http closes without an answer too.
			return 0, err
		}
	}
}

// setReadDeadline sets the deadline for the next read: IdleTimeout while
// waiting for a request (renewed lazily), ReadHeaderTimeout once part of
// one has come.
func (c *conn) setReadDeadline(idle bool) error {
	ttl := c.s.headerTTL
	if idle {
		ttl = c.s.idleTTL
	}
	if ttl <= 0 {
		if c.deadline.IsZero() {
			return nil
		}
		c.deadline = time.Time{}
		return c.rwc.SetReadDeadline(c.deadline)
	}
	now := time.Now()
	want := now.Add(ttl)
	if idle && !c.deadline.IsZero() && c.deadline.Before(want) && c.deadline.After(want.Add(-deadlineSlack)) {
		return nil
	}
	if !idle && !c.deadline.IsZero() && !c.deadline.After(want) {
		return nil // already as short
	}
	c.deadline = want
	return c.rwc.SetReadDeadline(want)
}

// closeGracefully ends the connection after a response that said so: it
// half-closes, then reads what the client still sends until it closes its
// end, for up to rstAvoidanceDelay. Closing with unread bytes (a client's
// pipelined requests) would send a reset, which can destroy the response
// before the client reads it; net/http waits the same way.
func (c *conn) closeGracefully() {
	if c.tcp == nil {
		return
	}
	if err := c.tcp.CloseWrite(); err != nil {
		return
	}
	if err := c.rwc.SetReadDeadline(time.Now().Add(rstAvoidanceDelay)); err != nil {
		return
	}
	_, _ = io.CopyN(io.Discard, c.rwc, maxDrainAfterClose)
}

// handoff gives the connection, with what was read of the current
// request, to the fallback net/http server.
func (c *conn) handoff() {
	c.handed = true
	c.s.forget(c)
	if err := c.rwc.SetReadDeadline(time.Time{}); err != nil {
		c.rwc.Close()
		return
	}
	rc := &replayConn{Conn: c.rwc, pending: bytes.Clone(c.buf[c.r:c.w])}
	if !c.s.fallback.hand(rc) {
		c.rwc.Close()
	}
}

// replayConn is a connection handed to net/http: reads first return the
// bytes h1 had read.
type replayConn struct {
	net.Conn
	pending []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// ReadFrom keeps net/http's sendfile path.
func (c *replayConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// CloseWrite lets net/http half-close after an error response.
func (c *replayConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// parse turns a request head (ending in the blank line) into a request,
// or reports false for anything h1 leaves to net/http. It accepts a
// strict subset of what net/http accepts, and builds the same request.
func (c *conn) parse(head []byte) (*http.Request, bool) {
	s := string(head) // every string of the request is a part of this one
	line, rest, _ := strings.Cut(s, "\r\n")
	var method string
	switch {
	case strings.HasPrefix(line, "GET "):
		method, line = http.MethodGet, line[4:]
	case strings.HasPrefix(line, "HEAD "):
		method, line = http.MethodHead, line[5:]
	default:
		return nil, false
	}
	target, ok := strings.CutSuffix(line, " HTTP/1.1")
	if !ok || !plainTarget(target) {
		return nil, false
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, false
	}
	lines := strings.Count(rest, "\n") - 1 // the blank line ends rest
	h := make(http.Header, lines)
	values := make([]string, lines)
	var host string
	haveHost, closeAfter, haveCacheControl, pragmaNoCache := false, false, false, false
	for i := 0; i < lines; i++ {
		line, rest, _ = strings.Cut(rest, "\r\n")
		colon := strings.IndexByte(line, ':')
		if colon <= 0 || !httpx.IsToken(line[:colon]) {
			return nil, false // obs-fold, a space before the colon, no name
		}
		key := http.CanonicalHeaderKey(line[:colon]) // allocates only for a name not canonical nor common
		value := trimOWS(line[colon+1:])
		if !httpx.ValidFieldValue(value) {
			return nil, false
		}
		switch key {
		case "Host":
			if haveHost || !validHost(value) {
				return nil, false
			}
			host, haveHost = value, true
			continue
		case "Content-Length", "Transfer-Encoding", "Expect", "Upgrade", "Http2-Settings", "Trailer":
			return nil, false
		case "Connection":
			for tok := range strings.SplitSeq(value, ",") {
				switch tok = trimOWS(tok); {
				case strings.EqualFold(tok, "close"):
					closeAfter = true
				case strings.EqualFold(tok, "keep-alive"), tok == "":
				default:
					return nil, false
				}
			}
		case "Cache-Control":
			haveCacheControl = true
		case "Pragma":
			pragmaNoCache = pragmaNoCache || value == "no-cache"
		}
		values[i] = value
		if vs, ok := h[key]; ok {
			h[key] = append(vs, value)
		} else {
			h[key] = values[i : i+1 : i+1]
		}
	}
	if !haveHost {
		return nil, false
	}
	if pragmaNoCache && !haveCacheControl {
		h["Cache-Control"] = []string{"no-cache"} // RFC 9111 §5.4, as net/http does
	}
	r := &http.Request{Method: method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h,
		Body: http.NoBody, Host: host, RemoteAddr: c.remote, RequestURI: target, Close: closeAfter}
	return r.WithContext(c.ctx), true
}

// plainTarget reports whether target is an origin-form path (and query)
// of visible ASCII that url.ParseRequestURI reads as net/http does: not
// "//…" (which url.Parse would read as an authority) and no fragment.
func plainTarget(t string) bool {
	if len(t) == 0 || t[0] != '/' || strings.HasPrefix(t, "//") {
		return false
	}
	for i := 0; i < len(t); i++ {
		if b := t[i]; b <= ' ' || b >= 0x7f || b == '#' {
			return false
		}
	}
	return true
}
