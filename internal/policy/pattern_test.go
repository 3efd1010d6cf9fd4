package policy

import "testing"

// TestPatternMatch pins the wildcard matcher: * and ? count characters
// (UTF-8 runes, or single invalid bytes), never bytes, and Resource
// wildcards stay within one ARN segment unless a * ends it.
func TestPatternMatch(t *testing.T) {
	tests := []struct {
		name     string
		pattern  string
		text     string
		mode     matchMode
		foldCase bool
		want     bool
	}{
		{"literal equal", "s3:getobject", "s3:getobject", matchPlain, false, true},
		{"literal differs", "s3:getobject", "s3:getobjects", matchPlain, false, false},
		{"empty matches empty", "", "", matchPlain, false, true},
		{"star matches empty", "a*", "a", matchPlain, false, true},
		{"star in the middle", "https://*.example.com/*", "https://www.example.com/index.html", matchPlain, false, true},
		{"star in the middle mismatch", "https://*.example.com/*", "https://www.example.org/index.html", matchPlain, false, false},
		{"several stars", "a*b*c", "axxbyyc", matchPlain, false, true},
		{"several stars backtrack", "a*b*c", "abcbc", matchPlain, false, true},
		{"several stars no match", "a*b*c", "acb", matchPlain, false, false},
		{"question one ASCII", "a?c", "abc", matchPlain, false, true},
		{"question not zero", "a?c", "ac", matchPlain, false, false},
		{"question not two", "a?c", "abbc", matchPlain, false, false},
		{"question one two-byte rune", "a?c", "aéc", matchPlain, false, true},
		{"question one three-byte rune", "a?c", "a€c", matchPlain, false, true},
		{"question one four-byte rune", "a?c", "a😀c", matchPlain, false, true},
		{"two questions not one two-byte rune", "a??c", "aéc", matchPlain, false, false},
		{"question at the end multi-byte", "caf?", "café", matchPlain, false, true},
		{"question at the start multi-byte", "?x", "éx", matchPlain, false, true},
		{"two questions two runes", "??", "日本", matchPlain, false, true},
		{"two questions not three runes", "??", "日本語", matchPlain, false, false},
		{"question between stars multi-byte", "*?*", "é", matchPlain, false, true},
		{"multi-byte literal after star", "*本", "日本", matchPlain, false, true},
		{"multi-byte literal mismatch", "*本", "日本語", matchPlain, false, false},
		{"multi-byte pattern literal", "home/日*/x", "home/日本/x", matchPlain, false, true},
		{"question one invalid byte", "a?c", "a\xffc", matchPlain, false, true},
		{"question per invalid byte", "a??c", "a\xc3\xffc", matchPlain, false, true},
		{"invalid lead byte is not the rune", "a\xc3*", "aé", matchPlain, false, false},
		{"invalid byte literal matches itself", "*\xff", "ab\xff", matchPlain, false, true},
		{"continuation byte inside a rune is not a character", "*\xa9", "é", matchPlain, false, false},
		{"fold case", "s3:get*", "S3:GetObject", matchPlain, true, true},
		{"fold case multi-byte", "s3:ü?", "S3:ÜÖ", matchPlain, true, true},
		{"resource star ending a segment crosses colons", "arn:aws:s3:::b/*", "arn:aws:s3:::b/a:b", matchARNSegments, false, true},
		{"resource star ending a segment crosses colons too", "arn:*:s3:::b", "arn:aws:x:s3:::b", matchARNSegments, false, true},
		{"resource star within a segment stops at colons", "arn:a*s:s3:::b", "arn:ax:ys:s3:::b", matchARNSegments, false, false},
		{"resource star within a segment", "arn:*:s3:::b", "arn:aws:s3:::b", matchARNSegments, false, true},
		{"resource question not a colon", "arn:aws?s3:::b", "arn:aws:s3:::b", matchARNSegments, false, false},
		{"resource question multi-byte", "arn:aws:s3:::b/?", "arn:aws:s3:::b/é", matchARNSegments, false, true},
		{"plain question matches a colon", "a?b", "a:b", matchPlain, false, true},
		{"long text past the stack buffer", "a*b?c", "a" + string(make([]byte, 300)) + "bxc", matchPlain, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := parseTemplate(tt.pattern, false)
			if err != nil {
				t.Fatal(err)
			}
			p, _ := tmpl.resolve(nil)
			if got := p.match(tt.text, tt.mode, tt.foldCase); got != tt.want {
				t.Errorf("%q matching %q = %v, want %v", tt.pattern, tt.text, got, tt.want)
			}
		})
	}
}

// TestPatternVariableValuesAreLiteral: a substituted value's wildcards and
// multi-byte characters are plain text.
func TestPatternVariableValuesAreLiteral(t *testing.T) {
	tests := []struct {
		name, user, resource string
		want                 bool
	}{
		{"star in a user name is literal", "*", "arn:aws:s3:::b/home/*/k", true},
		{"star in a user name matches no other", "*", "arn:aws:s3:::b/home/bob/k", false},
		{"multi-byte user name", "jürgen", "arn:aws:s3:::b/home/jürgen/k", true},
		{"multi-byte user name mismatch", "jürgen", "arn:aws:s3:::b/home/jurgen/k", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := parseTemplate("arn:aws:s3:::b/home/${aws:username}/?", true)
			if err != nil {
				t.Fatal(err)
			}
			var ctx evalContext
			ctx.init(Request{Principal: Principal{Type: PrincipalUser, Username: tt.user}})
			p, ok := tmpl.resolve(&ctx)
			if !ok {
				t.Fatal("variable not resolved")
			}
			if got := p.match(tt.resource, matchARNSegments, false); got != tt.want {
				t.Errorf("%v matching %q = %v, want %v", p, tt.resource, got, tt.want)
			}
		})
	}
}

func TestLowerPrefix(t *testing.T) {
	for _, s := range []string{"", "kms:callerarn", "kms:CallerArn", "aws:s3:arn", "ä", "Ä", "aÄ", "x\xff", "X\xff", "\xffA",
		"\u212a", "\U0001d400", "\xef\xbf\xbd", "\xed\xa0\x80A", "ǅ"} {
		if got, want := lowerPrefix(s) == len(s), toLower(s) == s; got != want {
			t.Errorf("%q: lowerPrefix says lower-case %v, toLower %v", s, got, want)
		}
	}
}
