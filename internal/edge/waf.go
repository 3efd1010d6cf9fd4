package edge

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/coffer-project/coffer/internal/httpx"
	"github.com/coffer-project/coffer/internal/waf"
)

// The edge evaluates a distribution's web ACL (web_acl) before anything
// else it does for a viewer, the cache included: a blocked request never
// reaches the cache or the origin. A block with the ACL's default
// response uses the distribution's custom error page for 403 when it has
// one, as CloudFront does; a rule's CustomResponse is sent as it is.

// loadWebACLs reads the configuration's web ACL documents with its IP and
// regex pattern sets.
func (s *Server) loadWebACLs() error {
	if len(s.cfg.WebACLs) == 0 {
		return nil
	}
	sets := waf.Sets{IPSets: map[string][]netip.Prefix{}, RegexSets: map[string][]string{}}
	for _, set := range s.cfg.IPSets {
		prefixes, err := parsePrefixes(set.Addresses)
		if err != nil {
			return fmt.Errorf("edge: ip_sets %s: %w", set.Name, err)
		}
		sets.IPSets[set.Name] = prefixes
	}
	for _, set := range s.cfg.RegexPatternSets {
		sets.RegexSets[set.Name] = set.Patterns
	}
	opts := waf.Options{Clock: s.now}
	if s.geo != nil {
		opts.GeoIP = s.geo
	}
	s.acls = map[string]*waf.WebACL{}
	for _, a := range s.cfg.WebACLs {
		doc, err := os.ReadFile(a.File)
		if err != nil {
			return fmt.Errorf("edge: web_acls %s: %w", a.Name, err)
		}
		acl, err := waf.Load(doc, sets, opts)
		if err != nil {
			return fmt.Errorf("edge: web_acls %s (%s): %w", a.Name, a.File, err)
		}
		s.acls[a.Name] = acl
		s.metrics.addWebACL(acl)
	}
	if s.cfg.WAFLog != "" {
		f, err := os.OpenFile(s.cfg.WAFLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			return fmt.Errorf("edge: waf_log: %w", err)
		}
		s.wafLog = f
	}
	s.wafs = map[string]http.Handler{}
	for i := range s.cfg.Distributions {
		d := &s.cfg.Distributions[i]
		if d.WebACL == "" {
			continue
		}
		opts := []waf.HandlerOption{
			waf.WithClientIP(func(r *http.Request) netip.Addr {
				if v, ok := r.Context().Value(viewerKey{}).(*viewer); ok {
					return v.clientIP // serveViewer found it already
				}
				return httpx.ClientIP(r, s.trusted)
			}),
			waf.WithBlockPage(s.wafBlockPage),
		}
		if s.wafLog != nil {
			l := waf.NewLogger(s.wafLog)
			l.SourceID = d.ID
			opts = append(opts, waf.WithLogger(l, s.log))
		}
		s.wafs[d.ID] = waf.Handler(s.acls[d.WebACL], http.HandlerFunc(s.serveAllowed), opts...)
	}
	return nil
}

type viewerKey struct{}

// serveAllowed serves a request the web ACL let through.
func (s *Server) serveAllowed(w http.ResponseWriter, r *http.Request) {
	v := r.Context().Value(viewerKey{}).(*viewer)
	v.r = r // with the headers CustomRequestHandling inserted
	s.serve(w, v)
}

// wafBlockPage renders a default-response block with the distribution's
// custom error page for 403, when it has one.
func (s *Server) wafBlockPage(w http.ResponseWriter, r *http.Request, _ waf.Decision) bool {
	v := r.Context().Value(viewerKey{}).(*viewer)
	v.result = "Error"
	v.resolve() // the page is fetched with the request's behaviour's TTLs
	return s.customErrorPage(w, v, http.StatusForbidden)
}

// serveWAF runs the distribution's web ACL in front of serve; false when
// the distribution has none.
func (s *Server) serveWAF(w http.ResponseWriter, v *viewer) bool {
	h, ok := s.wafs[v.dist.ID]
	if !ok {
		return false
	}
	v.result = "Error" // unless serve says otherwise: a block never gets there
	h.ServeHTTP(w, v.r.WithContext(context.WithValue(v.r.Context(), viewerKey{}, v)))
	return true
}

// addWebACL exports a web ACL's per-rule counters as
// coffer_waf_requests_total{web_acl, rule, action}.
func (m *Metrics) addWebACL(acl *waf.WebACL) {
	if m == nil {
		return
	}
	desc := prometheus.NewDesc("coffer_waf_requests_total", "Requests a web ACL's rule (or its default action) acted on, by action.",
		[]string{"web_acl", "rule", "action"}, prometheus.Labels{})
	m.reg.MustRegister(wafCollector{desc: desc, acl: acl})
}

type wafCollector struct {
	desc *prometheus.Desc
	acl  *waf.WebACL
}

func (c wafCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c wafCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.acl.Stats()
	for _, r := range st.Rules {
		for action, n := range map[string]uint64{"ALLOW": r.Allowed, "BLOCK": r.Blocked, "COUNT": r.Counted} {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(n), st.WebACL, r.Rule, action)
		}
	}
}

// getSampledRequests answers the WAFv2 API's GetSampledRequests
// (X-Amz-Target AWSWAF_20190729.GetSampledRequests, JSON 1.1, SigV4 for
// service wafv2) from the last 100 requests each rule acted on, so `aws
// wafv2 get-sampled-requests --endpoint-url ADMIN` works.
func (s *Server) getSampledRequests(w http.ResponseWriter, body io.Reader) error {
	var in struct {
		WebAclArn      string
		RuleMetricName string
		Scope          string
		TimeWindow     struct{ StartTime, EndTime float64 }
		MaxItems       int
	}
	if err := json.NewDecoder(io.LimitReader(body, 1<<16)).Decode(&in); err != nil {
		return &apiError{http.StatusBadRequest, "WAFInvalidParameterException", "malformed JSON"}
	}
	// The ARN names the web ACL by its name segment
	// (arn:aws:wafv2:REGION:ACCOUNT:global/webacl/NAME/ID), as the edge's
	// IP set references do: the ID part is AWS's, not ours.
	name := in.WebAclArn
	if parts := strings.Split(in.WebAclArn, "/"); len(parts) == 4 && strings.HasSuffix(parts[0], ":global") && parts[1] == "webacl" {
		name = parts[2]
	}
	var acl *waf.WebACL
	for _, a := range s.acls {
		if a.ARN() == in.WebAclArn || a.Name() == name {
			acl = a
		}
	}
	if acl == nil {
		return &apiError{http.StatusBadRequest, "WAFNonexistentItemException", "no web ACL " + in.WebAclArn}
	}
	rule := ""
	for _, r := range acl.Stats().Rules {
		if r.MetricName == in.RuleMetricName || r.Rule == in.RuleMetricName {
			rule = r.Rule
		}
	}
	if rule == "" {
		return &apiError{http.StatusBadRequest, "WAFNonexistentItemException", "no rule with metric name " + in.RuleMetricName}
	}
	from, to := time.Unix(int64(in.TimeWindow.StartTime), 0), time.Unix(int64(in.TimeWindow.EndTime), 0)
	samples := slices.DeleteFunc(acl.SampledRequests(rule), func(r waf.SampledRequest) bool {
		return (in.TimeWindow.StartTime != 0 && r.Timestamp.Before(from)) || (in.TimeWindow.EndTime != 0 && r.Timestamp.After(to))
	})
	if in.MaxItems > 0 && len(samples) > in.MaxItems {
		samples = samples[:in.MaxItems]
	}
	out := struct {
		SampledRequests []waf.SampledRequest
		PopulationSize  int
		TimeWindow      struct{ StartTime, EndTime float64 }
	}{SampledRequests: samples, PopulationSize: len(samples), TimeWindow: in.TimeWindow}
	if out.SampledRequests == nil {
		out.SampledRequests = []waf.SampledRequest{}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_, _ = w.Write(b)
	return nil
}
