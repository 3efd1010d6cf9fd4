package s3xml

import (
	"encoding/xml"
	"errors"
)

// Owner is the owner of a bucket, object or upload.
type Owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

// Initiator is who started a multipart upload.
type Initiator = Owner

// ListAllMyBucketsResult is the ListBuckets response.
type ListAllMyBucketsResult struct {
	XMLName           xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListAllMyBucketsResult"`
	Buckets           []Bucket `xml:"Buckets>Bucket"`
	Owner             *Owner   `xml:"Owner,omitempty"`
	ContinuationToken string   `xml:"ContinuationToken,omitempty"`
	Prefix            string   `xml:"Prefix,omitempty"`
}

// Bucket is one entry of ListAllMyBucketsResult.
type Bucket struct {
	Name         string `xml:"Name"`
	CreationDate Time   `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion,omitempty"`
}

// CreateBucketConfiguration is the optional CreateBucket request body.
type CreateBucketConfiguration struct {
	XMLName            xml.Name  `xml:"CreateBucketConfiguration"`
	LocationConstraint string    `xml:"LocationConstraint,omitempty"`
	Unknown            []Unknown `xml:",any"`
}

// MarshalXML writes the document in the S3 namespace.
func (c CreateBucketConfiguration) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	type plain CreateBucketConfiguration
	return withNamespace(e, plain(c), "CreateBucketConfiguration")
}

// LocationConstraint is the GetBucketLocation response. The value is empty
// for us-east-1.
type LocationConstraint struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LocationConstraint"`
	Location string   `xml:",chardata"`
}

// Versioning states in VersioningConfiguration.
const (
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
)

// VersioningConfiguration is the PutBucketVersioning request and the
// GetBucketVersioning response. Both elements are empty in the response of
// a bucket that never had versioning enabled.
type VersioningConfiguration struct {
	XMLName   xml.Name  `xml:"VersioningConfiguration"`
	Status    string    `xml:"Status,omitempty"`
	MfaDelete string    `xml:"MfaDelete,omitempty"`
	Unknown   []Unknown `xml:",any"`
}

// MarshalXML writes the document in the S3 namespace.
func (c VersioningConfiguration) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	type plain VersioningConfiguration
	return withNamespace(e, plain(c), "VersioningConfiguration")
}

// check refuses a Status other than Enabled or Suspended (S3 answers
// MalformedXML for a value outside the schema enumeration).
func (c *VersioningConfiguration) check() error {
	switch c.Status {
	case "", VersioningEnabled, VersioningSuspended:
	default:
		return errors.New("versioning Status must be Enabled or Suspended")
	}
	switch c.MfaDelete {
	case "", "Enabled", "Disabled":
	default:
		return errors.New("MfaDelete must be Enabled or Disabled")
	}
	return nil
}

// Tagging is the Put/GetBucketTagging and Put/GetObjectTagging body.
type Tagging struct {
	XMLName xml.Name  `xml:"Tagging"`
	TagSet  []Tag     `xml:"TagSet>Tag"`
	Unknown []Unknown `xml:",any"`
}

// MarshalXML writes the document in the S3 namespace; an empty tag set is
// written as <TagSet></TagSet>, as S3 does.
func (t Tagging) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	type tagSet struct {
		Tags []Tag `xml:"Tag"`
	}
	type plain struct {
		TagSet tagSet `xml:"TagSet"`
	}
	return withNamespace(e, plain{TagSet: tagSet{Tags: t.TagSet}}, "Tagging")
}

// Tag is one key/value tag.
type Tag struct {
	Key     string    `xml:"Key"`
	Value   string    `xml:"Value"`
	Unknown []Unknown `xml:",any"`
}

// PolicyStatus is the GetBucketPolicyStatus response.
type PolicyStatus struct {
	XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ PolicyStatus"`
	IsPublic bool     `xml:"IsPublic"`
}
