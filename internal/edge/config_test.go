package edge

import (
	"strings"
	"testing"
)

const sampleConfig = `
listen: 127.0.0.1:8080
admin:
  listen: 127.0.0.1:8081
  access_key_id: AKEDGE
  secret_access_key: secret
cache:
  dir: /var/cache/coffer-edge
  memory_bytes: 268435456
  disk_bytes: 10737418240
peers: [http://10.0.0.2:8081]
geoip_db: GeoLite2-Country.mmdb
distributions:
  - id: E1EXAMPLE
    aliases: [cdn.example.com]
    origin:
      endpoint: http://127.0.0.1:9000
      bucket: media
      access: oai
      access_key_id: AKOAI
      secret_access_key: s
    default_root_object: index.html
    behaviors:
      - path_pattern: "/private/*"
        trusted_key_groups: [kg1]
        viewer_protocol_policy: allow-all
        min_ttl: 0
        default_ttl: 86400
        max_ttl: 31536000
        allowed_methods: [GET, HEAD]
        cache_key: {query_strings: none, headers: [], cookies: none}
        compress: true
      - path_pattern: "*"
    custom_error_responses:
      - error_code: 404
        response_page_path: /errors/404.html
        response_code: 404
        error_caching_min_ttl: 10
    geo_restriction: {type: blacklist, countries: [KP]}
    web_acl: my-acl
key_groups:
  kg1:
    - id: K2EXAMPLE
      public_key_file: /etc/coffer/kg1.pem
web_acls:
  - name: my-acl
    file: /etc/coffer/my-acl.json
`

// The issue's configuration parses as given, with defaults filled in.
func TestParseConfigIssueShape(t *testing.T) {
	c, err := ParseConfig([]byte(sampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	d := c.Distributions[0]
	if d.ID != "E1EXAMPLE" || d.Origin.Access != "oai" || d.Origin.Region != "us-east-1" || len(d.Behaviors) != 2 {
		t.Fatalf("distribution = %+v", d)
	}
	b := d.Behaviors[1]
	if *b.DefaultTTL != 86400 || b.ViewerProtocolPolicy != "allow-all" || b.CacheKey.QueryStrings != "none" || len(b.AllowedMethods) != 2 {
		t.Errorf("default behaviour defaults = %+v", b)
	}
	if d.GeoRestriction.Countries[0] != "KP" || c.KeyGroups["kg1"][0].ID != "K2EXAMPLE" || c.Cache.DiskBytes != 10737418240 {
		t.Errorf("config = %+v", c)
	}
}

func TestParseConfigRejects(t *testing.T) {
	for name, tc := range map[string]struct{ from, to, want string }{
		"unknown field":       {"default_root_object:", "default_root_objekt:", "default_root_objekt"},
		"bad access":          {"access: oai", "access: anyone", "not oai, oac or public"},
		"unknown key group":   {"trusted_key_groups: [kg1]", "trusted_key_groups: [kg9]", "kg9"},
		"bad methods":         {"allowed_methods: [GET, HEAD]", "allowed_methods: [GET, POST]", "allowed_methods"},
		"bad protocol policy": {"viewer_protocol_policy: allow-all", "viewer_protocol_policy: sometimes", "viewer_protocol_policy"},
		"TTL order":           {"min_ttl: 0", "min_ttl: 99999", "TTLs"},
		"unknown web ACL":     {"web_acl: my-acl", "web_acl: other", "other"},
		"bad country":         {"countries: [KP]", "countries: [Korea]", "Korea"},
		"no admin secret":     {"secret_access_key: secret", "secret_access_key: \"\"", "admin"},
	} {
		t.Run(name, func(t *testing.T) {
			doc := strings.Replace(sampleConfig, tc.from, tc.to, 1)
			if doc == sampleConfig {
				t.Fatalf("%q not in the sample", tc.from)
			}
			_, err := ParseConfig([]byte(doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestMatchPath(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          bool
	}{
		{"/private/*", "/private/a/b.mp4", true},
		{"private/*", "/private/x", true},
		{"/private/*", "/public/x", false},
		{"*.jpg", "/a/b/c.jpg", true},
		{"*.jpg", "/a/b/c.JPG", false},
		{"/images/?.png", "/images/1.png", true},
		{"/images/?.png", "/images/12.png", false},
		{"*", "/anything", true},
		{"/a*b*c", "/axxbyyc", true},
		{"/a*b*c", "/axxbyy", false},
	} {
		if got := matchPath(tc.pattern, tc.path); got != tc.want {
			t.Errorf("matchPath(%q, %q) = %v, want %v", tc.pattern, tc.path, got, tc.want)
		}
	}
}
