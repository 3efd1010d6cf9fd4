package waf

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// A transform rewrites one inspected value. Every transform is pure, never
// panics on arbitrary bytes, and grows its input by at most a small constant
// factor (UTF8_TO_UNICODE is the largest at 3x), so a chain of the ten
// transformations AWS allows stays bounded by the inspection limits.
type transform func(string) string

// transforms maps AWS TextTransformation type names to implementations. The
// semantics follow the AWS WAF developer guide ("Text transformation
// options"), which in turn follows ModSecurity's transformation functions.
var transforms = map[string]transform{
	"NONE":                 func(s string) string { return s },
	"URL_DECODE":           urlDecode,
	"URL_DECODE_UNI":       urlDecodeUni,
	"HTML_ENTITY_DECODE":   htmlEntityDecode,
	"LOWERCASE":            lowercase,
	"UPPERCASE":            uppercase,
	"COMPRESS_WHITE_SPACE": compressWhiteSpace,
	"REMOVE_WHITESPACE":    removeWhitespace,
	"CMD_LINE":             cmdLine,
	"BASE64_DECODE":        base64Decode,
	"BASE64_DECODE_EXT":    base64DecodeExt,
	"HEX_DECODE":           hexDecode,
	"JS_DECODE":            jsDecode,
	"CSS_DECODE":           cssDecode,
	"ESCAPE_SEQ_DECODE":    escapeSeqDecode,
	"MD5":                  md5Sum,
	"SHA256":               sha256Sum,
	"NORMALIZE_PATH":       func(s string) string { return normalizePath(s, false) },
	"NORMALIZE_PATH_WIN":   func(s string) string { return normalizePath(s, true) },
	"REMOVE_NULLS":         removeNulls,
	"REPLACE_NULLS":        replaceNulls,
	"REPLACE_COMMENTS":     replaceComments,
	"SQL_HEX_DECODE":       sqlHexDecode,
	"UTF8_TO_UNICODE":      utf8ToUnicode,
	"TRIM":                 func(s string) string { return strings.TrimFunc(s, isSpaceRune) },
	"TRIM_LEFT":            func(s string) string { return strings.TrimLeftFunc(s, isSpaceRune) },
	"TRIM_RIGHT":           func(s string) string { return strings.TrimRightFunc(s, isSpaceRune) },
}

// unsupportedTransforms are AWS transformation types this engine rejects at
// load rather than silently skipping.
var unsupportedTransforms = map[string]bool{
	"REMOVE_COMMENTS_CHAR": true,
	"CMD_LINE_WIN":         true,
	"CMD_LINE_UNIX":        true,
	"JS_DECODE_EXT":        true,
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isSpaceRune(r rune) bool { return r < utf8.RuneSelf && isSpaceByte(byte(r)) }

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func isOctal(c byte) bool { return '0' <= c && c <= '7' }

// wideToByte folds a 16-bit code unit to one byte the way ModSecurity's
// %u / \u decoders do: full-width ASCII (U+FF01..U+FF5E) becomes its ASCII
// counterpart, anything else keeps only its low byte.
func wideToByte(code uint32) byte {
	if code >= 0xff01 && code <= 0xff5e {
		return byte(code - 0xfee0)
	}
	return byte(code)
}

// urlDecode decodes %HH escapes and '+' (as a space). Malformed escapes are
// kept verbatim, so the attacker cannot hide bytes behind an invalid escape.
func urlDecode(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case c == '+':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// urlDecodeUni is urlDecode plus Microsoft's %uHHHH escapes.
func urlDecodeUni(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+5 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') &&
			isHex(s[i+2]) && isHex(s[i+3]) && isHex(s[i+4]) && isHex(s[i+5]):
			code := uint32(unhex(s[i+2]))<<12 | uint32(unhex(s[i+3]))<<8 | uint32(unhex(s[i+4]))<<4 | uint32(unhex(s[i+5]))
			b = append(b, wideToByte(code))
			i += 5
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case c == '+':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

var namedEntities = map[string]string{
	"quot": `"`,
	"amp":  "&",
	"lt":   "<",
	"gt":   ">",
	"apos": "'",
	"nbsp": "\xa0",
}

// htmlEntityDecode decodes &#DDD;, &#xHH; and the named entities AWS lists
// (quot, amp, lt, gt, nbsp; plus apos). As in ModSecurity the trailing
// semicolon of a numeric entity is optional, because browsers accept that
// form too. Code points up to 0xFF become a single byte, larger ones UTF-8.
func htmlEntityDecode(s string) string {
	if strings.IndexByte(s, '&') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '&' {
			b = append(b, s[i])
			continue
		}
		if n, out, ok := decodeEntity(s[i+1:]); ok {
			b = append(b, out...)
			i += n
			continue
		}
		b = append(b, '&')
	}
	return string(b)
}

// decodeEntity decodes the entity body at the start of s (just after '&') and
// reports how many bytes of s it consumed.
func decodeEntity(s string) (int, []byte, bool) {
	if len(s) > 1 && s[0] == '#' {
		j := 1
		hex := len(s) > 2 && (s[1] == 'x' || s[1] == 'X')
		if hex {
			j = 2
		}
		start := j
		var code uint32
		for j < len(s) && j-start < 8 {
			c := s[j]
			if hex && isHex(c) {
				code = code<<4 | uint32(unhex(c))
			} else if !hex && '0' <= c && c <= '9' {
				code = code*10 + uint32(c-'0')
			} else {
				break
			}
			j++
		}
		if j == start {
			return 0, nil, false
		}
		if j < len(s) && s[j] == ';' {
			j++
		}
		if code <= 0xff {
			return j, []byte{byte(code)}, true
		}
		if code > utf8.MaxRune {
			code = utf8.RuneError
		}
		return j, utf8.AppendRune(nil, rune(code)), true
	}
	end := strings.IndexByte(s, ';')
	if end <= 0 || end > 5 {
		return 0, nil, false
	}
	if v, ok := namedEntities[strings.ToLower(s[:end])]; ok {
		return end + 1, []byte(v), true
	}
	return 0, nil, false
}

func lowercase(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func uppercase(s string) string {
	b := []byte(s)
	for j := range b {
		if 'a' <= b[j] && b[j] <= 'z' {
			b[j] -= 'a' - 'A'
		}
	}
	return string(b)
}

// whitespaceAt reports the length of the whitespace sequence at s[i] for
// COMPRESS_WHITE_SPACE: ASCII space, \f \t \n \r \v, and the non-breaking
// space (decimal 160) either as the raw byte or UTF-8 encoded.
func whitespaceAt(s string, i int) int {
	c := s[i]
	switch {
	case isSpaceByte(c), c == 0xa0:
		return 1
	case c == 0xc2 && i+1 < len(s) && s[i+1] == 0xa0:
		return 2
	}
	return 0
}

func compressWhiteSpace(s string) string {
	b := make([]byte, 0, len(s))
	space := false
	for i := 0; i < len(s); {
		if n := whitespaceAt(s, i); n > 0 {
			if !space {
				b = append(b, ' ')
				space = true
			}
			i += n
			continue
		}
		space = false
		b = append(b, s[i])
		i++
	}
	return string(b)
}

func removeWhitespace(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		if n := whitespaceAt(s, i); n > 0 {
			i += n
			continue
		}
		b = append(b, s[i])
		i++
	}
	return string(b)
}

// cmdLine implements CMD_LINE: delete \ " ' ^, delete spaces before / and (,
// turn , and ; into spaces, collapse whitespace runs, lowercase.
func cmdLine(s string) string {
	b := make([]byte, 0, len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || c == '"' || c == '\'' || c == '^':
			continue
		case isSpaceByte(c) || c == ',' || c == ';':
			if !space {
				b = append(b, ' ')
				space = true
			}
			continue
		case c == '/' || c == '(':
			if space {
				b = b[:len(b)-1]
			}
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		space = false
		b = append(b, c)
	}
	return string(b)
}

func isBase64Char(c byte) bool {
	return ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c == '+' || c == '/'
}

// base64Decode decodes the leading run of valid base64 characters, stopping
// at padding or the first invalid character, as ModSecurity does.
func base64Decode(s string) string {
	n := 0
	for n < len(s) && isBase64Char(s[n]) {
		n++
	}
	return decodeBase64Run(s[:n])
}

// base64DecodeExt ignores every character that is not valid base64 (and
// accepts the URL-safe alphabet).
func base64DecodeExt(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-':
			b = append(b, '+')
		case c == '_':
			b = append(b, '/')
		case isBase64Char(c):
			b = append(b, c)
		}
	}
	return decodeBase64Run(string(b))
}

func decodeBase64Run(run string) string {
	if len(run)%4 == 1 {
		run = run[:len(run)-1] // a lone trailing sextet carries no whole byte
	}
	// Non-strict decoding accepts non-canonical trailing bits; with only
	// alphabet characters and a length not 1 mod 4 it cannot fail.
	out, err := base64.RawStdEncoding.DecodeString(run)
	if err != nil {
		return ""
	}
	return string(out)
}

// hexDecode turns pairs of hex digits into bytes. A pair that is not valid
// hex is copied as is, and so is an odd trailing digit.
func hexDecode(s string) string {
	b := make([]byte, 0, len(s)/2+1)
	i := 0
	for ; i+1 < len(s); i += 2 {
		if isHex(s[i]) && isHex(s[i+1]) {
			b = append(b, unhex(s[i])<<4|unhex(s[i+1]))
		} else {
			b = append(b, s[i], s[i+1])
		}
	}
	if i < len(s) {
		b = append(b, s[i])
	}
	return string(b)
}

// simpleEscape maps the single-character C escapes shared by JS_DECODE and
// ESCAPE_SEQ_DECODE.
func simpleEscape(c byte) (byte, bool) {
	switch c {
	case 'a':
		return '\a', true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	case 'v':
		return '\v', true
	case '\\', '?', '\'', '"':
		return c, true
	}
	return 0, false
}

// octalAt decodes up to three octal digits at s[i:] whose value fits a byte.
func octalAt(s string, i int) (byte, int) {
	var v, n int
	for n < 3 && i+n < len(s) && isOctal(s[i+n]) && v*8+int(s[i+n]-'0') <= 0xff {
		v = v*8 + int(s[i+n]-'0')
		n++
	}
	return byte(v), n
}

// jsDecode decodes JavaScript escapes: \uHHHH (folded to one byte), \xHH,
// octal \OOO, the C escapes, and \c for any other c (the backslash is
// dropped, as a JavaScript engine would).
func jsDecode(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b = append(b, c)
			continue
		}
		n := s[i+1]
		switch {
		case n == 'u' && i+5 < len(s) && isHex(s[i+2]) && isHex(s[i+3]) && isHex(s[i+4]) && isHex(s[i+5]):
			code := uint32(unhex(s[i+2]))<<12 | uint32(unhex(s[i+3]))<<8 | uint32(unhex(s[i+4]))<<4 | uint32(unhex(s[i+5]))
			b = append(b, wideToByte(code))
			i += 5
		case n == 'x' && i+3 < len(s) && isHex(s[i+2]) && isHex(s[i+3]):
			b = append(b, unhex(s[i+2])<<4|unhex(s[i+3]))
			i += 3
		case isOctal(n):
			v, k := octalAt(s, i+1)
			b = append(b, v)
			i += k
		default:
			if e, ok := simpleEscape(n); ok {
				b = append(b, e)
			} else {
				b = append(b, n)
			}
			i++
		}
	}
	return string(b)
}

// cssDecode decodes CSS 2.x escapes: a backslash followed by one to six hex
// digits (folded to one byte like \u, and an optional single whitespace
// after the digits is consumed), a backslash-newline line continuation
// (removed), and a backslash before any other character (dropped, so
// ja\vascript reads javascript).
func cssDecode(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		if i+1 >= len(s) {
			break // a trailing backslash escapes nothing
		}
		j := i + 1
		var code uint32
		for j < len(s) && j-i <= 6 && isHex(s[j]) {
			code = code<<4 | uint32(unhex(s[j]))
			j++
		}
		if j > i+1 {
			b = append(b, wideToByte(code&0xffff))
			if j < len(s) && isSpaceByte(s[j]) {
				j++
			}
			i = j - 1
			continue
		}
		if s[i+1] == '\n' {
			i++
			continue
		}
		b = append(b, s[i+1])
		i++
	}
	return string(b)
}

// escapeSeqDecode decodes ANSI C escapes: \a \b \f \n \r \t \v \\ \? \' \"
// \xHH and octal \OOO. Anything else, including malformed escapes, is left
// in the output unchanged.
func escapeSeqDecode(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b = append(b, c)
			continue
		}
		n := s[i+1]
		if e, ok := simpleEscape(n); ok {
			b = append(b, e)
			i++
			continue
		}
		if n == 'x' && i+3 < len(s) && isHex(s[i+2]) && isHex(s[i+3]) {
			b = append(b, unhex(s[i+2])<<4|unhex(s[i+3]))
			i += 3
			continue
		}
		if isOctal(n) {
			v, k := octalAt(s, i+1)
			b = append(b, v)
			i += k
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

func md5Sum(s string) string {
	h := md5.Sum([]byte(s))
	return string(h[:])
}

func sha256Sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return string(h[:])
}

// normalizePath removes repeated slashes, "." segments and ".." segments
// with the segment they cancel. A ".." that would climb above the start of a
// relative path is kept (AWS: back-references "not at the beginning of the
// input"); above the root of an absolute path it is dropped. With win set,
// backslashes are first turned into slashes.
func normalizePath(s string, win bool) string {
	if s == "" {
		return s
	}
	if win {
		s = strings.ReplaceAll(s, `\`, "/")
	}
	abs := s[0] == '/'
	trailing := strings.HasSuffix(s, "/") || strings.HasSuffix(s, "/.") || strings.HasSuffix(s, "/..") || s == "." || s == ".."
	segs := strings.Split(s, "/")
	out := make([]string, 0, len(segs))
	for _, seg := range segs {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 && out[len(out)-1] != ".." {
				out = out[:len(out)-1]
			} else if !abs {
				out = append(out, "..")
			}
		default:
			out = append(out, seg)
		}
	}
	r := strings.Join(out, "/")
	if abs {
		r = "/" + r
	}
	if trailing && !strings.HasSuffix(r, "/") && r != "" {
		r += "/"
	}
	return r
}

func removeNulls(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "")
}

func replaceNulls(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", " ")
}

// replaceComments replaces each C-style comment /* ... */ with one space; an
// unterminated comment runs to the end of the input. A lone */ is kept.
func replaceComments(s string) string {
	if !strings.Contains(s, "/*") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.Index(s, "/*")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteByte(' ')
		j := strings.Index(s[i+2:], "*/")
		if j < 0 {
			return b.String()
		}
		s = s[i+2+j+2:]
	}
}

// sqlHexDecode decodes SQL hex literals such as 0x414243 (to ABC). Only
// whole byte pairs are decoded; an odd trailing digit is kept.
func sqlHexDecode(s string) string {
	if !strings.Contains(s, "0x") && !strings.Contains(s, "0X") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '0' && i+3 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') && isHex(s[i+2]) && isHex(s[i+3]) {
			j := i + 2
			for j+1 < len(s) && isHex(s[j]) && isHex(s[j+1]) {
				b = append(b, unhex(s[j])<<4|unhex(s[j+1]))
				j += 2
			}
			i = j - 1
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

// utf8ToUnicode rewrites every multi-byte UTF-8 sequence as %uHHHH, leaving
// ASCII and invalid bytes alone, so that later byte-oriented rules see one
// ASCII form for non-ASCII characters.
func utf8ToUnicode(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	const digits = "0123456789abcdef"
	b := make([]byte, 0, len(s)*2)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r < utf8.RuneSelf || (r == utf8.RuneError && n == 1) {
			b = append(b, s[i])
			i++
			continue
		}
		b = append(b, '%', 'u')
		if r > 0xffff {
			b = append(b, digits[r>>16&0xf])
		}
		b = append(b, digits[r>>12&0xf], digits[r>>8&0xf], digits[r>>4&0xf], digits[r&0xf])
		i += n
	}
	return string(b)
}
