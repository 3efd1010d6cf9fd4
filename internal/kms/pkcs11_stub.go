//go:build !pkcs11

package kms

import "log/slog"

// PKCS11RootKey is a root key held in a PKCS#11 token. This binary was
// built without the pkcs11 build tag, so none can be opened.
type PKCS11RootKey struct{}

var _ RootKey = (*PKCS11RootKey)(nil)

// OpenPKCS11RootKey returns ErrNoPKCS11: this binary was built without
// PKCS#11 support (build with -tags pkcs11 and cgo).
func OpenPKCS11RootKey(module, slot, pin, keyLabel string, opts ...PKCS11Option) (*PKCS11RootKey, error) {
	return nil, ErrNoPKCS11
}

// Seal implements RootKey; it always fails with ErrNoPKCS11.
func (k *PKCS11RootKey) Seal(plaintext, additionalData []byte) ([]byte, error) {
	return nil, ErrNoPKCS11
}

// Open implements RootKey; it always fails with ErrNoPKCS11.
func (k *PKCS11RootKey) Open(sealed, additionalData []byte) ([]byte, error) {
	return nil, ErrNoPKCS11
}

// Close does nothing.
func (k *PKCS11RootKey) Close() error { return nil }

// LogValue implements slog.LogValuer.
func (k *PKCS11RootKey) LogValue() slog.Value { return slog.StringValue("PKCS11RootKey(unsupported)") }
