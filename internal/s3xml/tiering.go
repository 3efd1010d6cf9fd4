package s3xml

import (
	"encoding/xml"
	"errors"
)

// IntelligentTieringConfiguration is the
// PutBucketIntelligentTieringConfiguration request and the
// GetBucketIntelligentTieringConfiguration response. Decode checks the
// schema, including that each Tiering has AccessTier and Days; S3's rules
// on values are package lifecycle's.
type IntelligentTieringConfiguration struct {
	XMLName  xml.Name                  `xml:"IntelligentTieringConfiguration"`
	ID       string                    `xml:"Id"`
	Filter   *IntelligentTieringFilter `xml:"Filter"`
	Status   string                    `xml:"Status"`
	Tierings []Tiering                 `xml:"Tiering"`
	Unknown  []Unknown                 `xml:",any"`
}

// MarshalXML writes the document in the S3 namespace.
func (c IntelligentTieringConfiguration) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	type plain IntelligentTieringConfiguration
	return withNamespace(e, plain(c), "IntelligentTieringConfiguration")
}

func (c *IntelligentTieringConfiguration) check() error {
	for _, t := range c.Tierings {
		if t.AccessTier == "" || t.Days == nil {
			return errors.New("a Tiering needs AccessTier and Days")
		}
	}
	return nil
}

// IntelligentTieringFilter selects the objects of a configuration by one
// of Prefix, Tag and And.
type IntelligentTieringFilter struct {
	Prefix  *string                        `xml:"Prefix"`
	Tag     *Tag                           `xml:"Tag"`
	And     *IntelligentTieringAndOperator `xml:"And"`
	Unknown []Unknown                      `xml:",any"`
}

// IntelligentTieringAndOperator combines a prefix and tags.
type IntelligentTieringAndOperator struct {
	Prefix  *string   `xml:"Prefix"`
	Tags    []Tag     `xml:"Tag"`
	Unknown []Unknown `xml:",any"`
}

// Tiering opts objects into an archive access tier after Days days without
// access.
type Tiering struct {
	AccessTier string    `xml:"AccessTier"`
	Days       *int      `xml:"Days"`
	Unknown    []Unknown `xml:",any"`
}

// ListBucketIntelligentTieringConfigurationsOutput is the
// ListBucketIntelligentTieringConfigurations response.
type ListBucketIntelligentTieringConfigurationsOutput struct {
	XMLName               xml.Name                          `xml:"ListBucketIntelligentTieringConfigurationsOutput"`
	IsTruncated           bool                              `xml:"IsTruncated"`
	ContinuationToken     string                            `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string                            `xml:"NextContinuationToken,omitempty"`
	Configurations        []IntelligentTieringConfiguration `xml:"IntelligentTieringConfiguration"`
}

// MarshalXML writes the document in the S3 namespace.
func (l ListBucketIntelligentTieringConfigurationsOutput) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	type plain ListBucketIntelligentTieringConfigurationsOutput
	return withNamespace(e, plain(l), "ListBucketIntelligentTieringConfigurationsOutput")
}
