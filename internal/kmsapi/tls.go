package kmsapi

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSConfig is the server side of HTTPS for `coffer kms`: the certificate
// chain and private key from PEM files, TLS 1.2 or later with Go's default
// (AEAD, forward-secret) cipher suites and curves. With clientCAFile, a PEM
// bundle of CA certificates, every client must present a certificate that
// chains to one of them (mutual TLS between storage nodes and the KMS);
// the handshake fails otherwise, before any request is read.
//
// The files are read once; replacing a certificate takes a restart.
func TLSConfig(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("kms: tls: both a certificate and a key file are required")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("kms: tls: certificate %s, key %s: %w", certFile, keyFile, err)
	}
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		// HTTP/1.1 only: the handler, its limits and the benchmarks are
		// built and measured over HTTP/1.1 keep-alive connections.
		NextProtos: []string{"http/1.1"},
	}
	if clientCAFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(clientCAFile)
	if err != nil {
		return nil, fmt.Errorf("kms: tls: client CA bundle: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("kms: tls: client CA bundle %s holds no PEM certificate", clientCAFile)
	}
	cfg.ClientCAs = pool
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	return cfg, nil
}
