// Package pkitest makes throwaway certificates for tests of TLS and mutual
// TLS: a certificate authority, a server certificate and a client
// certificate it issued, in memory and as PEM files. It is imported only by
// tests.
package pkitest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// validity is how long certificates are valid either side of their
// issuing: long enough for any test, short enough to be useless after it.
const validity = time.Hour

// PKI is a certificate authority and the certificates it issued.
type PKI struct {
	// CAFile is the CA certificate as PEM, for a client's or a server's
	// trust bundle.
	CAFile string
	// Server is for 127.0.0.1, ::1, localhost and the hosts given to New.
	Server Cert
	// Client is for client authentication.
	Client Cert

	ca    *x509.Certificate
	caKey *ecdsa.PrivateKey
	hosts []string
}

// Cert is a certificate and its key.
type Cert struct {
	// CertFile and KeyFile hold the certificate and its PKCS #8 key as PEM.
	CertFile, KeyFile string
	// TLS is the same pair, with Leaf set.
	TLS tls.Certificate
}

// New makes a CA and issues the server and the client certificate, written
// to t.TempDir(). hosts are DNS names (wildcards allowed) or IP addresses
// the server certificate names besides the loopback ones.
func New(t testing.TB, hosts ...string) *PKI {
	t.Helper()
	p := &PKI{caKey: newKey(t), hosts: hosts}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: "coffer test CA"},
		NotBefore:             time.Now().Add(-validity),
		NotAfter:              time.Now().Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &p.caKey.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	if p.ca, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p.CAFile = filepath.Join(dir, "ca.pem")
	writePEM(t, p.CAFile, "CERTIFICATE", der)
	p.Server = p.issue(t, dir, "server", x509.ExtKeyUsageServerAuth)
	p.Client = p.issue(t, dir, "client", x509.ExtKeyUsageClientAuth)
	return p
}

// CertPool returns a new pool trusting the CA.
func (p *PKI) CertPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.ca)
	return pool
}

// IssueServer issues another server certificate for the same hosts as
// p.Server, with a new key, written to t.TempDir().
func (p *PKI) IssueServer(t testing.TB) Cert {
	t.Helper()
	return p.issue(t, t.TempDir(), "server", x509.ExtKeyUsageServerAuth)
}

func (p *PKI) issue(t testing.TB, dir, name string, usage x509.ExtKeyUsage) Cert {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      pkix.Name{CommonName: "coffer test " + name},
		NotBefore:    time.Now().Add(-validity),
		NotAfter:     time.Now().Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	if usage == x509.ExtKeyUsageServerAuth {
		for _, h := range p.hosts {
			if ip := net.ParseIP(h); ip != nil {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			} else {
				tmpl.DNSNames = append(tmpl.DNSNames, h)
			}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c := Cert{
		CertFile: filepath.Join(dir, name+".pem"),
		KeyFile:  filepath.Join(dir, name+"-key.pem"),
		TLS:      tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
	}
	writePEM(t, c.CertFile, "CERTIFICATE", der)
	writePEM(t, c.KeyFile, "PRIVATE KEY", keyDER)
	return c
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// serial is random so that no two certificates a test sees share one.
func serial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
