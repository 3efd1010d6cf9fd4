package s3

import (
	"errors"
	"strings"
	"testing"
)

func TestValidBucketName(t *testing.T) {
	tests := []struct {
		name   string
		bucket string
		ok     bool
	}{
		{"simple", "docexamplebucket1", true},
		{"dots and hyphens", "log-delivery-march-2020.example.com", true},
		{"three chars", "abc", true},
		{"63 chars", strings.Repeat("a", 63), true},
		{"digits only", "123", true},
		{"ip-like with five groups", "1.2.3.4.5", true},
		{"contains xn-- later", "my-xn--bucket", true},
		{"too short", "ab", false},
		{"too long", strings.Repeat("a", 64), false},
		{"empty", "", false},
		{"uppercase", "MyBucket", false},
		{"underscore", "my_bucket", false},
		{"space", "my bucket", false},
		{"starts with hyphen", "-bucket", false},
		{"ends with hyphen", "bucket-", false},
		{"starts with dot", ".bucket", false},
		{"ends with dot", "bucket.", false},
		{"adjacent dots", "my..bucket", false},
		{"ip address", "192.168.5.4", false},
		{"ip-like with leading zeros", "192.168.05.004", false},
		{"xn-- prefix", "xn--bucket", false},
		{"sthree- prefix", "sthree-bucket", false},
		{"sthree-configurator prefix", "sthree-configurator", false},
		{"amzn-s3-demo- prefix", "amzn-s3-demo-bucket", false},
		{"-s3alias suffix", "bucket-s3alias", false},
		{"--ol-s3 suffix", "bucket--ol-s3", false},
		{".mrap suffix", "bucket.mrap", false},
		{"--x-s3 suffix", "bucket--usw2-az1--x-s3", false},
		{"--table-s3 suffix", "bucket--table-s3", false},
		{"non-ascii", "bücket", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidBucketName(tt.bucket)
			if (err == nil) != tt.ok {
				t.Fatalf("ValidBucketName(%q) = %v, want ok=%v", tt.bucket, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidBucketName) {
				t.Errorf("err = %v, want ErrInvalidBucketName", err)
			}
		})
	}
}

func TestValidObjectKey(t *testing.T) {
	tests := []struct {
		name string
		key  string
		err  error
	}{
		{"simple", "photos/2006/February/sample.jpg", nil},
		{"unicode", "日本語/ファイル.txt", nil},
		{"one byte", "a", nil},
		{"1024 bytes", strings.Repeat("k", 1024), nil},
		{"1024 bytes multibyte", strings.Repeat("é", 512), nil},
		{"1025 bytes", strings.Repeat("k", 1025), ErrKeyTooLong},
		{"1026 bytes multibyte", strings.Repeat("é", 513), ErrKeyTooLong},
		{"empty", "", ErrInvalidKey},
		{"invalid utf-8", "bad\xffkey", ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidObjectKey(tt.key)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Errorf("ValidObjectKey = %v, want %v", err, tt.err)
			}
		})
	}
}

func TestValidUserMetadata(t *testing.T) {
	tests := []struct {
		name string
		meta map[string]string
		err  error
	}{
		{"nil", nil, nil},
		{"small", map[string]string{"color": "blue"}, nil},
		{"exactly 2 KB", map[string]string{"k": strings.Repeat("v", 2047)}, nil},
		{"one byte over", map[string]string{"k": strings.Repeat("v", 2048)}, ErrMetadataTooLarge},
		{"sum of many", map[string]string{"a": strings.Repeat("v", 1023), "b": strings.Repeat("v", 1024)}, ErrMetadataTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ValidUserMetadata(tt.meta); err != tt.err {
				t.Errorf("ValidUserMetadata = %v, want %v", err, tt.err)
			}
		})
	}
}

func TestValidStorageClass(t *testing.T) {
	tests := []struct {
		class string
		ok    bool
	}{
		{"STANDARD", true},
		{"REDUCED_REDUNDANCY", true},
		{"STANDARD_IA", true},
		{"ONEZONE_IA", true},
		{"INTELLIGENT_TIERING", true},
		{"GLACIER", true},
		{"DEEP_ARCHIVE", true},
		{"GLACIER_IR", true},
		{"standard", false},
		{"", false},
		{"OUTPOSTS", false},
		{"SNOW", false},
		{"EXPRESS_ONEZONE", false},
		{"FSX_ONTAP", false},
	}
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			if got := ValidStorageClass(tt.class); got != tt.ok {
				t.Errorf("ValidStorageClass(%q) = %v, want %v", tt.class, got, tt.ok)
			}
		})
	}
	for _, c := range StorageClasses() {
		if !ValidStorageClass(c) {
			t.Errorf("StorageClasses lists %q, which ValidStorageClass refuses", c)
		}
	}
}

func TestIsArchiveClass(t *testing.T) {
	for _, tt := range []struct {
		class string
		want  bool
	}{{"GLACIER", true}, {"DEEP_ARCHIVE", true}, {"GLACIER_IR", false}, {"STANDARD", false}} {
		t.Run(tt.class, func(t *testing.T) {
			if got := IsArchiveClass(tt.class); got != tt.want {
				t.Errorf("IsArchiveClass(%q) = %v, want %v", tt.class, got, tt.want)
			}
		})
	}
}
