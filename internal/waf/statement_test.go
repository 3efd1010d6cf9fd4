package waf

import (
	"encoding/base64"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
)

type stmtCase struct {
	name  string
	stmt  string
	req   *Request
	block bool
}

func runStmtCases(t *testing.T, tests []stmtCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := evalOne(t, tt.stmt, tt.req)
			if got := d.Action == Block; got != tt.block {
				t.Errorf("blocked = %v, want %v (decision %+v)", got, tt.block, d)
			}
		})
	}
}

func bm(field, pos, search, transforms string) string {
	if transforms == "" {
		transforms = `[{"Priority": 0, "Type": "NONE"}]`
	}
	return `{"ByteMatchStatement": {"FieldToMatch": ` + field + `, "PositionalConstraint": "` + pos +
		`", "SearchString": "` + search + `", "TextTransformations": ` + transforms + `}}`
}

const lower = `[{"Priority": 0, "Type": "LOWERCASE"}]`

func TestByteMatch(t *testing.T) {
	uri := `{"UriPath": {}}`
	ua := `{"SingleHeader": {"Name": "User-Agent"}}`
	b64 := base64.StdEncoding.EncodeToString([]byte("/ad\x00min"))
	runStmtCases(t, []stmtCase{
		{"exactly matches whole value", bm(uri, "EXACTLY", "/admin", ""), get("/admin", ""), true},
		{"exactly rejects longer", bm(uri, "EXACTLY", "/admin", ""), get("/admin/x", ""), false},
		{"starts with", bm(uri, "STARTS_WITH", "/admin", ""), get("/admin/x", ""), true},
		{"starts with is case sensitive", bm(uri, "STARTS_WITH", "/admin", ""), get("/ADMIN/x", ""), false},
		{"starts with after LOWERCASE", bm(uri, "STARTS_WITH", "/admin", lower), get("/ADMIN/x", ""), true},
		{"ends with", bm(uri, "ENDS_WITH", ".php", ""), get("/x/index.php", ""), true},
		{"contains", bm(ua, "CONTAINS", "BadBot", ""), get("/", "", h("User-Agent", "Mozilla BadBot/1.0")), true},
		{"contains word at start", bm(ua, "CONTAINS_WORD", "BadBot", ""), get("/", "", h("User-Agent", "BadBot;v=1")), true},
		{"contains word after separator", bm(ua, "CONTAINS_WORD", "BadBot", ""), get("/", "", h("User-Agent", "x;BadBot")), true},
		{"contains word not inside word", bm(ua, "CONTAINS_WORD", "BadBot", ""), get("/", "", h("User-Agent", "BadBots")), false},
		{"contains word underscore is a word byte", bm(ua, "CONTAINS_WORD", "BadBot", ""), get("/", "", h("User-Agent", "_BadBot")), false},
		{"contains word later occurrence", bm(ua, "CONTAINS_WORD", "BadBot", ""), get("/", "", h("User-Agent", "BadBots BadBot")), true},
		{"missing header matches nothing", bm(ua, "CONTAINS", "x", ""), get("/", ""), false},
		{"search string base64", `{"ByteMatchStatement": {"FieldToMatch": {"UriPath": {}}, "PositionalConstraint": "EXACTLY",
			"SearchStringBase64": "` + b64 + `", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}`,
			get("/ad\x00min", ""), true},
	})
}

func TestMultiValuedFields(t *testing.T) {
	runStmtCases(t, []stmtCase{
		{"single header any of repeated values", bm(`{"SingleHeader": {"Name": "x-tag"}}`, "EXACTLY", "evil", ""),
			get("/", "", h("X-Tag", "good"), h("x-tag", "evil")), true},
		{"single query argument name is case-insensitive", bm(`{"SingleQueryArgument": {"Name": "ID"}}`, "EXACTLY", "7", ""),
			get("/", "a=1&id=7"), true},
		{"single query argument any value", bm(`{"SingleQueryArgument": {"Name": "id"}}`, "EXACTLY", "7", ""),
			get("/", "id=1&id=7"), true},
		{"single query argument is not decoded", bm(`{"SingleQueryArgument": {"Name": "q"}}`, "EXACTLY", "a b", ""),
			get("/", "q=a%20b"), false},
		{"single query argument with URL_DECODE", bm(`{"SingleQueryArgument": {"Name": "q"}}`, "EXACTLY", "a b",
			`[{"Priority": 0, "Type": "URL_DECODE"}]`), get("/", "q=a%20b"), true},
		{"all query arguments inspect values", bm(`{"AllQueryArguments": {}}`, "EXACTLY", "evil", ""),
			get("/", "a=1&b=evil"), true},
		{"all query arguments ignore names", bm(`{"AllQueryArguments": {}}`, "EXACTLY", "evil", ""),
			get("/", "evil=1"), false},
		{"query string whole", bm(`{"QueryString": {}}`, "EXACTLY", "a=1&b=2", ""), get("/", "a=1&b=2"), true},
		{"method", bm(`{"Method": {}}`, "EXACTLY", "GET", ""), get("/", ""), true},
		{"headers scope KEY", bm(`{"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "KEY", "OversizeHandling": "CONTINUE"}}`, "EXACTLY", "x-evil", lower),
			get("/", "", h("X-Evil", "1")), true},
		{"headers scope KEY ignores values", bm(`{"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "KEY", "OversizeHandling": "CONTINUE"}}`, "EXACTLY", "evil", ""),
			get("/", "", h("X-A", "evil")), false},
		{"headers scope VALUE", bm(`{"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}}`, "EXACTLY", "evil", ""),
			get("/", "", h("X-A", "ok"), h("X-B", "evil")), true},
		{"headers scope ALL matches key or value", bm(`{"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "OversizeHandling": "CONTINUE"}}`, "EXACTLY", "evil", ""),
			get("/", "", h("evil", "ok")), true},
		{"headers included only", bm(`{"Headers": {"MatchPattern": {"IncludedHeaders": ["X-A"]}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}}`, "EXACTLY", "evil", ""),
			get("/", "", h("X-B", "evil")), false},
		{"headers excluded", bm(`{"Headers": {"MatchPattern": {"ExcludedHeaders": ["x-b"]}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}}`, "EXACTLY", "evil", ""),
			get("/", "", h("X-B", "evil")), false},
		{"cookies value", bm(`{"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}}`, "EXACTLY", "evil", ""),
			get("/", "", h("Cookie", "a=1; b=evil")), true},
		{"cookies included names are case-sensitive", bm(`{"Cookies": {"MatchPattern": {"IncludedCookies": ["Session"]}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}}`, "EXACTLY", "evil", ""),
			get("/", "", h("Cookie", "session=evil")), false},
		{"cookies key", bm(`{"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "KEY", "OversizeHandling": "CONTINUE"}}`, "EXACTLY", "debug", ""),
			get("/", "", h("Cookie", "debug=1")), true},
		{"header order", bm(`{"HeaderOrder": {"OversizeHandling": "CONTINUE"}}`, "EXACTLY", "host:user-agent:accept", ""),
			get("/", "", h("Host", "a"), h("User-Agent", "b"), h("Accept", "*/*")), true},
	})
}

func TestOversizeHandling(t *testing.T) {
	body := func(oh string) string {
		return bm(`{"Body": {"OversizeHandling": "`+oh+`"}}`, "CONTAINS", "evil", "")
	}
	big := strings.Repeat("a", 20000) + "evil"
	small := "x evil"
	prefixEvil := "evil" + strings.Repeat("a", 20000)
	manyHeaders := make([]Header, 201)
	for i := range manyHeaders {
		manyHeaders[i] = h("X-H"+itoa(i), "v")
	}
	runStmtCases(t, []stmtCase{
		{"continue inspects the prefix only", body("CONTINUE"), post(big), false},
		{"continue finds in prefix", body("CONTINUE"), post(prefixEvil), true},
		{"match on oversize", body("MATCH"), post(strings.Repeat("a", 20000)), true},
		{"no match on oversize", body("NO_MATCH"), post(prefixEvil), false},
		{"small body inspected normally", body("NO_MATCH"), post(small), true},
		{"body without OversizeHandling continues", bm(`{"Body": {}}`, "CONTAINS", "evil", ""), post(prefixEvil), true},
		{"headers over 200 match", bm(`{"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "KEY", "OversizeHandling": "MATCH"}}`, "EXACTLY", "nothing", ""),
			get("/", "", manyHeaders...), true},
		{"headers over 200 continue", bm(`{"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "KEY", "OversizeHandling": "CONTINUE"}}`, "EXACTLY", "nothing", ""),
			get("/", "", manyHeaders...), false},
		{"size constraint sees the inspected body", `{"SizeConstraintStatement": {"FieldToMatch": {"Body": {"OversizeHandling": "CONTINUE"}},
			"ComparisonOperator": "GT", "Size": 16384, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}`, post(big), false},
		{"size constraint with oversize MATCH", `{"SizeConstraintStatement": {"FieldToMatch": {"Body": {"OversizeHandling": "MATCH"}},
			"ComparisonOperator": "GT", "Size": 16384, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}`, post(big), true},
	})
}

func TestBodyInspectionLimitFromAssociationConfig(t *testing.T) {
	doc := `{"Name": "t", "DefaultAction": {"Allow": {}},
		"AssociationConfig": {"RequestBody": {"CLOUDFRONT": {"DefaultSizeInspectionLimit": "KB_32"}}},
		"Rules": [{"Name": "r", "Priority": 0, "Action": {"Block": {}}, "Statement": ` +
		bm(`{"Body": {"OversizeHandling": "CONTINUE"}}`, "CONTAINS", "evil", "") + `}]}`
	acl := mustLoad(t, doc, Sets{}, Options{})
	if acl.BodyInspectionLimit() != 32*1024 {
		t.Fatalf("limit = %d", acl.BodyInspectionLimit())
	}
	if d := acl.Evaluate(post(strings.Repeat("a", 20000) + "evil")); d.Action != Block {
		t.Errorf("evil at 20000 within a 32 KB limit not found")
	}
}

func TestJSONBody(t *testing.T) {
	jb := func(pattern, scope, fallback string) string {
		fb := ""
		if fallback != "" {
			fb = `, "InvalidFallbackBehavior": "` + fallback + `"`
		}
		return bm(`{"JsonBody": {"MatchPattern": `+pattern+`, "MatchScope": "`+scope+`"`+fb+`}}`, "EXACTLY", "evil", "")
	}
	all := `{"All": {}}`
	runStmtCases(t, []stmtCase{
		{"value anywhere", jb(all, "VALUE", ""), post(`{"a": [1, {"b": "evil"}]}`), true},
		{"value scope ignores keys", jb(all, "VALUE", ""), post(`{"evil": 1}`), false},
		{"key scope", jb(all, "KEY", ""), post(`{"x": {"evil": 1}}`), true},
		{"all scope keys or values", jb(all, "ALL", ""), post(`{"evil": 1}`), true},
		{"included path", jb(`{"IncludedPaths": ["/user/name"]}`, "VALUE", ""), post(`{"user": {"name": "evil"}}`), true},
		{"excluded by path", jb(`{"IncludedPaths": ["/user/name"]}`, "VALUE", ""), post(`{"user": {"bio": "evil"}}`), false},
		{"included path covers descendants", jb(`{"IncludedPaths": ["/items"]}`, "VALUE", ""), post(`{"items": [{"x": "evil"}]}`), true},
		{"array index path", jb(`{"IncludedPaths": ["/1"]}`, "VALUE", ""), post(`["ok", "evil"]`), true},
		{"invalid json match", jb(all, "VALUE", "MATCH"), post(`{"a": `), true},
		{"invalid json no match", jb(all, "VALUE", "NO_MATCH"), post(`{"a": "evil", `), false},
		{"invalid json as string", bm(`{"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "InvalidFallbackBehavior": "EVALUATE_AS_STRING"}}`, "CONTAINS", "evil", ""),
			post(`not json evil`), true},
		{"invalid json without fallback evaluates up to the error", jb(all, "VALUE", ""), post(`{"a": "evil", }`), true},
		{"trailing garbage is invalid", jb(all, "VALUE", "MATCH"), post(`{"a": 1} x`), true},
	})
}

func TestRegexAndPatternSets(t *testing.T) {
	regex := func(re string) string {
		return `{"RegexMatchStatement": {"FieldToMatch": {"SingleHeader": {"Name": "user-agent"}}, "RegexString": "` + re +
			`", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}`
	}
	set := `{"RegexPatternSetReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:123456789012:global/regexpatternset/scanners/a1b2",
		"FieldToMatch": {"SingleHeader": {"Name": "user-agent"}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}`
	runStmtCases(t, []stmtCase{
		{"regex match", regex(`^curl/\\d`), get("/", "", h("User-Agent", "curl/8.1")), true},
		{"regex no match", regex(`^curl/\\d`), get("/", "", h("User-Agent", "Mozilla")), false},
		{"pattern set any pattern", set, get("/", "", h("User-Agent", "Mozilla NIKTO")), true},
		{"pattern set none", set, get("/", "", h("User-Agent", "Mozilla")), false},
	})
}

func TestSqliAndXss(t *testing.T) {
	sqli := func(level string) string {
		return `{"SqliMatchStatement": {"FieldToMatch": {"QueryString": {}}, "SensitivityLevel": "` + level +
			`", "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}]}}`
	}
	xss := `{"XssMatchStatement": {"FieldToMatch": {"Body": {}}, "TextTransformations": [{"Priority": 0, "Type": "HTML_ENTITY_DECODE"}]}}`
	runStmtCases(t, []stmtCase{
		{"sqli low detects tautology", sqli("LOW"), get("/", "id=1%27%20OR%20%271%27=%271"), true},
		{"sqli low benign", sqli("LOW"), get("/", "q=O%27Brien"), false},
		{"sqli high catches more", sqli("HIGH"), get("/", "q=x%27%20or%20name%20like%20%27a"), true},
		{"sqli high benign", sqli("HIGH"), get("/", "q=select%20a%20color"), false},
		{"xss after entity decode", xss, post("&lt;script&gt;alert(1)&lt;/script&gt;"), true},
		{"xss benign", xss, post("I <3 scripts & tea"), false},
	})
}

func TestSizeConstraint(t *testing.T) {
	size := func(op string, n int) string {
		return `{"SizeConstraintStatement": {"FieldToMatch": {"QueryString": {}}, "ComparisonOperator": "` + op +
			`", "Size": ` + itoa(n) + `, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}`
	}
	q := get("/", "abcde") // 5 bytes
	runStmtCases(t, []stmtCase{
		{"EQ", size("EQ", 5), q, true}, {"EQ no", size("EQ", 4), q, false},
		{"NE", size("NE", 4), q, true}, {"NE no", size("NE", 5), q, false},
		{"LE", size("LE", 5), q, true}, {"LE no", size("LE", 4), q, false},
		{"LT", size("LT", 6), q, true}, {"LT no", size("LT", 5), q, false},
		{"GE", size("GE", 5), q, true}, {"GE no", size("GE", 6), q, false},
		{"GT", size("GT", 4), q, true}, {"GT no", size("GT", 5), q, false},
		{"after transformation", `{"SizeConstraintStatement": {"FieldToMatch": {"QueryString": {}}, "ComparisonOperator": "EQ", "Size": 1,
			"TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}]}}`, get("/", "%41"), true},
	})
}

func TestIPSetReference(t *testing.T) {
	arn := `"arn:aws:wafv2:us-east-1:123456789012:global/ipset/bad/0000-1111"`
	plain := `{"IPSetReferenceStatement": {"ARN": ` + arn + `}}`
	fwd := func(pos, fallback string) string {
		return `{"IPSetReferenceStatement": {"ARN": ` + arn + `, "IPSetForwardedIPConfig": {"HeaderName": "X-Forwarded-For",
			"FallbackBehavior": "` + fallback + `", "Position": "` + pos + `"}}}`
	}
	from := func(ip string, headers ...Header) *Request {
		r := get("/", "", headers...)
		r.ClientIP = netip.MustParseAddr(ip)
		return r
	}
	xff := func(v string) Header { return h("X-Forwarded-For", v) }
	runStmtCases(t, []stmtCase{
		{"ipv4 in set", plain, from("203.0.113.9"), true},
		{"ipv4 host prefix", plain, from("198.51.100.7"), true},
		{"ipv4 not in set", plain, from("198.51.100.8"), false},
		{"ipv6 in set", plain, from("2001:db8:1::5"), true},
		{"ipv4-mapped ipv6 client", plain, from("::ffff:203.0.113.9"), true},
		{"forwarded first", fwd("FIRST", "NO_MATCH"), from("192.0.2.1", xff("203.0.113.5, 10.0.0.1")), true},
		{"forwarded first ignores later", fwd("FIRST", "NO_MATCH"), from("192.0.2.1", xff("10.0.0.1, 203.0.113.5")), false},
		{"forwarded last", fwd("LAST", "NO_MATCH"), from("192.0.2.1", xff("10.0.0.1, 203.0.113.5")), true},
		{"forwarded any", fwd("ANY", "NO_MATCH"), from("192.0.2.1", xff("10.0.0.1, 203.0.113.5, 10.0.0.2")), true},
		{"forwarded any inspects the last ten", fwd("ANY", "NO_MATCH"),
			from("192.0.2.1", xff("203.0.113.5,1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8,1.1.1.9,1.1.1.10")), false},
		{"forwarded ignores the peer address", fwd("FIRST", "NO_MATCH"), from("203.0.113.9", xff("10.0.0.1")), false},
		{"forwarded invalid falls back to match", fwd("FIRST", "MATCH"), from("192.0.2.1", xff("garbage")), true},
		{"forwarded invalid falls back to no match", fwd("FIRST", "NO_MATCH"), from("192.0.2.1", xff("garbage")), false},
		{"forwarded with port", fwd("FIRST", "NO_MATCH"), from("192.0.2.1", xff("203.0.113.5:4711")), true},
		{"missing header: rule not applied", fwd("FIRST", "MATCH"), from("203.0.113.9"), false},
		{"missing header: not applied even under Not", `{"NotStatement": {"Statement": ` + fwd("FIRST", "MATCH") + `}}`, from("192.0.2.1"), false},
	})
}

func TestGeoMatchAndLabels(t *testing.T) {
	doc := `{"Name": "geo", "DefaultAction": {"Allow": {}}, "Rules": [
		{"Name": "geo-label", "Priority": 0, "Action": {"Count": {}},
		 "Statement": {"GeoMatchStatement": {"CountryCodes": ["ZZ"]}}},
		{"Name": "block-fr", "Priority": 1, "Action": {"Block": {}},
		 "Statement": {"LabelMatchStatement": {"Scope": "LABEL", "Key": "awswaf:clientip:geo:country:FR"}}},
		{"Name": "block-kp-forwarded", "Priority": 2, "Action": {"Block": {}},
		 "Statement": {"GeoMatchStatement": {"CountryCodes": ["KP"], "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "NO_MATCH"}}}}]}`
	acl := mustLoad(t, doc, Sets{}, Options{GeoIP: testGeo{}})
	fr := get("/", "")
	d := acl.Evaluate(fr)
	if d.Action != Block || d.TerminatingRule != "block-fr" {
		t.Errorf("FR client: %+v", d)
	}
	if !slices.Contains(d.Labels, "awswaf:clientip:geo:country:FR") || d.Country != "FR" {
		t.Errorf("labels %v country %q", d.Labels, d.Country)
	}
	us := get("/", "", h("X-Forwarded-For", "203.0.113.1"))
	us.ClientIP = netip.MustParseAddr("198.51.100.1")
	d = acl.Evaluate(us)
	if d.Action != Block || d.TerminatingRule != "block-kp-forwarded" {
		t.Errorf("KP forwarded: %+v", d)
	}
	if !slices.Contains(d.Labels, "awswaf:forwardedip:geo:country:KP") {
		t.Errorf("labels %v", d.Labels)
	}
	if _, err := Load([]byte(doc), Sets{}, Options{}); err == nil || !strings.Contains(err.Error(), "GeoIP") {
		t.Errorf("geo match without a GeoIP database: err = %v", err)
	}
}

func TestLabelMatchScopes(t *testing.T) {
	doc := `{"Name": "lbl", "DefaultAction": {"Allow": {}}, "Rules": [
		{"Name": "tag", "Priority": 0, "Action": {"Count": {}}, "RuleLabels": [{"Name": "team:bots:bad"}],
		 "Statement": ` + bm(`{"SingleHeader": {"Name": "user-agent"}}`, "CONTAINS", "bot", "") + `},
		{"Name": "by-namespace", "Priority": 1, "Action": {"Block": {}},
		 "Statement": {"LabelMatchStatement": {"Scope": "NAMESPACE", "Key": "team:bots:"}}}]}`
	acl := mustLoad(t, doc, Sets{}, Options{AccountID: "111122223333"})
	d := acl.Evaluate(get("/", "", h("User-Agent", "a bot")))
	if d.Action != Block || d.TerminatingRule != "by-namespace" {
		t.Fatalf("decision %+v", d)
	}
	want := "awswaf:111122223333:webacl:lbl:team:bots:bad"
	if !slices.Equal(d.Labels, []string{want}) {
		t.Errorf("labels = %v, want [%s]", d.Labels, want)
	}
	if len(d.NonTerminating) != 1 || d.NonTerminating[0].Rule != "tag" {
		t.Errorf("non-terminating = %+v", d.NonTerminating)
	}
	for _, key := range []string{"team:bots:bad", want} {
		doc := `{"Name": "lbl", "DefaultAction": {"Allow": {}}, "Rules": [
			{"Name": "tag", "Priority": 0, "Action": {"Count": {}}, "RuleLabels": [{"Name": "team:bots:bad"}],
			 "Statement": ` + bm(`{"UriPath": {}}`, "CONTAINS", "/", "") + `},
			{"Name": "by-label", "Priority": 1, "Action": {"Block": {}},
			 "Statement": {"LabelMatchStatement": {"Scope": "LABEL", "Key": "` + key + `"}}}]}`
		if d := mustLoad(t, doc, Sets{}, Options{AccountID: "111122223333"}).Evaluate(get("/", "")); d.Action != Block {
			t.Errorf("label key %q did not match", key)
		}
	}
	if d := acl.Evaluate(get("/", "", h("User-Agent", "Firefox"))); d.Action != Allow || len(d.Labels) != 0 {
		t.Errorf("unlabelled request: %+v", d)
	}
}

func TestLogicalStatements(t *testing.T) {
	a := bm(`{"UriPath": {}}`, "STARTS_WITH", "/admin", "")
	b := bm(`{"Method": {}}`, "EXACTLY", "POST", "")
	and := `{"AndStatement": {"Statements": [` + a + `, ` + b + `]}}`
	or := `{"OrStatement": {"Statements": [` + a + `, ` + b + `]}}`
	not := `{"NotStatement": {"Statement": ` + a + `}}`
	postAdmin := post("")
	postAdmin.Path = "/admin/x"
	runStmtCases(t, []stmtCase{
		{"and both", and, postAdmin, true},
		{"and one", and, get("/admin", ""), false},
		{"or one", or, get("/admin", ""), true},
		{"or none", or, get("/x", ""), false},
		{"not", not, get("/x", ""), true},
		{"not negated", not, get("/admin", ""), false},
	})
}

func TestActions(t *testing.T) {
	doc := `{"Name": "acts", "DefaultAction": {"Block": {}},
		"CustomResponseBodies": {"denied": {"ContentType": "APPLICATION_JSON", "Content": "{\"error\":\"denied\"}"}},
		"Rules": [
		{"Name": "count-all", "Priority": 0, "Action": {"Count": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "seen", "Value": "1"}]}}},
		 "Statement": ` + bm(`{"UriPath": {}}`, "STARTS_WITH", "/", "") + `},
		{"Name": "custom", "Priority": 5, "Action": {"Block": {"CustomResponse": {"ResponseCode": 429,
			"CustomResponseBodyKey": "denied", "ResponseHeaders": [{"Name": "Retry-After", "Value": "30"}]}}},
		 "Statement": ` + bm(`{"UriPath": {}}`, "EXACTLY", "/limited", "") + `},
		{"Name": "allow-public", "Priority": 3, "Action": {"Allow": {}},
		 "Statement": ` + bm(`{"UriPath": {}}`, "STARTS_WITH", "/public", "") + `}]}`
	acl := mustLoad(t, doc, Sets{}, Options{})

	d := acl.Evaluate(get("/public/a", ""))
	if d.Action != Allow || d.TerminatingRule != "allow-public" {
		t.Errorf("allow: %+v", d)
	}
	if !slices.Equal(d.InsertHeaders, []Header{{"x-amzn-waf-seen", "1"}}) {
		t.Errorf("insert headers = %v", d.InsertHeaders)
	}
	if len(d.NonTerminating) != 1 {
		t.Errorf("count rule not recorded: %+v", d.NonTerminating)
	}

	d = acl.Evaluate(get("/limited", ""))
	if d.Action != Block || d.TerminatingRule != "custom" || d.Response.Status != 429 || !d.Response.Custom {
		t.Fatalf("custom block: %+v", d)
	}
	if string(d.Response.Body) != `{"error":"denied"}` {
		t.Errorf("body = %q", d.Response.Body)
	}
	if !slices.Contains(d.Response.Headers, Header{"Content-Type", "application/json"}) ||
		!slices.Contains(d.Response.Headers, Header{"Retry-After", "30"}) {
		t.Errorf("headers = %v", d.Response.Headers)
	}
	if d.InsertHeaders != nil {
		t.Errorf("blocked request must not get inserted headers")
	}

	d = acl.Evaluate(get("/other", ""))
	if d.Action != Block || d.TerminatingRule != DefaultActionName || d.Response.Status != 403 || d.Response.Custom {
		t.Errorf("default block: %+v", d)
	}
	if !strings.Contains(string(d.Response.Body), "403 Forbidden") {
		t.Errorf("default body = %q", d.Response.Body)
	}
}

// TestRegexLiterals: literal patterns are searched without the regex
// engine for ASCII values, and find exactly what the regexes find.
func TestRegexLiterals(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		literal  bool
	}{
		{"case-insensitive set", []string{"(?i)sqlmap", "(?i)nikto"}, true},
		{"case-sensitive", []string{"nikto", `sql\.map`}, true},
		{"folding letters", []string{"(?i)k", "(?i)s"}, true},
		{"not all literal", []string{"(?i)sqlmap", "nik+to"}, false},
		{"non-ASCII literal", []string{"(?i)é"}, false},
	}
	inputs := []string{"", "Mozilla/5.0", "SQLMap/1.5", "xNiKtOx", "nikto", "NIKTO", "sql.map", "sqlxmap",
		"\u212a", "K", "\u017fqlmap", "coffer-edgeload"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lits := literalsOf(tt.patterns)
			if (lits != nil) != tt.literal {
				t.Fatalf("literalsOf(%q) = %+v, want literals: %v", tt.patterns, lits, tt.literal)
			}
			re := regexp.MustCompile("(?:" + strings.Join(tt.patterns, ")|(?:") + ")")
			for _, in := range inputs {
				if !isASCII(in) || lits == nil {
					continue
				}
				got := slices.ContainsFunc(lits, func(l literal) bool { return l.in(in) })
				if want := re.MatchString(in); got != want {
					t.Errorf("%q: literals %v, regexp %v", in, got, want)
				}
			}
		})
	}
}
