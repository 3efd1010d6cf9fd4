package kms

import "errors"

// PKCS11Option changes how OpenPKCS11RootKey finds its key.
type PKCS11Option int

const (
	// PKCS11CreateKey makes OpenPKCS11RootKey generate the AES-256 key
	// inside the token (sensitive, non-extractable) when no key has the
	// label yet. Without it a missing key is an error, so a typo in a
	// label cannot silently start a new, empty root of trust.
	PKCS11CreateKey PKCS11Option = iota + 1
)

// ErrNoPKCS11 is returned by OpenPKCS11RootKey in a binary built without
// the pkcs11 build tag.
var ErrNoPKCS11 = errors.New("kms: coffer was built without PKCS#11 support; rebuild with -tags pkcs11")
