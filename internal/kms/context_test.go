package kms

import (
	"bytes"
	"testing"
)

func TestCanonicalContext(t *testing.T) {
	tests := []struct {
		name string
		ec   map[string]string
		want []byte
	}{
		{"nil is empty", nil, nil},
		{"empty is empty", map[string]string{}, nil},
		{"one pair", map[string]string{"a": "bc"}, []byte("\x01a\x02bc")},
		{"sorted by key", map[string]string{"b": "1", "a": "2", "B": "3"}, []byte("\x01B\x013\x01a\x012\x01b\x011")},
		{"empty value", map[string]string{"k": ""}, []byte("\x01k\x00")},
		{"long value uses a multi-byte uvarint", map[string]string{"k": string(bytes.Repeat([]byte("v"), 200))},
			append([]byte("\x01k\xc8\x01"), bytes.Repeat([]byte("v"), 200)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 5 { // map order must not matter
				if got := CanonicalContext(tt.ec); !bytes.Equal(got, tt.want) {
					t.Fatalf("CanonicalContext(%v) = %q, want %q", tt.ec, got, tt.want)
				}
			}
		})
	}
}

func TestCanonicalContextNoCollisions(t *testing.T) {
	distinct := []map[string]string{
		{"ab": "c"},
		{"a": "bc"},
		{"abc": ""},
		{"": "abc"},
		{"a": "b", "c": ""},
		{"a": "", "bc": ""},
		{"a": "\x01c"},
		{"a\x01": "c"},
	}
	seen := map[string]int{}
	for i, ec := range distinct {
		k := string(CanonicalContext(ec))
		if j, ok := seen[k]; ok {
			t.Fatalf("contexts %v and %v encode alike: %q", distinct[j], ec, k)
		}
		seen[k] = i
	}
}
