package waf

import (
	"net/netip"
	"time"
)

// evalCtx is the per-request evaluation state: lazily parsed components, a
// cache of transformed values, and the labels added so far.
type evalCtx struct {
	acl    *WebACL
	req    *Request
	now    time.Time
	labels []string
	// skip is set when a statement finds that the rule does not apply to the
	// request at all (a forwarded-IP header is missing, a rate-limit key
	// component is absent). The rule then neither matches nor fails to.
	skip bool

	query      []kv
	queryDone  bool
	cookies    []kv
	cookieDone bool
	country    string
	geoDone    bool
	// values caches inspect's results; a web ACL inspects a handful of
	// (component, chain) pairs, so a slice searched in order beats a map.
	values []inspected
}

type inspected struct {
	f  *fieldSpec
	ch *chain
	r  fieldResult
}

type fieldResult struct {
	values []string
	forced int8
}

func newEvalCtx(a *WebACL, req *Request) *evalCtx {
	now := req.Time
	if now.IsZero() {
		now = a.clock()
	}
	return &evalCtx{acl: a, req: req, now: now}
}

func (c *evalCtx) queryArgs() []kv {
	if !c.queryDone {
		c.query = parseQuery(c.req.RawQuery)
		c.queryDone = true
	}
	return c.query
}

func (c *evalCtx) cookieList() []kv {
	if !c.cookieDone {
		c.cookies = parseCookies(c.req.Headers)
		c.cookieDone = true
	}
	return c.cookies
}

func (c *evalCtx) body() string {
	b := c.req.Body
	if len(b) > c.acl.bodyLimit {
		b = b[:c.acl.bodyLimit]
	}
	return string(b)
}

func (c *evalCtx) bodyOversize() bool {
	return c.req.BodySize > int64(c.acl.bodyLimit) || len(c.req.Body) > c.acl.bodyLimit
}

// inspect returns the transformed values of a component, computing them at
// most once per request for each (component, transformation chain) pair.
func (c *evalCtx) inspect(f *fieldSpec, ch *chain) fieldResult {
	for i := range c.values {
		if c.values[i].f == f && c.values[i].ch == ch {
			return c.values[i].r
		}
	}
	vals, forced := f.extract(c)
	if forced == 0 && len(ch.steps) > 0 {
		out := make([]string, len(vals))
		for i, v := range vals {
			out[i] = ch.apply(v)
		}
		vals = out
	}
	r := fieldResult{values: vals, forced: forced}
	if c.values == nil {
		c.values = make([]inspected, 0, 16)
	}
	c.values = append(c.values, inspected{f, ch, r})
	return r
}

func (c *evalCtx) addLabels(ls ...string) {
	for _, l := range ls {
		if !hasLabel(c.labels, l) {
			c.labels = append(c.labels, l)
		}
	}
}

func (c *evalCtx) clientCountry() string {
	if !c.geoDone {
		c.geoDone = true
		if c.acl.geo != nil && c.req.ClientIP.IsValid() {
			c.country = c.acl.geo.Country(c.req.ClientIP.Unmap())
		}
	}
	return c.country
}

// headerValues returns every value of the named header, in order.
func (c *evalCtx) headerValues(name string) ([]string, bool) {
	var out []string
	found := false
	for _, h := range c.req.Headers {
		if equalFoldASCII(h.Name, name) {
			found = true
			out = append(out, h.Value)
		}
	}
	return out, found
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// parseIP reads one entry of a forwarded-IP header: an address, optionally
// with a port ("1.2.3.4:80", "[2001:db8::1]:443").
func parseIP(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}
