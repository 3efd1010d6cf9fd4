package h1

import "net/http"

// tokenChars marks the bytes of an RFC 9110 token (tchar).
var tokenChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !tokenChars[s[i]] {
			return false
		}
	}
	return s != ""
}

// validValue reports whether a field value has no control characters
// other than tab (what net/http accepts).
func validValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < ' ' && b != '\t' || b == 0x7f {
			return false
		}
	}
	return true
}

// validHost accepts the Host values h1 takes: a name or an address, with
// a port. Anything else goes to net/http, which decides.
func validHost(v string) bool {
	for i := 0; i < len(v); i++ {
		switch b := v[i]; {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		case b == '.' || b == '-' || b == ':' || b == '[' || b == ']' || b == '_':
		default:
			return false
		}
	}
	return v != ""
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// commonKeys are canonical names of fields clients send, so that a name
// sent in another case costs no allocation.
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Cache-Control",
		"Connection", "Cookie", "Host", "If-Match", "If-Modified-Since", "If-None-Match", "If-Range",
		"If-Unmodified-Since", "Origin", "Pragma", "Range", "Referer", "User-Agent", "Via",
		"X-Forwarded-For", "X-Forwarded-Proto", "X-Real-Ip", "X-Amz-Date", "X-Amz-Content-Sha256"} {
		m[k] = k
	}
	return m
}()

// canonicalKey is http.CanonicalHeaderKey for a token, without
// allocating when name is canonical already or a common field.
func canonicalKey(name string) string {
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return canonicalSlow(name)
		}
		upper = c == '-'
	}
	return name
}

func canonicalSlow(name string) string {
	var buf [64]byte
	if len(name) > len(buf) {
		return http.CanonicalHeaderKey(name)
	}
	b := buf[:len(name)]
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
		upper = c == '-'
	}
	if k, ok := commonKeys[string(b)]; ok {
		return k
	}
	return string(b)
}
