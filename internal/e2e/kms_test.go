package e2e

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// kmsProcess is a `coffer kms` process on a loopback port.
type kmsProcess struct {
	t        *testing.T
	bin      string
	DataDir  string
	Addr     string
	Endpoint string
	log      string
	Args     []string // extra flags of every start, such as --audit-log FILE
	Env      []string // extra environment, such as COFFER_KMS_PASSPHRASE
	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error
}

// startKMS starts `coffer kms` on a fresh data dir with the e2e root
// credentials and the extra flags args, and stops it with SIGTERM when the
// test ends.
func startKMS(t *testing.T, args ...string) *kmsProcess {
	t.Helper()
	dir := t.TempDir()
	k := &kmsProcess{t: t, bin: goBuild(t, "./cmd/coffer"), DataDir: filepath.Join(dir, "kms-data"), log: filepath.Join(dir, "kms.log"), Args: args}
	t.Cleanup(func() {
		k.Stop()
		if t.Failed() {
			t.Logf("---- coffer kms log (last lines) ----\n%s", tail(k.log, 60))
		}
	})
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		k.Addr = freeAddr(t)
		k.Endpoint = "http://" + k.Addr
		if err = k.start(); err == nil || !strings.Contains(tail(k.log, 20), "address already in use") {
			break
		}
	}
	if err != nil {
		t.Fatalf("start coffer kms: %v", err)
	}
	return k
}

func (k *kmsProcess) start() error {
	logFile, err := os.OpenFile(k.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(k.bin, append([]string{"kms", "--data", k.DataDir, "--listen", k.Addr}, k.Args...)...)
	cmd.Env = append(withoutPrefix(os.Environ(), "COFFER_"),
		"COFFER_ROOT_ACCESS_KEY="+rootAccessKey,
		"COFFER_ROOT_SECRET_KEY="+rootSecretKey,
	)
	cmd.Env = append(cmd.Env, k.Env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	k.cmd, k.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) {
		k.waitErr = cmd.Wait()
		close(exited)
	}(k.exited)
	client := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-k.exited:
			return fmt.Errorf("coffer kms exited before it was ready (%v):\n%s", k.waitErr, tail(k.log, 20))
		default:
		}
		if resp, err := client.Get(k.Endpoint + "/health/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	_ = cmd.Process.Kill()
	<-k.exited
	return fmt.Errorf("coffer kms not ready after 60s:\n%s", tail(k.log, 20))
}

// Stop sends SIGTERM and fails the test unless the process exits cleanly.
func (k *kmsProcess) Stop() {
	if k.cmd == nil {
		return
	}
	select {
	case <-k.exited:
		return
	default:
	}
	if err := k.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		k.t.Errorf("SIGTERM coffer kms: %v", err)
	}
	select {
	case <-k.exited:
		if k.waitErr != nil {
			k.t.Errorf("coffer kms did not exit cleanly after SIGTERM: %v", k.waitErr)
		}
	case <-time.After(30 * time.Second):
		k.t.Errorf("coffer kms still running 30s after SIGTERM; killing it")
		_ = k.cmd.Process.Kill()
		<-k.exited
	}
}

// Kill ends the process with SIGKILL, as a crash would, and waits for it;
// start brings it back on the same data dir and address.
func (k *kmsProcess) Kill() {
	if k.cmd == nil {
		return
	}
	if err := k.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		k.t.Fatalf("SIGKILL coffer kms: %v", err)
	}
	<-k.exited
}

// withKMS runs the server with --kms k, signing its KMS calls with the
// KMS's administrator credentials (the e2e root credentials) through
// COFFER_KMS_ACCESS_KEY and COFFER_KMS_SECRET_KEY.
func withKMS(k *kmsProcess) serverOption {
	return func(s *server) {
		withFlags("--kms", k.Endpoint)(s)
		withEnv("COFFER_KMS_ACCESS_KEY="+rootAccessKey, "COFFER_KMS_SECRET_KEY="+rootSecretKey)(s)
	}
}

// kmsCLI runs `aws kms …` against k in a clean environment.
func kmsCLI(t *testing.T, k *kmsProcess) runner {
	t.Helper()
	path := need(t, "aws")
	home := t.TempDir()
	args := []string{"--endpoint-url", k.Endpoint, "--cli-read-timeout", "30", "--output", "json", "kms"}
	return runner{path: path, args: args, env: awsEnv(t, home), dir: home}
}

// wantCLIError runs a command that must fail with the AWS error code want
// (or, for a HEAD request, which has no body, the HTTP status as "400").
func wantCLIError(t *testing.T, cli runner, want string, args ...string) {
	t.Helper()
	_, stderr, err := cli.Try(t, args...)
	if err == nil {
		t.Fatalf("%s succeeded, want %s", cli.cmdline(args), want)
	}
	if !strings.Contains(stderr, "("+want+")") {
		t.Fatalf("%s: want %s, got:\n%s", cli.cmdline(args), want, lastLines(stderr, 10))
	}
}

// b64File decodes a base64 blob from the CLI's JSON output into a file
// for fileb:// and returns its path.
func b64File(t *testing.T, dir, name, b64 string) (string, []byte) {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("%s is not base64: %v", name, err)
	}
	path := filepath.Join(dir, name)
	writeFile(t, path, b)
	return path, b
}

type cliKeyMetadata struct {
	KeyMetadata struct {
		KeyId, Arn, KeyState string
		Enabled              bool
	}
}

// TestKMSAWSCLI drives a real `coffer kms` process with the AWS CLI.
func TestKMSAWSCLI(t *testing.T) {
	skipIfShort(t)
	k := startKMS(t)
	cli := kmsCLI(t, k)
	work := t.TempDir()

	var created cliKeyMetadata
	decodeJSON(t, cli.Run(t, "create-key", "--description", "e2e key"), &created)
	keyID := created.KeyMetadata.KeyId
	if keyID == "" || created.KeyMetadata.KeyState != "Enabled" || !strings.HasSuffix(created.KeyMetadata.Arn, ":key/"+keyID) {
		t.Fatalf("create-key: %+v", created)
	}
	cli.Run(t, "create-alias", "--alias-name", "alias/e2e", "--target-key-id", keyID)

	ctxArgs := []string{"--encryption-context", "bucket=photos,key=cat.jpg"}
	var dk struct{ Plaintext, CiphertextBlob, KeyId string }
	decodeJSON(t, cli.Run(t, append([]string{"generate-data-key", "--key-id", "alias/e2e", "--key-spec", "AES_256"}, ctxArgs...)...), &dk)
	ctFile, _ := b64File(t, work, "dk.bin", dk.CiphertextBlob)
	_, plain := b64File(t, work, "dk.plain", dk.Plaintext)
	if len(plain) != 32 {
		t.Fatalf("generate-data-key: %d-byte data key", len(plain))
	}

	t.Run("decrypt with the same context", func(t *testing.T) {
		var out struct{ Plaintext, KeyId string }
		decodeJSON(t, cli.Run(t, append([]string{"decrypt", "--ciphertext-blob", "fileb://" + ctFile}, ctxArgs...)...), &out)
		if got, _ := base64.StdEncoding.DecodeString(out.Plaintext); !bytes.Equal(got, plain) {
			t.Fatal("decrypt returned another data key")
		}
	})
	t.Run("decrypt with another or no context", func(t *testing.T) {
		wantCLIError(t, cli, "InvalidCiphertextException", "decrypt", "--ciphertext-blob", "fileb://"+ctFile, "--encryption-context", "bucket=photos,key=dog.jpg")
		wantCLIError(t, cli, "InvalidCiphertextException", "decrypt", "--ciphertext-blob", "fileb://"+ctFile)
	})

	plainFile := filepath.Join(work, "secret.txt")
	writeFile(t, plainFile, []byte("the launch codes are 0000"))
	var enc struct{ CiphertextBlob string }
	decodeJSON(t, cli.Run(t, "encrypt", "--key-id", "alias/e2e", "--plaintext", "fileb://"+plainFile), &enc)
	encFile, _ := b64File(t, work, "secret.enc", enc.CiphertextBlob)
	decryptsTo := func(t *testing.T, path string, want []byte) {
		t.Helper()
		var out struct{ Plaintext string }
		decodeJSON(t, cli.Run(t, "decrypt", "--ciphertext-blob", "fileb://"+path), &out)
		if got, _ := base64.StdEncoding.DecodeString(out.Plaintext); !bytes.Equal(got, want) {
			t.Fatalf("decrypt of %s: got %q, want %q", filepath.Base(path), got, want)
		}
	}
	t.Run("encrypt decrypt round trip", func(t *testing.T) {
		decryptsTo(t, encFile, []byte("the launch codes are 0000"))
	})
	t.Run("rotate then decrypt an older ciphertext", func(t *testing.T) {
		rotateOnDemand(t, cli, k, keyID)
		if rots := keyRotations(t, cli, k, keyID); len(rots) != 1 || rots[0] != "ON_DEMAND" {
			t.Fatalf("list-key-rotations: %v", rots)
		}
		decryptsTo(t, encFile, []byte("the launch codes are 0000"))
	})
	t.Run("disable and enable", func(t *testing.T) {
		cli.Run(t, "disable-key", "--key-id", keyID)
		wantCLIError(t, cli, "DisabledException", "decrypt", "--ciphertext-blob", "fileb://"+encFile)
		wantCLIError(t, cli, "DisabledException", "generate-data-key", "--key-id", "alias/e2e", "--key-spec", "AES_256")
		cli.Run(t, "enable-key", "--key-id", keyID)
		decryptsTo(t, encFile, []byte("the launch codes are 0000"))
	})
	t.Run("schedule and cancel deletion", func(t *testing.T) {
		var del struct {
			KeyState            string
			PendingWindowInDays int
		}
		decodeJSON(t, cli.Run(t, "schedule-key-deletion", "--key-id", keyID, "--pending-window-in-days", "7"), &del)
		if del.KeyState != "PendingDeletion" || del.PendingWindowInDays != 7 {
			t.Fatalf("schedule-key-deletion: %+v", del)
		}
		var d cliKeyMetadata
		decodeJSON(t, cli.Run(t, "describe-key", "--key-id", "alias/e2e"), &d)
		if d.KeyMetadata.KeyState != "PendingDeletion" {
			t.Fatalf("describe-key: state %s", d.KeyMetadata.KeyState)
		}
		wantCLIError(t, cli, "KMSInvalidStateException", "decrypt", "--ciphertext-blob", "fileb://"+encFile)
		wantCLIError(t, cli, "KMSInvalidStateException", "encrypt", "--key-id", keyID, "--plaintext", "fileb://"+plainFile)
		cli.Run(t, "cancel-key-deletion", "--key-id", keyID)
		decodeJSON(t, cli.Run(t, "describe-key", "--key-id", keyID), &d)
		if d.KeyMetadata.KeyState != "Disabled" {
			t.Fatalf("after cancel-key-deletion: state %s, want Disabled", d.KeyMetadata.KeyState)
		}
		cli.Run(t, "enable-key", "--key-id", keyID)
		decryptsTo(t, encFile, []byte("the launch codes are 0000"))
	})
	t.Run("list-aliases", func(t *testing.T) {
		var out struct {
			Aliases []struct{ AliasName, TargetKeyId string }
		}
		decodeJSON(t, cli.Run(t, "list-aliases"), &out)
		if len(out.Aliases) != 1 || out.Aliases[0].AliasName != "alias/e2e" || out.Aliases[0].TargetKeyId != keyID {
			t.Fatalf("list-aliases: %+v", out.Aliases)
		}
	})
	t.Run("wrong secret key", func(t *testing.T) {
		bad := cli
		bad.env = append(append([]string{}, cli.env...), "AWS_SECRET_ACCESS_KEY=not-the-right-secret-key-0123456789abcd")
		wantCLIError(t, bad, "InvalidSignatureException", "list-keys")
		unknown := cli
		unknown.env = append(append([]string{}, cli.env...), "AWS_ACCESS_KEY_ID=AKIANOBODYHASTHISKEY")
		wantCLIError(t, unknown, "UnrecognizedClientException", "list-keys")
	})
}

// TestKMSRestart checks that keys, aliases and rotations survive stopping
// and restarting the process.
func TestKMSRestart(t *testing.T) {
	skipIfShort(t)
	k := startKMS(t)
	cli := kmsCLI(t, k)
	work := t.TempDir()

	var created cliKeyMetadata
	decodeJSON(t, cli.Run(t, "create-key"), &created)
	keyID := created.KeyMetadata.KeyId
	cli.Run(t, "create-alias", "--alias-name", "alias/survivor", "--target-key-id", keyID)
	plainFile := filepath.Join(work, "p.txt")
	writeFile(t, plainFile, []byte("still here"))
	var enc struct{ CiphertextBlob string }
	decodeJSON(t, cli.Run(t, "encrypt", "--key-id", "alias/survivor", "--plaintext", "fileb://"+plainFile), &enc)
	encFile, _ := b64File(t, work, "p.enc", enc.CiphertextBlob)
	rotateOnDemand(t, cli, k, keyID)

	k.Stop()
	if err := k.start(); err != nil {
		t.Fatalf("restart coffer kms: %v", err)
	}

	var d cliKeyMetadata
	decodeJSON(t, cli.Run(t, "describe-key", "--key-id", "alias/survivor"), &d)
	if d.KeyMetadata.KeyId != keyID || d.KeyMetadata.KeyState != "Enabled" {
		t.Fatalf("after restart, alias/survivor: %+v", d)
	}
	if rots := keyRotations(t, cli, k, keyID); len(rots) != 1 {
		t.Fatalf("after restart, rotations %v, want 1", rots)
	}
	var out struct{ Plaintext string }
	decodeJSON(t, cli.Run(t, "decrypt", "--ciphertext-blob", "fileb://"+encFile), &out)
	if got, _ := base64.StdEncoding.DecodeString(out.Plaintext); string(got) != "still here" {
		t.Fatalf("after restart, decrypt: %q", got)
	}
}

// cliLacks reports whether the AWS CLI failed because it does not know the
// command: Debian 12's aws-cli 2.9 predates rotate-key-on-demand and
// list-key-rotations (2024).
func cliLacks(stderr string) bool {
	return strings.Contains(stderr, "Invalid choice")
}

// rotateOnDemand rotates with the CLI, or with aws-sdk-go-v2 if this CLI
// build predates the command.
func rotateOnDemand(t *testing.T, cli runner, k *kmsProcess, keyID string) {
	t.Helper()
	_, stderr, err := cli.Try(t, "rotate-key-on-demand", "--key-id", keyID)
	switch {
	case err == nil:
		return
	case !cliLacks(stderr):
		t.Fatalf("aws kms rotate-key-on-demand: %v\n%s", err, lastLines(stderr, 10))
	}
	t.Log("this AWS CLI has no rotate-key-on-demand; rotating with aws-sdk-go-v2")
	if _, err := k.sdk().RotateKeyOnDemand(t.Context(), &kms.RotateKeyOnDemandInput{KeyId: aws.String(keyID)}); err != nil {
		t.Fatal(err)
	}
}

// keyRotations returns the rotation types list-key-rotations reports (with
// aws-sdk-go-v2 if this CLI build predates the command).
func keyRotations(t *testing.T, cli runner, k *kmsProcess, keyID string) []string {
	t.Helper()
	var types []string
	stdout, stderr, err := cli.Try(t, "list-key-rotations", "--key-id", keyID)
	switch {
	case err == nil:
		var out struct {
			Rotations []struct{ RotationType string }
		}
		decodeJSON(t, stdout, &out)
		for _, r := range out.Rotations {
			types = append(types, r.RotationType)
		}
	case cliLacks(stderr):
		t.Log("this AWS CLI has no list-key-rotations; listing with aws-sdk-go-v2")
		out, err := k.sdk().ListKeyRotations(t.Context(), &kms.ListKeyRotationsInput{KeyId: aws.String(keyID)})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Rotations {
			types = append(types, string(r.RotationType))
		}
	default:
		t.Fatalf("aws kms list-key-rotations: %v\n%s", err, lastLines(stderr, 10))
	}
	return types
}

// sdk returns an aws-sdk-go-v2 KMS client for k, without retries.
func (k *kmsProcess) sdk() *kms.Client {
	return kms.New(kms.Options{
		Region:       region,
		BaseEndpoint: aws.String(k.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(rootAccessKey, rootSecretKey, ""),
		Retryer:      aws.NopRetryer{},
	})
}

// TestKMSPassphrase checks a KMS whose root key comes from
// COFFER_KMS_PASSPHRASE: it refuses to start with another passphrase and
// keeps its keys with the right one. No root key file is written.
func TestKMSPassphrase(t *testing.T) {
	skipIfShort(t)
	k := startKMS(t)
	k.Stop()
	// startKMS made a keystore under a generated root key file; start over
	// in a fresh data dir with a passphrase.
	k.DataDir = filepath.Join(t.TempDir(), "kms-pass")
	k.Env = []string{"COFFER_KMS_PASSPHRASE=correct horse battery staple"}
	if err := k.start(); err != nil {
		t.Fatal(err)
	}
	cli := kmsCLI(t, k)
	var created cliKeyMetadata
	decodeJSON(t, cli.Run(t, "create-key"), &created)
	if _, err := os.Stat(filepath.Join(k.DataDir, "root.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a root key file was written beside the keystore despite the passphrase (%v)", err)
	}
	k.Stop()

	k.Env = []string{"COFFER_KMS_PASSPHRASE=wrong passphrase"}
	if err := k.start(); err == nil {
		t.Fatal("coffer kms started with the wrong passphrase")
	} else if !strings.Contains(err.Error(), "different root key") {
		t.Fatalf("wrong passphrase: want an error naming the root key mismatch, got: %v", err)
	}
	k.Env = []string{"COFFER_KMS_PASSPHRASE=correct horse battery staple"}
	if err := k.start(); err != nil {
		t.Fatal(err)
	}
	var d cliKeyMetadata
	decodeJSON(t, cli.Run(t, "describe-key", "--key-id", created.KeyMetadata.KeyId), &d)
	if d.KeyMetadata.KeyState != "Enabled" {
		t.Fatalf("after restart: %+v", d)
	}
}
