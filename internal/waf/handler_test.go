package waf

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const handlerDoc = `{"Name": "edge", "DefaultAction": {"Allow": {}},
	"CustomResponseBodies": {"sqli": {"ContentType": "TEXT_PLAIN", "Content": "no injections"}},
	"Rules": [
	{"Name": "count-admin", "Priority": 0, "Action": {"Count": {}}, "RuleLabels": [{"Name": "admin"}],
	 "Statement": {"ByteMatchStatement": {"FieldToMatch": {"UriPath": {}}, "PositionalConstraint": "STARTS_WITH",
	  "SearchString": "/admin", "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}]}}},
	{"Name": "sqli-query", "Priority": 1, "Action": {"Block": {"CustomResponse": {"ResponseCode": 403, "CustomResponseBodyKey": "sqli"}}},
	 "Statement": {"SqliMatchStatement": {"FieldToMatch": {"AllQueryArguments": {}},
	  "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}]}}},
	{"Name": "big-body", "Priority": 2, "Action": {"Block": {}},
	 "Statement": {"SizeConstraintStatement": {"FieldToMatch": {"Body": {"OversizeHandling": "MATCH"}}, "ComparisonOperator": "GT",
	  "Size": 1024, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}},
	{"Name": "xss-body", "Priority": 3, "Action": {"Block": {}},
	 "Statement": {"XssMatchStatement": {"FieldToMatch": {"Body": {"OversizeHandling": "CONTINUE"}},
	  "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}}]}`

func TestHandler(t *testing.T) {
	acl := mustLoad(t, handlerDoc, Sets{}, Options{})
	var logs bytes.Buffer
	var gotBody string
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.WriteHeader(200)
	})
	hd := Handler(acl, next, WithLogger(NewLogger(&logs), nil), WithRequestID(func(*http.Request) string { return "req-1" }))

	t.Run("clean request passes with its body intact", func(t *testing.T) {
		body := strings.Repeat("hello world ", 75) // 900 bytes, under the 1 KB size rule
		r := httptest.NewRequest("POST", "/obj?x=1", strings.NewReader(body))
		w := httptest.NewRecorder()
		hd.ServeHTTP(w, r)
		if w.Code != 200 || gotBody != body {
			t.Errorf("code %d, next saw %d bytes", w.Code, len(gotBody))
		}
	})
	t.Run("sql injection gets the custom body", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/obj?id=1%27%20OR%201=1--", nil)
		w := httptest.NewRecorder()
		hd.ServeHTTP(w, r)
		if w.Code != 403 || w.Body.String() != "no injections" || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
			t.Errorf("code %d body %q", w.Code, w.Body.String())
		}
	})
	t.Run("body over the size constraint", func(t *testing.T) {
		r := httptest.NewRequest("PUT", "/obj", strings.NewReader(strings.Repeat("a", 2000)))
		w := httptest.NewRecorder()
		hd.ServeHTTP(w, r)
		if w.Code != 403 || !strings.Contains(w.Body.String(), "403 Forbidden") {
			t.Errorf("code %d body %q", w.Code, w.Body.String())
		}
	})
	t.Run("chunked body over the inspection limit with unknown length", func(t *testing.T) {
		body := strings.Repeat("b", 20000) + "<script>alert(1)</script>"
		r := httptest.NewRequest("PUT", "/obj", io.NopCloser(strings.NewReader(body)))
		r.ContentLength = -1
		req, err := NewRequest(r, acl.BodyInspectionLimit())
		if err != nil {
			t.Fatal(err)
		}
		if len(req.Body) != 16*1024 || req.BodySize != 16*1024+1 {
			t.Errorf("inspected %d bytes, size %d", len(req.Body), req.BodySize)
		}
		rest, _ := io.ReadAll(r.Body)
		if string(rest) != body {
			t.Errorf("body not restored: %d bytes", len(rest))
		}
	})
	t.Run("count rule passes and is logged", func(t *testing.T) {
		logs.Reset()
		r := httptest.NewRequest("GET", "/ADMIN/x", nil)
		w := httptest.NewRecorder()
		hd.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("code %d", w.Code)
		}
		var rec LogRecord
		if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q: %v", logs.String(), err)
		}
		if rec.Action != "ALLOW" || rec.TerminatingRuleID != DefaultActionName || len(rec.NonTerminatingMatchingRules) != 1 ||
			rec.NonTerminatingMatchingRules[0].RuleID != "count-admin" || rec.HTTPRequest.RequestID != "req-1" ||
			rec.HTTPRequest.URI != "/ADMIN/x" || rec.HTTPRequest.ClientIP != "192.0.2.1" || rec.FormatVersion != 1 ||
			len(rec.Labels) != 1 || rec.Labels[0].Name != "awswaf:000000000000:webacl:edge:admin" {
			t.Errorf("record %+v", rec)
		}
	})
	t.Run("block page hook renders default blocks only", func(t *testing.T) {
		hook := Handler(acl, next, WithBlockPage(func(w http.ResponseWriter, r *http.Request, d Decision) bool {
			w.WriteHeader(403)
			io.WriteString(w, "edge page")
			return true
		}))
		w := httptest.NewRecorder()
		hook.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader("<script>alert(1)</script>")))
		if w.Body.String() != "edge page" {
			t.Errorf("default block: %q", w.Body.String())
		}
		w = httptest.NewRecorder()
		hook.ServeHTTP(w, httptest.NewRequest("GET", "/?q=1%27%20or%201=1--", nil))
		if w.Body.String() != "no injections" {
			t.Errorf("custom response overridden: %q", w.Body.String())
		}
	})
}

func TestHandlerInsertsHeaders(t *testing.T) {
	doc := `{"Name": "h", "DefaultAction": {"Allow": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "verdict", "Value": "ok"}]}}}}`
	acl := mustLoad(t, doc, Sets{}, Options{})
	var got string
	hd := Handler(acl, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Get("X-Amzn-Waf-Verdict") }))
	hd.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if got != "ok" {
		t.Errorf("inserted header = %q", got)
	}
}

func TestStatsAndSamples(t *testing.T) {
	clock := newFakeClock()
	acl := mustLoad(t, handlerDoc, Sets{}, Options{Clock: clock.Now})
	for range 150 {
		acl.Evaluate(get("/admin", "id=1%27%20or%201=1--"))
	}
	acl.Evaluate(get("/ok", ""))
	st := acl.Stats()
	byName := map[string]RuleStats{}
	for _, r := range st.Rules {
		byName[r.Rule] = r
	}
	if byName["count-admin"].Counted != 150 || byName["sqli-query"].Blocked != 150 || byName[DefaultActionName].Allowed != 1 {
		t.Errorf("stats %+v", st)
	}
	samples := acl.SampledRequests("sqli-query")
	if len(samples) != 100 {
		t.Fatalf("%d samples, want the last 100", len(samples))
	}
	if s := samples[0]; s.Action != "BLOCK" || s.Request.URI != "/admin" || s.RuleName != "sqli-query" || !s.Timestamp.Equal(clock.Now()) {
		t.Errorf("sample %+v", s)
	}
	if got := acl.SampledRequests(DefaultActionName); len(got) != 1 {
		t.Errorf("default action samples %d", len(got))
	}
	if acl.SampledRequests("nope") != nil {
		t.Error("unknown rule has samples")
	}
}
