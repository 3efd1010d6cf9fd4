package policy

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// FuzzParse: Parse must never panic, and whatever it accepts must evaluate
// without panicking and summarise consistently.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`), uint8(1))
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"x","Effect":"Deny","Principal":{"AWS":["111122223333"]},"NotAction":"s3:Get*","NotResource":"arn:aws:s3:::b/${aws:username, 'd''x'}/*","Condition":{"ForAnyValue:StringLikeIfExists":{"a:k":["${*}?*",1,true]}}}]}`), uint8(2))
	f.Add([]byte(`{"Statement":[{"Effect":"Allow","NotPrincipal":"*","Action":["kms:*"],"Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"::ffff:10.0.0.0/104"},"DateLessThan":{"aws:CurrentTime":"2020-01-01"}}}]}`), uint8(2))
	f.Fuzz(func(t *testing.T, doc []byte, kind uint8) {
		k := Kind(kind % 4)
		p, err := Parse(doc, k)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			return
		}
		if len(p.Statements()) == 0 {
			t.Fatal("accepted a policy without statements")
		}
		for _, pr := range []Principal{{}, alice, rootA, session, oacEdge} {
			req := Request{Principal: pr, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/home/alice/x",
				Context: map[string][]string{"a:k": {"v", "*"}, "aws:SourceIp": {"10.1.2.3"}, "aws:CurrentTime": {"2019-01-01T00:00:00Z"}}}
			d := Evaluate(req, Set{Kind: k, Owner: acctA, Policies: []*Policy{p}})
			if d.Outcome == ExplicitDeny && len(d.Statements) == 0 {
				t.Fatal("explicit deny without a deciding statement")
			}
		}
	})
}

// FuzzEvaluate: wildcard and ARN matching must never panic and must agree
// with a reference on wildcard-free patterns.
func FuzzEvaluate(f *testing.F) {
	f.Add("arn:aws:s3:::b/*", "arn:aws:s3:::b/k", "s3:Get*", "s3:GetObject", "StringLike", "a*?b", "axxb")
	f.Add("arn:aws:kms:us-*-1:*:key/*", "arn:aws:kms:us-east-1:1:key/x", "*", "kms:Decrypt", "ArnLike", "arn:aws:s3:::*", "arn:aws:s3:::b")
	f.Add("arn:aws:s3:::${aws:username}", "arn:aws:s3:::alice", "s3:?etObject", "S3:GETOBJECT", "IpAddress", "10.0.0.0/8", "10.0.0.1")
	f.Fuzz(func(t *testing.T, resPat, res, actPat, act, op, condVal, ctxVal string) {
		tr, err := parseTemplate(resPat, true)
		if err == nil {
			var ctx evalContext
			ctx.init(Request{Principal: alice})
			p, ok := tr.resolve(&ctx)
			if ok {
				got := p.match(res, matchARNSegments, false)
				if !strings.ContainsAny(resPat, "*?$") && got != (resPat == res) {
					t.Fatalf("literal pattern %q vs %q: %v", resPat, res, got)
				}
				_ = p.matchARN(res)
			}
		}
		ta, _ := parseTemplate(strings.ToLower(actPat), false)
		pa, _ := ta.resolve(nil)
		// Reference check on ASCII, where case folding is unambiguous.
		if got := pa.match(act, matchPlain, true); isASCII(actPat) && isASCII(act) &&
			!strings.ContainsAny(actPat, "*?") && got != strings.EqualFold(actPat, act) {
			t.Fatalf("literal action %q vs %q: %v", actPat, act, got)
		}
		c, ok := parseOperator(op)
		if !ok {
			return
		}
		tc, err := parseTemplate(condVal, true)
		if err != nil {
			return
		}
		c.key = "a:k"
		c.values = []template{tc}
		var ec evalContext
		ec.init(Request{Principal: alice, Context: map[string][]string{"a:k": {ctxVal}}})
		if _, ok := c.eval(&ec); !ok {
			t.Fatalf("operator %q parsed but did not evaluate", op)
		}
	})
}

// FuzzWildcardMatch: the wildcard matcher agrees with a regular-expression
// reference (* any run of characters, ? exactly one) on valid UTF-8, in
// plain mode, case-sensitively and folding ASCII case.
func FuzzWildcardMatch(f *testing.F) {
	f.Add("home/${aws:username}/*", "home/alice/x")
	f.Add("a*b?c", "axxbyc")
	f.Add("*?*", "é")
	f.Add("s3:Get*", "s3:getobject")
	f.Fuzz(func(t *testing.T, pat, text string) {
		if !utf8.ValidString(pat) || !utf8.ValidString(text) || strings.Contains(pat, "$") {
			return
		}
		tp, err := parseTemplate(pat, false)
		if err != nil {
			return
		}
		p, ok := tp.resolve(nil)
		if !ok {
			return
		}
		var re strings.Builder
		re.WriteString(`(?s)^`)
		for _, r := range pat {
			switch r {
			case '*':
				re.WriteString(`.*`)
			case '?':
				re.WriteString(`.`)
			default:
				re.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		re.WriteString(`$`)
		want := regexp.MustCompile(re.String()).MatchString(text)
		if got := p.match(text, matchPlain, false); got != want {
			t.Fatalf("%q vs %q: match %v, reference %v", pat, text, got, want)
		}
		if isASCII(pat) && isASCII(text) {
			want := regexp.MustCompile("(?i)" + re.String()).MatchString(text)
			lp, _ := parseTemplate(strings.ToLower(pat), false)
			lpp, _ := lp.resolve(nil)
			if got := lpp.match(text, matchPlain, true); got != want {
				t.Fatalf("%q vs %q folding case: match %v, reference %v", pat, text, got, want)
			}
		}
	})
}
