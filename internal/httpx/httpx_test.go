package httpx

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestContinueEmptyBodies sends a raw empty PUT with Expect: 100-continue
// and checks the interim 100 arrives before the final response, so the
// next request on the connection reads its own response.
func TestContinueEmptyBodies(t *testing.T) {
	srv := httptest.NewServer(ContinueEmptyBodies(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("X-Path", r.URL.Path)
		w.WriteHeader(http.StatusOK)
	})))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	req := "PUT /empty HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n" +
		"GET /next HTTP/1.1\r\nHost: x\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("first status line %q (%v), want 100 Continue", line, err)
	}
	// Skip the interim response's blank line.
	if blank, _ := br.ReadString('\n'); blank != "\r\n" {
		t.Fatalf("interim response not terminated: %q", blank)
	}
	for _, path := range []string{"/empty", "/next"} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("X-Path") != path {
			t.Fatalf("response %d for %s, want 200 for %s", resp.StatusCode, resp.Header.Get("X-Path"), path)
		}
	}
}

// TestDrainUnread: a handler refuses a 5 MiB upload without reading it;
// the client sends it all, reads the refusal, and the connection still
// serves the next request (net/http alone would close it, at the risk of
// a reset that destroys the refusal). A body over MaxDrain is not read.
func TestDrainUnread(t *testing.T) {
	srv := httptest.NewServer(DrainUnread(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			http.Error(w, "refused", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusOK)
	})))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	const size = 5 << 20
	go func() {
		_, _ = conn.Write([]byte("PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: 5242880\r\n\r\n"))
		_, _ = conn.Write(make([]byte, size))
		_, _ = conn.Write([]byte("GET /next HTTP/1.1\r\nHost: x\r\n\r\n"))
	}()
	br := bufio.NewReader(conn)
	for _, want := range []int{http.StatusBadRequest, http.StatusOK} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("reading the response (want %d): %v", want, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("status %d, want %d", resp.StatusCode, want)
		}
	}
}

// TestDrainUnreadExpectContinue: a refused "Expect: 100-continue" upload
// gets its final answer, never a 100 Continue: a client that sent the
// body anyway has it drained and reads the refusal (net/http then closes
// the connection, as it does whenever it sent no 100 Continue); a client
// that waits reads the refusal while the server still waits for a body
// that never comes.
func TestDrainUnreadExpectContinue(t *testing.T) {
	done := make(chan struct{}, 2)
	drain := DrainUnread(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "8") // as s3err.Write sets it
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte("refused\n"))
	}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		drain.ServeHTTP(w, r)
		done <- struct{}{}
	}))
	defer srv.Close()
	const head = "PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: 5242880\r\nExpect: 100-continue\r\n\r\n"
	dial := func(t *testing.T) (net.Conn, *bufio.Reader) {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		return conn, bufio.NewReader(conn)
	}
	refused := func(t *testing.T, br *bufio.Reader) {
		t.Helper()
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("reading the refusal: %v", err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusBadRequest || string(body) != "refused\n" {
			t.Fatalf("got %d %q (%v), want 400 refused", resp.StatusCode, body, err)
		}
	}
	t.Run("body sent without waiting", func(t *testing.T) {
		conn, br := dial(t)
		go func() {
			_, _ = conn.Write([]byte(head))
			_, _ = conn.Write(make([]byte, 5<<20))
		}()
		refused(t, br)
		<-done
	})
	t.Run("client waits for 100 Continue", func(t *testing.T) {
		conn, br := dial(t)
		if _, err := conn.Write([]byte(head)); err != nil {
			t.Fatal(err)
		}
		refused(t, br) // the final answer, not a 100 Continue first
		select {
		case <-done:
			t.Fatal("the refusal arrived only after the server stopped waiting for the body")
		default:
		}
		<-done
	})
}

func TestHasToken(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		token string
		want  bool
	}{
		{"alone", []string{"close"}, "close", true},
		{"another case, padded", []string{"Keep-Alive,  CLOSE\t"}, "close", true},
		{"on a second line", []string{"Accept", "Origin, Accept-Encoding"}, "Accept-Encoding", true},
		{"a longer token", []string{"closed"}, "close", false},
		{"part of a token", []string{"Accept-Encoding-X"}, "Accept-Encoding", false},
		{"no lines", nil, "close", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HasToken(tt.lines, tt.token); got != tt.want {
				t.Errorf("HasToken(%q, %q) = %v, want %v", tt.lines, tt.token, got, tt.want)
			}
		})
	}
}
