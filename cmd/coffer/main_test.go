package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// syncBuffer is a bytes.Buffer safe for the server's writes and the
// test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startCommand runs `coffer ARGS…` in-process until the returned cancel.
func startCommand(t *testing.T, env map[string]string, args ...string) (addr string, stdout *syncBuffer, stop func() error) {
	t.Helper()
	addr, stdout, _, stop = startCommandOver(t, http.DefaultClient, "http", env, args...)
	return addr, stdout, stop
}

// startCommandOver is startCommand for a command serving scheme (http or
// https), whose readiness client checks.
func startCommandOver(t *testing.T, client *http.Client, scheme string, env map[string]string, args ...string) (addr string, stdout, stderr *syncBuffer, stop func() error) {
	t.Helper()
	// A free port can be taken by another test's listener between
	// freeAddr and the command's bind: try again with another one.
	for attempt := 1; ; attempt++ {
		addr, stdout, stderr, stop, err := tryStartCommand(t, client, scheme, env, args...)
		if err == nil {
			return addr, stdout, stderr, stop
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
		t.Logf("attempt %d: %v; trying another port", attempt, err)
	}
}

func tryStartCommand(t *testing.T, client *http.Client, scheme string, env map[string]string, args ...string) (addr string, stdout, stderr *syncBuffer, stop func() error, err error) {
	t.Helper()
	addr = freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append(args, "--listen", addr), stdout, stderr, func(k string) string { return env[k] })
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get(scheme + "://" + addr + "/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-done:
			cancel()
			return "", nil, nil, nil, fmt.Errorf("coffer exited early: %w\n%s", err, stderr)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			return "", nil, nil, nil, fmt.Errorf("coffer did not become ready\n%s", stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var once sync.Once
	var stopErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			stopErr = <-done
		})
		return stopErr
	}
	t.Cleanup(func() { _ = stop() })
	return addr, stdout, stderr, stop, nil
}

func signed(t *testing.T, method, url string, body io.Reader, size int64, access, secret string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	r.ContentLength = size
	r.Header.Set("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: access, SecretAccessKey: secret},
		r, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, io.Discard, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "coffer ") {
		t.Errorf("version printed %q", out.String())
	}
}

func TestUnknownCommandFails(t *testing.T) {
	if err := run(context.Background(), []string{"frobnicate"}, io.Discard, io.Discard, func(string) string { return "" }); err == nil {
		t.Fatal("unknown command accepted")
	}
}

func TestServerRequiresData(t *testing.T) {
	err := run(context.Background(), []string{"server", "--listen", "127.0.0.1:0"}, io.Discard, io.Discard, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "data") {
		t.Fatalf("err = %v, want a data dir error", err)
	}
}

// devEdgePage GETs the dev edge's root and checks it is the demo page,
// served through the edge from the private demo bucket.
func devEdgePage(t *testing.T, edgeAddr string) {
	t.Helper()
	resp, err := http.Get("http://" + edgeAddr + "/")
	if err != nil {
		t.Fatalf("dev's edge: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Served by coffer edge") || !strings.HasPrefix(resp.Header.Get("X-Cache"), "Miss") {
		t.Errorf("dev edge GET /: %s X-Cache %q\n%s", resp.Status, resp.Header.Get("X-Cache"), body)
	}
}

// TestDevPrintsEndpointAndCredentials checks the dev banner, that the
// generated credentials are kept for the next start, and that dev's edge
// serves the demo bucket (also after a restart, with the same OAI).
func TestDevPrintsEndpointAndCredentials(t *testing.T) {
	dir := t.TempDir()
	kmsAddr, edgeAddr := freeAddr(t), freeAddr(t)
	addr, out, stop := startCommand(t, nil, "dev", "--data", dir, "--kms-listen", kmsAddr, "--edge-listen", edgeAddr)
	// The embedded KMS is up on its own listener while dev runs.
	resp, err := http.Get("http://" + kmsAddr + "/health/ready")
	if err != nil {
		t.Fatalf("dev's KMS listener: %v", err)
	}
	resp.Body.Close()
	devEdgePage(t, edgeAddr)
	// The demo bucket itself stays private.
	if resp, err := http.Get("http://" + addr + "/demo/index.html"); err != nil || resp.StatusCode != 403 {
		t.Errorf("anonymous GET of s3://demo/index.html: %v %v, want 403", resp.Status, err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	first := out.String()
	for _, want := range []string{"S3 endpoint:  http://127.0.0.1:", "KMS endpoint: http://" + kmsAddr + "\n",
		"edge:         http://" + edgeAddr + "/",
		"access key:", "secret key:", "aws --endpoint-url http://127.0.0.1:"} {
		if !strings.Contains(first, want) {
			t.Errorf("dev output lacks %q:\n%s", want, first)
		}
	}
	if _, err := http.Get("http://" + kmsAddr + "/health/ready"); err == nil {
		t.Errorf("dev's KMS listener still answers after shutdown")
	}
	if _, err := os.Stat(dir + "-kms/kms.db"); err != nil {
		t.Errorf("dev's KMS keystore is not in the sibling dir: %v", err)
	}
	edgeAddr = freeAddr(t)
	_, out2, stop2 := startCommand(t, nil, "dev", "--data", dir, "--kms-listen", "127.0.0.1:0", "--edge-listen", edgeAddr)
	devEdgePage(t, edgeAddr)
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
	key := func(s string) string {
		_, after, _ := strings.Cut(s, "access key:")
		return strings.Fields(after)[0]
	}
	if key(first) != key(out2.String()) {
		t.Errorf("credentials changed across restarts: %s vs %s", key(first), key(out2.String()))
	}
}

// TestGracefulShutdownFinishesInFlightUpload cancels the server (as
// SIGTERM does) while an upload is half sent, and checks the upload still
// completes and is readable after a restart.
func TestGracefulShutdownFinishesInFlightUpload(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"COFFER_ROOT_ACCESS_KEY": "AKIAGRACEFUL", "COFFER_ROOT_SECRET_KEY": "graceful-secret"}
	addr, _, stop := startCommand(t, env, "server", "--data", dir)
	base := "http://" + addr
	// The upload waits for 100 Continue, which the server sends when the
	// handler starts reading the body; so once the first half is written
	// the request is in flight on an accepted connection (connections still
	// in the listen queue, or idle keep-alives, are not in flight).
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, ExpectContinueTimeout: time.Minute}}
	resp, err := client.Do(signed(t, "PUT", base+"/grace", nil, 0, "AKIAGRACEFUL", "graceful-secret"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("create bucket: %s", resp.Status)
	}

	body := bytes.Repeat([]byte("coffer"), 100_000)
	pr, pw := io.Pipe()
	result := make(chan error, 1)
	put := signed(t, "PUT", base+"/grace/obj", pr, int64(len(body)), "AKIAGRACEFUL", "graceful-secret")
	put.Header.Set("Expect", "100-continue")
	go func() {
		resp, err := client.Do(put)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != 200 {
				err = fmt.Errorf("put: %s", resp.Status)
			}
		}
		result <- err
	}()
	half := len(body) / 2
	if _, err := pw.Write(body[:half]); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// The listener closes at once; the in-flight request goes on.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still open after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := pw.Write(body[half:]); err != nil {
		t.Fatalf("write rest: %v (upload: %v)", err, <-result)
	}
	pw.Close()
	if err := <-result; err != nil {
		t.Fatalf("in-flight upload failed during shutdown: %v", err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("shutdown: %v", err)
	}

	addr2, _, _ := startCommand(t, env, "server", "--data", dir)
	resp, err = client.Do(signed(t, "GET", "http://"+addr2+"/grace/obj", nil, 0, "AKIAGRACEFUL", "graceful-secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Equal(got, body) {
		t.Fatalf("after restart: %s, %d bytes (want %d)", resp.Status, len(got), len(body))
	}
}
