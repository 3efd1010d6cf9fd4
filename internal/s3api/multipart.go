package s3api

import (
	"net/http"
	"strconv"

	"github.com/coffer-project/coffer/internal/checksum"
	"github.com/coffer-project/coffer/internal/object"
	"github.com/coffer-project/coffer/internal/s3"
	"github.com/coffer-project/coffer/internal/s3err"
	"github.com/coffer-project/coffer/internal/s3xml"
)

func (h *handler) createMultipartUpload(q *request) error {
	p, err := h.putInput(q)
	if err != nil {
		return err
	}
	in := object.CreateUploadInput{
		Bucket: p.Bucket, Key: p.Key, Owner: p.Owner, Headers: p.Headers, UserMeta: p.UserMeta,
		Tags: p.Tags, StorageClass: p.StorageClass, ACL: p.ACL,
	}
	if in.SSE, err = h.sseInput(q); err != nil {
		return err
	}
	defer clearCustomerKey(in.SSE.Customer)
	if a := q.r.Header.Get("x-amz-checksum-algorithm"); a != "" {
		algo, err := checksum.Parse(a)
		if err != nil {
			return &s3err.Error{Code: s3err.InvalidRequest, Message: "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"}
		}
		in.ChecksumAlgo = string(algo)
		in.ChecksumType = string(algo.DefaultType())
	}
	if t := q.r.Header.Get("x-amz-checksum-type"); t != "" {
		ct, err := checksum.ParseType(t)
		if err != nil {
			return &s3err.Error{Code: s3err.InvalidRequest, Message: "Value for x-amz-checksum-type header is invalid."}
		}
		if in.ChecksumAlgo == "" {
			return &s3err.Error{Code: s3err.InvalidRequest, Message: "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."}
		}
		if !checksum.Algorithm(in.ChecksumAlgo).Supports(ct) {
			return &s3err.Error{Code: s3err.InvalidRequest, Message: "The " + string(ct) + " checksum type cannot be used with the " + in.ChecksumAlgo + " checksum algorithm."}
		}
		in.ChecksumType = string(ct)
	}
	up, err := h.obj.CreateMultipartUpload(q.r.Context(), in)
	if err != nil {
		return err
	}
	if up.ChecksumAlgo != "" {
		q.w.Header().Set("x-amz-checksum-algorithm", up.ChecksumAlgo)
		q.w.Header().Set("x-amz-checksum-type", up.ChecksumType)
	}
	setSSEHeaders(q.w.Header(), up.Encryption, in.SSE.Customer, withContext|withCustomer)
	return writeXML(q.w, http.StatusOK, s3xml.InitiateMultipartUploadResult{
		Bucket: up.Bucket, Key: up.Key, UploadID: up.UploadID,
	})
}

// partNumber reads ?partNumber for UploadPart and UploadPartCopy.
func partNumber(q *request) (int, error) {
	pn := q.op.Query.Get("partNumber")
	n, err := strconv.Atoi(pn)
	if err != nil || n < 1 || n > object.MaxPartNumber {
		return 0, invalidArg("Part number must be an integer between 1 and 10000, inclusive", "partNumber", pn)
	}
	return n, nil
}

func uploadID(q *request) (string, error) {
	id := q.op.Query.Get("uploadId")
	if id == "" {
		return "", &s3err.Error{Code: s3err.NoSuchUpload}
	}
	return id, nil
}

// partTarget reads the part number and upload ID of UploadPart and
// UploadPartCopy.
func partTarget(q *request) (n int, id string, err error) {
	if n, err = partNumber(q); err != nil {
		return 0, "", err
	}
	id, err = uploadID(q)
	return n, id, err
}

func (h *handler) uploadPart(q *request) error {
	n, id, err := partTarget(q)
	if err != nil {
		return err
	}
	size, err := bodyLength(q)
	if err != nil {
		return err
	}
	ck, err := checksumInput(q)
	if err != nil {
		return err
	}
	customer, err := h.customerKey(q, ssecPrefix)
	if err != nil {
		return err
	}
	defer clearCustomerKey(customer)
	httpxInfo(q).BytesIn = size
	p, err := h.obj.UploadPart(q.r.Context(), object.UploadPartInput{
		Bucket: q.op.Bucket, Key: q.op.Key, UploadID: id, PartNumber: n,
		Body: q.auth.Body, Size: size, ContentMD5: q.r.Header.Get("Content-MD5"), Checksum: ck,
		Customer: customer,
	})
	if err != nil {
		return err
	}
	setSSEHeaders(q.w.Header(), p.Encryption, customer, withCustomer)
	q.w.Header().Set("ETag", quoteETag(p.ETag))
	if p.Checksum.Algorithm != "" {
		q.w.Header().Set(checksum.Algorithm(p.Checksum.Algorithm).Header(), p.Checksum.Value)
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (h *handler) uploadPartCopy(q *request) error {
	n, id, err := partTarget(q)
	if err != nil {
		return err
	}
	sb, sk, sv, err := copySource(q.r.Header)
	if err != nil {
		return err
	}
	if err := h.authorizeCopySource(q, sb, sk, sv); err != nil {
		return err
	}
	in := object.UploadPartCopyInput{
		Bucket: q.op.Bucket, Key: q.op.Key, UploadID: id, PartNumber: n,
		SrcBucket: sb, SrcKey: sk, SrcVersionID: sv, SrcCond: conditions(q.r.Header, "x-amz-copy-source-"),
	}
	if rh := q.r.Header.Get("x-amz-copy-source-range"); rh != "" {
		rg, err := s3.ParseCopySourceRange(rh)
		if err != nil {
			return err
		}
		in.SrcRange = &rg
	}
	if in.Customer, err = h.customerKey(q, ssecPrefix); err != nil {
		return err
	}
	defer clearCustomerKey(in.Customer)
	if in.SrcCustomer, err = h.customerKey(q, copySSECPrefix); err != nil {
		return err
	}
	defer clearCustomerKey(in.SrcCustomer)
	p, src, err := h.obj.UploadPartCopy(q.r.Context(), in)
	if err != nil {
		return err
	}
	setSSEHeaders(q.w.Header(), p.Encryption, in.Customer, withCustomer)
	if src.VersionID != "" && src.VersionID != "null" {
		q.w.Header().Set("x-amz-copy-source-version-id", src.VersionID)
	}
	res := s3xml.CopyPartResult{ETag: quoteETag(p.ETag), LastModified: s3xml.NewTime(p.LastModified)}
	res.Checksums.Set(p.Checksum.Algorithm, p.Checksum.Value)
	return writeXML(q.w, http.StatusOK, res)
}

func (h *handler) completeMultipartUpload(q *request) error {
	id, err := uploadID(q)
	if err != nil {
		return err
	}
	var body s3xml.CompleteMultipartUpload
	if err := decodeXML(q, &body); err != nil {
		return err
	}
	if len(body.Parts) == 0 {
		return &s3err.Error{Code: s3err.MalformedXML, Message: "The XML you provided was not well-formed or did not validate against our published schema"}
	}
	in := object.CompleteInput{
		Bucket: q.op.Bucket, Key: q.op.Key, UploadID: id,
		IfMatch: q.r.Header.Get("If-Match"), IfNoneMatch: q.r.Header.Get("If-None-Match"),
	}
	for _, p := range body.Parts {
		in.Parts = append(in.Parts, object.CompletePart{PartNumber: p.PartNumber, ETag: p.ETag, Checksums: p.Checksums.All()})
	}
	if in.Checksum, err = checksumInput(q); err != nil {
		return err
	}
	v, err := h.obj.CompleteMultipartUpload(q.r.Context(), in)
	if err != nil {
		return err
	}
	setVersionHeaders(q.w.Header(), v)
	setSSEHeaders(q.w.Header(), v.Encryption, nil, 0)
	setExpirationHeader(q.w.Header(), q.bucket, &v)
	res := s3xml.CompleteMultipartUploadResult{
		Location: location(q), Bucket: v.Bucket, Key: v.Key, ETag: quoteETag(v.ETag),
	}
	if v.Checksum.Algorithm != "" {
		res.Checksums.Set(v.Checksum.Algorithm, v.Checksum.Value)
		res.ChecksumType = v.Checksum.Type
	}
	return writeXML(q.w, http.StatusOK, res)
}

// location is the object URL CompleteMultipartUpload reports.
func location(q *request) string {
	scheme := "http"
	if q.r.TLS != nil {
		scheme = "https"
	}
	if q.op.VirtualHost {
		return scheme + "://" + q.r.Host + "/" + urlEncode(q.op.Key)
	}
	return scheme + "://" + q.r.Host + "/" + q.op.Bucket + "/" + urlEncode(q.op.Key)
}

func (h *handler) abortMultipartUpload(q *request) error {
	id, err := uploadID(q)
	if err != nil {
		return err
	}
	if err := h.obj.AbortMultipartUpload(q.r.Context(), q.op.Bucket, q.op.Key, id); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) listParts(q *request) error {
	id, err := uploadID(q)
	if err != nil {
		return err
	}
	maxParts, err := intParam(q, "max-parts", 1000, 1000)
	if err != nil {
		return err
	}
	marker, err := intParam(q, "part-number-marker", 0, 1<<31-1)
	if err != nil {
		return err
	}
	res, err := h.obj.ListParts(q.r.Context(), object.ListPartsInput{
		Bucket: q.op.Bucket, Key: q.op.Key, UploadID: id, PartNumberMarker: marker, MaxParts: maxParts,
	})
	if err != nil {
		return err
	}
	out := s3xml.ListPartsResult{
		Bucket: q.op.Bucket, Key: q.op.Key, UploadID: id,
		PartNumberMarker: marker, NextPartNumberMarker: res.NextPartNumberMarker,
		MaxParts: maxParts, IsTruncated: res.IsTruncated,
		Initiator:         h.owner(q.r.Context(), res.Upload.Owner),
		Owner:             h.owner(q.r.Context(), res.Upload.Owner),
		StorageClass:      res.Upload.StorageClass,
		ChecksumAlgorithm: res.Upload.ChecksumAlgo,
		ChecksumType:      res.Upload.ChecksumType,
	}
	for _, p := range res.Parts {
		xp := s3xml.Part{PartNumber: p.Number, ETag: quoteETag(p.ETag), Size: p.Size, LastModified: s3xml.NewTime(p.LastModified)}
		xp.Checksums.Set(p.Checksum.Algorithm, p.Checksum.Value)
		out.Parts = append(out.Parts, xp)
	}
	return writeXML(q.w, http.StatusOK, out)
}

// intParam reads a non-negative integer query parameter, clamped to max.
func intParam(q *request, name string, def, max int) (int, error) {
	v, ok := q.op.Query[name]
	if !ok || len(v) == 0 || v[0] == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < 0 {
		return 0, invalidArg("Provided "+name+" not an integer or within integer range", name, v[0])
	}
	if n > max {
		n = max
	}
	return n, nil
}
