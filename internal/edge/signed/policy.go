package signed

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// maxPolicyLen bounds an encoded Policy before it is decoded. CloudFront's
// whole request URL is limited to 8,192 bytes.
const maxPolicyLen = 8192

// policy is a parsed policy statement. A canned policy has only Resource and
// DateLessThan.
type policy struct {
	resource    string // with * and ? wildcards; meaningful only if hasResource
	hasResource bool
	lessThan    int64 // DateLessThan, Unix seconds; always present
	greaterThan int64 // DateGreaterThan, Unix seconds, if hasGreater
	hasGreater  bool
	sourceIP    netip.Prefix // IpAddress AWS:SourceIp; invalid when absent
}

// cannedPolicy returns the policy JSON CloudFront's signers build for a canned
// policy: the exact bytes that were signed. Resource is escaped as Python's
// json.dumps does (aws cloudfront sign and boto3 use it): '"', '\\' and
// everything outside printable ASCII.
func cannedPolicy(resource string, expires int64) []byte {
	var b bytes.Buffer
	b.WriteString(`{"Statement":[{"Resource":`)
	writeJSONString(&b, resource)
	b.WriteString(`,"Condition":{"DateLessThan":{"AWS:EpochTime":`)
	b.WriteString(strconv.FormatInt(expires, 10))
	b.WriteString(`}}}]}`)
	return b.Bytes()
}

func writeJSONString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	u := func(r rune) {
		b.WriteString(`\u`)
		for shift := 12; shift >= 0; shift -= 4 {
			b.WriteByte(hex[(r>>shift)&0xf])
		}
	}
	b.WriteByte('"')
	for _, r := range s { // invalid UTF-8 decodes as U+FFFD
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= ' ' && r <= '~':
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			u(0xd800 + (r>>10)&0x3ff)
			u(0xdc00 + r&0x3ff)
		default:
			u(r)
		}
	}
	b.WriteByte('"')
}

// decodeBase64 decodes CloudFront's URL-safe base64 ('-', '_', '~' for '+',
// '=', '/'). Standard characters and missing padding are accepted as well:
// what is signed is the decoded bytes, so this leniency grants nothing.
func decodeBase64(s string) ([]byte, error) {
	r := strings.NewReplacer("-", "+", "_", "=", "~", "/")
	s = strings.TrimRight(r.Replace(s), "=")
	return base64.RawStdEncoding.DecodeString(s)
}

// parsePolicy parses a custom policy statement. It is strict where
// CloudFront's documentation is: exactly one statement, parameter names
// exactly as specified (case-sensitive), DateLessThan required, epoch times
// as unquoted integers, AWS:SourceIp as an IPv4 CIDR. Unknown members are
// refused rather than ignored, so a condition this verifier does not know
// cannot be silently dropped.
func parsePolicy(js []byte) (policy, error) {
	var p policy
	top, err := objectMembers(js, "Statement")
	if err != nil {
		return p, err
	}
	stmts, ok := top["Statement"]
	if !ok {
		return p, errors.New("no Statement")
	}
	var list []json.RawMessage
	if err := json.Unmarshal(stmts, &list); err != nil {
		return p, fmt.Errorf("in Statement: %w", err)
	}
	if len(list) != 1 {
		return p, fmt.Errorf("%d statements; exactly one is allowed", len(list))
	}
	stmt, err := objectMembers(list[0], "Resource", "Condition")
	if err != nil {
		return p, fmt.Errorf("in Statement: %w", err)
	}
	if raw, ok := stmt["Resource"]; ok {
		if err := json.Unmarshal(raw, &p.resource); err != nil {
			return p, fmt.Errorf("in Resource: %w", err)
		}
		p.hasResource = true
	}
	rawCond, ok := stmt["Condition"]
	if !ok {
		return p, errors.New("no Condition")
	}
	cond, err := objectMembers(rawCond, "DateLessThan", "DateGreaterThan", "IpAddress")
	if err != nil {
		return p, fmt.Errorf("in Condition: %w", err)
	}
	raw, ok := cond["DateLessThan"]
	if !ok {
		return p, errors.New("no DateLessThan")
	}
	if p.lessThan, err = epochTime(raw); err != nil {
		return p, fmt.Errorf("in DateLessThan: %w", err)
	}
	if raw, ok := cond["DateGreaterThan"]; ok {
		if p.greaterThan, err = epochTime(raw); err != nil {
			return p, fmt.Errorf("in DateGreaterThan: %w", err)
		}
		p.hasGreater = true
	}
	if raw, ok := cond["IpAddress"]; ok {
		m, err := objectMembers(raw, "AWS:SourceIp")
		if err != nil {
			return p, fmt.Errorf("in IpAddress: %w", err)
		}
		var cidr string
		if err := json.Unmarshal(m["AWS:SourceIp"], &cidr); err != nil {
			return p, fmt.Errorf("in IpAddress: AWS:SourceIp: %w", err)
		}
		prefix, err := netip.ParsePrefix(cidr)
		if err != nil || !prefix.Addr().Is4() {
			return p, fmt.Errorf("in IpAddress: AWS:SourceIp %q is not an IPv4 CIDR", cidr)
		}
		p.sourceIP = prefix.Masked()
	}
	return p, nil
}

// epochTime decodes {"AWS:EpochTime": N} with N a non-negative integer.
func epochTime(raw json.RawMessage) (int64, error) {
	m, err := objectMembers(raw, "AWS:EpochTime")
	if err != nil {
		return 0, err
	}
	n, ok := m["AWS:EpochTime"]
	if !ok {
		return 0, errors.New("no AWS:EpochTime")
	}
	return parseEpoch(string(n))
}

// parseEpoch parses Unix seconds written as decimal digits only (no sign,
// fraction, exponent or quotes).
func parseEpoch(s string) (int64, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a Unix time in seconds", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a Unix time in seconds", s)
	}
	return n, nil
}

// objectMembers decodes a JSON object whose member names must be among
// allowed, matched exactly (encoding/json alone would match them
// case-insensitively). A repeated member is refused.
func objectMembers(js []byte, allowed ...string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(js))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	members := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		known := false
		for _, a := range allowed {
			known = known || a == name
		}
		if !known {
			return nil, fmt.Errorf("unknown member %q", name)
		}
		if _, dup := members[name]; dup {
			return nil, fmt.Errorf("member %q repeated", name)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		members[name] = v
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("data after the JSON object")
	}
	return members, nil
}

// matchResource reports whether url matches a policy Resource, where '*'
// matches any run of bytes (including none) and '?' exactly one byte (the
// URL is ASCII: anything else in it is percent-encoded).
// Matching is greedy with backtracking to the last '*', so it runs in
// O(len(pattern)·len(url)) at worst, never exponentially.
func matchResource(pattern, url string) bool {
	p, u := 0, 0
	star, mark := -1, 0
	for u < len(url) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, u
			p++
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == url[u]):
			p++
			u++
		case star >= 0:
			mark++
			p, u = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
