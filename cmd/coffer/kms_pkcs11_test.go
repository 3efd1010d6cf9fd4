//go:build pkcs11

package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

const (
	pkcs11TokenLabel = "coffer-cmd-test"
	pkcs11PIN        = "1234"
)

// softHSMModule makes a fresh SoftHSM2 token (pkcs11TokenLabel, user PIN
// pkcs11PIN) in a temp dir, points SOFTHSM2_CONF at it and returns the
// module path. Without SoftHSM2 it skips, or fails when
// COFFER_E2E_REQUIRE_CLIENTS=1.
func softHSMModule(t *testing.T) string {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		if os.Getenv("COFFER_E2E_REQUIRE_CLIENTS") == "1" {
			t.Fatal("SoftHSM2 not installed: " + what)
		}
		t.Skip("SoftHSM2 not installed: " + what)
	}
	util, err := exec.LookPath("softhsm2-util")
	if err != nil {
		missing("no softhsm2-util in PATH")
	}
	module := ""
	for _, m := range []string{
		"/usr/lib/softhsm/libsofthsm2.so",
		"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
		"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
		"/usr/lib64/pkcs11/libsofthsm2.so",
		"/usr/local/lib/softhsm/libsofthsm2.so",
	} {
		if _, err := os.Stat(m); err == nil {
			module = m
			break
		}
	}
	if module == "" {
		missing("no libsofthsm2.so")
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	if out, err := exec.Command(util, "--init-token", "--free", "--label", pkcs11TokenLabel,
		"--pin", pkcs11PIN, "--so-pin", "5678").CombinedOutput(); err != nil {
		t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	return module
}

// TestKMSCommandPKCS11RootKey runs `coffer kms --pkcs11-module` in-process
// against a fresh token: the first start creates the root key in the
// token, a restart finds it and decrypts what the first start encrypted,
// and a restart naming a key the token lacks fails instead of creating one.
func TestKMSCommandPKCS11RootKey(t *testing.T) {
	module := softHSMModule(t)
	data := filepath.Join(t.TempDir(), "kms")
	const access, secret = "PKCS11TESTACCESSKEY1", "pkcs11-test-secret-key-0123456789"
	env := map[string]string{
		"COFFER_ROOT_ACCESS_KEY": access,
		"COFFER_ROOT_SECRET_KEY": secret,
		"COFFER_KMS_PKCS11_PIN":  pkcs11PIN,
	}
	args := []string{"kms", "--data", data, "--pkcs11-module", module, "--pkcs11-slot", pkcs11TokenLabel}
	client := func(addr string) *kms.Client {
		return kms.New(kms.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String("http://" + addr),
			Credentials:  credentials.NewStaticCredentialsProvider(access, secret, ""),
			Retryer:      aws.NopRetryer{},
		})
	}
	ctx := t.Context()

	addr, _, stop := startCommand(t, env, args...)
	created, err := client(addr).CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := client(addr).Encrypt(ctx, &kms.EncryptInput{KeyId: created.KeyMetadata.KeyId, Plaintext: []byte("sealed by the token")})
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, "root.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a root key file was written beside the keystore (%v)", err)
	}

	t.Run("restart with a label the token lacks", func(t *testing.T) {
		err := run(context.Background(), append(args, "--pkcs11-key-label", "typo", "--listen", "127.0.0.1:0"),
			&syncBuffer{}, &syncBuffer{}, func(k string) string { return env[k] })
		if err == nil || !strings.Contains(err.Error(), `no AES key labelled "typo"`) {
			t.Fatalf("coffer kms: %v, want the missing key named", err)
		}
	})
	t.Run("restart decrypts", func(t *testing.T) {
		addr, _, _ := startCommand(t, env, args...)
		out, err := client(addr).Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
		if err != nil {
			t.Fatal(err)
		}
		if string(out.Plaintext) != "sealed by the token" {
			t.Fatalf("decrypt after restart: %q", out.Plaintext)
		}
	})
}
