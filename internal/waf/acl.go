package waf

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Action is what a rule or the web ACL does with a request.
type Action int

const (
	// Allow lets the request through; it ends evaluation.
	Allow Action = iota + 1
	// Block answers the request with a block response; it ends evaluation.
	Block
	// Count records a match, adds the rule's labels and goes on to the next
	// rule.
	Count
)

func (a Action) String() string {
	switch a {
	case Allow:
		return "ALLOW"
	case Block:
		return "BLOCK"
	case Count:
		return "COUNT"
	}
	return "UNKNOWN"
}

// Header is one HTTP header field, kept in the order it was received.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Request is the neutral form of a web request that the engine inspects.
// It is built by Handler from an *http.Request, or by any other front end.
type Request struct {
	Method string
	// Path is the URI path as received, still percent-encoded.
	Path string
	// RawQuery is the query string without the leading '?', still encoded.
	RawQuery string
	// Headers in the order received, including Cookie headers.
	Headers []Header
	// Body holds at most the web ACL's body inspection limit.
	Body []byte
	// BodySize is the full length of the body when known, otherwise a lower
	// bound (Handler reads one byte past the limit to detect oversize bodies).
	BodySize int64
	// ClientIP is the address of the peer that sent the request.
	ClientIP    netip.Addr
	HTTPVersion string
	RequestID   string
	// Time of the request; the zero value means the ACL's clock.
	Time time.Time
}

// Response is what a blocked request is answered with.
type Response struct {
	Status  int
	Headers []Header
	Body    []byte
	// Custom is set when the response comes from a rule's CustomResponse
	// rather than the default block page.
	Custom bool
}

// RuleMatch names a non-terminating rule that matched.
type RuleMatch struct {
	Rule   string
	Action Action
}

// Decision is the result of evaluating a request against a web ACL.
type Decision struct {
	// Action is Allow or Block.
	Action Action
	// TerminatingRule is the name of the rule that decided, or
	// "Default_Action" when no terminating rule matched.
	TerminatingRule string
	// TerminatingRuleType is "RATE_BASED" for rate-based rules, otherwise
	// "REGULAR" (also for the default action), as in AWS WAF logs.
	TerminatingRuleType string
	// NonTerminating lists the Count rules that matched, in evaluation order.
	NonTerminating []RuleMatch
	// Labels are the fully qualified labels added to the request.
	Labels []string
	// Response is set for Block.
	Response *Response
	// InsertHeaders are request headers to add before forwarding an allowed
	// request (CustomRequestHandling), already prefixed with x-amzn-waf-.
	InsertHeaders []Header
	// Country is the client's ISO 3166-1 alpha-2 country code when a GeoIP
	// database is configured and knows the address, otherwise "".
	Country string
}

// DefaultActionName is the TerminatingRule of a decision made by the web
// ACL's DefaultAction, as in AWS WAF logs.
const DefaultActionName = "Default_Action"

// GeoIP looks up the country of an address. The edge shares its MaxMind
// reader through this interface.
type GeoIP interface {
	// Country returns the ISO 3166-1 alpha-2 code of addr, or "" if unknown.
	Country(addr netip.Addr) string
}

// Sets holds the IP sets and regex pattern sets that ARNs in the document
// refer to, keyed by set name.
type Sets struct {
	IPSets    map[string][]netip.Prefix
	RegexSets map[string][]string
}

// Options configure Load. The zero value is usable.
type Options struct {
	// AccountID appears in the label namespace and the web ACL ARN.
	// Default "000000000000".
	AccountID string
	// Region appears in the web ACL ARN. Default "global"-scoped ARNs use
	// "us-east-1", as CloudFront web ACLs do.
	Region string
	// GeoIP is required by GeoMatchStatement; when set it also fills
	// Decision.Country.
	GeoIP GeoIP
	// Clock returns the current time (rate limits, samples). Default time.Now.
	Clock func() time.Time
	// BodyInspectionLimit is the number of body bytes inspected. Default
	// 16 KiB (CloudFront's default); the document's AssociationConfig
	// overrides it.
	BodyInspectionLimit int
	// MaxRateKeys caps the aggregation instances each rate-based rule
	// tracks; the least recently seen are evicted first. Default 100000.
	MaxRateKeys int
	// SampleSize is how many recent requests are kept per rule. Default 100.
	SampleSize int
}

const (
	defaultBodyLimit  = 16 * 1024
	defaultRateKeys   = 100_000
	defaultSampleSize = 100
	defaultAccountID  = "000000000000"
)

// WebACL is a loaded, immutable web ACL. Evaluate is safe for concurrent
// use; rate-limit state, counters and samples are internally synchronised.
type WebACL struct {
	name           string
	id             string
	arn            string
	labelNamespace string
	defaultAction  ruleAction
	rules          []*rule
	bodyLimit      int
	geo            GeoIP
	clock          func() time.Time
	stats          *counters // default action counters
	samples        *sampleRing
}

type ruleAction struct {
	kind   Action
	insert []Header
	resp   *Response
}

type rule struct {
	name      string
	priority  int64
	metric    string
	stmt      statement
	action    ruleAction
	labels    []string
	rateBased bool
	stats     *counters
	samples   *sampleRing
}

// Name returns the web ACL's name.
func (a *WebACL) Name() string { return a.name }

// ARN returns the web ACL's ARN, the webaclId of log records.
func (a *WebACL) ARN() string { return a.arn }

// LabelNamespace returns the prefix of the labels this web ACL's rules add,
// awswaf:<account ID>:webacl:<web ACL name>:.
func (a *WebACL) LabelNamespace() string { return a.labelNamespace }

// BodyInspectionLimit returns how many body bytes the ACL inspects.
func (a *WebACL) BodyInspectionLimit() int { return a.bodyLimit }

func (o *Options) withDefaults() Options {
	r := *o
	if r.AccountID == "" {
		r.AccountID = defaultAccountID
	}
	if r.Region == "" {
		r.Region = "us-east-1"
	}
	if r.Clock == nil {
		r.Clock = time.Now
	}
	if r.BodyInspectionLimit <= 0 {
		r.BodyInspectionLimit = defaultBodyLimit
	}
	if r.MaxRateKeys <= 0 {
		r.MaxRateKeys = defaultRateKeys
	}
	if r.SampleSize <= 0 {
		r.SampleSize = defaultSampleSize
	}
	return r
}

// deterministicID derives a stable web ACL ID from its name when the
// document does not carry one, so log records stay comparable across
// restarts.
func deterministicID(name string) string {
	h := sha256.Sum256([]byte("coffer-waf:" + name))
	x := hex.EncodeToString(h[:16])
	return fmt.Sprintf("%s-%s-%s-%s-%s", x[:8], x[8:12], x[12:16], x[16:20], x[20:32])
}

// Evaluate runs the rules in Priority order; the first matching rule with a
// terminating action (Allow, Block) decides, otherwise the DefaultAction.
func (a *WebACL) Evaluate(req *Request) Decision {
	c := newEvalCtx(a, req)
	var d Decision
	if a.geo != nil {
		d.Country = c.clientCountry()
	}
	for _, r := range a.rules {
		c.skip = false
		matched := r.stmt.match(c)
		if c.skip || !matched {
			continue
		}
		c.addLabels(r.labels...)
		if r.action.kind == Count {
			r.stats.add(Count)
			d.NonTerminating = append(d.NonTerminating, RuleMatch{Rule: r.name, Action: Count})
			d.InsertHeaders = append(d.InsertHeaders, r.action.insert...)
			r.samples.add(c, r.name, Count)
			continue
		}
		r.stats.add(r.action.kind)
		r.samples.add(c, r.name, r.action.kind)
		d.TerminatingRule = r.name
		d.TerminatingRuleType = "REGULAR"
		if r.rateBased {
			d.TerminatingRuleType = "RATE_BASED"
		}
		a.finish(&d, c, r.action)
		return d
	}
	a.stats.add(a.defaultAction.kind)
	a.samples.add(c, DefaultActionName, a.defaultAction.kind)
	d.TerminatingRule = DefaultActionName
	d.TerminatingRuleType = "REGULAR"
	a.finish(&d, c, a.defaultAction)
	return d
}

func (a *WebACL) finish(d *Decision, c *evalCtx, act ruleAction) {
	d.Action = act.kind
	d.Labels = c.labels
	if act.kind == Block {
		d.Response = act.resp
		d.InsertHeaders = nil
		return
	}
	d.InsertHeaders = append(d.InsertHeaders, act.insert...)
}

// defaultBlockBody is the short page of a Block without CustomResponse.
const defaultBlockBody = `<!DOCTYPE html>
<html><head><title>403 Forbidden</title></head>
<body><h1>403 Forbidden</h1><p>The request was blocked by the web application firewall.</p></body></html>
`

func defaultBlockResponse() *Response {
	return &Response{
		Status:  403,
		Headers: []Header{{Name: "Content-Type", Value: "text/html; charset=utf-8"}},
		Body:    []byte(defaultBlockBody),
	}
}

// hasLabel reports whether the label set contains l.
func hasLabel(labels []string, l string) bool { return slices.Contains(labels, l) }

// qualify turns a rule label or label match key into a fully qualified label:
// keys that already start with the awswaf: prefix are kept, others are placed
// in this web ACL's namespace.
func (a *WebACL) qualify(key string) string {
	if strings.HasPrefix(key, "awswaf:") {
		return key
	}
	return a.labelNamespace + key
}
