package s3xml

import (
	"encoding/xml"
	"errors"
)

// xsiNamespace is the namespace of a Grantee's xsi:type attribute.
const xsiNamespace = "http://www.w3.org/2001/XMLSchema-instance"

// Grantee types.
const (
	GranteeCanonicalUser = "CanonicalUser"
	GranteeGroup         = "Group"
	GranteeEmail         = "AmazonCustomerByEmail"
)

// AccessControlPolicy is the PutBucketAcl/PutObjectAcl request body (and,
// through AccessControlPolicyResult, the Get…Acl response).
type AccessControlPolicy struct {
	XMLName xml.Name  `xml:"AccessControlPolicy"`
	Owner   *Owner    `xml:"Owner"`
	Grants  []Grant   `xml:"AccessControlList>Grant"`
	Unknown []Unknown `xml:",any"`
}

// Grant is one grant of an AccessControlPolicy.
type Grant struct {
	Grantee    Grantee `xml:"Grantee"`
	Permission string  `xml:"Permission"`
}

// Grantee is who a grant is for. Type is the xsi:type attribute.
type Grantee struct {
	Type         string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
	ID           string `xml:"ID,omitempty"`
	DisplayName  string `xml:"DisplayName,omitempty"`
	URI          string `xml:"URI,omitempty"`
	EmailAddress string `xml:"EmailAddress,omitempty"`
}

var errBadGrant = errors.New("grant with an unknown grantee type or permission")

func (p *AccessControlPolicy) check() error {
	for _, g := range p.Grants {
		switch g.Grantee.Type {
		case GranteeCanonicalUser, GranteeGroup, GranteeEmail:
		default:
			return errBadGrant
		}
		switch g.Permission {
		case "FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP":
		default:
			return errBadGrant
		}
	}
	return nil
}

// AccessControlPolicyResult is the Get…Acl response: the grantee's type
// written as xsi:type with its namespace declared, as S3 writes it.
type AccessControlPolicyResult struct {
	XMLName xml.Name      `xml:"http://s3.amazonaws.com/doc/2006-03-01/ AccessControlPolicy"`
	Owner   Owner         `xml:"Owner"`
	Grants  []grantResult `xml:"AccessControlList>Grant"`
}

type grantResult struct {
	Grantee    granteeResult `xml:"Grantee"`
	Permission string        `xml:"Permission"`
}

type granteeResult struct {
	XSI          string `xml:"xmlns:xsi,attr"`
	Type         string `xml:"xsi:type,attr"`
	ID           string `xml:"ID,omitempty"`
	DisplayName  string `xml:"DisplayName,omitempty"`
	URI          string `xml:"URI,omitempty"`
	EmailAddress string `xml:"EmailAddress,omitempty"`
}

// NewAccessControlPolicyResult builds a Get…Acl response.
func NewAccessControlPolicyResult(owner Owner, grants []Grant) AccessControlPolicyResult {
	out := AccessControlPolicyResult{Owner: owner, Grants: []grantResult{}}
	for _, g := range grants {
		out.Grants = append(out.Grants, grantResult{Permission: g.Permission, Grantee: granteeResult{
			XSI: xsiNamespace, Type: g.Grantee.Type, ID: g.Grantee.ID, DisplayName: g.Grantee.DisplayName,
			URI: g.Grantee.URI, EmailAddress: g.Grantee.EmailAddress}})
	}
	return out
}

// OwnershipControls is the Put/GetBucketOwnershipControls document.
type OwnershipControls struct {
	XMLName xml.Name                `xml:"OwnershipControls"`
	Rules   []OwnershipControlsRule `xml:"Rule"`
	Unknown []Unknown               `xml:",any"`
}

// OwnershipControlsRule holds the setting.
type OwnershipControlsRule struct {
	ObjectOwnership string    `xml:"ObjectOwnership"`
	Unknown         []Unknown `xml:",any"`
}

func (c *OwnershipControls) check() error {
	if len(c.Rules) != 1 {
		return errors.New("exactly one Rule is required")
	}
	return nil
}

// MarshalXML writes the document in the S3 namespace.
func (c OwnershipControls) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	type plain OwnershipControls
	return withNamespace(e, plain(c), "OwnershipControls")
}

// PublicAccessBlockConfiguration is the Put/GetPublicAccessBlock document
// (bucket and account).
type PublicAccessBlockConfiguration struct {
	XMLName               xml.Name  `xml:"PublicAccessBlockConfiguration"`
	BlockPublicAcls       bool      `xml:"BlockPublicAcls"`
	IgnorePublicAcls      bool      `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     bool      `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets bool      `xml:"RestrictPublicBuckets"`
	Unknown               []Unknown `xml:",any"`
}

// MarshalXML writes the document in the S3 namespace.
func (c PublicAccessBlockConfiguration) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	type plain PublicAccessBlockConfiguration
	return withNamespace(e, plain(c), "PublicAccessBlockConfiguration")
}
