//go:build !pkcs11

package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/coffer-project/coffer/internal/kms"
)

// TestKMSPKCS11NotBuiltIn checks that a binary built without -tags pkcs11
// refuses --pkcs11-module with kms.ErrNoPKCS11 rather than starting on
// another root key.
func TestKMSPKCS11NotBuiltIn(t *testing.T) {
	data := filepath.Join(t.TempDir(), "kms")
	env := map[string]string{"COFFER_KMS_PKCS11_PIN": "1234"}
	err := run(t.Context(), []string{"kms", "--data", data, "--listen", "127.0.0.1:0", "--pkcs11-module", "/usr/lib/softhsm/libsofthsm2.so"},
		&syncBuffer{}, &syncBuffer{}, func(k string) string { return env[k] })
	if !errors.Is(err, kms.ErrNoPKCS11) {
		t.Fatalf("coffer kms --pkcs11-module: %v, want kms.ErrNoPKCS11", err)
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the data dir was created (%v)", err)
	}
}
