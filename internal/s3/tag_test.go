package s3

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestValidateTags(t *testing.T) {
	tests := []struct {
		name string
		tags []Tag
		max  int
		ok   bool
	}{
		{"none", nil, 10, true},
		{"simple", []Tag{{"project", "blue"}, {"cost-center", "42"}}, 10, true},
		{"empty value", []Tag{{"k", ""}}, 10, true},
		{"allowed punctuation", []Tag{{"a_b.c:d/e=f+g-h@i", "x y"}}, 10, true},
		{"unicode letters", []Tag{{"größe", "日本"}}, 10, true},
		{"key 128 units", []Tag{{strings.Repeat("k", 128), ""}}, 10, true},
		{"value 256 units", []Tag{{"k", strings.Repeat("v", 256)}}, 10, true},
		{"exactly max", []Tag{{"a", ""}, {"b", ""}}, 2, true},
		{"too many", []Tag{{"a", ""}, {"b", ""}, {"c", ""}}, 2, false},
		{"empty key", []Tag{{"", "v"}}, 10, false},
		{"key 129 units", []Tag{{strings.Repeat("k", 129), ""}}, 10, false},
		{"key 65 surrogate pairs", []Tag{{strings.Repeat("𝄞", 65), ""}}, 10, false},
		{"value 257 units", []Tag{{"k", strings.Repeat("v", 257)}}, 10, false},
		{"duplicate key", []Tag{{"k", "1"}, {"k", "2"}}, 10, false},
		{"aws: prefix", []Tag{{"aws:cloudformation", "x"}}, 10, false},
		{"bad key char", []Tag{{"a*b", ""}}, 10, false},
		{"bad value char", []Tag{{"k", "a<b"}}, 10, false},
		{"invalid utf-8", []Tag{{"k\xff", ""}}, 10, false},
		{"control char", []Tag{{"k", "a\nb"}}, 10, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateTags(tt.tags, tt.max)
			if (err == nil) != tt.ok {
				t.Fatalf("ValidateTags = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidTag) {
				t.Errorf("err = %v, want ErrInvalidTag", err)
			}
		})
	}
}

// otherTag stands for another package's tag struct with the same layout.
type otherTag struct {
	Key   string
	Value string
}

func TestValidateTagsAcceptsOtherTagTypes(t *testing.T) {
	if err := ValidateTags([]otherTag{{"a", "1"}, {"a", "2"}}, 10); !errors.Is(err, ErrInvalidTag) {
		t.Errorf("ValidateTags(duplicates) = %v, want ErrInvalidTag", err)
	}
}

func TestParseTaggingHeader(t *testing.T) {
	tests := []struct {
		name    string
		h       string
		want    []Tag
		wantErr bool
	}{
		{"empty", "", nil, false},
		{"one", "k=v", []Tag{{"k", "v"}}, false},
		{"order kept", "b=2&a=1", []Tag{{"b", "2"}, {"a", "1"}}, false},
		{"escapes", "my%20key=a%2Bb&x+y=c+d", []Tag{{"my key", "a+b"}, {"x y", "c d"}}, false},
		{"no equals", "k", []Tag{{"k", ""}}, false},
		{"empty value", "k=", []Tag{{"k", ""}}, false},
		{"value with equals", "k=a=b", []Tag{{"k", "a=b"}}, false},
		{"empty elements skipped", "&a=1&&b=2&", []Tag{{"a", "1"}, {"b", "2"}}, false},
		{"duplicates kept for ValidateTags", "a=1&a=2", []Tag{{"a", "1"}, {"a", "2"}}, false},
		{"bad escape", "k=%zz", nil, true},
		{"bad key escape", "%=v", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTaggingHeader(tt.h)
			if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
				t.Fatalf("ParseTaggingHeader(%q) = %v, %v; want %v, err %v", tt.h, got, err, tt.want, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalidTag) {
				t.Errorf("err = %v, want ErrInvalidTag", err)
			}
		})
	}
}

func FuzzParseTaggingHeader(f *testing.F) {
	for _, s := range []string{"k=v", "a=1&b=2", "k=%zz", "x+y=c%20d", "&&", "aws:k=v"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tags, err := ParseTaggingHeader(h)
		if err != nil {
			if !errors.Is(err, ErrInvalidTag) {
				t.Fatalf("error %v does not wrap ErrInvalidTag", err)
			}
			return
		}
		_ = ValidateTags(tags, MaxTagsObject)
	})
}
