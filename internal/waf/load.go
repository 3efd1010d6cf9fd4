package waf

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// maxDocumentSize bounds the web ACL document; AWS web ACLs are far smaller.
const maxDocumentSize = 4 << 20

var (
	namePattern  = regexp.MustCompile(`^[\w\-]{1,128}$`)
	labelPattern = regexp.MustCompile(`^[0-9A-Za-z_\-:]+$`)
	// reservedLabelWords may not appear as a component of a rule label.
	reservedLabelWords = []string{"awswaf", "aws", "waf", "rulegroup", "webacl", "regexpatternset", "ipset", "managed"}
)

// Load parses an AWS WAFv2 web ACL document (the CreateWebACL request shape,
// or a GetWebACL response whose "WebACL" member holds it) and compiles it.
// IP set and regex pattern set ARNs resolve by their name segment against
// sets. Every problem found is reported in one *LoadError, each naming its
// path in the document.
func Load(doc []byte, sets Sets, opts Options) (*WebACL, error) {
	if len(doc) > maxDocumentSize {
		return nil, &LoadError{Problems: []Problem{{Message: fmt.Sprintf("document is %d bytes, over the %d byte limit", len(doc), maxDocumentSize)}}}
	}
	o := opts.withDefaults()
	d := &decoder{}
	root := d.object("", doc)
	if root == nil {
		return nil, d.err()
	}
	if inner, ok := root.m["WebACL"]; ok {
		root.ignore("LockToken", "ApplicationIntegrationURL")
		root.seen["WebACL"] = true
		root.finish()
		root = d.object("WebACL", inner)
		if root == nil {
			return nil, d.err()
		}
	}
	l := &loader{d: d, sets: sets, opts: o, regexCache: map[string]*regexp.Regexp{}}
	acl := l.webACL(root)
	if err := d.err(); err != nil {
		return nil, err
	}
	return acl, nil
}

type loader struct {
	d          *decoder
	sets       Sets
	opts       Options
	acl        *WebACL
	bodies     map[string]*Response // CustomResponseBodies, status filled per use
	usedBodies map[string]bool
	regexCache map[string]*regexp.Regexp
	fields     map[string]*fieldSpec
	chains     map[string]*chain
}

func (l *loader) webACL(o *object) *WebACL {
	name := o.str("Name", true)
	if name != "" && !namePattern.MatchString(name) {
		l.d.fail(o.child("Name"), "must be 1-128 characters of A-Z, a-z, 0-9, - and _")
	}
	o.enum("Scope", false, "CLOUDFRONT", "CLOUDFRONT", "REGIONAL")
	// Informational members of CreateWebACL / GetWebACL that do not change
	// how requests are evaluated.
	o.ignore("Description", "Tags", "TokenDomains", "CaptchaConfig", "ChallengeConfig",
		"ARN", "LockToken", "Capacity", "LabelNamespace", "ManagedByFirewallManager",
		"RetrofittedByFirewallManager", "PreProcessFirewallManagerRuleGroups", "PostProcessFirewallManagerRuleGroups")
	id := o.str("Id", false)
	if id == "" {
		id = deterministicID(name)
	}
	if v := o.obj("VisibilityConfig", false); v != nil {
		l.visibility(v)
	}
	acl := &WebACL{
		name:           name,
		id:             id,
		arn:            fmt.Sprintf("arn:aws:wafv2:%s:%s:global/webacl/%s/%s", l.opts.Region, l.opts.AccountID, name, id),
		labelNamespace: fmt.Sprintf("awswaf:%s:webacl:%s:", l.opts.AccountID, name),
		bodyLimit:      l.opts.BodyInspectionLimit,
		geo:            l.opts.GeoIP,
		clock:          l.opts.Clock,
		stats:          &counters{},
		samples:        newSampleRing(l.opts.SampleSize),
	}
	l.acl = acl
	if a := o.obj("AssociationConfig", false); a != nil {
		l.association(a)
	}
	l.customBodies(o)
	if da := o.obj("DefaultAction", true); da != nil {
		acl.defaultAction = l.action(da, true)
	}
	acl.rules = l.rules(o)
	for key := range l.bodies {
		if !l.usedBodies[key] {
			// AWS accepts unused bodies; nothing to do, but keep the map small.
			delete(l.bodies, key)
		}
	}
	o.finish()
	return acl
}

func (l *loader) visibility(v *object) {
	v.boolean("SampledRequestsEnabled")
	v.boolean("CloudWatchMetricsEnabled")
	v.str("MetricName", false)
	v.finish()
}

// association reads AssociationConfig.RequestBody.<resource>.DefaultSizeInspectionLimit;
// the CLOUDFRONT entry decides, as the edge plays CloudFront's part.
func (l *loader) association(a *object) {
	rb := a.obj("RequestBody", false)
	a.finish()
	if rb == nil {
		return
	}
	for _, res := range []string{"CLOUDFRONT", "API_GATEWAY", "COGNITO_USER_POOL", "APP_RUNNER_SERVICE", "VERIFIED_ACCESS_INSTANCE"} {
		r := rb.obj(res, false)
		if r == nil {
			continue
		}
		limit := r.enum("DefaultSizeInspectionLimit", true, "", "KB_16", "KB_32", "KB_48", "KB_64")
		r.finish()
		if res == "CLOUDFRONT" && limit != "" {
			var kb int
			fmt.Sscanf(limit, "KB_%d", &kb)
			l.acl.bodyLimit = kb * 1024
		}
	}
	rb.finish()
}

func (l *loader) customBodies(o *object) {
	l.bodies = map[string]*Response{}
	l.usedBodies = map[string]bool{}
	cb := o.obj("CustomResponseBodies", false)
	if cb == nil {
		return
	}
	keys := make([]string, 0, len(cb.m))
	for k := range cb.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		b := cb.obj(key, true)
		if b == nil {
			continue
		}
		if !namePattern.MatchString(key) {
			l.d.fail(b.path, "custom response body key must be 1-128 characters of A-Z, a-z, 0-9, - and _")
		}
		ct := b.enum("ContentType", true, "", "TEXT_PLAIN", "TEXT_HTML", "APPLICATION_JSON")
		content := b.str("Content", true)
		if len(content) > 10*1024 {
			l.d.fail(b.child("Content"), "is %d bytes, over AWS's 10 KB limit", len(content))
		}
		if ct == "APPLICATION_JSON" && content != "" && !json.Valid([]byte(content)) {
			l.d.fail(b.child("Content"), "is not valid JSON")
		}
		b.finish()
		mime := map[string]string{
			"TEXT_PLAIN":       "text/plain; charset=utf-8",
			"TEXT_HTML":        "text/html; charset=utf-8",
			"APPLICATION_JSON": "application/json",
		}[ct]
		l.bodies[key] = &Response{Headers: []Header{{Name: "Content-Type", Value: mime}}, Body: []byte(content)}
	}
	cb.finish()
}

// action compiles an Action (or DefaultAction) object.
func (l *loader) action(o *object, isDefault bool) ruleAction {
	kind, ok := o.only("action", "Allow", "Block", "Count", "Captcha", "Challenge")
	if !ok {
		return ruleAction{}
	}
	raw, _ := o.raw(kind)
	path := o.child(kind)
	switch kind {
	case "Allow", "Count":
		if kind == "Count" && isDefault {
			l.d.fail(path, "DefaultAction must be Allow or Block")
		}
		a := ruleAction{kind: Allow}
		if kind == "Count" {
			a.kind = Count
		}
		if b := l.d.object(path, raw); b != nil {
			if h := b.obj("CustomRequestHandling", false); h != nil {
				a.insert = l.insertHeaders(h)
			}
			b.finish()
		}
		return a
	case "Block":
		a := ruleAction{kind: Block, resp: defaultBlockResponse()}
		if b := l.d.object(path, raw); b != nil {
			if cr := b.obj("CustomResponse", false); cr != nil {
				a.resp = l.customResponse(cr)
			}
			b.finish()
		}
		return a
	case "Captcha", "Challenge":
		l.d.fail(path, "%s actions are not supported", kind)
	default:
		l.d.fail(o.path, "unknown action %q", kind)
	}
	return ruleAction{}
}

func (l *loader) insertHeaders(h *object) []Header {
	var out []Header
	for i, raw := range h.array("InsertHeaders", true) {
		p := indexPath(h.child("InsertHeaders"), i)
		ho := l.d.object(p, raw)
		if ho == nil {
			continue
		}
		name := ho.str("Name", true)
		value := ho.str("Value", true)
		ho.finish()
		if name != "" && !headerNamePattern.MatchString(name) {
			l.d.fail(joinPath(p, "Name"), "invalid header name %q", name)
			continue
		}
		// AWS prefixes inserted request headers so they cannot overwrite
		// headers the client sent.
		out = append(out, Header{Name: "x-amzn-waf-" + name, Value: value})
	}
	h.finish()
	return out
}

var headerNamePattern = regexp.MustCompile(`^[a-zA-Z0-9._$-]{1,64}$`)

func (l *loader) customResponse(cr *object) *Response {
	code, _ := cr.integer("ResponseCode", true)
	if code != 0 && (code < 200 || code > 599) {
		l.d.fail(cr.child("ResponseCode"), "must be between 200 and 599")
	}
	resp := &Response{Status: int(code), Custom: true}
	if key := cr.str("CustomResponseBodyKey", false); key != "" {
		body, ok := l.bodies[key]
		if !ok {
			l.d.fail(cr.child("CustomResponseBodyKey"), "no CustomResponseBodies entry named %q", key)
		} else {
			l.usedBodies[key] = true
			resp.Headers = append(resp.Headers, body.Headers...)
			resp.Body = body.Body
		}
	}
	for i, raw := range cr.array("ResponseHeaders", false) {
		p := indexPath(cr.child("ResponseHeaders"), i)
		ho := l.d.object(p, raw)
		if ho == nil {
			continue
		}
		name := ho.str("Name", true)
		value := ho.str("Value", true)
		ho.finish()
		if name != "" && !headerNamePattern.MatchString(name) {
			l.d.fail(joinPath(p, "Name"), "invalid header name %q", name)
			continue
		}
		resp.Headers = append(resp.Headers, Header{Name: name, Value: value})
	}
	cr.finish()
	return resp
}

func (l *loader) rules(o *object) []*rule {
	elems := o.array("Rules", false)
	rules := make([]*rule, 0, len(elems))
	names := map[string]string{}
	priorities := map[int64]string{}
	for i, raw := range elems {
		p := indexPath(o.child("Rules"), i)
		ro := l.d.object(p, raw)
		if ro == nil {
			continue
		}
		r := l.rule(ro)
		if r == nil {
			continue
		}
		if prev, dup := names[r.name]; dup && r.name != "" {
			l.d.fail(ro.child("Name"), "duplicate rule name %q (also %s)", r.name, prev)
		}
		names[r.name] = p
		if prev, dup := priorities[r.priority]; dup {
			l.d.fail(ro.child("Priority"), "duplicate priority %d (also %s)", r.priority, prev)
		}
		priorities[r.priority] = p
		rules = append(rules, r)
	}
	slices.SortStableFunc(rules, func(a, b *rule) int { return cmp.Compare(a.priority, b.priority) })
	return rules
}

func (l *loader) rule(o *object) *rule {
	r := &rule{stats: &counters{}, samples: newSampleRing(l.opts.SampleSize)}
	r.name = o.str("Name", true)
	if r.name != "" && !namePattern.MatchString(r.name) {
		l.d.fail(o.child("Name"), "must be 1-128 characters of A-Z, a-z, 0-9, - and _")
	}
	r.metric = r.name
	var ok bool
	r.priority, ok = o.integer("Priority", true)
	if ok && r.priority < 0 {
		l.d.fail(o.child("Priority"), "must not be negative")
	}
	o.ignore("CaptchaConfig", "ChallengeConfig")
	if v := o.obj("VisibilityConfig", false); v != nil {
		if m, ok := v.m["MetricName"]; ok {
			_ = json.Unmarshal(m, &r.metric)
		}
		l.visibility(v)
	}
	if st := o.obj("Statement", true); st != nil {
		r.stmt = l.statement(st, true)
		_, r.rateBased = r.stmt.(*rateBased)
	}
	if o.has("OverrideAction") {
		o.raw("OverrideAction")
		l.d.fail(o.child("OverrideAction"), "OverrideAction applies only to rule group references, which are not supported; use Action")
	}
	if a := o.obj("Action", !o.has("OverrideAction")); a != nil {
		r.action = l.action(a, false)
	}
	for i, raw := range o.array("RuleLabels", false) {
		p := indexPath(o.child("RuleLabels"), i)
		lo := l.d.object(p, raw)
		if lo == nil {
			continue
		}
		name := lo.str("Name", true)
		lo.finish()
		if name == "" {
			continue
		}
		if msg := checkLabel(name); msg != "" {
			l.d.fail(joinPath(p, "Name"), "%s", msg)
			continue
		}
		r.labels = append(r.labels, l.acl.labelNamespace+name)
	}
	o.finish()
	if r.stmt == nil {
		return nil
	}
	return r
}

// checkLabel applies AWS's label syntax rules to a rule label.
func checkLabel(name string) string {
	if !labelPattern.MatchString(name) {
		return fmt.Sprintf("invalid label %q: use A-Z, a-z, 0-9, _, - and : only", name)
	}
	parts := strings.Split(name, ":")
	if len(parts) > 6 {
		return fmt.Sprintf("invalid label %q: at most 5 namespaces", name)
	}
	for _, p := range parts {
		if p == "" || len(p) > 128 {
			return fmt.Sprintf("invalid label %q: each component must be 1-128 characters", name)
		}
		if slices.Contains(reservedLabelWords, p) {
			return fmt.Sprintf("invalid label %q: %q is reserved", name, p)
		}
	}
	return ""
}
