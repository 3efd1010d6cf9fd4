package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// A tool is a real client program found on this machine.
type tool struct {
	Path string // absolute path of the program
	err  error  // why it is unusable; nil when Path works
}

// tools finds each client once per test run.
var tools sync.Map // name → func() tool

// need returns the client called name (see findTool), skipping the test
// when it is missing — or failing it when COFFER_E2E_REQUIRE_CLIENTS=1.
func need(t *testing.T, name string) string {
	t.Helper()
	f, _ := tools.LoadOrStore(name, sync.OnceValue(func() tool { return findTool(name) }))
	tl := f.(func() tool)()
	if tl.err != nil {
		msg := fmt.Sprintf("real client %s unavailable: %v (make test installs it as root: .ci/install-clients.sh)", name, tl.err)
		if os.Getenv("COFFER_E2E_REQUIRE_CLIENTS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return tl.Path
}

// findTool locates a client and proves it runs in the clean environment the
// tests give it. Debian's packages in /usr/bin come first: a version
// manager's shim earlier in PATH (pyenv's aws or python3) may lack boto3
// or depend on the user's HOME.
func findTool(name string) tool {
	var candidates []string
	var probe []string
	switch name {
	case "aws":
		candidates, probe = []string{"/usr/bin/aws", "aws"}, []string{"--version"}
	case "python3-boto3":
		candidates, probe = []string{"/usr/bin/python3", "python3"}, []string{"-c", "import boto3, botocore"}
	case "rclone":
		candidates, probe = []string{"/usr/bin/rclone", "rclone"}, []string{"version"}
	case "s3cmd":
		candidates, probe = []string{"/usr/bin/s3cmd", "s3cmd"}, []string{"--version"}
	case "curl":
		candidates, probe = []string{"/usr/bin/curl", "curl"}, []string{"--version"}
	default:
		return tool{err: fmt.Errorf("unknown client %q", name)}
	}
	// COFFER_E2E_AWS or COFFER_E2E_PYTHON pick another build, such as a
	// newer AWS CLI or botocore that sends checksums in trailers.
	override := map[string]string{"aws": "COFFER_E2E_AWS", "python3-boto3": "COFFER_E2E_PYTHON"}[name]
	if p := os.Getenv(override); override != "" && p != "" {
		candidates = []string{p}
	}
	home, err := os.MkdirTemp("", "coffer-e2e-probe-")
	if err != nil {
		return tool{err: err}
	}
	defer os.RemoveAll(home)
	var problems []string
	for _, c := range candidates {
		path, err := exec.LookPath(c)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: not found", c))
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, path, probe...)
		cmd.Env = cleanEnv(home)
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s %s: %v: %s", path, strings.Join(probe, " "), err, firstLine(out)))
			continue
		}
		return tool{Path: path}
	}
	return tool{err: fmt.Errorf("%s", strings.Join(problems, "; "))}
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[… %d lines]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(bytes.TrimSpace(b), []byte("\n"))
	return string(line)
}

// cleanEnv is the environment every client runs in: nothing from the
// developer's AWS, rclone or s3cmd setup leaks in (no profiles, no
// AWS_CA_BUNDLE — which stops rclone's S3 client from starting — no proxy).
func cleanEnv(home string) []string {
	env := []string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"LANG=C.UTF-8",
		"LC_ALL=C.UTF-8",
		"TMPDIR=" + home,
		"NO_PROXY=*",
		"no_proxy=*",
		"PYTHONDONTWRITEBYTECODE=1",
		"PYTHONIOENCODING=utf-8",
	}
	// A pyenv shim finds its installation through PYENV_ROOT, else HOME.
	if root := os.Getenv("PYENV_ROOT"); root != "" {
		env = append(env, "PYENV_ROOT="+root)
	} else if h, err := os.UserHomeDir(); err == nil {
		if fi, err := os.Stat(filepath.Join(h, ".pyenv")); err == nil && fi.IsDir() {
			env = append(env, "PYENV_ROOT="+filepath.Join(h, ".pyenv"))
		}
	}
	return env
}

// awsEnv is cleanEnv plus the root credentials and region. The AWS config
// file only forces path-style addressing and SigV4 (AWS CLI v1 presigns
// with SigV2 otherwise); the shared credentials file is empty.
func awsEnv(t *testing.T, home string) []string {
	t.Helper()
	config := filepath.Join(home, "aws-config")
	creds := filepath.Join(home, "aws-credentials")
	writeFile(t, config, []byte("[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n    signature_version = s3v4\n"))
	writeFile(t, creds, nil)
	return append(cleanEnv(home),
		"AWS_ACCESS_KEY_ID="+rootAccessKey,
		"AWS_SECRET_ACCESS_KEY="+rootSecretKey,
		"AWS_DEFAULT_REGION="+region,
		"AWS_REGION="+region,
		"AWS_CONFIG_FILE="+config,
		"AWS_SHARED_CREDENTIALS_FILE="+creds,
		"AWS_EC2_METADATA_DISABLED=true",
		// No retries: a failed or stalled request fails the test instead of
		// being hidden by a retry.
		"AWS_MAX_ATTEMPTS=1",
		"AWS_RETRY_MODE=standard",
		"AWS_PAGER=",
		"AWS_CLI_AUTO_PROMPT=off",
	)
}

// runner runs one client program with a fixed environment.
type runner struct {
	path string
	args []string // prepended to every call
	env  []string
	dir  string
}

// Run runs the program and returns its stdout, failing the test if it does
// not exit 0.
func (r runner) Run(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := r.exec(t, args...)
	if err != nil {
		t.Fatalf("%s: %v\nstdout (end):\n%s\nstderr (end):\n%s", r.cmdline(args), err, lastLines(out, 20), lastLines(errOut, 40))
	}
	return out
}

// Try runs the program and returns stdout, stderr and its exit error.
func (r runner) Try(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return r.exec(t, args...)
}

func (r runner) exec(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.path, append(append([]string{}, r.args...), args...)...)
	cmd.Env = r.env
	cmd.Dir = r.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s (%.1fs)", r.cmdline(args), time.Since(start).Seconds())
	return stdout.String(), stderr.String(), err
}

func (r runner) cmdline(args []string) string {
	return filepath.Base(r.path) + " " + strings.Join(append(append([]string{}, r.args...), args...), " ")
}
