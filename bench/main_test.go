package main

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"4KiB", 4 << 10, true},
		{"1MiB", 1 << 20, true},
		{"64MiB", 64 << 20, true},
		{"2GiB", 2 << 30, true},
		{"1MB", 1e6, true},
		{"512B", 512, true},
		{"4096", 4096, true},
		{" 8KiB ", 8 << 10, true},
		{"", 0, false},
		{"0", 0, false},
		{"-1KiB", 0, false},
		{"1TiB", 0, false},
		{"KiB", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseSize(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("parseSize(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
			if tt.ok {
				if back, _ := parseSize(formatSize(got)); back != got {
					t.Errorf("formatSize(%d) = %q does not parse back", got, formatSize(got))
				}
			}
		})
	}
}

func TestParseFlagsSSE(t *testing.T) {
	base := []string{"-endpoint", "http://127.0.0.1:1", "-access", "a", "-secret", "s"}
	tests := []struct {
		name string
		args []string
		ok   bool
	}{
		{"none", nil, true},
		{"SSE-S3", []string{"-sse", "AES256"}, true},
		{"SSE-KMS with key and bucket key", []string{"-sse", "aws:kms", "-sse-kms-key-id", "alias/x", "-bucket-key"}, true},
		{"unknown algorithm", []string{"-sse", "DES"}, false},
		{"bucket key without aws:kms", []string{"-bucket-key"}, false},
		{"key id with AES256", []string{"-sse", "AES256", "-sse-kms-key-id", "k"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(append(append([]string{}, base...), tt.args...))
			if (err == nil) != tt.ok {
				t.Fatalf("parseFlags(%q) = %v, want ok=%v", tt.args, err, tt.ok)
			}
		})
	}
}
