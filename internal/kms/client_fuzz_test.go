package kms

import (
	"encoding/json"
	"testing"
)

// FuzzAppendJSONString checks the Client's JSON string encoder against
// encoding/json, which escapes as aws-sdk-go-v2 does: any string, valid
// UTF-8 or not, encodes to valid JSON that decodes to what encoding/json's
// encoding of it decodes to.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `"\`, "\x00\x1f\x7f\n\r\t", "größe 日本語 🔑 \u2028", "\xff\xc3\xe6\x97\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := appendJSONString([]byte("x"), s)
		if enc[0] != 'x' {
			t.Fatalf("appendJSONString overwrote the buffer: %q", enc)
		}
		var got, want string
		if err := json.Unmarshal(enc[1:], &got); err != nil {
			t.Fatalf("appendJSONString(%q) = %s: %v", s, enc[1:], err)
		}
		ref, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(ref, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("appendJSONString(%q) = %s decodes to %q; encoding/json's %s to %q", s, enc[1:], got, ref, want)
		}
	})
}

func TestNewClientDefaultEndpoint(t *testing.T) {
	for region, want := range map[string]string{
		"eu-west-1":     "https://kms.eu-west-1.amazonaws.com/",
		"us-gov-west-1": "https://kms.us-gov-west-1.amazonaws.com/",
		"cn-north-1":    "https://kms.cn-north-1.amazonaws.com.cn/",
	} {
		c, err := NewClient(ClientConfig{Region: region, AccessKeyID: "AK", SecretAccessKey: "secret"})
		if err != nil {
			t.Fatal(err)
		}
		if c.endpoint != want {
			t.Errorf("region %s: endpoint %q, want %q", region, c.endpoint, want)
		}
	}
}
