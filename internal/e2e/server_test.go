package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/pkitest"
)

// Root credentials every test server runs with.
const (
	rootAccessKey = "E2EROOTACCESSKEY0001"
	rootSecretKey = "e2e-root-secret-key-0123456789abcdefghij"
	region        = "us-east-1"
)

// binDir holds the binaries built for this test run; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "coffer-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildOnce builds each Go command at most once per test run.
var builds sync.Map // package path → func() (string, error)

// goBuild builds the main package at pkg (relative to the module root, such
// as "./cmd/coffer") into binDir and returns the binary's path.
func goBuild(t testing.TB, pkg string) string {
	t.Helper()
	f, _ := builds.LoadOrStore(pkg, sync.OnceValues(func() (string, error) {
		out := filepath.Join(binDir, filepath.Base(pkg))
		args := []string{"build", "-o", out}
		if os.Getenv("COFFER_E2E_RACE") == "1" {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, pkg)...)
		cmd.Dir = filepath.Join("..", "..") // module root, from internal/e2e
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
		return out, nil
	}))
	path, err := f.(func() (string, error))()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// skipIfShort skips slow tests under `go test -short`.
func skipIfShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test against a real coffer process; skipped with -short")
	}
}

// server is a `coffer server` process on a loopback port.
type server struct {
	t        *testing.T
	bin      string
	DataDir  string
	Addr     string // 127.0.0.1:port
	Endpoint string // http://127.0.0.1:port (https:// withTLS)
	logs     []string
	args     []string     // extra flags, from serverOptions
	env      []string     // extra environment, from serverOptions
	scheme   string       // "http", or "https" withTLS
	ready    *http.Client // polls /health/ready

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has exited
	waitErr error
}

// A serverOption changes how startServer runs `coffer server`.
type serverOption func(*server)

// withFlags adds command-line flags, such as --allow-ssec-over-http.
func withFlags(args ...string) serverOption {
	return func(s *server) { s.args = append(s.args, args...) }
}

// withEnv adds NAME=value environment variables.
func withEnv(env ...string) serverOption {
	return func(s *server) { s.env = append(s.env, env...) }
}

// withTLS serves HTTPS with pki's server certificate; readiness is polled
// trusting pki's CA.
func withTLS(pki *pkitest.PKI) serverOption {
	return func(s *server) {
		s.args = append(s.args, "--tls-cert", pki.Server.CertFile, "--tls-key", pki.Server.KeyFile)
		s.scheme = "https"
		s.ready = httpsClient(pki)
		s.ready.Timeout = 2 * time.Second
	}
}

// startServer starts a coffer server on a fresh data dir and a free port
// and stops it (SIGTERM, then SIGKILL) when the test ends.
func startServer(t *testing.T, opts ...serverOption) *server {
	t.Helper()
	s := &server{t: t, bin: goBuild(t, "./cmd/coffer"), DataDir: filepath.Join(t.TempDir(), "data"),
		scheme: "http", ready: &http.Client{Timeout: 2 * time.Second}}
	for _, opt := range opts {
		opt(s)
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			s.dumpLogs()
		}
	})
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		s.Addr = freeAddr(t)
		s.Endpoint = s.scheme + "://" + s.Addr
		if err = s.start(); err == nil {
			return s
		}
		if !strings.Contains(s.lastLog(), "address already in use") {
			break
		}
	}
	t.Fatalf("start coffer server: %v", err)
	return nil
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Restart starts the server again on the same data dir and address, after
// Stop or Kill.
func (s *server) Restart() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("restart coffer server: %v", err)
	}
}

func (s *server) start() error {
	logPath := filepath.Join(filepath.Dir(s.DataDir), fmt.Sprintf("server-%d.log", len(s.logs)+1))
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	s.logs = append(s.logs, logPath)

	cmd := exec.Command(s.bin, append([]string{"server", "--data", s.DataDir, "--listen", s.Addr}, s.args...)...)
	cmd.Env = append(withoutPrefix(os.Environ(), "COFFER_"),
		"COFFER_ROOT_ACCESS_KEY="+rootAccessKey,
		"COFFER_ROOT_SECRET_KEY="+rootSecretKey,
	)
	cmd.Env = append(cmd.Env, s.env...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	s.mu.Lock()
	s.cmd, s.exited, s.waitErr = cmd, exited, nil
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.waitErr = err
		s.mu.Unlock()
		close(exited)
	}()

	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-exited:
			return fmt.Errorf("coffer server exited before it was ready (%v); log:\n%s", s.exitErr(), s.lastLog())
		default:
		}
		resp, err := s.ready.Get(s.Endpoint + "/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("coffer server not ready after 60s (last: %v); log:\n%s", describe(resp, err), s.lastLog())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func describe(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}

func (s *server) exitErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waitErr
}

// running returns the process and its exit channel, or nil if none runs.
func (s *server) running() (*exec.Cmd, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil, nil
	}
	select {
	case <-s.exited:
		return nil, nil
	default:
		return s.cmd, s.exited
	}
}

// Stop shuts the server down gracefully with SIGTERM and fails the test if
// it does not exit cleanly within 30 s (it is then killed).
func (s *server) Stop() {
	cmd, exited := s.running()
	if cmd == nil {
		return
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		s.t.Errorf("SIGTERM coffer server: %v", err)
	}
	select {
	case <-exited:
		if err := s.exitErr(); err != nil {
			s.t.Errorf("coffer server did not exit cleanly after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		s.t.Errorf("coffer server still running 30s after SIGTERM; killing it")
		s.Kill()
	}
}

// Kill ends the server with SIGKILL, as a crash would, and waits for it.
func (s *server) Kill() {
	cmd, exited := s.running()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

func (s *server) lastLog() string {
	if len(s.logs) == 0 {
		return ""
	}
	return tail(s.logs[len(s.logs)-1], 60)
}

func (s *server) dumpLogs() {
	for _, p := range s.logs {
		s.t.Logf("---- %s (last lines) ----\n%s", filepath.Base(p), tail(p, 60))
	}
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// withoutPrefix returns env without the variables whose names start with prefix.
func withoutPrefix(env []string, prefix string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}
