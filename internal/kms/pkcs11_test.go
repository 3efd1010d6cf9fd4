//go:build pkcs11

package kms

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/pkcs11"
)

const (
	testTokenLabel = "coffer-test"
	testTokenPIN   = "1234"
	testKeyLabel   = "coffer-root"
)

// softHSMModules are where Debian and other distributions put SoftHSM2.
var softHSMModules = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib64/pkcs11/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

// softHSMToken makes a fresh SoftHSM2 token labelled testTokenLabel with
// user PIN testTokenPIN in a temp dir, points SOFTHSM2_CONF at it, and
// returns the module path. Without SoftHSM2 it skips, or fails when
// COFFER_E2E_REQUIRE_CLIENTS=1 (CI).
func softHSMToken(t *testing.T) string {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		msg := fmt.Sprintf("SoftHSM2 not installed (%s); apt-get install softhsm2, or run make test as root", what)
		if os.Getenv("COFFER_E2E_REQUIRE_CLIENTS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	util, err := exec.LookPath("softhsm2-util")
	if err != nil {
		missing("no softhsm2-util in PATH")
	}
	module := ""
	for _, m := range softHSMModules {
		if _, err := os.Stat(m); err == nil {
			module = m
			break
		}
	}
	if module == "" {
		missing("no libsofthsm2.so in " + strings.Join(softHSMModules, ", "))
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	text := "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	out, err := exec.Command(util, "--init-token", "--free", "--label", testTokenLabel,
		"--pin", testTokenPIN, "--so-pin", "5678").CombinedOutput()
	if err != nil {
		t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	return module
}

func openTestPKCS11(t *testing.T, module string, opts ...PKCS11Option) *PKCS11RootKey {
	t.Helper()
	k, err := OpenPKCS11RootKey(module, testTokenLabel, testTokenPIN, testKeyLabel, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k.Close() })
	return k
}

func TestPKCS11RootKeySealOpen(t *testing.T) {
	module := softHSMToken(t)
	k := openTestPKCS11(t, module, PKCS11CreateKey)

	plain := bytes.Repeat([]byte{0x5a}, 32)
	aad := []byte("coffer/kms/material/v1\x00key-1")
	sealed, err := k.Seal(plain, aad)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != sealedOverhead+len(plain) || sealed[0] != sealedVersion1 {
		t.Fatalf("sealed value: %d bytes, version %#x", len(sealed), sealed[0])
	}
	if bytes.Contains(sealed, plain[:8]) {
		t.Fatal("sealed value contains the plaintext")
	}
	again, err := k.Seal(plain, aad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(sealed[1:1+nonceSize], again[1:1+nonceSize]) {
		t.Fatal("two seals share an IV")
	}
	got, err := k.Open(sealed, aad)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, plain) {
		t.Fatalf("Open = %x, want %x", got, plain)
	}

	t.Run("rejects", func(t *testing.T) {
		tests := []struct {
			name   string
			sealed func() []byte
			aad    []byte
		}{
			{"wrong additional data", func() []byte { return sealed }, []byte("coffer/kms/material/v1\x00key-2")},
			{"no additional data", func() []byte { return sealed }, nil},
			{"flipped ciphertext bit", func() []byte { return flip(sealed, 1+nonceSize) }, aad},
			{"flipped tag bit", func() []byte { return flip(sealed, len(sealed)-1) }, aad},
			{"flipped IV bit", func() []byte { return flip(sealed, 1) }, aad},
			{"truncated", func() []byte { return sealed[:len(sealed)-1] }, aad},
			{"too short", func() []byte { return sealed[:sealedOverhead-1] }, aad},
			{"unknown version", func() []byte { b := flip(sealed, 0); b[0] = 0x7f; return b }, aad},
			{"empty", func() []byte { return nil }, aad},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := k.Open(tt.sealed(), tt.aad); !errors.Is(err, ErrWrongRootKey) {
					t.Fatalf("Open = %v, want ErrWrongRootKey", err)
				}
			})
		}
		// A session that saw a failure is dropped; the key keeps working.
		if _, err := k.Open(sealed, aad); err != nil {
			t.Fatalf("Open after failures: %v", err)
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 32)
		for i := range 32 {
			wg.Go(func() {
				p := []byte(fmt.Sprint("material ", i))
				s, err := k.Seal(p, aad)
				if err == nil {
					var o []byte
					if o, err = k.Open(s, aad); err == nil && !bytes.Equal(o, p) {
						err = fmt.Errorf("round trip %d: got %q", i, o)
					}
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("an AES root key cannot open it", func(t *testing.T) {
		if _, err := testRootKey(t, 7).Open(sealed, aad); !errors.Is(err, ErrWrongRootKey) {
			t.Fatalf("AESRootKey.Open = %v, want ErrWrongRootKey", err)
		}
	})

	t.Run("reopened, old seals still open", func(t *testing.T) {
		if err := k.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Seal(plain, aad); err == nil {
			t.Fatal("Seal after Close succeeded")
		}
		// Without the create option: the key generated above must be found.
		k2 := openTestPKCS11(t, module)
		got, err := k2.Open(sealed, aad)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("Open after reopen = %x, want %x", got, plain)
		}
	})
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

func TestPKCS11RootKeyOpenErrors(t *testing.T) {
	module := softHSMToken(t)
	tests := []struct {
		name                   string
		module, slot, pin, key string
		opts                   []PKCS11Option
		want                   string
	}{
		{"missing key without create", module, testTokenLabel, testTokenPIN, "absent", nil, `no AES key labelled "absent"`},
		{"wrong PIN", module, testTokenLabel, "9999", testKeyLabel, []PKCS11Option{PKCS11CreateKey}, "log in"},
		{"unknown token label", module, "no-such-token", testTokenPIN, testKeyLabel, nil, `labelled "no-such-token"`},
		{"unknown slot id", module, "4242", testTokenPIN, testKeyLabel, nil, `"4242"`},
		{"module that does not exist", "/nonexistent/libpkcs11.so", "", testTokenPIN, testKeyLabel, nil, "cannot load module"},
		{"no key label", module, "", testTokenPIN, "", nil, "key label are required"},
		{"unknown option", module, "", testTokenPIN, testKeyLabel, []PKCS11Option{99}, "unknown option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := OpenPKCS11RootKey(tt.module, tt.slot, tt.pin, tt.key, tt.opts...)
			if err == nil {
				_ = k.Close()
				t.Fatal("OpenPKCS11RootKey succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), tt.pin) && tt.pin != "" {
				t.Fatalf("error %q contains the PIN", err)
			}
		})
	}

	t.Run("the only token, by default", func(t *testing.T) {
		k, err := OpenPKCS11RootKey(module, "", testTokenPIN, testKeyLabel, PKCS11CreateKey)
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close()
		if k.token != testTokenLabel {
			t.Fatalf("token = %q, want %q", k.token, testTokenLabel)
		}
		if _, err := OpenPKCS11RootKey(module, "", testTokenPIN, testKeyLabel); err == nil || !strings.Contains(err.Error(), "already in use") {
			t.Fatalf("second open of the module: %v, want already in use", err)
		}
	})
}

func TestPKCS11RootKeyNotLogged(t *testing.T) {
	module := softHSMToken(t)
	k := openTestPKCS11(t, module, PKCS11CreateKey)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("root key", "key", k)
	if !strings.Contains(buf.String(), testKeyLabel) || strings.Contains(buf.String(), testTokenPIN) {
		t.Fatalf("log line %q: want the key label and no PIN", buf.String())
	}
}

// TestPKCS11RootKeyStore runs a keystore on the token: material sealed
// under the HSM key survives closing both and opening them again.
func TestPKCS11RootKeyStore(t *testing.T) {
	module := softHSMToken(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kms.db")
	ec := map[string]string{"bucket": "photos"}

	k := openTestPKCS11(t, module, PKCS11CreateKey)
	s, err := Open(ctx, path, Config{RootKey: k})
	if err != nil {
		t.Fatal(err)
	}
	key, err := s.CreateKey(ctx, CreateKeyInput{Description: "under the HSM"})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := s.Encrypt(ctx, EncryptInput{KeyID: key.KeyID, Plaintext: []byte("secret"), EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}

	k = openTestPKCS11(t, module)
	s, err = Open(ctx, path, Config{RootKey: k})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dec, err := s.Decrypt(ctx, DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	if string(dec.Plaintext) != "secret" || dec.KeyID != key.Arn {
		t.Fatalf("Decrypt = %q under %s, want %q under %s", dec.Plaintext, dec.KeyID, "secret", key.Arn)
	}

	// The same database under a file root key is refused at Open.
	if _, err := Open(ctx, path, Config{RootKey: testRootKey(t, 7)}); !errors.Is(err, ErrWrongRootKey) {
		t.Fatalf("Open with an AES root key = %v, want ErrWrongRootKey", err)
	}
}

// TestPKCS11RootKeyKeyAttributes checks the generated key cannot leave the
// token, and that keys too weak to be a root key are refused.
func TestPKCS11RootKeyKeyAttributes(t *testing.T) {
	module := softHSMToken(t)
	k := openTestPKCS11(t, module, PKCS11CreateKey)

	attrs, err := k.ctx.GetAttributeValue(k.login, k.key, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, nil),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, nil),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range attrs {
		want := a.Type != pkcs11.CKA_EXTRACTABLE
		if attrTrue(a.Value) != want {
			t.Errorf("attribute %#x = %v, want %v", a.Type, a.Value, want)
		}
	}
	if _, err := k.ctx.GetAttributeValue(k.login, k.key, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)}); err == nil {
		t.Fatal("the key's value could be read")
	}

	weak := []struct {
		label string
		size  int
		attrs []*pkcs11.Attribute
		want  string
	}{
		{"short", 16, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true)}, "not 32 bytes"},
		{"readable", 32, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, false)}, "not sensitive"},
		{"no-decrypt", 32, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true), pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, false)}, "not allowed to decrypt"},
	}
	for _, w := range weak {
		template := append([]*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, w.size),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, w.label),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		}, w.attrs...)
		if _, err := k.ctx.GenerateKey(k.login, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_KEY_GEN, nil)}, template); err != nil {
			t.Fatalf("generate %s: %v", w.label, err)
		}
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	for _, w := range weak {
		t.Run(w.label, func(t *testing.T) {
			k, err := OpenPKCS11RootKey(module, testTokenLabel, testTokenPIN, w.label)
			if err == nil {
				_ = k.Close()
				t.Fatal("OpenPKCS11RootKey accepted the key")
			}
			if !strings.Contains(err.Error(), w.want) {
				t.Fatalf("error %q does not contain %q", err, w.want)
			}
		})
	}
}
