package cache

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coffer-project/coffer/internal/s3"
)

// TTLs are a cache behaviour's Minimum, Default and Maximum TTL, with
// CloudFront's meaning (see the package documentation for the rules).
type TTLs struct {
	Min, Default, Max time.Duration
}

// DefaultErrorTTL is CloudFront's default Error Caching Minimum TTL.
const DefaultErrorTTL = 10 * time.Second

// directives is the parsed Cache-Control of an origin response.
type directives struct {
	noStore, noCache, private     bool
	mustRevalidate, noTransform   bool
	maxAge, sMaxAge, staleIfError time.Duration
	hasMaxAge, hasSMaxAge, hasSIE bool
}

// parseCacheControl reads every Cache-Control field line. Directive names
// are case-insensitive; a malformed delta-seconds counts as 0 (RFC 9111
// §1.2.2 lets a cache treat it as stale). The qualified forms
// no-cache="f" and private="f" are treated like their plain forms, which
// is the conservative reading for a shared cache.
func parseCacheControl(h http.Header) directives {
	var d directives
	for _, line := range h.Values("Cache-Control") {
		for _, part := range strings.Split(line, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
			value = strings.Trim(strings.TrimSpace(value), `"`)
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store":
				d.noStore = true
			case "no-cache":
				d.noCache = true
			case "private":
				d.private = true
			case "must-revalidate", "proxy-revalidate":
				d.mustRevalidate = true
			case "no-transform":
				d.noTransform = true
			case "max-age":
				if !d.hasMaxAge {
					d.maxAge, d.hasMaxAge = deltaSeconds(value), true
				}
			case "s-maxage":
				if !d.hasSMaxAge {
					d.sMaxAge, d.hasSMaxAge = deltaSeconds(value), true
				}
			case "stale-if-error":
				if !d.hasSIE {
					d.staleIfError, d.hasSIE = deltaSeconds(value), true
				}
			}
		}
	}
	return d
}

func deltaSeconds(v string) time.Duration {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	const maxSeconds = 1<<31 - 1 // RFC 9111 §1.2.2: saturate at 2^31
	if n > maxSeconds {
		n = maxSeconds
	}
	return time.Duration(n) * time.Second
}

// cacheableStatus reports whether CloudFront caches responses with this
// status, and whether it does so as an error (Error Caching Minimum TTL).
func cacheableStatus(status int) (ok, isError bool) {
	switch status {
	case http.StatusOK, http.StatusNonAuthoritativeInfo, http.StatusMultipleChoices,
		http.StatusMovedPermanently, http.StatusGone:
		return true, false
	case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound,
		http.StatusMethodNotAllowed, http.StatusRequestURITooLong,
		http.StatusInternalServerError, http.StatusNotImplemented, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true, true
	}
	return false, false
}

// lifetime decides whether a response may be stored and for how long it is
// fresh, following CloudFront's expiration rules:
//
//   - no-store, no-cache or private: with Min TTL > 0 the response is cached
//     for Min TTL; with Min TTL 0, no-store and private are not stored and
//     no-cache is stored with lifetime 0 (revalidated on every use).
//   - otherwise s-maxage, else max-age, else Expires−Date gives a value that
//     is clamped to [Min TTL, Max TTL];
//   - none of them: Default TTL.
//
// Error statuses are cached for errTTL, or for the origin's s-maxage/max-age
// when that is longer.
func lifetime(status int, h http.Header, ttl TTLs, errTTL time.Duration, respTime time.Time) (life time.Duration, store bool) {
	ok, isError := cacheableStatus(status)
	if !ok {
		return 0, false
	}
	d := parseCacheControl(h)
	if isError {
		life = errTTL
		if v, ok := d.explicit(h, respTime); ok && v > life && !d.noStore && !d.private {
			life = v
		}
		return life, life > 0
	}
	if d.noStore || d.noCache || d.private {
		if ttl.Min > 0 {
			return ttl.Min, true
		}
		if d.noCache && !d.noStore && !d.private {
			return 0, true
		}
		return 0, false
	}
	v, ok := d.explicit(h, respTime)
	if !ok {
		return ttl.Default, true
	}
	if v < ttl.Min {
		v = ttl.Min
	}
	if v > ttl.Max {
		v = ttl.Max
	}
	return v, true
}

// explicit is the origin's own freshness lifetime: s-maxage, else max-age,
// else Expires minus Date (an unparsable Expires means "already expired").
func (d directives) explicit(h http.Header, respTime time.Time) (time.Duration, bool) {
	switch {
	case d.hasSMaxAge:
		return d.sMaxAge, true
	case d.hasMaxAge:
		return d.maxAge, true
	}
	exp := h.Get("Expires")
	if exp == "" {
		return 0, false
	}
	t, ok := s3.ParseHTTPTime(exp)
	if !ok {
		return 0, true
	}
	date := respTime
	if dt, ok := s3.ParseHTTPTime(h.Get("Date")); ok {
		date = dt
	}
	if v := t.Sub(date); v > 0 {
		return v, true
	}
	return 0, true
}

// initialAge is RFC 9111 §4.2.3's corrected_initial_age.
func initialAge(h http.Header, reqTime, respTime time.Time) time.Duration {
	ageValue := time.Duration(0)
	if a := h.Get("Age"); a != "" {
		ageValue = deltaSeconds(a)
	}
	apparent := time.Duration(0)
	if date, ok := s3.ParseHTTPTime(h.Get("Date")); ok && respTime.After(date) {
		apparent = respTime.Sub(date)
	}
	corrected := ageValue + respTime.Sub(reqTime)
	return max(apparent, corrected)
}

// state is the mutable-by-replacement part of a cached object: its headers
// and freshness. A state is never modified after it is published; a 304
// builds a new one.
type state struct {
	header       http.Header
	respTime     time.Time
	initAge      time.Duration
	life         time.Duration
	mustReval    bool // must-revalidate/proxy-revalidate: never serve stale
	staleIfError time.Duration
	hasSIE       bool
	// encodable: the header allows compressing the body (a compressible
	// Content-Type, no Content-Encoding, no no-transform); see compressible.
	encodable bool
}

// newState computes freshness for a stored header set; the caller sets
// initAge from the received header (Age is not stored).
func newState(status int, h http.Header, ttl TTLs, errTTL time.Duration, respTime time.Time) (*state, bool) {
	life, store := lifetime(status, h, ttl, errTTL, respTime)
	d := parseCacheControl(h)
	return &state{
		header:       h,
		respTime:     respTime,
		life:         life,
		mustReval:    d.mustRevalidate,
		staleIfError: d.staleIfError,
		hasSIE:       d.hasSIE,
		encodable:    encodable(h, d),
	}, store
}

func (s *state) age(now time.Time) time.Duration {
	return s.initAge + max(0, now.Sub(s.respTime))
}

func (s *state) fresh(now time.Time) bool { return s.age(now) < s.life }

// servableOnError reports whether a stale copy may stand in for an origin
// error or 5xx: never with must-revalidate; within stale-if-error when the
// origin sent it; otherwise always, as CloudFront does when the origin is
// unavailable and the object is still in the edge cache.
func (s *state) servableOnError(now time.Time) bool {
	if s.mustReval {
		return false
	}
	if s.hasSIE {
		return s.age(now)-s.life <= s.staleIfError
	}
	return true
}

// hopHeaders are not stored (RFC 9110 §7.6.1) or are recomputed per
// response.
var hopHeaders = []string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
	"Content-Range", "Age", "X-Cache",
}

// storedHeader is h without hop-by-hop fields and without Set-Cookie: a
// shared cache must not hand one viewer's session cookie to the next.
func storedHeader(h http.Header) http.Header {
	out := h.Clone()
	for _, k := range hopHeaders {
		out.Del(k)
	}
	for _, v := range h.Values("Connection") {
		for _, k := range strings.Split(v, ",") {
			out.Del(strings.TrimSpace(k))
		}
	}
	out.Del("Set-Cookie")
	return out
}

// mergeNotModified applies RFC 9111 §3.2 / §4.3.4: the 304's fields replace
// the stored ones, except framing fields (Content-Length, Content-Encoding,
// Content-Range, Transfer-Encoding) and hop-by-hop fields.
func mergeNotModified(stored, notModified http.Header) http.Header {
	out := stored.Clone()
	upd := storedHeader(notModified)
	for _, k := range []string{"Content-Length", "Content-Encoding", "Content-Type"} {
		upd.Del(k)
	}
	for k, vs := range upd {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
