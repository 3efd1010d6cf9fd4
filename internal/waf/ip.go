package waf

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// ipSet matches addresses against CIDR prefixes with one map lookup per
// distinct prefix length, so large sets cost no more than small ones.
type ipSet struct {
	v4, v6 prefixTable
}

type prefixTable struct {
	byBits map[int]map[netip.Prefix]struct{}
	bits   []int // distinct prefix lengths, longest first
}

func newIPSet(prefixes []netip.Prefix) *ipSet {
	s := &ipSet{}
	for _, p := range prefixes {
		if !p.IsValid() {
			continue
		}
		a, bits := p.Addr(), p.Bits()
		if a.Is4In6() {
			a, bits = a.Unmap(), max(bits-96, 0)
		}
		p = netip.PrefixFrom(a, bits).Masked()
		if a.Is4() {
			s.v4.add(p)
		} else {
			s.v6.add(p)
		}
	}
	return s
}

func (t *prefixTable) add(p netip.Prefix) {
	if t.byBits == nil {
		t.byBits = map[int]map[netip.Prefix]struct{}{}
	}
	m, ok := t.byBits[p.Bits()]
	if !ok {
		m = map[netip.Prefix]struct{}{}
		t.byBits[p.Bits()] = m
		t.bits = append(t.bits, p.Bits())
		slices.Sort(t.bits)
		slices.Reverse(t.bits)
	}
	m[p] = struct{}{}
}

func (t *prefixTable) contains(a netip.Addr) bool {
	for _, bits := range t.bits {
		p, err := a.Prefix(bits)
		if err != nil {
			continue
		}
		if _, ok := t.byBits[bits][p]; ok {
			return true
		}
	}
	return false
}

func (s *ipSet) contains(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap()
	if a.Is4() {
		return s.v4.contains(a)
	}
	return s.v6.contains(a.WithZone(""))
}

type position int

const (
	positionFirst position = iota + 1
	positionLast
	positionAny
)

// maxAnyAddresses is how many addresses Position ANY inspects: AWS looks at
// the last 10 when the header holds more.
const maxAnyAddresses = 10

// forwardedIP is IPSetForwardedIPConfig (with a Position) or
// ForwardedIPConfig (always the first address).
type forwardedIP struct {
	header        string
	fallbackMatch bool
	position      position
}

var forwardedHeaderPattern = regexp.MustCompile(`^[a-zA-Z0-9-]{1,255}$`)

func (l *loader) forwardedIP(o *object, withPosition bool) *forwardedIP {
	f := &forwardedIP{position: positionFirst}
	f.header = o.str("HeaderName", true)
	if f.header != "" && !forwardedHeaderPattern.MatchString(f.header) {
		l.d.fail(o.child("HeaderName"), "invalid header name %q", f.header)
	}
	f.fallbackMatch = o.enum("FallbackBehavior", true, "", "MATCH", "NO_MATCH") == "MATCH"
	if withPosition {
		switch o.enum("Position", true, "", "FIRST", "LAST", "ANY") {
		case "LAST":
			f.position = positionLast
		case "ANY":
			f.position = positionAny
		}
	}
	o.finish()
	return f
}

// addrs returns the valid addresses to inspect. present is false when the
// header is absent, in which case AWS does not apply the rule at all; an
// empty result with present set means the fallback behavior decides.
func (f *forwardedIP) addrs(c *evalCtx) (addrs []netip.Addr, present bool) {
	vals, ok := c.headerValues(f.header)
	if !ok {
		return nil, false
	}
	var entries []string
	for _, v := range vals {
		for e := range strings.SplitSeq(v, ",") {
			entries = append(entries, strings.TrimSpace(e))
		}
	}
	pick := func(s string) []netip.Addr {
		if a, ok := parseIP(s); ok {
			return []netip.Addr{a}
		}
		return nil
	}
	switch f.position {
	case positionLast:
		return pick(entries[len(entries)-1]), true
	case positionAny:
		if len(entries) > maxAnyAddresses {
			entries = entries[len(entries)-maxAnyAddresses:]
		}
		for _, e := range entries {
			if a, ok := parseIP(e); ok {
				addrs = append(addrs, a)
			}
		}
		return addrs, true
	}
	return pick(entries[0]), true
}

type ipSetReference struct {
	set *ipSet
	fwd *forwardedIP
}

func (l *loader) ipSetReference(o *object) statement {
	s := &ipSetReference{set: newIPSet(nil)}
	arn := o.str("ARN", true)
	if arn != "" {
		name, ok := setName(arn, "ipset")
		switch {
		case !ok:
			l.d.fail(o.child("ARN"), "%q is not an IP set ARN (arn:aws:wafv2:<region>:<account>:<scope>/ipset/<name>/<id>)", arn)
		default:
			prefixes, found := l.sets.IPSets[name]
			if !found {
				l.d.fail(o.child("ARN"), "unknown IP set %q", name)
			}
			s.set = newIPSet(prefixes)
		}
	}
	if fo := o.obj("IPSetForwardedIPConfig", false); fo != nil {
		s.fwd = l.forwardedIP(fo, true)
	}
	return s
}

func (s *ipSetReference) match(c *evalCtx) bool {
	if s.fwd == nil {
		return s.set.contains(c.req.ClientIP)
	}
	addrs, present := s.fwd.addrs(c)
	if !present {
		c.skip = true
		return false
	}
	if len(addrs) == 0 {
		return s.fwd.fallbackMatch
	}
	return slices.ContainsFunc(addrs, s.set.contains)
}

type geoMatch struct {
	countries map[string]bool
	fwd       *forwardedIP
}

func (l *loader) geoMatch(o *object) statement {
	s := &geoMatch{countries: map[string]bool{}}
	codes := o.strings("CountryCodes", true)
	if o.has("CountryCodes") && len(codes) == 0 {
		l.d.fail(o.child("CountryCodes"), "needs at least one country code")
	}
	for i, cc := range codes {
		if len(cc) != 2 || strings.ToUpper(cc) != cc {
			l.d.fail(indexPath(o.child("CountryCodes"), i), "%q is not an ISO 3166-1 alpha-2 country code", cc)
		}
		s.countries[cc] = true
	}
	if fo := o.obj("ForwardedIPConfig", false); fo != nil {
		s.fwd = l.forwardedIP(fo, false)
	}
	if l.opts.GeoIP == nil {
		l.d.fail(o.path, "GeoMatchStatement needs a GeoIP database, and none is configured")
	}
	return s
}

// match looks up the country and, as AWS does for every request a geo match
// statement inspects, labels the request with it whether or not it matches.
func (s *geoMatch) match(c *evalCtx) bool {
	if c.acl.geo == nil {
		return false
	}
	if s.fwd == nil {
		cc := c.clientCountry()
		if cc != "" {
			c.addLabels("awswaf:clientip:geo:country:" + cc)
		}
		return s.countries[cc]
	}
	addrs, present := s.fwd.addrs(c)
	if !present {
		c.skip = true
		return false
	}
	if len(addrs) == 0 {
		return s.fwd.fallbackMatch
	}
	cc := c.acl.geo.Country(addrs[0])
	if cc != "" {
		c.addLabels("awswaf:forwardedip:geo:country:" + cc)
	}
	return s.countries[cc]
}
