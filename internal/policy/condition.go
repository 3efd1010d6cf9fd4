package policy

import (
	"bytes"
	"encoding/base64"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// opKind is a condition operator without its IfExists suffix, set prefix or
// negation.
type opKind uint8

const (
	opUnknown opKind = iota // never produced by Parse; never true
	opStringEquals
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opArnLike
	opNull
)

// operators maps every operator name AWS defines to its base and whether it
// is the negated form.
var operators = map[string]struct {
	op      opKind
	negated bool
}{
	"StringEquals":              {opStringEquals, false},
	"StringNotEquals":           {opStringEquals, true},
	"StringEqualsIgnoreCase":    {opStringEqualsIgnoreCase, false},
	"StringNotEqualsIgnoreCase": {opStringEqualsIgnoreCase, true},
	"StringLike":                {opStringLike, false},
	"StringNotLike":             {opStringLike, true},
	"NumericEquals":             {opNumericEquals, false},
	"NumericNotEquals":          {opNumericEquals, true},
	"NumericLessThan":           {opNumericLessThan, false},
	"NumericLessThanEquals":     {opNumericLessThanEquals, false},
	"NumericGreaterThan":        {opNumericGreaterThan, false},
	"NumericGreaterThanEquals":  {opNumericGreaterThanEquals, false},
	"DateEquals":                {opDateEquals, false},
	"DateNotEquals":             {opDateEquals, true},
	"DateLessThan":              {opDateLessThan, false},
	"DateLessThanEquals":        {opDateLessThanEquals, false},
	"DateGreaterThan":           {opDateGreaterThan, false},
	"DateGreaterThanEquals":     {opDateGreaterThanEquals, false},
	"Bool":                      {opBool, false},
	"BinaryEquals":              {opBinaryEquals, false},
	"IpAddress":                 {opIPAddress, false},
	"NotIpAddress":              {opIPAddress, true},
	"ArnEquals":                 {opArnLike, false},
	"ArnLike":                   {opArnLike, false},
	"ArnNotEquals":              {opArnLike, true},
	"ArnNotLike":                {opArnLike, true},
	"Null":                      {opNull, false},
}

type setQualifier uint8

const (
	setNone setQualifier = iota
	setForAllValues
	setForAnyValue
)

// clause is one operator/key pair of a Condition block with its values.
type clause struct {
	operator string // as written, for error messages and audit
	op       opKind
	negated  bool
	ifExists bool
	set      setQualifier
	key      string // lower-cased
	keyText  string // as written
	values   []template
	typed    []typedValue // values[i] parsed once, when it has no variables
}

// typedValue is a policy value parsed for its operator.
type typedValue struct {
	ok     bool // parsed; false: the value can match nothing
	str    string
	num    float64
	time   time.Time
	prefix netip.Prefix
	bin    []byte
}

func parseTyped(op opKind, s string) typedValue {
	v := typedValue{ok: true, str: s}
	var err error
	switch op {
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		v.num, v.ok = parseNumber(s)
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		v.time, v.ok = parseDate(s)
	case opBool:
		v.ok = strings.EqualFold(s, "true") || strings.EqualFold(s, "false")
	case opBinaryEquals:
		v.bin, err = base64.StdEncoding.DecodeString(s)
		v.ok = err == nil
	case opIPAddress:
		v.prefix, v.ok = parsePrefix(s)
	}
	return v
}

// compile parses the clause's fixed values once.
func (c *clause) compile() {
	c.typed = make([]typedValue, len(c.values))
	for i, t := range c.values {
		if t.fixed {
			c.typed[i] = parseTyped(c.op, t.static.String())
		}
	}
}

// parseOperator splits "ForAnyValue:StringLikeIfExists" into its parts.
func parseOperator(name string) (clause, bool) {
	c := clause{operator: name}
	rest := name
	if r, ok := strings.CutPrefix(rest, "ForAllValues:"); ok {
		c.set, rest = setForAllValues, r
	} else if r, ok := strings.CutPrefix(rest, "ForAnyValue:"); ok {
		c.set, rest = setForAnyValue, r
	}
	if r, ok := strings.CutSuffix(rest, "IfExists"); ok {
		c.ifExists, rest = true, r
	}
	o, ok := operators[rest]
	if !ok || (o.op == opNull && (c.ifExists || c.set != setNone)) {
		return clause{}, false
	}
	c.op, c.negated = o.op, o.negated
	return c, true
}

// validateValue checks a condition value whose text is fixed (no variables)
// against what its operator accepts.
func validateValue(op opKind, v string) bool {
	switch op {
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		_, ok := parseNumber(v)
		return ok
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		_, ok := parseDate(v)
		return ok
	case opBool, opNull:
		return strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
	case opBinaryEquals:
		_, err := base64.StdEncoding.DecodeString(v)
		return err == nil
	case opIPAddress:
		_, ok := parsePrefix(v)
		return ok
	case opArnLike:
		return len(strings.SplitN(v, ":", 6)) == 6
	}
	return true
}

// eval decides the clause. ok is false only for an operator Parse never
// produces; callers must then fail closed.
func (c *clause) eval(ctx *evalContext) (result, ok bool) {
	if c.op == opUnknown {
		return false, false
	}
	values, present := ctx.lookup(c.key)
	if c.op == opNull {
		for _, t := range c.values {
			v, ok := t.resolveString(ctx)
			if !ok {
				continue
			}
			if strings.EqualFold(v, "true") && !present || strings.EqualFold(v, "false") && present {
				return true, true
			}
		}
		return false, true
	}
	if !present {
		switch {
		case c.ifExists:
			return true, true
		case c.set == setForAllValues:
			return true, true
		case c.set == setForAnyValue:
			return false, true
		default:
			// AWS: a negated operator on an absent key is true.
			return c.negated, true
		}
	}
	// one reports whether a request value satisfies the operator: for a
	// negated operator it matches none of the policy values (NOR).
	one := func(v string) bool {
		return c.matchAny(v, ctx) != c.negated
	}
	switch c.set {
	case setForAllValues:
		for _, v := range values {
			if !one(v) {
				return false, true
			}
		}
		return true, true
	case setForAnyValue:
		for _, v := range values {
			if one(v) {
				return true, true
			}
		}
		return false, true
	}
	// A plain operator over a multi-valued key: positive operators need some
	// request value to match, negated ones need every value to match none.
	if c.negated {
		for _, v := range values {
			if !one(v) {
				return false, true
			}
		}
		return true, true
	}
	for _, v := range values {
		if one(v) {
			return true, true
		}
	}
	return false, true
}

// matchAny reports whether request value v matches any policy value under
// the positive form of the operator. A value whose variable cannot be
// resolved matches nothing.
func (c *clause) matchAny(v string, ctx *evalContext) bool {
	for i, t := range c.values {
		if c.op == opStringLike || c.op == opArnLike {
			p, ok := t.resolve(ctx)
			if !ok {
				continue
			}
			if c.op == opStringLike && p.match(v, matchPlain, false) || c.op == opArnLike && p.matchARN(v) {
				return true
			}
			continue
		}
		var pv typedValue
		if t.fixed && i < len(c.typed) {
			pv = c.typed[i]
		} else if str, ok := t.resolveString(ctx); ok {
			pv = parseTyped(c.op, str)
		}
		if pv.ok && compare(c.op, v, pv) {
			return true
		}
	}
	return false
}

// compare applies a non-wildcard operator to a request value and a parsed
// policy value. Request values that do not parse never match.
func compare(op opKind, v string, pv typedValue) bool {
	switch op {
	case opStringEquals:
		return v == pv.str
	case opStringEqualsIgnoreCase:
		return strings.EqualFold(v, pv.str)
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		a, ok := parseNumber(v)
		return ok && ordered(op-opNumericEquals, compareFloat(a, pv.num))
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		a, ok := parseDate(v)
		return ok && ordered(op-opDateEquals, a.Compare(pv.time))
	case opBool:
		return strings.EqualFold(v, pv.str)
	case opBinaryEquals:
		return bytes.Equal([]byte(v), pv.bin)
	case opIPAddress:
		addr, err := netip.ParseAddr(v)
		return err == nil && pv.prefix.Contains(addr.Unmap().WithZone(""))
	}
	return false
}

// ordered maps a comparison result to the Equals/LessThan/LessThanEquals/
// GreaterThan/GreaterThanEquals operator at offset rel.
func ordered(rel opKind, cmp int) bool {
	switch rel {
	case 0:
		return cmp == 0
	case 1:
		return cmp < 0
	case 2:
		return cmp <= 0
	case 3:
		return cmp > 0
	case 4:
		return cmp >= 0
	}
	return false
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// dateLayouts are the ISO 8601 forms AWS accepts in Date conditions.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseDate accepts ISO 8601 dates and times (UTC unless a zone is given)
// and epoch seconds.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s != "" && strings.Trim(s, "0123456789") == "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parsePrefix accepts a CIDR block or a single address.
func parsePrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		a, bits := p.Addr(), p.Bits()
		if a.Is4In6() && bits >= 96 {
			a, bits = a.Unmap(), bits-96
		}
		return netip.PrefixFrom(a, bits).Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}
