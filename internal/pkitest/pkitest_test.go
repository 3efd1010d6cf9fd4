package pkitest_test

import (
	"crypto/tls"
	"crypto/x509"
	"testing"

	"github.com/coffer-project/coffer/internal/pkitest"
)

func TestServerCertificateNamesItsHosts(t *testing.T) {
	p := pkitest.New(t, "s3.test.local", "*.s3.test.local", "10.1.2.3")
	for _, host := range []string{"127.0.0.1", "::1", "localhost", "s3.test.local", "bucket.s3.test.local", "10.1.2.3"} {
		t.Run(host, func(t *testing.T) {
			_, err := p.Server.TLS.Leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: p.CertPool()})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := p.Server.TLS.Leaf.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: p.CertPool()}); err == nil {
		t.Error("the server certificate is valid for example.com")
	}
	if _, err := p.Client.TLS.Leaf.Verify(x509.VerifyOptions{Roots: p.CertPool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	if _, err := pkitest.New(t).Server.TLS.Leaf.Verify(x509.VerifyOptions{DNSName: "127.0.0.1", Roots: p.CertPool()}); err == nil {
		t.Error("a certificate from another CA verifies")
	}
}

func TestFilesHoldTheSamePairs(t *testing.T) {
	p := pkitest.New(t)
	other := p.IssueServer(t)
	for _, tt := range []struct {
		name string
		c    pkitest.Cert
	}{{"server", p.Server}, {"client", p.Client}, {"another server", other}} {
		t.Run(tt.name, func(t *testing.T) {
			pair, err := tls.LoadX509KeyPair(tt.c.CertFile, tt.c.KeyFile)
			if err != nil {
				t.Fatal(err)
			}
			if !pair.Leaf.Equal(tt.c.TLS.Leaf) {
				t.Error("the files hold another certificate than TLS")
			}
		})
	}
	if other.TLS.Leaf.Equal(p.Server.TLS.Leaf) || other.CertFile == p.Server.CertFile {
		t.Error("IssueServer returned the server certificate")
	}
}

func TestMutualTLSHandshake(t *testing.T) {
	p := pkitest.New(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{p.Server.TLS},
		ClientCAs:    p.CertPool(),
		ClientAuth:   tls.RequireAndVerifyClientCert,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			err = c.(*tls.Conn).Handshake()
			c.Close()
		}
		done <- err
	}()
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: p.CertPool(), Certificates: []tls.Certificate{p.Client.TLS}})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := <-done; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
}
