package e2e

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const edgeWAFConfig = `
listen: @LISTEN@
admin:
  listen: @ADMIN@
  access_key_id: AKEDGEADMIN
  secret_access_key: edge-admin-secret
geoip_db: @GEODB@
trusted_proxies: [127.0.0.1/32]
waf_log: @WAFLOG@
ip_sets:
  - name: bad
    addresses: ["203.0.113.0/24", "2001:db8::/32"]
regex_pattern_sets:
  - name: scanners
    patterns: ["(?i)sqlmap", "(?i)nikto"]
web_acls:
  - name: my-acl
    file: @ACL@
distributions:
  - id: EWAF
    origin:
      endpoint: @ORIGIN@
      bucket: waf
      access: oai
      access_key_id: @OAIKEY@
      secret_access_key: @OAISECRET@
    behaviors:
      - path_pattern: "*"
        allowed_methods: [GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE]
    custom_error_responses:
      - error_code: 403
        response_page_path: /blocked.html
        response_code: 403
    web_acl: my-acl
`

// TestEdgeWAF is issue 9's acceptance run on real processes: a server, an
// edge whose distribution has the web ACL testdata/edge-web-acl.json
// (IP set and regex pattern set declared in the edge's YAML, a country
// database built in the test), and requests of each kind.
func TestEdgeWAF(t *testing.T) {
	skipIfShort(t)
	srv := startServer(t)
	root := awsCLI(t, srv)
	var oai oaiCredential
	decodeJSON(t, adminCLI(t, srv, operator).Run(t, "admin", "oai", "create", "--endpoint", srv.Endpoint), &oai)
	root.Run(t, "s3api", "create-bucket", "--bucket", "waf")
	root.Run(t, "s3api", "put-bucket-policy", "--bucket", "waf", "--policy", iamPolicy(
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity `+oai.Id+`"},`+
			`"Action":"s3:GetObject","Resource":"arn:aws:s3:::waf/*"}`))
	for _, k := range []string{"page.html", "search", "admin/panel", "rate/a", "blocked.html"} {
		putText(t, root, "waf", k, "content of "+k)
	}

	dir := t.TempDir()
	db := filepath.Join(dir, "countries.mmdb")
	edgeGeoDB(t, db, map[string]string{"198.18.0.0/15": "KP", "198.51.100.0/24": "NZ"})
	acl, err := filepath.Abs("testdata/edge-web-acl.json")
	if err != nil {
		t.Fatal(err)
	}
	wafLog := filepath.Join(dir, "waf.log")
	cfg := strings.NewReplacer("@GEODB@", db, "@WAFLOG@", wafLog, "@ACL@", acl, "@ORIGIN@", srv.Endpoint,
		"@OAIKEY@", oai.AccessKeyId, "@OAISECRET@", oai.SecretAccessKey).Replace(edgeWAFConfig)
	e := startEdge(t, srv.bin, cfg, freeAddr(t), freeAddr(t))

	get := func(path string, header ...string) (int, string) {
		t.Helper()
		status, _, body := edgeGet(t, e.URL+path, header...)
		return status, string(body)
	}
	if status, body := get("/page.html"); status != 200 || body != "content of page.html" {
		t.Errorf("clean request: %d %q", status, body)
	}
	if status, body := get("/search?q=1%27%20OR%20%271%27%3D%271"); status != 403 || body != "Blocked by the coffer WAF" {
		t.Errorf("SQL injection in a query argument: %d %q, want 403 with the custom body", status, body)
	}
	// A block with the default response gets the distribution's custom
	// 403 page; a rule's CustomResponse (SQLi above) wins over it.
	if status, body := get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E"); status != 403 || body != "content of blocked.html" {
		t.Errorf("XSS in the query string: %d %q, want 403 with the custom error page", status, body)
	}
	if status, _ := get("/search?q=O%27Brien%20select%20a%20script"); status != 200 {
		t.Errorf("a benign query with an apostrophe: %d, want 200", status)
	}
	resp, err := http.Post(e.URL+"/page.html", "application/octet-stream", strings.NewReader(strings.Repeat("x", 10000)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("a body over the size constraint: %d, want 403", resp.StatusCode)
	}
	if status, _ := get("/page.html", "User-Agent", "sqlmap/1.7.2#stable"); status != 403 {
		t.Errorf("a scanner User-Agent: %d, want 403", status)
	}
	if status, _ := get("/ADMIN/panel"); status != 403 {
		t.Errorf("a path under /admin (any case): %d, want 403", status)
	}
	if status, _ := get("/page.html", "X-Client-IP", "203.0.113.77"); status != 403 {
		t.Errorf("a forwarded IP in the IP set: %d, want 403", status)
	}
	if status, _ := get("/page.html", "X-Client-IP", "192.0.2.77"); status != 200 {
		t.Errorf("a forwarded IP outside the IP set: %d, want 200", status)
	}
	if status, _ := get("/page.html", "X-Forwarded-For", "198.18.0.5"); status != 403 {
		t.Errorf("a viewer in KP (geo match): %d, want 403", status)
	}
	if status, _ := get("/page.html", "X-Forwarded-For", "198.51.100.5"); status != 200 {
		t.Errorf("a viewer in NZ: %d, want 200", status)
	}
	if status, body := get("/page.html", "X-Audit", "yes"); status != 200 || body != "content of page.html" {
		t.Errorf("a request matching the Count rule: %d %q, want it let through", status, body)
	}

	// The rate rule: one address is blocked after its limit, another passes.
	blocked := false
	for i := 0; i < 40 && !blocked; i++ {
		status, _ := get("/rate/a", "X-Forwarded-For", "192.0.2.50")
		blocked = status == 403
	}
	if !blocked {
		t.Errorf("40 requests from one address within the window were never rate-limited")
	}
	if status, _ := get("/rate/a", "X-Forwarded-For", "192.0.2.60"); status != 200 {
		t.Errorf("another address under the rate rule: %d, want 200", status)
	}

	// The WAF log has AWS WAF records: the Count rule among the
	// non-terminating matches, the SQLi block as terminating.
	var counted, sqli bool
	deadline := time.Now().Add(10 * time.Second)
	for !(counted && sqli) && time.Now().Before(deadline) {
		f, err := os.Open(wafLog)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var rec struct {
				Action                      string
				TerminatingRuleID           string `json:"terminatingRuleId"`
				NonTerminatingMatchingRules []struct {
					RuleID string `json:"ruleId"`
					Action string `json:"action"`
				} `json:"nonTerminatingMatchingRules"`
				HTTPRequest struct {
					URI string `json:"uri"`
				} `json:"httpRequest"`
			}
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("WAF log line is not JSON: %v\n%s", err, sc.Text())
			}
			for _, r := range rec.NonTerminatingMatchingRules {
				if r.RuleID == "CountMarked" && rec.Action == "ALLOW" {
					counted = true
				}
			}
			if rec.TerminatingRuleID == "SQLi" && rec.Action == "BLOCK" {
				sqli = true
			}
		}
		f.Close()
		if !(counted && sqli) {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !counted || !sqli {
		t.Errorf("WAF log: Count rule logged %v, SQLi block logged %v\n%s", counted, sqli, tail(wafLog, 5))
	}

	// Per-rule counters on the admin port's /metrics.
	resp, err = http.Get(e.Admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var metrics strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&metrics)
	resp.Body.Close()
	for _, want := range []string{`coffer_waf_requests_total{action="BLOCK",rule="SQLi",web_acl="edge-acceptance"} 1`,
		`coffer_waf_requests_total{action="COUNT",rule="CountMarked",web_acl="edge-acceptance"} 1`} {
		if !strings.Contains(metrics.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// Sampled requests through the WAFv2 API with the AWS CLI.
	cli := awsCLI(t, srv)
	cli.env = append(cli.env, "AWS_ACCESS_KEY_ID=AKEDGEADMIN", "AWS_SECRET_ACCESS_KEY=edge-admin-secret")
	var samples struct {
		SampledRequests []struct {
			Action  string
			Request struct{ URI string }
		}
	}
	now := time.Now().Unix()
	decodeJSON(t, cli.Run(t, "wafv2", "get-sampled-requests", "--endpoint-url", e.Admin, "--scope", "CLOUDFRONT",
		"--web-acl-arn", "arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge-acceptance/a1b2c3d4", "--rule-metric-name", "AdminPath", "--max-items", "100",
		"--time-window", "StartTime="+strconv.FormatInt(now-600, 10)+",EndTime="+strconv.FormatInt(now+60, 10)), &samples)
	if len(samples.SampledRequests) != 1 || samples.SampledRequests[0].Request.URI != "/ADMIN/panel" {
		t.Errorf("get-sampled-requests for AdminPath = %+v", samples)
	}
}

// TestServerWebACL: `coffer server --web-acl FILE` evaluates the web ACL
// in front of the S3 API: the AWS CLI works as usual, a request with SQL
// injection in a query argument gets the ACL's custom 403 body.
func TestServerWebACL(t *testing.T) {
	skipIfShort(t)
	doc := `{"Name":"s3-front","DefaultAction":{"Allow":{}},
	  "VisibilityConfig":{"SampledRequestsEnabled":false,"CloudWatchMetricsEnabled":false,"MetricName":"s3-front"},
	  "CustomResponseBodies":{"no":{"ContentType":"TEXT_PLAIN","Content":"refused by the web ACL"}},
	  "Rules":[{"Name":"SQLi","Priority":0,
	    "Action":{"Block":{"CustomResponse":{"ResponseCode":403,"CustomResponseBodyKey":"no"}}},
	    "Statement":{"SqliMatchStatement":{"FieldToMatch":{"AllQueryArguments":{}},
	      "TextTransformations":[{"Priority":0,"Type":"URL_DECODE"}],"SensitivityLevel":"HIGH"}},
	    "VisibilityConfig":{"SampledRequestsEnabled":false,"CloudWatchMetricsEnabled":false,"MetricName":"SQLi"}}]}`
	file := filepath.Join(t.TempDir(), "acl.json")
	writeFile(t, file, []byte(doc))
	srv := startServer(t, withFlags("--web-acl", file))
	cli := awsCLI(t, srv)
	cli.Run(t, "s3", "mb", "s3://guarded")
	putText(t, cli, "guarded", "k", "v")
	wantObject(t, cli, "guarded", "k", "v")
	status, _, body := edgeGet(t, srv.Endpoint+"/guarded?prefix=1%27%20OR%20%271%27%3D%271")
	if status != 403 || string(body) != "refused by the web ACL" {
		t.Errorf("SQL injection in a query argument: %d %q, want 403 from the web ACL", status, body)
	}
}
