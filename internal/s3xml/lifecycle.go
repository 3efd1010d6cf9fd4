package s3xml

import "encoding/xml"

// LifecycleConfiguration is the PutBucketLifecycleConfiguration request and
// the GetBucketLifecycleConfiguration response. Decode checks only the
// schema; S3's rules on values and combinations are package lifecycle's.
type LifecycleConfiguration struct {
	XMLName xml.Name        `xml:"LifecycleConfiguration"`
	Rules   []LifecycleRule `xml:"Rule"`
	Unknown []Unknown       `xml:",any"`
}

// MarshalXML writes the document in the S3 namespace.
func (c LifecycleConfiguration) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	type plain LifecycleConfiguration
	return withNamespace(e, plain(c), "LifecycleConfiguration")
}

// LifecycleRule is one Rule. Prefix is the legacy top-level prefix, used
// instead of Filter.
type LifecycleRule struct {
	ID                             string                          `xml:"ID,omitempty"`
	Prefix                         *string                         `xml:"Prefix"`
	Filter                         *LifecycleFilter                `xml:"Filter"`
	Status                         string                          `xml:"Status"`
	Transitions                    []Transition                    `xml:"Transition"`
	Expiration                     *LifecycleExpiration            `xml:"Expiration"`
	NoncurrentVersionTransitions   []NoncurrentVersionTransition   `xml:"NoncurrentVersionTransition"`
	NoncurrentVersionExpiration    *NoncurrentVersionExpiration    `xml:"NoncurrentVersionExpiration"`
	AbortIncompleteMultipartUpload *AbortIncompleteMultipartUpload `xml:"AbortIncompleteMultipartUpload"`
	Unknown                        []Unknown                       `xml:",any"`
}

// LifecycleFilter selects the objects of a rule by one predicate, or And.
type LifecycleFilter struct {
	Prefix                *string                   `xml:"Prefix"`
	Tag                   *Tag                      `xml:"Tag"`
	And                   *LifecycleRuleAndOperator `xml:"And"`
	ObjectSizeGreaterThan *int64                    `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    *int64                    `xml:"ObjectSizeLessThan"`
	Unknown               []Unknown                 `xml:",any"`
}

// LifecycleRuleAndOperator combines predicates of a filter.
type LifecycleRuleAndOperator struct {
	Prefix                *string   `xml:"Prefix"`
	Tags                  []Tag     `xml:"Tag"`
	ObjectSizeGreaterThan *int64    `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    *int64    `xml:"ObjectSizeLessThan"`
	Unknown               []Unknown `xml:",any"`
}

// Transition moves current versions to another storage class.
type Transition struct {
	Date         *Time     `xml:"Date"`
	Days         *int      `xml:"Days"`
	StorageClass string    `xml:"StorageClass,omitempty"`
	Unknown      []Unknown `xml:",any"`
}

// LifecycleExpiration expires current versions, or expired delete markers.
type LifecycleExpiration struct {
	Date                      *Time     `xml:"Date"`
	Days                      *int      `xml:"Days"`
	ExpiredObjectDeleteMarker *bool     `xml:"ExpiredObjectDeleteMarker"`
	Unknown                   []Unknown `xml:",any"`
}

// NoncurrentVersionTransition moves noncurrent versions to another
// storage class.
type NoncurrentVersionTransition struct {
	NoncurrentDays          *int      `xml:"NoncurrentDays"`
	StorageClass            string    `xml:"StorageClass,omitempty"`
	NewerNoncurrentVersions *int      `xml:"NewerNoncurrentVersions"`
	Unknown                 []Unknown `xml:",any"`
}

// NoncurrentVersionExpiration deletes noncurrent versions.
type NoncurrentVersionExpiration struct {
	NoncurrentDays          *int      `xml:"NoncurrentDays"`
	NewerNoncurrentVersions *int      `xml:"NewerNoncurrentVersions"`
	Unknown                 []Unknown `xml:",any"`
}

// AbortIncompleteMultipartUpload aborts old multipart uploads.
type AbortIncompleteMultipartUpload struct {
	DaysAfterInitiation *int      `xml:"DaysAfterInitiation"`
	Unknown             []Unknown `xml:",any"`
}
