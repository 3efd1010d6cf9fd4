//go:build pkcs11

package kms

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/miekg/pkcs11"
)

// PKCS11RootKey is a root key that lives in a PKCS#11 token (an HSM, or
// SoftHSM2 in tests): an AES-256 secret key found by its label. Seal and
// Open run AES-GCM inside the token (CKM_AES_GCM), so the key itself never
// enters this process. It is safe for concurrent use.
//
// Sealed values have the layout AESRootKey writes (see doc.go):
//
//	sealedVersion1 (1) ‖ GCM IV (12) ‖ ciphertext ‖ 128-bit tag
//
// The IV is 12 random bytes from this process; a token that insists on
// choosing its own IV is honoured and its IV is the one stored.
//
// A PKCS#11 module has process-wide state: while one PKCS11RootKey holds a
// module, opening another on the same module fails. Close releases it.
type PKCS11RootKey struct {
	// For logs and errors only; the PIN is not kept.
	module, token, label string

	ctx  *pkcs11.Ctx
	slot uint
	key  pkcs11.ObjectHandle
	rand io.Reader

	// mu is held shared by every operation and exclusively by Close.
	mu     sync.RWMutex
	closed bool
	// login is the session the user logged in on. It stays open until
	// Close, because closing a token's last session logs the user out.
	login pkcs11.SessionHandle
	// idle holds sessions free for the next operation.
	idle chan pkcs11.SessionHandle
}

var _ RootKey = (*PKCS11RootKey)(nil)

const (
	pkcs11IdleSessions = 8
	pkcs11TagBits      = 8 * tagSize
)

var errPKCS11Closed = errors.New("kms: pkcs11 root key is closed")

// OpenPKCS11RootKey loads the PKCS#11 module (a shared library path),
// logs in to a token as its user with pin, and finds the AES-256 secret key
// labelled keyLabel. slot chooses the token: a decimal slot id, or a token
// label; empty means the only initialized token. With PKCS11CreateKey a
// missing key is generated in the token as a sensitive, non-extractable
// token object usable only to encrypt and decrypt; without it a missing
// key is an error. An existing key must be a sensitive 32-byte AES key
// allowed to encrypt and decrypt. The caller must Close the key.
func OpenPKCS11RootKey(module, slot, pin, keyLabel string, opts ...PKCS11Option) (*PKCS11RootKey, error) {
	create := false
	for _, o := range opts {
		switch o {
		case PKCS11CreateKey:
			create = true
		default:
			return nil, fmt.Errorf("kms: pkcs11: unknown option %d", o)
		}
	}
	if module == "" || keyLabel == "" {
		return nil, errors.New("kms: pkcs11: a module path and a key label are required")
	}
	ctx := pkcs11.New(module)
	if ctx == nil {
		return nil, fmt.Errorf("kms: pkcs11: cannot load module %s", module)
	}
	if err := ctx.Initialize(); err != nil {
		ctx.Destroy()
		if errors.Is(err, pkcs11.Error(pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
			return nil, fmt.Errorf("kms: pkcs11: module %s is already in use in this process: %w", module, err)
		}
		return nil, fmt.Errorf("kms: pkcs11: initialize %s: %w", module, err)
	}
	k := &PKCS11RootKey{
		module: module, label: keyLabel,
		ctx: ctx, rand: rand.Reader,
		idle: make(chan pkcs11.SessionHandle, pkcs11IdleSessions),
	}
	if err := k.open(slot, pin, create); err != nil {
		_ = ctx.Finalize()
		ctx.Destroy()
		return nil, fmt.Errorf("kms: pkcs11: %s: %w", module, err)
	}
	return k, nil
}

// open finds the token, logs in and finds or makes the key. On error the
// caller finalizes the module, which closes any session left open.
func (k *PKCS11RootKey) open(slot, pin string, create bool) error {
	var err error
	if k.slot, k.token, err = findToken(k.ctx, slot); err != nil {
		return err
	}
	// Read-write, so the key can be created as a token object.
	if k.login, err = k.ctx.OpenSession(k.slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION); err != nil {
		return fmt.Errorf("token %q: open session: %w", k.token, err)
	}
	if err := k.ctx.Login(k.login, pkcs11.CKU_USER, pin); err != nil && !errors.Is(err, pkcs11.Error(pkcs11.CKR_USER_ALREADY_LOGGED_IN)) {
		return fmt.Errorf("token %q: log in: %w", k.token, err)
	}
	if k.key, err = findKey(k.ctx, k.login, k.label); err != nil {
		return fmt.Errorf("token %q: %w", k.token, err)
	}
	if k.key == 0 {
		if !create {
			return fmt.Errorf("token %q: no AES key labelled %q (create it explicitly)", k.token, k.label)
		}
		if k.key, err = generateKey(k.ctx, k.login, k.label); err != nil {
			return fmt.Errorf("token %q: generate key %q: %w", k.token, k.label, err)
		}
	}
	if err := checkKey(k.ctx, k.login, k.key); err != nil {
		return fmt.Errorf("token %q: key %q: %w", k.token, k.label, err)
	}
	return nil
}

// findToken picks the slot named by spec: a slot id, a token label, or ""
// for the only initialized token.
func findToken(ctx *pkcs11.Ctx, spec string) (uint, string, error) {
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return 0, "", fmt.Errorf("list slots: %w", err)
	}
	id, idErr := strconv.ParseUint(spec, 10, 64)
	var found []uint
	var labels []string
	for _, s := range slots {
		info, err := ctx.GetTokenInfo(s)
		if err != nil {
			return 0, "", fmt.Errorf("slot %d: token info: %w", s, err)
		}
		if info.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			continue
		}
		label := strings.TrimRight(info.Label, " \x00")
		if spec == "" || (idErr == nil && uint(id) == s) || (idErr != nil && label == spec) {
			found = append(found, s)
			labels = append(labels, label)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], labels[0], nil
	case len(found) == 0 && spec == "":
		return 0, "", errors.New("no initialized token")
	case len(found) == 0:
		return 0, "", fmt.Errorf("no initialized token in slot or labelled %q", spec)
	case spec == "":
		return 0, "", fmt.Errorf("%d initialized tokens (%s); choose one by slot id or label", len(found), strings.Join(labels, ", "))
	default:
		return 0, "", fmt.Errorf("%d tokens labelled %q; choose one by slot id", len(found), spec)
	}
}

// findKey returns the AES secret key labelled label, or 0 if there is none.
func findKey(ctx *pkcs11.Ctx, sh pkcs11.SessionHandle, label string) (pkcs11.ObjectHandle, error) {
	template := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
	}
	if err := ctx.FindObjectsInit(sh, template); err != nil {
		return 0, fmt.Errorf("find key %q: %w", label, err)
	}
	objs, _, err := ctx.FindObjects(sh, 2)
	if ferr := ctx.FindObjectsFinal(sh); err == nil {
		err = ferr
	}
	switch {
	case err != nil:
		return 0, fmt.Errorf("find key %q: %w", label, err)
	case len(objs) > 1:
		return 0, fmt.Errorf("more than one AES key labelled %q", label)
	case len(objs) == 0:
		return 0, nil
	}
	return objs[0], nil
}

// generateKey makes a new AES-256 token key that can only encrypt and
// decrypt, and whose value can never be read or wrapped out of the token.
func generateKey(ctx *pkcs11.Ctx, sh pkcs11.SessionHandle, label string) (pkcs11.ObjectHandle, error) {
	template := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, rootKeySize),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
		pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, true),
		pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, true),
		pkcs11.NewAttribute(pkcs11.CKA_WRAP, false),
		pkcs11.NewAttribute(pkcs11.CKA_UNWRAP, false),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, false),
		pkcs11.NewAttribute(pkcs11.CKA_VERIFY, false),
		pkcs11.NewAttribute(pkcs11.CKA_DERIVE, false),
	}
	return ctx.GenerateKey(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_KEY_GEN, nil)}, template)
}

// checkKey refuses a key that is not 32 bytes, not sensitive, or not
// allowed to encrypt and decrypt.
func checkKey(ctx *pkcs11.Ctx, sh pkcs11.SessionHandle, key pkcs11.ObjectHandle) error {
	attrs, err := ctx.GetAttributeValue(sh, key, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, nil),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, nil),
		pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, nil),
		pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, nil),
	})
	if err != nil {
		return fmt.Errorf("read attributes: %w", err)
	}
	var problems []string
	for _, a := range attrs {
		switch a.Type {
		case pkcs11.CKA_VALUE_LEN:
			if n, ok := nativeUlong(a.Value); !ok || n != rootKeySize {
				problems = append(problems, fmt.Sprintf("not %d bytes long", rootKeySize))
			}
		case pkcs11.CKA_SENSITIVE:
			if !attrTrue(a.Value) {
				problems = append(problems, "not sensitive (its value can be read)")
			}
		case pkcs11.CKA_ENCRYPT:
			if !attrTrue(a.Value) {
				problems = append(problems, "not allowed to encrypt")
			}
		case pkcs11.CKA_DECRYPT:
			if !attrTrue(a.Value) {
				problems = append(problems, "not allowed to decrypt")
			}
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// nativeUlong decodes a CK_ULONG attribute value (native byte order).
func nativeUlong(b []byte) (uint64, bool) {
	switch len(b) {
	case 8:
		return binary.NativeEndian.Uint64(b), true
	case 4:
		return uint64(binary.NativeEndian.Uint32(b)), true
	}
	return 0, false
}

func attrTrue(b []byte) bool { return len(b) == 1 && b[0] != 0 }

// Seal implements RootKey.
func (k *PKCS11RootKey) Seal(plaintext, additionalData []byte) ([]byte, error) {
	iv := make([]byte, nonceSize)
	if _, err := io.ReadFull(k.rand, iv); err != nil {
		return nil, fmt.Errorf("kms: pkcs11 root key: nonce: %w", err)
	}
	var ct []byte
	err := k.withSession(func(sh pkcs11.SessionHandle) error {
		params := pkcs11.NewGCMParams(iv, additionalData, pkcs11TagBits)
		defer params.Free()
		if err := k.ctx.EncryptInit(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}, k.key); err != nil {
			return fmt.Errorf("encrypt init: %w", err)
		}
		var err error
		if ct, err = k.ctx.Encrypt(sh, plaintext); err != nil {
			return fmt.Errorf("encrypt: %w", err)
		}
		if used := params.IV(); !bytes.Equal(used, iv) {
			if len(used) != nonceSize {
				return fmt.Errorf("token used a %d-byte IV", len(used))
			}
			iv = used
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("kms: pkcs11 root key: seal: %w", err)
	}
	if len(ct) != len(plaintext)+tagSize {
		return nil, fmt.Errorf("kms: pkcs11 root key: seal: token returned %d bytes for %d", len(ct), len(plaintext))
	}
	out := make([]byte, 0, sealedOverhead+len(plaintext))
	out = append(out, sealedVersion1)
	out = append(out, iv...)
	return append(out, ct...), nil
}

// Open implements RootKey. A value that fails authentication in the token
// is reported as ErrWrongRootKey; a token or session failure is not.
func (k *PKCS11RootKey) Open(sealed, additionalData []byte) ([]byte, error) {
	if len(sealed) < sealedOverhead || sealed[0] != sealedVersion1 {
		return nil, fmt.Errorf("kms: sealed value malformed: %w", ErrWrongRootKey)
	}
	var plaintext []byte
	var decryptErr error // from C_Decrypt itself, once the operation started
	err := k.withSession(func(sh pkcs11.SessionHandle) error {
		params := pkcs11.NewGCMParams(sealed[1:1+nonceSize], additionalData, pkcs11TagBits)
		defer params.Free()
		if err := k.ctx.DecryptInit(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}, k.key); err != nil {
			return fmt.Errorf("decrypt init: %w", err)
		}
		plaintext, decryptErr = k.ctx.Decrypt(sh, sealed[1+nonceSize:])
		return decryptErr
	})
	switch {
	case isPKCS11AuthFailure(decryptErr):
		return nil, fmt.Errorf("kms: sealed value does not open (token: %v): %w", decryptErr, ErrWrongRootKey)
	case err != nil:
		return nil, fmt.Errorf("kms: pkcs11 root key: open: %w", err)
	}
	return plaintext, nil
}

// isPKCS11AuthFailure reports whether an error of C_Decrypt is how a token
// says a GCM tag did not verify. PKCS#11 3.0 has CKR_AEAD_DECRYPT_FAILED;
// older tokens report the ciphertext invalid, and SoftHSM2 (2.6) reports
// CKR_GENERAL_ERROR, so that code counts too, but only from C_Decrypt
// after C_DecryptInit accepted the key and parameters.
func isPKCS11AuthFailure(err error) bool {
	const ckrAEADDecryptFailed = 0x35 // not among the library's 2.40 constants
	var e pkcs11.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e {
	case pkcs11.CKR_ENCRYPTED_DATA_INVALID, pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE, ckrAEADDecryptFailed, pkcs11.CKR_GENERAL_ERROR:
		return true
	}
	return false
}

// withSession runs f on an idle session, or a new one. A session on which
// f failed is closed instead of reused: a failed call can leave an
// operation active on it.
func (k *PKCS11RootKey) withSession(f func(pkcs11.SessionHandle) error) error {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed {
		return errPKCS11Closed
	}
	var sh pkcs11.SessionHandle
	select {
	case sh = <-k.idle:
	default:
		var err error
		if sh, err = k.ctx.OpenSession(k.slot, pkcs11.CKF_SERIAL_SESSION); err != nil {
			return fmt.Errorf("open session: %w", err)
		}
	}
	if err := f(sh); err != nil {
		_ = k.ctx.CloseSession(sh)
		return err
	}
	select {
	case k.idle <- sh:
	default:
		_ = k.ctx.CloseSession(sh)
	}
	return nil
}

// Close logs out, closes every session and unloads the module. It waits
// for operations in progress; later ones fail. Closing twice is a no-op.
func (k *PKCS11RootKey) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	k.closed = true
	for len(k.idle) > 0 {
		_ = k.ctx.CloseSession(<-k.idle)
	}
	err := k.ctx.Logout(k.login)
	if errors.Is(err, pkcs11.Error(pkcs11.CKR_USER_NOT_LOGGED_IN)) {
		err = nil
	}
	_ = k.ctx.CloseSession(k.login)
	if ferr := k.ctx.Finalize(); err == nil {
		err = ferr
	}
	k.ctx.Destroy()
	if err != nil {
		return fmt.Errorf("kms: pkcs11: close %s: %w", k.module, err)
	}
	return nil
}

// LogValue implements slog.LogValuer. The PIN is not kept, and the key
// cannot leave the token; the rest names where the key lives.
func (k *PKCS11RootKey) LogValue() slog.Value {
	return slog.StringValue(fmt.Sprintf("PKCS11RootKey(module=%s token=%q key=%q)", k.module, k.token, k.label))
}
