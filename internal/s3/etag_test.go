package s3

import (
	"slices"
	"testing"
	"time"
)

func TestParseETagList(t *testing.T) {
	tests := []struct {
		name string
		h    string
		want []string
	}{
		{"empty", "", nil},
		{"star", "*", []string{"*"}},
		{"quoted", `"abc"`, []string{"abc"}},
		{"unquoted", `abc`, []string{"abc"}},
		{"weak", `W/"abc"`, []string{"abc"}},
		{"list", `"a", "b" ,c`, []string{"a", "b", "c"}},
		{"multipart etag", `"d41d8cd98f00b204e9800998ecf8427e-2"`, []string{"d41d8cd98f00b204e9800998ecf8427e-2"}},
		{"empty elements dropped", `,"a",,`, []string{"a"}},
		{"star in list wins", `"a", *`, []string{"*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseETagList(tt.h); !slices.Equal(got, tt.want) {
				t.Errorf("ParseETagList(%q) = %q, want %q", tt.h, got, tt.want)
			}
		})
	}
}

func TestETagMatches(t *testing.T) {
	tests := []struct {
		name string
		h    string
		etag string
		want bool
	}{
		{"star matches", "*", "abc", true},
		{"equal unquoted", `"abc"`, "abc", true},
		{"equal quoted", `abc`, `"abc"`, true},
		{"weak ignored", `W/"abc"`, "abc", true},
		{"second of list", `"x", "abc"`, "abc", true},
		{"different", `"abd"`, "abc", false},
		{"case matters", `"ABC"`, "abc", false},
		{"empty list", ``, "abc", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ETagMatches(ParseETagList(tt.h), tt.etag); got != tt.want {
				t.Errorf("ETagMatches(%q, %q) = %v, want %v", tt.h, tt.etag, got, tt.want)
			}
		})
	}
}

func TestParseHTTPTime(t *testing.T) {
	want := time.Date(1994, time.November, 6, 8, 49, 37, 0, time.UTC)
	tests := []struct {
		name string
		s    string
		want time.Time
		ok   bool
	}{
		{"IMF-fixdate", "Sun, 06 Nov 1994 08:49:37 GMT", want, true},
		{"RFC 850", "Sunday, 06-Nov-94 08:49:37 GMT", want, true},
		{"asctime", "Sun Nov  6 08:49:37 1994", want, true},
		{"ISO 8601 refused", "1994-11-06T08:49:37Z", time.Time{}, false},
		{"empty", "", time.Time{}, false},
		{"garbage", "yesterday", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseHTTPTime(tt.s)
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("ParseHTTPTime(%q) = %v, %v; want %v, %v", tt.s, got, ok, tt.want, tt.ok)
			}
		})
	}
	if got := FormatHTTPTime(want); got != "Sun, 06 Nov 1994 08:49:37 GMT" {
		t.Errorf("FormatHTTPTime = %q", got)
	}
}
