package waf

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"

	"github.com/corazawaf/libinjection-go"
)

// statement is a compiled rule statement.
type statement interface {
	// match reports whether the request matches. A statement that finds the
	// rule does not apply at all sets c.skip.
	match(c *evalCtx) bool
}

// Limits on patterns, from AWS WAF quotas; they also bound the regular
// expression programs RE2 builds.
const (
	maxSearchStringLen = 200
	maxRegexLen        = 512
)

var (
	_ statement = (*byteMatch)(nil)
	_ statement = (*regexMatch)(nil)
	_ statement = (*sqliMatch)(nil)
	_ statement = (*xssMatch)(nil)
	_ statement = (*sizeConstraint)(nil)
	_ statement = (*geoMatch)(nil)
	_ statement = (*ipSetReference)(nil)
	_ statement = (*rateBased)(nil)
	_ statement = (*labelMatch)(nil)
	_ statement = (*andStatement)(nil)
	_ statement = (*orStatement)(nil)
	_ statement = (*notStatement)(nil)
)

var statementNames = []string{"ByteMatchStatement", "RegexMatchStatement", "RegexPatternSetReferenceStatement",
	"SqliMatchStatement", "XssMatchStatement", "SizeConstraintStatement", "GeoMatchStatement", "IPSetReferenceStatement",
	"RateBasedStatement", "LabelMatchStatement", "AndStatement", "OrStatement", "NotStatement",
	"ManagedRuleGroupStatement", "RuleGroupReferenceStatement", "AsnMatchStatement"}

// statement compiles a Statement object; top is false for nested statements
// (rate-based statements may only appear at the top of a rule).
func (l *loader) statement(o *object, top bool) statement {
	kind, ok := o.only("Statement", statementNames...)
	if !ok {
		return nil
	}
	raw, _ := o.raw(kind)
	path := o.child(kind)
	switch kind {
	case "ManagedRuleGroupStatement", "RuleGroupReferenceStatement", "AsnMatchStatement":
		l.d.fail(path, "%s is not supported", kind)
		return nil
	}
	so := l.d.object(path, raw)
	if so == nil {
		return nil
	}
	defer so.finish()
	switch kind {
	case "ByteMatchStatement":
		return l.byteMatch(so)
	case "RegexMatchStatement":
		s := &regexMatch{field: l.fieldOf(so), chain: l.chain(so, "TextTransformations")}
		if re := l.regex(so.child("RegexString"), so.str("RegexString", true)); re != nil {
			s.res = []*regexp.Regexp{re}
			s.lits = literalsOf([]string{re.String()})
		}
		return s
	case "RegexPatternSetReferenceStatement":
		s := &regexMatch{field: l.fieldOf(so), chain: l.chain(so, "TextTransformations")}
		arn := so.str("ARN", true)
		if arn == "" {
			return s
		}
		name, ok := setName(arn, "regexpatternset")
		if !ok {
			l.d.fail(so.child("ARN"), "%q is not a regex pattern set ARN (arn:aws:wafv2:<region>:<account>:<scope>/regexpatternset/<name>/<id>)", arn)
			return s
		}
		patterns, ok := l.sets.RegexSets[name]
		if !ok {
			l.d.fail(so.child("ARN"), "unknown regex pattern set %q", name)
			return s
		}
		ok = true
		for i, p := range patterns {
			if l.regex(fmt.Sprintf("%s (regex pattern set %q, pattern %d)", so.child("ARN"), name, i), p) == nil {
				ok = false
			}
		}
		if ok && len(patterns) > 0 {
			// One alternation scans the value once instead of once per
			// pattern; flags such as (?i) stay scoped to their group.
			alt := make([]string, len(patterns))
			for i, p := range patterns {
				alt[i] = "(?:" + p + ")"
			}
			combined, err := regexp.Compile(strings.Join(alt, "|"))
			if err != nil {
				l.d.fail(so.child("ARN"), "regex pattern set %q: %v", name, err)
				return s
			}
			s.res = []*regexp.Regexp{combined}
			s.lits = literalsOf(patterns)
		}
		return s
	case "SqliMatchStatement":
		s := &sqliMatch{field: l.fieldOf(so), chain: l.chain(so, "TextTransformations")}
		s.high = so.enum("SensitivityLevel", false, "LOW", "LOW", "HIGH") == "HIGH"
		return s
	case "XssMatchStatement":
		return &xssMatch{field: l.fieldOf(so), chain: l.chain(so, "TextTransformations")}
	case "SizeConstraintStatement":
		s := &sizeConstraint{field: l.fieldOf(so), chain: l.chain(so, "TextTransformations")}
		s.op = so.enum("ComparisonOperator", true, "", "EQ", "NE", "LE", "LT", "GE", "GT")
		size, ok := so.integer("Size", true)
		if ok && (size < 0 || size > 21474836480) {
			l.d.fail(so.child("Size"), "must be between 0 and 21474836480")
		}
		s.size = size
		return s
	case "GeoMatchStatement":
		return l.geoMatch(so)
	case "IPSetReferenceStatement":
		return l.ipSetReference(so)
	case "RateBasedStatement":
		if !top {
			l.d.fail(path, "a RateBasedStatement cannot be nested inside another statement")
		}
		return l.rateBased(so)
	case "LabelMatchStatement":
		s := &labelMatch{}
		s.namespace = so.enum("Scope", true, "", "LABEL", "NAMESPACE") == "NAMESPACE"
		key := so.str("Key", true)
		if key != "" && !labelPattern.MatchString(key) {
			l.d.fail(so.child("Key"), "invalid label key %q: use A-Z, a-z, 0-9, _, - and : only", key)
		}
		s.key = l.acl.qualify(key)
		if s.namespace && !strings.HasSuffix(s.key, ":") {
			s.key += ":"
		}
		return s
	case "AndStatement", "OrStatement":
		var subs []statement
		elems := so.array("Statements", true)
		if so.has("Statements") && len(elems) < 2 {
			l.d.fail(so.child("Statements"), "needs at least two statements")
		}
		for i, e := range elems {
			if eo := l.d.object(indexPath(so.child("Statements"), i), e); eo != nil {
				if st := l.statement(eo, false); st != nil {
					subs = append(subs, st)
				}
				eo.finish()
			}
		}
		if kind == "AndStatement" {
			return &andStatement{subs}
		}
		return &orStatement{subs}
	case "NotStatement":
		so2 := so.obj("Statement", true)
		if so2 == nil {
			return nil
		}
		inner := l.statement(so2, false)
		so2.finish()
		if inner == nil {
			return nil
		}
		return &notStatement{inner}
	}
	l.d.fail(path, "unknown statement type %q", kind)
	// Mark everything as read: the unknown type is the one problem to report.
	for k := range so.m {
		so.seen[k] = true
	}
	return nil
}

func (l *loader) fieldOf(o *object) *fieldSpec {
	fo := o.obj("FieldToMatch", true)
	if fo == nil {
		return &fieldSpec{kind: fieldUriPath}
	}
	f := l.field(fo)
	fo.finish()
	if f == nil {
		return &fieldSpec{kind: fieldUriPath}
	}
	return f
}

// regex compiles a RE2 pattern, rejecting overlong ones.
func (l *loader) regex(path, pattern string) *regexp.Regexp {
	if pattern == "" {
		return nil
	}
	if len(pattern) > maxRegexLen {
		l.d.fail(path, "regular expression is %d characters, over the %d character limit", len(pattern), maxRegexLen)
		return nil
	}
	if re, ok := l.regexCache[pattern]; ok {
		return re
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		l.d.fail(path, "invalid regular expression: %v", err)
		return nil
	}
	l.regexCache[pattern] = re
	return re
}

// setName extracts <name> from arn:aws:wafv2:<region>:<account>:<scope>/<kind>/<name>/<id>.
func setName(arn, kind string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "wafv2" {
		return "", false
	}
	res := strings.Split(parts[5], "/")
	if len(res) != 4 || res[1] != kind || res[2] == "" {
		return "", false
	}
	return res[2], true
}

// anyValue applies pred to the inspected values: any match is a match, and
// oversize or invalid-JSON handling may force the result.
func anyValue(c *evalCtx, f *fieldSpec, ch *chain, pred func(string) bool) bool {
	r := c.inspect(f, ch)
	if r.forced != 0 {
		return r.forced > 0
	}
	for _, v := range r.values {
		if pred(v) {
			return true
		}
	}
	return false
}

type byteMatch struct {
	field  *fieldSpec
	chain  *chain
	search string
	pos    string
}

func (l *loader) byteMatch(o *object) statement {
	s := &byteMatch{field: l.fieldOf(o), chain: l.chain(o, "TextTransformations")}
	s.pos = o.enum("PositionalConstraint", true, "", "EXACTLY", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "CONTAINS_WORD")
	// SearchString is the plain text here, as in CloudFormation and the SDKs;
	// SearchStringBase64 carries arbitrary bytes.
	_, hasPlain := o.m["SearchString"]
	_, hasB64 := o.m["SearchStringBase64"]
	switch {
	case hasPlain && hasB64:
		o.ignore("SearchString", "SearchStringBase64")
		l.d.fail(o.path, "specify SearchString or SearchStringBase64, not both")
	case hasB64:
		enc := o.str("SearchStringBase64", true)
		b, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			l.d.fail(o.child("SearchStringBase64"), "invalid base64: %v", err)
		}
		s.search = string(b)
	default:
		s.search = o.str("SearchString", true)
	}
	if o.has("SearchString") || o.has("SearchStringBase64") {
		if s.search == "" {
			l.d.fail(o.child("SearchString"), "must not be empty")
		}
		if len(s.search) > maxSearchStringLen {
			l.d.fail(o.child("SearchString"), "is %d bytes, over the %d byte limit", len(s.search), maxSearchStringLen)
		}
	}
	if s.pos == "CONTAINS_WORD" {
		for i := 0; i < len(s.search); i++ {
			if !isWordByte(s.search[i]) {
				l.d.fail(o.child("SearchString"), "CONTAINS_WORD needs a search string of A-Z, a-z, 0-9 and _ only")
				break
			}
		}
	}
	return s
}

func isWordByte(c byte) bool {
	return c == '_' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func (s *byteMatch) match(c *evalCtx) bool {
	return anyValue(c, s.field, s.chain, s.test)
}

func (s *byteMatch) test(v string) bool {
	switch s.pos {
	case "EXACTLY":
		return v == s.search
	case "STARTS_WITH":
		return strings.HasPrefix(v, s.search)
	case "ENDS_WITH":
		return strings.HasSuffix(v, s.search)
	case "CONTAINS":
		return strings.Contains(v, s.search)
	case "CONTAINS_WORD":
		return containsWord(v, s.search)
	}
	return false
}

// containsWord reports whether word occurs in v delimited by the start or
// end of v or by a byte that is not alphanumeric or underscore.
func containsWord(v, word string) bool {
	for off := 0; off <= len(v)-len(word); {
		i := strings.Index(v[off:], word)
		if i < 0 {
			return false
		}
		i += off
		end := i + len(word)
		if (i == 0 || !isWordByte(v[i-1])) && (end == len(v) || !isWordByte(v[end])) {
			return true
		}
		off = i + 1
	}
	return false
}

type regexMatch struct {
	field *fieldSpec
	chain *chain
	res   []*regexp.Regexp
	// lits is set when every pattern is a plain ASCII literal, such as
	// "(?i)sqlmap": an ASCII value is then searched for them directly,
	// which is what the regular expressions would find (only non-ASCII
	// input can meet Unicode case folding, like K for k, and it still goes
	// through res) at a fraction of the cost.
	lits []literal
}

// literal is a pattern that matches exactly the string s, ignoring ASCII
// case when fold (s is then lower case).
type literal struct {
	s    string
	fold bool
}

// literalsOf returns the patterns as literals, or nil unless all are.
func literalsOf(patterns []string) []literal {
	out := make([]literal, 0, len(patterns))
	for _, p := range patterns {
		re, err := syntax.Parse(p, syntax.Perl)
		if err != nil {
			return nil
		}
		re = re.Simplify()
		if re.Op != syntax.OpLiteral || len(re.Rune) == 0 {
			return nil
		}
		b := make([]byte, len(re.Rune))
		for i, r := range re.Rune {
			if r >= utf8.RuneSelf {
				return nil
			}
			b[i] = byte(r)
		}
		l := literal{s: string(b), fold: re.Flags&syntax.FoldCase != 0}
		if l.fold {
			l.s = strings.ToLower(l.s)
		}
		out = append(out, l)
	}
	return out
}

func (l literal) in(v string) bool {
	if !l.fold {
		return strings.Contains(v, l.s)
	}
	for i := 0; i+len(l.s) <= len(v); i++ {
		if equalFoldASCII(v[i:i+len(l.s)], l.s) {
			return true
		}
	}
	return false
}

func isASCII(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func (s *regexMatch) match(c *evalCtx) bool {
	return anyValue(c, s.field, s.chain, func(v string) bool {
		if s.lits != nil && isASCII(v) {
			for _, l := range s.lits {
				if l.in(v) {
					return true
				}
			}
			return false
		}
		for _, re := range s.res {
			if re.MatchString(v) {
				return true
			}
		}
		return false
	})
}

type sqliMatch struct {
	field *fieldSpec
	chain *chain
	high  bool
}

// sqliHigh are the extra patterns of SensitivityLevel HIGH: common
// injection shapes that libinjection's fingerprints let through, at the
// price of more false positives, which is the trade AWS describes for HIGH.
var sqliHigh = regexp.MustCompile(`(?i)(\bunion\b[\s\S]{0,100}?\bselect\b` +
	`|['"]\s*(?:or|and|\|\||&&)\s+[\w'"]+\s*(?:=|<|>|\blike\b)` +
	`|;\s*(?:drop|insert|update|delete|exec|execute|shutdown|truncate|alter|create)\b` +
	`|\b(?:sleep|benchmark|pg_sleep|extractvalue|updatexml|load_file)\s*\(` +
	`|\bwaitfor\s+delay\b` +
	`|['"]\s*(?:--|#|/\*))`)

func (s *sqliMatch) match(c *evalCtx) bool {
	return anyValue(c, s.field, s.chain, func(v string) bool {
		if v == "" {
			return false // nothing to find, and libinjection's setup is not free
		}
		if ok, _ := libinjection.IsSQLi(v); ok {
			return true
		}
		return s.high && sqliHigh.MatchString(v)
	})
}

type xssMatch struct {
	field *fieldSpec
	chain *chain
}

func (s *xssMatch) match(c *evalCtx) bool {
	return anyValue(c, s.field, s.chain, func(v string) bool {
		return v != "" && libinjection.IsXSS(v) // "" is never XSS; skip the parser's setup
	})
}

type sizeConstraint struct {
	field *fieldSpec
	chain *chain
	op    string
	size  int64
}

func (s *sizeConstraint) match(c *evalCtx) bool {
	return anyValue(c, s.field, s.chain, func(v string) bool {
		n := int64(len(v))
		switch s.op {
		case "EQ":
			return n == s.size
		case "NE":
			return n != s.size
		case "LE":
			return n <= s.size
		case "LT":
			return n < s.size
		case "GE":
			return n >= s.size
		case "GT":
			return n > s.size
		}
		return false
	})
}

type labelMatch struct {
	namespace bool
	key       string // fully qualified; ends with ':' for a namespace
}

func (s *labelMatch) match(c *evalCtx) bool {
	for _, l := range c.labels {
		if s.namespace && strings.HasPrefix(l, s.key) || !s.namespace && l == s.key {
			return true
		}
	}
	return false
}

type andStatement struct{ subs []statement }

func (s *andStatement) match(c *evalCtx) bool {
	for _, sub := range s.subs {
		if !sub.match(c) {
			return false
		}
	}
	return len(s.subs) > 0
}

type orStatement struct{ subs []statement }

func (s *orStatement) match(c *evalCtx) bool {
	for _, sub := range s.subs {
		if sub.match(c) {
			return true
		}
	}
	return false
}

type notStatement struct{ inner statement }

func (s *notStatement) match(c *evalCtx) bool { return !s.inner.match(c) }
