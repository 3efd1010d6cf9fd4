package kms

import (
	"crypto/rand"
	"testing"
)

func TestKeyIDs(t *testing.T) {
	for range 100 {
		id, err := newKeyID(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		s := id.String()
		if s[14] != '4' || !containsString([]string{"8", "9", "a", "b"}, s[19:20]) {
			t.Fatalf("%s is not a version 4 UUID", s)
		}
		if back, ok := parseKeyID(s); !ok || back != id {
			t.Fatalf("parseKeyID(%s) = %v, %v", s, back, ok)
		}
	}
	for _, bad := range []string{
		"",
		"1234",
		"1234567812345678123456781234567812",
		"12345678-1234-1234-1234-12345678901",
		"12345678-1234-1234-1234-1234567890123",
		"12345678_1234-1234-1234-123456789012",
		"1234567g-1234-1234-1234-123456789012",
		"alias/12345678-1234-1234-1234-123456",
	} {
		if _, ok := parseKeyID(bad); ok {
			t.Errorf("parseKeyID(%q) accepted", bad)
		}
	}
}
