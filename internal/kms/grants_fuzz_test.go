package kms

import (
	"testing"
)

// FuzzParseGrantToken: any string either names a 64-hex-digit grant id or
// fails with ErrInvalidGrantToken, and a token made by the store parses
// back to its grant.
func FuzzParseGrantToken(f *testing.F) {
	s := newFixture(f).s
	token, err := s.newGrantToken("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(token)
	f.Add("")
	f.Add("AQID")
	f.Fuzz(func(t *testing.T, tok string) {
		id, err := parseGrantToken(tok)
		if err != nil {
			wantErr(t, err, ErrInvalidGrantToken)
			return
		}
		if !grantIDRE.MatchString(id) {
			t.Fatalf("token %q names grant id %q", tok, id)
		}
		again, err := s.newGrantToken(id)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := parseGrantToken(again); err != nil || back != id {
			t.Fatalf("round trip of %s: %q, %v", id, back, err)
		}
	})
}
