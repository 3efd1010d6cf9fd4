// Package h1 is a lean HTTP/1.1 server for the edge's viewer port. It
// serves GET and HEAD requests that carry no body itself, writing each
// response with one system call where it fits, and hands a connection to
// a net/http server at the first request it does not take whole: a body
// or any body framing field, Expect, Upgrade, HTTP/1.0 or HTTP/2, a
// target that is not a plain path, a line it does not parse strictly, a
// header larger than the limit. net/http then answers that request
// (errors included) and every later one on the connection, so whatever
// h1 declines is served exactly as net/http serves it.
//
// Why: on an edge nearly every request is a cache hit answered from
// memory, and net/http's own work per request (a background read to
// notice a client leaving, several deadline changes, a header clone and
// sort, buffered writes) costs more than the hit. h1 keeps per request
// one read, one write, a handful of allocations, and a read deadline
// renewed at most once a second.
//
// What it does not do, by design: it serves no TLS and no HTTP/2 (use
// net/http for those listeners); it does not notice a client that leaves
// while the handler runs (the request's context ends with the connection,
// on Close, or when Shutdown gives up waiting); it sends no trailers
// (fields named with http.TrailerPrefix are dropped); it ignores a
// Transfer-Encoding set by the handler and frames the body itself; a
// handler that writes more than its Content-Length gets
// http.ErrContentLength as from net/http, and ReadFrom stops at the
// Content-Length.
package h1

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Server serves with the settings of an http.Server (its Handler,
// ReadHeaderTimeout, IdleTimeout, MaxHeaderBytes and ErrorLog; ReadTimeout
// stands in for a zero ReadHeaderTimeout or IdleTimeout, as in net/http),
// and that http.Server serves the connections h1 hands over.
type Server struct {
	hs        *http.Server
	handler   http.Handler
	maxHead   int
	headerTTL time.Duration // 0: no limit
	idleTTL   time.Duration // 0: no limit

	fallback    *handoffListener // set by the first Serve, under mu
	fallbackErr chan error

	closing   atomic.Bool
	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}

	date atomic.Pointer[dateValue]
}

// New returns a Server with hs's settings; hs serves the connections
// handed over and must not be started by the caller. hs's WriteTimeout,
// ConnState and ConnContext apply to those connections only.
func New(hs *http.Server) *Server {
	s := &Server{hs: hs, handler: hs.Handler, maxHead: hs.MaxHeaderBytes,
		headerTTL: hs.ReadHeaderTimeout, idleTTL: hs.IdleTimeout,
		listeners: map[net.Listener]struct{}{}, conns: map[*conn]struct{}{}}
	if s.handler == nil {
		s.handler = http.DefaultServeMux
	}
	if s.maxHead <= 0 {
		s.maxHead = http.DefaultMaxHeaderBytes
	}
	if s.headerTTL <= 0 {
		s.headerTTL = hs.ReadTimeout
	}
	if s.idleTTL <= 0 {
		s.idleTTL = hs.ReadTimeout
	}
	return s
}

// Serve accepts connections on ln until Shutdown or Close, and returns
// http.ErrServerClosed then, as http.Server.Serve does.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		return http.ErrServerClosed
	}
	if s.fallback == nil {
		s.fallback = newHandoffListener(ln.Addr())
		s.fallbackErr = make(chan error, 1)
		go func(l net.Listener) { s.fallbackErr <- s.hs.Serve(l) }(s.fallback)
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()
	var backoff time.Duration
	for {
		rw, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return http.ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			// Out of file descriptors and the like: wait and retry, as
			// net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.logf("h1: accept error: %v; retrying in %v", err, backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		c := s.newConn(rw)
		if c == nil {
			continue
		}
		go c.serve()
	}
}

// Shutdown stops accepting, closes idle connections, and waits for the
// active ones to finish their request, or for ctx; the connections handed
// to net/http shut down with its Shutdown.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeListeners()
	fallbackDone := make(chan error, 1)
	go func() { fallbackDone <- s.shutdownFallback(ctx) }()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.closeIdle() {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return <-fallbackDone
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	s.closeListeners()
	s.mu.Lock()
	for c := range s.conns {
		c.close()
	}
	s.mu.Unlock()
	if !s.fallbackStarted() {
		return nil
	}
	return s.hs.Close()
}

func (s *Server) fallbackStarted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fallback != nil
}

func (s *Server) closeListeners() {
	s.closing.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	for ln := range s.listeners {
		ln.Close()
	}
}

func (s *Server) shutdownFallback(ctx context.Context) error {
	if !s.fallbackStarted() {
		return nil
	}
	err := s.hs.Shutdown(ctx)
	if serr := <-s.fallbackErr; err == nil && serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = serr
	}
	return err
}

// closeIdle closes the connections waiting for a request and reports
// whether none is left.
func (s *Server) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.CompareAndSwap(stateIdle, stateClosed) {
			c.close()
		}
	}
	return len(s.conns) == 0
}

func (s *Server) newConn(rw net.Conn) *conn {
	c := &conn{s: s, rwc: rw, remote: rw.RemoteAddr().String()}
	c.tcp, _ = rw.(*net.TCPConn)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		rw.Close()
		c.cancel()
		return nil
	}
	s.conns[c] = struct{}{}
	return c
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *Server) logf(format string, args ...any) {
	if s.hs.ErrorLog != nil {
		s.hs.ErrorLog.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// dateValue is the Date field for one second.
type dateValue struct {
	unix int64
	text string
}

// httpDate is the Date field for now, formatted once a second.
func (s *Server) httpDate(now time.Time) string {
	if d := s.date.Load(); d != nil && d.unix == now.Unix() {
		return d.text
	}
	d := &dateValue{unix: now.Unix(), text: now.UTC().Format(http.TimeFormat)}
	s.date.Store(d)
	return d.text
}

// handoffListener is the listener the fallback http.Server serves: it
// yields the connections h1 hands over.
type handoffListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }

// hand gives c to the fallback server; false once it is closed.
func (l *handoffListener) hand(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}
