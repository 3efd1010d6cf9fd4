package e2e

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// edgeGeoDB writes a country database mapping each CIDR to its ISO code.
func edgeGeoDB(t *testing.T, file string, countries map[string]string) {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-Country", RecordSize: 24, IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, iso := range countries {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(network, mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(iso)}}); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
}

const edgeGeoConfig = `
listen: @LISTEN@
admin:
  listen: @ADMIN@
  access_key_id: AKEDGEADMIN
  secret_access_key: edge-admin-secret
geoip_db: @GEODB@
trusted_proxies: [127.0.0.1/32]
distributions:
  - id: EGEO
    origin:
      endpoint: @ORIGIN@
      bucket: geo
      access: oai
      access_key_id: @OAIKEY@
      secret_access_key: @OAISECRET@
    geo_restriction: {type: blacklist, countries: [KP]}
    custom_error_responses:
      - error_code: 403
        response_page_path: /blocked.html
        response_code: 403
`

// TestEdgeGeoRestriction: a distribution blacklisting KP, with a country
// database built in the test, refuses a viewer whose address (forwarded
// by a trusted proxy, here the test itself on 127.0.0.1) is in KP, with
// the distribution's custom 403 page, and serves one from elsewhere.
func TestEdgeGeoRestriction(t *testing.T) {
	skipIfShort(t)
	srv := startServer(t)
	root := awsCLI(t, srv)
	var oai oaiCredential
	decodeJSON(t, adminCLI(t, srv, operator).Run(t, "admin", "oai", "create", "--endpoint", srv.Endpoint), &oai)
	root.Run(t, "s3api", "create-bucket", "--bucket", "geo")
	root.Run(t, "s3api", "put-bucket-policy", "--bucket", "geo", "--policy", iamPolicy(
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity `+oai.Id+`"},`+
			`"Action":"s3:GetObject","Resource":"arn:aws:s3:::geo/*"}`))
	putText(t, root, "geo", "news.html", "<p>news</p>")
	putText(t, root, "geo", "blocked.html", "<p>not in your country</p>")

	db := filepath.Join(t.TempDir(), "countries.mmdb")
	edgeGeoDB(t, db, map[string]string{"203.0.113.0/24": "KP", "198.51.100.0/24": "NZ"})
	cfg := strings.NewReplacer("@GEODB@", db, "@ORIGIN@", srv.Endpoint, "@OAIKEY@", oai.AccessKeyId,
		"@OAISECRET@", oai.SecretAccessKey).Replace(edgeGeoConfig)
	e := startEdge(t, srv.bin, cfg, freeAddr(t), freeAddr(t))

	if status, _, body := edgeGet(t, e.URL+"/news.html", "X-Forwarded-For", "198.51.100.7"); status != 200 || string(body) != "<p>news</p>" {
		t.Errorf("viewer in NZ: %d %q, want 200", status, body)
	}
	if status, _, body := edgeGet(t, e.URL+"/news.html", "X-Forwarded-For", "203.0.113.9"); status != 403 || string(body) != "<p>not in your country</p>" {
		t.Errorf("viewer in KP: %d %q, want 403 with the custom page", status, body)
	}
	if status, _, _ := edgeGet(t, e.URL+"/news.html"); status != 200 {
		t.Errorf("viewer on loopback (unknown country): %d, want 200", status)
	}
}
