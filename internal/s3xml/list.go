package s3xml

import (
	"encoding/xml"
	"fmt"
)

// CommonPrefix is one rolled-up prefix of a delimited listing.
type CommonPrefix struct {
	Prefix string `xml:"Prefix"`
}

// RestoreStatus tells whether an archived object has a restored copy.
type RestoreStatus struct {
	IsRestoreInProgress bool  `xml:"IsRestoreInProgress"`
	RestoreExpiryDate   *Time `xml:"RestoreExpiryDate,omitempty"`
}

// Object is one <Contents> entry of a ListObjects(V2) response.
type Object struct {
	Key               string         `xml:"Key"`
	LastModified      Time           `xml:"LastModified"`
	ETag              string         `xml:"ETag"` // quoted
	ChecksumAlgorithm []string       `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string         `xml:"ChecksumType,omitempty"`
	Size              int64          `xml:"Size"`
	StorageClass      string         `xml:"StorageClass"`
	Owner             *Owner         `xml:"Owner,omitempty"`
	RestoreStatus     *RestoreStatus `xml:"RestoreStatus,omitempty"`
}

// ListBucketResult is the ListObjects (version 1) response.
type ListBucketResult struct {
	XMLName        xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name           string         `xml:"Name"`
	Prefix         string         `xml:"Prefix"`
	Marker         string         `xml:"Marker"`
	NextMarker     string         `xml:"NextMarker,omitempty"`
	MaxKeys        int            `xml:"MaxKeys"`
	Delimiter      string         `xml:"Delimiter,omitempty"`
	IsTruncated    bool           `xml:"IsTruncated"`
	EncodingType   string         `xml:"EncodingType,omitempty"`
	Contents       []Object       `xml:"Contents"`
	CommonPrefixes []CommonPrefix `xml:"CommonPrefixes"`
}

// ListBucketResultV2 is the ListObjectsV2 response; its root element is
// also <ListBucketResult>.
type ListBucketResultV2 struct {
	XMLName               xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	KeyCount              int            `xml:"KeyCount"`
	MaxKeys               int            `xml:"MaxKeys"`
	Delimiter             string         `xml:"Delimiter,omitempty"`
	IsTruncated           bool           `xml:"IsTruncated"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	StartAfter            string         `xml:"StartAfter,omitempty"`
	Contents              []Object       `xml:"Contents"`
	CommonPrefixes        []CommonPrefix `xml:"CommonPrefixes"`
}

// ListVersionsResult is the ListObjectVersions response. Versions and
// delete markers are interleaved in key order, newest version first, so
// they share one slice.
type ListVersionsResult struct {
	XMLName             xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListVersionsResult"`
	Name                string         `xml:"Name"`
	Prefix              string         `xml:"Prefix"`
	KeyMarker           string         `xml:"KeyMarker"`
	VersionIDMarker     string         `xml:"VersionIdMarker"`
	NextKeyMarker       string         `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string         `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int            `xml:"MaxKeys"`
	Delimiter           string         `xml:"Delimiter,omitempty"`
	IsTruncated         bool           `xml:"IsTruncated"`
	EncodingType        string         `xml:"EncodingType,omitempty"`
	Entries             []VersionEntry `xml:",any"`
	CommonPrefixes      []CommonPrefix `xml:"CommonPrefixes"`
}

// VersionEntry is a <Version> or a <DeleteMarker>: exactly one is set.
type VersionEntry struct {
	Version      *ObjectVersion
	DeleteMarker *DeleteMarkerEntry
}

// ObjectVersion is a <Version> of ListVersionsResult.
type ObjectVersion struct {
	Key               string         `xml:"Key"`
	VersionID         string         `xml:"VersionId"`
	IsLatest          bool           `xml:"IsLatest"`
	LastModified      Time           `xml:"LastModified"`
	ETag              string         `xml:"ETag"` // quoted
	ChecksumAlgorithm []string       `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string         `xml:"ChecksumType,omitempty"`
	Size              int64          `xml:"Size"`
	StorageClass      string         `xml:"StorageClass"`
	Owner             *Owner         `xml:"Owner,omitempty"`
	RestoreStatus     *RestoreStatus `xml:"RestoreStatus,omitempty"`
}

// DeleteMarkerEntry is a <DeleteMarker> of ListVersionsResult.
type DeleteMarkerEntry struct {
	Key          string `xml:"Key"`
	VersionID    string `xml:"VersionId"`
	IsLatest     bool   `xml:"IsLatest"`
	LastModified Time   `xml:"LastModified"`
	Owner        *Owner `xml:"Owner,omitempty"`
}

// MarshalXML writes the entry as <Version> or <DeleteMarker>.
func (v VersionEntry) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	switch {
	case v.Version != nil && v.DeleteMarker == nil:
		return e.EncodeElement(v.Version, xml.StartElement{Name: xml.Name{Local: "Version"}})
	case v.DeleteMarker != nil && v.Version == nil:
		return e.EncodeElement(v.DeleteMarker, xml.StartElement{Name: xml.Name{Local: "DeleteMarker"}})
	}
	return fmt.Errorf("s3xml: VersionEntry must hold exactly one of Version and DeleteMarker")
}

// UnmarshalXML reads a <Version> or <DeleteMarker>.
func (v *VersionEntry) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	switch start.Name.Local {
	case "Version":
		v.Version = new(ObjectVersion)
		return d.DecodeElement(v.Version, &start)
	case "DeleteMarker":
		v.DeleteMarker = new(DeleteMarkerEntry)
		return d.DecodeElement(v.DeleteMarker, &start)
	}
	return fmt.Errorf("s3xml: unexpected element <%s> in ListVersionsResult", start.Name.Local)
}
