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

// A pattern is a resolved template: literal text and wildcards. Substituted
// variable values are always literal, so a user named "*" is not a
// wildcard. Literal elements are never empty.
type pattern []pelem

type pelemKind uint8

const (
	pLiteral pelemKind = iota
	pStar
	pQuestion
)

type pelem struct {
	kind pelemKind
	text string // pLiteral
}

// resolve substitutes variables from ctx. It reports false if a variable has
// no single value in the request and no default.
func (t template) resolve(ctx *evalContext) (pattern, bool) {
	if t.static != nil {
		return t.static, true
	}
	p := make(pattern, 0, len(t.parts))
	lit := func(s string) {
		if s != "" {
			p = append(p, pelem{kind: pLiteral, text: s})
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
	if len(p) == 1 && p[0].kind == pLiteral {
		return p[0].text
	}
	var b strings.Builder
	for _, e := range p {
		switch e.kind {
		case pStar:
			b.WriteByte('*')
		case pQuestion:
			b.WriteByte('?')
		default:
			b.WriteString(e.text)
		}
	}
	return b.String()
}

// chars is a string matched character by character without decoding it
// into runes: a character is a UTF-8 encoded rune or, where the string is
// not valid UTF-8, one invalid byte (so that distinct invalid bytes stay
// distinct, and ? matches exactly one of them).
type chars struct {
	s string
	// starts marks the bytes where a character starts (and len(s)) when s
	// is not valid UTF-8; nil when it is, and any byte but a continuation
	// byte starts one.
	starts []bool
}

func charsOf(s string) chars {
	c := chars{s: s}
	if utf8.ValidString(s) {
		return c
	}
	c.starts = make([]bool, len(s)+1)
	for i := 0; i < len(s); {
		c.starts[i] = true
		_, n := utf8.DecodeRuneInString(s[i:])
		i += n
	}
	c.starts[len(s)] = true
	return c
}

// isStart reports whether a character of c starts at byte i, or i is the
// end.
func (c chars) isStart(i int) bool {
	if c.starts != nil {
		return c.starts[i]
	}
	return i == len(c.s) || utf8.RuneStart(c.s[i])
}

// charLen is the length in bytes of the character starting at byte i.
func (c chars) charLen(i int) int {
	if c.s[i] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(c.s[i:])
	return n
}

// hasLiteral reports whether the characters of c from byte i (a start) are
// those of lit. Equal bytes ending on a character start are equal
// characters: an invalid byte of lit that c decodes as part of a valid rune
// would make that rune cross the end.
func (c chars) hasLiteral(i int, lit string) bool {
	return strings.HasPrefix(c.s[i:], lit) && c.isStart(i+len(lit))
}

// toLower lower-cases s rune by rune, as strings.ToLower does, but keeps
// invalid bytes as they are (strings.ToLower would make them U+FFFD).
func toLower(s string) string {
	i := lowerPrefix(s)
	if i == len(s) {
		return s
	}
	b := make([]byte, i, len(s))
	copy(b, s)
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, s[i])
		} else {
			b = utf8.AppendRune(b, unicode.ToLower(r))
		}
		i += n
	}
	return string(b)
}

// lowerPrefix returns the length of the longest prefix of s that toLower
// leaves as it is: len(s) when s is lower-case already.
func lowerPrefix(s string) int {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			if 'A' <= s[i] && s[i] <= 'Z' {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.ToLower(r) != r {
			return i
		}
		i += n
	}
	return len(s)
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

// match reports whether s matches p. With foldCase s is lower-cased first:
// p's literals must be lower-case already (Parse lower-cases actions).
func (p pattern) match(s string, mode matchMode, foldCase bool) bool {
	if foldCase {
		s = toLower(s)
	}
	return p.matchChars(charsOf(s), mode)
}

// matchChars matches text. Literal prefixes and suffixes are compared
// directly; what lies between runs a dynamic program in
// O(len(p)·len(text)) time with no recursion, so hostile patterns cannot
// blow up.
func (p pattern) matchChars(text chars, mode matchMode) bool {
	s := text.s
	lo, hi := 0, len(p)
	tlo, thi := 0, len(s)
	for lo < hi && p[lo].kind == pLiteral {
		if !text.hasLiteral(tlo, p[lo].text) {
			return false
		}
		lo, tlo = lo+1, tlo+len(p[lo].text)
	}
	if lo == hi {
		return tlo == thi
	}
	for hi > lo && p[hi-1].kind == pLiteral {
		lit := p[hi-1].text
		if !strings.HasSuffix(s[tlo:thi], lit) || !text.isStart(thi-len(lit)) {
			return false
		}
		hi, thi = hi-1, thi-len(lit)
	}
	crossColons := func(i int) bool {
		return mode == matchPlain || i+1 == len(p) || (p[i+1].kind == pLiteral && p[i+1].text[0] == ':')
	}
	mid := s[tlo:thi]
	if hi-lo == 1 && p[lo].kind == pStar {
		return crossColons(lo) || !strings.Contains(mid, ":")
	}
	// cur[j]: p[lo:i] matches mid[:j]; only character starts can be true.
	var stack [2 * 128]bool
	n := 2 * (len(mid) + 1)
	var buf []bool
	if n <= len(stack) {
		buf = stack[:n]
	} else {
		buf = make([]bool, n)
	}
	cur, next := buf[:len(mid)+1], buf[len(mid)+1:]
	cur[0] = true
	for i := lo; i < hi; i++ {
		e := p[i]
		clear(next)
		switch e.kind {
		case pStar:
			cross := crossColons(i)
			next[0] = cur[0]
			for j := 0; j < len(mid); {
				k := j + text.charLen(tlo+j)
				next[k] = cur[k] || (next[j] && (cross || mid[j] != ':'))
				j = k
			}
		case pQuestion:
			for j := 0; j < len(mid); {
				k := j + text.charLen(tlo+j)
				next[k] = cur[j] && (mode == matchPlain || mid[j] != ':')
				j = k
			}
		default:
			for j := 0; j+len(e.text) <= len(mid); {
				if cur[j] && text.hasLiteral(tlo+j, e.text) {
					next[j+len(e.text)] = true
				}
				j += text.charLen(tlo + j)
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
	parts := make([]pattern, 1, 6)
	for _, e := range p {
		for e.kind == pLiteral && len(parts) < 6 {
			before, after, found := strings.Cut(e.text, ":")
			if !found {
				break
			}
			if before != "" {
				parts[len(parts)-1] = append(parts[len(parts)-1], pelem{kind: pLiteral, text: before})
			}
			parts = append(parts, nil)
			e.text = after
		}
		if e.kind != pLiteral || e.text != "" {
			parts[len(parts)-1] = append(parts[len(parts)-1], e)
		}
	}
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
