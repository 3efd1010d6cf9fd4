package iam_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/coffer-project/coffer/internal/auth"
)

// FuzzLookupSession: a session token is untrusted input. Whatever the
// client sends, LookupSession answers ErrInvalidToken (or ErrExpiredToken)
// unless the token is one the service issued for that access key, and
// never panics; a real token altered anywhere never authenticates.
func FuzzLookupSession(f *testing.F) {
	f.Add("ASIAAAAAAAAAAAAAAAAA", "CFR1AAAA", 3)
	f.Add("", "", 0)
	f.Add("ASIA", "CFR1"+strings.Repeat("A", 200), 40)
	f.Fuzz(func(t *testing.T, keyID, token string, flip int) {
		e := newEnv(t)
		ctx := context.Background()
		c, err := e.svc.GetSessionToken(ctx, stsPrincipal(t, e, testAccountID, ""), 900, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.creds.LookupSession(ctx, keyID, token); err == nil && (keyID != c.AccessKeyID || token != c.SessionToken) {
			t.Fatalf("LookupSession(%q, %q) succeeded for a token not issued", keyID, token)
		} else if err != nil && !errors.Is(err, auth.ErrInvalidToken) && !errors.Is(err, auth.ErrExpiredToken) {
			t.Fatalf("LookupSession(%q, %q): %v, want ErrInvalidToken", keyID, token, err)
		}
		// The issued token, one character changed.
		if len(c.SessionToken) > 0 {
			b := []byte(c.SessionToken)
			i := (flip%len(b) + len(b)) % len(b)
			b[i] ^= 1
			if _, err := e.creds.LookupSession(ctx, c.AccessKeyID, string(b)); err == nil {
				t.Fatalf("a token changed at %d authenticated", i)
			}
		}
	})
}
