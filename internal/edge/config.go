// Package edge is `coffer edge`: CloudFront's role for coffer buckets. An
// edge serves distributions, each in front of one bucket of a `coffer
// server`, from an RFC 9111 cache (package edge/cache), fetching what it
// lacks from the origin with SigV4 requests signed as the distribution's
// origin access identity (OAI) or origin access control (OAC), so the
// bucket itself can stay private. It enforces signed URLs and cookies
// (package edge/signed), geo restriction, viewer protocol policies and
// allowed methods per behaviour, serves custom error pages, and answers a
// CloudFront-compatible management API (invalidations) on its own
// listener, fanning invalidations out to peer edges.
//
// The edge talks to the server over HTTP only; several edges may run in
// front of one server.
package edge

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/coffer-project/coffer/internal/config"
)

// Config is the edge's configuration file (YAML), in the shape issue 8
// fixes. Unknown fields are rejected.
type Config struct {
	Listen string      `yaml:"listen"`
	Admin  AdminConfig `yaml:"admin"`
	Cache  CacheConfig `yaml:"cache"`
	// Peers are the admin URLs of other edges that receive this edge's
	// invalidations.
	Peers []string `yaml:"peers"`
	// GeoIPDB is a MaxMind country database (.mmdb) for geo restriction.
	GeoIPDB string `yaml:"geoip_db"`
	// TrustedProxies are proxies whose X-Forwarded-For names the viewer
	// (for geo restriction and signed-URL IP conditions); none by default.
	TrustedProxies []string       `yaml:"trusted_proxies"`
	TLSCert        string         `yaml:"tls_cert"`
	TLSKey         string         `yaml:"tls_key"`
	AccessLog      string         `yaml:"access_log"` // CloudFront standard log format; "" none
	Distributions  []Distribution `yaml:"distributions"`
	// KeyGroups are trusted key groups for signed URLs and cookies, by name.
	KeyGroups map[string][]KeyConfig `yaml:"key_groups"`

	// WAF (issue 9).
	WAFLog           string             `yaml:"waf_log"`
	IPSets           []IPSetConfig      `yaml:"ip_sets"`
	RegexPatternSets []RegexSetConfig   `yaml:"regex_pattern_sets"`
	WebACLs          []WebACLFileConfig `yaml:"web_acls"`
}

// AdminConfig is the management API's listener and its one credential
// (SigV4, service cloudfront).
type AdminConfig struct {
	Listen          string `yaml:"listen"`
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
}

// CacheConfig sizes the cache.
type CacheConfig struct {
	Dir         string `yaml:"dir"`
	MemoryBytes int64  `yaml:"memory_bytes"`
	DiskBytes   int64  `yaml:"disk_bytes"`
}

// Distribution is one distribution.
type Distribution struct {
	ID                   string                `yaml:"id"`
	Aliases              []string              `yaml:"aliases"`
	Origin               Origin                `yaml:"origin"`
	DefaultRootObject    string                `yaml:"default_root_object"`
	Behaviors            []Behavior            `yaml:"behaviors"`
	CustomErrorResponses []CustomErrorResponse `yaml:"custom_error_responses"`
	GeoRestriction       GeoRestriction        `yaml:"geo_restriction"`
	WebACL               string                `yaml:"web_acl"`
}

// Origin is a distribution's bucket and how the edge signs its requests.
type Origin struct {
	Endpoint        string `yaml:"endpoint"`
	Bucket          string `yaml:"bucket"`
	Access          string `yaml:"access"` // oai | oac | public
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
	Region          string `yaml:"region"` // SigV4 region; "" is us-east-1
}

// Behavior is a cache behaviour: the first whose PathPattern matches a
// request applies; the last one is the default.
type Behavior struct {
	PathPattern          string   `yaml:"path_pattern"`
	TrustedKeyGroups     []string `yaml:"trusted_key_groups"`
	ViewerProtocolPolicy string   `yaml:"viewer_protocol_policy"`
	MinTTL               *int64   `yaml:"min_ttl"`
	DefaultTTL           *int64   `yaml:"default_ttl"`
	MaxTTL               *int64   `yaml:"max_ttl"`
	AllowedMethods       []string `yaml:"allowed_methods"`
	CacheKey             CacheKey `yaml:"cache_key"`
	Compress             bool     `yaml:"compress"`
}

// CacheKey says which parts of a request beyond its path go into the
// cache key (and to the origin).
type CacheKey struct {
	QueryStrings string   `yaml:"query_strings"` // none | all
	Headers      []string `yaml:"headers"`
	Cookies      string   `yaml:"cookies"` // none | all
}

// CustomErrorResponse replaces an error status from the origin (or the
// edge's own 403s) by a page from the origin bucket.
type CustomErrorResponse struct {
	ErrorCode          int    `yaml:"error_code"`
	ResponsePagePath   string `yaml:"response_page_path"`
	ResponseCode       int    `yaml:"response_code"`
	ErrorCachingMinTTL *int64 `yaml:"error_caching_min_ttl"`
}

// GeoRestriction blocks (blacklist) or allows only (whitelist) viewers
// by country (ISO 3166-1 alpha-2).
type GeoRestriction struct {
	Type      string   `yaml:"type"` // none | blacklist | whitelist
	Countries []string `yaml:"countries"`
}

// KeyConfig is one public key of a key group.
type KeyConfig struct {
	ID            string `yaml:"id"`
	PublicKeyFile string `yaml:"public_key_file"`
}

// IPSetConfig is a named IP set for the WAF.
type IPSetConfig struct {
	Name      string   `yaml:"name"`
	Addresses []string `yaml:"addresses"`
}

// RegexSetConfig is a named regex pattern set for the WAF.
type RegexSetConfig struct {
	Name     string   `yaml:"name"`
	Patterns []string `yaml:"patterns"`
}

// WebACLFileConfig names a WAFv2 web ACL document.
type WebACLFileConfig struct {
	Name string `yaml:"name"`
	File string `yaml:"file"`
}

// CloudFront's default TTLs (seconds).
const (
	defaultMinTTL     = 0
	defaultDefaultTTL = 86400
	defaultMaxTTL     = 31536000
	defaultErrorTTL   = 10
)

// LoadConfig reads and validates a configuration file.
func LoadConfig(file string) (*Config, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("edge: config: %w", err)
	}
	return ParseConfig(b)
}

// ParseConfig parses and validates a configuration document, filling in
// defaults.
func ParseConfig(doc []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("edge: config: %w", err)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("edge: config: %w", err)
	}
	return &c, nil
}

// Validate checks a configuration built in code, filling in defaults as
// ParseConfig does.
func (c *Config) Validate() error { return c.validate() }

func (c *Config) validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.Admin.Listen != "" && (c.Admin.AccessKeyID == "" || c.Admin.SecretAccessKey == "") {
		bad("admin: access_key_id and secret_access_key are required with admin.listen")
	}
	if c.Cache.MemoryBytes < 0 || c.Cache.DiskBytes < 0 {
		bad("cache: sizes must not be negative")
	}
	if c.Cache.DiskBytes > 0 && c.Cache.Dir == "" {
		bad("cache: disk_bytes needs cache.dir")
	}
	for _, p := range c.Peers {
		if u, err := url.Parse(p); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("peers: %q is not an http(s) URL", p)
		}
	}
	if _, err := parsePrefixes(c.TrustedProxies); err != nil {
		bad("trusted_proxies: %v", err)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("tls_cert, tls_key: give both or neither")
	}
	if len(c.Distributions) == 0 {
		bad("distributions: at least one is required")
	}
	acls := map[string]bool{}
	for _, a := range c.WebACLs {
		acls[a.Name] = true
	}
	ids := map[string]bool{}
	for i := range c.Distributions {
		d := &c.Distributions[i]
		at := fmt.Sprintf("distributions[%d]", i)
		if d.ID == "" {
			bad("%s: id is required", at)
		} else if ids[d.ID] {
			bad("%s: id %s is used twice", at, d.ID)
		}
		ids[d.ID] = true
		if err := d.Origin.validate(); err != nil {
			bad("%s.origin: %v", at, err)
		}
		if len(d.Behaviors) == 0 {
			d.Behaviors = []Behavior{{PathPattern: "*"}}
		}
		for j := range d.Behaviors {
			if err := d.Behaviors[j].validate(c.KeyGroups); err != nil {
				bad("%s.behaviors[%d]: %v", at, j, err)
			}
		}
		for j, e := range d.CustomErrorResponses {
			if e.ErrorCode < 400 || e.ErrorCode > 599 || (e.ResponseCode != 0 && (e.ResponseCode < 200 || e.ResponseCode > 599)) {
				bad("%s.custom_error_responses[%d]: error_code must be 4xx or 5xx, response_code a status", at, j)
			}
			if e.ResponsePagePath != "" && !strings.HasPrefix(e.ResponsePagePath, "/") {
				bad("%s.custom_error_responses[%d]: response_page_path must start with /", at, j)
			}
		}
		switch d.GeoRestriction.Type {
		case "", "none":
		case "blacklist", "whitelist":
			if c.GeoIPDB == "" {
				bad("%s.geo_restriction: needs geoip_db", at)
			}
			for _, cc := range d.GeoRestriction.Countries {
				if len(cc) != 2 || strings.ToUpper(cc) != cc {
					bad("%s.geo_restriction: %q is not an ISO 3166-1 alpha-2 code", at, cc)
				}
			}
		default:
			bad("%s.geo_restriction.type: %q is not none, blacklist or whitelist", at, d.GeoRestriction.Type)
		}
		if d.WebACL != "" && !acls[d.WebACL] {
			bad("%s.web_acl: no web ACL named %q", at, d.WebACL)
		}
	}
	return errors.Join(errs...)
}

func (o *Origin) validate() error {
	u, err := url.Parse(o.Endpoint)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("endpoint %q is not an http(s) URL", o.Endpoint)
	case o.Bucket == "":
		return errors.New("bucket is required")
	}
	switch o.Access {
	case "oai", "oac":
		if o.AccessKeyID == "" || o.SecretAccessKey == "" {
			return fmt.Errorf("access %s needs access_key_id and secret_access_key", o.Access)
		}
	case "public":
	default:
		return fmt.Errorf("access %q is not oai, oac or public", o.Access)
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	return nil
}

func (b *Behavior) validate(groups map[string][]KeyConfig) error {
	if b.PathPattern == "" {
		b.PathPattern = "*"
	}
	if _, err := path.Match(strings.TrimPrefix(b.PathPattern, "/"), ""); err != nil {
		return fmt.Errorf("path_pattern %q: %w", b.PathPattern, err)
	}
	for _, g := range b.TrustedKeyGroups {
		if _, ok := groups[g]; !ok {
			return fmt.Errorf("trusted_key_groups: no key group %q", g)
		}
	}
	switch b.ViewerProtocolPolicy {
	case "":
		b.ViewerProtocolPolicy = "allow-all"
	case "allow-all", "redirect-to-https", "https-only":
	default:
		return fmt.Errorf("viewer_protocol_policy %q is not allow-all, redirect-to-https or https-only", b.ViewerProtocolPolicy)
	}
	set := func(p **int64, def int64) {
		if *p == nil {
			*p = &def
		}
	}
	set(&b.MinTTL, defaultMinTTL)
	set(&b.DefaultTTL, defaultDefaultTTL)
	set(&b.MaxTTL, defaultMaxTTL)
	if *b.MinTTL < 0 || *b.MinTTL > *b.DefaultTTL || *b.DefaultTTL > *b.MaxTTL {
		return fmt.Errorf("TTLs must satisfy 0 <= min_ttl <= default_ttl <= max_ttl")
	}
	if len(b.AllowedMethods) == 0 {
		b.AllowedMethods = []string{"GET", "HEAD"}
	}
	// CloudFront's three allowed-method sets.
	sets := [][]string{{"GET", "HEAD"}, {"GET", "HEAD", "OPTIONS"}, {"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}}
	ok := false
	for _, s := range sets {
		if sameSet(s, b.AllowedMethods) {
			ok = true
		}
	}
	if !ok {
		return fmt.Errorf("allowed_methods %v: CloudFront allows [GET HEAD], [GET HEAD OPTIONS] or [GET HEAD OPTIONS PUT POST PATCH DELETE]", b.AllowedMethods)
	}
	switch b.CacheKey.QueryStrings {
	case "":
		b.CacheKey.QueryStrings = "none"
	case "none", "all":
	default:
		return fmt.Errorf("cache_key.query_strings %q is not none or all", b.CacheKey.QueryStrings)
	}
	switch b.CacheKey.Cookies {
	case "":
		b.CacheKey.Cookies = "none"
	case "none", "all":
	default:
		return fmt.Errorf("cache_key.cookies %q is not none or all", b.CacheKey.Cookies)
	}
	return nil
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	in := map[string]bool{}
	for _, x := range a {
		in[x] = true
	}
	for _, x := range b {
		if !in[strings.ToUpper(x)] {
			return false
		}
	}
	return true
}

// ttl returns the behaviour's TTLs as durations.
func (b *Behavior) ttls() (min, def, max time.Duration) {
	return time.Duration(*b.MinTTL) * time.Second, time.Duration(*b.DefaultTTL) * time.Second, time.Duration(*b.MaxTTL) * time.Second
}

// parsePrefixes parses addresses as config.ParsePrefix does.
func parsePrefixes(ss []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(ss))
	for _, s := range ss {
		p, err := config.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
