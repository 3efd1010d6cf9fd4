package waf

import (
	"errors"
	"strings"
	"testing"
)

func TestLoadErrorsNamePaths(t *testing.T) {
	rule := func(stmt string) string { return oneRuleACL(stmt) }
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{"unknown field in nested field to match",
			`{"Name": "a", "DefaultAction": {"Allow": {}}, "Rules": [{}, {}, {"Name": "r", "Priority": 2, "Action": {"Block": {}},
			"Statement": {"AndStatement": {"Statements": [{"ByteMatchStatement": {"FieldToMatch": {"UriPath": {}, "Foo": 1},
			"PositionalConstraint": "EXACTLY", "SearchString": "x", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
			{"LabelMatchStatement": {"Scope": "LABEL", "Key": "k"}}]}}}]}`,
			`Rules[2].Statement.AndStatement.Statements[0].ByteMatchStatement.FieldToMatch: unknown field "Foo"`},
		{"unknown field in a marker object",
			rule(bm(`{"UriPath": {"Foo": 1}}`, "EXACTLY", "x", "")),
			`Rules[0].Statement.ByteMatchStatement.FieldToMatch.UriPath: unknown field "Foo"`},
		{"unknown field in a statement",
			rule(`{"XssMatchStatement": {"FieldToMatch": {"UriPath": {}}, "TextTransformations": [], "Foo": true}}`),
			`Rules[0].Statement.XssMatchStatement: unknown field "Foo"`},
		{"unknown top-level field", `{"Name": "a", "DefaultAction": {"Allow": {}}, "Bogus": 1}`, `unknown field "Bogus"`},
		{"two field types", rule(bm(`{"UriPath": {}, "QueryString": {}}`, "EXACTLY", "x", "")),
			`FieldToMatch: FieldToMatch must have exactly one member, found 2 (QueryString, UriPath)`},
		{"unknown statement type", rule(`{"FooStatement": {}}`), `Rules[0].Statement.FooStatement: unknown statement type "FooStatement"`},
		{"managed rule groups unsupported", rule(`{"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "x"}}`),
			`Rules[0].Statement.ManagedRuleGroupStatement: ManagedRuleGroupStatement is not supported`},
		{"captcha rejected",
			`{"Name": "a", "DefaultAction": {"Allow": {}}, "Rules": [{"Name": "r", "Priority": 0, "Action": {"Captcha": {}},
			"Statement": {"LabelMatchStatement": {"Scope": "LABEL", "Key": "k"}}}]}`,
			`Rules[0].Action.Captcha: Captcha actions are not supported`},
		{"challenge rejected",
			`{"Name": "a", "DefaultAction": {"Allow": {}}, "Rules": [{"Name": "r", "Priority": 0, "Action": {"Challenge": {}},
			"Statement": {"LabelMatchStatement": {"Scope": "LABEL", "Key": "k"}}}]}`,
			`Rules[0].Action.Challenge: Challenge actions are not supported`},
		{"unknown IP set", rule(`{"IPSetReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:1:global/ipset/nope/1"}}`),
			`Rules[0].Statement.IPSetReferenceStatement.ARN: unknown IP set "nope"`},
		{"wrong ARN kind", rule(`{"IPSetReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:1:global/regexpatternset/bad/1"}}`),
			`is not an IP set ARN`},
		{"regex too long", rule(`{"RegexMatchStatement": {"FieldToMatch": {"UriPath": {}}, "RegexString": "` + strings.Repeat("a", 600) +
			`", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}`), `over the 512 character limit`},
		{"invalid regex", rule(`{"RegexMatchStatement": {"FieldToMatch": {"UriPath": {}}, "RegexString": "(a",
			"TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}`), `invalid regular expression`},
		{"lookahead is not RE2", rule(`{"RegexMatchStatement": {"FieldToMatch": {"UriPath": {}}, "RegexString": "a(?=b)",
			"TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}`), `invalid regular expression`},
		{"unknown transformation", rule(bm(`{"UriPath": {}}`, "EXACTLY", "x", `[{"Priority": 0, "Type": "ROT13"}]`)),
			`TextTransformations[0].Type: unknown transformation "ROT13"`},
		{"duplicate transformation priority", rule(bm(`{"UriPath": {}}`, "EXACTLY", "x",
			`[{"Priority": 0, "Type": "LOWERCASE"}, {"Priority": 0, "Type": "URL_DECODE"}]`)),
			`TextTransformations[1].Priority: duplicate priority 0`},
		{"bad positional constraint", rule(bm(`{"UriPath": {}}`, "SOMEWHERE", "x", "")), `PositionalConstraint: invalid value "SOMEWHERE"`},
		{"contains word needs a word", rule(bm(`{"UriPath": {}}`, "CONTAINS_WORD", "a b", "")), `CONTAINS_WORD needs`},
		{"nested rate-based", rule(`{"NotStatement": {"Statement": {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}}}}`),
			`Rules[0].Statement.NotStatement.Statement.RateBasedStatement: a RateBasedStatement cannot be nested`},
		{"rate limit too low", rule(`{"RateBasedStatement": {"Limit": 5, "AggregateKeyType": "IP"}}`), `Limit: must be between 10`},
		{"rate window", rule(`{"RateBasedStatement": {"Limit": 50, "EvaluationWindowSec": 30, "AggregateKeyType": "IP"}}`),
			`EvaluationWindowSec: must be 60, 120, 300 or 600`},
		{"override action", `{"Name": "a", "DefaultAction": {"Allow": {}}, "Rules": [{"Name": "r", "Priority": 0, "OverrideAction": {"None": {}},
			"Statement": {"LabelMatchStatement": {"Scope": "LABEL", "Key": "k"}}}]}`, `Rules[0].OverrideAction`},
		{"duplicate priority", `{"Name": "a", "DefaultAction": {"Allow": {}}, "Rules": [
			{"Name": "r1", "Priority": 1, "Action": {"Block": {}}, "Statement": {"LabelMatchStatement": {"Scope": "LABEL", "Key": "k"}}},
			{"Name": "r2", "Priority": 1, "Action": {"Block": {}}, "Statement": {"LabelMatchStatement": {"Scope": "LABEL", "Key": "k"}}}]}`,
			`Rules[1].Priority: duplicate priority 1`},
		{"missing custom body", `{"Name": "a", "DefaultAction": {"Block": {"CustomResponse": {"ResponseCode": 403, "CustomResponseBodyKey": "nope"}}}}`,
			`DefaultAction.Block.CustomResponse.CustomResponseBodyKey: no CustomResponseBodies entry named "nope"`},
		{"bad response code", `{"Name": "a", "DefaultAction": {"Block": {"CustomResponse": {"ResponseCode": 700}}}}`, `ResponseCode: must be between 200 and 599`},
		{"reserved label word", `{"Name": "a", "DefaultAction": {"Allow": {}}, "Rules": [{"Name": "r", "Priority": 0, "Action": {"Count": {}},
			"RuleLabels": [{"Name": "aws:x"}], "Statement": {"LabelMatchStatement": {"Scope": "LABEL", "Key": "k"}}}]}`, `"aws" is reserved`},
		{"count as default action", `{"Name": "a", "DefaultAction": {"Count": {}}}`, `DefaultAction must be Allow or Block`},
		{"missing default action", `{"Name": "a"}`, `DefaultAction: required field is missing`},
		{"wrong type", `{"Name": 5, "DefaultAction": {"Allow": {}}}`, `Name: expected a string`},
		{"not an object", `[1]`, `expected an object`},
		{"and needs two", rule(`{"AndStatement": {"Statements": [{"LabelMatchStatement": {"Scope": "LABEL", "Key": "k"}}]}}`),
			`Statements: needs at least two statements`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load([]byte(tt.doc), testSets(), Options{GeoIP: testGeo{}})
			if err == nil {
				t.Fatalf("Load succeeded, want error containing %q", tt.want)
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %T is not a *LoadError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	doc := `{"Name": "a", "DefaultAction": {"Allow": {}}, "Extra": 1, "Rules": [
		{"Name": "r1", "Priority": 0, "Action": {"Captcha": {}}, "Statement": {"LabelMatchStatement": {"Scope": "LABEL", "Key": "k"}}},
		{"Name": "r2", "Priority": 1, "Action": {"Block": {}}, "Statement": {"FooStatement": {}}}]}`
	_, err := Load([]byte(doc), Sets{}, Options{})
	var le *LoadError
	if !errors.As(err, &le) || len(le.Problems) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
}

func TestLoadAcceptsGetWebACLOutput(t *testing.T) {
	doc := `{"WebACL": {"Name": "wrapped", "Id": "abc-123", "ARN": "arn:aws:wafv2:us-east-1:1:global/webacl/wrapped/abc-123",
		"DefaultAction": {"Allow": {}}, "Rules": [], "Capacity": 0, "LabelNamespace": "awswaf:1:webacl:wrapped:",
		"VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "wrapped"}}, "LockToken": "x"}`
	acl := mustLoad(t, doc, Sets{}, Options{AccountID: "123456789012"})
	if acl.Name() != "wrapped" || !strings.HasSuffix(acl.ARN(), "/webacl/wrapped/abc-123") {
		t.Errorf("name %q arn %q", acl.Name(), acl.ARN())
	}
	if acl.LabelNamespace() != "awswaf:123456789012:webacl:wrapped:" {
		t.Errorf("label namespace %q", acl.LabelNamespace())
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(oneRuleACL(bm(`{"UriPath": {}}`, "CONTAINS", "x", ""))))
	f.Add([]byte(oneRuleACL(`{"RateBasedStatement": {"Limit": 10, "AggregateKeyType": "CUSTOM_KEYS", "CustomKeys": [{"Header": {"Name": "a", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}]}}`)))
	f.Add([]byte(oneRuleACL(`{"JsonBody": {}}`)))
	f.Add([]byte(`{"Name": "a", "DefaultAction": {"Block": {"CustomResponse": {"ResponseCode": 403}}}}`))
	f.Add([]byte(`{"WebACL": null}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		acl, err := Load(doc, testSets(), Options{GeoIP: testGeo{}})
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) || len(le.Problems) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			return
		}
		// A loaded ACL must evaluate any request without panicking.
		acl.Evaluate(get("/a?b", "c=d", h("Cookie", "e=f"), h("X-Forwarded-For", "1.2.3.4")))
		acl.Evaluate(post(`{"a": [1, "x"]}`))
	})
}
