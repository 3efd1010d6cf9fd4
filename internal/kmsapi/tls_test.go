package kmsapi

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/pkitest"
)

// serveTLS serves a handler answering "ok" with cfg on 127.0.0.1.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	ts.TLS = cfg
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts.URL
}

// tlsClient trusts the test CA and presents certs, if any.
func tlsClient(p *pkitest.PKI, maxVersion uint16, certs ...tls.Certificate) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: p.CertPool(), Certificates: certs, MaxVersion: maxVersion},
	}}
}

func get(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	return err
}

func TestTLSConfigServesHTTPS(t *testing.T) {
	p := pkitest.New(t)
	cfg, err := TLSConfig(p.Server.CertFile, p.Server.KeyFile, "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || cfg.ClientAuth != tls.NoClientCert {
		t.Fatalf("MinVersion %#x, ClientAuth %v", cfg.MinVersion, cfg.ClientAuth)
	}
	url := serveTLS(t, cfg)
	tests := []struct {
		name    string
		client  *http.Client
		wantErr bool
	}{
		{name: "TLS 1.3 client", client: tlsClient(p, 0)},
		{name: "TLS 1.2 client", client: tlsClient(p, tls.VersionTLS12)},
		{name: "TLS 1.1 client refused", client: tlsClient(p, tls.VersionTLS11), wantErr: true},
		{name: "client not trusting the CA", client: &http.Client{Timeout: 10 * time.Second}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := get(tt.client, url); (err != nil) != tt.wantErr {
				t.Fatalf("GET: %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestTLSConfigRequiresClientCertificates(t *testing.T) {
	p := pkitest.New(t)
	cfg, err := TLSConfig(p.Server.CertFile, p.Server.KeyFile, p.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Fatalf("ClientAuth %v", cfg.ClientAuth)
	}
	url := serveTLS(t, cfg)
	// A client certificate from another CA: the server must reject it.
	otherPKI := pkitest.New(t)
	tests := []struct {
		name    string
		certs   []tls.Certificate
		wantErr bool
	}{
		{name: "certificate from the client CA", certs: []tls.Certificate{p.Client.TLS}},
		{name: "no certificate", wantErr: true},
		{name: "certificate from another CA", certs: []tls.Certificate{otherPKI.Client.TLS}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := get(tlsClient(p, 0, tt.certs...), url); (err != nil) != tt.wantErr {
				t.Fatalf("GET: %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestTLSConfigErrors(t *testing.T) {
	p := pkitest.New(t)
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		name                string
		cert, key, clientCA string
		want                string
	}{
		{name: "no key", cert: p.Server.CertFile, want: "both a certificate and a key"},
		{name: "no certificate", key: p.Server.KeyFile, want: "both a certificate and a key"},
		{name: "missing certificate file", cert: missing, key: p.Server.KeyFile, want: "missing.pem"},
		{name: "key of another certificate", cert: p.Server.CertFile, key: p.Client.KeyFile, want: "does not match"},
		{name: "missing client CA bundle", cert: p.Server.CertFile, key: p.Server.KeyFile, clientCA: missing, want: "client CA bundle"},
		{name: "client CA bundle without certificates", cert: p.Server.CertFile, key: p.Server.KeyFile, clientCA: notPEM, want: "holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := TLSConfig(tt.cert, tt.key, tt.clientCA)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("TLSConfig: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
