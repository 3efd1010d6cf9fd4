package kms_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/kms"
	"github.com/coffer-project/coffer/internal/kmsapi"
)

const (
	providerAccessKey = "PROVIDERTESTKEY00001"
	providerSecretKey = "provider-test-secret-0123456789abcdefghij"
	providerRegion    = "eu-central-1"
)

// testKMS is a coffer KMS running in process on loopback.
type testKMS struct {
	srv   *kmsapi.Server
	http  *httptest.Server
	key   kms.KeyMetadata // a customer key, also named alias/sse
	alias string
}

// startKMS runs a coffer KMS in process on loopback with one key.
func startKMS(t *testing.T) *testKMS {
	t.Helper()
	srv, err := kmsapi.NewServer(t.Context(), kmsapi.ServerConfig{
		DataDir: t.TempDir(), Region: providerRegion,
		RootAccessKey: providerAccessKey, RootSecretKey: providerSecretKey,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		_ = srv.Close()
	})
	md, err := srv.Store().CreateKey(t.Context(), kms.CreateKeyInput{Description: "provider test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Store().CreateAlias(t.Context(), "alias/sse", md.KeyID); err != nil {
		t.Fatal(err)
	}
	return &testKMS{srv: srv, http: hs, key: md, alias: "alias/sse"}
}

func newClient(t *testing.T, cfg kms.ClientConfig) *kms.Client {
	t.Helper()
	if cfg.Region == "" {
		cfg.Region = providerRegion
	}
	if cfg.AccessKeyID == "" {
		cfg.AccessKeyID, cfg.SecretAccessKey = providerAccessKey, providerSecretKey
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 1
	}
	c, err := kms.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var providerContext = map[string]string{"aws:s3:arn": "arn:aws:s3:::bucket/key"}

// roundTrip generates a data key under ref and decrypts it again.
func roundTrip(t *testing.T, p kms.Provider, ref string) kms.DataKey {
	t.Helper()
	dk, err := p.GenerateDataKey(t.Context(), ref, providerContext)
	if err != nil {
		t.Fatalf("GenerateDataKey(%s): %v", ref, err)
	}
	if len(dk.Plaintext) != 32 || len(dk.Ciphertext) == 0 {
		t.Fatalf("GenerateDataKey(%s): %d-byte data key, %d-byte ciphertext", ref, len(dk.Plaintext), len(dk.Ciphertext))
	}
	got, err := p.Decrypt(t.Context(), dk.Ciphertext, providerContext)
	if err != nil || !bytes.Equal(got, dk.Plaintext) {
		t.Fatalf("Decrypt: %v (equal %v)", err, bytes.Equal(got, dk.Plaintext))
	}
	return dk
}

// TestClientProvider round-trips data keys through the Provider over the
// wire protocol, checks the key ARN it reports, and that errors arrive as
// the package's sentinels.
func TestClientProvider(t *testing.T) {
	k := startKMS(t)
	var p kms.Provider = newClient(t, kms.ClientConfig{Endpoint: k.http.URL})
	ctx := t.Context()

	for _, ref := range []string{k.key.KeyID, k.key.Arn, k.alias, "arn:aws:kms:" + providerRegion + ":" + k.key.AWSAccountID + ":" + k.alias} {
		t.Run("key ARN for "+ref, func(t *testing.T) {
			dk := roundTrip(t, p, ref)
			if dk.KeyARN != k.key.Arn {
				t.Fatalf("KeyARN = %q, want %q", dk.KeyARN, k.key.Arn)
			}
			_, err := p.Decrypt(ctx, dk.Ciphertext, map[string]string{"aws:s3:arn": "arn:aws:s3:::bucket/other"})
			if !errors.Is(err, kms.ErrInvalidCiphertext) || errors.Is(err, kms.ErrUnavailable) {
				t.Fatalf("Decrypt with another context: %v, want ErrInvalidCiphertext", err)
			}
		})
	}

	tests := []struct {
		name  string
		keyID string
		p     kms.Provider
		want  error
	}{
		{"unknown key", "alias/missing", p, kms.ErrNotFound},
		{"wrong secret", k.key.KeyID, newClient(t, kms.ClientConfig{Endpoint: k.http.URL, AccessKeyID: providerAccessKey,
			SecretAccessKey: "wrong-secret-0123456789abcdefghijklmnop"}), kms.Exception("InvalidSignatureException")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.p.GenerateDataKey(ctx, tt.keyID, providerContext)
			if !errors.Is(err, tt.want) || errors.Is(err, kms.ErrUnavailable) {
				t.Fatalf("got %v, want %v and not ErrUnavailable", err, tt.want)
			}
		})
	}
	if _, err := kms.NewClient(kms.ClientConfig{Endpoint: k.http.URL}); err == nil {
		t.Error("NewClient without region or credentials succeeded")
	}
}

// TestClientUnavailable checks that a KMS that gives no answer is reported
// as ErrUnavailable, and that the caller's own cancellation is not.
func TestClientUnavailable(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the endpoint and the client's HTTP client (nil: the SDK's).
		setup       func(t *testing.T) (string, *http.Client)
		ctx         func(t *testing.T) context.Context
		unavailable bool
		want        error // also wrapped, if not nil
	}{
		{name: "nothing listens on the port", unavailable: true, setup: func(t *testing.T) (string, *http.Client) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			url := "http://" + ln.Addr().String()
			if err := ln.Close(); err != nil {
				t.Fatal(err)
			}
			return url, nil
		}},
		{name: "server stopped", unavailable: true, setup: func(t *testing.T) (string, *http.Client) {
			k := startKMS(t)
			roundTrip(t, newClient(t, kms.ClientConfig{Endpoint: k.http.URL}), k.alias)
			k.http.Close()
			return k.http.URL, nil
		}},
		{name: "server accepts but never answers", unavailable: true, setup: func(t *testing.T) (string, *http.Client) {
			// The kernel completes connections to a listener nobody accepts
			// from; the request then times out.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = ln.Close() })
			return "http://" + ln.Addr().String(), &http.Client{Timeout: 200 * time.Millisecond}
		}},
		{name: "keystore failing: 500 on every attempt", unavailable: true, want: kms.ErrKMSInternal, setup: func(t *testing.T) (string, *http.Client) {
			k := startKMS(t)
			// The HTTP server stays up; every call that reads the keystore
			// fails inside the service.
			if err := k.srv.Close(); err != nil {
				t.Fatal(err)
			}
			return k.http.URL, nil
		}},
		{name: "caller cancelled", want: context.Canceled, setup: func(t *testing.T) (string, *http.Client) {
			return startKMS(t).http.URL, nil
		}, ctx: func(t *testing.T) context.Context {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return ctx
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, hc := tt.setup(t)
			c := newClient(t, kms.ClientConfig{Endpoint: url, HTTPClient: hc, MaxAttempts: 2})
			ctx := t.Context()
			if tt.ctx != nil {
				ctx = tt.ctx(t)
			}
			_, err := c.GenerateDataKey(ctx, "alias/sse", providerContext)
			if err == nil {
				t.Fatal("GenerateDataKey succeeded")
			}
			if errors.Is(err, kms.ErrUnavailable) != tt.unavailable {
				t.Fatalf("GenerateDataKey: %v; ErrUnavailable %v, want %v", err, errors.Is(err, kms.ErrUnavailable), tt.unavailable)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("GenerateDataKey: %v, want it to wrap %v", err, tt.want)
			}
			_, err = c.Decrypt(ctx, foreignCiphertext(), providerContext)
			if errors.Is(err, kms.ErrUnavailable) != tt.unavailable {
				t.Fatalf("Decrypt: %v; ErrUnavailable %v, want %v", err, errors.Is(err, kms.ErrUnavailable), tt.unavailable)
			}
		})
	}
}

// foreignCiphertext is a well-formed ciphertext blob (format version 1)
// naming a key no test KMS has, so Decrypt reaches the keystore.
func foreignCiphertext() []byte {
	b := []byte{kms.CiphertextVersion1}
	b = append(b, bytes.Repeat([]byte{0x42}, 16)...) // key id
	b = append(b, 0, 0, 0, 1)                        // material version
	return append(b, make([]byte, 12+32+16)...)      // nonce, ciphertext, tag
}

// TestClientCreatesManagedKeys uses the managed keys through the Client
// before anyone created them: the first GenerateDataKey creates each, as
// the administrator and as a principal without policies (as the S3 server
// may run), and later calls get the same key.
func TestClientCreatesManagedKeys(t *testing.T) {
	k := startKMS(t)
	node, err := k.srv.Store().CreatePrincipal(t.Context(), "storage-node", "")
	if err != nil {
		t.Fatal(err)
	}
	clients := []struct {
		name string
		p    kms.Provider
	}{
		{"administrator", newClient(t, kms.ClientConfig{Endpoint: k.http.URL})},
		{"principal", newClient(t, kms.ClientConfig{Endpoint: k.http.URL, AccessKeyID: node.AccessKeyID, SecretAccessKey: node.SecretAccessKey})},
	}
	for _, tt := range []struct {
		alias       string
		firstClient int
		description string
	}{
		{kms.AWSManagedS3Alias, 0, "Default key that protects my S3 objects when no other key is defined"},
		{kms.S3OwnedAlias, 1, "Key that protects SSE-S3 objects (S3-owned)"},
	} {
		t.Run(tt.alias, func(t *testing.T) {
			aliases, err := k.srv.Store().ListAliases(t.Context(), "", 0, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range aliases.Aliases {
				if a.AliasName == tt.alias {
					t.Fatalf("%s exists before its first use", tt.alias)
				}
			}
			first := roundTrip(t, clients[tt.firstClient].p, tt.alias)
			md, err := k.srv.Store().DescribeKey(t.Context(), tt.alias)
			if err != nil {
				t.Fatal(err)
			}
			if first.KeyARN != md.Arn || md.KeyManager != kms.KeyManagerAWS || md.Description != tt.description {
				t.Fatalf("KeyARN %s; key %+v", first.KeyARN, md)
			}
			for _, c := range clients {
				if again := roundTrip(t, c.p, tt.alias); again.KeyARN != first.KeyARN {
					t.Fatalf("%s: KeyARN %s, first use %s", c.name, again.KeyARN, first.KeyARN)
				}
			}
		})
	}
	keys, err := k.srv.Store().ListKeys(t.Context(), 0, "")
	if err != nil || len(keys.Keys) != 3 {
		t.Fatalf("ListKeys: %+v, %v; want the customer key and two managed keys", keys, err)
	}
}

// TestDataKeyLogValue logs a data key: the plaintext never appears.
func TestDataKeyLogValue(t *testing.T) {
	dk := kms.DataKey{Plaintext: bytes.Repeat([]byte{0xA5}, 32), Ciphertext: []byte("sealed"), KeyARN: "arn:aws:kms:eu-central-1:111122223333:key/k"}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("data key", "dk", dk)
	out := buf.String()
	if strings.Contains(out, base64.StdEncoding.EncodeToString(dk.Plaintext)) || strings.Contains(out, "a5a5") ||
		!strings.Contains(out, "REDACTED") || !strings.Contains(out, dk.KeyARN) {
		t.Fatalf("log line %s", out)
	}
}
