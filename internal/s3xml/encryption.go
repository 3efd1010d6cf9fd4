package s3xml

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
)

// ServerSideEncryptionConfiguration is the PutBucketEncryption request and
// the GetBucketEncryption response. S3 takes exactly one Rule: none or two
// are MalformedXML.
type ServerSideEncryptionConfiguration struct {
	XMLName xml.Name                   `xml:"ServerSideEncryptionConfiguration"`
	Rules   []ServerSideEncryptionRule `xml:"Rule"`
	Unknown []Unknown                  `xml:",any"`
}

// ServerSideEncryptionRule is the Rule of a ServerSideEncryptionConfiguration.
// Every member is optional in a request: a rule may only block SSE-C.
type ServerSideEncryptionRule struct {
	ApplyServerSideEncryptionByDefault *ServerSideEncryptionByDefault `xml:"ApplyServerSideEncryptionByDefault,omitempty"`
	BlockedEncryptionTypes             *BlockedEncryptionTypes        `xml:"BlockedEncryptionTypes,omitempty"`
	BucketKeyEnabled                   *bool                          `xml:"BucketKeyEnabled,omitempty"`
	Unknown                            []Unknown                      `xml:",any"`
}

// ServerSideEncryptionByDefault is the encryption applied to a new object
// whose request asks for none.
type ServerSideEncryptionByDefault struct {
	SSEAlgorithm   string    `xml:"SSEAlgorithm"`
	KMSMasterKeyID string    `xml:"KMSMasterKeyID,omitempty"`
	Unknown        []Unknown `xml:",any"`
}

// BlockedEncryptionTypes lists the encryption types new writes to the
// bucket may not use (EncryptionTypeSSEC), or EncryptionTypeNone.
type BlockedEncryptionTypes struct {
	EncryptionType []string  `xml:"EncryptionType"`
	Unknown        []Unknown `xml:",any"`
}

// Values of EncryptionType in BlockedEncryptionTypes.
const (
	EncryptionTypeNone = "NONE"
	EncryptionTypeSSEC = "SSE-C"
)

// MarshalXML writes the document in the S3 namespace.
func (c ServerSideEncryptionConfiguration) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	type plain ServerSideEncryptionConfiguration
	return withNamespace(e, plain(c), "ServerSideEncryptionConfiguration")
}

// UnmarshalXML refuses a repeated member: encoding/xml would let the last
// one win, or merge two ApplyServerSideEncryptionByDefault elements, and a
// security setting must not depend on which copy a reader picks.
func (r *ServerSideEncryptionRule) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var raw struct {
		Default   []ServerSideEncryptionByDefault `xml:"ApplyServerSideEncryptionByDefault"`
		Blocked   []BlockedEncryptionTypes        `xml:"BlockedEncryptionTypes"`
		BucketKey []string                        `xml:"BucketKeyEnabled"`
		Unknown   []Unknown                       `xml:",any"`
	}
	if err := d.DecodeElement(&raw, &start); err != nil {
		return err
	}
	*r = ServerSideEncryptionRule{Unknown: raw.Unknown}
	var err error
	if r.ApplyServerSideEncryptionByDefault, err = once("ApplyServerSideEncryptionByDefault", raw.Default); err != nil {
		return err
	}
	if r.BlockedEncryptionTypes, err = once("BlockedEncryptionTypes", raw.Blocked); err != nil {
		return err
	}
	s, err := once("BucketKeyEnabled", raw.BucketKey)
	if err != nil || s == nil {
		return err
	}
	b, err := parseBoolean(*s)
	if err != nil {
		return fmt.Errorf("BucketKeyEnabled: %w", err)
	}
	r.BucketKeyEnabled = &b
	return nil
}

// UnmarshalXML refuses a repeated SSEAlgorithm or KMSMasterKeyID.
func (c *ServerSideEncryptionByDefault) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var raw struct {
		SSEAlgorithm   []string  `xml:"SSEAlgorithm"`
		KMSMasterKeyID []string  `xml:"KMSMasterKeyID"`
		Unknown        []Unknown `xml:",any"`
	}
	if err := d.DecodeElement(&raw, &start); err != nil {
		return err
	}
	*c = ServerSideEncryptionByDefault{Unknown: raw.Unknown}
	alg, err := once("SSEAlgorithm", raw.SSEAlgorithm)
	if err != nil {
		return err
	}
	key, err := once("KMSMasterKeyID", raw.KMSMasterKeyID)
	if err != nil {
		return err
	}
	if alg != nil {
		c.SSEAlgorithm = *alg
	}
	if key != nil {
		c.KMSMasterKeyID = *key
	}
	return nil
}

// once returns the only element of vs, nil if there is none, or an error
// naming the element if it was repeated.
func once[T any](name string, vs []T) (*T, error) {
	switch len(vs) {
	case 0:
		return nil, nil
	case 1:
		return &vs[0], nil
	}
	return nil, fmt.Errorf("element <%s> is repeated", name)
}

// parseBoolean reads an xs:boolean, which is stricter than strconv.ParseBool.
func parseBoolean(s string) (bool, error) {
	switch strings.TrimSpace(s) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", s)
}

// check applies the schema's rules: exactly one Rule, SSEAlgorithm present
// and one of the enumerated algorithms, EncryptionType one of NONE and
// SSE-C. S3 answers MalformedXML for each. Algorithms S3 knows but coffer
// does not implement (aws:kms:dsse, aws:fsx, aws:backup) pass here.
func (c *ServerSideEncryptionConfiguration) check() error {
	if len(c.Rules) != 1 {
		return fmt.Errorf("%d Rule elements, want exactly 1", len(c.Rules))
	}
	r := c.Rules[0]
	if d := r.ApplyServerSideEncryptionByDefault; d != nil {
		switch d.SSEAlgorithm {
		case "AES256", "aws:kms", "aws:kms:dsse", "aws:fsx", "aws:backup":
		case "":
			return errors.New("ApplyServerSideEncryptionByDefault has no SSEAlgorithm")
		default:
			return fmt.Errorf("SSEAlgorithm %q is not a server-side encryption algorithm", d.SSEAlgorithm)
		}
	}
	if b := r.BlockedEncryptionTypes; b != nil {
		if len(b.EncryptionType) == 0 {
			return errors.New("BlockedEncryptionTypes has no EncryptionType")
		}
		for _, t := range b.EncryptionType {
			if t != EncryptionTypeNone && t != EncryptionTypeSSEC {
				return fmt.Errorf("EncryptionType %q is not NONE or SSE-C", t)
			}
		}
	}
	return nil
}
