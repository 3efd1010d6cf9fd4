package sse

import (
	"fmt"
	"testing"
)

// TestSpanOfHugeStream checks the range arithmetic alone: a 1 MiB range
// anywhere in a 1 GiB stream opens the header and at most 17 packages,
// under 1.2 MiB, and those packages hold the range.
func TestSpanOfHugeStream(t *testing.T) {
	const n, length = 1 << 30, 1 << 20
	for _, offset := range []int64{0, 1, PackageSize - 1, PackageSize, n/3 + 7, n - length - 1, n - length} {
		t.Run(fmt.Sprint(offset), func(t *testing.T) {
			s := spanOf(n, offset, length)
			opened := s.end - s.offset
			if s.first > 0 {
				opened += headerSize
			}
			if opened > length+length/5 {
				t.Fatalf("opens %d bytes", opened)
			}
			if s.first*PackageSize > offset || (s.last+1)*PackageSize < offset+length {
				t.Fatalf("packages %d to %d do not hold the range", s.first, s.last)
			}
			if s.offset != headerSize+s.first*(PackageSize+tagSize) || s.end-s.offset != (s.last-s.first+1)*(PackageSize+tagSize) {
				t.Fatalf("stream bytes [%d, %d) are not those of packages %d to %d", s.offset, s.end, s.first, s.last)
			}
		})
	}
}

func TestSpanOf(t *testing.T) {
	const P, T = PackageSize, PackageSize + tagSize
	tests := []struct {
		name                      string
		plainSize, offset, length int64
		want                      packageSpan
	}{
		{"empty stream", 0, 0, 0, packageSpan{0, 0, 33, 33 + 16}},
		{"empty range", 10, 5, 0, packageSpan{0, -1, 0, 0}},
		{"one byte", 10, 5, 1, packageSpan{0, 0, 33, 33 + 26}},
		{"first package exactly", 3 * P, 0, P, packageSpan{0, 0, 33, 33 + T}},
		{"across a boundary", 3 * P, P - 1, 2, packageSpan{0, 1, 33, 33 + 2*T}},
		{"second package exactly", 3 * P, P, P, packageSpan{1, 1, 33 + T, 33 + 2*T}},
		{"short final package", 2*P + 5, 2 * P, 5, packageSpan{2, 2, 33 + 2*T, 33 + 2*T + 21}},
		{"last byte of a 5 GiB part", 5 << 30, 5<<30 - 1, 1, packageSpan{81919, 81919, 33 + 81919*T, 33 + 81920*T}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := spanOf(tt.plainSize, tt.offset, tt.length); got != tt.want {
				t.Fatalf("spanOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}
