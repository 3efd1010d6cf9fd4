package waf

import (
	"net/netip"
	"testing"
	"time"
)

func rateACL(t *testing.T, clock *fakeClock, stmt string, maxKeys int) *WebACL {
	t.Helper()
	doc := `{"Name": "rate", "DefaultAction": {"Allow": {}}, "Rules": [
		{"Name": "limit", "Priority": 0, "Action": {"Block": {}}, "Statement": {"RateBasedStatement": ` + stmt + `}}]}`
	return mustLoad(t, doc, Sets{}, Options{Clock: clock.Now, MaxRateKeys: maxKeys})
}

func fromIP(ip string) *Request {
	r := get("/", "")
	r.ClientIP = netip.MustParseAddr(ip)
	return r
}

func TestRateBasedByIP(t *testing.T) {
	clock := newFakeClock()
	acl := rateACL(t, clock, `{"Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "IP"}`, 0)
	for i := 1; i <= 10; i++ {
		if d := acl.Evaluate(fromIP("192.0.2.1")); d.Action != Allow {
			t.Fatalf("request %d blocked under the limit", i)
		}
	}
	d := acl.Evaluate(fromIP("192.0.2.1"))
	if d.Action != Block || d.TerminatingRuleType != "RATE_BASED" {
		t.Fatalf("11th request: %+v", d)
	}
	if d := acl.Evaluate(fromIP("192.0.2.2")); d.Action != Allow {
		t.Errorf("another address was limited")
	}
	clock.Advance(30 * time.Second)
	if d := acl.Evaluate(fromIP("192.0.2.1")); d.Action != Block {
		t.Errorf("still inside the window: not blocked")
	}
	clock.Advance(61 * time.Second)
	if d := acl.Evaluate(fromIP("192.0.2.1")); d.Action != Allow {
		t.Errorf("after the window: still blocked")
	}
}

func TestRateBasedScopeDownAndCustomKeys(t *testing.T) {
	clock := newFakeClock()
	acl := rateACL(t, clock, `{"Limit": 10, "EvaluationWindowSec": 120, "AggregateKeyType": "CUSTOM_KEYS",
		"CustomKeys": [{"Header": {"Name": "X-Api-Key", "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}]}}, {"HTTPMethod": {}}],
		"ScopeDownStatement": `+bm(`{"UriPath": {}}`, "STARTS_WITH", "/api", "")+`}`, 0)
	api := func(key string) *Request {
		r := get("/api/x", "", h("X-Api-Key", key))
		return r
	}
	for range 10 {
		acl.Evaluate(api("abc"))
	}
	if d := acl.Evaluate(api("ABC")); d.Action != Block {
		t.Errorf("key aggregated after LOWERCASE: want block, got %+v", d)
	}
	if d := acl.Evaluate(api("other")); d.Action != Allow {
		t.Errorf("other key limited")
	}
	outside := get("/static", "", h("X-Api-Key", "abc"))
	if d := acl.Evaluate(outside); d.Action != Allow {
		t.Errorf("request outside the scope-down statement limited")
	}
	for range 20 {
		if d := acl.Evaluate(get("/api/x", "")); d.Action != Allow {
			t.Fatalf("request without the key component must not be rate limited")
		}
	}
}

func TestRateBasedForwardedIP(t *testing.T) {
	clock := newFakeClock()
	acl := rateACL(t, clock, `{"Limit": 10, "AggregateKeyType": "FORWARDED_IP",
		"ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"}}`, 0)
	for range 10 {
		acl.Evaluate(get("/", "", h("X-Forwarded-For", "203.0.113.1, 10.0.0.1")))
	}
	if d := acl.Evaluate(get("/", "", h("X-Forwarded-For", "203.0.113.1"))); d.Action != Block {
		t.Errorf("first forwarded address over the limit not blocked")
	}
	if d := acl.Evaluate(get("/", "", h("X-Forwarded-For", "nonsense"))); d.Action != Block {
		t.Errorf("fallback MATCH for an invalid address not applied")
	}
	if d := acl.Evaluate(get("/", "")); d.Action != Allow {
		t.Errorf("missing header must not apply the rule")
	}
}

func TestRateBasedConstantNeedsScopeDown(t *testing.T) {
	doc := `{"Name": "x", "DefaultAction": {"Allow": {}}, "Rules": [{"Name": "c", "Priority": 0, "Action": {"Block": {}},
		"Statement": {"RateBasedStatement": {"Limit": 10, "AggregateKeyType": "CONSTANT"}}}]}`
	if _, err := Load([]byte(doc), Sets{}, Options{}); err == nil {
		t.Fatal("CONSTANT without ScopeDownStatement accepted")
	}
}

func TestRateCounterBoundedMemory(t *testing.T) {
	clock := newFakeClock()
	acl := rateACL(t, clock, `{"Limit": 10, "AggregateKeyType": "IP"}`, 160)
	for i := range 5000 {
		acl.Evaluate(fromIP(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String()))
	}
	rb := acl.rules[0].stmt.(*rateBased)
	if n := rb.counter.tracked(); n > 160 {
		t.Errorf("tracking %d aggregation instances, cap 160", n)
	}
}

func TestRateCounterWindowBuckets(t *testing.T) {
	c := newRateCounter(60*time.Second, 100)
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 5 {
		c.hit("k", t0.Add(time.Duration(i)*10*time.Second))
	}
	if n := c.hit("k", t0.Add(50*time.Second)); n != 6 {
		t.Errorf("count inside window = %d, want 6", n)
	}
	if n := c.hit("k", t0.Add(95*time.Second)); n != 3 {
		t.Errorf("count after sliding = %d, want 3 (40s, 50s, 95s)", n)
	}
	if n := c.hit("k", t0.Add(-time.Hour)); n != 4 {
		t.Errorf("a clock stepping back must count in the newest bucket, got %d", n)
	}
}
