package waf

import (
	"encoding/json"
	"io"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// counters are the per-rule request counts, in the spirit of AWS WAF's
// CloudWatch metrics (AllowedRequests, BlockedRequests, CountedRequests).
type counters struct {
	allowed, blocked, counted atomic.Uint64
}

func (c *counters) add(a Action) {
	switch a {
	case Allow:
		c.allowed.Add(1)
	case Block:
		c.blocked.Add(1)
	case Count:
		c.counted.Add(1)
	}
}

// RuleStats are the counters of one rule (or of the default action).
type RuleStats struct {
	Rule       string
	MetricName string
	Allowed    uint64
	Blocked    uint64
	Counted    uint64
}

// Stats is a snapshot of a web ACL's counters, for export as metrics.
type Stats struct {
	WebACL string
	// Rules in evaluation order; the last entry is Default_Action.
	Rules []RuleStats
}

// Stats returns the current counters.
func (a *WebACL) Stats() Stats {
	s := Stats{WebACL: a.name, Rules: make([]RuleStats, 0, len(a.rules)+1)}
	for _, r := range a.rules {
		s.Rules = append(s.Rules, RuleStats{
			Rule: r.name, MetricName: r.metric,
			Allowed: r.stats.allowed.Load(), Blocked: r.stats.blocked.Load(), Counted: r.stats.counted.Load(),
		})
	}
	s.Rules = append(s.Rules, RuleStats{
		Rule: DefaultActionName, MetricName: a.name,
		Allowed: a.stats.allowed.Load(), Blocked: a.stats.blocked.Load(),
	})
	return s
}

// SampledRequest mirrors AWS WAF's SampledHTTPRequest.
type SampledRequest struct {
	Request   SampledHTTPRequest `json:"Request"`
	Weight    int                `json:"Weight"`
	Timestamp time.Time          `json:"Timestamp"`
	Action    string             `json:"Action"`
	RuleName  string             `json:"RuleNameWithinRuleGroup,omitempty"`
	Labels    []string           `json:"Labels,omitempty"`
}

// SampledHTTPRequest mirrors AWS WAF's HTTPRequest of a sample.
type SampledHTTPRequest struct {
	ClientIP    string   `json:"ClientIP"`
	Country     string   `json:"Country"`
	URI         string   `json:"URI"`
	Method      string   `json:"Method"`
	HTTPVersion string   `json:"HTTPVersion"`
	Headers     []Header `json:"Headers"`
}

// sampleRing keeps the most recent requests a rule acted on. Client
// addresses are kept as addresses and formatted when a snapshot is taken:
// every request is sampled, few samples are read.
type sampleRing struct {
	mu   sync.Mutex
	buf  []SampledRequest // Request.ClientIP is filled in by snapshot
	ips  []netip.Addr
	next int
	full bool
}

func newSampleRing(n int) *sampleRing {
	return &sampleRing{buf: make([]SampledRequest, n), ips: make([]netip.Addr, n)}
}

func (s *sampleRing) add(c *evalCtx, rule string, a Action) {
	r := c.req
	smp := SampledRequest{
		Request: SampledHTTPRequest{
			Country:     c.clientCountry(),
			URI:         r.Path,
			Method:      r.Method,
			HTTPVersion: r.HTTPVersion,
			Headers:     slices.Clone(r.Headers),
		},
		Weight:    1,
		Timestamp: c.now,
		Action:    a.String(),
		Labels:    slices.Clone(c.labels),
	}
	if rule != DefaultActionName {
		smp.RuleName = rule
	}
	s.mu.Lock()
	s.buf[s.next] = smp
	s.ips[s.next] = r.ClientIP
	s.next++
	if s.next == len(s.buf) {
		s.next, s.full = 0, true
	}
	s.mu.Unlock()
}

func (s *sampleRing) snapshot() []SampledRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SampledRequest
	var ips []netip.Addr
	if s.full {
		out = append(out, s.buf[s.next:]...)
		ips = append(ips, s.ips[s.next:]...)
	}
	out = append(out, s.buf[:s.next]...)
	ips = append(ips, s.ips[:s.next]...)
	for i := range out {
		out[i].Request.ClientIP = ips[i].String()
	}
	slices.Reverse(out) // newest first
	return out
}

// SampledRequests returns the most recent requests (newest first) that the
// named rule acted on; use DefaultActionName for the default action. It
// returns nil for an unknown rule.
func (a *WebACL) SampledRequests(rule string) []SampledRequest {
	if rule == DefaultActionName {
		return a.samples.snapshot()
	}
	for _, r := range a.rules {
		if r.name == rule {
			return r.samples.snapshot()
		}
	}
	return nil
}

// Logger writes AWS WAF log records as JSON lines. It is safe for
// concurrent use.
type Logger struct {
	mu sync.Mutex
	w  io.Writer
	// SourceName and SourceID fill httpSourceName/httpSourceId, "CF" and
	// the distribution ID on the edge.
	SourceName string
	SourceID   string
}

// NewLogger returns a Logger writing to w.
func NewLogger(w io.Writer) *Logger { return &Logger{w: w, SourceName: "CF"} }

// LogRecord is one AWS WAF log record (formatVersion 1).
type LogRecord struct {
	Timestamp                   int64          `json:"timestamp"`
	FormatVersion               int            `json:"formatVersion"`
	WebACLID                    string         `json:"webaclId"`
	TerminatingRuleID           string         `json:"terminatingRuleId"`
	TerminatingRuleType         string         `json:"terminatingRuleType"`
	Action                      string         `json:"action"`
	TerminatingRuleMatchDetails []any          `json:"terminatingRuleMatchDetails"`
	HTTPSourceName              string         `json:"httpSourceName"`
	HTTPSourceID                string         `json:"httpSourceId"`
	RuleGroupList               []any          `json:"ruleGroupList"`
	RateBasedRuleList           []any          `json:"rateBasedRuleList"`
	NonTerminatingMatchingRules []LogRuleMatch `json:"nonTerminatingMatchingRules"`
	RequestHeadersInserted      []Header       `json:"requestHeadersInserted"`
	ResponseCodeSent            *int           `json:"responseCodeSent"`
	HTTPRequest                 LogHTTPRequest `json:"httpRequest"`
	Labels                      []LogLabel     `json:"labels,omitempty"`
}

// LogRuleMatch is an entry of nonTerminatingMatchingRules.
type LogRuleMatch struct {
	RuleID string `json:"ruleId"`
	Action string `json:"action"`
}

// LogLabel is an entry of labels.
type LogLabel struct {
	Name string `json:"name"`
}

// LogHTTPRequest is the httpRequest member of a log record.
type LogHTTPRequest struct {
	ClientIP    string   `json:"clientIp"`
	Country     string   `json:"country"`
	Headers     []Header `json:"headers"`
	URI         string   `json:"uri"`
	Args        string   `json:"args"`
	HTTPVersion string   `json:"httpVersion"`
	HTTPMethod  string   `json:"httpMethod"`
	RequestID   string   `json:"requestId"`
}

// Record builds the log record of a decision.
func (a *WebACL) Record(req *Request, d Decision, sourceName, sourceID string) LogRecord {
	ts := req.Time
	if ts.IsZero() {
		ts = a.clock()
	}
	country := d.Country
	if country == "" {
		country = "-" // AWS's value when the country is unknown
	}
	rec := LogRecord{
		Timestamp:                   ts.UnixMilli(),
		FormatVersion:               1,
		WebACLID:                    a.arn,
		TerminatingRuleID:           d.TerminatingRule,
		TerminatingRuleType:         d.TerminatingRuleType,
		Action:                      d.Action.String(),
		TerminatingRuleMatchDetails: []any{},
		HTTPSourceName:              sourceName,
		HTTPSourceID:                sourceID,
		RuleGroupList:               []any{},
		RateBasedRuleList:           []any{},
		NonTerminatingMatchingRules: []LogRuleMatch{},
		RequestHeadersInserted:      d.InsertHeaders,
		HTTPRequest: LogHTTPRequest{
			ClientIP:    req.ClientIP.String(),
			Country:     country,
			Headers:     req.Headers,
			URI:         req.Path,
			Args:        req.RawQuery,
			HTTPVersion: req.HTTPVersion,
			HTTPMethod:  req.Method,
			RequestID:   req.RequestID,
		},
	}
	if rec.HTTPRequest.Headers == nil {
		rec.HTTPRequest.Headers = []Header{}
	}
	for _, m := range d.NonTerminating {
		rec.NonTerminatingMatchingRules = append(rec.NonTerminatingMatchingRules, LogRuleMatch{RuleID: m.Rule, Action: m.Action.String()})
	}
	for _, l := range d.Labels {
		rec.Labels = append(rec.Labels, LogLabel{Name: l})
	}
	if d.Response != nil {
		code := d.Response.Status
		rec.ResponseCodeSent = &code
	}
	return rec
}

// Log writes the record of one decision as a JSON line.
func (l *Logger) Log(acl *WebACL, req *Request, d Decision) error {
	b, err := json.Marshal(acl.Record(req, d, l.SourceName, l.SourceID))
	if err != nil {
		return err
	}
	b = append(b, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err = l.w.Write(b)
	return err
}
