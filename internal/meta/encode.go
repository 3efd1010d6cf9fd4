package meta

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Times are stored as UTC Unix nanoseconds; 0 stands for the zero time.
func toNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// normTime is what a time reads back as after a round trip.
func normTime(t time.Time) time.Time { return fromNanos(toNanos(t)) }

// nullString stores "" as NULL, for optional TEXT columns kept verbatim.
func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The JSON columns are a storage format: their field names are fixed here
// rather than derived from the Go types, which may be renamed.

type headersJSON struct {
	ContentType        string `json:"ct,omitempty"`
	ContentEncoding    string `json:"ce,omitempty"`
	ContentDisposition string `json:"cd,omitempty"`
	ContentLanguage    string `json:"cl,omitempty"`
	CacheControl       string `json:"cc,omitempty"`
	Expires            string `json:"ex,omitempty"`
	WebsiteRedirect    string `json:"wr,omitempty"`
}

func encodeHeaders(h ObjectHeaders) (sql.NullString, error) {
	if h == (ObjectHeaders{}) {
		return sql.NullString{}, nil
	}
	return encodeJSON(headersJSON(h))
}

func decodeHeaders(s sql.NullString) (ObjectHeaders, error) {
	var h headersJSON
	if err := decodeJSON(s, &h); err != nil {
		return ObjectHeaders{}, err
	}
	return ObjectHeaders(h), nil
}

// Tags are stored as [[key, value], …] to keep their order; NULL is "no tag
// set", [] an empty one.
func encodeTags(tags []Tag) (sql.NullString, error) {
	if tags == nil {
		return sql.NullString{}, nil
	}
	pairs := make([][2]string, len(tags))
	for i, t := range tags {
		pairs[i] = [2]string{t.Key, t.Value}
	}
	return encodeJSON(pairs)
}

func decodeTags(s sql.NullString) ([]Tag, error) {
	if !s.Valid {
		return nil, nil
	}
	var pairs [][2]string
	if err := decodeJSON(s, &pairs); err != nil {
		return nil, err
	}
	tags := make([]Tag, len(pairs))
	for i, p := range pairs {
		tags[i] = Tag{Key: p[0], Value: p[1]}
	}
	return tags, nil
}

func encodeUserMeta(m map[string]string) (sql.NullString, error) {
	if len(m) == 0 {
		return sql.NullString{}, nil
	}
	return encodeJSON(m)
}

func decodeUserMeta(s sql.NullString) (map[string]string, error) {
	if !s.Valid {
		return nil, nil
	}
	var m map[string]string
	if err := decodeJSON(s, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// bucketEncryptionJSON is a bucket's default encryption rule. The blocked
// types are stored even when nil ("blk":null) so that nil and an empty list
// read back as they were written.
type bucketEncryptionJSON struct {
	Algorithm              string   `json:"alg,omitempty"`
	KMSMasterKeyID         string   `json:"key,omitempty"`
	BucketKeyEnabled       bool     `json:"bk,omitempty"`
	BlockedEncryptionTypes []string `json:"blk"`
}

// encodeBucketEncryption stores nil (no rule: the SSE-S3 default) as NULL.
func encodeBucketEncryption(e *BucketEncryption) (sql.NullString, error) {
	if e == nil {
		return sql.NullString{}, nil
	}
	return encodeJSON(bucketEncryptionJSON(*e))
}

func decodeBucketEncryption(s sql.NullString) (*BucketEncryption, error) {
	if !s.Valid {
		return nil, nil
	}
	var e bucketEncryptionJSON
	if err := decodeJSON(s, &e); err != nil {
		return nil, err
	}
	be := BucketEncryption(e)
	return &be, nil
}

// encryptionJSON is how a version's or upload's data is encrypted. Byte
// fields are base64 strings (encoding/json's form of []byte); an empty one
// is left out and reads back as nil.
type encryptionJSON struct {
	Mode       string `json:"m,omitempty"`
	KMSKeyARN  string `json:"kms,omitempty"`
	KMSContext string `json:"ctx,omitempty"`
	BucketKey  bool   `json:"bk,omitempty"`
	DataKey    []byte `json:"dk,omitempty"`
	Salt       []byte `json:"salt,omitempty"`
	SealedKey  []byte `json:"sk,omitempty"`
	KeyHMAC    []byte `json:"hmac,omitempty"`
	ManagedKey bool   `json:"mk,omitempty"`
}

// encodeEncryption stores the zero Encryption (plaintext data) as NULL.
// Every field is omitempty, so "{}" is exactly the zero value.
func encodeEncryption(e Encryption) (sql.NullString, error) {
	s, err := encodeJSON(encryptionJSON(e))
	if err != nil || s.String == "{}" {
		return sql.NullString{}, err
	}
	return s, nil
}

func decodeEncryption(s sql.NullString) (Encryption, error) {
	var e encryptionJSON
	if err := decodeJSON(s, &e); err != nil {
		return Encryption{}, err
	}
	return Encryption(e), nil
}

// encodeRestore stores nil (never restored) as NULL.
func encodeRestore(r *Restore) (sql.NullString, error) {
	if r == nil {
		return sql.NullString{}, nil
	}
	return encodeJSON(r)
}

// grantJSON is a stored ACL grant.
type grantJSON struct {
	Type       string `json:"t"`
	ID         string `json:"id,omitempty"`
	URI        string `json:"uri,omitempty"`
	Permission string `json:"p"`
}

// encodeGrants stores nil (private) as NULL.
func encodeGrants(gs []Grant) (sql.NullString, error) {
	if gs == nil {
		return sql.NullString{}, nil
	}
	out := make([]grantJSON, len(gs))
	for i, g := range gs {
		out[i] = grantJSON(g)
	}
	return encodeJSON(out)
}

func decodeGrants(s sql.NullString) ([]Grant, error) {
	if !s.Valid {
		return nil, nil
	}
	var in []grantJSON
	if err := decodeJSON(s, &in); err != nil {
		return nil, err
	}
	out := make([]Grant, len(in))
	for i, g := range in {
		out[i] = Grant(g)
	}
	return out, nil
}

// accessJSON is a bucket's access settings: Object Ownership, ACL and
// Block Public Access.
type accessJSON struct {
	Ownership string             `json:"ownership,omitempty"`
	ACL       []grantJSON        `json:"acl,omitempty"`
	PAB       *PublicAccessBlock `json:"pab,omitempty"`
	MFADelete string             `json:"mfa_delete,omitempty"`
}

func encodeAccess(b Bucket) (sql.NullString, error) {
	if b.Ownership == "" && b.ACL == nil && b.PublicAccessBlock == nil && b.MFADelete == "" {
		return sql.NullString{}, nil
	}
	a := accessJSON{Ownership: b.Ownership, PAB: b.PublicAccessBlock, MFADelete: b.MFADelete}
	for _, g := range b.ACL {
		a.ACL = append(a.ACL, grantJSON(g))
	}
	return encodeJSON(a)
}

func decodeAccess(s sql.NullString, b *Bucket) error {
	var a accessJSON
	if err := decodeJSON(s, &a); err != nil {
		return err
	}
	b.Ownership, b.PublicAccessBlock, b.MFADelete = a.Ownership, a.PAB, a.MFADelete
	for _, g := range a.ACL {
		b.ACL = append(b.ACL, Grant(g))
	}
	return nil
}

func encodeJSON(v any) (sql.NullString, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return sql.NullString{}, err
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

func decodeJSON(s sql.NullString, v any) error {
	if !s.Valid {
		return nil
	}
	if err := json.Unmarshal([]byte(s.String), v); err != nil {
		return fmt.Errorf("corrupt JSON column: %w", err)
	}
	return nil
}

// bounds is a ListPage turned into at most one lower and one upper bound
// on a key column, so that a listing is a single index range scan.
type bounds struct {
	lower     string
	inclusive bool   // lower is ≥ rather than >
	upper     string // exclusive; "" means none
	prefix    string
	limit     int64
}

func pageBounds(p ListPage) bounds {
	b := bounds{prefix: p.Prefix, limit: math.MaxInt64}
	if p.Limit > 0 {
		b.limit = int64(p.Limit)
	}
	// Inclusive candidates are the prefix and From; the exclusive one is
	// After. The tightest of them wins.
	lo := max(p.Prefix, p.From)
	if p.After != "" && p.After >= lo {
		b.lower, b.inclusive = p.After, false
	} else {
		b.lower, b.inclusive = lo, true
	}
	b.upper = prefixEnd(p.Prefix)
	return b
}

// where appends the bound conditions on col to a query and its arguments.
func (b bounds) where(q string, args []any, col string) (string, []any) {
	if b.inclusive {
		q += " AND " + col + " >= ?"
	} else {
		q += " AND " + col + " > ?"
	}
	args = append(args, b.lower)
	if b.upper != "" {
		q += " AND " + col + " < ?"
		args = append(args, b.upper)
	}
	return q, args
}

// empty reports whether no key can satisfy the bounds.
func (b bounds) empty() bool {
	return b.upper != "" && b.lower >= b.upper
}

// prefixEnd returns the smallest valid UTF-8 string greater than every
// string starting with prefix, or "" if there is none. It increments the
// last code point (skipping surrogates) rather than the last byte, so the
// bound is valid text for databases that check encoding (PostgreSQL).
// In UTF-8 byte order, that is exactly the end of the prefix's range.
func prefixEnd(prefix string) string {
	for prefix != "" {
		r, size := utf8.DecodeLastRuneInString(prefix)
		head := prefix[:len(prefix)-size]
		if r == utf8.RuneError && size == 1 {
			// Not UTF-8: fall back to bytes. Keys are UTF-8, so this
			// only has to be safe, not tight.
			c := prefix[len(prefix)-1]
			if c < 0xff {
				return head + string([]byte{c + 1})
			}
			prefix = head
			continue
		}
		next := r + 1
		if next == 0xD800 {
			next = 0xE000
		}
		if next <= utf8.MaxRune {
			return head + string(next)
		}
		prefix = head
	}
	return ""
}

// match guards the rows a bounded scan returns; it only matters for
// prefixes that are not valid UTF-8.
func (b bounds) match(key string) bool { return strings.HasPrefix(key, b.prefix) }
