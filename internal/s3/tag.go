package s3

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrInvalidTag reports a tag set S3 refuses (InvalidTag 400).
var ErrInvalidTag = errors.New("s3: invalid tag")

// Tag limits as AWS documents them. Lengths count UTF-16 code units, as
// AWS's Java-based validation does.
const (
	MaxTagKeyLen   = 128
	MaxTagValueLen = 256
	MaxTagsObject  = 10
	MaxTagsBucket  = 50
)

// Tag is one key/value tag. Its layout matches every other package's tag
// struct, so ValidateTags accepts theirs directly.
type Tag struct {
	Key   string
	Value string
}

// ValidateTags checks a tag set: at most max tags, keys of 1–128 and values
// of 0–256 UTF-16 code units made of Unicode letters, digits, spaces and
// "_ . : / = + - @", no key starting with the reserved "aws:" prefix, and
// no key twice. It returns an error wrapping ErrInvalidTag that says which
// rule failed.
func ValidateTags[T ~struct{ Key, Value string }](tags []T, max int) error {
	if len(tags) > max {
		return fmt.Errorf("%w: the tag set has %d tags, more than the %d allowed", ErrInvalidTag, len(tags), max)
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		tag := Tag(t)
		if err := validateTag(tag); err != nil {
			return err
		}
		if seen[tag.Key] {
			return fmt.Errorf("%w: cannot provide multiple tags with the same key %s", ErrInvalidTag, quote(tag.Key))
		}
		seen[tag.Key] = true
	}
	return nil
}

func validateTag(t Tag) error {
	switch n := utf16Len(t.Key); {
	case n == 0:
		return fmt.Errorf("%w: the tag key must not be empty", ErrInvalidTag)
	case n > MaxTagKeyLen:
		return fmt.Errorf("%w: the tag key %s is longer than %d characters", ErrInvalidTag, quote(t.Key), MaxTagKeyLen)
	case !validTagText(t.Key):
		return fmt.Errorf("%w: the tag key %s has invalid characters", ErrInvalidTag, quote(t.Key))
	case strings.HasPrefix(t.Key, "aws:"):
		return fmt.Errorf("%w: the tag key %s uses the reserved prefix \"aws:\"", ErrInvalidTag, quote(t.Key))
	}
	switch {
	case utf16Len(t.Value) > MaxTagValueLen:
		return fmt.Errorf("%w: the value of tag %s is longer than %d characters", ErrInvalidTag, quote(t.Key), MaxTagValueLen)
	case !validTagText(t.Value):
		return fmt.Errorf("%w: the value of tag %s has invalid characters", ErrInvalidTag, quote(t.Key))
	}
	return nil
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func validTagText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Zs, r) {
			continue
		}
		if !strings.ContainsRune("_.:/=+-@", r) {
			return false
		}
	}
	return true
}

// ParseTaggingHeader parses the x-amz-tagging header, a URL query string
// ("k1=v1&k2=v2", form-encoded). Order is preserved; "k" without "=" has an
// empty value; empty elements are skipped. A bad escape returns an error
// wrapping ErrInvalidTag. The result is not validated: call ValidateTags.
func ParseTaggingHeader(h string) ([]Tag, error) {
	var tags []Tag
	for pair := range strings.SplitSeq(h, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, fmt.Errorf("%w: x-amz-tagging: %v", ErrInvalidTag, err)
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return nil, fmt.Errorf("%w: x-amz-tagging: %v", ErrInvalidTag, err)
		}
		tags = append(tags, Tag{Key: key, Value: value})
	}
	return tags, nil
}
