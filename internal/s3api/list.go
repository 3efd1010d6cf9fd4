package s3api

import (
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/object"
	"github.com/coffer-project/coffer/internal/s3err"
	"github.com/coffer-project/coffer/internal/s3xml"
)

// Continuation tokens are opaque to clients; they carry the key to resume
// after, base64url-encoded with a version prefix so the format can change.
const tokenPrefix = "1:"

func encodeToken(after string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + after))
}

func decodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !strings.HasPrefix(string(b), tokenPrefix) {
		return "", errors.New("s3api: bad continuation token")
	}
	return strings.TrimPrefix(string(b), tokenPrefix), nil
}

// encoder applies encoding-type=url to keys and prefixes in listings.
type encoder bool

func listEncoding(q *request) (encoder, error) {
	switch t := q.op.Query.Get("encoding-type"); t {
	case "":
		return false, nil
	case "url":
		return true, nil
	default:
		return false, invalidArg("Invalid Encoding Method specified in Request", "encoding-type", t)
	}
}

func (e encoder) enc(s string) string {
	if !e {
		return s
	}
	return urlEncode(s)
}

func (e encoder) typ() string {
	if e {
		return "url"
	}
	return ""
}

func maxKeys(q *request) (int, error) {
	return intParam(q, "max-keys", object.MaxListKeys, object.MaxListKeys)
}

func (h *handler) listObjects(q *request, v2 bool) error {
	enc, err := listEncoding(q)
	if err != nil {
		return err
	}
	limit, err := maxKeys(q)
	if err != nil {
		return err
	}
	qs := q.op.Query
	in := object.ListInput{Bucket: q.op.Bucket, Prefix: qs.Get("prefix"), Delimiter: qs.Get("delimiter"), MaxKeys: limit}
	token := qs.Get("continuation-token")
	if v2 {
		in.After = qs.Get("start-after")
		if _, ok := qs["continuation-token"]; ok {
			if token == "" {
				return invalidArg("The continuation token provided is incorrect", "continuation-token", token)
			}
			if in.After, err = decodeToken(token); err != nil {
				return invalidArg("The continuation token provided is incorrect", "continuation-token", token)
			}
		}
	} else {
		in.After = qs.Get("marker")
	}
	res, err := h.obj.ListObjects(q.r.Context(), in)
	if err != nil {
		return err
	}
	fetchOwner := !v2 || qs.Get("fetch-owner") == "true"
	var contents []s3xml.Object
	for _, o := range res.Objects {
		xo := s3xml.Object{
			Key: enc.enc(o.Key), LastModified: s3xml.NewTime(o.LastModified), ETag: quoteETag(o.ETag),
			Size: o.Size, StorageClass: storageClassOrStandard(o.StorageClass),
		}
		if o.Checksum.Algorithm != "" {
			xo.ChecksumAlgorithm = []string{o.Checksum.Algorithm}
			xo.ChecksumType = o.Checksum.Type
		}
		if fetchOwner {
			xo.Owner = h.objectOwner(q.r.Context(), q.bucket, o.Owner)
		}
		contents = append(contents, xo)
	}
	var prefixes []s3xml.CommonPrefix
	for _, p := range res.CommonPrefixes {
		prefixes = append(prefixes, s3xml.CommonPrefix{Prefix: enc.enc(p)})
	}
	if v2 {
		out := s3xml.ListBucketResultV2{
			Name: q.op.Bucket, Prefix: enc.enc(in.Prefix), Delimiter: enc.enc(in.Delimiter), MaxKeys: limit,
			EncodingType: enc.typ(), KeyCount: len(contents) + len(prefixes), IsTruncated: res.IsTruncated,
			ContinuationToken: token, StartAfter: enc.enc(qs.Get("start-after")),
			Contents: contents, CommonPrefixes: prefixes,
		}
		if res.IsTruncated {
			out.NextContinuationToken = encodeToken(res.NextAfter)
		}
		return writeXML(q.w, http.StatusOK, out)
	}
	out := s3xml.ListBucketResult{
		Name: q.op.Bucket, Prefix: enc.enc(in.Prefix), Delimiter: enc.enc(in.Delimiter), MaxKeys: limit,
		EncodingType: enc.typ(), IsTruncated: res.IsTruncated, Marker: enc.enc(in.After),
		Contents: contents, CommonPrefixes: prefixes,
	}
	// S3 returns NextMarker only when a delimiter was given; clients use
	// the last key otherwise.
	if res.IsTruncated && in.Delimiter != "" {
		out.NextMarker = enc.enc(res.NextAfter)
	}
	return writeXML(q.w, http.StatusOK, out)
}

func storageClassOrStandard(sc string) string {
	if sc == "" {
		return "STANDARD"
	}
	return sc
}

func (h *handler) listObjectVersions(q *request) error {
	enc, err := listEncoding(q)
	if err != nil {
		return err
	}
	limit, err := maxKeys(q)
	if err != nil {
		return err
	}
	qs := q.op.Query
	in := object.VersionListInput{
		Bucket: q.op.Bucket, Prefix: qs.Get("prefix"), Delimiter: qs.Get("delimiter"),
		KeyMarker: qs.Get("key-marker"), VersionIDMarker: qs.Get("version-id-marker"), MaxKeys: limit,
	}
	if in.VersionIDMarker != "" && in.KeyMarker == "" {
		return invalidArg("A version-id marker cannot be specified without a key marker.", "version-id-marker", in.VersionIDMarker)
	}
	res, err := h.obj.ListObjectVersions(q.r.Context(), in)
	if err != nil {
		return err
	}
	out := s3xml.ListVersionsResult{
		Name: q.op.Bucket, Prefix: enc.enc(in.Prefix), Delimiter: enc.enc(in.Delimiter), MaxKeys: limit,
		EncodingType: enc.typ(), IsTruncated: res.IsTruncated,
		KeyMarker: enc.enc(in.KeyMarker), VersionIDMarker: in.VersionIDMarker,
	}
	if res.IsTruncated {
		out.NextKeyMarker = enc.enc(res.NextKeyMarker)
		out.NextVersionIDMarker = res.NextVersionIDMarker
	}
	for _, v := range res.Versions {
		out.Entries = append(out.Entries, versionEntry(v, enc, h.objectOwner(q.r.Context(), q.bucket, v.Owner)))
	}
	for _, p := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, s3xml.CommonPrefix{Prefix: enc.enc(p)})
	}
	return writeXML(q.w, http.StatusOK, out)
}

func versionEntry(v meta.Version, enc encoder, owner *s3xml.Owner) s3xml.VersionEntry {
	if v.DeleteMarker {
		return s3xml.VersionEntry{DeleteMarker: &s3xml.DeleteMarkerEntry{
			Key: enc.enc(v.Key), VersionID: v.VersionID, IsLatest: v.IsLatest,
			LastModified: s3xml.NewTime(v.LastModified), Owner: owner,
		}}
	}
	e := &s3xml.ObjectVersion{
		Key: enc.enc(v.Key), VersionID: v.VersionID, IsLatest: v.IsLatest,
		LastModified: s3xml.NewTime(v.LastModified), ETag: quoteETag(v.ETag), Size: v.Size,
		StorageClass: storageClassOrStandard(v.StorageClass), Owner: owner,
	}
	if v.Checksum.Algorithm != "" {
		e.ChecksumAlgorithm = []string{v.Checksum.Algorithm}
		e.ChecksumType = v.Checksum.Type
	}
	return s3xml.VersionEntry{Version: e}
}

func (h *handler) listMultipartUploads(q *request) error {
	enc, err := listEncoding(q)
	if err != nil {
		return err
	}
	limit, err := intParam(q, "max-uploads", 1000, 1000)
	if err != nil {
		return err
	}
	qs := q.op.Query
	in := object.ListUploadsInput{
		Bucket: q.op.Bucket, Prefix: qs.Get("prefix"), Delimiter: qs.Get("delimiter"),
		KeyMarker: qs.Get("key-marker"), UploadIDMarker: qs.Get("upload-id-marker"), MaxUploads: limit,
	}
	res, err := h.obj.ListMultipartUploads(q.r.Context(), in)
	if err != nil {
		return err
	}
	out := s3xml.ListMultipartUploadsResult{
		Bucket: q.op.Bucket, Prefix: enc.enc(in.Prefix), Delimiter: enc.enc(in.Delimiter), MaxUploads: limit,
		EncodingType: enc.typ(), IsTruncated: res.IsTruncated,
		KeyMarker: enc.enc(in.KeyMarker), UploadIDMarker: in.UploadIDMarker,
		NextKeyMarker: enc.enc(res.NextKeyMarker), NextUploadIDMarker: res.NextUploadIDMarker,
	}
	for _, u := range res.Uploads {
		out.Uploads = append(out.Uploads, s3xml.Upload{
			Key: enc.enc(u.Key), UploadID: u.UploadID, Initiated: s3xml.NewTime(u.Initiated),
			StorageClass:      storageClassOrStandard(u.StorageClass),
			Initiator:         h.owner(q.r.Context(), u.Owner),
			Owner:             h.owner(q.r.Context(), u.Owner),
			ChecksumAlgorithm: u.ChecksumAlgo, ChecksumType: u.ChecksumType,
		})
	}
	for _, p := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, s3xml.CommonPrefix{Prefix: enc.enc(p)})
	}
	return writeXML(q.w, http.StatusOK, out)
}

func (h *handler) deleteObjects(q *request) error {
	if q.r.Header.Get("Content-MD5") == "" && !hasAnyChecksum(q) {
		return &s3err.Error{Code: s3err.InvalidRequest, Message: "Missing required header for this request: Content-MD5"}
	}
	var doc s3xml.Delete
	if err := decodeXML(q, &doc); err != nil {
		return err
	}
	if len(doc.Objects) > object.MaxDeleteKeys {
		return &s3err.Error{Code: s3err.MalformedXML, Message: "The XML you provided was not well-formed or did not validate against our published schema"}
	}
	bucket, err := h.bucketOf(q)
	if err != nil {
		return err
	}
	if bucket.MFADelete == "Enabled" && slices.ContainsFunc(doc.Objects, func(o s3xml.ObjectToDelete) bool { return o.VersionID != "" }) {
		if err := h.checkMFAHeader(q, &bucket); err != nil {
			return err
		}
	}
	// Each key is authorized as its own DeleteObject; refused keys are
	// reported as AccessDenied in the result, the others deleted.
	results := make([]object.DeleteResult, len(doc.Objects))
	var allowed []object.DeleteInput
	var at []int // index in results of each allowed item
	for i, o := range doc.Objects {
		in := object.DeleteInput{Bucket: q.op.Bucket, Key: o.Key, VersionID: o.VersionID}
		switch err := h.authorizeDelete(q.r, q.auth, &bucket, in); {
		case errors.Is(err, errAccessDenied) || errors.Is(err, auth.ErrMissingAuth):
			results[i] = object.DeleteResult{Key: o.Key, VersionID: o.VersionID, Err: errAccessDenied}
			continue
		case err != nil:
			return err
		}
		allowed = append(allowed, in)
		at = append(at, i)
	}
	if len(allowed) > 0 {
		done, err := h.obj.DeleteObjects(q.r.Context(), q.op.Bucket, allowed)
		if err != nil {
			return err
		}
		for j, r := range done {
			results[at[j]] = r
		}
	}
	var out s3xml.DeleteResult
	for _, r := range results {
		if r.Err != nil {
			e, known := toS3(r.Err)
			if !known {
				h.log.Error("delete objects: internal error", "request_id", requestID(q), "key", r.Key, "err", r.Err)
			}
			msg := e.Message
			if msg == "" {
				msg = e.Code.Message
			}
			out.Errors = append(out.Errors, s3xml.DeleteError{Key: r.Key, VersionID: r.VersionID, Code: e.Code.Name, Message: msg})
			continue
		}
		if doc.Quiet {
			continue
		}
		d := s3xml.DeletedObject{Key: r.Key, VersionID: r.VersionID}
		if r.DeleteMarker {
			d.DeleteMarker = true
			d.DeleteMarkerVersionID = r.DeleteMarkerVersionID
		}
		out.Deleted = append(out.Deleted, d)
	}
	return writeXML(q.w, http.StatusOK, out)
}

func hasAnyChecksum(q *request) bool {
	if q.r.Header.Get("x-amz-sdk-checksum-algorithm") != "" || q.r.Header.Get("x-amz-trailer") != "" {
		return true
	}
	for k := range q.r.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-checksum-") && !strings.EqualFold(k, "x-amz-checksum-algorithm") {
			return true
		}
	}
	return false
}
