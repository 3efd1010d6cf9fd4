package signed

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// minRSABits is the smallest RSA key accepted. CloudFront takes 2048-bit RSA
// (or ECDSA P-256) public keys for signed URLs and cookies.
const minRSABits = 2048

// KeyGroup is a trusted key group: the public keys, by CloudFront public key
// ID, whose signatures a cache behaviour accepts.
type KeyGroup struct {
	Name string
	keys map[string]crypto.PublicKey // *rsa.PublicKey or *ecdsa.PublicKey (P-256)
}

// KeyFile names one public key of a key group: its ID and a PEM file.
type KeyFile struct {
	ID            string
	PublicKeyFile string
}

// NewKeyGroup builds a key group from public keys by ID. Each key must be an
// *rsa.PublicKey of at least 2048 bits or an *ecdsa.PublicKey on P-256.
func NewKeyGroup(name string, keys map[string]crypto.PublicKey) (*KeyGroup, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("signed: key group %q: no keys", name)
	}
	g := &KeyGroup{Name: name, keys: make(map[string]crypto.PublicKey, len(keys))}
	for id, k := range keys {
		if id == "" {
			return nil, fmt.Errorf("signed: key group %q: a key has an empty ID", name)
		}
		if err := checkKey(k); err != nil {
			return nil, fmt.Errorf("signed: key group %q: key %s: %w", name, id, err)
		}
		g.keys[id] = k
	}
	return g, nil
}

// LoadKeyGroup reads the PEM public keys of a key group from files. The PEM
// is what CloudFront takes as a public key's EncodedKey ("PUBLIC KEY", as
// from `openssl rsa -pubout`); "RSA PUBLIC KEY" (PKCS #1) is accepted too.
// Every problem is reported, not only the first.
func LoadKeyGroup(name string, files []KeyFile) (*KeyGroup, error) {
	keys := make(map[string]crypto.PublicKey, len(files))
	var errs []error
	for _, f := range files {
		if _, dup := keys[f.ID]; dup {
			errs = append(errs, fmt.Errorf("signed: key group %q: key ID %s appears twice", name, f.ID))
			continue
		}
		pemBytes, err := os.ReadFile(f.PublicKeyFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("signed: key group %q: key %s: %w", name, f.ID, err))
			continue
		}
		k, err := ParsePublicKey(pemBytes)
		if err != nil {
			errs = append(errs, fmt.Errorf("signed: key group %q: key %s: %s: %w", name, f.ID, f.PublicKeyFile, err))
			continue
		}
		keys[f.ID] = k
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return NewKeyGroup(name, keys)
}

// ParsePublicKey parses the first PEM block of pemBytes as an RSA (at least
// 2048 bits) or ECDSA P-256 public key.
func ParsePublicKey(pemBytes []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var k crypto.PublicKey
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		k, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		k, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("PEM block %q is not a public key", block.Type)
	}
	if err != nil {
		return nil, err
	}
	if err := checkKey(k); err != nil {
		return nil, err
	}
	return k, nil
}

func checkKey(k crypto.PublicKey) error {
	switch k := k.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return fmt.Errorf("RSA key of %d bits; at least %d required", k.N.BitLen(), minRSABits)
		}
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return fmt.Errorf("ECDSA key on %s; P-256 required", k.Curve.Params().Name)
		}
	default:
		return fmt.Errorf("unsupported key type %T; RSA or ECDSA P-256 required", k)
	}
	return nil
}
