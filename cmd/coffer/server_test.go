package main

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/coffer-project/coffer/internal/pkitest"
)

// testTLS returns a server certificate for 127.0.0.1 and its key as PEM
// files, and a client trusting the CA that issued it.
func testTLS(t *testing.T) (certFile, keyFile string, client *http.Client) {
	t.Helper()
	pki := pkitest.New(t)
	client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.CertPool()}}}
	return pki.Server.CertFile, pki.Server.KeyFile, client
}

func newS3(endpoint, access, secret string, hc *http.Client) *s3.Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true, HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider(access, secret, ""), RetryMaxAttempts: 1,
	})
}

// putGet creates bucket and round-trips an object through c.
func putGet(t *testing.T, c *s3.Client, bucket string) (*s3.GetObjectOutput, error) {
	t.Helper()
	if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return nil, err
	}
	body := []byte("coffer keeps this encrypted at rest")
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: bytes.NewReader(body)}); err != nil {
		return nil, err
	}
	out, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	got, err := io.ReadAll(out.Body)
	if err == nil && !bytes.Equal(got, body) {
		err = errors.New("GET returned other bytes than were PUT")
	}
	return out, err
}

func TestServerConfigFlagsOverEnvOverFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "coffer.yaml")
	yaml := "data: " + filepath.Join(dir, "data") + "\nkms: http://file:9100\nsse_key_cache_ttl: 1m\ntls_cert: file.pem\ntls_key: file-key.pem\ntrusted_proxies: 10.0.0.0/8\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"COFFER_CONFIG": file, "COFFER_KMS": "https://env:9100", "COFFER_KMS_ACCESS_KEY": "AKENV", "COFFER_KMS_SECRET_KEY": "env-secret",
		"COFFER_SSE_KEY_CACHE_TTL": "2m", "COFFER_ALLOW_SSEC_OVER_HTTP": "true", "COFFER_TRUSTED_PROXIES": "172.16.0.0/12",
	}
	cfg, err := serverConfig([]string{"--kms", "https://flag:9100", "--kms-ca", "ca.pem", "--kms-client-cert", "c.pem", "--kms-client-key", "k.pem",
		"--tls-cert", "flag.pem", "--tls-key", "flag-key.pem", "--allow-ssec-over-http=false", "--trusted-proxies", "127.0.0.0/8,::1"}, io.Discard, func(k string) string { return env[k] }, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, got, want string }{
		{"--kms over COFFER_KMS over the file", cfg.KMS, "https://flag:9100"},
		{"--kms-ca", cfg.KMSCA, "ca.pem"},
		{"--kms-client-cert", cfg.KMSClientCert, "c.pem"},
		{"--kms-client-key", cfg.KMSClientKey, "k.pem"},
		{"COFFER_KMS_ACCESS_KEY", cfg.KMSAccessKey, "AKENV"},
		{"--tls-cert over the file", cfg.TLSCert, "flag.pem"},
		{"--tls-key over the file", cfg.TLSKey, "flag-key.pem"},
		{"COFFER_SSE_KEY_CACHE_TTL over the file", cfg.SSEKeyCacheTTL.String(), "2m0s"},
		{"--allow-ssec-over-http=false over COFFER_ALLOW_SSEC_OVER_HTTP", boolString(cfg.AllowSSECOverHTTP), "false"},
		{"--trusted-proxies over COFFER_TRUSTED_PROXIES over the file", cfg.TrustedProxies, "127.0.0.0/8,::1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}

	t.Run("embedded KMS flags", func(t *testing.T) {
		cfg, err := serverConfig([]string{"--data", "/srv/data", "--kms-data", "/srv/keys", "--kms-listen", "127.0.0.1:9200",
			"--sse-key-cache-ttl", "30s", "--allow-ssec-over-http"}, io.Discard, func(string) string { return "" }, false)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.KMSData != "/srv/keys" || cfg.KMSListen != "127.0.0.1:9200" || cfg.SSEKeyCacheTTL != 30*time.Second || !cfg.AllowSSECOverHTTP {
			t.Errorf("config %+v", cfg)
		}
	})
	t.Run("dev takes --trusted-proxies and refuses bad prefixes", func(t *testing.T) {
		cfg, err := serverConfig([]string{"--trusted-proxies", "10.0.0.0/8"}, io.Discard, func(string) string { return "" }, true)
		if err != nil || cfg.TrustedProxies != "10.0.0.0/8" {
			t.Fatalf("trusted_proxies %q, %v", cfg.TrustedProxies, err)
		}
		_, err = serverConfig([]string{"--trusted-proxies", "10.0.0.0/8,lb.internal"}, io.Discard, func(string) string { return "" }, true)
		if err == nil || !strings.Contains(err.Error(), "lb.internal") {
			t.Errorf("bad --trusted-proxies: %v", err)
		}
	})
	t.Run("repeatable --vpc-endpoint and --restore-duration, and bad ones refused", func(t *testing.T) {
		cfg, err := serverConfig([]string{"--data", "/d", "--vpc-endpoint", "vpce-1=10.0.0.0/8", "--vpc-endpoint", "vpce-2/vpc-9=192.0.2.0/24",
			"--restore-duration", "Standard=3s", "--restore-duration", "Bulk=1h"}, io.Discard, func(string) string { return "" }, false)
		if err != nil || strings.Join(cfg.VPCEndpoints, " ") != "vpce-1=10.0.0.0/8 vpce-2/vpc-9=192.0.2.0/24" ||
			strings.Join(cfg.RestoreDurations, " ") != "Standard=3s Bulk=1h" {
			t.Fatalf("vpc_endpoints %q, restore_durations %q, %v", cfg.VPCEndpoints, cfg.RestoreDurations, err)
		}
		for _, bad := range [][]string{{"--vpc-endpoint", "endpoint=10.0.0.0/8"}, {"--restore-duration", "Slow=1h"}} {
			if _, err := serverConfig(append([]string{"--data", "/d"}, bad...), io.Discard, func(string) string { return "" }, false); err == nil {
				t.Errorf("%q accepted", bad)
			}
		}
	})
	t.Run("repeatable --tier and --lifecycle-interval, and bad tiers refused", func(t *testing.T) {
		cfg, err := serverConfig([]string{"--data", "/d", "--tier", "GLACIER=/cold", "--tier", "DEEP_ARCHIVE=/tape",
			"--lifecycle-interval", "90s"}, io.Discard, func(string) string { return "" }, false)
		if err != nil {
			t.Fatal(err)
		}
		tiers, err := cfg.TierMap()
		if err != nil || len(tiers) != 2 || tiers["GLACIER"] != "/cold" || tiers["DEEP_ARCHIVE"] != "/tape" || cfg.LifecycleInterval != 90*time.Second {
			t.Fatalf("tiers %v (%v), lifecycle_interval %s", tiers, err, cfg.LifecycleInterval)
		}
		for _, bad := range [][]string{
			{"--tier", "COLD=/cold"},                              // not a storage class
			{"--tier", "GLACIER"},                                 // no directory
			{"--tier", "GLACIER=/a", "--tier", "GLACIER=/b"},      // a class twice
			{"--tier", "GLACIER=/a", "--tier", "DEEP_ARCHIVE=/a"}, // a directory twice
			{"--lifecycle-interval", "-1s"},
		} {
			if _, err := serverConfig(append([]string{"--data", "/d"}, bad...), io.Discard, func(string) string { return "" }, false); err == nil {
				t.Errorf("%q accepted", bad)
			}
		}
		env := map[string]string{"COFFER_TIERS": "GLACIER=/cold;STANDARD_IA=/ia", "COFFER_LIFECYCLE_CLOCK_OFFSET": "24h"}
		cfg, err = serverConfig([]string{"--data", "/d"}, io.Discard, func(k string) string { return env[k] }, false)
		if tiers, _ := cfg.TierMap(); err != nil || tiers["STANDARD_IA"] != "/ia" || cfg.LifecycleClockOffset != 24*time.Hour {
			t.Errorf("from the environment: tiers %v, clock offset %s, %v", tiers, cfg.LifecycleClockOffset, err)
		}
	})
	t.Run("dev serves its KMS on :9100 by default", func(t *testing.T) {
		cfg, err := serverConfig(nil, io.Discard, func(string) string { return "" }, true)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.KMSListen != ":9100" {
			t.Errorf("dev kms_listen = %q, want :9100", cfg.KMSListen)
		}
	})
	t.Run("every problem at once", func(t *testing.T) {
		_, err := serverConfig([]string{"--data", "/srv/data", "--tls-cert", "c.pem", "--kms", "kms:9100", "--kms-client-cert", "c.pem",
			"--kms-data", "/srv/data/keys"}, io.Discard, func(string) string { return "" }, false)
		if err == nil {
			t.Fatal("invalid configuration accepted")
		}
		for _, want := range []string{"tls_cert, tls_key", "kms:", "kms_client_cert, kms_client_key", "kms_data"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
	})
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestServerServesHTTPS(t *testing.T) {
	cert, key, client := testTLS(t)
	env := map[string]string{"COFFER_ROOT_ACCESS_KEY": "AKIATLSTEST", "COFFER_ROOT_SECRET_KEY": "tls-test-secret"}
	addr, _, stderr, _ := startCommandOver(t, client, "https", env, "server", "--data", filepath.Join(t.TempDir(), "data"),
		"--tls-cert", cert, "--tls-key", key)
	if log := stderr.String(); !strings.Contains(log, `"endpoint":"https://`+addr+`"`) || !strings.Contains(log, `"kms":"https://127.0.0.1:`) {
		t.Errorf("the log does not show https endpoints for S3 and the embedded KMS:\n%s", log)
	}
	out, err := putGet(t, newS3("https://"+addr, "AKIATLSTEST", "tls-test-secret", client), "over-tls")
	if err != nil {
		t.Fatalf("PUT/GET over HTTPS: %v", err)
	}
	if out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Errorf("x-amz-server-side-encryption %q, want AES256", out.ServerSideEncryption)
	}
	// Plain HTTP on the HTTPS port gets no S3 answer.
	resp, err := http.Get("http://" + addr + "/health/ready")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP on the HTTPS port answered %s", resp.Status)
		}
	}
}

func TestDevPrintsHTTPSEndpoints(t *testing.T) {
	cert, key, client := testTLS(t)
	addr, out, _, stop := startCommandOver(t, client, "https", nil, "dev", "--data", filepath.Join(t.TempDir(), "data"),
		"--kms-listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key, "--edge-listen", "off")
	m := regexp.MustCompile(`KMS endpoint: https://(\S+)\n`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("dev output names no KMS endpoint:\n%s", out)
	}
	kmsAddr := m[1]
	resp, err := client.Get("https://" + kmsAddr + "/health/ready")
	if err != nil {
		t.Fatalf("dev's KMS over HTTPS: %v", err)
	}
	resp.Body.Close()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"S3 endpoint:  https://" + addr + "\n", "KMS endpoint: https://" + kmsAddr + "\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dev output lacks %q:\n%s", want, out)
		}
	}
}

// TestServerWithRemoteKMS runs `coffer kms` and `coffer server --kms URL`
// in-process: the server signs its KMS calls with COFFER_KMS_ACCESS_KEY /
// COFFER_KMS_SECRET_KEY, or else with its root credentials.
func TestServerWithRemoteKMS(t *testing.T) {
	kmsAdmin := map[string]string{"COFFER_ROOT_ACCESS_KEY": "AKIAKMSADMIN", "COFFER_ROOT_SECRET_KEY": "kms-admin-secret"}
	kmsAddr, _, _ := startCommand(t, kmsAdmin, "kms", "--data", filepath.Join(t.TempDir(), "kms"))
	root := map[string]string{"COFFER_ROOT_ACCESS_KEY": "AKIAS3ROOT", "COFFER_ROOT_SECRET_KEY": "s3-root-secret"}

	t.Run("with the KMS credentials", func(t *testing.T) {
		env := map[string]string{"COFFER_KMS_ACCESS_KEY": "AKIAKMSADMIN", "COFFER_KMS_SECRET_KEY": "kms-admin-secret"}
		for k, v := range root {
			env[k] = v
		}
		data := filepath.Join(t.TempDir(), "data")
		addr, _, _ := startCommand(t, env, "server", "--data", data, "--kms", "http://"+kmsAddr)
		if _, err := putGet(t, newS3("http://"+addr, "AKIAS3ROOT", "s3-root-secret", nil), "remote"); err != nil {
			t.Fatalf("PUT/GET: %v", err)
		}
		if _, err := os.Stat(data + "-kms"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("an embedded KMS dir was made next to the data although --kms was given (stat: %v)", err)
		}
	})
	t.Run("root credentials by default, which this KMS does not know", func(t *testing.T) {
		addr, _, stderr, _ := startCommandOver(t, http.DefaultClient, "http", root, "server", "--data", filepath.Join(t.TempDir(), "data"), "--kms", "http://"+kmsAddr)
		_, err := putGet(t, newS3("http://"+addr, "AKIAS3ROOT", "s3-root-secret", nil), "refused")
		// The server's own KMS credentials are wrong: an internal error
		// for the client, the KMS's refusal in the server's log.
		if err == nil || !strings.Contains(err.Error(), "InternalError") {
			t.Fatalf("PUT: %v, want InternalError", err)
		}
		if !strings.Contains(stderr.String(), "UnrecognizedClientException") {
			t.Fatalf("the server's log lacks the KMS's refusal:\n%s", stderr)
		}
	})
}

func TestKMSRefusesServerOnlySettings(t *testing.T) {
	env := map[string]string{"COFFER_KMS": "https://kms:9100", "COFFER_KMS_DATA": "/srv/keys", "COFFER_SSE_KEY_CACHE_TTL": "1m"}
	err := run(t.Context(), []string{"kms", "--data", filepath.Join(t.TempDir(), "kms"), "--listen", "127.0.0.1:0"}, io.Discard, io.Discard,
		func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("coffer kms accepted coffer server's settings")
	}
	for _, want := range []string{"kms (COFFER_KMS): does not apply", "kms_data (COFFER_KMS_DATA", "sse_key_cache_ttl: does not apply"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestKMSTakesTLSFromTheConfigFile(t *testing.T) {
	cert, key, client := testTLS(t)
	file := filepath.Join(t.TempDir(), "kms.yaml")
	if err := os.WriteFile(file, []byte("tls_cert: "+cert+"\ntls_key: "+key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	startCommandOver(t, client, "https", nil, "kms", "--data", filepath.Join(t.TempDir(), "kms"), "--config", file)
}
