// Package iamapi serves the IAM query protocol (Action=…&Version=2010-05-08,
// SigV4 service "iam") on the S3 port: the AWS CLI's and SDKs' `iam`
// commands work against it. It translates requests to internal/iam and
// answers in IAM's XML. Two actions of its own, CreateAccount and
// ListAccounts, let the operator (the first account's root) manage
// accounts; `coffer admin account` calls them. A third, GetUsage, reports
// storage use per bucket and storage class (`coffer admin usage`).
package iamapi

import (
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/httpx"
	"github.com/coffer-project/coffer/internal/iam"
	"github.com/coffer-project/coffer/internal/policy"
)

// The namespaces of IAM's and STS's XML.
const (
	xmlns    = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsXMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// maxBody bounds a request's form (policy documents are at most 6 KiB;
// SimulateCustomPolicy may carry several).
const maxBody = 1 << 20

// Handler serves IAM requests that auth.Verifier has authenticated.
type Handler struct {
	IAM *iam.Service
	Log *slog.Logger
	// ClientIP is the caller's address for aws:SourceIp (the S3 layer's
	// trusted-proxy logic); nil uses the TCP peer.
	ClientIP func(r *http.Request) netip.Addr
	// Usage answers GetUsage; nil fails it.
	Usage UsageSource
}

// request is one IAM call.
type request struct {
	r       *http.Request
	w       http.ResponseWriter
	caller  auth.Principal
	account string
	form    url.Values
	action  string
	xmlns   string
	// keys are the request's condition keys (conditionKeys).
	keys map[string][]string
}

func (q *request) get(name string) string { return q.form.Get(name) }

// Serve answers one authenticated IAM request (res.Service is "iam").
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, res *auth.Result) {
	q := &request{r: r, w: w, caller: res.Principal, account: res.Principal.AccountID, xmlns: xmlns}
	table := actions
	if res.Service == "sts" {
		q.xmlns, table = stsXMLNS, stsActions
	}
	err := h.serve(q, res, table)
	if err != nil {
		h.writeError(q, err)
	}
}

func (h *Handler) serve(q *request, res *auth.Result, table map[string]action) error {
	if res.Principal.Anonymous {
		return &iam.Error{Code: "MissingAuthenticationToken", Message: "Request is missing Authentication Token"}
	}
	if res.Principal.Origin != nil {
		// An edge's origin access key reads buckets; it is no IAM
		// identity and gets no STS session.
		return &iam.Error{Code: iam.CodeAccessDenied, Message: "An origin access credential (" + res.Principal.ARN + ") signs S3 requests only."}
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody+1))
	if err != nil {
		return err
	}
	if len(body) > maxBody {
		return &iam.Error{Code: iam.CodeValidation, Message: "Request body too large."}
	}
	if q.form, err = url.ParseQuery(string(body)); err != nil {
		return &iam.Error{Code: iam.CodeInvalidInput, Message: "The request body is not a valid form."}
	}
	for k, v := range q.r.URL.Query() {
		if _, ok := q.form[k]; !ok && !strings.HasPrefix(k, "X-Amz-") {
			q.form[k] = v
		}
	}
	q.action = q.get("Action")
	if info := httpx.InfoFrom(q.r.Context()); info != nil {
		info.Op = res.Service + ":" + q.action
	}
	a, ok := table[q.action]
	if !ok {
		return &iam.Error{Code: "InvalidAction", Message: "Could not find operation " + q.action + " for version " + q.get("Version")}
	}
	q.keys = h.conditionKeys(q)
	if err := h.IAM.AddPrincipalTags(q.r.Context(), q.keys, q.caller); err != nil {
		return err
	}
	if err := h.authorize(q, a); err != nil {
		return err
	}
	h.IAM.RecordUse(q.r.Context(), q.caller, res.Service, res.Region)
	return a.serve(h, q)
}

// action is one IAM operation: its handler and the resource it acts on.
type action struct {
	serve func(h *Handler, q *request) error
	// resource is the ARN the action is authorized against; nil means "*".
	resource func(h *Handler, q *request) string
	// operator: only the operator may call it.
	operator bool
	// public: every authenticated caller may call it; the action decides
	// (GetCallerIdentity, GetSessionToken, AssumeRole's trust policy).
	public bool
	// service is the prefix of the IAM action it is authorized as; ""
	// means "iam" (CloudFront's origin access actions: "cloudfront").
	service string
}

// authorize decides an IAM call as AWS does: the account's root may do
// everything in its account; an IAM user needs an identity policy that
// allows iam:<Action> on the resource.
func (h *Handler) authorize(q *request, a action) error {
	if a.operator {
		if !q.caller.Operator {
			return &iam.Error{Code: iam.CodeAccessDenied, Message: "Only the operator (the first account's root user) may manage accounts."}
		}
		return nil
	}
	if a.public {
		return nil // decided by the action itself (STS)
	}
	caller := iam.PolicyPrincipal(q.caller)
	if caller.Type == policy.PrincipalRoot {
		return nil // an account's root user, in its own account
	}
	resource := "*"
	if a.resource != nil {
		resource = a.resource(h, q)
	}
	ps, err := h.IAM.IdentityPolicies(q.r.Context(), q.caller)
	if err != nil {
		return err
	}
	sets := []policy.Set{{Kind: policy.KindIdentity, Policies: ps}}
	if b := h.IAM.SessionBoundary(q.caller); b != nil {
		sets = append(sets, policy.Set{Kind: policy.KindBoundary, Policies: []*policy.Policy{b}})
	}
	service := "iam"
	if a.service != "" {
		service = a.service
	}
	req := policy.Request{Principal: caller, Action: service + ":" + q.action, Resource: resource, Context: q.keys}
	d := policy.Evaluate(req, sets...)
	if d.Allowed() {
		return nil
	}
	h.log().LogAttrs(q.r.Context(), slog.LevelInfo, "access denied",
		slog.String("request_id", httpx.RequestID(q.r.Context())), slog.String("principal", q.caller.ARN),
		slog.String("action", req.Action), slog.String("resource", resource),
		slog.String("statement", d.Decider()), slog.String("reason", d.Reason))
	return &iam.Error{Code: iam.CodeAccessDenied, Message: "User: " + q.caller.ARN + " is not authorized to perform: " + req.Action + " on resource: " + resource}
}

func (h *Handler) conditionKeys(q *request) map[string][]string {
	now := time.Now().UTC()
	c := map[string][]string{
		"aws:securetransport": {strconv.FormatBool(q.r.TLS != nil)},
		"aws:currenttime":     {now.Format(time.RFC3339)},
		"aws:epochtime":       {strconv.FormatInt(now.Unix(), 10)},
	}
	iam.MFAKeys(c, q.caller, now)
	var ip netip.Addr
	if h.ClientIP != nil {
		ip = h.ClientIP(q.r)
	} else if ap, err := netip.ParseAddrPort(q.r.RemoteAddr); err == nil {
		ip = ap.Addr().Unmap()
	}
	if ip.IsValid() {
		c["aws:sourceip"] = []string{ip.String()}
	}
	if ua := q.r.UserAgent(); ua != "" {
		c["aws:useragent"] = []string{ua}
	}
	return c
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.New(slog.DiscardHandler)
}

// named marshals v as an element called name.
type named struct {
	name string
	v    any
}

func (n named) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	start.Name = xml.Name{Local: n.name}
	return e.EncodeElement(n.v, start)
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

// write answers an action: <ActionResponse><ActionResult>result…
// (omitted when result is nil)<ResponseMetadata/></ActionResponse>.
func (h *Handler) write(q *request, result any) error {
	type envelope struct {
		XMLName xml.Name
		Xmlns   string           `xml:"xmlns,attr"`
		Result  any              `xml:",omitempty"`
		Meta    responseMetadata `xml:"ResponseMetadata"`
	}
	env := envelope{XMLName: xml.Name{Local: q.action + "Response"}, Xmlns: q.xmlns,
		Meta: responseMetadata{RequestID: httpx.RequestID(q.r.Context())}}
	if result != nil {
		env.Result = named{q.action + "Result", result}
	}
	b, err := xml.Marshal(env)
	if err != nil {
		return err
	}
	q.w.Header().Set("Content-Type", "text/xml")
	q.w.Header().Set("Content-Length", strconv.Itoa(len(xml.Header)+len(b)))
	q.w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(q.w, xml.Header)
	_, _ = q.w.Write(b)
	return nil
}

// statusOf is the HTTP status IAM answers an error code with.
func statusOf(code string) int {
	switch code {
	case iam.CodeNoSuchEntity:
		return http.StatusNotFound
	case iam.CodeEntityExists, iam.CodeDeleteConflict, iam.CodeLimitExceeded:
		return http.StatusConflict
	case iam.CodeAccessDenied, "MissingAuthenticationToken", "InvalidClientTokenId", "SignatureDoesNotMatch", "RequestExpired",
		iam.CodeInvalidAuthenticationCode, "ExpiredToken":
		return http.StatusForbidden
	case "ServiceFailure":
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

func (h *Handler) writeError(q *request, err error) {
	var e *iam.Error
	if !errors.As(err, &e) {
		h.log().LogAttrs(q.r.Context(), slog.LevelError, "iam request failed",
			slog.String("request_id", httpx.RequestID(q.r.Context())), slog.String("action", q.action), slog.Any("err", err))
		e = &iam.Error{Code: "ServiceFailure", Message: "The request processing has failed because of an unknown error, exception or failure."}
	}
	typ := "Sender"
	if statusOf(e.Code) >= 500 {
		typ = "Receiver"
	}
	type errorBody struct {
		Type    string
		Code    string
		Message string
	}
	type errorResponse struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Error     errorBody
		RequestID string `xml:"RequestId"`
	}
	ns := q.xmlns
	if ns == "" {
		ns = xmlns
	}
	b, _ := xml.Marshal(errorResponse{Xmlns: ns, Error: errorBody{typ, e.Code, e.Message}, RequestID: httpx.RequestID(q.r.Context())})
	q.w.Header().Set("Content-Type", "text/xml")
	q.w.WriteHeader(statusOf(e.Code))
	_, _ = io.WriteString(q.w, xml.Header)
	_, _ = q.w.Write(b)
}

// missing is IAM's error for an absent required parameter.
func missing(name string) error {
	return &iam.Error{Code: iam.CodeValidation, Message: "1 validation error detected: Value null at '" + lowerFirst(name) + "' failed to satisfy constraint: Member must not be null"}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// required returns the named parameters, or the error for the first one
// missing.
func (q *request) required(names ...string) ([]string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		if out[i] = q.get(n); out[i] == "" {
			return nil, missing(n)
		}
	}
	return out, nil
}

// list returns a query-protocol list parameter: name.member.1, name.member.2, …
func (q *request) list(name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := q.form[name+".member."+strconv.Itoa(i)]
		if !ok || len(v) == 0 {
			return out
		}
		out = append(out, v[0])
	}
}

// isoTime is IAM's timestamp form.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// page cuts one page out of items: from the marker's offset, at most
// MaxItems (default 100, 1–1000). It returns the page, whether more
// remain, and the marker of the next page.
func page[T any](q *request, items []T) ([]T, bool, string, error) {
	limit := 100
	if v := q.get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, false, "", &iam.Error{Code: iam.CodeValidation, Message: "1 validation error detected: Value '" + v + "' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000"}
		}
		limit = n
	}
	start := 0
	if m := q.get("Marker"); m != "" {
		var err error
		if start, err = decodeMarker(m); err != nil {
			return nil, false, "", &iam.Error{Code: iam.CodeValidation, Message: "Invalid Marker."}
		}
		start = min(start, len(items))
	}
	rest := items[start:]
	if len(rest) <= limit {
		return rest, false, "", nil
	}
	return rest[:limit], true, encodeMarker(start + limit), nil
}

// ServeAuthError answers a request whose signature could not be verified,
// in IAM's words (the S3 layer verified it).
func (h *Handler) ServeAuthError(w http.ResponseWriter, r *http.Request, err error) {
	q := &request{r: r, w: w}
	e := &iam.Error{Code: "IncompleteSignature", Message: "The request signature does not conform to AWS standards."}
	switch {
	case errors.Is(err, auth.ErrInvalidAccessKeyID):
		e = &iam.Error{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}
	case errors.Is(err, auth.ErrSignatureDoesNotMatch):
		e = &iam.Error{Code: "SignatureDoesNotMatch", Message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."}
	case errors.Is(err, auth.ErrRequestTimeTooSkewed), errors.Is(err, auth.ErrRequestExpired):
		e = &iam.Error{Code: "RequestExpired", Message: "Request has expired."}
	case errors.Is(err, auth.ErrInvalidToken):
		e = &iam.Error{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}
	case errors.Is(err, auth.ErrExpiredToken):
		e = &iam.Error{Code: "ExpiredToken", Message: "The security token included in the request is expired"}
	case errors.Is(err, auth.ErrMissingAuth), errors.Is(err, auth.ErrMissingDate):
		e = &iam.Error{Code: "MissingAuthenticationToken", Message: "Request is missing Authentication Token"}
	}
	h.writeError(q, e)
}
