package waf

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
)

type fieldKind int

const (
	fieldUriPath fieldKind = iota + 1
	fieldQueryString
	fieldSingleQueryArgument
	fieldAllQueryArguments
	fieldSingleHeader
	fieldHeaders
	fieldCookies
	fieldMethod
	fieldBody
	fieldJSONBody
	fieldHeaderOrder
)

type matchScope int

const (
	scopeAll matchScope = iota + 1
	scopeKey
	scopeValue
)

// oversize is the OversizeHandling setting; forced results use the same
// encoding: 0 inspect, +1 match, -1 no match.
type oversize int8

const (
	oversizeContinue oversize = 0
	oversizeMatch    oversize = 1
	oversizeNoMatch  oversize = -1
)

// invalidJSON is JsonBody.InvalidFallbackBehavior.
type invalidJSON int

const (
	invalidPartial invalidJSON = iota // not set: evaluate what parsed before the error
	invalidAsString
	invalidMatch
	invalidNoMatch
)

// Limits of the request components AWS forwards for inspection.
const (
	maxInspectedHeaders     = 200
	maxInspectedHeaderBytes = 8 * 1024
	maxInspectedCookies     = 200
	maxInspectedCookieBytes = 8 * 1024
	maxJSONValues           = 10_000 // bounds work on bodies made of tiny JSON tokens
)

// fieldSpec is a compiled FieldToMatch. Identical specifications are
// interned at load, so the per-request transformation cache is shared by
// statements that inspect the same component the same way.
type fieldSpec struct {
	kind      fieldKind
	name      string // SingleHeader/SingleQueryArgument (lowercase)
	scope     matchScope
	include   map[string]bool
	exclude   map[string]bool
	oversize  oversize
	jsonPaths []string // nil: all
	invalid   invalidJSON
}

var fieldNames = []string{"UriPath", "QueryString", "SingleQueryArgument", "AllQueryArguments", "SingleHeader",
	"Headers", "Cookies", "Method", "Body", "JsonBody", "HeaderOrder", "JA3Fingerprint", "JA4Fingerprint", "UriFragment"}

// field compiles a FieldToMatch object. The canonical key (for
// interning) is the re-encoded JSON of the object.
func (l *loader) field(o *object) *fieldSpec {
	kind, ok := o.only("FieldToMatch", fieldNames...)
	if !ok {
		return nil
	}
	raw, _ := o.raw(kind)
	path := o.child(kind)
	f := &fieldSpec{}
	switch kind {
	case "UriPath", "QueryString", "AllQueryArguments", "Method":
		l.d.empty(path, raw)
		f.kind = map[string]fieldKind{"UriPath": fieldUriPath, "QueryString": fieldQueryString,
			"AllQueryArguments": fieldAllQueryArguments, "Method": fieldMethod}[kind]
	case "SingleHeader", "SingleQueryArgument":
		so := l.d.object(path, raw)
		if so == nil {
			return nil
		}
		f.name = strings.ToLower(so.str("Name", true))
		so.finish()
		f.kind = fieldSingleHeader
		if kind == "SingleQueryArgument" {
			f.kind = fieldSingleQueryArgument
		}
	case "Headers", "Cookies":
		so := l.d.object(path, raw)
		if so == nil {
			return nil
		}
		f.kind = fieldHeaders
		inc, exc := "IncludedHeaders", "ExcludedHeaders"
		if kind == "Cookies" {
			f.kind = fieldCookies
			inc, exc = "IncludedCookies", "ExcludedCookies"
		}
		if mp := so.obj("MatchPattern", true); mp != nil {
			if which, ok := mp.only("MatchPattern"); ok {
				switch which {
				case "All":
					v, _ := mp.raw("All")
					l.d.empty(mp.child("All"), v)
				case inc, exc:
					names := mp.strings(which, true)
					set := make(map[string]bool, len(names))
					for _, n := range names {
						if kind == "Headers" {
							n = strings.ToLower(n)
						}
						set[n] = true
					}
					if which == inc {
						f.include = set
					} else {
						f.exclude = set
					}
				default:
					mp.raw(which)
					l.d.fail(mp.child(which), "unknown match pattern; use All, %s or %s", inc, exc)
				}
			}
		}
		f.scope = l.scope(so)
		f.oversize = l.oversize(so, true)
		so.finish()
	case "Body":
		so := l.d.object(path, raw)
		if so == nil {
			return nil
		}
		f.kind = fieldBody
		f.oversize = l.oversize(so, false)
		so.finish()
	case "JsonBody":
		so := l.d.object(path, raw)
		if so == nil {
			return nil
		}
		f.kind = fieldJSONBody
		if mp := so.obj("MatchPattern", true); mp != nil {
			if which, ok := mp.only("MatchPattern"); ok {
				switch which {
				case "All":
					v, _ := mp.raw("All")
					l.d.empty(mp.child("All"), v)
				case "IncludedPaths":
					f.jsonPaths = mp.strings("IncludedPaths", true)
					for i, p := range f.jsonPaths {
						if p != "" && !strings.HasPrefix(p, "/") {
							l.d.fail(indexPath(mp.child("IncludedPaths"), i), "%q is not a JSON Pointer (RFC 6901)", p)
						}
					}
					if len(f.jsonPaths) == 0 {
						f.jsonPaths = []string{}
					}
				default:
					mp.raw(which)
					l.d.fail(mp.child(which), "unknown match pattern; use All or IncludedPaths")
				}
			}
		}
		f.scope = l.scope(so)
		switch so.enum("InvalidFallbackBehavior", false, "", "MATCH", "NO_MATCH", "EVALUATE_AS_STRING") {
		case "MATCH":
			f.invalid = invalidMatch
		case "NO_MATCH":
			f.invalid = invalidNoMatch
		case "EVALUATE_AS_STRING":
			f.invalid = invalidAsString
		}
		f.oversize = l.oversize(so, false)
		so.finish()
	case "HeaderOrder":
		so := l.d.object(path, raw)
		if so == nil {
			return nil
		}
		f.kind = fieldHeaderOrder
		f.oversize = l.oversize(so, true)
		so.finish()
	case "JA3Fingerprint", "JA4Fingerprint", "UriFragment":
		l.d.fail(path, "field %s is not supported", kind)
		return nil
	default:
		l.d.fail(path, "unknown field to match %q", kind)
		return nil
	}
	key, _ := json.Marshal(struct {
		K    fieldKind
		N    string
		S    matchScope
		I, E []string
		O    oversize
		P    []string
		V    invalidJSON
	}{f.kind, f.name, f.scope, setKeys(f.include), setKeys(f.exclude), f.oversize, f.jsonPaths, f.invalid})
	if prev, ok := l.fields[string(key)]; ok {
		return prev
	}
	if l.fields == nil {
		l.fields = map[string]*fieldSpec{}
	}
	l.fields[string(key)] = f
	return f
}

func setKeys(m map[string]bool) []string {
	if m == nil {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (l *loader) scope(o *object) matchScope {
	switch o.enum("MatchScope", true, "", "ALL", "KEY", "VALUE") {
	case "KEY":
		return scopeKey
	case "VALUE":
		return scopeValue
	}
	return scopeAll
}

func (l *loader) oversize(o *object, required bool) oversize {
	switch o.enum("OversizeHandling", required, "CONTINUE", "CONTINUE", "MATCH", "NO_MATCH") {
	case "MATCH":
		return oversizeMatch
	case "NO_MATCH":
		return oversizeNoMatch
	}
	return oversizeContinue
}

// extract returns the raw values of the component, or a forced result
// (+1 match, -1 no match) from oversize or invalid-JSON handling. A request
// without the component yields no values, which matches nothing.
func (f *fieldSpec) extract(c *evalCtx) ([]string, int8) {
	r := c.req
	switch f.kind {
	case fieldUriPath:
		return []string{r.Path}, 0
	case fieldQueryString:
		return []string{r.RawQuery}, 0
	case fieldMethod:
		return []string{r.Method}, 0
	case fieldSingleQueryArgument:
		var out []string
		for _, kv := range c.queryArgs() {
			if strings.EqualFold(kv.k, f.name) {
				out = append(out, kv.v)
			}
		}
		return out, 0
	case fieldAllQueryArguments:
		args := c.queryArgs()
		out := make([]string, len(args))
		for i, kv := range args {
			out[i] = kv.v
		}
		return out, 0
	case fieldSingleHeader:
		var out []string
		for _, h := range r.Headers {
			if strings.EqualFold(h.Name, f.name) {
				out = append(out, h.Value)
			}
		}
		return out, 0
	case fieldHeaders:
		return f.headers(c)
	case fieldCookies:
		return f.cookies(c)
	case fieldBody:
		if c.bodyOversize() && f.oversize != oversizeContinue {
			return nil, int8(f.oversize)
		}
		return []string{c.body()}, 0
	case fieldJSONBody:
		if c.bodyOversize() && f.oversize != oversizeContinue {
			return nil, int8(f.oversize)
		}
		return f.jsonValues(c)
	case fieldHeaderOrder:
		over := len(r.Headers) > maxInspectedHeaders || headerBytes(r.Headers) > maxInspectedHeaderBytes
		if over && f.oversize != oversizeContinue {
			return nil, int8(f.oversize)
		}
		names := make([]string, 0, min(len(r.Headers), maxInspectedHeaders))
		for i, h := range r.Headers {
			if i == maxInspectedHeaders {
				break
			}
			names = append(names, strings.ToLower(h.Name))
		}
		return []string{strings.Join(names, ":")}, 0
	}
	return nil, 0
}

func headerBytes(hs []Header) int {
	n := 0
	for _, h := range hs {
		n += len(h.Name) + len(h.Value) + 4 // ": " and CRLF
	}
	return n
}

func (f *fieldSpec) selected(name string) bool {
	if f.include != nil {
		return f.include[name]
	}
	if f.exclude != nil {
		return !f.exclude[name]
	}
	return true
}

// scoped appends key and/or value per MatchScope. For ALL the key and the
// value are inspected separately: a match in either is a match.
func (f *fieldSpec) scoped(out []string, k, v string) []string {
	switch f.scope {
	case scopeKey:
		return append(out, k)
	case scopeValue:
		return append(out, v)
	}
	return append(out, k, v)
}

func (f *fieldSpec) headers(c *evalCtx) ([]string, int8) {
	hs := c.req.Headers
	over := len(hs) > maxInspectedHeaders || headerBytes(hs) > maxInspectedHeaderBytes
	if over && f.oversize != oversizeContinue {
		return nil, int8(f.oversize)
	}
	var out []string
	size := 0
	for i, h := range hs {
		size += len(h.Name) + len(h.Value) + 4
		if i >= maxInspectedHeaders || size > maxInspectedHeaderBytes {
			break
		}
		if f.selected(strings.ToLower(h.Name)) {
			out = f.scoped(out, h.Name, h.Value)
		}
	}
	return out, 0
}

func (f *fieldSpec) cookies(c *evalCtx) ([]string, int8) {
	cs := c.cookieList()
	size := 0
	for _, kv := range cs {
		size += len(kv.k) + len(kv.v) + 2
	}
	over := len(cs) > maxInspectedCookies || size > maxInspectedCookieBytes
	if over && f.oversize != oversizeContinue {
		return nil, int8(f.oversize)
	}
	var out []string
	size = 0
	for i, kv := range cs {
		size += len(kv.k) + len(kv.v) + 2
		if i >= maxInspectedCookies || size > maxInspectedCookieBytes {
			break
		}
		if f.selected(kv.k) {
			out = f.scoped(out, kv.k, kv.v)
		}
	}
	return out, 0
}

// jsonValues tokenises the inspected body prefix, collecting keys and scalar
// values (as their JSON text, strings unquoted) under the included paths.
func (f *fieldSpec) jsonValues(c *evalCtx) ([]string, int8) {
	body := c.body()
	if strings.TrimSpace(body) == "" {
		return nil, 0
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	type frame struct {
		array  bool
		index  int
		key    string
		expect bool // object: next token is a key
	}
	var stack []frame
	var out []string
	pointer := func() string {
		var b strings.Builder
		for _, fr := range stack {
			b.WriteByte('/')
			if fr.array {
				b.WriteString(strconv.Itoa(fr.index))
			} else {
				b.WriteString(strings.ReplaceAll(strings.ReplaceAll(fr.key, "~", "~0"), "/", "~1"))
			}
		}
		return b.String()
	}
	included := func(p string) bool {
		if f.jsonPaths == nil {
			return true
		}
		for _, ip := range f.jsonPaths {
			if ip == "" || p == ip || strings.HasPrefix(p, ip+"/") {
				return true
			}
		}
		return false
	}
	// afterValue advances the enclosing container once a value is complete.
	afterValue := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].expect = true
			}
		}
	}
	var parseErr error
	for len(out) < maxJSONValues {
		tok, err := dec.Token()
		if err != nil {
			if !errors.Is(err, io.EOF) || len(stack) > 0 {
				parseErr = err
			}
			break
		}
		top := len(stack) - 1
		if top >= 0 && !stack[top].array && stack[top].expect {
			k, _ := tok.(string)
			stack[top].key = k
			stack[top].expect = false
			if f.scope != scopeValue && included(pointer()) {
				out = append(out, k)
			}
			continue
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{expect: true})
			case '[':
				stack = append(stack, frame{array: true})
			case '}', ']':
				stack = stack[:len(stack)-1]
				afterValue()
			}
			continue
		case string:
			if f.scope != scopeKey && included(pointer()) {
				out = append(out, t)
			}
		case json.Number:
			if f.scope != scopeKey && included(pointer()) {
				out = append(out, t.String())
			}
		case bool:
			if f.scope != scopeKey && included(pointer()) {
				out = append(out, strconv.FormatBool(t))
			}
		case nil:
			if f.scope != scopeKey && included(pointer()) {
				out = append(out, "null")
			}
		}
		afterValue()
		if len(stack) == 0 {
			// A complete top-level value: anything after it is invalid JSON.
			if dec.More() || trailingGarbage(dec) {
				parseErr = errors.New("trailing data after JSON value")
			}
			break
		}
	}
	if parseErr != nil {
		switch f.invalid {
		case invalidMatch:
			return nil, 1
		case invalidNoMatch:
			return nil, -1
		case invalidAsString:
			return []string{body}, 0
		}
	}
	return out, 0
}

func trailingGarbage(dec *json.Decoder) bool {
	rest, _ := io.ReadAll(dec.Buffered())
	return len(bytes.TrimSpace(rest)) > 0
}

type kv struct{ k, v string }

// parseQuery splits a raw query string into arguments without decoding
// them: AWS inspects components as received and leaves decoding to the
// URL_DECODE transformations.
func parseQuery(q string) []kv {
	if q == "" {
		return nil
	}
	var out []kv
	for part := range strings.SplitSeq(q, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		out = append(out, kv{k, v})
	}
	return out
}

// parseCookies splits Cookie header values into name/value pairs.
func parseCookies(hs []Header) []kv {
	var out []kv
	for _, h := range hs {
		if !strings.EqualFold(h.Name, "Cookie") {
			continue
		}
		for part := range strings.SplitSeq(h.Value, ";") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			k, v, _ := strings.Cut(part, "=")
			out = append(out, kv{strings.TrimSpace(k), strings.TrimSpace(v)})
		}
	}
	return out
}

// chain is a compiled, priority-ordered list of TextTransformations.
type chain struct {
	steps []transform
}

func (ch *chain) apply(s string) string {
	for _, t := range ch.steps {
		s = t(s)
	}
	return s
}

const maxTransformations = 10

func (l *loader) chain(o *object, key string) *chain {
	elems := o.array(key, true)
	type step struct {
		prio int64
		name string
	}
	var steps []step
	seen := map[int64]bool{}
	if len(elems) > maxTransformations {
		l.d.fail(o.child(key), "at most %d text transformations", maxTransformations)
	}
	for i, raw := range elems {
		p := indexPath(o.child(key), i)
		to := l.d.object(p, raw)
		if to == nil {
			continue
		}
		prio, ok := to.integer("Priority", true)
		typ := to.str("Type", true)
		to.finish()
		if ok && prio < 0 {
			l.d.fail(joinPath(p, "Priority"), "must not be negative")
		}
		if ok && seen[prio] {
			l.d.fail(joinPath(p, "Priority"), "duplicate priority %d", prio)
		}
		seen[prio] = true
		if typ == "" {
			continue
		}
		if unsupportedTransforms[typ] {
			l.d.fail(joinPath(p, "Type"), "transformation %s is not supported", typ)
			continue
		}
		if _, ok := transforms[typ]; !ok {
			l.d.fail(joinPath(p, "Type"), "unknown transformation %q", typ)
			continue
		}
		steps = append(steps, step{prio, typ})
	}
	slices.SortFunc(steps, func(a, b step) int { return cmp.Compare(a.prio, b.prio) })
	names := make([]string, 0, len(steps))
	ch := &chain{}
	for _, s := range steps {
		if s.name == "NONE" {
			continue
		}
		names = append(names, s.name)
		ch.steps = append(ch.steps, transforms[s.name])
	}
	id := strings.Join(names, ",")
	if prev, ok := l.chains[id]; ok {
		return prev
	}
	if l.chains == nil {
		l.chains = map[string]*chain{}
	}
	l.chains[id] = ch
	return ch
}
