package signed

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAWSCLISignedURLs checks that URLs made by the real `aws cloudfront sign`
// are accepted, and refused once altered. CI installs the Debian awscli
// package; elsewhere the test is skipped.
func TestAWSCLISignedURLs(t *testing.T) {
	aws, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not installed: `aws cloudfront sign` output cannot be checked (install awscli to run this test)")
	}
	dir := t.TempDir()
	key := testKeys()[0]
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	privFile, pubFile := filepath.Join(dir, "key.pem"), filepath.Join(dir, "pub.pem")
	if err := os.WriteFile(privFile, privPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	group, err := LoadKeyGroup("kg1", []KeyFile{{ID: "K2EXAMPLE", PublicKeyFile: pubFile}})
	if err != nil {
		t.Fatal(err)
	}

	sign := func(t *testing.T, url string, extra ...string) string {
		t.Helper()
		args := append([]string{"cloudfront", "sign", "--url", url, "--key-pair-id", "K2EXAMPLE",
			"--private-key", "file://" + privFile, "--date-less-than", "2030-01-01"}, extra...)
		cmd := exec.Command(aws, args...)
		// The user's AWS configuration has no say in signing; keep it out.
		cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE="+filepath.Join(dir, "none"),
			"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"), "AWS_PAGER=")
		out, err := cmd.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, ee.Stderr)
			}
			t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}

	type check struct {
		name    string
		alter   func(string) string // nil: as signed
		ip      string
		now     string
		wantErr error
	}
	tests := []struct {
		name   string
		url    string
		extra  []string
		custom bool
		checks []check
	}{
		{
			name: "canned",
			url:  "https://cdn.example.com/private/a%20b.mp4?x=1&y=2",
			checks: []check{
				{name: "accepted", now: "2029-12-31T23:59:59Z"},
				{name: "expired", now: "2030-01-01T00:00:00Z", wantErr: ErrExpired},
				{name: "altered path", alter: func(u string) string { return strings.Replace(u, "a%20b", "a%20c", 1) }, now: "2029-06-01T00:00:00Z", wantErr: ErrBadSignature},
				{name: "altered query", alter: func(u string) string { return strings.Replace(u, "y=2", "y=3", 1) }, now: "2029-06-01T00:00:00Z", wantErr: ErrBadSignature},
				{name: "altered Expires", alter: func(u string) string { return strings.Replace(u, "Expires=1893456000", "Expires=1924992000", 1) }, now: "2029-06-01T00:00:00Z", wantErr: ErrBadSignature},
				{name: "altered signature", alter: tamperSignature, now: "2029-06-01T00:00:00Z", wantErr: ErrBadSignature},
				{name: "other key ID", alter: func(u string) string { return strings.Replace(u, "K2EXAMPLE", "K3EXAMPLE", 1) }, now: "2029-06-01T00:00:00Z", wantErr: ErrUnknownKey},
			},
		},
		{
			name:   "date-greater-than",
			url:    "https://cdn.example.com/private/movie.mp4",
			extra:  []string{"--date-greater-than", "2029-01-01"},
			custom: true,
			checks: []check{
				{name: "accepted", now: "2029-06-01T00:00:00Z"},
				{name: "not yet valid", now: "2028-12-31T00:00:00Z", wantErr: ErrNotYetValid},
				{name: "expired", now: "2030-01-02T00:00:00Z", wantErr: ErrExpired},
				{name: "altered path", alter: func(u string) string { return strings.Replace(u, "movie", "other", 1) }, now: "2029-06-01T00:00:00Z", wantErr: ErrResourceMismatch},
				{name: "altered signature", alter: tamperSignature, now: "2029-06-01T00:00:00Z", wantErr: ErrBadSignature},
			},
		},
		{
			name:   "ip-address range",
			url:    "https://cdn.example.com/private/movie.mp4",
			extra:  []string{"--ip-address", "192.0.2.0/24"},
			custom: true,
			checks: []check{
				{name: "accepted", ip: "192.0.2.77", now: "2029-06-01T00:00:00Z"},
				{name: "IP outside", ip: "198.51.100.1", now: "2029-06-01T00:00:00Z", wantErr: ErrIPNotAllowed},
				{name: "policy swapped", alter: func(u string) string {
					return swapPolicy(u, customJSON("https://cdn.example.com/private/movie.mp4", 1893456000, 0, ""))
				}, ip: "198.51.100.1", now: "2029-06-01T00:00:00Z", wantErr: ErrBadSignature},
			},
		},
		{
			name:   "ip-address single",
			url:    "https://cdn.example.com/private/movie.mp4",
			extra:  []string{"--ip-address", "192.0.2.9", "--date-greater-than", "2029-01-01"},
			custom: true,
			checks: []check{
				{name: "accepted", ip: "192.0.2.9", now: "2029-06-01T00:00:00Z"},
				{name: "neighbour refused", ip: "192.0.2.10", now: "2029-06-01T00:00:00Z", wantErr: ErrIPNotAllowed},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			signedURL := sign(t, tt.url, tt.extra...)
			if got := strings.Contains(signedURL, "Policy="); got != tt.custom {
				t.Fatalf("custom policy = %v, want %v: %s", got, tt.custom, signedURL)
			}
			for _, c := range tt.checks {
				t.Run(c.name, func(t *testing.T) {
					u := signedURL
					if c.alter != nil {
						u = c.alter(u)
					}
					req := requestFor(t, u)
					req.ClientIP = viewerIP
					if c.ip != "" {
						req.ClientIP = netip.MustParseAddr(c.ip)
					}
					_, err := Verify([]*KeyGroup{group}, req, at(c.now))
					if !errors.Is(err, c.wantErr) || (err != nil && c.wantErr == nil) {
						t.Fatalf("Verify(%s) = %v, want %v", u, err, c.wantErr)
					}
				})
			}
		})
	}
}
