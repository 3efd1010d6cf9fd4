package edge

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/edge/cache"
	"github.com/coffer-project/coffer/internal/edge/signed"
	"github.com/coffer-project/coffer/internal/httpx"
	"github.com/coffer-project/coffer/internal/waf"
)

// Server is one edge: the viewer handler and the admin handler over a
// configuration.
type Server struct {
	cfg       *Config
	log       *slog.Logger
	now       func() time.Time
	trusted   []netip.Prefix
	origins   map[string]*origin                                // by distribution ID
	errorTTLs map[string]func(status int) (time.Duration, bool) // by distribution ID: its error caching minimum TTLs
	keyGroups map[string]*signed.KeyGroup
	geo       *geoDB // nil without geoip_db
	cache     *edgeCache
	metrics   *Metrics
	accessLog *accessLog
	admin     *Admin
	acls      map[string]*waf.WebACL  // by name
	wafs      map[string]http.Handler // by distribution ID: its web ACL in front of serve
	wafLog    *os.File
}

// Options are what New needs besides the configuration.
type Options struct {
	Log *slog.Logger
	Now func() time.Time // nil is time.Now
	// Metrics receives per-distribution metrics; nil keeps none.
	Metrics *Metrics
	// OriginClient fetches from origins; nil is a client with sensible
	// timeouts.
	OriginClient *http.Client
}

// New builds an edge from a validated configuration: it opens the cache,
// the key groups and the GeoIP database.
func New(cfg *Config, opts Options) (*Server, error) {
	s := &Server{cfg: cfg, log: opts.Log, now: opts.Now, metrics: opts.Metrics,
		origins: map[string]*origin{}, errorTTLs: map[string]func(int) (time.Duration, bool){},
		keyGroups: map[string]*signed.KeyGroup{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	if s.trusted, err = parsePrefixes(cfg.TrustedProxies); err != nil {
		return nil, err
	}
	client := opts.OriginClient
	if client == nil {
		client = &http.Client{Transport: &http.Transport{
			Proxy:                 nil,
			DisableCompression:    true, // the cache stores what the origin sent, encoding and all
			MaxIdleConnsPerHost:   256,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: 60 * time.Second,
		}}
	}
	ids := make([]string, 0, len(cfg.Distributions))
	for i := range cfg.Distributions {
		d := &cfg.Distributions[i]
		if s.origins[d.ID], err = newOrigin(d.Origin, client); err != nil {
			return nil, fmt.Errorf("edge: distribution %s: %w", d.ID, err)
		}
		s.errorTTLs[d.ID] = d.errorTTL
		ids = append(ids, d.ID)
	}
	for name, keys := range cfg.KeyGroups {
		files := make([]signed.KeyFile, len(keys))
		for i, k := range keys {
			files[i] = signed.KeyFile{ID: k.ID, PublicKeyFile: k.PublicKeyFile}
		}
		if s.keyGroups[name], err = signed.LoadKeyGroup(name, files); err != nil {
			return nil, fmt.Errorf("edge: key group %s: %w", name, err)
		}
	}
	if cfg.GeoIPDB != "" {
		if s.geo, err = openGeo(cfg.GeoIPDB); err != nil {
			return nil, err
		}
	}
	if s.cache, err = newEdgeCache(cfg.Cache, s.now, s.log); err != nil {
		return nil, err
	}
	if cfg.AccessLog != "" {
		if s.accessLog, err = openAccessLog(cfg.AccessLog); err != nil {
			return nil, err
		}
	}
	if err := s.loadWebACLs(); err != nil {
		return nil, err
	}
	creds := auth.NewStaticCredentials(auth.Credential{AccessKeyID: cfg.Admin.AccessKeyID, SecretKey: cfg.Admin.SecretAccessKey,
		Principal: auth.Principal{AccessKeyID: cfg.Admin.AccessKeyID, ARN: "arn:aws:iam::edge:admin"}})
	s.admin = &Admin{
		Verifier:        &auth.Verifier{Creds: creds, Now: s.now},
		Invalidate:      s.cache.invalidate,
		Distributions:   ids,
		Peers:           cfg.Peers,
		PeerCredentials: aws.Credentials{AccessKeyID: cfg.Admin.AccessKeyID, SecretAccessKey: cfg.Admin.SecretAccessKey, Source: "coffer-edge"},
		Now:             s.now,
		Log:             s.log,
		WAF:             s.getSampledRequests,
	}
	return s, nil
}

// Close releases the GeoIP database, the cache and the access log.
func (s *Server) Close() error {
	var err error
	if s.geo != nil {
		err = s.geo.Close()
	}
	if s.accessLog != nil {
		err = errors.Join(err, s.accessLog.Close())
	}
	if s.wafLog != nil {
		err = errors.Join(err, s.wafLog.Close())
	}
	return errors.Join(err, s.cache.close())
}

// AdminHandler serves the CloudFront-compatible management API.
func (s *Server) AdminHandler() http.Handler { return s.admin }

// viewer is what the edge knows of one viewer request while serving it.
type viewer struct {
	r        *http.Request
	dist     *Distribution
	beh      *Behavior
	path     string // the object path, "/key"
	clientIP netip.Addr
	scheme   string
	start    time.Time
	result   string // x-edge-result-type: Hit, RefreshHit, Miss, Error, Redirect
	// rec and fetch live here so that a request allocates them with the
	// viewer, not one by one.
	rec   httpx.Recorder
	fetch originFetch
}

// Handler serves viewers.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveViewer) }

func (s *Server) serveViewer(w http.ResponseWriter, r *http.Request) {
	v := &viewer{r: r, clientIP: httpx.ClientIP(r, s.trusted), scheme: "http", start: s.now()}
	if len(s.cfg.Distributions) == 1 {
		v.dist = &s.cfg.Distributions[0] // the default: no Host to match
	} else {
		v.dist = s.cfg.distribution(r.Host)
	}
	if r.TLS != nil {
		v.scheme = "https"
	}
	rec := &v.rec
	rec.ResponseWriter = w
	defer func() { s.logRequest(v, rec) }()
	if !s.serveWAF(rec, v) {
		s.serve(rec, v)
	}
}

// serve applies the distribution's and behaviour's rules, in CloudFront's
// order, and answers from the cache or the origin.
func (s *Server) serve(w http.ResponseWriter, v *viewer) {
	r := v.r
	v.resolve()
	if g := v.dist.GeoRestriction; s.geo != nil && (g.Type == "blacklist" || g.Type == "whitelist") {
		country := s.geo.Country(v.clientIP)
		listed := slices.Contains(g.Countries, country)
		if (g.Type == "blacklist" && listed) || (g.Type == "whitelist" && !listed) {
			s.deny(w, v, "the distribution is not available in the viewer's country ("+country+")")
			return
		}
	}
	switch v.beh.ViewerProtocolPolicy {
	case "https-only":
		if v.scheme != "https" {
			s.deny(w, v, "this behaviour only serves HTTPS")
			return
		}
	case "redirect-to-https":
		if v.scheme != "https" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			v.result = "Redirect"
			u := url.URL{Scheme: "https", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
			http.Redirect(w, r, u.String(), http.StatusMovedPermanently)
			return
		}
	}
	if !slices.Contains(v.beh.AllowedMethods, r.Method) {
		s.deny(w, v, "method "+r.Method+" is not allowed for this behaviour")
		return
	}
	if len(v.beh.TrustedKeyGroups) > 0 {
		groups := make([]*signed.KeyGroup, 0, len(v.beh.TrustedKeyGroups))
		for _, name := range v.beh.TrustedKeyGroups {
			groups = append(groups, s.keyGroups[name])
		}
		_, err := signed.Verify(groups, signed.Request{Scheme: v.scheme, Host: r.Host, RequestURI: r.RequestURI,
			Cookies: r.Cookies(), ClientIP: v.clientIP}, s.now())
		if err != nil {
			s.log.Info("edge: signature refused", "distribution", v.dist.ID, "path", v.path, "err", err)
			s.deny(w, v, "missing or invalid signed URL or signed cookie")
			return
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.passThrough(w, v)
		return
	}
	s.fromCache(w, v)
}

// resolve sets the object path (the default root object for "/") and the
// behaviour that applies to it.
func (v *viewer) resolve() {
	v.path = v.r.URL.Path
	if v.path == "" {
		v.path = "/"
	}
	if v.path == "/" && v.dist.DefaultRootObject != "" {
		v.path = "/" + strings.TrimPrefix(v.dist.DefaultRootObject, "/")
	}
	v.beh = v.dist.behavior(v.path)
}

// originQuery is the query the origin and the cache key see: none, or
// all of it without the signing parameters.
func (v *viewer) originQuery() url.Values {
	if v.beh.CacheKey.QueryStrings != "all" {
		return nil
	}
	q, _ := url.ParseQuery(signed.StripSigningParams(v.r.URL.RawQuery))
	return q
}

// cacheKey is the path and the query string, headers and cookies the
// behaviour puts in the key (the cache keys by distribution itself).
func (v *viewer) cacheKey() string {
	if v.beh.CacheKey.QueryStrings != "all" && len(v.beh.CacheKey.Headers) == 0 && v.beh.CacheKey.Cookies != "all" {
		return v.path
	}
	var b strings.Builder
	b.WriteString(v.path)
	if q := v.originQuery(); len(q) > 0 {
		b.WriteString("?" + q.Encode())
	}
	for _, h := range v.beh.CacheKey.Headers {
		b.WriteString("\x00" + strings.ToLower(h) + "=" + strings.Join(v.r.Header.Values(h), ","))
	}
	if v.beh.CacheKey.Cookies == "all" {
		cs := v.r.Cookies()
		names := make([]string, 0, len(cs))
		for _, c := range cs {
			names = append(names, c.Name+"="+c.Value)
		}
		slices.Sort(names)
		b.WriteString("\x00cookies=" + strings.Join(names, ";"))
	}
	return b.String()
}

// originHeaders are the viewer headers forwarded to the origin: those in
// the cache key (CloudFront forwards what it keys on).
func (v *viewer) originHeaders() http.Header {
	h := http.Header{}
	for _, name := range v.beh.CacheKey.Headers {
		if vals := v.r.Header.Values(name); len(vals) > 0 {
			h[http.CanonicalHeaderKey(name)] = vals
		}
	}
	if v.beh.CacheKey.Cookies == "all" {
		if c := v.r.Header.Get("Cookie"); c != "" {
			h.Set("Cookie", c)
		}
	}
	return h
}

// originFetch is the cache's origin for the object at path for a viewer.
type originFetch struct {
	s    *Server
	v    *viewer
	path string
}

var _ cache.Origin = (*originFetch)(nil)

// Fetch gets the object from the distribution's origin with the headers
// the behaviour forwards and the cache's extra headers (Range,
// validators).
func (f *originFetch) Fetch(ctx context.Context, extra http.Header) (*http.Response, error) {
	v := f.v
	h := v.originHeaders()
	for k, vals := range extra {
		h[k] = vals
	}
	start := time.Now()
	resp, err := f.s.origins[v.dist.ID].get(ctx, strings.TrimPrefix(f.path, "/"), v.originQuery(), h)
	f.s.metrics.originFetch(v.dist.ID, time.Since(start), err)
	return resp, err
}

// passThrough forwards a request the cache does not handle (PUT, POST,
// PATCH, DELETE, OPTIONS where the behaviour allows them) to the origin
// and relays the answer, caching nothing.
func (s *Server) passThrough(w http.ResponseWriter, v *viewer) {
	v.result = "Miss"
	org := s.origins[v.dist.ID]
	h := v.originHeaders()
	for _, name := range []string{"Content-Type", "Content-Length", "Content-MD5", "Content-Encoding", "Cache-Control", "Content-Disposition"} {
		if val := v.r.Header.Get(name); val != "" {
			h.Set(name, val)
		}
	}
	var body io.Reader
	if v.r.ContentLength != 0 {
		body = v.r.Body
	}
	req, err := org.request(v.r.Context(), v.r.Method, strings.TrimPrefix(v.path, "/"), v.originQuery(), h, body, "UNSIGNED-PAYLOAD")
	if err == nil {
		req.ContentLength = v.r.ContentLength
		var resp *http.Response
		if resp, err = org.client.Do(req); err == nil {
			defer resp.Body.Close()
			copyHeaders(w.Header(), resp.Header)
			w.WriteHeader(resp.StatusCode)
			_, _ = io.Copy(w, resp.Body)
			return
		}
	}
	s.log.Error("edge: origin request", "distribution", v.dist.ID, "method", v.r.Method, "path", v.path, "err", err)
	v.result = "Error"
	s.errorPage(w, v, http.StatusBadGateway, "the origin could not be reached")
}

// hopHeaders are not relayed between the origin and the viewer.
var hopHeaders = map[string]bool{"Connection": true, "Keep-Alive": true, "Proxy-Connection": true,
	"Transfer-Encoding": true, "Upgrade": true, "Te": true, "Trailer": true}

func copyHeaders(dst, src http.Header) {
	for k, vs := range src {
		if !hopHeaders[k] && !strings.HasPrefix(k, "X-Amz-Id-2") && k != "X-Amz-Request-Id" && k != "Server" {
			dst[k] = vs
		}
	}
}

// deny answers 403 as CloudFront does (or the distribution's custom error
// page for 403).
func (s *Server) deny(w http.ResponseWriter, v *viewer, why string) {
	v.result = "Error"
	s.errorPage(w, v, http.StatusForbidden, why)
}

// errorPage answers status, with the distribution's custom error
// response for it when one is configured (its page fetched through the
// cache), else a short body.
func (s *Server) errorPage(w http.ResponseWriter, v *viewer, status int, why string) {
	if s.customErrorPage(w, v, status) {
		return
	}
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("X-Cache", "Error from coffer-edge")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<html><head><title>%d %s</title></head><body><h1>%d %s</h1><p>%s</p></body></html>\n",
		status, http.StatusText(status), status, http.StatusText(status), htmlEscape(why))
}

// errorTTL is the distribution's error caching minimum TTL for status;
// ok=false when it configures none.
func (d *Distribution) errorTTL(status int) (ttl time.Duration, ok bool) {
	if ce := d.customError(status); ce != nil && ce.ErrorCachingMinTTL != nil {
		return time.Duration(*ce.ErrorCachingMinTTL) * time.Second, true
	}
	return 0, false
}

// customErrorPage answers status with the distribution's custom error
// response for it, if it has one with a page (not the page itself failing)
// and the page can be had; false otherwise.
func (s *Server) customErrorPage(w http.ResponseWriter, v *viewer, status int) bool {
	ce := v.dist.customError(status)
	if ce == nil || ce.ResponsePagePath == "" || v.path == ce.ResponsePagePath {
		return false
	}
	code := ce.ResponseCode
	if code == 0 {
		code = status
	}
	return s.servePage(w, v, ce.ResponsePagePath, code)
}

func (d *Distribution) customError(status int) *CustomErrorResponse {
	for i := range d.CustomErrorResponses {
		if d.CustomErrorResponses[i].ErrorCode == status {
			return &d.CustomErrorResponses[i]
		}
	}
	return nil
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// TLSConfig is the edge's HTTPS configuration, HTTP/2 enabled.
func TLSConfig(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("edge: tls: %w", err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}, nil
}
