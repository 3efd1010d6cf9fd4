package e2e

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/coffer-project/coffer/internal/pkitest"
)

// httpsClient trusts pki's CA and presents certs, if any.
func httpsClient(pki *pkitest.PKI, certs ...tls.Certificate) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pki.CertPool(), Certificates: certs},
	}}
}

// startKMSTLS starts `coffer kms` with extra arguments on a fresh data dir
// and waits until client, which must be able to reach it over HTTPS, finds
// it ready. The process stops with SIGTERM when the test ends.
func startKMSTLS(t *testing.T, client *http.Client, args ...string) *kmsProcess {
	t.Helper()
	dir := t.TempDir()
	k := &kmsProcess{t: t, bin: goBuild(t, "./cmd/coffer"), DataDir: filepath.Join(dir, "kms-data"), log: filepath.Join(dir, "kms.log")}
	t.Cleanup(func() {
		k.Stop()
		if t.Failed() {
			t.Logf("---- coffer kms log (last lines) ----\n%s", tail(k.log, 60))
		}
	})
	logFile, err := os.OpenFile(k.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	k.Addr = freeAddr(t)
	k.Endpoint = "https://" + k.Addr
	cmd := exec.Command(k.bin, append([]string{"kms", "--data", k.DataDir, "--listen", k.Addr}, args...)...)
	cmd.Env = append(withoutPrefix(os.Environ(), "COFFER_"),
		"COFFER_ROOT_ACCESS_KEY="+rootAccessKey,
		"COFFER_ROOT_SECRET_KEY="+rootSecretKey,
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	k.cmd, k.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) {
		k.waitErr = cmd.Wait()
		close(exited)
	}(k.exited)
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-k.exited:
			t.Fatalf("coffer kms exited before it was ready (%v):\n%s", k.waitErr, tail(k.log, 20))
		default:
		}
		if resp, err := client.Get(k.Endpoint + "/health/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return k
			}
		}
	}
	t.Fatalf("coffer kms not ready over HTTPS after 60s:\n%s", tail(k.log, 20))
	return nil
}

// kmsSDK is an aws-sdk-go-v2 KMS client for k over client.
func kmsSDK(k *kmsProcess, client *http.Client) *kms.Client {
	return kms.New(kms.Options{
		Region:       region,
		BaseEndpoint: aws.String(k.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(rootAccessKey, rootSecretKey, ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   client,
	})
}

// TestKMSHTTPS serves `coffer kms --tls-cert --tls-key` and drives it with
// the AWS CLI trusting the test CA (--ca-bundle); plain HTTP gets nowhere.
func TestKMSHTTPS(t *testing.T) {
	skipIfShort(t)
	pki := pkitest.New(t)
	k := startKMSTLS(t, httpsClient(pki), "--tls-cert", pki.Server.CertFile, "--tls-key", pki.Server.KeyFile)

	t.Run("plain HTTP is refused", func(t *testing.T) {
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + k.Addr + "/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Fatal("plain HTTP to the HTTPS port was served")
			}
		}
	})
	t.Run("a client not trusting the CA is refused", func(t *testing.T) {
		_, err := (&http.Client{Timeout: 10 * time.Second}).Get(k.Endpoint + "/health/ready")
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("GET without the CA: %v, want a certificate error", err)
		}
	})
	t.Run("AWS CLI with --ca-bundle", func(t *testing.T) {
		cli := kmsCLI(t, k)
		cli.args = append([]string{"--ca-bundle", pki.CAFile}, cli.args...)
		work := t.TempDir()
		var created cliKeyMetadata
		decodeJSON(t, cli.Run(t, "create-key", "--description", "over https"), &created)
		if created.KeyMetadata.KeyState != "Enabled" {
			t.Fatalf("create-key: %+v", created)
		}
		plainFile := filepath.Join(work, "p.txt")
		writeFile(t, plainFile, []byte("sent over TLS"))
		var enc struct{ CiphertextBlob string }
		decodeJSON(t, cli.Run(t, "encrypt", "--key-id", created.KeyMetadata.KeyId, "--plaintext", "fileb://"+plainFile), &enc)
		encFile, _ := b64File(t, work, "p.enc", enc.CiphertextBlob)
		var dec struct{ Plaintext string }
		decodeJSON(t, cli.Run(t, "decrypt", "--ciphertext-blob", "fileb://"+encFile), &dec)
		if got, _ := base64.StdEncoding.DecodeString(dec.Plaintext); !bytes.Equal(got, []byte("sent over TLS")) {
			t.Fatalf("decrypt: %q", got)
		}

		plain := cli
		plain.args = append([]string{}, cli.args...)
		for i, a := range plain.args {
			if a == k.Endpoint {
				plain.args[i] = "http://" + k.Addr
			}
		}
		if _, stderr, err := plain.Try(t, "list-keys"); err == nil {
			t.Fatal("aws kms list-keys over plain HTTP to the HTTPS port succeeded")
		} else {
			t.Logf("over plain HTTP: %v %s", err, lastLines(stderr, 3))
		}
	})
}

// TestKMSMutualTLS serves `coffer kms --tls-client-ca`: aws-sdk-go-v2 with
// a client certificate from the CA works; without one the handshake fails.
func TestKMSMutualTLS(t *testing.T) {
	skipIfShort(t)
	pki := pkitest.New(t)
	withCert := httpsClient(pki, pki.Client.TLS)
	k := startKMSTLS(t, withCert, "--tls-cert", pki.Server.CertFile, "--tls-key", pki.Server.KeyFile, "--tls-client-ca", pki.CAFile)
	ctx := t.Context()

	t.Run("with a client certificate", func(t *testing.T) {
		c := kmsSDK(k, withCert)
		created, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
		if err != nil {
			t.Fatal(err)
		}
		dk, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: created.KeyMetadata.KeyId, NumberOfBytes: aws.Int32(32)})
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Plaintext, dk.Plaintext) {
			t.Fatal("decrypt returned another data key")
		}
	})
	t.Run("without a client certificate", func(t *testing.T) {
		_, err := kmsSDK(k, httpsClient(pki)).ListKeys(ctx, &kms.ListKeysInput{})
		if err == nil {
			t.Fatal("ListKeys without a client certificate succeeded")
		}
		// The server rejects the handshake; depending on timing the client
		// sees its "certificate required" alert or a reset connection, but
		// never an HTTP response.
		var sendErr *smithyhttp.RequestSendError
		if !errors.As(err, &sendErr) {
			t.Fatalf("ListKeys without a client certificate: %v, want the request not sent", err)
		}
		t.Logf("without a client certificate: %v", err)
	})
}
