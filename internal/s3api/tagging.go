package s3api

import (
	"net/http"

	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/object"
	"github.com/coffer-project/coffer/internal/s3xml"
)

func (h *handler) getObjectTagging(q *request) error {
	vid, err := versionID(q)
	if err != nil {
		return err
	}
	v, err := h.obj.GetVersion(q.r.Context(), q.op.Bucket, q.op.Key, vid)
	if err != nil {
		return err
	}
	setVersionHeaders(q.w.Header(), v)
	return writeXML(q.w, http.StatusOK, taggingXML(v.Tags))
}

func (h *handler) putObjectTagging(q *request) error {
	vid, err := versionID(q)
	if err != nil {
		return err
	}
	tags, err := readTagging(q, object.MaxTagsObject)
	if err != nil {
		return err
	}
	if err := h.authorizePutTagging(q, tags); err != nil {
		return err
	}
	return h.setObjectTags(q, vid, tags, http.StatusOK)
}

func (h *handler) deleteObjectTagging(q *request) error {
	vid, err := versionID(q)
	if err != nil {
		return err
	}
	return h.setObjectTags(q, vid, nil, http.StatusNoContent)
}

func (h *handler) setObjectTags(q *request, vid string, tags []meta.Tag, status int) error {
	got, err := h.obj.PutObjectTagging(q.r.Context(), q.op.Bucket, q.op.Key, vid, tags)
	if err != nil {
		return err
	}
	if got != "" && got != meta.NullVersionID {
		q.w.Header().Set("x-amz-version-id", got)
	}
	q.w.WriteHeader(status)
	return nil
}

// getObjectAttributes answers the attributes named in
// x-amz-object-attributes.
func (h *handler) getObjectAttributes(q *request) error {
	vid, err := versionID(q)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, v := range q.r.Header.Values("x-amz-object-attributes") {
		for _, a := range splitList(v) {
			switch a {
			case "ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize":
				want[a] = true
			default:
				return invalidArg("Invalid attribute name specified.", "x-amz-object-attributes", a)
			}
		}
	}
	if len(want) == 0 {
		return invalidArg("Invalid attribute name specified.", "x-amz-object-attributes", "")
	}
	maxParts, err := headerInt(q, "x-amz-max-parts", 1000)
	if err != nil {
		return err
	}
	marker, err := headerInt(q, "x-amz-part-number-marker", 0)
	if err != nil {
		return err
	}
	ck, err := h.customerKey(q, ssecPrefix)
	if err != nil {
		return err
	}
	defer clearCustomerKey(ck)
	v, err := h.obj.GetVersion(q.r.Context(), q.op.Bucket, q.op.Key, vid)
	if err != nil {
		return err
	}
	// S3 asks for an SSE-C object's key here too.
	if err := object.CheckCustomerKey(&v.Encryption, ck); err != nil {
		return err
	}
	q.w.Header().Set("Last-Modified", v.LastModified.UTC().Format(http.TimeFormat))
	setVersionHeaders(q.w.Header(), v)
	var out s3xml.GetObjectAttributesResponse
	if want["ETag"] {
		out.ETag = v.ETag
	}
	if want["StorageClass"] {
		out.StorageClass = storageClassOrStandard(v.StorageClass)
	}
	if want["ObjectSize"] {
		size := v.Size
		out.ObjectSize = &size
	}
	if want["Checksum"] && v.Checksum.Algorithm != "" {
		c := &s3xml.ObjectChecksum{ChecksumType: v.Checksum.Type}
		c.Checksums.Set(v.Checksum.Algorithm, v.Checksum.Value)
		out.Checksum = c
	}
	if want["ObjectParts"] && len(v.Parts) > 0 && v.Parts[0].Number > 0 {
		op := &s3xml.ObjectAttributesParts{TotalPartsCount: len(v.Parts), PartNumberMarker: marker, MaxParts: maxParts}
		for _, p := range v.Parts {
			if p.Number <= marker {
				continue
			}
			if len(op.Parts) == maxParts {
				op.IsTruncated = true
				break
			}
			xp := s3xml.ObjectPart{PartNumber: p.Number, Size: p.Size}
			xp.Checksums.Set(p.Checksum.Algorithm, p.Checksum.Value)
			op.Parts = append(op.Parts, xp)
			op.NextPartNumberMarker = p.Number
		}
		out.ObjectParts = op
	}
	return writeXML(q.w, http.StatusOK, out)
}
