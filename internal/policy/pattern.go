package policy

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A template is a policy string (a Resource or a condition value) split into
// literal text, wildcards and policy variables. It is resolved against a
// request into a pattern; a template without variables is resolved once, when
// parsed.
type template struct {
	parts  []tpart
	fixed  bool    // no variables
	static pattern // the resolved pattern when fixed
}

type tpartKind uint8

const (
	tLiteral tpartKind = iota
	tStar
	tQuestion
	tVariable
)

type tpart struct {
	kind       tpartKind
	text       string // tLiteral: the text; tVariable: the lower-cased key
	def        string // tVariable: the default value
	hasDefault bool
}

var errBadVariable = errors.New("invalid policy variable")

// parseTemplate splits s. With vars false (policy version 2008-10-17) "${…}"
// is plain text.
func parseTemplate(s string, vars bool) (template, error) {
	var t []tpart
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t = append(t, tpart{kind: tLiteral, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		switch {
		case s[i] == '*':
			flush()
			t = append(t, tpart{kind: tStar})
			i++
		case s[i] == '?':
			flush()
			t = append(t, tpart{kind: tQuestion})
			i++
		case vars && strings.HasPrefix(s[i:], "${"):
			p, n, err := parseVariable(s[i+2:])
			if err != nil {
				return template{}, err
			}
			i += 2 + n
			if p.kind == tLiteral {
				lit.WriteString(p.text)
				continue
			}
			flush()
			t = append(t, p)
		default:
			lit.WriteByte(s[i])
			i++
		}
	}
	flush()
	tmpl := template{parts: t, fixed: true}
	for _, p := range t {
		if p.kind == tVariable {
			tmpl.fixed = false
		}
	}
	if tmpl.fixed {
		tmpl.static, _ = tmpl.resolve(nil)
	}
	return tmpl, nil
}

// parseVariable parses what follows "${" up to and including the closing
// brace and reports how many bytes it consumed. ${*}, ${?} and ${$} are the
// literal characters.
func parseVariable(s string) (tpart, int, error) {
	for _, special := range []string{"*}", "?}", "$}"} {
		if strings.HasPrefix(s, special) {
			return tpart{kind: tLiteral, text: special[:1]}, 2, nil
		}
	}
	i := 0
	for i < len(s) && s[i] != '}' && s[i] != ',' && s[i] != '\'' {
		i++
	}
	if i == len(s) || s[i] == '\'' {
		return tpart{}, 0, errBadVariable
	}
	key := strings.TrimSpace(s[:i])
	if key == "" || strings.ContainsAny(key, " \t\r\n${*?") {
		return tpart{}, 0, errBadVariable
	}
	p := tpart{kind: tVariable, text: strings.ToLower(key)}
	if s[i] == '}' {
		return p, i + 1, nil
	}
	// ", 'default'" where '' inside the quotes is one quote.
	i++
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i == len(s) || s[i] != '\'' {
		return tpart{}, 0, errBadVariable
	}
	i++
	var def strings.Builder
	for {
		if i >= len(s) {
			return tpart{}, 0, errBadVariable
		}
		if s[i] == '\'' {
			if i+1 < len(s) && s[i+1] == '\'' {
				def.WriteByte('\'')
				i += 2
				continue
			}
			i++
			break
		}
		def.WriteByte(s[i])
		i++
	}
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i == len(s) || s[i] != '}' {
		return tpart{}, 0, errBadVariable
	}
	p.def, p.hasDefault = def.String(), true
	return p, i + 1, nil
}

func (t template) hasVariables() bool { return !t.fixed }

// literal returns the template's text with wildcards as plain characters,
// for validating values that contain no variables.
func (t template) literal() string {
	var b strings.Builder
	for _, p := range t.parts {
		switch p.kind {
		case tStar:
			b.WriteByte('*')
		case tQuestion:
			b.WriteByte('?')
		default:
			b.WriteString(p.text)
		}
	}
	return b.String()
}

// A pattern is a resolved template: runes, some of which are wildcards.
// Substituted variable values are always literal, so a user named "*" is not
// a wildcard.
type pattern []pelem

type pelemKind uint8

const (
	pLiteral pelemKind = iota
	pStar
	pQuestion
)

type pelem struct {
	kind pelemKind
	r    rune
}

// resolve substitutes variables from ctx. It reports false if a variable has
// no single value in the request and no default.
func (t template) resolve(ctx *evalContext) (pattern, bool) {
	if t.static != nil {
		return t.static, true
	}
	var p pattern
	lit := func(s string) {
		for _, r := range runesOf(s) {
			p = append(p, pelem{kind: pLiteral, r: r})
		}
	}
	for _, part := range t.parts {
		switch part.kind {
		case tLiteral:
			lit(part.text)
		case tStar:
			p = append(p, pelem{kind: pStar})
		case tQuestion:
			p = append(p, pelem{kind: pQuestion})
		case tVariable:
			v, ok := ctx.variable(part.text)
			switch {
			case ok:
				lit(v)
			case part.hasDefault:
				lit(part.def)
			default:
				return nil, false
			}
		}
	}
	return p, true
}

// resolveString resolves t into plain text: wildcards stand for themselves.
func (t template) resolveString(ctx *evalContext) (string, bool) {
	p, ok := t.resolve(ctx)
	if !ok {
		return "", false
	}
	return p.String(), true
}

func (p pattern) String() string {
	var b strings.Builder
	for _, e := range p {
		switch e.kind {
		case pStar:
			b.WriteByte('*')
		case pQuestion:
			b.WriteByte('?')
		default:
			if e.r >= invalidByteBase {
				b.WriteByte(byte(e.r - invalidByteBase))
			} else {
				b.WriteRune(e.r)
			}
		}
	}
	return b.String()
}

// invalidByteBase offsets bytes that are not valid UTF-8 beyond the Unicode
// range, so that distinct invalid bytes stay distinct (ranging over a string
// would turn them all into U+FFFD).
const invalidByteBase = unicode.MaxRune + 1

func runesOf(s string) []rune {
	out := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			r = invalidByteBase + rune(s[i])
		}
		out = append(out, r)
		i += n
	}
	return out
}

// matchMode selects how wildcards treat colons.
type matchMode uint8

const (
	// matchPlain: * matches any run of characters, ? any one character.
	matchPlain matchMode = iota
	// matchARNSegments (the Resource element): wildcards stay within one
	// colon-separated ARN segment, except that a * ending a segment (followed
	// by ':' or the end of the pattern) may extend across colons, as AWS
	// documents.
	matchARNSegments
)

// match reports whether s matches p.
func (p pattern) match(s string, mode matchMode, foldCase bool) bool {
	text := runesOf(s)
	if foldCase {
		for i, r := range text {
			text[i] = unicode.ToLower(r)
		}
	}
	return p.matchRunes(text, mode, foldCase)
}

// matchRunes matches text (already lower-cased when foldCase). Literal
// prefixes and suffixes are compared directly; what lies between runs a
// dynamic program in O(len(p)·len(text)) time with no recursion, so hostile
// patterns cannot blow up.
func (p pattern) matchRunes(text []rune, mode matchMode, foldCase bool) bool {
	lit := func(e pelem) rune {
		if foldCase {
			return unicode.ToLower(e.r)
		}
		return e.r
	}
	lo, hi := 0, len(p)
	tlo, thi := 0, len(text)
	for lo < hi && p[lo].kind == pLiteral {
		if tlo == thi || text[tlo] != lit(p[lo]) {
			return false
		}
		lo, tlo = lo+1, tlo+1
	}
	if lo == hi {
		return tlo == thi
	}
	for hi > lo && p[hi-1].kind == pLiteral {
		if thi == tlo || text[thi-1] != lit(p[hi-1]) {
			return false
		}
		hi, thi = hi-1, thi-1
	}
	crossColons := func(i int) bool {
		return mode == matchPlain || i+1 == len(p) || (p[i+1].kind == pLiteral && p[i+1].r == ':')
	}
	mid := text[tlo:thi]
	if hi-lo == 1 && p[lo].kind == pStar {
		if crossColons(lo) {
			return true
		}
		for _, r := range mid {
			if r == ':' {
				return false
			}
		}
		return true
	}
	buf := make([]bool, 2*(len(mid)+1))
	cur, next := buf[:len(mid)+1], buf[len(mid)+1:]
	cur[0] = true
	for i := lo; i < hi; i++ {
		e := p[i]
		switch e.kind {
		case pStar:
			cross := crossColons(i)
			next[0] = cur[0]
			for j := 1; j <= len(mid); j++ {
				next[j] = cur[j] || (next[j-1] && (cross || mid[j-1] != ':'))
			}
		case pQuestion:
			next[0] = false
			for j := 1; j <= len(mid); j++ {
				next[j] = cur[j-1] && (mode == matchPlain || mid[j-1] != ':')
			}
		default:
			r := lit(e)
			next[0] = false
			for j := 1; j <= len(mid); j++ {
				next[j] = cur[j-1] && mid[j-1] == r
			}
		}
		cur, next = next, cur
	}
	return cur[len(mid)]
}

// matchARN compares an ARN with an ArnLike pattern: each of the six
// colon-separated components is matched separately.
func (p pattern) matchARN(s string) bool {
	text := strings.SplitN(s, ":", 6)
	if len(text) != 6 {
		return false
	}
	var parts []pattern
	start := 0
	for i, e := range p {
		if len(parts) < 5 && e.kind == pLiteral && e.r == ':' {
			parts = append(parts, p[start:i])
			start = i + 1
		}
	}
	parts = append(parts, p[start:])
	if len(parts) != 6 {
		return false
	}
	for i := range parts {
		if !parts[i].match(text[i], matchPlain, false) {
			return false
		}
	}
	return true
}
