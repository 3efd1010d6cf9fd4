package iam

import (
	"strings"
	"time"
)

// awsManagedDocs are the AWS managed policies coffer provides, under their
// AWS names and ARNs (arn:aws:iam::aws:policy/NAME), so that scripts that
// attach them work unchanged. Their documents are AWS's, limited to the
// services coffer has.
var awsManagedDocs = [...]struct{ name, id, doc string }{
	{"AdministratorAccess", "ANPAIWMBCKSKIEE64ZLYK",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
	{"AmazonS3FullAccess", "ANPAIFIR6V6BVTRAHWINE",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","s3-object-lambda:*"],"Resource":"*"}]}`},
	{"AmazonS3ReadOnlyAccess", "ANPAIZTJ4DXE7G6AGAE6M",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}]}`},
	{"IAMFullAccess", "ANPAI7XKCFMBPM3QQRRVQ",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization","organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents","organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}`},
	{"IAMReadOnlyAccess", "ANPAJKSO7NDY4T57MWDSQ",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`},
}

// awsManagedDate is the creation and update date AWS managed policies
// report.
var awsManagedDate = time.Date(2015, 2, 6, 18, 40, 0, 0, time.UTC)

func awsManagedPolicy(i int) *ManagedPolicy {
	d := awsManagedDocs[i]
	return &ManagedPolicy{Name: d.name, ID: d.id, Path: "/", Created: awsManagedDate, Updated: awsManagedDate,
		DefaultVersion: "v1", NextVersion: 2, Versions: []PolicyVersion{{ID: "v1", Document: d.doc, Created: awsManagedDate}}}
}

// awsManagedPolicies returns fresh copies of every AWS managed policy.
func awsManagedPolicies() []*ManagedPolicy {
	out := make([]*ManagedPolicy, len(awsManagedDocs))
	for i := range awsManagedDocs {
		out[i] = awsManagedPolicy(i)
	}
	return out
}

func awsManagedARN(partition, name string) string {
	return "arn:" + partition + ":iam::aws:policy/" + name
}

// awsManaged resolves an AWS managed policy ARN, or returns nil.
func awsManaged(partition, arn string) *ManagedPolicy {
	name, ok := strings.CutPrefix(arn, "arn:"+partition+":iam::aws:policy/")
	if !ok {
		return nil
	}
	for i, d := range awsManagedDocs {
		if d.name == name {
			return awsManagedPolicy(i)
		}
	}
	return nil
}

func isAWSManaged(p *ManagedPolicy) bool {
	for _, d := range awsManagedDocs {
		if d.id == p.ID {
			return true
		}
	}
	return false
}
