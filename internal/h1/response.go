package h1

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coffer-project/coffer/internal/httpx"
)

const (
	// bufferBeforeChunking is how much body a handler may write without
	// a Content-Length before the response goes out chunked: a handler
	// that finishes within it gets a Content-Length (net/http's rule).
	bufferBeforeChunking = 2048
	// maxOut is the most response bytes held before a write: a body
	// write that would pass it goes out with the held bytes in one writev.
	maxOut = 16 << 10
	// sniffLen is how much of the body DetectContentType looks at.
	sniffLen = 512
)

// response is the http.ResponseWriter of one request; one per connection,
// reset for each request.
type response struct {
	c             *conn
	req           *http.Request
	header        http.Header
	status        int
	wroteHeader   bool // the status is fixed and the header snapshot taken
	sentHeader    bool // the framing fields and the blank line are in c.out
	head          bool // a HEAD request: the body is counted, not sent
	chunked       bool
	contentLength int64 // -1: not known yet
	written       int64 // body bytes the handler wrote
	haveType      bool  // the handler set Content-Type (possibly empty)
	hasEncoding   bool
	haveDate      bool
	closeAfter    bool
	ownClose      bool // closeAfter, and the handler's Connection field lacks "close": send ours
	err           error
}

var (
	_ http.ResponseWriter = (*response)(nil)
	_ http.Flusher        = (*response)(nil)
	_ io.ReaderFrom       = (*response)(nil)
)

func (w *response) reset(c *conn, req *http.Request) {
	h := w.header
	if h == nil {
		h = make(http.Header)
	} else {
		clear(h)
	}
	*w = response{c: c, req: req, header: h, head: req.Method == http.MethodHead, contentLength: -1, closeAfter: req.Close}
	c.out, c.pending = c.out[:0], c.pending[:0]
}

func (w *response) Header() http.Header { return w.header }

// WriteHeader fixes the status and takes the snapshot of the header, as
// net/http does: later changes to Header do not reach the response.
func (w *response) WriteHeader(code int) {
	if w.wroteHeader {
		w.c.s.logf("h1: superfluous response.WriteHeader call (status %d after %d)", code, w.status)
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	c := w.c
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		// An informational response goes out at once; the header stays.
		c.out = appendStatusLine(c.out, code)
		c.out = w.appendFields(c.out, true, false)
		c.out = append(c.out, "\r\n"...)
		if err := c.flush(); err != nil {
			w.err = err
		}
		return
	}
	w.wroteHeader, w.status = true, code
	if cl := w.header.Get("Content-Length"); cl != "" {
		if v, err := strconv.ParseInt(cl, 10, 64); err == nil && v >= 0 {
			w.contentLength = v
		} else {
			c.s.logf("h1: invalid Content-Length of %q", cl)
		}
	}
	_, w.haveType = w.header["Content-Type"]
	w.hasEncoding = w.header.Get("Content-Encoding") != ""
	_, w.haveDate = w.header["Date"]
	handlerClose := httpx.HasToken(w.header["Connection"], "close")
	w.closeAfter = w.closeAfter || handlerClose || c.s.closing.Load()
	w.ownClose = w.closeAfter && !handlerClose
	if !bodyAllowed(code) {
		w.contentLength = -1
	}
	c.out = appendStatusLine(c.out, code)
	c.out = w.appendFields(c.out, false, w.ownClose)
}

// appendFields appends the handler's fields, sorted, without the ones h1
// sets itself (Content-Length, Transfer-Encoding, trailers; Connection
// when h1 closes; Content-Type on a 304), newlines in values made spaces
// as in net/http.
func (w *response) appendFields(b []byte, informational, dropConnection bool) []byte {
	c := w.c
	c.keys = c.keys[:0]
	for k := range w.header {
		c.keys = append(c.keys, k)
	}
	slices.Sort(c.keys)
	for _, k := range c.keys {
		switch {
		case k == "Content-Length" || k == "Transfer-Encoding" || strings.HasPrefix(k, http.TrailerPrefix):
			continue
		case k == "Connection" && dropConnection:
			continue
		case k == "Content-Type" && !informational && w.status == http.StatusNotModified:
			continue
		case !httpx.IsToken(k):
			continue
		}
		for _, v := range w.header[k] {
			if strings.ContainsAny(v, "\r\n") {
				v = newlineToSpace.Replace(v)
			}
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, textproto.TrimString(v)...)
			b = append(b, "\r\n"...)
		}
	}
	return b
}

// sendHeader appends the framing fields and ends the header. first is
// the start of the body, for sniffing a type; final means the handler
// has returned, so an unknown length is what it wrote.
func (w *response) sendHeader(first []byte, final bool) {
	b := w.c.out
	if bodyAllowed(w.status) {
		if w.contentLength == -1 {
			if final && (!w.head || w.written > 0) {
				w.contentLength = w.written
			} else if !w.head {
				w.chunked = true
				b = append(b, "Transfer-Encoding: chunked\r\n"...)
			}
		}
		if w.contentLength != -1 {
			b = append(b, "Content-Length: "...)
			b = strconv.AppendInt(b, w.contentLength, 10)
			b = append(b, "\r\n"...)
		}
		if !w.haveType && !w.hasEncoding && len(first) > 0 {
			b = append(b, "Content-Type: "...)
			b = append(b, http.DetectContentType(first[:min(len(first), sniffLen)])...)
			b = append(b, "\r\n"...)
		}
	}
	if !w.haveDate {
		b = append(b, "Date: "...)
		b = append(b, w.c.s.httpDate(time.Now())...)
		b = append(b, "\r\n"...)
	}
	if w.ownClose {
		b = append(b, "Connection: close\r\n"...)
	}
	w.c.out = append(b, "\r\n"...)
	w.sentHeader = true
}

func (w *response) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.written += int64(len(p))
	if w.contentLength != -1 && w.written > w.contentLength {
		return 0, http.ErrContentLength
	}
	if w.err != nil {
		return 0, w.err
	}
	c := w.c
	if !w.sentHeader {
		if w.contentLength == -1 && len(c.pending)+len(p) <= bufferBeforeChunking {
			c.pending = append(c.pending, p...)
			return len(p), nil
		}
		w.sendPending(p, false)
	}
	return w.body(p)
}

// sendPending ends the header, sniffing from the held-back body or next,
// and queues the held-back body.
func (w *response) sendPending(next []byte, final bool) {
	c := w.c
	first := c.pending
	if len(first) == 0 {
		first = next
	}
	w.sendHeader(first, final)
	if len(c.pending) > 0 {
		_, _ = w.body(c.pending) // an error stays in w.err
		c.pending = c.pending[:0]
	}
}

// body queues p as body bytes, a chunk when chunked, and writes when the
// held bytes would pass maxOut.
func (w *response) body(p []byte) (int, error) {
	if w.head || len(p) == 0 {
		return len(p), nil
	}
	c := w.c
	if w.chunked {
		c.out = strconv.AppendInt(c.out, int64(len(p)), 16)
		c.out = append(c.out, "\r\n"...)
	}
	if len(c.out)+len(p) <= maxOut {
		c.out = append(c.out, p...)
	} else if err := c.writeWith(p); err != nil {
		w.err = err
		return 0, err
	}
	if w.chunked {
		c.out = append(c.out, "\r\n"...)
	}
	return len(p), nil
}

// Flush sends what the handler wrote so far; a response whose length is
// not known goes out chunked.
func (w *response) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.sentHeader {
		w.sendPending(nil, false)
	}
	if w.err == nil {
		w.err = w.c.flush()
	}
}

// ReadFrom sends a body of known length and type with the connection's
// ReadFrom (sendfile for a file), after the header; otherwise it copies
// through Write.
func (w *response) ReadFrom(src io.Reader) (int64, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	c := w.c
	if c.tcp == nil || w.head || !bodyAllowed(w.status) || w.contentLength == -1 || !w.haveType || w.err != nil {
		if c.copyBuf == nil {
			c.copyBuf = make([]byte, 32<<10)
		}
		return io.CopyBuffer(writerOnly{w}, src, c.copyBuf)
	}
	if !w.sentHeader {
		w.sendPending(nil, false)
	}
	if w.err = c.flush(); w.err != nil {
		return 0, w.err
	}
	remaining := w.contentLength - w.written
	r := src
	if lr, ok := src.(*io.LimitedReader); !ok || lr.N > remaining {
		r = &io.LimitedReader{R: src, N: remaining} // a LimitedReader over a file keeps sendfile
	}
	n, err := c.tcp.ReadFrom(r)
	w.written += n
	if err != nil {
		w.err = err
	}
	return n, err
}

// finish completes the response after the handler returned.
func (w *response) finish() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	c := w.c
	if !w.sentHeader {
		w.sendPending(nil, true)
	}
	if w.chunked {
		c.out = append(c.out, "0\r\n\r\n"...)
	}
	if w.err == nil {
		w.err = c.flush()
	}
	if w.contentLength != -1 && !w.head && w.written != w.contentLength {
		w.closeAfter = true // the body was cut short: the client cannot find the next response
	}
}

// flush writes the held response bytes.
func (c *conn) flush() error {
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.rwc.Write(c.out)
	c.out = c.out[:0]
	return err
}

// writeWith writes the held bytes and p in one writev.
func (c *conn) writeWith(p []byte) error {
	bufs := net.Buffers{c.out, p}
	_, err := bufs.WriteTo(c.rwc)
	c.out = c.out[:0]
	return err
}

func appendStatusLine(b []byte, code int) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, ' ')
	if text := http.StatusText(code); text != "" {
		return append(append(b, text...), "\r\n"...)
	}
	b = append(b, "status code "...)
	return append(strconv.AppendInt(b, int64(code), 10), "\r\n"...)
}

// bodyAllowed is net/http's bodyAllowedForStatus.
func bodyAllowed(status int) bool {
	return !(status >= 100 && status <= 199 || status == http.StatusNoContent || status == http.StatusNotModified)
}

// newlineToSpace makes a field value one line, as net/http does.
var newlineToSpace = strings.NewReplacer("\r", " ", "\n", " ")

// writerOnly hides ReadFrom, so io.CopyBuffer uses Write.
type writerOnly struct{ io.Writer }
