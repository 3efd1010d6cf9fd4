package kms

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"golang.org/x/crypto/argon2"
)

// RootKey seals key material at rest. Implementations: AESRootKey (from a
// key file or a passphrase); an HSM-backed one can follow.
type RootKey interface {
	// Seal encrypts and authenticates plaintext bound to additionalData.
	Seal(plaintext, additionalData []byte) ([]byte, error)
	// Open reverses Seal. It returns an error wrapping ErrWrongRootKey if
	// sealed was not made by this root key with the same additionalData,
	// or was altered.
	Open(sealed, additionalData []byte) ([]byte, error)
}

// Sealed key material format constants. Frozen.
const (
	sealedVersion1  byte = 0x01
	rootKeySize          = 32
	sealedOverhead       = 1 + nonceSize + tagSize
	saltFileVersion      = 1
	saltSize             = 16
)

// AESRootKey is a 256-bit root key sealing with AES-256-GCM and random
// nonces.
type AESRootKey struct {
	aead cipher.AEAD
	rand io.Reader
}

var _ RootKey = (*AESRootKey)(nil)

// NewAESRootKey makes a root key from 32 bytes, which it does not keep
// (the caller may clear them).
func NewAESRootKey(key []byte) (*AESRootKey, error) {
	if len(key) != rootKeySize {
		return nil, fmt.Errorf("kms: root key must be %d bytes, got %d", rootKeySize, len(key))
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	return &AESRootKey{aead: aead, rand: rand.Reader}, nil
}

// Seal implements RootKey.
func (k *AESRootKey) Seal(plaintext, additionalData []byte) ([]byte, error) {
	out := make([]byte, 1+nonceSize, sealedOverhead+len(plaintext))
	out[0] = sealedVersion1
	if _, err := io.ReadFull(k.rand, out[1:]); err != nil {
		return nil, fmt.Errorf("kms: root key: nonce: %w", err)
	}
	return k.aead.Seal(out, out[1:], plaintext, additionalData), nil
}

// Open implements RootKey.
func (k *AESRootKey) Open(sealed, additionalData []byte) ([]byte, error) {
	if len(sealed) < sealedOverhead || sealed[0] != sealedVersion1 {
		return nil, fmt.Errorf("kms: sealed value malformed: %w", ErrWrongRootKey)
	}
	p, err := k.aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], additionalData)
	if err != nil {
		return nil, fmt.Errorf("kms: sealed value does not open: %w", ErrWrongRootKey)
	}
	return p, nil
}

// LogValue implements slog.LogValuer: the key never appears in logs.
func (k *AESRootKey) LogValue() slog.Value { return slog.StringValue("AESRootKey(REDACTED)") }

// LoadRootKeyFile reads a root key file: the base64 encoding of 32 bytes.
func LoadRootKeyFile(path string) (*AESRootKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("kms: root key file: %w", err)
	}
	defer clear(b)
	key := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
	defer clear(key)
	n, err := base64.StdEncoding.Decode(key, bytes.TrimSpace(b))
	if err != nil || n != rootKeySize {
		return nil, fmt.Errorf("kms: root key file %s: want the base64 encoding of %d bytes", path, rootKeySize)
	}
	return NewAESRootKey(key[:n])
}

// GenerateRootKeyFile writes a new random root key file at path (mode
// 0600, fsynced; it must not exist yet) and returns the key. It is for the
// "no root key given" case, which the caller should warn about loudly: a
// key file beside the keystore protects nothing against theft of the disk.
// random nil means crypto/rand.
func GenerateRootKeyFile(path string, random io.Reader) (*AESRootKey, error) {
	if random == nil {
		random = rand.Reader
	}
	key := make([]byte, rootKeySize)
	defer clear(key)
	if _, err := io.ReadFull(random, key); err != nil {
		return nil, fmt.Errorf("kms: generate root key: %w", err)
	}
	text := []byte(base64.StdEncoding.EncodeToString(key) + "\n")
	defer clear(text)
	if err := writeNewFile(path, text); err != nil {
		return nil, fmt.Errorf("kms: generate root key: %w", err)
	}
	return NewAESRootKey(key)
}

// writeNewFile creates path exclusively, writes b, and syncs the file and
// its directory.
func writeNewFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// KDFParams are argon2id's cost parameters. The zero value means the
// defaults (RFC 9106's second recommendation): Time 3, MemoryKiB 65536
// (64 MiB), Threads 4.
type KDFParams struct {
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint8  `json:"threads"`
}

func (p KDFParams) withDefaults() KDFParams {
	if p == (KDFParams{}) {
		return KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}
	}
	return p
}

func (p KDFParams) validate() error {
	if p.Time < 1 || p.Threads < 1 || p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > 4<<20 || p.Time > 100 {
		return fmt.Errorf("kms: argon2id parameters out of range: %+v", p)
	}
	return nil
}

// saltFile is the stored form of a passphrase root key's salt and cost.
type saltFile struct {
	Version int    `json:"version"`
	KDF     string `json:"kdf"`
	Salt    []byte `json:"salt"`
	KDFParams
}

// DerivePassphraseRootKey derives the root key from a passphrase with
// argon2id. The random salt and the cost parameters live in saltPath, a
// small JSON file ({"version":1,"kdf":"argon2id","salt":base64,"time",
// "memory_kib","threads"}) created with params (zero: defaults) and fresh
// salt from random (nil: crypto/rand) the first time; afterwards the stored
// parameters win. A wrong passphrase is not detected here: Open of the
// keystore reports ErrWrongRootKey.
func DerivePassphraseRootKey(passphrase []byte, saltPath string, params KDFParams, random io.Reader) (*AESRootKey, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("kms: empty passphrase")
	}
	sf, err := readSaltFile(saltPath)
	if errors.Is(err, fs.ErrNotExist) {
		sf, err = createSaltFile(saltPath, params.withDefaults(), random)
	}
	if err != nil {
		return nil, err
	}
	key := argon2.IDKey(passphrase, sf.Salt, sf.Time, sf.MemoryKiB, sf.Threads, rootKeySize)
	defer clear(key)
	return NewAESRootKey(key)
}

func readSaltFile(path string) (saltFile, error) {
	var sf saltFile
	b, err := os.ReadFile(path)
	if err != nil {
		return sf, fmt.Errorf("kms: passphrase salt file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sf); err != nil {
		return sf, fmt.Errorf("kms: passphrase salt file %s: %w", path, err)
	}
	if sf.Version != saltFileVersion || sf.KDF != "argon2id" || len(sf.Salt) < saltSize {
		return sf, fmt.Errorf("kms: passphrase salt file %s: unsupported version, kdf or salt", path)
	}
	if err := sf.KDFParams.validate(); err != nil {
		return sf, fmt.Errorf("kms: passphrase salt file %s: %w", path, err)
	}
	return sf, nil
}

func createSaltFile(path string, p KDFParams, random io.Reader) (saltFile, error) {
	if err := p.validate(); err != nil {
		return saltFile{}, err
	}
	if random == nil {
		random = rand.Reader
	}
	sf := saltFile{Version: saltFileVersion, KDF: "argon2id", Salt: make([]byte, saltSize), KDFParams: p}
	if _, err := io.ReadFull(random, sf.Salt); err != nil {
		return saltFile{}, fmt.Errorf("kms: passphrase salt: %w", err)
	}
	b, err := json.Marshal(sf)
	if err != nil {
		return saltFile{}, fmt.Errorf("kms: passphrase salt: %w", err)
	}
	if err := writeNewFile(path, append(b, '\n')); err != nil {
		return saltFile{}, fmt.Errorf("kms: passphrase salt file: %w", err)
	}
	return sf, nil
}
