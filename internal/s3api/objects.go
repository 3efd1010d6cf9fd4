package s3api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/coffer-project/coffer/internal/checksum"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/object"
	"github.com/coffer-project/coffer/internal/s3"
	"github.com/coffer-project/coffer/internal/s3err"
	"github.com/coffer-project/coffer/internal/s3xml"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// invalidArg is an InvalidArgument error naming the argument, as S3 does.
func invalidArg(msg, name, value string) error {
	return &s3err.Error{Code: s3err.InvalidArgument, Message: msg,
		Extra: []s3err.KV{{Name: "ArgumentName", Value: name}, {Name: "ArgumentValue", Value: value}}}
}

// objectHeaders reads the standard headers stored with an object.
func objectHeaders(h http.Header) meta.ObjectHeaders {
	return meta.ObjectHeaders{
		ContentType:        h.Get("Content-Type"),
		ContentEncoding:    contentEncoding(h),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		CacheControl:       h.Get("Cache-Control"),
		Expires:            h.Get("Expires"),
		WebsiteRedirect:    h.Get("x-amz-website-redirect-location"),
	}
}

// contentEncoding drops the aws-chunked transfer coding, which describes
// the request framing and is not part of the object.
func contentEncoding(h http.Header) string {
	var keep []string
	for _, v := range h.Values("Content-Encoding") {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if p != "" && !strings.EqualFold(p, "aws-chunked") {
				keep = append(keep, p)
			}
		}
	}
	return strings.Join(keep, ",")
}

// userMeta collects x-amz-meta-* headers (lower-cased names, prefix
// stripped) and checks the 2 KB limit.
func userMeta(h http.Header) (map[string]string, error) {
	var m map[string]string
	for k, v := range h {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, "x-amz-meta-") {
			continue
		}
		if m == nil {
			m = map[string]string{}
		}
		m[strings.TrimPrefix(lk, "x-amz-meta-")] = strings.Join(v, ",")
	}
	if err := s3.ValidUserMetadata(m); err != nil {
		return nil, err
	}
	return m, nil
}

func storageClass(h http.Header) (string, error) {
	sc := h.Get("x-amz-storage-class")
	if sc == "" {
		return "STANDARD", nil
	}
	if !s3.ValidStorageClass(sc) {
		return "", &s3err.Error{Code: s3err.InvalidStorageClass}
	}
	return sc, nil
}

func taggingHeader(h http.Header) ([]meta.Tag, error) {
	v := h.Get("x-amz-tagging")
	if v == "" {
		return nil, nil
	}
	tags, err := s3.ParseTaggingHeader(v)
	if err != nil {
		return nil, err
	}
	if err := s3.ValidateTags(tags, object.MaxTagsObject); err != nil {
		return nil, err
	}
	return toMetaTags(tags), nil
}

func toMetaTags(tags []s3.Tag) []meta.Tag {
	out := make([]meta.Tag, len(tags))
	for i, t := range tags {
		out[i] = meta.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// checksumInput reads what the client said about the body's checksum:
// an x-amz-checksum-* header, or one announced in x-amz-trailer.
func checksumInput(q *request) (object.ChecksumInput, error) {
	h := q.r.Header
	var in object.ChecksumInput
	algo, value, err := checksum.FromHeaders(h.Get)
	if err != nil {
		return in, &s3err.Error{Code: s3err.InvalidRequest, Message: err.Error()}
	}
	in.Algorithm, in.Value = string(algo), value
	named := h.Get("x-amz-sdk-checksum-algorithm")
	if named == "" {
		named = h.Get("x-amz-checksum-algorithm")
	}
	if trailer := strings.ToLower(strings.TrimSpace(h.Get("x-amz-trailer"))); strings.HasPrefix(trailer, "x-amz-checksum-") {
		ta, err := checksum.Parse(strings.TrimPrefix(trailer, "x-amz-checksum-"))
		if err != nil {
			return in, &s3err.Error{Code: s3err.InvalidRequest, Message: "The value specified in the x-amz-trailer header is not supported"}
		}
		if in.Algorithm != "" && in.Algorithm != string(ta) {
			return in, &s3err.Error{Code: s3err.InvalidRequest, Message: "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."}
		}
		in.Algorithm = string(ta)
		name := http.CanonicalHeaderKey(trailer)
		res := q.auth
		in.Trailer = func() string { return res.Trailer().Get(name) }
	}
	if named != "" {
		na, err := checksum.Parse(named)
		if err != nil {
			return in, &s3err.Error{Code: s3err.InvalidRequest, Message: "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"}
		}
		if in.Algorithm == "" {
			in.Algorithm = string(na)
		} else if in.Algorithm != string(na) {
			return in, &s3err.Error{Code: s3err.InvalidRequest, Message: fmt.Sprintf("Value for x-amz-checksum-%s header is invalid.", strings.ToLower(string(na)))}
		}
	}
	if t := h.Get("x-amz-checksum-type"); t != "" {
		ct, err := checksum.ParseType(t)
		if err != nil {
			return in, &s3err.Error{Code: s3err.InvalidRequest, Message: "Value for x-amz-checksum-type header is invalid."}
		}
		in.Type = string(ct)
	}
	return in, nil
}

// bodyLength is the decoded length of an upload body; S3 requires one.
func bodyLength(q *request) (int64, error) {
	n := q.auth.ContentLength
	if n < 0 {
		return 0, &s3err.Error{Code: s3err.MissingContentLength}
	}
	return n, nil
}

func (h *handler) putObject(q *request) error {
	size, err := bodyLength(q)
	if err != nil {
		return err
	}
	in, err := h.putInput(q)
	if err != nil {
		return err
	}
	in.Body, in.Size = q.auth.Body, size
	in.ContentMD5 = q.r.Header.Get("Content-MD5")
	if in.Checksum, err = checksumInput(q); err != nil {
		return err
	}
	in.IfMatch = q.r.Header.Get("If-Match")
	in.IfNoneMatch = q.r.Header.Get("If-None-Match")
	if in.IfNoneMatch != "" && in.IfNoneMatch != "*" {
		return &s3err.Error{Code: s3err.NotImplemented, Message: "A header you provided implies functionality that is not implemented", Extra: []s3err.KV{{Name: "Header", Value: "If-None-Match"}}}
	}
	if in.SSE, err = h.sseInput(q); err != nil {
		return err
	}
	defer clearCustomerKey(in.SSE.Customer)
	httpxInfo(q).BytesIn = size
	v, err := h.obj.PutObject(q.r.Context(), in)
	if err != nil {
		return err
	}
	setVersionHeaders(q.w.Header(), v)
	setSSEHeaders(q.w.Header(), v.Encryption, in.SSE.Customer, withContext|withCustomer)
	setExpirationHeader(q.w.Header(), q.bucket, &v)
	q.w.Header().Set("ETag", quoteETag(v.ETag))
	if in.Checksum.Algorithm != "" {
		setChecksumHeaders(q.w.Header(), v.Checksum)
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

// putInput reads the metadata headers shared by PutObject,
// CreateMultipartUpload and CopyObject (REPLACE).
func (h *handler) putInput(q *request) (object.PutInput, error) {
	in := object.PutInput{Bucket: q.op.Bucket, Key: q.op.Key, Owner: q.auth.Principal.AccountID}
	var err error
	if q.bucket != nil {
		// Who owns the object and its ACL (Object Ownership, x-amz-acl,
		// x-amz-grant-*). Without a bucket the handler reports NoSuchBucket.
		if in.Owner, in.ACL, err = h.writeACL(q, q.bucket); err != nil {
			return in, err
		}
	}
	in.Headers = objectHeaders(q.r.Header)
	if in.UserMeta, err = userMeta(q.r.Header); err != nil {
		return in, err
	}
	if in.StorageClass, err = storageClass(q.r.Header); err != nil {
		return in, err
	}
	if in.Tags, err = taggingHeader(q.r.Header); err != nil {
		return in, err
	}
	return in, nil
}

func quoteETag(etag string) string { return `"` + etag + `"` }

func setVersionHeaders(h http.Header, v meta.Version) {
	if v.VersionID != "" && v.VersionID != meta.NullVersionID {
		h.Set("x-amz-version-id", v.VersionID)
	}
}

func setChecksumHeaders(h http.Header, c meta.Checksum) {
	if c.Algorithm == "" {
		return
	}
	a := checksum.Algorithm(c.Algorithm)
	h.Set(a.Header(), c.Value)
	if c.Type != "" {
		h.Set("x-amz-checksum-type", c.Type)
	}
}

// conditions reads If-* headers (prefix "" for reads, "x-amz-copy-source-"
// for copy sources).
func conditions(h http.Header, prefix string) object.Conditions {
	c := object.Conditions{
		IfMatch:     h.Get(prefix + "If-Match"),
		IfNoneMatch: h.Get(prefix + "If-None-Match"),
	}
	if t, ok := s3.ParseHTTPTime(h.Get(prefix + "If-Modified-Since")); ok {
		c.IfModifiedSince = t
	}
	if t, ok := s3.ParseHTTPTime(h.Get(prefix + "If-Unmodified-Since")); ok {
		c.IfUnmodifiedSince = t
	}
	return c
}

// versionID reads ?versionId; an empty value is an error, as on S3.
func versionID(q *request) (string, error) {
	vals, ok := q.op.Query["versionId"]
	if !ok {
		return "", nil
	}
	if len(vals) == 0 || vals[0] == "" {
		return "", invalidArg("Version id cannot be the empty string", "versionId", "")
	}
	return vals[0], nil
}

func (h *handler) getObject(q *request, head bool) error {
	vid, err := versionID(q)
	if err != nil {
		return err
	}
	in := object.GetInput{Bucket: q.op.Bucket, Key: q.op.Key, VersionID: vid, Cond: conditions(q.r.Header, "")}
	if pn := q.op.Query.Get("partNumber"); pn != "" {
		n, err := strconv.Atoi(pn)
		if err != nil || n < 1 || n > object.MaxPartNumber {
			return invalidArg("Part number must be an integer between 1 and 10000, inclusive", "partNumber", pn)
		}
		in.PartNumber = n
	}
	if rh := q.r.Header.Get("Range"); rh != "" {
		if rg, ok := s3.ParseRange(rh); ok {
			in.Range = &rg
		}
	}
	overrides, err := responseOverrides(q)
	if err != nil {
		return err
	}
	if in.Customer, err = h.customerKey(q, ssecPrefix); err != nil {
		return err
	}
	defer clearCustomerKey(in.Customer)
	var res *object.ObjectReader
	if head {
		res, err = h.obj.HeadObject(q.r.Context(), in)
	} else {
		res, err = h.obj.GetObject(q.r.Context(), in)
	}
	if err != nil {
		if in.PartNumber > 0 && errors.Is(err, object.ErrInvalidRange) {
			// Range and partNumber exclude each other, so an unsatisfiable
			// read with a part number names a part the object lacks.
			return &s3err.Error{Code: s3err.InvalidPartNumber}
		}
		if errors.Is(err, object.ErrNotModified) && res != nil {
			// 304 carries the validators, and no body.
			q.w.Header().Set("ETag", quoteETag(res.Version.ETag))
			q.w.Header().Set("Last-Modified", res.Version.LastModified.UTC().Format(http.TimeFormat))
			setVersionHeaders(q.w.Header(), res.Version)
			q.w.WriteHeader(http.StatusNotModified)
			return nil
		}
		if errors.Is(err, object.ErrNoSuchKey) && vid == "" {
			return h.hideMissingKey(q, err)
		}
		return err
	}
	if res.Body != nil {
		defer res.Body.Close()
	}
	hd := q.w.Header()
	setObjectHeaders(hd, res.Version)
	restore, archive := object.ArchiveHeaders(q.bucket, &res.Version, h.now())
	if restore != "" {
		hd.Set("x-amz-restore", restore)
	}
	if archive != "" {
		hd.Set("x-amz-archive-status", archive)
	}
	if vid == "" || res.Version.IsLatest {
		if eh := object.ExpirationHeader(q.bucket, &res.Version); eh != "" {
			hd.Set("x-amz-expiration", eh)
		}
	}
	setSSEHeaders(hd, res.Version.Encryption, in.Customer, withCustomer)
	if strings.EqualFold(q.r.Header.Get("x-amz-checksum-mode"), "ENABLED") && !res.Partial {
		setChecksumHeaders(hd, res.Version.Checksum)
	} else if strings.EqualFold(q.r.Header.Get("x-amz-checksum-mode"), "ENABLED") && in.PartNumber > 0 && in.PartNumber <= len(res.Version.Parts) {
		// A part of a multipart object reports that part's checksum.
		p := res.Version.Parts[in.PartNumber-1]
		setChecksumHeaders(hd, meta.Checksum{Algorithm: p.Checksum.Algorithm, Value: p.Checksum.Value})
	}
	if in.PartNumber > 0 && res.PartsCount > 0 {
		// S3 reports the part count only to part-number reads.
		hd.Set("x-amz-mp-parts-count", strconv.Itoa(res.PartsCount))
	}
	for k, v := range overrides {
		hd.Set(k, v)
	}
	hd.Set("Content-Length", itoa(res.Length))
	status := http.StatusOK
	if res.Partial {
		status = http.StatusPartialContent
		hd.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", res.Offset, res.Offset+res.Length-1, res.Version.Size))
	}
	q.w.WriteHeader(status)
	if head || res.Body == nil {
		return nil
	}
	if _, err := io.Copy(q.w, res.Body); err != nil {
		// Headers are gone; the client sees a short body. Abort the
		// connection so it cannot mistake it for a complete one.
		if errors.Is(err, object.ErrIntegrity) {
			h.log.Error("integrity failure: stored object data failed authentication", "request_id", requestID(q),
				"bucket", q.op.Bucket, "key", q.op.Key, "version_id", res.Version.VersionID, "err", err)
		} else {
			h.log.Warn("get object: body copy failed", "request_id", requestID(q), "err", err)
		}
		panic(http.ErrAbortHandler)
	}
	return nil
}

// setObjectHeaders writes the stored metadata of a version.
func setObjectHeaders(hd http.Header, v meta.Version) {
	hd.Set("ETag", quoteETag(v.ETag))
	hd.Set("Last-Modified", v.LastModified.UTC().Format(http.TimeFormat))
	hd.Set("Accept-Ranges", "bytes")
	ct := v.Headers.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	hd.Set("Content-Type", ct)
	set := func(k, v string) {
		if v != "" {
			hd.Set(k, v)
		}
	}
	set("Content-Encoding", v.Headers.ContentEncoding)
	set("Content-Disposition", v.Headers.ContentDisposition)
	set("Content-Language", v.Headers.ContentLanguage)
	set("Cache-Control", v.Headers.CacheControl)
	set("Expires", v.Headers.Expires)
	set("x-amz-website-redirect-location", v.Headers.WebsiteRedirect)
	if v.StorageClass != "" && v.StorageClass != "STANDARD" {
		hd.Set("x-amz-storage-class", v.StorageClass)
	}
	for k, val := range v.UserMeta {
		hd["X-Amz-Meta-"+k] = []string{val}
	}
	if n := len(v.Tags); n > 0 {
		hd.Set("x-amz-tagging-count", strconv.Itoa(n))
	}
	setVersionHeaders(hd, v)
}

// responseOverrides reads the response-* query parameters of GetObject.
func responseOverrides(q *request) (map[string]string, error) {
	names := map[string]string{
		"response-content-type":        "Content-Type",
		"response-content-language":    "Content-Language",
		"response-expires":             "Expires",
		"response-cache-control":       "Cache-Control",
		"response-content-disposition": "Content-Disposition",
		"response-content-encoding":    "Content-Encoding",
	}
	var out map[string]string
	for param, header := range names {
		if v, ok := q.op.Query[param]; ok && len(v) > 0 {
			if q.auth.Principal.Anonymous {
				return nil, &s3err.Error{Code: s3err.InvalidRequest, Message: "Request specific response headers cannot be used for anonymous GET requests."}
			}
			if out == nil {
				out = map[string]string{}
			}
			out[header] = v[0]
		}
	}
	return out, nil
}

func (h *handler) deleteObject(q *request) error {
	vid, err := versionID(q)
	if err != nil {
		return err
	}
	if vid != "" && q.bucket != nil && q.bucket.MFADelete == "Enabled" {
		if err := h.checkMFAHeader(q, q.bucket); err != nil {
			return err
		}
	}
	res, err := h.obj.DeleteObject(q.r.Context(), object.DeleteInput{
		Bucket: q.op.Bucket, Key: q.op.Key, VersionID: vid, IfMatch: q.r.Header.Get("If-Match"),
	})
	if err != nil {
		return err
	}
	if res.DeleteMarker {
		q.w.Header().Set("x-amz-delete-marker", "true")
	}
	if res.VersionID != "" && (res.VersionID != meta.NullVersionID || vid != "" || res.DeleteMarker) {
		q.w.Header().Set("x-amz-version-id", res.VersionID)
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// copySource parses x-amz-copy-source: "bucket/key[?versionId=…]", with
// an optional leading slash, URL-encoded.
func copySource(h http.Header) (bucket, key, version string, err error) {
	src := h.Get("x-amz-copy-source")
	bad := invalidArg("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", "x-amz-copy-source", src)
	path, query, _ := strings.Cut(src, "?")
	if query != "" {
		vals, perr := url.ParseQuery(query)
		if perr != nil {
			return "", "", "", bad
		}
		version = vals.Get("versionId")
		if _, ok := vals["versionId"]; ok && version == "" {
			return "", "", "", invalidArg("Version id cannot be the empty string", "versionId", "")
		}
	}
	p, perr := url.PathUnescape(path)
	if perr != nil {
		return "", "", "", bad
	}
	p = strings.TrimPrefix(p, "/")
	bucket, key, ok := strings.Cut(p, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", "", bad
	}
	return bucket, key, version, nil
}

func (h *handler) copyObject(q *request) error {
	sb, sk, sv, err := copySource(q.r.Header)
	if err != nil {
		return err
	}
	if err := h.authorizeCopySource(q, sb, sk, sv); err != nil {
		return err
	}
	dst, err := h.putInput(q)
	if err != nil {
		return err
	}
	dst.IfMatch = q.r.Header.Get("If-Match")
	dst.IfNoneMatch = q.r.Header.Get("If-None-Match")
	if dst.SSE, err = h.sseInput(q); err != nil {
		return err
	}
	defer clearCustomerKey(dst.SSE.Customer)
	in := object.CopyInput{SrcBucket: sb, SrcKey: sk, SrcVersionID: sv, SrcCond: conditions(q.r.Header, "x-amz-copy-source-"), Dst: dst}
	if in.SrcCustomer, err = h.customerKey(q, copySSECPrefix); err != nil {
		return err
	}
	defer clearCustomerKey(in.SrcCustomer)
	switch d := q.r.Header.Get("x-amz-metadata-directive"); d {
	case "", "COPY":
	case "REPLACE":
		in.ReplaceMetadata = true
	default:
		return invalidArg("Unknown metadata directive.", "x-amz-metadata-directive", d)
	}
	switch d := q.r.Header.Get("x-amz-tagging-directive"); d {
	case "", "COPY":
	case "REPLACE":
		in.ReplaceTags = true
	default:
		return invalidArg("Unknown tagging directive.", "x-amz-tagging-directive", d)
	}
	if in.Dst.Checksum.Algorithm = q.r.Header.Get("x-amz-checksum-algorithm"); in.Dst.Checksum.Algorithm != "" {
		a, err := checksum.Parse(in.Dst.Checksum.Algorithm)
		if err != nil {
			return &s3err.Error{Code: s3err.InvalidRequest, Message: "Checksum algorithm provided is unsupported."}
		}
		in.Dst.Checksum.Algorithm = string(a)
	}
	v, src, err := h.obj.CopyObject(q.r.Context(), in)
	if err != nil {
		return err
	}
	if src.VersionID != "" && src.VersionID != meta.NullVersionID {
		q.w.Header().Set("x-amz-copy-source-version-id", src.VersionID)
	}
	setVersionHeaders(q.w.Header(), v)
	setSSEHeaders(q.w.Header(), v.Encryption, dst.SSE.Customer, withContext|withCustomer)
	setExpirationHeader(q.w.Header(), q.bucket, &v)
	return writeXML(q.w, http.StatusOK, copyResult(v))
}

// setExpirationHeader sets x-amz-expiration for a new current version v
// of bucket b when its lifecycle configuration expires it, as S3 answers
// PutObject, CopyObject and CompleteMultipartUpload.
func setExpirationHeader(hd http.Header, b *meta.Bucket, v *meta.Version) {
	if eh := object.ExpirationHeader(b, v); eh != "" {
		hd.Set("x-amz-expiration", eh)
	}
}

func copyResult(v meta.Version) s3xml.CopyObjectResult {
	res := s3xml.CopyObjectResult{ETag: quoteETag(v.ETag), LastModified: s3xml.NewTime(v.LastModified)}
	if v.Checksum.Algorithm != "" {
		res.Checksums.Set(v.Checksum.Algorithm, v.Checksum.Value)
		res.ChecksumType = v.Checksum.Type
	}
	return res
}

// restoreObject starts (202 Accepted) or extends (200 OK) the restore of
// an archived object.
func (h *handler) restoreObject(q *request) error {
	vid, err := versionID(q)
	if err != nil {
		return err
	}
	var doc s3xml.RestoreRequest
	if err := decodeXML(q, &doc); err != nil {
		return err
	}
	in := object.RestoreInput{Bucket: q.op.Bucket, Key: q.op.Key, VersionID: vid, Days: doc.Days}
	if doc.GlacierJobParameters != nil {
		in.Tier = doc.GlacierJobParameters.Tier
	}
	started, err := h.obj.RestoreObject(q.r.Context(), in)
	if err != nil {
		return err
	}
	if started {
		q.w.WriteHeader(http.StatusAccepted)
	} else {
		q.w.WriteHeader(http.StatusOK)
	}
	return nil
}
