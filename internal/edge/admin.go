package edge

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/coffer-project/coffer/internal/auth"
)

// The management API answers the CloudFront API's invalidation calls, so
// that `aws cloudfront create-invalidation --endpoint-url URL` works:
//
//	POST /2020-05-31/distribution/ID/invalidation          CreateInvalidation
//	GET  /2020-05-31/distribution/ID/invalidation          ListInvalidations
//	GET  /2020-05-31/distribution/ID/invalidation/INV-ID   GetInvalidation
//
// Requests are SigV4-signed for service cloudfront with the admin
// credential. An invalidation applies at once (Status Completed) and is
// forwarded to every peer edge, marked so the peer does not forward it
// again.

const (
	apiPrefix  = "/2020-05-31/distribution/"
	cfXMLNS    = "http://cloudfront.amazonaws.com/doc/2020-05-31/"
	peerHeader = "X-Coffer-Edge-Peer"
	// maxInvalidations bounds the invalidations kept per distribution for
	// Get/List (the oldest are forgotten).
	maxInvalidations = 1000
	maxBatchBytes    = 1 << 20
)

// InvalidationBatch is CloudFront's InvalidationBatch.
type InvalidationBatch struct {
	Paths struct {
		Quantity int      `xml:"Quantity"`
		Items    []string `xml:"Items>Path"`
	} `xml:"Paths"`
	CallerReference string `xml:"CallerReference"`
}

type invalidationXML struct {
	XMLName           xml.Name          `xml:"Invalidation"`
	XMLNS             string            `xml:"xmlns,attr"`
	ID                string            `xml:"Id"`
	Status            string            `xml:"Status"`
	CreateTime        string            `xml:"CreateTime"`
	InvalidationBatch InvalidationBatch `xml:"InvalidationBatch"`
}

type invalidationSummary struct {
	ID         string `xml:"Id"`
	CreateTime string `xml:"CreateTime"`
	Status     string `xml:"Status"`
}

type invalidationList struct {
	XMLName     xml.Name              `xml:"InvalidationList"`
	XMLNS       string                `xml:"xmlns,attr"`
	Marker      string                `xml:"Marker"`
	NextMarker  string                `xml:"NextMarker,omitempty"`
	MaxItems    int                   `xml:"MaxItems"`
	IsTruncated bool                  `xml:"IsTruncated"`
	Quantity    int                   `xml:"Quantity"`
	Items       []invalidationSummary `xml:"Items>InvalidationSummary,omitempty"`
}

type invalidation struct {
	id      string
	created time.Time
	batch   InvalidationBatch
}

// Invalidator drops cached entries of a distribution matching a path
// ("/a/b", or "/a/*" for a prefix); it returns how many it dropped.
type Invalidator func(distribution, path string) int

// Admin is the management API.
type Admin struct {
	Verifier   *auth.Verifier
	Invalidate Invalidator
	// Distributions are the IDs the edge serves.
	Distributions []string
	Peers         []string
	// WAF answers the WAFv2 API calls (GetSampledRequests); nil: none.
	WAF func(w http.ResponseWriter, body io.Reader) error
	// PeerCredentials sign forwarded invalidations (the admin credential).
	PeerCredentials aws.Credentials
	Client          *http.Client
	Now             func() time.Time
	Log             *slog.Logger

	mu   sync.Mutex
	done map[string][]invalidation // by distribution, oldest first
}

func (a *Admin) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

func (a *Admin) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.New(slog.DiscardHandler)
}

// apiError is a CloudFront error response.
type apiError struct {
	status        int
	code, message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func writeAPIError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{http.StatusInternalServerError, "InternalError", "internal error"}
	}
	typ := "Sender"
	if ae.status >= 500 {
		typ = "Receiver"
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	fmt.Fprintf(&buf, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>`, cfXMLNS, typ, ae.code)
	_ = xml.EscapeText(&buf, []byte(ae.message))
	fmt.Fprintf(&buf, `</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, newID("", 16))
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(ae.status)
	_, _ = w.Write(buf.Bytes())
}

// writeJSONError answers a JSON-protocol (WAFv2) call's error.
func writeJSONError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{http.StatusInternalServerError, "WAFInternalErrorException", "internal error"}
	}
	b, _ := json.Marshal(map[string]string{"__type": ae.code, "Message": ae.message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(ae.status)
	_, _ = w.Write(b)
}

func writeAPIXML(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		writeAPIError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write(append([]byte(xml.Header), b...))
}

// ServeHTTP implements http.Handler.
func (a *Admin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res, err := a.Verifier.Verify(r)
	if err == nil && res.Service == "wafv2" && a.WAF != nil && r.Method == http.MethodPost &&
		r.Header.Get("X-Amz-Target") == "AWSWAF_20190729.GetSampledRequests" {
		if err := a.WAF(w, res.Body); err != nil {
			writeJSONError(w, err)
		}
		return
	}
	if err != nil || res.Service != "cloudfront" {
		a.log().Info("edge: admin request refused", "err", err, "path", r.URL.Path)
		writeAPIError(w, &apiError{http.StatusForbidden, "AccessDenied", "the request is not signed with the edge's admin credential for service cloudfront"})
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, apiPrefix)
	if !ok {
		writeAPIError(w, &apiError{http.StatusNotFound, "NotFound", "unknown API"})
		return
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 2 || parts[1] != "invalidation" || len(parts) > 3 {
		writeAPIError(w, &apiError{http.StatusNotFound, "NotFound", "unknown API (this edge answers invalidation calls only)"})
		return
	}
	dist := parts[0]
	if !slices.Contains(a.Distributions, dist) {
		writeAPIError(w, &apiError{http.StatusNotFound, "NoSuchDistribution", "the specified distribution does not exist"})
		return
	}
	switch {
	case len(parts) == 2 && r.Method == http.MethodPost:
		err = a.create(w, r, res.Body, dist)
	case len(parts) == 2 && r.Method == http.MethodGet:
		err = a.list(w, r, dist)
	case len(parts) == 3 && r.Method == http.MethodGet:
		err = a.get(w, dist, parts[2])
	default:
		err = &apiError{http.StatusMethodNotAllowed, "MethodNotAllowed", "method not allowed"}
	}
	if err != nil {
		writeAPIError(w, err)
	}
}

func (a *Admin) create(w http.ResponseWriter, r *http.Request, body io.Reader, dist string) error {
	doc, err := io.ReadAll(io.LimitReader(body, maxBatchBytes+1))
	if err != nil {
		return &apiError{http.StatusBadRequest, "InvalidArgument", "cannot read the request body"}
	}
	var batch InvalidationBatch
	if len(doc) > maxBatchBytes || xml.Unmarshal(doc, &batch) != nil {
		return &apiError{http.StatusBadRequest, "MalformedInput", "the InvalidationBatch document is malformed"}
	}
	if err := checkBatch(&batch); err != nil {
		return err
	}
	inv, existing, err := a.record(dist, batch)
	if err != nil {
		return err
	}
	if !existing {
		n := 0
		for _, p := range batch.Paths.Items {
			n += a.Invalidate(dist, p)
		}
		a.log().Info("edge: invalidation", "distribution", dist, "id", inv.id, "paths", batch.Paths.Items, "dropped", n)
		if r.Header.Get(peerHeader) == "" {
			a.forward(dist, doc)
		}
	}
	w.Header().Set("Location", "https://"+r.Host+apiPrefix+dist+"/invalidation/"+inv.id)
	writeAPIXML(w, http.StatusCreated, inv.xml())
	return nil
}

// checkBatch applies CloudFront's rules to a batch.
func checkBatch(b *InvalidationBatch) error {
	switch {
	case b.CallerReference == "":
		return &apiError{http.StatusBadRequest, "InvalidArgument", "CallerReference is required"}
	case len(b.Paths.Items) == 0:
		return &apiError{http.StatusBadRequest, "InvalidArgument", "an invalidation needs at least one path"}
	case b.Paths.Quantity != len(b.Paths.Items):
		return &apiError{http.StatusBadRequest, "InconsistentQuantities", "Paths.Quantity does not match the number of paths"}
	case len(b.Paths.Items) > 3000:
		return &apiError{http.StatusBadRequest, "TooManyInvalidationsInProgress", "at most 3,000 paths per invalidation"}
	}
	for _, p := range b.Paths.Items {
		star := strings.Index(p, "*")
		if !strings.HasPrefix(p, "/") || (star >= 0 && star != len(p)-1) {
			return &apiError{http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("invalid path %q: paths start with / and may end with one *", p)}
		}
	}
	return nil
}

// record stores an invalidation, or finds the one made earlier with the
// same CallerReference (the same batch again is that one; another batch
// is InvalidationBatchAlreadyExists, as on CloudFront).
func (a *Admin) record(dist string, b InvalidationBatch) (invalidation, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.done == nil {
		a.done = map[string][]invalidation{}
	}
	for _, inv := range a.done[dist] {
		if inv.batch.CallerReference == b.CallerReference {
			if !slices.Equal(inv.batch.Paths.Items, b.Paths.Items) {
				return inv, true, &apiError{http.StatusConflict, "InvalidationBatchAlreadyExists", "an invalidation with this CallerReference and other paths exists"}
			}
			return inv, true, nil
		}
	}
	inv := invalidation{id: newID("I", 13), created: a.now(), batch: b}
	list := append(a.done[dist], inv)
	if len(list) > maxInvalidations {
		list = list[len(list)-maxInvalidations:]
	}
	a.done[dist] = list
	return inv, false, nil
}

func (inv invalidation) xml() invalidationXML {
	return invalidationXML{XMLNS: cfXMLNS, ID: inv.id, Status: "Completed",
		CreateTime: inv.created.Format(time.RFC3339), InvalidationBatch: inv.batch}
}

func (a *Admin) get(w http.ResponseWriter, dist, id string) error {
	a.mu.Lock()
	var found *invalidation
	for _, inv := range a.done[dist] {
		if inv.id == id {
			found = &inv
		}
	}
	a.mu.Unlock()
	if found == nil {
		return &apiError{http.StatusNotFound, "NoSuchInvalidation", "the specified invalidation does not exist"}
	}
	writeAPIXML(w, http.StatusOK, found.xml())
	return nil
}

// list answers newest first, MaxItems (default 100) per page, Marker
// being the last ID of the previous page.
func (a *Admin) list(w http.ResponseWriter, r *http.Request, dist string) error {
	q := r.URL.Query()
	max := 100
	if s := q.Get("MaxItems"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return &apiError{http.StatusBadRequest, "InvalidArgument", "MaxItems must be a non-negative integer"}
		}
		max = n
	}
	a.mu.Lock()
	all := slices.Clone(a.done[dist])
	a.mu.Unlock()
	slices.Reverse(all)
	marker := q.Get("Marker")
	start := 0
	if marker != "" {
		start = len(all)
		for i, inv := range all {
			if inv.id == marker {
				start = i + 1
			}
		}
	}
	out := invalidationList{XMLNS: cfXMLNS, Marker: marker, MaxItems: max}
	for _, inv := range all[start:] {
		if len(out.Items) == max {
			out.IsTruncated = true
			out.NextMarker = out.Items[len(out.Items)-1].ID
			break
		}
		out.Items = append(out.Items, invalidationSummary{ID: inv.id, CreateTime: inv.created.Format(time.RFC3339), Status: "Completed"})
	}
	out.Quantity = len(out.Items)
	writeAPIXML(w, http.StatusOK, out)
	return nil
}

// forward sends an invalidation to every peer, in the background; a peer
// that cannot be reached is logged (its cache expires by TTL).
func (a *Admin) forward(dist string, doc []byte) {
	client := a.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	sum := sha256.Sum256(doc)
	for _, peer := range a.Peers {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(peer, "/")+apiPrefix+dist+"/invalidation", bytes.NewReader(doc))
			if err == nil {
				req.Header.Set(peerHeader, "1")
				req.Header.Set("Content-Type", "text/xml")
				err = v4.NewSigner().SignHTTP(ctx, a.PeerCredentials, req, hex.EncodeToString(sum[:]), "cloudfront", "us-east-1", time.Now())
			}
			var resp *http.Response
			if err == nil {
				resp, err = client.Do(req)
			}
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					err = fmt.Errorf("status %s", resp.Status)
				}
			}
			if err != nil {
				a.log().Error("edge: forward invalidation to peer", "peer", peer, "distribution", dist, "err", err)
			}
		}()
	}
}

// newID returns prefix + n random characters from CloudFront's ID
// alphabet (upper-case letters and digits).
func newID(prefix string, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return prefix + string(b)
}
