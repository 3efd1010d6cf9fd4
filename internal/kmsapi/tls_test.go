package kmsapi

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI is a throwaway CA with a server certificate for 127.0.0.1 and a
// client certificate, as PEM files in a temp dir.
type testPKI struct {
	dir                           string
	caFile, serverCert, serverKey string
	clientCert, clientKey         string
	ca                            *x509.Certificate
	caKey                         *ecdsa.PrivateKey
	clientPair                    tls.Certificate
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir()}
	p.ca, p.caKey, p.caFile = p.issueCA(t, "ca")
	p.serverCert, p.serverKey = p.issue(t, "server", x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey = p.issue(t, "client", x509.ExtKeyUsageClientAuth)
	var err error
	if p.clientPair, err = tls.LoadX509KeyPair(p.clientCert, p.clientKey); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *testPKI) issueCA(t *testing.T, name string) (*x509.Certificate, *ecdsa.PrivateKey, string) {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "coffer test " + name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(p.dir, name+".pem")
	writePEM(t, path, "CERTIFICATE", der)
	return cert, key, path
}

func (p *testPKI) issue(t *testing.T, name string, usage x509.ExtKeyUsage) (certFile, keyFile string) {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "coffer test " + name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(p.dir, name+".pem"), filepath.Join(p.dir, name+"-key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", keyDER)
	return certFile, keyFile
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

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
func tlsClient(p *testPKI, maxVersion uint16, certs ...tls.Certificate) *http.Client {
	roots := x509.NewCertPool()
	roots.AddCert(p.ca)
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs, MaxVersion: maxVersion},
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
	p := newTestPKI(t)
	cfg, err := TLSConfig(p.serverCert, p.serverKey, "")
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
	p := newTestPKI(t)
	cfg, err := TLSConfig(p.serverCert, p.serverKey, p.caFile)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Fatalf("ClientAuth %v", cfg.ClientAuth)
	}
	url := serveTLS(t, cfg)
	// A client certificate from another CA: the server must reject it.
	otherPKI := newTestPKI(t)
	tests := []struct {
		name    string
		certs   []tls.Certificate
		wantErr bool
	}{
		{name: "certificate from the client CA", certs: []tls.Certificate{p.clientPair}},
		{name: "no certificate", wantErr: true},
		{name: "certificate from another CA", certs: []tls.Certificate{otherPKI.clientPair}, wantErr: true},
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
	p := newTestPKI(t)
	notPEM := filepath.Join(p.dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(p.dir, "missing.pem")
	tests := []struct {
		name                string
		cert, key, clientCA string
		want                string
	}{
		{name: "no key", cert: p.serverCert, want: "both a certificate and a key"},
		{name: "no certificate", key: p.serverKey, want: "both a certificate and a key"},
		{name: "missing certificate file", cert: missing, key: p.serverKey, want: "missing.pem"},
		{name: "key of another certificate", cert: p.serverCert, key: p.clientKey, want: "does not match"},
		{name: "missing client CA bundle", cert: p.serverCert, key: p.serverKey, clientCA: missing, want: "client CA bundle"},
		{name: "client CA bundle without certificates", cert: p.serverCert, key: p.serverKey, clientCA: notPEM, want: "holds no PEM certificate"},
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
