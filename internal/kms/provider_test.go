package kms_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/coffer-project/coffer/internal/kms"
	"github.com/coffer-project/coffer/internal/kmsapi"
)

const (
	providerAccessKey = "PROVIDERTESTKEY00001"
	providerSecretKey = "provider-test-secret-0123456789abcdefghij"
	providerRegion    = "eu-central-1"
)

// startKMS runs a coffer KMS in process on loopback and returns its URL
// and a key id.
func startKMS(t *testing.T) (url, keyID string) {
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
	return hs.URL, md.KeyID
}

func newClient(t *testing.T, url, secret string) *kms.Client {
	t.Helper()
	c, err := kms.NewClient(kms.ClientConfig{Endpoint: url, Region: providerRegion,
		AccessKeyID: providerAccessKey, SecretAccessKey: secret, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestClientProvider round-trips data keys through the Provider over the
// wire protocol, and checks errors arrive as the package's sentinels.
func TestClientProvider(t *testing.T) {
	url, keyID := startKMS(t)
	var p kms.Provider = newClient(t, url, providerSecretKey)
	ctx := t.Context()
	ec := map[string]string{"aws:s3:arn": "arn:aws:s3:::bucket/key"}

	for _, ref := range []string{keyID, "alias/sse"} {
		plain, sealed, err := p.GenerateDataKey(ctx, ref, ec)
		if err != nil {
			t.Fatalf("GenerateDataKey(%s): %v", ref, err)
		}
		if len(plain) != 32 {
			t.Fatalf("data key of %d bytes", len(plain))
		}
		got, err := p.Decrypt(ctx, sealed, ec)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Decrypt: %v (equal %v)", err, bytes.Equal(got, plain))
		}
		_, err = p.Decrypt(ctx, sealed, map[string]string{"aws:s3:arn": "arn:aws:s3:::bucket/other"})
		if !errors.Is(err, kms.ErrInvalidCiphertext) {
			t.Fatalf("Decrypt with another context: %v, want ErrInvalidCiphertext", err)
		}
	}

	tests := []struct {
		name  string
		keyID string
		p     kms.Provider
		want  error
	}{
		{"unknown key", "alias/missing", p, kms.ErrNotFound},
		{"wrong secret", keyID, newClient(t, url, "wrong-secret-0123456789abcdefghijklmnop"), kms.Exception("InvalidSignatureException")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := tt.p.GenerateDataKey(ctx, tt.keyID, ec)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := kms.NewClient(kms.ClientConfig{Endpoint: url}); err == nil {
		t.Error("NewClient without region or credentials succeeded")
	}
}
