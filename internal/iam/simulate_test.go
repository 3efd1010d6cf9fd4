package iam_test

import (
	"context"
	"slices"
	"testing"

	"github.com/coffer-project/coffer/internal/iam"
)

// simulateFixture is user alice (inline "home": ReadHome allows GetObject
// in b/home/, NoDelete denies DeleteObject) in group devs (inline "grp"
// allows ListBucket on b; attached "writers" allows PutObject in b and
// AmazonS3ReadOnlyAccess).
func simulateFixture(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	_, err := e.svc.CreateUser(ctx, testAccountID, "alice", "/eng/", nil)
	must(t, err)
	_, err = e.svc.CreateGroup(ctx, testAccountID, "devs", "")
	must(t, err)
	must(t, e.svc.AddUserToGroup(ctx, testAccountID, "devs", "alice"))
	must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "home", `{"Version":"2012-10-17","Statement":[
		{"Sid":"ReadHome","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/*"},
		{"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`))
	must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindGroup, "devs", "grp", allowDoc("s3:ListBucket", "arn:aws:s3:::b")))
	mp, err := e.svc.CreatePolicy(ctx, testAccountID, "writers", "", "", allowDoc("s3:PutObject", "arn:aws:s3:::b/*"))
	must(t, err)
	must(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindGroup, "devs", mp.ARN))
	must(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindGroup, "devs", readOnlyARN))
}

const (
	aliceARN = "arn:aws:iam::" + testAccountID + ":user/eng/alice"
	devsARN  = "arn:aws:iam::" + testAccountID + ":group/devs"
	bobARN   = "arn:aws:iam::" + testAccountID + ":user/bob"
)

// simulateOne runs a simulation of one action on one resource.
func simulateOne(t *testing.T, svc *iam.Service, in iam.Simulation) iam.SimulationResult {
	t.Helper()
	rs, err := svc.Simulate(context.Background(), testAccountID, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("Simulate returned %d results, want 1", len(rs))
	}
	return rs[0]
}

// matched is a MatchedStatement without its index, for comparisons.
type matched struct{ id, typ, sid string }

func matchedOf(r iam.SimulationResult) []matched {
	var out []matched
	for _, m := range r.Matched {
		out = append(out, matched{m.SourcePolicyID, m.SourcePolicyType, m.Sid})
	}
	return out
}

func TestSimulatePolicySources(t *testing.T) {
	e := newEnv(t)
	simulateFixture(t, e)
	tests := []struct {
		name, source, action, resource string
		decision                       string
		// matched must be among the matched statements; none when nil.
		matched []matched
	}{
		{"user inline allow", aliceARN, "s3:GetObject", "arn:aws:s3:::b/home/x", "allowed",
			[]matched{{"home", "user", "ReadHome"}, {"AmazonS3ReadOnlyAccess", "aws-managed", ""}}},
		{"user inline deny", aliceARN, "s3:DeleteObject", "arn:aws:s3:::b/home/x", "explicitDeny",
			[]matched{{"home", "user", "NoDelete"}}},
		{"nothing allows", aliceARN, "s3:CreateBucket", "arn:aws:s3:::new", "implicitDeny", nil},
		{"user's group inline", aliceARN, "s3:ListBucket", "arn:aws:s3:::b", "allowed",
			[]matched{{"grp", "group", ""}, {"AmazonS3ReadOnlyAccess", "aws-managed", ""}}},
		{"user's group attached", aliceARN, "s3:PutObject", "arn:aws:s3:::b/x", "allowed",
			[]matched{{"writers", "user-managed", ""}}},
		{"group inline", devsARN, "s3:ListBucket", "arn:aws:s3:::b", "allowed",
			[]matched{{"grp", "group", ""}, {"AmazonS3ReadOnlyAccess", "aws-managed", ""}}},
		{"group attached", devsARN, "s3:PutObject", "arn:aws:s3:::b/x", "allowed",
			[]matched{{"writers", "user-managed", ""}}},
		{"group without the member's policies", devsARN, "s3:DeleteObject", "arn:aws:s3:::b/x", "implicitDeny", nil},
		{"group AWS managed", devsARN, "s3:GetObject", "arn:aws:s3:::b/home/x", "allowed",
			[]matched{{"AmazonS3ReadOnlyAccess", "aws-managed", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := simulateOne(t, e.svc, iam.Simulation{PolicySourceARN: tt.source, Actions: []string{tt.action}, Resources: []string{tt.resource}})
			if r.Action != tt.action || r.Resource != tt.resource || r.Decision != tt.decision {
				t.Fatalf("result = %+v, want %s", r, tt.decision)
			}
			got := matchedOf(r)
			if tt.matched == nil && len(got) != 0 {
				t.Errorf("matched %+v, want none", got)
			}
			for _, m := range tt.matched {
				if !slices.Contains(got, m) {
					t.Errorf("matched %+v, want it to include %+v", got, m)
				}
			}
		})
	}
}

func TestSimulateMatchedStatementIndex(t *testing.T) {
	e := newEnv(t)
	simulateFixture(t, e)
	r := simulateOne(t, e.svc, iam.Simulation{PolicySourceARN: aliceARN, Actions: []string{"s3:DeleteObject"}, Resources: []string{"arn:aws:s3:::b/x"}})
	if len(r.Matched) != 1 || r.Matched[0] != (iam.MatchedStatement{SourcePolicyID: "home", SourcePolicyType: "user", Sid: "NoDelete", Index: 1}) {
		t.Errorf("Matched = %+v, want the second statement of home", r.Matched)
	}
}

func TestSimulateEveryActionAndResource(t *testing.T) {
	e := newEnv(t)
	simulateFixture(t, e)
	rs, err := e.svc.Simulate(context.Background(), testAccountID, iam.Simulation{
		PolicySourceARN: aliceARN,
		Actions:         []string{"s3:PutObject", "s3:DeleteObject"},
		Resources:       []string{"arn:aws:s3:::b/x", "arn:aws:s3:::c/x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, r.Action+" "+r.Resource+" "+r.Decision)
	}
	want := []string{
		"s3:PutObject arn:aws:s3:::b/x allowed",
		"s3:PutObject arn:aws:s3:::c/x implicitDeny",
		"s3:DeleteObject arn:aws:s3:::b/x explicitDeny",
		"s3:DeleteObject arn:aws:s3:::c/x explicitDeny",
	}
	if !slices.Equal(got, want) {
		t.Errorf("results = %q, want %q", got, want)
	}
	// Resources default to "*".
	r := simulateOne(t, e.svc, iam.Simulation{PolicySourceARN: aliceARN, Actions: []string{"s3:ListAllMyBuckets"}})
	if r.Resource != "*" || r.Decision != "allowed" {
		t.Errorf("ListAllMyBuckets on the default resource = %+v, want allowed on *", r)
	}
}

func TestSimulatePolicyVariables(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.svc.CreateUser(ctx, testAccountID, "alice", "/eng/", nil)
	must(t, err)
	must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "own", allowDoc("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*")))
	for resource, want := range map[string]string{"arn:aws:s3:::b/alice/x": "allowed", "arn:aws:s3:::b/bob/x": "implicitDeny"} {
		r := simulateOne(t, e.svc, iam.Simulation{PolicySourceARN: aliceARN, Actions: []string{"s3:GetObject"}, Resources: []string{resource}})
		if r.Decision != want {
			t.Errorf("GetObject on %s: %s, want %s", resource, r.Decision, want)
		}
	}
}

func TestSimulateCustomPolicies(t *testing.T) {
	e := newEnv(t)
	r := simulateOne(t, e.svc, iam.Simulation{
		Policies: []string{allowDoc("s3:PutObject", "*"), allowDoc("s3:GetObject", "*")},
		Actions:  []string{"s3:GetObject"}, Resources: []string{"arn:aws:s3:::b/k"},
	})
	if r.Decision != "allowed" || !slices.Equal(matchedOf(r), []matched{{"PolicyInputList.2", "IAM Policy", ""}}) {
		t.Errorf("result = %+v, want allowed by PolicyInputList.2", r)
	}
}

func TestSimulateResourcePolicy(t *testing.T) {
	const other = "444455556666"
	bucketPolicy := `{"Version":"2012-10-17","Statement":[{"Sid":"Bob","Effect":"Allow","Principal":{"AWS":"` + bobARN + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	tests := []struct {
		name     string
		action   string
		owner    string
		identity []string
		decision string
		matched  []matched
	}{
		{"same account, resource policy alone", "s3:GetObject", "", nil, "allowed",
			[]matched{{"ResourcePolicy", "resource", "Bob"}}},
		{"same account by ID", "s3:GetObject", testAccountID, nil, "allowed",
			[]matched{{"ResourcePolicy", "resource", "Bob"}}},
		{"cross-account, resource policy alone", "s3:GetObject", "arn:aws:iam::" + other + ":root", nil, "implicitDeny", nil},
		{"cross-account by ID, resource policy alone", "s3:GetObject", other, nil, "implicitDeny", nil},
		{"cross-account, both allow", "s3:GetObject", "arn:aws:iam::" + other + ":root", []string{allowDoc("s3:GetObject", "*")}, "allowed",
			[]matched{{"PolicyInputList.1", "IAM Policy", ""}, {"ResourcePolicy", "resource", "Bob"}}},
		{"cross-account, identity alone", "s3:PutObject", "arn:aws:iam::" + other + ":root", []string{allowDoc("s3:PutObject", "*")}, "implicitDeny", nil},
	}
	e := newEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := simulateOne(t, e.svc, iam.Simulation{
				CallerARN: bobARN, Policies: tt.identity,
				ResourcePolicy: bucketPolicy, ResourceOwner: tt.owner,
				Actions: []string{tt.action}, Resources: []string{"arn:aws:s3:::b/k"},
			})
			if r.Decision != tt.decision {
				t.Fatalf("result = %+v, want %s", r, tt.decision)
			}
			if got := matchedOf(r); !slices.Equal(got, tt.matched) {
				t.Errorf("matched %+v, want %+v", got, tt.matched)
			}
		})
	}
}

func TestSimulateContextEntries(t *testing.T) {
	e := newEnv(t)
	doc := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}},
		{"Sid":"NotFromHere","Effect":"Deny","Action":"s3:PutObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"198.51.100.0/24"}}},
		{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}`
	tests := []struct {
		name, action string
		context      map[string][]string
		want         string
	}{
		{"inside the range", "s3:GetObject", map[string][]string{"aws:SourceIp": {"192.0.2.7"}}, "allowed"},
		{"key case does not matter", "s3:GetObject", map[string][]string{"AWS:SOURCEIP": {"192.0.2.7"}}, "allowed"},
		{"outside the range", "s3:GetObject", map[string][]string{"aws:SourceIp": {"203.0.113.1"}}, "implicitDeny"},
		{"no source IP", "s3:GetObject", nil, "implicitDeny"},
		{"deny by source IP", "s3:PutObject", map[string][]string{"aws:SourceIp": {"198.51.100.9"}}, "explicitDeny"},
		{"deny condition not met", "s3:PutObject", map[string][]string{"aws:SourceIp": {"192.0.2.7"}}, "allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := simulateOne(t, e.svc, iam.Simulation{Policies: []string{doc}, Actions: []string{tt.action}, Context: tt.context})
			if r.Decision != tt.want {
				t.Errorf("result = %+v, want %s", r, tt.want)
			}
		})
	}
}

func TestSimulateErrors(t *testing.T) {
	e := newEnv(t)
	simulateFixture(t, e)
	tests := []struct {
		name string
		in   iam.Simulation
		code string
	}{
		{"no actions", iam.Simulation{PolicySourceARN: aliceARN}, iam.CodeValidation},
		{"unknown user", iam.Simulation{PolicySourceARN: bobARN, Actions: []string{"s3:GetObject"}}, iam.CodeNoSuchEntity},
		{"unknown group", iam.Simulation{PolicySourceARN: devsARN + "x", Actions: []string{"s3:GetObject"}}, iam.CodeNoSuchEntity},
		{"another account's user", iam.Simulation{PolicySourceARN: "arn:aws:iam::444455556666:user/alice", Actions: []string{"s3:GetObject"}}, iam.CodeInvalidInput},
		{"a role", iam.Simulation{PolicySourceARN: "arn:aws:iam::" + testAccountID + ":role/r", Actions: []string{"s3:GetObject"}}, iam.CodeInvalidInput},
		{"malformed input policy", iam.Simulation{Policies: []string{`{"Statement":`}, Actions: []string{"s3:GetObject"}}, iam.CodeMalformedPolicy},
		{"resource policy without principal", iam.Simulation{ResourcePolicy: allowDoc("s3:GetObject", "*"), Actions: []string{"s3:GetObject"}}, iam.CodeMalformedPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Simulate(context.Background(), testAccountID, tt.in)
			wantCode(t, err, tt.code)
		})
	}
}
