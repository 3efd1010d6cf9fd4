package s3

import (
	"errors"
	"testing"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		name string
		h    string
		want Range
		ok   bool
	}{
		{"first-last", "bytes=0-499", Range{First: 0, Last: 499}, true},
		{"single byte", "bytes=5-5", Range{First: 5, Last: 5}, true},
		{"open ended", "bytes=9500-", Range{First: 9500, Last: -1}, true},
		{"suffix", "bytes=-500", Range{First: -1, Last: -1, Suffix: 500}, true},
		{"zero suffix parses", "bytes=-0", Range{First: -1, Last: -1, Suffix: 0}, true},
		{"unit case-insensitive", "Bytes=1-2", Range{First: 1, Last: 2}, true},
		{"surrounding spaces", " bytes=1-2 ", Range{First: 1, Last: 2}, true},
		{"empty", "", Range{}, false},
		{"no unit", "0-499", Range{}, false},
		{"other unit", "items=0-1", Range{}, false},
		{"multiple ranges", "bytes=0-1,3-4", Range{}, false},
		{"multiple suffix", "bytes=-1,-2", Range{}, false},
		{"last before first", "bytes=5-4", Range{}, false},
		{"no dash", "bytes=5", Range{}, false},
		{"only dash", "bytes=-", Range{}, false},
		{"negative", "bytes=--1", Range{}, false},
		{"plus sign", "bytes=+1-2", Range{}, false},
		{"inner space", "bytes=1 -2", Range{}, false},
		{"hex", "bytes=0x1-2", Range{}, false},
		{"overflow", "bytes=0-99999999999999999999", Range{}, false},
		{"max int64", "bytes=9223372036854775807-", Range{First: 9223372036854775807, Last: -1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseRange(tt.h)
			if ok != tt.ok || got != tt.want {
				t.Errorf("ParseRange(%q) = %+v, %v; want %+v, %v", tt.h, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseCopySourceRange(t *testing.T) {
	tests := []struct {
		name    string
		h       string
		want    Range
		wantErr bool
	}{
		{"first-last", "bytes=0-9", Range{First: 0, Last: 9}, false},
		{"large", "bytes=5242880-10485759", Range{First: 5242880, Last: 10485759}, false},
		{"open ended refused", "bytes=10-", Range{}, true},
		{"suffix refused", "bytes=-10", Range{}, true},
		{"garbage", "bytes=a-b", Range{}, true},
		{"empty", "", Range{}, true},
		{"reversed", "bytes=9-0", Range{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCopySourceRange(tt.h)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseCopySourceRange(%q) = %+v, %v; want %+v, err %v", tt.h, got, err, tt.want, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalidCopySourceRange) {
				t.Errorf("err = %v, want ErrInvalidCopySourceRange", err)
			}
		})
	}
}

func TestRangeResolve(t *testing.T) {
	tests := []struct {
		name        string
		r           Range
		size        int64
		off, length int64
		err         error
	}{
		{"inside", Range{First: 0, Last: 9}, 100, 0, 10, nil},
		{"last clamped", Range{First: 90, Last: 200}, 100, 90, 10, nil},
		{"last is final byte", Range{First: 99, Last: 99}, 100, 99, 1, nil},
		{"open ended", Range{First: 10, Last: -1}, 100, 10, 90, nil},
		{"suffix", Range{First: -1, Last: -1, Suffix: 10}, 100, 90, 10, nil},
		{"suffix equals size", Range{First: -1, Last: -1, Suffix: 100}, 100, 0, 100, nil},
		{"suffix larger than size", Range{First: -1, Last: -1, Suffix: 500}, 100, 0, 100, nil},
		{"first at end", Range{First: 100, Last: -1}, 100, 0, 0, ErrInvalidRange},
		{"first beyond end", Range{First: 200, Last: 300}, 100, 0, 0, ErrInvalidRange},
		{"zero suffix", Range{First: -1, Last: -1, Suffix: 0}, 100, 0, 0, ErrInvalidRange},
		{"empty object", Range{First: 0, Last: 0}, 0, 0, 0, ErrInvalidRange},
		{"empty object suffix", Range{First: -1, Last: -1, Suffix: 1}, 0, 0, 0, ErrInvalidRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			off, length, err := tt.r.Resolve(tt.size)
			if !errors.Is(err, tt.err) || off != tt.off || length != tt.length {
				t.Errorf("Resolve(%d) = %d, %d, %v; want %d, %d, %v", tt.size, off, length, err, tt.off, tt.length, tt.err)
			}
		})
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-1", "bytes=-5", "bytes=7-", "bytes=0-1,2-3", ""} {
		f.Add(s, int64(10))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		r, ok := ParseRange(h)
		if !ok {
			return
		}
		if r.First < -1 || r.Suffix < 0 || (r.First >= 0 && r.Last != -1 && r.Last < r.First) {
			t.Fatalf("ParseRange(%q) = %+v: not a valid Range", h, r)
		}
		if size < 0 {
			size = -size
			if size < 0 {
				return
			}
		}
		off, length, err := r.Resolve(size)
		if err != nil {
			return
		}
		if off < 0 || length <= 0 || off+length > size {
			t.Fatalf("Resolve(%d) of %+v = %d, %d: outside the object", size, r, off, length)
		}
	})
}
