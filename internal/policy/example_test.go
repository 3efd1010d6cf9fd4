package policy_test

import (
	"fmt"

	"github.com/coffer-project/coffer/internal/policy"
)

// A bucket policy that lets another account read, evaluated for a user of
// that account: both the bucket policy and the user's own policy must allow.
func ExampleEvaluate() {
	bucketPolicy, err := policy.Parse([]byte(`{
		"Version": "2012-10-17",
		"Statement": [{
			"Sid": "PartnerRead",
			"Effect": "Allow",
			"Principal": {"AWS": "444455556666"},
			"Action": "s3:GetObject",
			"Resource": "arn:aws:s3:::reports/*"
		}]
	}`), policy.KindResource)
	if err != nil {
		panic(err)
	}
	userPolicy, err := policy.Parse([]byte(`{
		"Version": "2012-10-17",
		"Statement": {"Sid": "ReadReports", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::reports/*"}
	}`), policy.KindIdentity)
	if err != nil {
		panic(err)
	}
	req := policy.Request{
		Principal: policy.Principal{Type: policy.PrincipalUser, Account: "444455556666",
			ARN: "arn:aws:iam::444455556666:user/carol", Username: "carol"},
		Action:   "s3:GetObject",
		Resource: "arn:aws:s3:::reports/2026/q3.csv",
	}
	bucket := policy.Set{Kind: policy.KindResource, Owner: "111122223333", Policies: []*policy.Policy{bucketPolicy}}

	d := policy.Evaluate(req, bucket)
	fmt.Println(d.Outcome, "-", d.Reason)

	d = policy.Evaluate(req, policy.Set{Kind: policy.KindIdentity, Policies: []*policy.Policy{userPolicy}}, bucket)
	for _, s := range d.Statements {
		fmt.Println(d.Outcome, s.Kind, s.Sid)
	}
	// Output:
	// ImplicitDeny - cross-account request: the caller's identity policies do not allow it
	// Allow identity ReadReports
	// Allow resource PartnerRead
}
