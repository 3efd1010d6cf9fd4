package edge

import (
	"net"
	"strings"
)

// matchPath reports whether a request path matches a CloudFront path
// pattern: case-sensitive, `*` matching any run of characters (slashes
// included) and `?` exactly one; the pattern's leading slash is optional.
func matchPath(pattern, p string) bool {
	pattern = strings.TrimPrefix(pattern, "/")
	p = strings.TrimPrefix(p, "/")
	// Iterative wildcard matching with backtracking to the last star.
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(p) {
		switch {
		case pi < len(pattern) && (pattern[pi] == '?' || pattern[pi] == p[si]):
			pi++
			si++
		case pi < len(pattern) && pattern[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

// behavior returns the first behaviour of d whose pattern matches p; the
// last behaviour is the default and matches everything.
func (d *Distribution) behavior(p string) *Behavior {
	for i := range d.Behaviors[:len(d.Behaviors)-1] {
		if matchPath(d.Behaviors[i].PathPattern, p) {
			return &d.Behaviors[i]
		}
	}
	return &d.Behaviors[len(d.Behaviors)-1]
}

// distribution returns the distribution whose alias is the request's host
// (without port), or the first one.
func (c *Config) distribution(host string) *Distribution {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for i := range c.Distributions {
		for _, a := range c.Distributions[i].Aliases {
			if strings.EqualFold(a, host) {
				return &c.Distributions[i]
			}
		}
	}
	return &c.Distributions[0]
}
