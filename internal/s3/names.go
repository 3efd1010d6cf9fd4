package s3

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// Errors returned by the name validators.
var (
	ErrInvalidBucketName = errors.New("s3: invalid bucket name")   // InvalidBucketName 400
	ErrInvalidKey        = errors.New("s3: invalid object key")    // InvalidArgument 400
	ErrKeyTooLong        = errors.New("s3: object key too long")   // KeyTooLongError 400
	ErrMetadataTooLarge  = errors.New("s3: user metadata too big") // MetadataTooLarge 400
)

// Limits on names and metadata, as AWS documents them.
const (
	MinBucketNameLen    = 3
	MaxBucketNameLen    = 63
	MaxKeyLen           = 1024 // bytes of UTF-8
	MaxUserMetadataSize = 2048 // bytes: sum over x-amz-meta-* names and values
)

// Reserved affixes of general purpose bucket names.
var (
	reservedBucketPrefixes = [...]string{"xn--", "sthree-", "amzn-s3-demo-"}
	reservedBucketSuffixes = [...]string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}
)

// ValidBucketName checks name against the AWS naming rules for general
// purpose buckets: 3–63 characters of lowercase letters, digits, dots and
// hyphens; starting and ending with a letter or digit; no two adjacent dots;
// not an IPv4 address; none of the reserved prefixes (xn--, sthree-,
// amzn-s3-demo-) or suffixes (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3).
// It returns an error wrapping ErrInvalidBucketName.
func ValidBucketName(name string) error {
	if len(name) < MinBucketNameLen || len(name) > MaxBucketNameLen {
		return bucketNameError(name, "must be between 3 and 63 characters long")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isLowerAlnum(c) && c != '.' && c != '-' {
			return bucketNameError(name, "may contain only lowercase letters, digits, dots and hyphens")
		}
	}
	if !isLowerAlnum(name[0]) || !isLowerAlnum(name[len(name)-1]) {
		return bucketNameError(name, "must begin and end with a letter or digit")
	}
	if strings.Contains(name, "..") {
		return bucketNameError(name, "must not contain two adjacent dots")
	}
	if looksLikeIPv4(name) {
		return bucketNameError(name, "must not be formatted as an IP address")
	}
	for _, p := range reservedBucketPrefixes {
		if strings.HasPrefix(name, p) {
			return bucketNameError(name, "must not start with the reserved prefix "+p)
		}
	}
	for _, s := range reservedBucketSuffixes {
		if strings.HasSuffix(name, s) {
			return bucketNameError(name, "must not end with the reserved suffix "+s)
		}
	}
	return nil
}

func bucketNameError(name, why string) error {
	return &nameError{err: ErrInvalidBucketName, msg: "bucket name " + quote(name) + " " + why}
}

// nameError carries a human-readable reason and unwraps to a sentinel.
type nameError struct {
	err error
	msg string
}

func (e *nameError) Error() string { return "s3: " + e.msg }
func (e *nameError) Unwrap() error { return e.err }

func quote(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "…"
	}
	return `"` + strings.ToValidUTF8(s, "\uFFFD") + `"`
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// looksLikeIPv4 reports whether s is four dot-separated groups of 1–3
// digits, which S3 refuses as a bucket name whatever the group values.
func looksLikeIPv4(s string) bool {
	groups := strings.Split(s, ".")
	if len(groups) != 4 {
		return false
	}
	for _, g := range groups {
		if len(g) == 0 || len(g) > 3 {
			return false
		}
		for i := 0; i < len(g); i++ {
			if g[i] < '0' || g[i] > '9' {
				return false
			}
		}
	}
	return true
}

// ValidObjectKey checks an object key: non-empty, valid UTF-8 and at most
// MaxKeyLen bytes. It returns ErrKeyTooLong or an error wrapping
// ErrInvalidKey.
func ValidObjectKey(key string) error {
	switch {
	case key == "":
		return &nameError{err: ErrInvalidKey, msg: "object key must not be empty"}
	case len(key) > MaxKeyLen:
		return ErrKeyTooLong
	case !utf8.ValidString(key):
		return &nameError{err: ErrInvalidKey, msg: "object key must be valid UTF-8"}
	}
	return nil
}

// ValidUserMetadata checks the size of user-defined metadata: the UTF-8
// bytes of every name (without the x-amz-meta- prefix) and value, summed,
// must not exceed MaxUserMetadataSize. It returns ErrMetadataTooLarge.
func ValidUserMetadata(meta map[string]string) error {
	n := 0
	for k, v := range meta {
		n += len(k) + len(v)
	}
	if n > MaxUserMetadataSize {
		return ErrMetadataTooLarge
	}
	return nil
}
