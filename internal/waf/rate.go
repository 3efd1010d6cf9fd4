package waf

import (
	"container/list"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"
)

type rateKeyKind int

const (
	rateKeyIP rateKeyKind = iota + 1
	rateKeyForwardedIP
	rateKeyMethod
	rateKeyHeader
	rateKeyCookie
	rateKeyQueryArgument
	rateKeyQueryString
	rateKeyURIPath
	rateKeyLabelNamespace
)

type rateKey struct {
	kind      rateKeyKind
	name      string // header (lowercase), cookie or query argument name; label namespace
	transform *chain
}

type rateBased struct {
	limit   int64
	keys    []rateKey // CONSTANT: none
	fwd     *forwardedIP
	scope   statement
	counter *rateCounter
}

const maxCustomKeys = 5

func (l *loader) rateBased(o *object) statement {
	s := &rateBased{}
	limit, ok := o.integer("Limit", true)
	if ok && (limit < 10 || limit > 2_000_000_000) {
		l.d.fail(o.child("Limit"), "must be between 10 and 2000000000")
	}
	s.limit = limit
	window := int64(300)
	if w, ok := o.integer("EvaluationWindowSec", false); ok {
		if !slices.Contains([]int64{60, 120, 300, 600}, w) {
			l.d.fail(o.child("EvaluationWindowSec"), "must be 60, 120, 300 or 600")
		} else {
			window = w
		}
	}
	aggregate := o.enum("AggregateKeyType", true, "", "IP", "FORWARDED_IP", "CONSTANT", "CUSTOM_KEYS")
	if fo := o.obj("ForwardedIPConfig", false); fo != nil {
		s.fwd = l.forwardedIP(fo, false)
	}
	if so := o.obj("ScopeDownStatement", aggregate == "CONSTANT"); so != nil {
		s.scope = l.statement(so, false)
		so.finish()
	}
	needFwd := false
	switch aggregate {
	case "IP":
		s.keys = []rateKey{{kind: rateKeyIP}}
	case "FORWARDED_IP":
		s.keys = []rateKey{{kind: rateKeyForwardedIP}}
		needFwd = true
	case "CUSTOM_KEYS":
		elems := o.array("CustomKeys", true)
		if len(elems) > maxCustomKeys {
			l.d.fail(o.child("CustomKeys"), "at most %d custom keys", maxCustomKeys)
		}
		if o.has("CustomKeys") && len(elems) == 0 {
			l.d.fail(o.child("CustomKeys"), "needs at least one key")
		}
		for i, e := range elems {
			ko := l.d.object(indexPath(o.child("CustomKeys"), i), e)
			if ko == nil {
				continue
			}
			k, ok := l.rateKey(ko)
			ko.finish()
			if ok {
				s.keys = append(s.keys, k)
				needFwd = needFwd || k.kind == rateKeyForwardedIP
			}
		}
	}
	if aggregate != "CUSTOM_KEYS" && o.has("CustomKeys") {
		o.raw("CustomKeys")
		l.d.fail(o.child("CustomKeys"), "only valid with AggregateKeyType CUSTOM_KEYS")
	}
	if needFwd && s.fwd == nil {
		l.d.fail(o.child("ForwardedIPConfig"), "required when aggregating on the forwarded IP")
	}
	s.counter = newRateCounter(time.Duration(window)*time.Second, l.opts.MaxRateKeys)
	return s
}

func (l *loader) rateKey(o *object) (rateKey, bool) {
	kind, ok := o.only("custom key")
	if !ok {
		return rateKey{}, false
	}
	raw, _ := o.raw(kind)
	path := o.child(kind)
	ko := l.d.object(path, raw)
	if ko == nil {
		return rateKey{}, false
	}
	defer ko.finish()
	k := rateKey{}
	switch kind {
	case "IP":
		k.kind = rateKeyIP
	case "ForwardedIP":
		k.kind = rateKeyForwardedIP
	case "HTTPMethod":
		k.kind = rateKeyMethod
	case "Header", "Cookie", "QueryArgument":
		k.kind = map[string]rateKeyKind{"Header": rateKeyHeader, "Cookie": rateKeyCookie, "QueryArgument": rateKeyQueryArgument}[kind]
		k.name = ko.str("Name", true)
		if kind == "Header" {
			k.name = strings.ToLower(k.name)
		}
		k.transform = l.chain(ko, "TextTransformations")
	case "QueryString", "UriPath":
		k.kind = rateKeyQueryString
		if kind == "UriPath" {
			k.kind = rateKeyURIPath
		}
		k.transform = l.chain(ko, "TextTransformations")
	case "LabelNamespace":
		k.kind = rateKeyLabelNamespace
		ns := ko.str("Namespace", true)
		k.name = l.acl.qualify(ns)
		if !strings.HasSuffix(k.name, ":") {
			k.name += ":"
		}
	default:
		for key := range ko.m {
			ko.seen[key] = true
		}
		l.d.fail(path, "unsupported custom key %q", kind)
		return k, false
	}
	return k, true
}

// key builds the aggregation key. ok is false when a key component is
// missing from the request: AWS does not rate-limit such requests. forced
// is the forwarded-IP fallback when the header holds no valid address.
func (s *rateBased) key(c *evalCtx) (key string, ok bool, forced int8) {
	var parts []string
	for _, k := range s.keys {
		var v string
		switch k.kind {
		case rateKeyIP:
			v = c.req.ClientIP.Unmap().String()
		case rateKeyForwardedIP:
			addrs, present := s.fwd.addrs(c)
			if !present {
				return "", false, 0
			}
			if len(addrs) == 0 {
				if s.fwd.fallbackMatch {
					return "", false, 1
				}
				return "", false, -1
			}
			v = addrs[0].String()
		case rateKeyMethod:
			v = c.req.Method
		case rateKeyHeader:
			vals, found := c.headerValues(k.name)
			if !found {
				return "", false, 0
			}
			v = k.transform.apply(vals[0])
		case rateKeyCookie:
			found := false
			for _, ck := range c.cookieList() {
				if ck.k == k.name {
					v, found = k.transform.apply(ck.v), true
					break
				}
			}
			if !found {
				return "", false, 0
			}
		case rateKeyQueryArgument:
			found := false
			for _, q := range c.queryArgs() {
				if strings.EqualFold(q.k, k.name) {
					v, found = k.transform.apply(q.v), true
					break
				}
			}
			if !found {
				return "", false, 0
			}
		case rateKeyQueryString:
			if c.req.RawQuery == "" {
				return "", false, 0
			}
			v = k.transform.apply(c.req.RawQuery)
		case rateKeyURIPath:
			v = k.transform.apply(c.req.Path)
		case rateKeyLabelNamespace:
			var names []string
			for _, l := range c.labels {
				if strings.HasPrefix(l, k.name) {
					names = append(names, l)
				}
			}
			if len(names) == 0 {
				return "", false, 0
			}
			v = strings.Join(names, ",")
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, "\x00"), true, 0
}

// match counts the request against its aggregation instance and matches
// while that instance is over the limit in the evaluation window. Requests
// outside the scope-down statement are neither counted nor matched.
func (s *rateBased) match(c *evalCtx) bool {
	if s.scope != nil && !s.scope.match(c) {
		return false
	}
	key, ok, forced := s.key(c)
	if forced != 0 {
		return forced > 0
	}
	if !ok {
		c.skip = true
		return false
	}
	return s.counter.hit(key, c.now) > s.limit
}

// rateCounter keeps a sliding-window request count per aggregation
// instance. Memory is bounded: each instance is a fixed ring of buckets
// keyed by a 64-bit hash, and the least recently seen instances are evicted
// once maxKeys are tracked.
type rateCounter struct {
	seed     maphash.Seed
	width    int64 // bucket width in nanoseconds
	perShard int
	shards   [rateShards]rateShard
}

const (
	rateShards  = 16
	rateBuckets = 30
)

type rateShard struct {
	mu      sync.Mutex
	entries map[uint64]*list.Element
	lru     list.List // of *rateEntry, most recent at the front
}

type rateEntry struct {
	hash   uint64
	last   int64 // bucket number of the most recent hit
	counts [rateBuckets]uint32
}

func newRateCounter(window time.Duration, maxKeys int) *rateCounter {
	c := &rateCounter{
		seed:     maphash.MakeSeed(),
		width:    int64(window) / rateBuckets,
		perShard: max(maxKeys/rateShards, 1),
	}
	for i := range c.shards {
		c.shards[i].entries = map[uint64]*list.Element{}
	}
	return c
}

// hit records one request for key at now and returns the count in the
// window ending at now (the current bucket plus the previous ones).
func (c *rateCounter) hit(key string, now time.Time) int64 {
	h := maphash.String(c.seed, key)
	sh := &c.shards[h%rateShards]
	b := now.UnixNano() / c.width
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var e *rateEntry
	if el, ok := sh.entries[h]; ok {
		e = el.Value.(*rateEntry)
		sh.lru.MoveToFront(el)
	} else {
		e = &rateEntry{hash: h, last: b}
		sh.entries[h] = sh.lru.PushFront(e)
		for len(sh.entries) > c.perShard {
			old := sh.lru.Back()
			sh.lru.Remove(old)
			delete(sh.entries, old.Value.(*rateEntry).hash)
		}
	}
	if b < e.last {
		b = e.last // a clock that stepped back counts in the newest bucket
	}
	e.advance(b)
	e.counts[b%rateBuckets]++
	var n int64
	for _, v := range e.counts {
		n += int64(v)
	}
	return n
}

// advance clears the buckets that fell out of the window since the last hit.
func (e *rateEntry) advance(b int64) {
	if b <= e.last {
		return
	}
	if b-e.last >= rateBuckets {
		e.counts = [rateBuckets]uint32{}
	} else {
		for i := e.last + 1; i <= b; i++ {
			e.counts[i%rateBuckets] = 0
		}
	}
	e.last = b
}

// tracked returns how many aggregation instances are held (for tests and
// metrics).
func (c *rateCounter) tracked() int {
	n := 0
	for i := range c.shards {
		c.shards[i].mu.Lock()
		n += len(c.shards[i].entries)
		c.shards[i].mu.Unlock()
	}
	return n
}
