package waf

import (
	"crypto/md5"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTransformations(t *testing.T) {
	md5abc := md5.Sum([]byte("abc"))
	tests := []struct {
		name, typ, in, want string
	}{
		{"none is identity", "NONE", "A%20b", "A%20b"},
		{"url decode escapes and plus", "URL_DECODE", "%27%20OR%201=1+--", "' OR 1=1 --"},
		{"url decode keeps malformed escapes", "URL_DECODE", "100%zz%2", "100%zz%2"},
		{"url decode decodes once", "URL_DECODE", "%2527", "%27"},
		{"url decode uni full-width", "URL_DECODE_UNI", "%uff1cscript%uFF1E", "<script>"},
		{"url decode uni low byte", "URL_DECODE_UNI", "%u0027%41", "'A"},
		{"html entities named and numeric", "HTML_ENTITY_DECODE", "&lt;img&gt;&#x61;&#98;&quot;&amp;&#39", "<img>ab\"&'"},
		{"html entity nbsp is byte 160", "HTML_ENTITY_DECODE", "a&nbsp;b", "a\xa0b"},
		{"html entity unknown kept", "HTML_ENTITY_DECODE", "&foo; & &#;", "&foo; & &#;"},
		{"html entity wide code point is utf-8", "HTML_ENTITY_DECODE", "&#x20ac;", "€"},
		{"lowercase ascii only", "LOWERCASE", "SeLeCT ÄB", "select Äb"},
		{"uppercase", "UPPERCASE", "select", "SELECT"},
		{"compress white space", "COMPRESS_WHITE_SPACE", "a \t\n\r\f\vb\u00a0\u00a0c\xa0d", "a b c d"},
		{"remove whitespace", "REMOVE_WHITESPACE", "un ion\tsel\necT", "unionselecT"},
		{"cmd line", "CMD_LINE", `"ne^t" us'er  /ADD,x;(y)`, "net user/add x(y)"},
		{"cmd line backslashes", "CMD_LINE", `c:\win\sys`, "c:winsys"},
		{"base64 decode", "BASE64_DECODE", "PHNjcmlwdD4=", "<script>"},
		{"base64 decode stops at invalid", "BASE64_DECODE", "PHNj*cmlwdD4", "<sc"},
		{"base64 decode ext skips invalid", "BASE64_DECODE_EXT", "PHNj*cml\nwdD4", "<script>"},
		{"hex decode", "HEX_DECODE", "3c736372697074", "<script"},
		{"hex decode keeps invalid pairs", "HEX_DECODE", "41zz423", "AzzB3"},
		{"js decode", "JS_DECODE", `\x3cscript\u003e\141\n\uff1c\q\`, "<script>a\n<q\\"},
		{"css decode", "CSS_DECODE", `ja\vascript:\61 lert(1)\`, "javascript:alert(1)"},
		{"css decode six digits and continuation", "CSS_DECODE", "\\000041a\\\nb", "Aab"},
		{"escape seq decode", "ESCAPE_SEQ_DECODE", `\x41\102\n\q\\`, "AB\n\\q\\"},
		{"md5 is raw digest", "MD5", "abc", string(md5abc[:])},
		{"normalize path", "NORMALIZE_PATH", "/a//b/./c/../d/", "/a/b/d/"},
		{"normalize path keeps leading back-references", "NORMALIZE_PATH", "../../x/./y", "../../x/y"},
		{"normalize path at root", "NORMALIZE_PATH", "/../etc/passwd", "/etc/passwd"},
		{"normalize path trailing dot-dot", "NORMALIZE_PATH", "a/b/..", "a/"},
		{"normalize path win", "NORMALIZE_PATH_WIN", `C:\a\..\b\\c`, "C:/b/c"},
		{"remove nulls", "REMOVE_NULLS", "a\x00b\x00", "ab"},
		{"replace nulls", "REPLACE_NULLS", "a\x00b", "a b"},
		{"replace comments", "REPLACE_COMMENTS", "UNION/**/SELECT/* x */1/* open", "UNION SELECT 1 "},
		{"replace comments keeps lone close", "REPLACE_COMMENTS", "a */ b", "a */ b"},
		{"sql hex decode", "SQL_HEX_DECODE", "SELECT 0x414243, 0x4", "SELECT ABC, 0x4"},
		{"sql hex decode odd digit kept", "SQL_HEX_DECODE", "0x4142434", "ABC4"},
		{"utf8 to unicode", "UTF8_TO_UNICODE", "aé€😀\xff", "a%u00e9%u20ac%u1f600\xff"},
		{"trim", "TRIM", " \t a b \n", "a b"},
		{"trim left", "TRIM_LEFT", "  a ", "a "},
		{"trim right", "TRIM_RIGHT", "  a ", "  a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := transforms[tt.typ](tt.in)
			if got != tt.want {
				t.Errorf("%s(%q) = %q, want %q", tt.typ, tt.in, got, tt.want)
			}
		})
	}
}

// TestEveryTransformationTested guards the table above against drift: each
// supported type must appear in it.
func TestEveryTransformationTested(t *testing.T) {
	src := map[string]bool{}
	for _, typ := range []string{"NONE", "URL_DECODE", "URL_DECODE_UNI", "HTML_ENTITY_DECODE", "LOWERCASE",
		"UPPERCASE", "COMPRESS_WHITE_SPACE", "REMOVE_WHITESPACE", "CMD_LINE", "BASE64_DECODE", "BASE64_DECODE_EXT",
		"HEX_DECODE", "JS_DECODE", "CSS_DECODE", "ESCAPE_SEQ_DECODE", "MD5", "SHA256", "NORMALIZE_PATH",
		"NORMALIZE_PATH_WIN", "REMOVE_NULLS", "REPLACE_NULLS", "REPLACE_COMMENTS", "SQL_HEX_DECODE",
		"UTF8_TO_UNICODE", "TRIM", "TRIM_LEFT", "TRIM_RIGHT"} {
		src[typ] = true
	}
	for typ := range transforms {
		if !src[typ] {
			t.Errorf("transformation %s is not listed", typ)
		}
	}
}

// TestTransformationChainOrder: AWS applies transformations from lowest
// priority to highest, so the order decides what a double-encoded entity
// becomes.
func TestTransformationChainOrder(t *testing.T) {
	rule := func(urlPrio, htmlPrio int) string {
		return `{"ByteMatchStatement": {"SearchString": "<", "PositionalConstraint": "CONTAINS",
			"FieldToMatch": {"QueryString": {}},
			"TextTransformations": [{"Priority": ` + itoa(urlPrio) + `, "Type": "URL_DECODE"},
			                        {"Priority": ` + itoa(htmlPrio) + `, "Type": "HTML_ENTITY_DECODE"}]}}`
	}
	req := &Request{Method: "GET", Path: "/", RawQuery: "q=%26lt;"}
	if got := evalOne(t, rule(0, 1), req); got.Action != Block {
		t.Errorf("URL_DECODE then HTML_ENTITY_DECODE: got %v, want BLOCK", got.Action)
	}
	if got := evalOne(t, rule(1, 0), req); got.Action != Allow {
		t.Errorf("HTML_ENTITY_DECODE then URL_DECODE: got %v, want ALLOW", got.Action)
	}
}

func FuzzTransformations(f *testing.F) {
	for _, s := range []string{"", "%27%u0041&#x3c;", `\x41\u0042\101`, "/a/../b//c", "0x414243", "PHNjcmlwdD4=",
		"é€😀\xff\xfe", "/* a */ b \x00 c", "\\\n\\", "&#99999999999;", "%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for typ, tr := range transforms {
			out := tr(in)
			// Bounded growth keeps chained transformations within limits.
			if len(out) > 3*len(in)+32 {
				t.Fatalf("%s grew %d bytes to %d", typ, len(in), len(out))
			}
			if again := tr(in); again != out {
				t.Fatalf("%s is not deterministic", typ)
			}
		}
		// Properties that hold for well-defined transformations.
		if l := lowercase(in); lowercase(l) != l {
			t.Fatal("LOWERCASE is not idempotent")
		}
		if c := compressWhiteSpace(in); strings.Contains(c, "  ") {
			t.Fatalf("COMPRESS_WHITE_SPACE left a double space in %q", c)
		}
		if strings.IndexByte(removeNulls(in), 0) >= 0 {
			t.Fatal("REMOVE_NULLS left a NUL")
		}
		if u := utf8ToUnicode(in); utf8.ValidString(in) && !isASCII(u) {
			t.Fatalf("UTF8_TO_UNICODE left non-ASCII in %q", u)
		}
		if p := normalizePath(in, false); normalizePath(p, false) != p {
			t.Fatalf("NORMALIZE_PATH not idempotent: %q -> %q -> %q", in, p, normalizePath(p, false))
		}
	})
}
