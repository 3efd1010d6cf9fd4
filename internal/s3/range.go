package s3

import (
	"errors"
	"strconv"
	"strings"
)

// Range is a parsed single-range "Range: bytes=…" header.
// Exactly one form is set:
//   - bytes=First-Last:  First ≥ 0, Last ≥ First
//   - bytes=First-:      First ≥ 0, Last = -1
//   - bytes=-Suffix:     First = -1, Last = -1, Suffix ≥ 0
type Range struct {
	First, Last, Suffix int64
}

// ErrInvalidRange reports a Range that cannot be satisfied for an object of
// the given size (S3 InvalidRange, 416).
var ErrInvalidRange = errors.New("s3: range not satisfiable")

// ErrInvalidCopySourceRange reports an x-amz-copy-source-range header that
// is not of the form "bytes=first-last" (S3 InvalidArgument).
var ErrInvalidCopySourceRange = errors.New("s3: x-amz-copy-source-range must be bytes=first-last")

// ParseRange parses a Range header holding a single byte range. ok is false
// for anything S3 ignores (another unit, several ranges, syntax errors,
// last < first); S3 then serves the whole object with 200.
func ParseRange(h string) (r Range, ok bool) {
	spec, found := cutPrefixFold(strings.TrimSpace(h), "bytes=")
	if !found {
		return Range{}, false
	}
	spec = strings.TrimSpace(spec)
	first, last, found := strings.Cut(spec, "-")
	if !found {
		return Range{}, false
	}
	if first == "" {
		n, ok := parseOffset(last)
		if !ok {
			return Range{}, false
		}
		return Range{First: -1, Last: -1, Suffix: n}, true
	}
	f, ok := parseOffset(first)
	if !ok {
		return Range{}, false
	}
	if last == "" {
		return Range{First: f, Last: -1}, true
	}
	l, ok := parseOffset(last)
	if !ok || l < f {
		return Range{}, false
	}
	return Range{First: f, Last: l}, true
}

// ParseCopySourceRange parses x-amz-copy-source-range, which S3 accepts only
// as "bytes=first-last". It returns ErrInvalidCopySourceRange otherwise.
// The caller must also reject a Last beyond the source object (Resolve
// clamps it, as GET does, which UploadPartCopy does not).
func ParseCopySourceRange(h string) (Range, error) {
	r, ok := ParseRange(h)
	if !ok || r.First < 0 || r.Last < 0 {
		return Range{}, ErrInvalidCopySourceRange
	}
	return r, nil
}

// Resolve turns r into the byte span it selects in an object of size bytes.
// Last is clamped to size-1 and a suffix longer than the object selects the
// whole object. It returns ErrInvalidRange when nothing can be served: First
// at or beyond the end, a zero-length suffix, or any range on an empty
// object.
func (r Range) Resolve(size int64) (offset, length int64, err error) {
	if size <= 0 {
		return 0, 0, ErrInvalidRange
	}
	if r.First < 0 {
		if r.Suffix <= 0 {
			return 0, 0, ErrInvalidRange
		}
		if r.Suffix >= size {
			return 0, size, nil
		}
		return size - r.Suffix, r.Suffix, nil
	}
	if r.First >= size {
		return 0, 0, ErrInvalidRange
	}
	last := r.Last
	if last < 0 || last >= size {
		last = size - 1
	}
	return r.First, last - r.First + 1, nil
}

// parseOffset parses a non-negative decimal without sign or spaces.
func parseOffset(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}
