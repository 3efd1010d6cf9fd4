package main

import (
	"strings"
	"testing"
)

func TestKMSOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts kmsOptions
		want []string // substrings of the error; none: valid
	}{
		{name: "zero value"},
		{name: "https", opts: kmsOptions{TLSCert: "c.pem", TLSKey: "k.pem"}},
		{name: "mtls", opts: kmsOptions{TLSCert: "c.pem", TLSKey: "k.pem", TLSClientCA: "ca.pem"}},
		{name: "certificate without key", opts: kmsOptions{TLSCert: "c.pem"}, want: []string{"--tls-cert and --tls-key"}},
		{name: "client CA alone, reported with the missing key",
			opts: kmsOptions{TLSKey: "k.pem", TLSClientCA: "ca.pem"},
			want: []string{"--tls-cert and --tls-key", "--tls-client-ca needs"}},
		{name: "pkcs11", opts: kmsOptions{Root: rootKeyOptions{PKCS11Module: "m.so", PKCS11PIN: "1234", PKCS11KeyLabel: "k"}}},
		{name: "pkcs11 without PIN or label",
			opts: kmsOptions{Root: rootKeyOptions{PKCS11Module: "m.so"}},
			want: []string{"COFFER_KMS_PKCS11_PIN", "--pkcs11-key-label"}},
		{name: "pkcs11 and passphrase",
			opts: kmsOptions{Root: rootKeyOptions{PKCS11Module: "m.so", PKCS11PIN: "1234", PKCS11KeyLabel: "k", Passphrase: "p"}},
			want: []string{"give one of"}},
		{name: "file and passphrase", opts: kmsOptions{Root: rootKeyOptions{File: "r.key", Passphrase: "p"}}, want: []string{"give one of"}},
		{name: "slot and PIN without module",
			opts: kmsOptions{Root: rootKeyOptions{PKCS11Slot: "0", PKCS11PIN: "1234"}},
			want: []string{"--pkcs11-slot needs", "COFFER_KMS_PKCS11_PIN is set"}},
		{name: "every problem at once",
			opts: kmsOptions{TLSClientCA: "ca.pem", Root: rootKeyOptions{File: "r.key", PKCS11Module: "m.so"}},
			want: []string{"--tls-client-ca needs", "give one of", "COFFER_KMS_PKCS11_PIN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate: nil, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate: %v\nwant it to mention %q", err, w)
				}
			}
		})
	}
}

// TestKMSOptionsFromEnv checks that COFFER_KMS_* variables reach the
// options and that a flawed combination stops `coffer kms` before it
// touches the data dir.
func TestKMSOptionsFromEnv(t *testing.T) {
	data := t.TempDir() + "/kms"
	env := map[string]string{"COFFER_KMS_TLS_CLIENT_CA": "ca.pem", "COFFER_KMS_PKCS11_PIN": "1234"}
	err := run(t.Context(), []string{"kms", "--data", data, "--listen", "127.0.0.1:0"}, &syncBuffer{}, &syncBuffer{},
		func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "--tls-client-ca needs") || !strings.Contains(err.Error(), "COFFER_KMS_PKCS11_PIN is set") {
		t.Fatalf("coffer kms: %v", err)
	}
}

func TestRootKeyOptionsLogValueHidesSecrets(t *testing.T) {
	for _, o := range []rootKeyOptions{
		{Passphrase: "correct horse"},
		{PKCS11Module: "m.so", PKCS11PIN: "98765", PKCS11KeyLabel: "k"},
	} {
		if s := o.LogValue().String(); strings.Contains(s, "correct horse") || strings.Contains(s, "98765") {
			t.Errorf("LogValue leaks a secret: %s", s)
		}
	}
}
