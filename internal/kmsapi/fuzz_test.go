package kmsapi

import (
	"strings"
	"testing"
)

// FuzzDecodeRequest checks that request decoding never panics, and that a
// decoded request is of the operation its target names.
func FuzzDecodeRequest(f *testing.F) {
	f.Fuzz(func(t *testing.T, target string, body []byte) {
		req, err := DecodeRequest(target, body)
		if err != nil {
			if req != nil {
				t.Fatalf("DecodeRequest returned both %T and %v", req, err)
			}
			return
		}
		if want := strings.TrimPrefix(target, targetPrefix); req.Operation() != want {
			t.Fatalf("target %q decoded as %s", target, req.Operation())
		}
	})
}
