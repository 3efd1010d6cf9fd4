// Package config is the typed configuration of coffer's processes: loaded
// from a YAML file, then overridden by COFFER_* environment variables, then
// by command-line flags (applied by cmd/coffer).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/coffer-project/coffer/internal/s3"
)

// Server configures `coffer server`. Zero values mean the documented
// defaults, applied by Defaults.
type Server struct {
	Data   string `yaml:"data"`   // data dir; required (dev: ./coffer-data)
	Listen string `yaml:"listen"` // default ":9000"
	Domain string `yaml:"domain"` // virtual-hosted-style base domain; "" disables
	Region string `yaml:"region"` // default "us-east-1"

	RootAccessKey string `yaml:"root_access_key"` // default: generated and kept in the data dir
	RootSecretKey string `yaml:"root_secret_key"`

	LogLevel  string `yaml:"log_level"`  // debug, info (default), warn, error
	LogFormat string `yaml:"log_format"` // json (default) or text

	// ShutdownGrace is how long in-flight requests may run after SIGTERM.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"` // default 30s
	// ReadHeaderTimeout bounds slow clients sending headers.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"` // default 30s
	// IdleTimeout closes idle keep-alive connections.
	IdleTimeout time.Duration `yaml:"idle_timeout"` // default 120s

	// TLSCert and TLSKey (PEM files, both or neither) serve HTTPS, TLS 1.2
	// or later; "" serves plain HTTP.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// AllowSSECOverHTTP accepts SSE-C keys on plain HTTP requests. For
	// local testing only: the key then crosses the network in clear.
	AllowSSECOverHTTP bool `yaml:"allow_ssec_over_http"`
	// SSEKeyCacheTTL bounds how long a bucket key (S3 Bucket Keys, SSE-S3)
	// is used before the KMS is asked again, and so how long a disabled KMS
	// key keeps working. Default 5m (object.DefaultKeyCacheTTL).
	SSEKeyCacheTTL time.Duration `yaml:"sse_key_cache_ttl"`

	// TrustedProxies is a comma-separated list of CIDR prefixes (or single
	// addresses) of the reverse proxies whose X-Forwarded-For header is
	// believed for aws:SourceIp; "" (the default) believes none.
	TrustedProxies string `yaml:"trusted_proxies"`
	// VPCEndpoints map client networks to VPC endpoint IDs, each
	// "vpce-ID[/vpc-ID]=CIDR[,CIDR…]": a request from one of the networks
	// carries aws:SourceVpce (and aws:SourceVpc, aws:VpcSourceIp) instead
	// of aws:SourceIp, as a request through an S3 VPC endpoint does.
	VPCEndpoints []string `yaml:"vpc_endpoints"`
	// RestoreDurations set how long a restore of an archived object takes,
	// each "TIER=DURATION" with TIER one of Expedited, Standard, Bulk,
	// DeepArchive.Standard, DeepArchive.Bulk (defaults: AWS's upper
	// bounds, 5m, 5h, 12h, 12h, 48h).
	RestoreDurations []string `yaml:"restore_durations"`
	// Tiers put storage classes on blob stores of their own, each
	// "CLASS=DIR" (for example GLACIER=/mnt/cold/coffer); classes without
	// one share DATA/blobs.
	Tiers []string `yaml:"tiers"`
	// WebACL is an AWS WAFv2 web ACL document (JSON) evaluated in front of
	// the S3 API; "" none. IP and regex pattern set references cannot be
	// resolved here (the edge's configuration declares those sets).
	WebACL string `yaml:"web_acl"`
	// LifecycleInterval is how often the lifecycle scanner runs (default
	// 1h).
	LifecycleInterval time.Duration `yaml:"lifecycle_interval"`
	// LifecycleClockOffset makes the lifecycle scanner decide what is due
	// as if it were that much later than it is: for trying rules out (and
	// for tests of a real process) without waiting days. Zero in
	// production. No flag; COFFER_LIFECYCLE_CLOCK_OFFSET.
	LifecycleClockOffset time.Duration `yaml:"lifecycle_clock_offset"`

	// KMS is the URL of a remote `coffer kms` (http:// or https://). ""
	// runs an embedded KMS, keystore in KMSData, for one-host setups.
	KMS string `yaml:"kms"`
	// KMSAccessKey and KMSSecretKey sign the calls to the remote KMS
	// (both or neither; default: the root credentials).
	KMSAccessKey string `yaml:"kms_access_key"`
	KMSSecretKey string `yaml:"kms_secret_key"`
	// KMSCA is a PEM bundle of the CAs that verify the remote KMS's
	// certificate (default: the system's roots). KMSClientCert and
	// KMSClientKey (PEM, both or neither) are the certificate presented to
	// a KMS that requires one (mTLS).
	KMSCA         string `yaml:"kms_ca"`
	KMSClientCert string `yaml:"kms_client_cert"`
	KMSClientKey  string `yaml:"kms_client_key"`
	// KMSData is the embedded KMS's data dir, which must be neither the
	// data dir nor inside it, nor hold it (default: DefaultKMSData(Data)).
	KMSData string `yaml:"kms_data"`
	// KMSListen is where the embedded KMS listens (default 127.0.0.1:0, a
	// loopback port of the system's choosing; coffer dev: :9100).
	KMSListen string `yaml:"kms_listen"`
	// DevEdgeListen is where `coffer dev` serves its edge (default
	// 127.0.0.1:8080; "off" runs none). Not used by `coffer server`.
	DevEdgeListen string `yaml:"dev_edge_listen"`
}

// LogValue keeps the secret keys out of logs.
func (c Server) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("data", c.Data), slog.String("listen", c.Listen), slog.String("domain", c.Domain),
		slog.String("region", c.Region), slog.String("root_access_key", c.RootAccessKey),
		slog.Bool("tls", c.TLSCert != ""), slog.Bool("allow_ssec_over_http", c.AllowSSECOverHTTP),
		slog.Duration("sse_key_cache_ttl", c.SSEKeyCacheTTL), slog.String("trusted_proxies", c.TrustedProxies),
		slog.String("kms", c.KMS), slog.String("kms_access_key", c.KMSAccessKey),
		slog.String("kms_data", c.KMSData), slog.String("kms_listen", c.KMSListen))
}

// DefaultKMSData is the embedded KMS's data dir for the data dir data:
// its sibling with "-kms" appended (/var/lib/coffer → /var/lib/coffer-kms),
// so that a copy of the data dir holds no key material.
func DefaultKMSData(data string) string {
	if abs, err := filepath.Abs(data); err == nil {
		data = abs
	}
	return filepath.Clean(data) + "-kms"
}

// CheckKMSData returns an error if the KMS data dir kmsData is the data dir
// data, inside it, or holds it: a copy of one must not hold the other.
func CheckKMSData(data, kmsData string) error {
	d, err := filepath.Abs(data)
	if err != nil {
		return fmt.Errorf("kms_data: %w", err)
	}
	k, err := filepath.Abs(kmsData)
	if err != nil {
		return fmt.Errorf("kms_data: %w", err)
	}
	switch {
	case d == k:
		return fmt.Errorf("kms_data: %s is the data dir; the keystore must live apart from the data", kmsData)
	case within(k, d):
		return fmt.Errorf("kms_data: %s is inside the data dir %s; the keystore must live apart from the data", kmsData, data)
	case within(d, k):
		return fmt.Errorf("kms_data: %s holds the data dir %s; the keystore must live apart from the data", kmsData, data)
	}
	return nil
}

// within reports whether the clean absolute path p is strictly below dir.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// Defaults fills zero values.
func (c *Server) Defaults() {
	if c.Listen == "" {
		c.Listen = ":9000"
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.LogFormat == "" {
		c.LogFormat = "json"
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = 30 * time.Second
	}
	if c.ReadHeaderTimeout == 0 {
		c.ReadHeaderTimeout = 30 * time.Second
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 120 * time.Second
	}
}

// Validate reports every problem at once.
func (c *Server) Validate() error {
	var errs []error
	if c.Data == "" {
		errs = append(errs, errors.New("data: a data directory is required (--data)"))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen: %q is not host:port", c.Listen))
	}
	if (c.RootAccessKey == "") != (c.RootSecretKey == "") {
		errs = append(errs, errors.New("root credentials: set both COFFER_ROOT_ACCESS_KEY and COFFER_ROOT_SECRET_KEY, or neither"))
	}
	if c.RootAccessKey != "" && (len(c.RootAccessKey) < 3 || len(c.RootAccessKey) > 128) {
		errs = append(errs, errors.New("root_access_key: must be 3 to 128 characters"))
	}
	if c.RootSecretKey != "" && len(c.RootSecretKey) < 8 {
		errs = append(errs, errors.New("root_secret_key: must be at least 8 characters"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level: %q is not debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		errs = append(errs, fmt.Errorf("log_format: %q is not json or text", c.LogFormat))
	}
	if strings.HasPrefix(c.Domain, ".") || strings.Contains(c.Domain, "/") {
		errs = append(errs, fmt.Errorf("domain: %q is not a host name", c.Domain))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("tls_cert, tls_key: give both or neither (--tls-cert, --tls-key)"))
	}
	if c.SSEKeyCacheTTL < 0 {
		errs = append(errs, fmt.Errorf("sse_key_cache_ttl: %s is negative", c.SSEKeyCacheTTL))
	}
	if _, err := c.TrustedProxyPrefixes(); err != nil {
		errs = append(errs, err)
	}
	if _, err := c.VPCEndpointList(); err != nil {
		errs = append(errs, err)
	}
	if _, err := c.RestoreDurationMap(); err != nil {
		errs = append(errs, err)
	}
	if _, err := c.TierMap(); err != nil {
		errs = append(errs, err)
	}
	if c.LifecycleInterval < 0 {
		errs = append(errs, fmt.Errorf("lifecycle_interval: %s is negative", c.LifecycleInterval))
	}
	return errors.Join(append(errs, c.validateKMS()...)...)
}

// TrustedProxyPrefixes parses TrustedProxies. A single address is its own
// prefix (/32, /128); IPv4-mapped IPv6 prefixes become IPv4 ones, as client
// addresses are compared unmapped. The error names every bad entry.
func (c *Server) TrustedProxyPrefixes() ([]netip.Prefix, error) {
	var prefixes []netip.Prefix
	var errs []error
	for _, s := range strings.Split(c.TrustedProxies, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := ParsePrefix(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("trusted_proxies: %w", err))
			continue
		}
		prefixes = append(prefixes, p)
	}
	return prefixes, errors.Join(errs...)
}

// ParsePrefix parses a CIDR prefix or a single address (its own /32 or
// /128), masked; IPv4-mapped IPv6 prefixes become IPv4 ones, as client
// addresses are compared unmapped.
func ParsePrefix(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR prefix or an address", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// RestoreDurationMap parses RestoreDurations by tier. The error names
// every bad entry.
func (c *Server) RestoreDurationMap() (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	var errs []error
	for _, s := range c.RestoreDurations {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		tier, v, _ := strings.Cut(s, "=")
		d, err := time.ParseDuration(strings.TrimSpace(v))
		switch tier = strings.TrimSpace(tier); {
		case tier != "Expedited" && tier != "Standard" && tier != "Bulk" && tier != "DeepArchive.Standard" && tier != "DeepArchive.Bulk":
			errs = append(errs, fmt.Errorf("restore_durations: %q: the tier must be Expedited, Standard, Bulk, DeepArchive.Standard or DeepArchive.Bulk", s))
		case err != nil || d < 0:
			errs = append(errs, fmt.Errorf("restore_durations: %q: want TIER=DURATION, the duration as 90s, 5m, 3h", s))
		default:
			out[tier] = d
		}
	}
	return out, errors.Join(errs...)
}

// TierMap parses Tiers: the directory of each storage class that has a
// tier of its own. The error names every bad entry: an unknown class, a
// class given twice, a missing directory, or two classes on one directory.
func (c *Server) TierMap() (map[string]string, error) {
	out := map[string]string{}
	dirs := map[string]string{}
	var errs []error
	for _, s := range c.Tiers {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		class, dir, _ := strings.Cut(s, "=")
		class, dir = strings.TrimSpace(class), strings.TrimSpace(dir)
		clean := filepath.Clean(dir)
		switch {
		case !s3.ValidStorageClass(class):
			errs = append(errs, fmt.Errorf("tiers: %q: %q is not a storage class", s, class))
		case dir == "":
			errs = append(errs, fmt.Errorf("tiers: %q: want CLASS=DIR", s))
		case out[class] != "":
			errs = append(errs, fmt.Errorf("tiers: %q: the class %s has a tier already", s, class))
		case dirs[clean] != "":
			errs = append(errs, fmt.Errorf("tiers: %q: %s is the tier of %s already", s, dir, dirs[clean]))
		default:
			out[class], dirs[clean] = dir, class
		}
	}
	return out, errors.Join(errs...)
}

// VPCEndpoint is a VPC endpoint: the client networks whose requests come
// through it.
type VPCEndpoint struct {
	ID       string // vpce-…
	VPC      string // vpc-…, or ""
	Prefixes []netip.Prefix
}

// VPCEndpointList parses VPCEndpoints. The error names every bad entry.
func (c *Server) VPCEndpointList() ([]VPCEndpoint, error) {
	var (
		out  []VPCEndpoint
		errs []error
	)
	for _, s := range c.VPCEndpoints {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		bad := func(why string) { errs = append(errs, fmt.Errorf("vpc_endpoints: %q: %s", s, why)) }
		ids, cidrs, ok := strings.Cut(s, "=")
		if !ok {
			bad("want vpce-ID[/vpc-ID]=CIDR[,CIDR…]")
			continue
		}
		var ep VPCEndpoint
		ep.ID, ep.VPC, _ = strings.Cut(ids, "/")
		if !strings.HasPrefix(ep.ID, "vpce-") || len(ep.ID) < 6 || ep.VPC != "" && (!strings.HasPrefix(ep.VPC, "vpc-") || len(ep.VPC) < 5) {
			bad("the endpoint ID must start with vpce- (and the VPC ID with vpc-)")
			continue
		}
		prefixes, err := (&Server{TrustedProxies: cidrs}).TrustedProxyPrefixes()
		if err != nil || len(prefixes) == 0 {
			bad("want one or more CIDR prefixes after =")
			continue
		}
		ep.Prefixes = prefixes
		out = append(out, ep)
	}
	return out, errors.Join(errs...)
}

// validateKMS checks the settings of the remote or the embedded KMS.
func (c *Server) validateKMS() []error {
	var errs []error
	if c.KMS == "" {
		for _, s := range []struct{ name, value string }{
			{"kms_access_key (COFFER_KMS_ACCESS_KEY)", c.KMSAccessKey}, {"kms_secret_key (COFFER_KMS_SECRET_KEY)", c.KMSSecretKey},
			{"kms_ca", c.KMSCA}, {"kms_client_cert", c.KMSClientCert}, {"kms_client_key", c.KMSClientKey},
		} {
			if s.value != "" {
				errs = append(errs, fmt.Errorf("%s: applies to a remote KMS only; set kms (--kms URL) too", s.name))
			}
		}
		if c.KMSListen != "" {
			if _, _, err := net.SplitHostPort(c.KMSListen); err != nil {
				errs = append(errs, fmt.Errorf("kms_listen: %q is not host:port", c.KMSListen))
			}
		}
		if c.KMSData != "" && c.Data != "" {
			if err := CheckKMSData(c.Data, c.KMSData); err != nil {
				errs = append(errs, err)
			}
		}
		return errs
	}
	if c.KMSData != "" {
		errs = append(errs, errors.New("kms_data: applies to the embedded KMS only, not with kms (--kms URL)"))
	}
	if c.KMSListen != "" {
		errs = append(errs, errors.New("kms_listen: applies to the embedded KMS only, not with kms (--kms URL)"))
	}
	u, err := url.Parse(c.KMS)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("kms: %q is not a URL", c.KMS))
	case u.Scheme != "http" && u.Scheme != "https":
		errs = append(errs, fmt.Errorf("kms: %q is not an http:// or https:// URL", c.KMS))
	case u.Host == "":
		errs = append(errs, fmt.Errorf("kms: %q names no host", c.KMS))
	case u.User != nil:
		errs = append(errs, errors.New("kms: the URL must not hold credentials; use COFFER_KMS_ACCESS_KEY and COFFER_KMS_SECRET_KEY"))
	case u.RawQuery != "" || u.Fragment != "":
		errs = append(errs, fmt.Errorf("kms: %q must not have a query or fragment", c.KMS))
	}
	if err == nil && u.Scheme == "http" {
		for _, s := range []struct{ name, value string }{
			{"kms_ca", c.KMSCA}, {"kms_client_cert", c.KMSClientCert}, {"kms_client_key", c.KMSClientKey},
		} {
			if s.value != "" {
				errs = append(errs, fmt.Errorf("%s: needs an https:// kms URL", s.name))
			}
		}
	}
	if (c.KMSClientCert == "") != (c.KMSClientKey == "") {
		errs = append(errs, errors.New("kms_client_cert, kms_client_key: give both or neither (--kms-client-cert, --kms-client-key)"))
	}
	if (c.KMSAccessKey == "") != (c.KMSSecretKey == "") {
		errs = append(errs, errors.New("kms credentials: set both COFFER_KMS_ACCESS_KEY and COFFER_KMS_SECRET_KEY, or neither"))
	}
	return errs
}

// LoadServer reads the YAML file at path ("" for none; unknown fields are
// errors) and applies COFFER_* variables from getenv over it.
func LoadServer(path string, getenv func(string) string) (Server, error) {
	var c Server
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	env := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	env("COFFER_DATA", &c.Data)
	env("COFFER_LISTEN", &c.Listen)
	env("COFFER_DOMAIN", &c.Domain)
	env("COFFER_REGION", &c.Region)
	env("COFFER_ROOT_ACCESS_KEY", &c.RootAccessKey)
	env("COFFER_ROOT_SECRET_KEY", &c.RootSecretKey)
	env("COFFER_LOG_LEVEL", &c.LogLevel)
	env("COFFER_LOG_FORMAT", &c.LogFormat)
	env("COFFER_TLS_CERT", &c.TLSCert)
	env("COFFER_TLS_KEY", &c.TLSKey)
	env("COFFER_TRUSTED_PROXIES", &c.TrustedProxies)
	if v := getenv("COFFER_VPC_ENDPOINTS"); v != "" {
		c.VPCEndpoints = strings.Split(v, ";")
	}
	if v := getenv("COFFER_RESTORE_DURATIONS"); v != "" {
		c.RestoreDurations = strings.Split(v, ";")
	}
	if v := getenv("COFFER_TIERS"); v != "" {
		c.Tiers = strings.Split(v, ";")
	}
	env("COFFER_KMS", &c.KMS)
	env("COFFER_KMS_ACCESS_KEY", &c.KMSAccessKey)
	env("COFFER_KMS_SECRET_KEY", &c.KMSSecretKey)
	env("COFFER_KMS_CA", &c.KMSCA)
	env("COFFER_KMS_CLIENT_CERT", &c.KMSClientCert)
	env("COFFER_KMS_CLIENT_KEY", &c.KMSClientKey)
	env("COFFER_KMS_DATA", &c.KMSData)
	env("COFFER_KMS_LISTEN", &c.KMSListen)
	env("COFFER_DEV_EDGE_LISTEN", &c.DevEdgeListen)
	env("COFFER_WEB_ACL", &c.WebACL)
	var errs []error
	dur := func(name string, dst *time.Duration) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = d
		}
	}
	dur("COFFER_SHUTDOWN_GRACE", &c.ShutdownGrace)
	dur("COFFER_READ_HEADER_TIMEOUT", &c.ReadHeaderTimeout)
	dur("COFFER_IDLE_TIMEOUT", &c.IdleTimeout)
	dur("COFFER_SSE_KEY_CACHE_TTL", &c.SSEKeyCacheTTL)
	dur("COFFER_LIFECYCLE_INTERVAL", &c.LifecycleInterval)
	dur("COFFER_LIFECYCLE_CLOCK_OFFSET", &c.LifecycleClockOffset)
	if v := getenv("COFFER_ALLOW_SSEC_OVER_HTTP"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("COFFER_ALLOW_SSEC_OVER_HTTP: %q is not true or false", v))
		}
		c.AllowSSECOverHTTP = b
	}
	return c, errors.Join(errs...)
}
