package cache

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/andybalholm/brotli"
)

// CloudFront compresses bodies from 1,000 to 10,000,000 bytes.
const (
	minCompressSize = 1000
	maxCompressSize = 10_000_000
)

// compressibleTypes follows CloudFront's list of file types it compresses
// (every text/* type is compressible as well).
var compressibleTypes = map[string]bool{
	"application/dash+xml": true, "application/eot": true, "application/font": true,
	"application/font-sfnt": true, "application/javascript": true, "application/json": true,
	"application/opentype": true, "application/otf": true, "application/pdf": true,
	"application/pkcs7-mime": true, "application/protobuf": true, "application/rss+xml": true,
	"application/truetype": true, "application/ttf": true, "application/vnd.apple.mpegurl": true,
	"application/vnd.mapbox-vector-tile": true, "application/vnd.ms-fontobject": true,
	"application/wasm": true, "application/xhtml+xml": true, "application/xml": true,
	"application/x-font-opentype": true, "application/x-font-truetype": true,
	"application/x-font-ttf": true, "application/x-httpd-cgi": true,
	"application/x-javascript": true, "application/x-mpegurl": true,
	"application/x-opentype": true, "application/x-otf": true, "application/x-perl": true,
	"application/x-ttf": true, "font/eot": true, "font/ttf": true, "font/otf": true,
	"font/opentype": true, "image/svg+xml": true, "image/vnd.microsoft.icon": true,
	"image/x-icon": true, "image/x-ms-bmp": true, "multipart/bag": true,
	"multipart/mixed": true, "application/atom+xml": true, "application/ld+json": true,
	"application/manifest+json": true,
}

// compressible reports whether obj may be served compressed to a viewer
// that accepts it: the behaviour compresses, the response is a cached 200
// of a compressible type between 1,000 and 10,000,000 bytes, the origin did
// not encode it already and did not forbid transformation (st.encodable).
func compressible(req *Request, obj *object, st *state) bool {
	return req.Compress && !obj.transient && obj.status == http.StatusOK &&
		obj.size >= minCompressSize && obj.size <= maxCompressSize && st.encodable
}

// encodable reports whether a stored header set allows compression: a
// compressible Content-Type, no Content-Encoding, no no-transform.
func encodable(h http.Header, d directives) bool {
	if ce := h.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return false
	}
	if d.noTransform {
		return false
	}
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || compressibleTypes[mt]
}

// weakETag turns an ETag into its weak form, as CloudFront does for the
// objects it compresses (the bytes differ, the semantics do not).
func weakETag(etag string) string {
	if etag == "" || strings.HasPrefix(etag, "W/") {
		return etag
	}
	return "W/" + etag
}

// compressed returns the enc-compressed variant of the identity object id,
// compressing and caching it on first use. It shares id's freshness and is
// dropped with it. It returns nil when the variant cannot be produced.
func (c *Cache) compressed(ctx context.Context, req *Request, st *Stats, id *object, enc string) (*object, error) {
	key := id.key + "\x00ce=" + enc + "\x00" + id.version
	if cobj := c.cachedVariant(key); cobj != nil {
		return cobj, nil
	}
	ch := c.flights.DoChan("c\x00"+key, func() (any, error) {
		return c.compress(context.WithoutCancel(ctx), req, st, id, enc, key)
	})
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*object), nil
	}
}

// cachedVariant returns the published variant under key if all its slices
// are still in a tier (a compressed slice cannot be refetched).
func (c *Cache) cachedVariant(key string) *object {
	c.mu.Lock()
	cobj := c.objects[key]
	if cobj == nil {
		c.mu.Unlock()
		return nil
	}
	c.mem.touch(cobj.item)
	missing := []string{}
	for k := int64(0); k < cobj.nslices(c.slice); k++ {
		if id := cobj.sliceID(k); c.mem.slices[id] == nil {
			missing = append(missing, id)
		}
	}
	c.mu.Unlock()
	if len(missing) > 0 && c.disk != nil {
		var still []string
		for _, id := range missing {
			if f, _, ok := c.disk.open(id); ok {
				_ = f.Close()
			} else {
				still = append(still, id)
			}
		}
		missing = still
	}
	if len(missing) > 0 {
		c.drop(cobj)
		return nil
	}
	return cobj
}

func (c *Cache) compress(ctx context.Context, req *Request, st *Stats, id *object, enc, key string) (*object, error) {
	var buf bytes.Buffer
	var w io.WriteCloser
	switch enc {
	case "br":
		w = brotli.NewWriterLevel(&buf, 5)
	default:
		w = gzip.NewWriter(&buf)
	}
	body := &bodyReader{ctx: ctx, c: c, req: req, st: &Stats{}, obj: id, end: id.size}
	if _, err := io.Copy(w, body); err != nil {
		_ = body.Close()
		return nil, fmt.Errorf("edge cache: compress %q: %w", id.path, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("edge cache: compress %q: %w", id.path, err)
	}
	data := buf.Bytes()
	cobj := &object{
		key: key, dist: id.dist, path: id.path, status: http.StatusOK,
		size: int64(len(data)), etag: weakETag(id.etag), version: id.version,
		encoding: enc, identity: id,
	}
	var ev evictions
	c.mu.Lock()
	cobj.st = id.st
	if c.objects[id.key] != id {
		c.mu.Unlock()
		cobj.transient, cobj.pre, cobj.preK = true, data, -1
		return cobj, nil
	}
	c.insertLocked(cobj, &ev)
	id.variants = append(id.variants, cobj)
	for k := int64(0); k < cobj.nslices(c.slice); k++ {
		c.putSliceLocked(cobj, k, data[k*c.slice:min((k+1)*c.slice, cobj.size)], &ev)
	}
	published := c.objects[key] == cobj
	c.mu.Unlock()
	c.finish(ev)
	if !published {
		cobj.transient, cobj.pre, cobj.preK = true, data, -1
	}
	return cobj, nil
}
