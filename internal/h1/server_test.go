package h1

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testServer is an h1 server on loopback and the count of connections it
// handed to net/http.
type testServer struct {
	addr    string
	s       *Server
	handoff atomic.Int64
	served  chan error
}

func startH1(t *testing.T, h http.Handler, configure ...func(*http.Server)) *testServer {
	t.Helper()
	ts := &testServer{served: make(chan error, 1)}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 30 * time.Second,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				ts.handoff.Add(1)
			}
		}}
	for _, f := range configure {
		f(hs)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr, ts.s = ln.Addr().String(), New(hs)
	go func() { ts.served <- ts.s.Serve(ln) }()
	t.Cleanup(func() {
		ts.s.Close()
		if err := <-ts.served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
		}
	})
	return ts
}

// startNetHTTP serves h with net/http alone, for comparison.
func startNetHTTP(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String()
}

// exchange sends raw request bytes on one connection and reads as many
// responses as methods lists (their request methods, for HEAD framing);
// open reports whether the server kept the connection afterwards.
type exchange struct {
	responses []*http.Response
	bodies    [][]byte
	bodyErr   string // reading the last body failed
	open      bool
}

func roundTrip(t *testing.T, addr, raw string, methods ...string) exchange {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	var ex exchange
	for _, m := range methods {
		res, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			t.Fatalf("reading response %d to %q: %v", len(ex.responses)+1, raw, err)
		}
		body, err := io.ReadAll(res.Body)
		ex.responses, ex.bodies = append(ex.responses, res), append(ex.bodies, body)
		if err != nil {
			// A body cut short: the connection is done.
			ex.bodyErr = err.Error()
			return ex
		}
	}
	// An open connection answers one more request; a closed one ends.
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "GET /probe HTTP/1.1\r\nHost: probe\r\n\r\n"); err == nil {
		if res, err := http.ReadResponse(br, nil); err == nil {
			res.Body.Close()
			ex.open = true
		}
	}
	return ex
}

// seen is what a handler saw of a request, sent back as JSON.
type seen struct {
	Method, Proto, Host, RequestURI, Path, RawPath, RawQuery string
	Header                                                   http.Header
	Close                                                    bool
	ContentLength                                            int64
	Body                                                     string
	LocalRemote                                              bool
}

func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	b, _ := json.Marshal(seen{Method: r.Method, Proto: r.Proto, Host: r.Host, RequestURI: r.RequestURI, Path: r.URL.Path,
		RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery, Header: r.Header, Close: r.Close, ContentLength: r.ContentLength,
		Body: string(body), LocalRemote: strings.HasPrefix(r.RemoteAddr, "127.0.0.1:")})
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// responseHandlers answer /NAME in the ways a handler can answer; every
// other path echoes the request.
func responseHandlers(t *testing.T) http.Handler {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, bytes.Repeat([]byte("file-body "), 10_000), 0o644); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/probe", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/hit", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Length"] = []string{"1024"}
		h["Content-Type"] = []string{"application/octet-stream"}
		h["Etag"] = []string{`"abc"`}
		h["X-Cache"] = []string{"Hit from test"}
		w.WriteHeader(http.StatusOK)
		w.Write(bytes.Repeat([]byte{'x'}, 1024))
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1048576")
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(bytes.Repeat([]byte{'y'}, 1<<20))
	})
	mux.HandleFunc("/small-unknown", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html><body>hello</body></html>")) // no length, no type: sniffed
	})
	mux.HandleFunc("/large-unknown", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		for range 10 {
			w.Write(bytes.Repeat([]byte("0123456789"), 100))
		}
	})
	mux.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("first "))
		w.(http.Flusher).Flush()
		w.Write([]byte("second"))
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/not-modified", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "10")
		w.Header().Set("Etag", `"abc"`)
		w.WriteHeader(http.StatusNotModified)
	})
	mux.HandleFunc("/no-content", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		w.WriteHeader(http.StatusNoContent)
		if _, err := w.Write([]byte("x")); !errors.Is(err, http.ErrBodyNotAllowed) {
			panic(fmt.Sprintf("write on 204: %v", err))
		}
	})
	mux.HandleFunc("/error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", http.StatusForbidden) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://example.test/x?y=1", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		w.Write([]byte("bye"))
	})
	mux.HandleFunc("/short", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		w.Write([]byte("12345"))
	})
	mux.HandleFunc("/overlong", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "3")
		if _, err := w.Write([]byte("12345")); !errors.Is(err, http.ErrContentLength) {
			panic(fmt.Sprintf("write past the length: %v", err))
		}
		w.Write([]byte("123"))
	})
	mux.HandleFunc("/late-header", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Before", "1")
		w.WriteHeader(http.StatusAccepted)
		w.Header().Set("X-After", "1") // not sent: the header was fixed by WriteHeader
		w.Write([]byte("ok"))
	})
	mux.HandleFunc("/newline", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["X-Split"] = []string{"a\r\nInjected: yes"}
		w.Header()["Bad Name"] = []string{"dropped"}
		w.Write([]byte("ok"))
	})
	mux.HandleFunc("/early-hints", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Write([]byte("after hints"))
	})
	mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(file)
		if err != nil {
			panic(err)
		}
		defer f.Close()
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "50000")
		f.Seek(1000, io.SeekStart)
		io.Copy(w, &io.LimitedReader{R: f, N: 50000})
	})
	shared, err := os.Open(file) // one file for every request: its offset must not move
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shared.Close() })
	mux.HandleFunc("/section", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "50000")
		sr := io.NewSectionReader(shared, 1003, 50000)
		first := make([]byte, 10)
		io.ReadFull(sr, first) // a section read part way already
		w.Write(first)
		io.Copy(w, sr)
	})
	mux.HandleFunc("/", echo)
	return mux
}

// TestMatchesNetHTTP sends the same requests to h1 and to net/http with
// the same handler: status, fields (but Date), body and whether the
// connection stays open must agree.
func TestMatchesNetHTTP(t *testing.T) {
	h := responseHandlers(t)
	fast := startH1(t, h)
	reference := startNetHTTP(t, h)
	req := func(method, target string, fields ...string) string {
		return method + " " + target + " HTTP/1.1\r\nHost: example.test\r\n" + strings.Join(fields, "") + "\r\n"
	}
	tests := []struct {
		name string
		raw  string
		// methods of the requests in raw, in order
		methods []string
	}{
		{"a cache hit's shape", req("GET", "/hit"), []string{"GET"}},
		{"a large body with a length", req("GET", "/big"), []string{"GET"}},
		{"a small body without a length or type", req("GET", "/small-unknown"), []string{"GET"}},
		{"a large body without a length: chunked", req("GET", "/large-unknown"), []string{"GET"}},
		{"a flush before the end: chunked", req("GET", "/flush"), []string{"GET"}},
		{"nothing written", req("GET", "/empty"), []string{"GET"}},
		{"HEAD with a length", req("HEAD", "/hit"), []string{"HEAD"}},
		{"HEAD of a body without a length", req("HEAD", "/small-unknown"), []string{"HEAD"}},
		{"HEAD of a large body without a length", req("HEAD", "/large-unknown"), []string{"HEAD"}},
		{"304 drops type and length", req("GET", "/not-modified"), []string{"GET"}},
		{"204 drops the length", req("GET", "/no-content"), []string{"GET"}},
		{"http.Error", req("GET", "/error"), []string{"GET"}},
		{"http.Redirect", req("GET", "/redirect"), []string{"GET"}},
		{"the handler closes", req("GET", "/close"), []string{"GET"}},
		{"the client closes", req("GET", "/hit", "Connection: close\r\n"), []string{"GET"}},
		{"the client closes with more pipelined", req("GET", "/big", "Connection: close\r\n") + req("GET", "/hit") + req("GET", "/hit"),
			[]string{"GET"}},
		{"keep-alive spelled out", req("GET", "/hit", "Connection: Keep-Alive\r\n"), []string{"GET"}},
		{"a body cut short closes", req("GET", "/short"), []string{"GET"}},
		{"a write past the length is refused", req("GET", "/overlong"), []string{"GET"}},
		{"the header is fixed at WriteHeader", req("GET", "/late-header"), []string{"GET"}},
		{"newlines in values, a bad field name", req("GET", "/newline"), []string{"GET"}},
		{"an informational response first", req("GET", "/early-hints"), []string{"GET"}},
		{"a file through ReadFrom", req("GET", "/file"), []string{"GET"}},
		{"a section of a shared file", req("GET", "/section") + req("GET", "/section"), []string{"GET", "GET"}},
		{"two requests pipelined", req("GET", "/hit") + req("HEAD", "/small-unknown"), []string{"GET", "HEAD"}},
		{"request fields", req("GET", "/a%2Fb/c%20d?x=1&y=%2F", "Accept-Encoding: gzip, br\r\n", "accept-encoding: zstd\r\n",
			"X-Custom-Field:   padded value \t\r\n", "Cookie: a=1\r\n", "Cookie: b=2\r\n", "user-agent: test\r\n", "X-Empty:\r\n"), []string{"GET"}},
		{"Pragma: no-cache stands for Cache-Control", req("GET", "/p", "Pragma: no-cache\r\n"), []string{"GET"}},
		{"Pragma with Cache-Control", req("GET", "/p", "Pragma: no-cache\r\n", "Cache-Control: max-age=5\r\n"), []string{"GET"}},
		{"Host with a port", "GET /x HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", []string{"GET"}},
		{"an empty query", req("GET", "/x?"), []string{"GET"}},
		// What h1 hands to net/http, answered as net/http answers.
		{"POST with a body", req("POST", "/echo", "Content-Length: 5\r\n") + "hello", []string{"POST"}},
		{"GET with Content-Length: 0", req("GET", "/echo", "Content-Length: 0\r\n"), []string{"GET"}},
		{"chunked request body", req("PUT", "/echo", "Transfer-Encoding: chunked\r\n") + "5\r\nhello\r\n0\r\n\r\n", []string{"PUT"}},
		{"HTTP/1.0", "GET /hit HTTP/1.0\r\nHost: x\r\n\r\n", []string{"GET"}},
		{"HTTP/1.0 keep-alive", "GET /hit HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n", []string{"GET"}},
		{"no Host", "GET /hit HTTP/1.1\r\n\r\n", []string{"GET"}},
		{"two Hosts", "GET /hit HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", []string{"GET"}},
		{"a bad field value", req("GET", "/hit", "X-Bad: a\x01b\r\n"), []string{"GET"}},
		{"a space before the colon", req("GET", "/hit", "X-Bad : v\r\n"), []string{"GET"}},
		{"obsolete line folding", req("GET", "/hit", "X-Folded: a\r\n b\r\n"), []string{"GET"}},
		{"bare LF line ends", "GET /hit HTTP/1.1\nHost: x\n\n", []string{"GET"}},
		{"a blank line first", "\r\n" + req("GET", "/hit"), []string{"GET"}},
		{"absolute form", req("GET", "http://example.test/hit"), []string{"GET"}},
		{"a double slash path", req("GET", "//hit"), []string{"GET"}},
		{"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", []string{"OPTIONS"}},
		{"Expect: 100-continue", req("POST", "/echo", "Content-Length: 2\r\n", "Expect: 100-continue\r\n") + "hi", []string{"POST"}},
		{"an upgrade", req("GET", "/echo", "Connection: Upgrade\r\n", "Upgrade: websocket\r\n"), []string{"GET"}},
		{"a fast request, then one handed over", req("GET", "/hit") + req("POST", "/echo", "Content-Length: 3\r\n") + "abc" + req("GET", "/hit"),
			[]string{"GET", "POST", "GET"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := roundTrip(t, fast.addr, tt.raw, tt.methods...)
			want := roundTrip(t, reference, tt.raw, tt.methods...)
			if len(got.responses) != len(want.responses) || got.bodyErr != want.bodyErr {
				t.Fatalf("%d responses (body error %q), net/http %d (body error %q)", len(got.responses), got.bodyErr,
					len(want.responses), want.bodyErr)
			}
			if got.open != want.open {
				t.Errorf("connection open after: h1 %v, net/http %v", got.open, want.open)
			}
			for i := range want.responses {
				g, w := got.responses[i], want.responses[i]
				if g.StatusCode != w.StatusCode {
					t.Errorf("response %d: status %d, net/http %d", i+1, g.StatusCode, w.StatusCode)
				}
				if !slices.Equal(g.TransferEncoding, w.TransferEncoding) || g.ContentLength != w.ContentLength || g.Close != w.Close {
					t.Errorf("response %d: framing %v/%d/close %v, net/http %v/%d/close %v", i+1,
						g.TransferEncoding, g.ContentLength, g.Close, w.TransferEncoding, w.ContentLength, w.Close)
				}
				if len(g.Header["Date"]) != len(w.Header["Date"]) {
					t.Errorf("response %d: Date %q, net/http %q", i+1, g.Header["Date"], w.Header["Date"])
				}
				g.Header.Del("Date")
				w.Header.Del("Date")
				if gh, wh := fmt.Sprint(g.Header), fmt.Sprint(w.Header); gh != wh {
					t.Errorf("response %d: header\n  h1:       %s\n  net/http: %s", i+1, gh, wh)
				}
				if !bytes.Equal(got.bodies[i], want.bodies[i]) {
					t.Errorf("response %d: body (%d bytes) %.200q, net/http (%d bytes) %.200q", i+1,
						len(got.bodies[i]), got.bodies[i], len(want.bodies[i]), want.bodies[i])
				}
			}
		})
	}
	if fast.handoff.Load() == 0 {
		t.Error("no connection was handed to net/http")
	}
}

// TestHandsOffOnlyWhatItDoesNotTake counts the connections net/http
// serves: plain GET and HEAD requests stay with h1, the rest go over.
func TestHandsOffOnlyWhatItDoesNotTake(t *testing.T) {
	ts := startH1(t, responseHandlers(t))
	for _, raw := range []string{
		"GET /hit HTTP/1.1\r\nHost: a\r\n\r\n",
		"HEAD /hit HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /x?y=%2F HTTP/1.1\r\nHost: a\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n",
	} {
		roundTrip(t, ts.addr, raw, strings.Fields(raw)[0])
	}
	if n := ts.handoff.Load(); n != 0 {
		t.Fatalf("%d plain requests handed to net/http", n)
	}
	roundTrip(t, ts.addr, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx", "POST")
	if n := ts.handoff.Load(); n != 1 {
		t.Fatalf("POST: %d connections handed to net/http, want 1", n)
	}
}

// TestLargeHeadGoesToNetHTTP: a head over MaxHeaderBytes is net/http's
// 431.
func TestLargeHeadGoesToNetHTTP(t *testing.T) {
	ts := startH1(t, responseHandlers(t), func(hs *http.Server) { hs.MaxHeaderBytes = 1024 })
	raw := "GET /hit HTTP/1.1\r\nHost: a\r\nX-Long: " + strings.Repeat("v", 8<<10) + "\r\n\r\n"
	ex := roundTrip(t, ts.addr, raw, "GET")
	if got := ex.responses[0].StatusCode; got != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("status %d, want 431", got)
	}
	// Just under the limit (1024 + h1's and net/http's 4 KiB slack) is served.
	ex = roundTrip(t, ts.addr, "GET /hit HTTP/1.1\r\nHost: a\r\nX-Long: "+strings.Repeat("v", 1000)+"\r\n\r\n", "GET")
	if got := ex.responses[0].StatusCode; got != http.StatusOK {
		t.Fatalf("status %d, want 200", got)
	}
}

// TestHeadArrivingInPieces: a head written a few bytes at a time is
// served once whole.
func TestHeadArrivingInPieces(t *testing.T) {
	ts := startH1(t, responseHandlers(t))
	conn, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raw := "GET /hit HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n"
	for i := 0; i < len(raw); i += 3 {
		if _, err := io.WriteString(conn, raw[i:min(i+3, len(raw))]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := io.ReadAll(res.Body); res.StatusCode != 200 || len(body) != 1024 {
		t.Fatalf("status %d, %d bytes", res.StatusCode, len(body))
	}
	if n := ts.handoff.Load(); n != 0 {
		t.Fatalf("handed to net/http")
	}
}

// TestIdleAndHeaderTimeouts: an idle connection and a head that stops
// arriving are closed.
func TestIdleAndHeaderTimeouts(t *testing.T) {
	ts := startH1(t, responseHandlers(t), func(hs *http.Server) {
		hs.IdleTimeout, hs.ReadHeaderTimeout = 100*time.Millisecond, 100*time.Millisecond
	})
	for _, tt := range []struct{ name, send string }{
		{"idle", ""},
		{"half a head", "GET /hit HTTP/1.1\r\nHost: a\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", ts.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			io.WriteString(conn, tt.send)
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			n, err := conn.Read(make([]byte, 1))
			if n != 0 || !errors.Is(err, io.EOF) {
				t.Fatalf("read %d bytes, %v; want the server to close the connection", n, err)
			}
		})
	}
}

// TestPanics: a panicking handler costs its connection only.
func TestPanics(t *testing.T) {
	ts := startH1(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/abort":
			panic(http.ErrAbortHandler)
		case "/panic":
			panic("test panic")
		}
		w.Write([]byte("ok"))
	}), func(hs *http.Server) { hs.ErrorLog = logDiscard() })
	for _, path := range []string{"/abort", "/panic"} {
		conn, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: a\r\n\r\n")
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if n, err := conn.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
			t.Fatalf("%s: read %d bytes, %v; want the connection closed", path, n, err)
		}
		conn.Close()
	}
	ex := roundTrip(t, ts.addr, "GET /ok HTTP/1.1\r\nHost: a\r\n\r\n", "GET")
	if string(ex.bodies[0]) != "ok" {
		t.Fatalf("after the panics: %q", ex.bodies[0])
	}
}

// TestShutdown: idle connections close at once, an active request
// finishes, then Shutdown returns and Serve reports ErrServerClosed.
func TestShutdown(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	ts := startH1(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			started <- struct{}{}
			<-release
		}
		w.Write([]byte("done"))
	}))
	idle, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	active, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer active.Close()
	io.WriteString(active, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
	<-started
	shut := make(chan error, 1)
	go func() { shut <- ts.s.Shutdown(context.Background()) }()
	idle.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := idle.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("idle connection: read %d, %v; want it closed", n, err)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	res, err := http.ReadResponse(bufio.NewReader(active), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	if string(body) != "done" || !res.Close {
		t.Fatalf("in-flight response %q, close %v; want it complete and the connection closing", body, res.Close)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if _, err := net.Dial("tcp", ts.addr); err == nil {
		t.Fatal("still accepting after Shutdown")
	}
}

// TestConcurrentConnections: many connections at once, each with several
// requests, some handed over, all answered right (run with -race).
func TestConcurrentConnections(t *testing.T) {
	ts := startH1(t, responseHandlers(t))
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			raw := strings.Repeat("GET /hit HTTP/1.1\r\nHost: a\r\n\r\n", 4) + "GET /section HTTP/1.1\r\nHost: a\r\n\r\n"
			methods := []string{"GET", "GET", "GET", "GET", "GET"}
			if i%4 == 0 {
				raw += "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"
				methods = append(methods, "POST")
			}
			ex := roundTrip(t, ts.addr, raw, methods...)
			for j, b := range ex.bodies[:4] {
				if len(b) != 1024 {
					t.Errorf("connection %d, response %d: %d bytes", i, j, len(b))
				}
			}
			if want := bytes.Repeat([]byte("file-body "), 10_000)[1003 : 1003+50000]; !bytes.Equal(ex.bodies[4], want) {
				t.Errorf("connection %d: the section's body differs (%d bytes)", i, len(ex.bodies[4]))
			}
		})
	}
	wg.Wait()
}
