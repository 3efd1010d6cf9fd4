package config

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLoadServerPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "coffer.yaml")
	if err := os.WriteFile(file, []byte("data: /from/file\nlisten: 127.0.0.1:1\nregion: eu-west-1\nshutdown_grace: 5s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"COFFER_LISTEN": "127.0.0.1:2", "COFFER_IDLE_TIMEOUT": "7s"}
	c, err := LoadServer(file, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	c.Defaults()
	tests := []struct {
		name, got, want string
	}{
		{"file value kept", c.Data, "/from/file"},
		{"env overrides file", c.Listen, "127.0.0.1:2"},
		{"file region", c.Region, "eu-west-1"},
		{"default log format", c.LogFormat, "json"},
		{"file duration", c.ShutdownGrace.String(), (5 * time.Second).String()},
		{"env duration", c.IdleTimeout.String(), (7 * time.Second).String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestLoadServerRejectsUnknownField(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(file, []byte("dta: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadServer(file, func(string) string { return "" }); err == nil {
		t.Fatal("unknown field accepted")
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Server{Listen: "nonsense", RootAccessKey: "AK", LogLevel: "loud"}
	c.Defaults()
	err := c.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"data:", "listen:", "root credentials", "log_level"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	ok := Server{Data: "/d"}
	ok.Defaults()
	if err := ok.Validate(); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
}

func TestLoadServerEncryptionSettings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "coffer.yaml")
	yaml := `data: /srv/coffer
tls_cert: /etc/coffer/cert.pem
tls_key: /etc/coffer/key.pem
allow_ssec_over_http: true
sse_key_cache_ttl: 90s
kms: https://kms.file:9100
kms_access_key: AKFILE
kms_secret_key: file-secret
kms_ca: /etc/coffer/kms-ca.pem
kms_client_cert: /etc/coffer/client.pem
kms_client_key: /etc/coffer/client-key.pem
kms_data: /srv/coffer-keys
kms_listen: 127.0.0.1:9101
`
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := LoadServer(file, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"COFFER_TLS_CERT": "/env/cert.pem", "COFFER_TLS_KEY": "/env/key.pem",
		"COFFER_ALLOW_SSEC_OVER_HTTP": "false", "COFFER_SSE_KEY_CACHE_TTL": "2m",
		"COFFER_KMS": "https://kms.env:9100", "COFFER_KMS_ACCESS_KEY": "AKENV", "COFFER_KMS_SECRET_KEY": "env-secret",
		"COFFER_KMS_CA": "/env/ca.pem", "COFFER_KMS_CLIENT_CERT": "/env/client.pem", "COFFER_KMS_CLIENT_KEY": "/env/client-key.pem",
		"COFFER_KMS_DATA": "/env/kms", "COFFER_KMS_LISTEN": "127.0.0.1:9102",
	}
	fromEnv, err := LoadServer(file, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, got, want string
	}{
		{"yaml tls_cert", fromFile.TLSCert, "/etc/coffer/cert.pem"},
		{"yaml tls_key", fromFile.TLSKey, "/etc/coffer/key.pem"},
		{"yaml allow_ssec_over_http", strconv.FormatBool(fromFile.AllowSSECOverHTTP), "true"},
		{"yaml sse_key_cache_ttl", fromFile.SSEKeyCacheTTL.String(), "1m30s"},
		{"yaml kms", fromFile.KMS, "https://kms.file:9100"},
		{"yaml kms_access_key", fromFile.KMSAccessKey, "AKFILE"},
		{"yaml kms_secret_key", fromFile.KMSSecretKey, "file-secret"},
		{"yaml kms_ca", fromFile.KMSCA, "/etc/coffer/kms-ca.pem"},
		{"yaml kms_client_cert", fromFile.KMSClientCert, "/etc/coffer/client.pem"},
		{"yaml kms_client_key", fromFile.KMSClientKey, "/etc/coffer/client-key.pem"},
		{"yaml kms_data", fromFile.KMSData, "/srv/coffer-keys"},
		{"yaml kms_listen", fromFile.KMSListen, "127.0.0.1:9101"},
		{"COFFER_TLS_CERT", fromEnv.TLSCert, "/env/cert.pem"},
		{"COFFER_TLS_KEY", fromEnv.TLSKey, "/env/key.pem"},
		{"COFFER_ALLOW_SSEC_OVER_HTTP", strconv.FormatBool(fromEnv.AllowSSECOverHTTP), "false"},
		{"COFFER_SSE_KEY_CACHE_TTL", fromEnv.SSEKeyCacheTTL.String(), "2m0s"},
		{"COFFER_KMS", fromEnv.KMS, "https://kms.env:9100"},
		{"COFFER_KMS_ACCESS_KEY", fromEnv.KMSAccessKey, "AKENV"},
		{"COFFER_KMS_SECRET_KEY", fromEnv.KMSSecretKey, "env-secret"},
		{"COFFER_KMS_CA", fromEnv.KMSCA, "/env/ca.pem"},
		{"COFFER_KMS_CLIENT_CERT", fromEnv.KMSClientCert, "/env/client.pem"},
		{"COFFER_KMS_CLIENT_KEY", fromEnv.KMSClientKey, "/env/client-key.pem"},
		{"COFFER_KMS_DATA", fromEnv.KMSData, "/env/kms"},
		{"COFFER_KMS_LISTEN", fromEnv.KMSListen, "127.0.0.1:9102"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestLoadServerRejectsBadEnvValues(t *testing.T) {
	tests := []struct{ name, value string }{
		{"COFFER_ALLOW_SSEC_OVER_HTTP", "sometimes"},
		{"COFFER_SSE_KEY_CACHE_TTL", "five minutes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadServer("", func(k string) string {
				if k == tt.name {
					return tt.value
				}
				return ""
			})
			if err == nil || !strings.Contains(err.Error(), tt.name) {
				t.Fatalf("err = %v, want one naming %s", err, tt.name)
			}
		})
	}
}

func TestValidateEncryptionSettings(t *testing.T) {
	data := filepath.Join(t.TempDir(), "coffer")
	tests := []struct {
		name string
		edit func(*Server)
		want []string // substrings of the error; none: valid
	}{
		{"embedded KMS by default", func(*Server) {}, nil},
		{"embedded KMS in a sibling dir", func(c *Server) { c.KMSData = data + "-keys"; c.KMSListen = "127.0.0.1:9100" }, nil},
		{"remote KMS over http", func(c *Server) { c.KMS = "http://kms.internal:9100" }, nil},
		{"remote KMS over https with CA and client certificate", func(c *Server) {
			c.KMS, c.KMSCA, c.KMSClientCert, c.KMSClientKey = "https://kms.internal:9100", "ca.pem", "c.pem", "k.pem"
			c.KMSAccessKey, c.KMSSecretKey = "AKNODE", "node-secret"
		}, nil},
		{"TLS with SSE-C over HTTP allowed", func(c *Server) {
			c.TLSCert, c.TLSKey, c.AllowSSECOverHTTP, c.SSEKeyCacheTTL = "c.pem", "k.pem", true, time.Minute
		}, nil},
		{"tls cert without key", func(c *Server) { c.TLSCert = "c.pem" }, []string{"tls_cert, tls_key"}},
		{"tls key without cert", func(c *Server) { c.TLSKey = "k.pem" }, []string{"tls_cert, tls_key"}},
		{"negative key cache TTL", func(c *Server) { c.SSEKeyCacheTTL = -time.Second }, []string{"sse_key_cache_ttl"}},
		{"kms_data is the data dir", func(c *Server) { c.KMSData = data }, []string{"kms_data", "is the data dir"}},
		{"kms_data is the data dir, spelt differently", func(c *Server) { c.KMSData = data + "/./" }, []string{"is the data dir"}},
		{"kms_data inside the data dir", func(c *Server) { c.KMSData = filepath.Join(data, "kms") }, []string{"kms_data", "inside the data dir"}},
		{"kms_data holds the data dir", func(c *Server) { c.KMSData = filepath.Dir(data) }, []string{"kms_data", "holds the data dir"}},
		{"kms_listen not host:port", func(c *Server) { c.KMSListen = "9100" }, []string{"kms_listen"}},
		{"remote-KMS settings without kms", func(c *Server) {
			c.KMSAccessKey, c.KMSSecretKey, c.KMSCA, c.KMSClientCert, c.KMSClientKey = "AK", "secret-key", "ca.pem", "c.pem", "k.pem"
		}, []string{"kms_access_key", "kms_secret_key", "kms_ca:", "kms_client_cert:", "kms_client_key:"}},
		{"embedded-KMS settings with kms", func(c *Server) {
			c.KMS, c.KMSData, c.KMSListen = "https://kms:9100", "/elsewhere", "127.0.0.1:1"
		}, []string{"kms_data: applies to the embedded KMS", "kms_listen: applies to the embedded KMS"}},
		{"kms not a URL", func(c *Server) { c.KMS = "http://[::1" }, []string{"is not a URL"}},
		{"kms not http", func(c *Server) { c.KMS = "kms.internal:9100" }, []string{"not an http:// or https:// URL"}},
		{"kms ftp", func(c *Server) { c.KMS = "ftp://kms.internal" }, []string{"not an http:// or https:// URL"}},
		{"kms without host", func(c *Server) { c.KMS = "https:///path" }, []string{"names no host"}},
		{"kms with credentials", func(c *Server) { c.KMS = "https://ak:sk@kms.internal" }, []string{"must not hold credentials"}},
		{"kms with query", func(c *Server) { c.KMS = "https://kms.internal/?x=1" }, []string{"query or fragment"}},
		{"TLS settings with an http kms", func(c *Server) {
			c.KMS, c.KMSCA, c.KMSClientCert, c.KMSClientKey = "http://kms:9100", "ca.pem", "c.pem", "k.pem"
		}, []string{"kms_ca: needs an https://", "kms_client_cert: needs an https://", "kms_client_key: needs an https://"}},
		{"client cert without key", func(c *Server) { c.KMS, c.KMSClientCert = "https://kms:9100", "c.pem" }, []string{"kms_client_cert, kms_client_key"}},
		{"client key without cert", func(c *Server) { c.KMS, c.KMSClientKey = "https://kms:9100", "k.pem" }, []string{"kms_client_cert, kms_client_key"}},
		{"kms access key without secret", func(c *Server) { c.KMS, c.KMSAccessKey = "https://kms:9100", "AK" }, []string{"COFFER_KMS_ACCESS_KEY and COFFER_KMS_SECRET_KEY"}},
		{"every problem at once", func(c *Server) {
			c.TLSCert, c.SSEKeyCacheTTL = "c.pem", -1
			c.KMS, c.KMSClientKey, c.KMSSecretKey, c.KMSData = "ftp://kms", "k.pem", "secret-key", data
		}, []string{"tls_cert, tls_key", "sse_key_cache_ttl", "not an http:// or https://", "kms_client_cert, kms_client_key", "COFFER_KMS_ACCESS_KEY", "kms_data: applies to the embedded KMS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Server{Data: data}
			tt.edit(&c)
			c.Defaults()
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("valid config rejected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("invalid config accepted")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestDefaultKMSDataIsASibling(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ data, want string }{
		{"/var/lib/coffer", "/var/lib/coffer-kms"},
		{"/var/lib/coffer/", "/var/lib/coffer-kms"},
		{filepath.Join(dir, "data"), filepath.Join(dir, "data-kms")},
	}
	for _, tt := range tests {
		t.Run(tt.data, func(t *testing.T) {
			got := DefaultKMSData(tt.data)
			if got != tt.want {
				t.Errorf("DefaultKMSData(%q) = %q, want %q", tt.data, got, tt.want)
			}
			if err := CheckKMSData(tt.data, got); err != nil {
				t.Errorf("the default is rejected: %v", err)
			}
		})
	}
	t.Run("relative", func(t *testing.T) {
		got := DefaultKMSData(".")
		if !filepath.IsAbs(got) || filepath.Base(got) == ".-kms" || !strings.HasSuffix(got, "-kms") {
			t.Errorf(`DefaultKMSData(".") = %q, want the absolute sibling of the working directory`, got)
		}
	})
}

func TestServerLogValueHidesSecrets(t *testing.T) {
	c := Server{Data: "/d", RootAccessKey: "AKROOT", RootSecretKey: "root-secret-value", KMS: "https://kms:9100",
		KMSAccessKey: "AKNODE", KMSSecretKey: "kms-secret-value"}
	var buf strings.Builder
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "config", c)
	out := buf.String()
	for _, secret := range []string{"root-secret-value", "kms-secret-value"} {
		if strings.Contains(out, secret) {
			t.Errorf("log line holds a secret: %s", out)
		}
	}
	if !strings.Contains(out, "AKNODE") || !strings.Contains(out, "https://kms:9100") {
		t.Errorf("log line lacks the non-secret settings: %s", out)
	}
}

func TestTrustedProxies(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(file, []byte("data: /d\ntrusted_proxies: 10.0.0.0/8, 192.0.2.1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := LoadServer(file, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	fromEnv, err := LoadServer(file, func(k string) string {
		return map[string]string{"COFFER_TRUSTED_PROXIES": "2001:db8::/32"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, proxies, want, wantErr string
	}{
		{"none", "", "[]", ""},
		{"from the file", fromFile.TrustedProxies, "[10.0.0.0/8 192.0.2.1/32]", ""},
		{"env over the file", fromEnv.TrustedProxies, "[2001:db8::/32]", ""},
		{"host bits masked", "10.1.2.3/8", "[10.0.0.0/8]", ""},
		{"IPv6 address", "2001:db8::1", "[2001:db8::1/128]", ""},
		{"IPv4-mapped prefix unmapped", "::ffff:10.0.0.0/104", "[10.0.0.0/8]", ""},
		{"empty entries skipped", " 10.0.0.0/8 ,, ", "[10.0.0.0/8]", ""},
		{"bad entry", "10.0.0.0/8,proxy.local", "", `"proxy.local" is not a CIDR prefix`},
		{"bad bits", "10.0.0.0/33", "", `"10.0.0.0/33"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Server{Data: "/d", TrustedProxies: tt.proxies}
			wantParsed(t, c, func(c *Server) (any, error) { return c.TrustedProxyPrefixes() }, tt.want, tt.wantErr)
		})
	}
	// Every bad entry is reported, with the other problems.
	c := Server{TrustedProxies: "a,10.0.0.0/8,b"}
	c.Defaults()
	err = c.Validate()
	for _, want := range []string{"data:", `"a"`, `"b"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s", err, want)
		}
	}
}

func TestVPCEndpoints(t *testing.T) {
	fromEnv, err := LoadServer("", func(k string) string {
		return map[string]string{"COFFER_DATA": "/d", "COFFER_VPC_ENDPOINTS": "vpce-1a/vpc-9=10.0.0.0/8,192.0.2.7;vpce-2b=2001:db8::/32"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in      []string
		want    string
		wantErr string
	}{
		{"none", nil, "[]", ""},
		{"from the environment", fromEnv.VPCEndpoints, "[{vpce-1a vpc-9 [10.0.0.0/8 192.0.2.7/32]} {vpce-2b  [2001:db8::/32]}]", ""},
		{"no networks", []string{"vpce-1a="}, "", `"vpce-1a=": want one or more CIDR prefixes`},
		{"no =", []string{"vpce-1a"}, "", `want vpce-ID`},
		{"bad id", []string{"endpoint=10.0.0.0/8"}, "", `must start with vpce-`},
		{"bad vpc", []string{"vpce-1/net=10.0.0.0/8"}, "", `must start with vpce-`},
		{"bad prefix", []string{"vpce-1=10.0.0.0/33"}, "", `want one or more CIDR prefixes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Server{Data: "/d", VPCEndpoints: tt.in}
			wantParsed(t, c, func(c *Server) (any, error) { return c.VPCEndpointList() }, tt.want, tt.wantErr)
		})
	}
}

// wantParsed checks one of Server's parsed settings: parse and Validate
// both fail naming wantErr, or both pass and the parsed value prints as
// want.
func wantParsed(t *testing.T, c Server, parse func(*Server) (any, error), want, wantErr string) {
	t.Helper()
	c.Defaults()
	got, err := parse(&c)
	verr := c.Validate()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) || verr == nil || !strings.Contains(verr.Error(), wantErr) {
			t.Errorf("errors %v, %v; want %q", err, verr, wantErr)
		}
		return
	}
	if err != nil || verr != nil {
		t.Fatalf("errors %v, %v", err, verr)
	}
	if s := fmt.Sprint(got); s != want {
		t.Errorf("parsed %s, want %s", s, want)
	}
}

func TestRestoreDurations(t *testing.T) {
	c := Server{Data: "/d", RestoreDurations: []string{"Standard=2s", " Bulk = 1h ", "DeepArchive.Bulk=3h"}}
	c.Defaults()
	got, err := c.RestoreDurationMap()
	if err != nil || c.Validate() != nil {
		t.Fatalf("errors %v, %v", err, c.Validate())
	}
	if fmt.Sprint(got) != "map[Bulk:1h0m0s DeepArchive.Bulk:3h0m0s Standard:2s]" {
		t.Errorf("durations %v", got)
	}
	for _, bad := range []string{"Slow=1h", "Standard", "Standard=soon", "Expedited=-1s"} {
		c := Server{Data: "/d", RestoreDurations: []string{bad}}
		c.Defaults()
		if _, err := c.RestoreDurationMap(); err == nil || c.Validate() == nil || !strings.Contains(c.Validate().Error(), "restore_durations") {
			t.Errorf("%q: accepted (%v)", bad, err)
		}
	}
}
