package kms_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/kms"
)

// echoServer starts a server answering with echo (over TLS if asked) and
// returns it with the count of connections it accepted.
func echoServer(t *testing.T, useTLS bool) (*httptest.Server, *atomic.Int64) {
	hs := httptest.NewUnstartedServer(http.HandlerFunc(echo))
	var conns atomic.Int64
	hs.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	if useTLS {
		hs.StartTLS()
	} else {
		hs.Start()
	}
	t.Cleanup(hs.Close)
	return hs, &conns
}

// transportClient is an http.Client over tr whose idle connections close
// when the test ends.
func transportClient(t *testing.T, tr *kms.Transport) *http.Client {
	c := &http.Client{Transport: tr}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// post sends body to url through c and returns the status and response body.
func post(ctx context.Context, c *http.Client, url, body string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("X-Test", "yes")
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// echo answers with the method, path, X-Test field and body it got, the
// body repeated to size bytes when the request asks for ?size=.
func echo(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	out := r.Method + " " + r.URL.RequestURI() + " " + r.Header.Get("X-Test") + " " + string(b)
	if n := r.URL.Query().Get("size"); n != "" {
		var size int
		fmt.Sscan(n, &size)
		out = strings.Repeat(out, size/len(out)+1)[:size]
	}
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, out)
}

func TestTransportReusesConnections(t *testing.T) {
	hs, conns := echoServer(t, false)
	c := transportClient(t, &kms.Transport{})
	// Small bodies, Content-Length framing; large ones, chunked (net/http
	// chunks what the handler does not finish within its buffer).
	for i, size := range []int{0, 10, 3000, 70000, 5, 1 << 20} {
		status, body, err := post(t.Context(), c, hs.URL+fmt.Sprintf("/p?size=%d", size), fmt.Sprint("request ", i))
		if err != nil || status != 200 {
			t.Fatalf("call %d: %d %v", i, status, err)
		}
		want := fmt.Sprintf("POST /p?size=%d yes request %d", size, i)
		if size > 0 && (len(body) != size || !strings.HasPrefix(body, want[:min(len(want), size)])) {
			t.Fatalf("call %d: %d bytes %.60q…, want %d bytes starting %q", i, len(body), body, size, want)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("6 sequential calls used %d connections, want 1", n)
	}
}

// TestTransportReusesUnderAClientTimeout: http.Client with a Timeout ends
// the request's context as soon as the body's end is read; the connection
// must be back in the pool by then.
func TestTransportReusesUnderAClientTimeout(t *testing.T) {
	hs, conns := echoServer(t, false)
	c := transportClient(t, &kms.Transport{})
	c.Timeout = 5 * time.Second
	for i, size := range []int{10, 70000, 10} {
		if status, body, err := post(t.Context(), c, hs.URL+fmt.Sprintf("/?size=%d", size), "x"); err != nil || status != 200 || len(body) != size {
			t.Fatalf("call %d: %d, %d bytes, %v", i, status, len(body), err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("3 calls under a client Timeout used %d connections, want 1", n)
	}
}

// TestTransportSweepsIdleConnections: a connection idle for longer than
// IdleConnTimeout is closed without a request coming to find it.
func TestTransportSweepsIdleConnections(t *testing.T) {
	hs := httptest.NewUnstartedServer(http.HandlerFunc(echo))
	closed := make(chan struct{}, 1)
	hs.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			closed <- struct{}{}
		}
	}
	hs.Start()
	defer hs.Close()
	c := transportClient(t, &kms.Transport{IdleConnTimeout: 50 * time.Millisecond})
	if status, _, err := post(t.Context(), c, hs.URL, "x"); err != nil || status != 200 {
		t.Fatalf("%d %v", status, err)
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the idle connection was still open 5 s after its 50 ms IdleConnTimeout")
	}
}

func TestTransportConcurrentCallsKeepTheirConnections(t *testing.T) {
	hs, conns := echoServer(t, false)
	c := transportClient(t, &kms.Transport{MaxIdleConns: 4})
	var wg sync.WaitGroup
	errs := make(chan error, 8*50)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				body := fmt.Sprintf("g%d-%d", g, i)
				status, got, err := post(t.Context(), c, hs.URL+"/", body)
				if err != nil || status != 200 || got != "POST / yes "+body {
					errs <- fmt.Errorf("%s: %d %q %v", body, status, got, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// 8 callers, 4 kept: every call beyond the kept ones dials, but far
	// fewer than one connection per call.
	if n := conns.Load(); n < 4 || n > 200 {
		t.Errorf("400 calls by 8 callers used %d connections", n)
	}
}

// TestTransportRetriesAConnectionTheServerClosed: the server closes the
// kept connection between two calls; the second call succeeds on a new
// one without the caller seeing an error.
func TestTransportRetriesAConnectionTheServerClosed(t *testing.T) {
	hs, conns := echoServer(t, false)
	c := transportClient(t, &kms.Transport{})
	for i := range 3 {
		if status, _, err := post(t.Context(), c, hs.URL, "x"); err != nil || status != 200 {
			t.Fatalf("call %d: %d %v", i, status, err)
		}
		hs.CloseClientConnections()
	}
	if n := conns.Load(); n != 3 {
		t.Fatalf("3 calls with the connection closed after each used %d connections", n)
	}
}

// rawServer accepts connections on loopback and runs serve on each.
func rawServer(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { defer conn.Close(); serve(conn) })
		}
	})
	return "http://" + ln.Addr().String()
}

// readRequest reads one request (head and body) from br.
func readRequest(br *bufio.Reader) (*http.Request, error) {
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, req.Body)
	return req, err
}

// TestTransportDoesNotReuseWhatItMustNot: a response with Connection:
// close, one followed by stray bytes, a body left unread, a 103 before the
// response, and a response cut short: each later call still gets its own
// answer.
func TestTransportDoesNotReuseWhatItMustNot(t *testing.T) {
	var conns atomic.Int64
	url := rawServer(t, func(conn net.Conn) {
		conns.Add(1)
		br := bufio.NewReader(conn)
		for {
			req, err := readRequest(br)
			if err != nil {
				return
			}
			switch req.URL.Path {
			case "/close":
				io.WriteString(conn, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nclose")
				return
			case "/stray":
				io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstrayHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nWRONG")
			case "/large":
				io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"+strings.Repeat("L", 100000))
			case "/hints":
				io.WriteString(conn, "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhints")
			case "/short":
				io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort")
				return
			default:
				io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			}
		}
	})
	c := transportClient(t, &kms.Transport{})
	get := func(path string, readAll bool) (string, error) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, url+path, strings.NewReader("{}"))
		resp, err := c.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		if !readAll {
			b := make([]byte, 10)
			n, _ := io.ReadFull(resp.Body, b)
			return string(b[:n]), nil
		}
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	steps := []struct {
		path    string
		readAll bool
		want    string
		fails   bool
	}{
		{"/close", true, "close", false},
		{"/ok", true, "ok", false},
		{"/stray", true, "stray", false},
		{"/ok", true, "ok", false},
		{"/large", false, "LLLLLLLLLL", false},
		{"/ok", true, "ok", false},
		{"/hints", true, "hints", false},
		{"/ok", true, "ok", false},
		{"/short", true, "", true},
		{"/ok", true, "ok", false},
	}
	for _, s := range steps {
		got, err := get(s.path, s.readAll)
		if s.fails {
			if err == nil {
				t.Errorf("%s: no error for a body cut short", s.path)
			}
			continue
		}
		if err != nil || got != s.want {
			t.Errorf("%s: %q %v, want %q", s.path, got, err, s.want)
		}
	}
	// New connections: the first, and after /close, /stray, /large and
	// /short; /hints keeps its connection.
	if n := conns.Load(); n != 5 {
		t.Errorf("%d connections, want 5", n)
	}
}

func TestTransportCancelAndTimeouts(t *testing.T) {
	release := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		io.WriteString(w, "done")
	}))
	defer hs.Close()
	defer close(release)
	tr := &kms.Transport{}
	c := transportClient(t, tr)

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, _, err := post(ctx, c, hs.URL+"/slow", "x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a call past its context's deadline: %v, want context.DeadlineExceeded", err)
	}
	if status, body, err := post(t.Context(), c, hs.URL+"/fast", "x"); err != nil || status != 200 || body != "done" {
		t.Fatalf("the next call: %d %q %v", status, body, err)
	}

	tr.ResponseHeaderTimeout = 100 * time.Millisecond
	start := time.Now()
	_, _, err := post(t.Context(), c, hs.URL+"/slow", "x")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("a response head later than ResponseHeaderTimeout: %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the timeout took %v", d)
	}
	if status, body, err := post(t.Context(), c, hs.URL+"/fast", "x"); err != nil || status != 200 || body != "done" {
		t.Fatalf("the call after the timeout: %d %q %v", status, body, err)
	}

	// Nothing listening: the dial fails, and says so.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, _, err := post(t.Context(), c, "http://"+addr+"/", "x"); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("a call to a closed port: %v", err)
	}
}

func TestTransportTLS(t *testing.T) {
	hs, conns := echoServer(t, true)
	pool := hs.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	c := transportClient(t, &kms.Transport{TLS: &tls.Config{RootCAs: pool}})
	for i := range 3 {
		if status, body, err := post(t.Context(), c, hs.URL+"/tls", "x"); err != nil || status != 200 || body != "POST /tls yes x" {
			t.Fatalf("call %d: %d %q %v", i, status, body, err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("3 calls over TLS used %d connections", n)
	}
	// Without the test CA the certificate is refused.
	bare := &http.Client{Transport: &kms.Transport{}}
	if _, _, err := post(t.Context(), bare, hs.URL+"/tls", "x"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("an unknown CA: %v", err)
	}
}

// TestTransportHandsOverWhatItDoesNotSend: a body of unknown length, a
// request through a proxy and an invalid field go to net/http.
func TestTransportHandsOverWhatItDoesNotSend(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(echo))
	defer hs.Close()
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		if !r.URL.IsAbs() {
			http.Error(w, "not a proxy request", http.StatusBadRequest)
			return
		}
		echo(w, r)
	}))
	defer proxy.Close()
	proxyURL, _ := url.Parse(proxy.URL)
	tr := &kms.Transport{Proxy: func(r *http.Request) (*url.URL, error) {
		if r.URL.Path == "/via-proxy" {
			return proxyURL, nil
		}
		return nil, nil
	}}
	c := transportClient(t, tr)

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, hs.URL+"/chunked", io.MultiReader(strings.NewReader("unknown "), strings.NewReader("length")))
	req.Header.Set("X-Test", "yes")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "POST /chunked yes unknown length" {
		t.Fatalf("a body of unknown length: %q", b)
	}

	if status, body, err := post(t.Context(), c, hs.URL+"/via-proxy", "x"); err != nil || status != 200 || body != "POST /via-proxy yes x" || proxied.Load() != 1 {
		t.Fatalf("through the proxy: %d %q %v, proxy saw %d", status, body, err, proxied.Load())
	}

	req, _ = http.NewRequestWithContext(t.Context(), http.MethodPost, hs.URL+"/", strings.NewReader("x"))
	req.Header.Set("X-Bad", "a\r\nInjected: yes")
	if _, err := c.Do(req); err == nil || !strings.Contains(err.Error(), "invalid header field value") {
		t.Fatalf("a field value with CR LF: %v, want net/http's refusal", err)
	}
}
