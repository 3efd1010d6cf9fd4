package cache

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/coffer-project/coffer/internal/httpx"
	"github.com/coffer-project/coffer/internal/s3"
)

// Serve answers a viewer GET or HEAD from the cache, fetching from
// req.Origin what is missing or stale. It returns ErrMethod for other
// methods, and an error wrapping ErrOrigin when the origin failed and no
// stale copy may be served (or the context's error when the viewer gave
// up). An origin error status (404, 503, …) is not an error: it is the
// Response, cached for the error TTL.
func (c *Cache) Serve(ctx context.Context, req Request) (*Response, error) {
	if m := req.Viewer.Method; m != http.MethodGet && m != http.MethodHead {
		return nil, ErrMethod
	}
	st := c.Stats(req.Distribution)
	v := parseViewer(req.Viewer.Header)
	base := req.Distribution + "\x00" + req.Key
	res := Hit
	now := c.now()
	obj, ost := c.lookup(base, req.Viewer.Header)
	if obj == nil || !ost.fresh(now) {
		hint := int64(0)
		if v.hasRange && v.rng.First > 0 {
			hint = v.rng.First / c.slice
		}
		out, err := c.resolve(ctx, &req, st, base, hint)
		if err != nil {
			return nil, err
		}
		res = out.res
		if out.pass != nil {
			st.Misses.Add(1)
			return out.pass, nil
		}
		obj = out.obj
		c.mu.Lock()
		ost = obj.st
		c.mu.Unlock()
		now = c.now()
	}
	switch res {
	case Hit:
		st.Hits.Add(1)
	case RefreshHit:
		st.RefreshHits.Add(1)
	default:
		st.Misses.Add(1)
	}
	varyAE := false
	if compressible(&req, obj, ost) {
		varyAE = true
		if enc := v.encoding(); enc != "" && !v.rangeHeader {
			if cobj, err := c.compressed(ctx, &req, st, obj, enc); err == nil && cobj != nil {
				obj = cobj
			}
		}
	}
	return c.respond(ctx, &req, st, obj, ost, res, v, varyAE, now), nil
}

// lookup returns the stored variant for the viewer's header under base
// and its state, marking it used; nil when none is stored.
func (c *Cache) lookup(base string, h http.Header) (*object, *state) {
	c.mu.Lock()
	defer c.mu.Unlock()
	obj := c.objects[variantKey(base, c.vary[base], h)]
	if obj == nil {
		return nil, nil
	}
	c.mem.touch(obj.item)
	return obj, obj.st
}

// outcome is the shared result of one (possibly coalesced) lookup.
type outcome struct {
	obj *object
	res Result
	// pass is a response that only one viewer may consume (a streamed,
	// uncacheable body); the others fetch for themselves.
	pass *Response
	// private: obj is transient and belongs to one viewer only.
	private bool
	claimed chan struct{}
}

func (o *outcome) claim() bool {
	select {
	case o.claimed <- struct{}{}:
		return true
	default:
		return false
	}
}

func (c *Cache) variantKey(base string, h http.Header) string {
	c.mu.Lock()
	names := c.vary[base]
	c.mu.Unlock()
	return variantKey(base, names, h)
}

func variantKey(base string, names []string, h http.Header) string {
	if len(names) == 0 {
		return base
	}
	var b strings.Builder
	b.WriteString(base)
	for _, n := range names {
		b.WriteString("\x00v\x00")
		b.WriteString(n)
		b.WriteByte('=')
		b.WriteString(strings.Join(h.Values(n), ","))
	}
	return b.String()
}

// varyNames returns the canonical field names of the Vary header, and
// star=true for "Vary: *" (never stored).
func varyNames(h http.Header) (names []string, star bool) {
	for _, line := range h.Values("Vary") {
		for _, n := range strings.Split(line, ",") {
			n = strings.TrimSpace(n)
			if n == "*" {
				return nil, true
			}
			if n != "" {
				names = append(names, http.CanonicalHeaderKey(n))
			}
		}
	}
	sort.Strings(names)
	return names, false
}

// resolve finds a fresh object for the request, revalidating or fetching
// through one coalesced origin request per key.
func (c *Cache) resolve(ctx context.Context, req *Request, st *Stats, base string, hint int64) (*outcome, error) {
	for attempt := 0; ; attempt++ {
		okey := c.variantKey(base, req.Viewer.Header)
		now := c.now()
		c.mu.Lock()
		obj := c.objects[okey]
		var ost *state
		if obj != nil {
			c.mem.touch(obj.item)
			ost = obj.st
		}
		gen := c.gen[req.Distribution]
		c.mu.Unlock()
		if obj != nil && ost.fresh(now) {
			return &outcome{obj: obj, res: Hit}, nil
		}
		if attempt >= 2 {
			// Our share of a coalesced fetch was not usable (a private
			// response, or another variant): fetch alone.
			return c.fetch(ctx, req, st, base, obj, ost, hint, gen)
		}
		ch := c.flights.DoChan("o\x00"+okey, func() (any, error) {
			return c.fetch(context.WithoutCancel(ctx), req, st, base, obj, ost, hint, gen)
		})
		var r singleflightResult
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case res := <-ch:
			r = singleflightResult{res.Val, res.Err}
		}
		if r.err != nil {
			return nil, r.err
		}
		out := r.val.(*outcome)
		if out.pass != nil || out.private {
			if out.claim() {
				return out, nil
			}
			attempt = 1
			continue
		}
		if out.obj.key == c.variantKey(base, req.Viewer.Header) || out.obj.key == okey && out.res == RefreshHit {
			return out, nil
		}
	}
}

type singleflightResult struct {
	val any
	err error
}

// fetch asks the origin for slice hint of the object (conditionally when a
// stale copy exists) and stores what it gets.
func (c *Cache) fetch(ctx context.Context, req *Request, st *Stats, base string, stale *object, sst *state, hint int64, gen uint64) (*outcome, error) {
	k, ranged := hint, true
	if stale != nil && k >= stale.nslices(c.slice) {
		k = 0
	}
	for {
		h := http.Header{}
		if ranged {
			h.Set("Range", c.sliceRange(k, -1))
		}
		if stale != nil {
			if stale.etag != "" {
				h.Set("If-None-Match", stale.etag)
			}
			if lm := sst.header.Get("Last-Modified"); lm != "" {
				h.Set("If-Modified-Since", lm)
			}
		}
		reqTime := c.now()
		call, err := c.origin(ctx, req, st, h)
		if err != nil {
			if stale != nil && sst.servableOnError(reqTime) {
				st.StaleServed.Add(1)
				return &outcome{obj: stale, res: RefreshHit}, nil
			}
			return nil, err
		}
		resp := call.resp
		switch {
		case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && ranged:
			// Beyond the end (a viewer range past a shrunken object) or an
			// empty object, which has no byte to range over.
			call.release()
			if k > 0 {
				k = 0
			} else {
				ranged = false
			}
			continue
		case resp.StatusCode == http.StatusNotModified && stale != nil:
			call.release()
			st.NotModified.Add(1)
			if et := resp.Header.Get("ETag"); et != "" && stale.etag != "" && et != stale.etag {
				// The 304 validates another representation: fetch afresh.
				stale, sst = nil, nil
				continue
			}
			return c.refresh(req, stale, sst, resp.Header, reqTime, gen), nil
		case resp.StatusCode >= 500 && stale != nil && sst.servableOnError(reqTime):
			call.release()
			st.StaleServed.Add(1)
			return &outcome{obj: stale, res: RefreshHit}, nil
		}
		out, err := c.store(ctx, req, st, base, call, k, reqTime, gen)
		if err != nil && stale != nil && sst.servableOnError(reqTime) {
			st.StaleServed.Add(1)
			return &outcome{obj: stale, res: RefreshHit}, nil
		}
		return out, err
	}
}

// refresh applies a 304 to a stale object (RFC 9111 §4.3.4): the 304's
// fields update the stored ones and freshness starts again.
func (c *Cache) refresh(req *Request, obj *object, sst *state, h http.Header, reqTime time.Time, gen uint64) *outcome {
	merged := mergeNotModified(sst.header, h)
	respTime := c.now()
	ns, store := newState(obj.status, merged, req.TTL, req.errorTTL(obj.status), respTime)
	ns.initAge = initialAge(h, reqTime, respTime)
	c.mu.Lock()
	if !store || c.gen[obj.dist] != gen {
		ns.life = 0
	}
	if c.objects[obj.key] == obj {
		obj.st = ns
		c.mem.touch(obj.item)
	}
	c.mu.Unlock()
	return &outcome{obj: obj, res: RefreshHit}
}

// sliceRange is the Range header for slice k; size < 0 means unknown.
func (c *Cache) sliceRange(k, size int64) string {
	first := k * c.slice
	last := first + c.slice - 1
	if size >= 0 && last >= size {
		last = size - 1
	}
	return fmt.Sprintf("bytes=%d-%d", first, last)
}

// parseContentRange parses "bytes first-last/total".
func parseContentRange(v string) (first, last, total int64, ok bool) {
	rest, found := strings.CutPrefix(v, "bytes ")
	if !found {
		return 0, 0, 0, false
	}
	span, tot, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, 0, false
	}
	a, b, found := strings.Cut(span, "-")
	if !found {
		return 0, 0, 0, false
	}
	var err1, err2, err3 error
	first, err1 = strconv.ParseInt(a, 10, 64)
	last, err2 = strconv.ParseInt(b, 10, 64)
	total, err3 = strconv.ParseInt(tot, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || first < 0 || last < first || total <= last {
		return 0, 0, 0, false
	}
	return first, last, total, true
}

// readBody reads at most limit bytes; more=true when the body is longer.
func readBody(r io.Reader, limit int64, st *Stats) (data []byte, more bool, err error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, limit+1))
	st.BytesFromOrigin.Add(n)
	if err != nil {
		return nil, false, fmt.Errorf("%w: read body: %w", ErrOrigin, err)
	}
	data = buf.Bytes()
	if int64(len(data)) > limit {
		return data, true, nil
	}
	return data, false, nil
}

func randomVersion() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "r:" + hex.EncodeToString(b[:])
}

// store turns an origin response into an object: published when the
// response may be stored, transient otherwise.
func (c *Cache) store(ctx context.Context, req *Request, st *Stats, base string, call *originCall, k int64, reqTime time.Time, gen uint64) (*outcome, error) {
	resp := call.resp
	status := resp.StatusCode
	hdr := storedHeader(resp.Header)
	obj := &object{dist: req.Distribution, path: req.Path, etag: resp.Header.Get("ETag")}
	if status == http.StatusPartialContent {
		first, last, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || first != k*c.slice || last != min(first+c.slice, total)-1 {
			call.release()
			return nil, fmt.Errorf("%w: unexpected Content-Range %q for slice %d", ErrOrigin, resp.Header.Get("Content-Range"), k)
		}
		status, obj.size, obj.ranged = http.StatusOK, total, true
		hdr.Set("Content-Length", strconv.FormatInt(total, 10))
		data, _, err := readBody(resp.Body, last-first+1, st)
		call.release()
		if err != nil {
			return nil, err
		}
		if int64(len(data)) != last-first+1 {
			return nil, fmt.Errorf("%w: short slice %d", ErrOrigin, k)
		}
		obj.pre, obj.preK = data, k
	} else {
		data, more, err := readBody(resp.Body, c.slice, st)
		if err != nil {
			call.release()
			return nil, err
		}
		if more {
			// The origin ignored Range and the body is larger than a slice:
			// stream it through, uncached.
			<-c.sem
			body := &passBody{Reader: io.MultiReader(bytes.NewReader(data), countingReader{resp.Body, st}), closer: resp.Body}
			h := storedHeader(resp.Header)
			for _, k := range c.dropFields {
				delete(h, k)
			}
			return &outcome{pass: &Response{Status: status, Header: h, Body: body, Result: Miss}, claimed: make(chan struct{}, 1)}, nil
		}
		call.release()
		obj.size = int64(len(data))
		hdr.Set("Content-Length", strconv.FormatInt(obj.size, 10))
		obj.pre, obj.preK = data, 0
	}
	obj.status = status
	switch lm := hdr.Get("Last-Modified"); {
	case obj.etag != "":
		obj.version = "e:" + obj.etag
	case lm != "":
		obj.version = "m:" + lm + ":" + strconv.FormatInt(obj.size, 10)
	default:
		obj.version = randomVersion()
	}
	respTime := c.now()
	ns, storable := newState(status, hdr, req.TTL, req.errorTTL(status), respTime)
	ns.initAge = initialAge(resp.Header, reqTime, respTime)
	obj.st = ns
	names, star := varyNames(resp.Header)
	if star || !storable {
		obj.key = base
		obj.transient = true
		return &outcome{obj: obj, res: Miss, private: true, claimed: make(chan struct{}, 1)}, nil
	}
	var ev evictions
	c.mu.Lock()
	if c.gen[req.Distribution] != gen {
		ns.life = 0
	}
	if len(names) > 0 {
		c.vary[base] = names
	} else {
		delete(c.vary, base)
	}
	obj.key = variantKey(base, names, req.Viewer.Header)
	data := obj.pre
	obj.pre = nil
	c.insertLocked(obj, &ev)
	c.putSliceLocked(obj, obj.preK, data, &ev)
	if c.objects[obj.key] != obj {
		// Evicted at once (a tiny memory tier): serve it as transient.
		obj.transient, obj.pre = true, data
	}
	c.mu.Unlock()
	c.finish(ev)
	return &outcome{obj: obj, res: Miss}, nil
}

type passBody struct {
	io.Reader
	closer io.Closer
}

func (p *passBody) Close() error { return p.closer.Close() }

type countingReader struct {
	r  io.Reader
	st *Stats
}

func (r countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.st.BytesFromOrigin.Add(int64(n))
	return n, err
}

// sliceBody is the rest of one slice from an offset on: in memory (data)
// or in a file of the disk tier (f, read from off).
type sliceBody struct {
	data   []byte
	f      *os.File
	off    int64
	cached bool // from a tier, not from the origin
}

// openSlice returns the bytes of slice k of obj from off on, fetching the
// slice from the origin when neither tier holds it.
func (c *Cache) openSlice(ctx context.Context, req *Request, st *Stats, obj *object, k, off int64) (sliceBody, error) {
	if obj.pre != nil && obj.preK < 0 {
		return sliceBody{data: obj.pre[k*c.slice+off : min((k+1)*c.slice, obj.size)]}, nil
	}
	if obj.pre != nil && k == obj.preK {
		return sliceBody{data: obj.pre[off:]}, nil
	}
	id := obj.sliceID(k)
	c.mu.Lock()
	it := c.mem.slices[id]
	if it != nil {
		c.mem.touch(it)
		if obj.item != nil {
			c.mem.touch(obj.item)
		}
	}
	c.mu.Unlock()
	if it != nil {
		return sliceBody{data: it.data[off:], cached: true}, nil
	}
	if c.disk != nil {
		if f, _, ok := c.disk.open(id); ok {
			return sliceBody{f: f, off: off, cached: true}, nil
		}
	}
	if obj.encoding != "" {
		return sliceBody{}, fmt.Errorf("edge cache: compressed slice %d of %q lost", k, obj.path)
	}
	var data []byte
	var err error
	if obj.transient {
		data, err = c.fetchSlice(ctx, req, st, obj, k)
	} else {
		ch := c.flights.DoChan("s\x00"+id, func() (any, error) {
			return c.fetchSlice(context.WithoutCancel(ctx), req, st, obj, k)
		})
		select {
		case <-ctx.Done():
			return sliceBody{}, ctx.Err()
		case res := <-ch:
			if res.Err != nil {
				return sliceBody{}, res.Err
			}
			data = res.Val.([]byte)
		}
	}
	if err != nil {
		return sliceBody{}, err
	}
	return sliceBody{data: data[off:]}, nil
}

// fetchSlice gets slice k of obj with an origin range request bound to the
// object's ETag (If-Match), so slices of two versions never mix.
func (c *Cache) fetchSlice(ctx context.Context, req *Request, st *Stats, obj *object, k int64) ([]byte, error) {
	h := http.Header{}
	h.Set("Range", c.sliceRange(k, obj.size))
	if obj.etag != "" && !strings.HasPrefix(obj.etag, "W/") {
		h.Set("If-Match", obj.etag)
	}
	call, err := c.origin(ctx, req, st, h)
	if err != nil {
		return nil, err
	}
	defer call.release()
	resp := call.resp
	first, last, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
	if resp.StatusCode == http.StatusPreconditionFailed ||
		(resp.StatusCode == http.StatusPartialContent && (resp.Header.Get("ETag") != obj.etag || (ok && total != obj.size))) {
		c.drop(obj)
		return nil, ErrChanged
	}
	if resp.StatusCode != http.StatusPartialContent || !ok || first != k*c.slice || last != min(first+c.slice, obj.size)-1 {
		return nil, fmt.Errorf("%w: slice %d: status %d, Content-Range %q", ErrOrigin, k, resp.StatusCode, resp.Header.Get("Content-Range"))
	}
	data, _, err := readBody(resp.Body, last-first+1, st)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) != last-first+1 {
		return nil, fmt.Errorf("%w: short slice %d", ErrOrigin, k)
	}
	var ev evictions
	c.mu.Lock()
	c.putSliceLocked(obj, k, data, &ev)
	c.mu.Unlock()
	c.finish(ev)
	return data, nil
}

func (c *Cache) drop(obj *object) {
	var ev evictions
	c.mu.Lock()
	c.dropLocked(obj, &ev)
	c.mu.Unlock()
	c.finish(ev)
}

// bodyReader streams bytes [pos, end) of an object slice by slice, fetching
// a slice only when the viewer reaches it.
type bodyReader struct {
	ctx    context.Context
	c      *Cache
	req    *Request
	st     *Stats
	obj    *object
	pos    int64
	end    int64
	cur    sliceBody
	open   bool // cur holds the slice pos is in
	curEnd int64
}

func (b *bodyReader) next() error {
	k := b.pos / b.c.slice
	s, err := b.c.openSlice(b.ctx, b.req, b.st, b.obj, k, b.pos-k*b.c.slice)
	if err != nil {
		return err
	}
	b.cur, b.open = s, true
	b.curEnd = min(b.end, (k+1)*b.c.slice)
	return nil
}

func (b *bodyReader) closeSlice() error {
	var err error
	if b.cur.f != nil {
		err = b.cur.f.Close()
	}
	b.cur, b.open = sliceBody{}, false
	return err
}

func (b *bodyReader) Read(p []byte) (int, error) {
	for {
		if b.pos >= b.end {
			return 0, io.EOF
		}
		if !b.open {
			if err := b.next(); err != nil {
				return 0, err
			}
		}
		if int64(len(p)) > b.curEnd-b.pos {
			p = p[:b.curEnd-b.pos]
		}
		var n int
		var err error
		if b.cur.f != nil {
			n, err = b.cur.f.ReadAt(p, b.cur.off)
			b.cur.off += int64(n)
		} else {
			n = copy(p, b.cur.data)
			b.cur.data = b.cur.data[n:]
			if n == 0 {
				err = io.EOF
			}
		}
		b.pos += int64(n)
		if b.cur.cached {
			b.st.BytesFromCache.Add(int64(n))
		}
		if b.pos >= b.curEnd {
			_ = b.closeSlice()
		}
		if n > 0 {
			return n, nil
		}
		if err == io.EOF {
			return 0, io.ErrUnexpectedEOF
		}
		if err != nil {
			return 0, err
		}
	}
}

// WriteTo hands each slice to the writer whole: a memory slice in one
// Write, a disk slice as its *os.File under an io.LimitedReader, which a
// net/http ResponseWriter (through io.ReaderFrom) sends with sendfile.
func (b *bodyReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for b.pos < b.end {
		if !b.open {
			if err := b.next(); err != nil {
				return total, err
			}
		}
		want := b.curEnd - b.pos
		var n int64
		var err error
		if b.cur.f != nil {
			if _, err = b.cur.f.Seek(b.cur.off, io.SeekStart); err == nil {
				n, err = io.Copy(w, &io.LimitedReader{R: b.cur.f, N: want})
			}
		} else {
			data := b.cur.data
			if int64(len(data)) > want {
				data = data[:want]
			}
			var m int
			m, err = w.Write(data)
			n = int64(m)
		}
		if err == nil && n < want {
			err = io.ErrUnexpectedEOF
		}
		b.pos += n
		total += n
		if b.cur.cached {
			b.st.BytesFromCache.Add(n)
		}
		_ = b.closeSlice()
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (b *bodyReader) Close() error {
	if b.open {
		return b.closeSlice()
	}
	return nil
}

// viewer is the parsed part of the viewer's request the cache acts on.
type viewer struct {
	rng         s3.Range
	hasRange    bool // a single satisfiable-syntax byte range
	rangeHeader bool // any Range header at all
	ifRange     string
	ifNoneMatch string
	ifModSince  string
	h           http.Header // for Accept-Encoding, parsed only for a compressible object
}

// parseViewer reads the viewer's conditional and range fields. It looks
// them up by their canonical names directly: a request's header map holds
// canonical keys, and Header.Get would canonicalise each name again.
func parseViewer(h http.Header) viewer {
	v := viewer{
		ifRange:     first(h["If-Range"]),
		ifNoneMatch: strings.Join(h["If-None-Match"], ","),
		ifModSince:  first(h["If-Modified-Since"]),
		h:           h,
	}
	if r := first(h["Range"]); r != "" {
		v.rangeHeader = true
		v.rng, v.hasRange = s3.ParseRange(r)
	}
	return v
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// encoding picks the compression the viewer accepts: br over gzip, as
// CloudFront prefers.
func (v viewer) encoding() string {
	var acceptBr, acceptGzip bool
	for _, line := range v.h.Values("Accept-Encoding") {
		for _, part := range strings.Split(line, ",") {
			name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if q, found := strings.CutPrefix(strings.TrimSpace(params), "q="); found {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f <= 0 {
					continue
				}
			}
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "br":
				acceptBr = true
			case "gzip":
				acceptGzip = true
			}
		}
	}
	switch {
	case acceptBr:
		return "br"
	case acceptGzip:
		return "gzip"
	}
	return ""
}

// etagMatch is the weak comparison of RFC 9110 §8.8.3.2 against a list.
func etagMatch(list, etag string) bool {
	if etag == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

// notModifiedFields are the fields a 304 carries (RFC 9110 §15.4.5).
var notModifiedFields = []string{"Cache-Control", "Content-Location", "Date", "ETag", "Expires", "Last-Modified", "Vary"}

// respond builds the viewer's response from a resolved object; ost is the
// state it was resolved with, now the time it was.
func (c *Cache) respond(ctx context.Context, req *Request, st *Stats, obj *object, ost *state, res Result, v viewer, varyAE bool, now time.Time) *Response {
	if obj.identity != nil {
		c.mu.Lock()
		ost = obj.identity.st
		c.mu.Unlock()
	}
	out := &bodyResponse{}
	resp := &out.Response
	h := c.viewerHeader(obj, ost, varyAE)
	*resp = Response{Status: obj.status, Header: h, Body: http.NoBody, Result: res}
	if res != Miss {
		resp.age, resp.hasAge = int64(ost.age(now).Seconds()), true
	}
	off, n := int64(0), obj.size
	if obj.status == http.StatusOK {
		if c.notModified(v, h) {
			nm := http.Header{}
			for _, k := range notModifiedFields {
				if vs := h.Values(k); len(vs) > 0 {
					nm[http.CanonicalHeaderKey(k)] = vs
				}
			}
			resp.Status, resp.Header = http.StatusNotModified, nm
			return resp
		}
		if v.hasRange && obj.encoding == "" && ifRangeOK(v.ifRange, h) {
			h = h.Clone()
			resp.Header = h
			o, l, err := v.rng.Resolve(obj.size)
			if err != nil {
				resp.Status = http.StatusRequestedRangeNotSatisfiable
				h.Set("Content-Range", "bytes */"+strconv.FormatInt(obj.size, 10))
				h.Set("Content-Length", "0")
				h.Del("Content-Type")
				return resp
			}
			off, n = o, l
			resp.Status = http.StatusPartialContent
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", o, o+l-1, obj.size))
			h.Set("Content-Length", strconv.FormatInt(l, 10))
		}
	}
	if req.Viewer.Method != http.MethodHead && n > 0 {
		out.body = bodyReader{ctx: ctx, c: c, req: req, st: st, obj: obj, pos: off, end: off + n}
		resp.Body = &out.body
	}
	return resp
}

// bodyResponse is a Response and its body in one allocation.
type bodyResponse struct {
	Response
	body bodyReader
}

// viewerHeader is the header of a full response of an object in one
// state: built once, then shared by every hit until the state changes.
type viewerHeader struct {
	st     *state
	varyAE bool
	h      http.Header
}

// viewerHeader returns the fields of obj's full response for state ost
// (without Age and X-Cache): the stored fields but DropFields, the
// encoding's, Vary: Accept-Encoding when the object is compressible, and
// Accept-Ranges for an identity 200. The result is shared and read-only;
// its value slices are clipped, so that appending to one copies it.
func (c *Cache) viewerHeader(obj *object, ost *state, varyAE bool) http.Header {
	if vh := obj.viewerHdr.Load(); vh != nil && vh.st == ost && vh.varyAE == varyAE {
		return vh.h
	}
	h := ost.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	for _, k := range c.dropFields {
		delete(h, k)
	}
	if obj.encoding != "" {
		h.Set("Content-Encoding", obj.encoding)
		h.Set("Content-Length", strconv.FormatInt(obj.size, 10))
		h.Set("ETag", obj.etag)
		h.Del("Accept-Ranges")
	}
	if varyAE && !httpx.HasToken(h.Values("Vary"), "Accept-Encoding") {
		h.Add("Vary", "Accept-Encoding")
	}
	if obj.status == http.StatusOK && obj.encoding == "" && obj.size > 0 {
		h.Set("Accept-Ranges", "bytes")
	}
	for k, vs := range h {
		h[k] = slices.Clip(vs)
	}
	obj.viewerHdr.Store(&viewerHeader{st: ost, varyAE: varyAE, h: h})
	return h
}

// notModified evaluates If-None-Match, else If-Modified-Since (RFC 9110
// §13.2.2) against the representation about to be sent.
func (c *Cache) notModified(v viewer, h http.Header) bool {
	if v.ifNoneMatch != "" {
		return etagMatch(v.ifNoneMatch, h.Get("ETag"))
	}
	if v.ifModSince == "" {
		return false
	}
	ims, ok1 := s3.ParseHTTPTime(v.ifModSince)
	lm, ok2 := s3.ParseHTTPTime(h.Get("Last-Modified"))
	return ok1 && ok2 && !lm.After(ims)
}

// ifRangeOK: no If-Range, or one that matches the strong ETag or the exact
// Last-Modified date (RFC 9110 §13.1.5).
func ifRangeOK(ifRange string, h http.Header) bool {
	if ifRange == "" {
		return true
	}
	if strings.HasPrefix(ifRange, `"`) {
		return ifRange == h.Get("ETag")
	}
	return ifRange == h.Get("Last-Modified")
}
