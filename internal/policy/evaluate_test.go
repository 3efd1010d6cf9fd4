package policy

import (
	"reflect"
	"strings"
	"testing"
)

const (
	acctA = "111122223333"
	acctB = "444455556666"
)

var (
	alice = Principal{Type: PrincipalUser, Account: acctA, ARN: "arn:aws:iam::" + acctA + ":user/alice",
		Username: "alice", UserID: "AIDAALICE", CanonicalUser: "canonA"}
	bob = Principal{Type: PrincipalUser, Account: acctA, ARN: "arn:aws:iam::" + acctA + ":user/team/bob",
		Username: "bob", UserID: "AIDABOB"}
	rootA    = Principal{Type: PrincipalRoot, Account: acctA, ARN: "arn:aws:iam::" + acctA + ":root", UserID: acctA, CanonicalUser: "canonA"}
	carol    = Principal{Type: PrincipalUser, Account: acctB, ARN: "arn:aws:iam::" + acctB + ":user/carol", Username: "carol"}
	rootB    = Principal{Type: PrincipalRoot, Account: acctB, ARN: "arn:aws:iam::" + acctB + ":root"}
	session  = Principal{Type: PrincipalAssumedRole, Account: acctA, ARN: "arn:aws:sts::" + acctA + ":assumed-role/reader/s1", UserID: "AROAREADER:s1"}
	anon     = Principal{}
	oacEdge  = Principal{Type: PrincipalService, Service: "cloudfront.amazonaws.com"}
	oaiIdent = Principal{Type: PrincipalService, ARN: "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E1", CanonicalUser: "canonOAI"}
)

// ts describes one policy set of a test case.
type ts struct {
	kind     Kind
	owner    string
	required bool
	docs     []string
}

func id(docs ...string) ts                   { return ts{kind: KindIdentity, docs: docs} }
func bucket(owner string, docs ...string) ts { return ts{kind: KindResource, owner: owner, docs: docs} }
func keyPolicy(owner string, docs ...string) ts {
	return ts{kind: KindResource, owner: owner, required: true, docs: docs}
}
func boundary(docs ...string) ts { return ts{kind: KindBoundary, docs: docs} }

// stmts wraps statements in a 2012-10-17 document.
func stmts(s ...string) string {
	out := `{"Version":"2012-10-17","Statement":[`
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out + "]}"
}

func TestEvaluate(t *testing.T) {
	allowAll := stmts(`{"Sid":"all","Effect":"Allow","Action":"*","Resource":"*"}`)
	allowGet := stmts(`{"Sid":"get","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`)
	denyAll := stmts(`{"Sid":"deny","Effect":"Deny","Action":"*","Resource":"*"}`)
	get := func(p Principal, key string) Request {
		return Request{Principal: p, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/" + key}
	}
	tests := []struct {
		name string
		req  Request
		sets []ts
		want Outcome
		sids []string // deciding statements, if checked
	}{
		{"no policies: implicit deny", get(alice, "k"), nil, ImplicitDeny, nil},
		{"empty identity set: implicit deny", get(alice, "k"), []ts{id()}, ImplicitDeny, nil},
		{"identity allow", get(alice, "k"), []ts{id(allowGet)}, Allowed, []string{"get"}},
		{"identity allow other action", Request{Principal: alice, Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"}, []ts{id(allowGet)}, ImplicitDeny, nil},
		{"identity allow other bucket", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::c/k"}, []ts{id(allowGet)}, ImplicitDeny, nil},
		{"action match is case-insensitive", Request{Principal: alice, Action: "S3:GETOBJECT", Resource: "arn:aws:s3:::b/k"}, []ts{id(allowGet)}, Allowed, nil},
		{"resource match is case-sensitive", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::B/k"}, []ts{id(allowGet)}, ImplicitDeny, nil},
		{"action wildcard s3:Get*", Request{Principal: alice, Action: "s3:GetObjectTagging", Resource: "arn:aws:s3:::b/k"},
			[]ts{id(stmts(`{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}`))}, Allowed, nil},
		{"action wildcard s3:Get* no Put", Request{Principal: alice, Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"},
			[]ts{id(stmts(`{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}`))}, ImplicitDeny, nil},
		{"action question mark", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
			[]ts{id(stmts(`{"Effect":"Allow","Action":"s3:?etObject","Resource":"*"}`))}, Allowed, nil},
		{"action list", Request{Principal: alice, Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"},
			[]ts{id(stmts(`{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}`))}, Allowed, nil},
		{"action of other service", Request{Principal: alice, Action: "kms:Decrypt", Resource: "*"},
			[]ts{id(stmts(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`))}, ImplicitDeny, nil},
		{"resource bucket ARN is not its objects", Request{Principal: alice, Action: "s3:ListBucket", Resource: "arn:aws:s3:::b"},
			[]ts{id(stmts(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`))}, ImplicitDeny, nil},
		{"resource star spans slashes", get(alice, "a/b/c"), []ts{id(allowGet)}, Allowed, nil},
		{"resource question mark", get(alice, "k1"), []ts{id(stmts(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/k?"}`))}, Allowed, nil},
		{"resource question mark needs one char", get(alice, "k"), []ts{id(stmts(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/k?"}`))}, ImplicitDeny, nil},
		{"resource mid-segment star does not cross colon", Request{Principal: alice, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:111122223333:key/k"},
			[]ts{id(stmts(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:kms:us-*-1:111122223333:key/*"}`))}, Allowed, nil},
		{"resource mid-segment star stays in segment", Request{Principal: alice, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east:x-1:111122223333:key/k"},
			[]ts{id(stmts(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:kms:us-*-1:111122223333:key/*"}`))}, ImplicitDeny, nil},
		{"resource segment-final star crosses colons", Request{Principal: alice, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:111122223333:key/k"},
			[]ts{id(stmts(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:kms:*"}`))}, Allowed, nil},
		{"resource exact object", get(alice, "k"), []ts{id(stmts(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/k"}`))}, Allowed, nil},
		{"resource list", get(alice, "k"), []ts{id(stmts(`{"Effect":"Allow","Action":"*","Resource":["arn:aws:s3:::x/*","arn:aws:s3:::b/*"]}`))}, Allowed, nil},

		// NotAction / NotResource.
		{"NotAction allows others", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
			[]ts{id(stmts(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`))}, Allowed, nil},
		{"NotAction excludes listed", Request{Principal: alice, Action: "iam:CreateUser", Resource: "*"},
			[]ts{id(stmts(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`))}, ImplicitDeny, nil},
		{"NotAction deny everything except", Request{Principal: alice, Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"},
			[]ts{id(allowAll, stmts(`{"Sid":"only-read","Effect":"Deny","NotAction":["s3:Get*","s3:List*"],"Resource":"*"}`))}, ExplicitDeny, []string{"only-read"}},
		{"NotAction deny spares listed", get(alice, "k"),
			[]ts{id(allowAll, stmts(`{"Effect":"Deny","NotAction":["s3:Get*","s3:List*"],"Resource":"*"}`))}, Allowed, nil},
		{"NotResource allows others", get(alice, "k"),
			[]ts{id(stmts(`{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}`))}, Allowed, nil},
		{"NotResource excludes listed", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::secret/k"},
			[]ts{id(stmts(`{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}`))}, ImplicitDeny, nil},
		{"NotResource deny outside home", get(alice, "other"),
			[]ts{id(allowAll, stmts(`{"Sid":"home","Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::b/home/${aws:username}/*"}`))}, ExplicitDeny, []string{"home"}},
		{"NotResource deny spares home", get(alice, "home/alice/x"),
			[]ts{id(allowAll, stmts(`{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::b/home/${aws:username}/*"}`))}, Allowed, nil},
		{"NotResource with unresolved variable does not apply", get(session, "k"),
			[]ts{id(stmts(`{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::b/home/${aws:username}/*"}`))}, ImplicitDeny, nil},

		// Variables in Resource.
		{"home folder by username", get(alice, "home/alice/f"),
			[]ts{id(stmts(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}`))}, Allowed, nil},
		{"home folder of another user", get(alice, "home/bob/f"),
			[]ts{id(stmts(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}`))}, ImplicitDeny, nil},
		{"username variable absent for role sessions", get(session, "home/s1/f"),
			[]ts{id(stmts(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}`))}, ImplicitDeny, nil},
		{"variable default in resource", get(session, "home/shared/f"),
			[]ts{id(stmts(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/${aws:username, 'shared'}/*"}`))}, Allowed, nil},
		{"userid variable", get(session, "u/AROAREADER:s1/f"),
			[]ts{id(stmts(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/u/${aws:userid}/*"}`))}, Allowed, nil},
		{"variable value with wildcard is literal", get(Principal{Type: PrincipalUser, Account: acctA, ARN: "arn:aws:iam::" + acctA + ":user/x", Username: "*"}, "home/bob/f"),
			[]ts{id(stmts(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}`))}, ImplicitDeny, nil},
		{"literal ${*} in resource", get(alice, "a*b"),
			[]ts{id(stmts(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/a${*}b"}`))}, Allowed, nil},
		{"literal ${*} is no wildcard", get(alice, "axb"),
			[]ts{id(stmts(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/a${*}b"}`))}, ImplicitDeny, nil},
		{"2008 version keeps ${} literal", get(alice, "home/${aws:username}/f"),
			[]ts{id(`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}}`)}, Allowed, nil},
		{"2008 version does not substitute", get(alice, "home/alice/f"),
			[]ts{id(`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}}`)}, ImplicitDeny, nil},

		// Explicit deny precedence.
		{"deny beats allow in same policy", get(alice, "k"), []ts{id(stmts(`{"Sid":"a","Effect":"Allow","Action":"*","Resource":"*"}`, `{"Sid":"d","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}`))}, ExplicitDeny, []string{"d"}},
		{"deny beats allow across policies", get(alice, "k"), []ts{id(allowAll, denyAll)}, ExplicitDeny, []string{"deny"}},
		{"bucket deny beats identity allow", get(alice, "k"), []ts{id(allowAll), bucket(acctA, stmts(`{"Sid":"bd","Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}`))}, ExplicitDeny, []string{"bd"}},
		{"identity deny beats bucket allow", get(alice, "k"), []ts{id(denyAll), bucket(acctA, stmts(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`))}, ExplicitDeny, nil},
		{"deny binds the root user", get(rootA, "k"), []ts{bucket(acctA, stmts(`{"Sid":"r","Effect":"Deny","Principal":{"AWS":"`+acctA+`"},"Action":"s3:GetObject","Resource":"*"}`))}, ExplicitDeny, []string{"r"}},
		{"all deny statements are reported", get(alice, "k"), []ts{id(stmts(`{"Sid":"d1","Effect":"Deny","Action":"*","Resource":"*"}`, `{"Sid":"d2","Effect":"Deny","Action":"s3:*","Resource":"*"}`))}, ExplicitDeny, []string{"d1", "d2"}},
		{"deny with false condition does not apply", get(alice, "k"), []ts{id(allowAll, stmts(`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`))}, Allowed, nil},
		{"deny insecure transport", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx{"aws:SecureTransport": {"false"}}},
			[]ts{id(allowAll, stmts(`{"Sid":"tls","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`))}, ExplicitDeny, []string{"tls"}},
		{"deny outside IP range", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx{"aws:SourceIp": {"198.51.100.1"}}},
			[]ts{id(allowAll), bucket(acctA, stmts(`{"Sid":"ip","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}`))}, ExplicitDeny, []string{"ip"}},
		{"inside IP range allowed", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx{"aws:SourceIp": {"192.0.2.9"}}},
			[]ts{id(allowAll), bucket(acctA, stmts(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}`))}, Allowed, nil},

		// Root user.
		{"root is allowed without identity policies", get(rootA, "k"), []ts{id()}, Allowed, nil},
		{"root with own bucket policy silent", get(rootA, "k"), []ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctB+`:root"},"Action":"*","Resource":"*"}`))}, Allowed, nil},
		{"root of another account needs the bucket policy", get(rootB, "k"), []ts{bucket(acctA)}, ImplicitDeny, nil},
		{"root of another account granted by bucket policy", get(rootB, "k"), []ts{bucket(acctA, stmts(`{"Sid":"x","Effect":"Allow","Principal":{"AWS":"`+acctB+`"},"Action":"s3:GetObject","Resource":"*"}`))}, Allowed, []string{"x"}},

		// Same-account: union of identity and resource policies.
		{"same account: bucket policy alone grants user", get(alice, "k"), []ts{id(), bucket(acctA, stmts(`{"Sid":"u","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`))}, Allowed, []string{"u"}},
		{"same account: identity alone grants", get(alice, "k"), []ts{id(allowGet), bucket(acctA)}, Allowed, []string{"get"}},
		{"same account: bucket names other user", get(alice, "k"), []ts{id(), bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:user/team/bob"},"Action":"*","Resource":"*"}`))}, ImplicitDeny, nil},
		{"user ARN with path", get(bob, "k"), []ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:user/team/bob"},"Action":"*","Resource":"*"}`))}, Allowed, nil},
		{"same account: account principal delegates, no identity allow", get(alice, "k"), []ts{id(), bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"`+acctA+`"},"Action":"*","Resource":"*"}`))}, ImplicitDeny, nil},
		{"same account: account principal plus identity", get(alice, "k"), []ts{id(allowGet), bucket(acctA, stmts(`{"Sid":"acct","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:root"},"Action":"*","Resource":"*"}`))}, Allowed, []string{"get", "acct"}},
		{"principal list", get(alice, "k"), []ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::`+acctA+`:user/x","arn:aws:iam::`+acctA+`:user/alice"]},"Action":"*","Resource":"*"}`))}, Allowed, nil},
		{"canonical user principal delegates", get(alice, "k"), []ts{id(allowGet), bucket(acctA, stmts(`{"Sid":"cu","Effect":"Allow","Principal":{"CanonicalUser":"canonA"},"Action":"*","Resource":"*"}`))}, Allowed, nil},
		{"canonical user principal alone is not enough", get(alice, "k"), []ts{id(), bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"CanonicalUser":"canonA"},"Action":"*","Resource":"*"}`))}, ImplicitDeny, nil},
		{"canonical user grants root", get(rootA, "k"), []ts{bucket(acctB, stmts(`{"Sid":"cu","Effect":"Allow","Principal":{"CanonicalUser":"canonA"},"Action":"*","Resource":"*"}`))}, Allowed, []string{"cu"}},

		// Cross-account: both sides.
		{"cross account: bucket only", get(carol, "k"), []ts{id(), bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctB+`:user/carol"},"Action":"*","Resource":"*"}`))}, ImplicitDeny, nil},
		{"cross account: identity only", get(carol, "k"), []ts{id(allowGet), bucket(acctA)}, ImplicitDeny, nil},
		{"cross account: both sides", get(carol, "k"), []ts{id(allowGet), bucket(acctA, stmts(`{"Sid":"x","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctB+`:user/carol"},"Action":"*","Resource":"*"}`))}, Allowed, []string{"get", "x"}},
		{"cross account: account delegation plus identity", get(carol, "k"), []ts{id(allowGet), bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"`+acctB+`"},"Action":"*","Resource":"*"}`))}, Allowed, nil},
		{"cross account: delegation to another account", get(carol, "k"), []ts{id(allowGet), bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"999988887777"},"Action":"*","Resource":"*"}`))}, ImplicitDeny, nil},
		{"cross account: resource policy for other action", get(carol, "k"), []ts{id(allowAll), bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"`+acctB+`"},"Action":"s3:PutObject","Resource":"*"}`))}, ImplicitDeny, nil},
		{"cross account: PrincipalAccount condition", Request{Principal: carol, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
			[]ts{id(allowGet), bucket(acctA, stmts(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"`+acctB+`"}}}`))}, Allowed, nil},
		{"cross account: PrincipalAccount condition other account", Request{Principal: carol, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
			[]ts{id(allowGet), bucket(acctA, stmts(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"999988887777"}}}`))}, ImplicitDeny, nil},

		// Anonymous and service principals.
		{"anonymous allowed by public bucket policy", get(anon, "k"), []ts{bucket(acctA, stmts(`{"Sid":"pub","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`))}, Allowed, []string{"pub"}},
		{"anonymous allowed by AWS star", get(anon, "k"), []ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`))}, Allowed, nil},
		{"anonymous read-only", Request{Principal: anon, Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"}, []ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`))}, ImplicitDeny, nil},
		{"anonymous not matched by account", get(anon, "k"), []ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"`+acctA+`"},"Action":"*","Resource":"*"}`))}, ImplicitDeny, nil},
		{"anonymous never through identity policies", get(anon, "k"), []ts{id(allowAll)}, ImplicitDeny, nil},
		{"service never through identity policies", get(oacEdge, "k"), []ts{id(allowAll), bucket(acctA)}, ImplicitDeny, nil},
		{"public read restricted by referer", Request{Principal: anon, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx{"aws:Referer": {"https://www.example.com/page"}}},
			[]ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringLike":{"aws:Referer":["https://www.example.com/*","https://example.com/*"]}}}`))}, Allowed, nil},
		{"public read wrong referer", Request{Principal: anon, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx{"aws:Referer": {"https://evil.test/"}}},
			[]ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringLike":{"aws:Referer":"https://www.example.com/*"}}}`))}, ImplicitDeny, nil},
		{"service principal with SourceArn", Request{Principal: oacEdge, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx{"aws:SourceArn": {"arn:aws:cloudfront::" + acctA + ":distribution/E1"}}},
			[]ts{bucket(acctA, stmts(`{"Sid":"oac","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudfront::`+acctA+`:distribution/E1"}}}`))}, Allowed, []string{"oac"}},
		{"service principal wrong distribution", Request{Principal: oacEdge, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx{"aws:SourceArn": {"arn:aws:cloudfront::" + acctA + ":distribution/E2"}}},
			[]ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudfront::`+acctA+`:distribution/E1"}}}`))}, ImplicitDeny, nil},
		{"service principal does not match users", get(alice, "k"), []ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"*","Resource":"*"}`))}, ImplicitDeny, nil},
		{"origin access identity principal", get(oaiIdent, "k"), []ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E1"},"Action":"s3:GetObject","Resource":"*"}`))}, Allowed, nil},
		{"origin access identity by canonical user", get(oaiIdent, "k"), []ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"CanonicalUser":"canonOAI"},"Action":"s3:GetObject","Resource":"*"}`))}, Allowed, nil},
		{"another canonical user is not the OAI", get(oaiIdent, "k"), []ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"CanonicalUser":"canonA"},"Action":"s3:GetObject","Resource":"*"}`))}, ImplicitDeny, nil},
		{"the OAI is not the service principal", get(oaiIdent, "k"), []ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"*"}`))}, ImplicitDeny, nil},
		{"NotPrincipal naming the OAI spares it", get(oaiIdent, "k"), []ts{bucket(acctA, stmts(
			`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E1"},"Action":"s3:GetObject","Resource":"*"}`,
			`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E1"},"Action":"*","Resource":"*"}`))}, Allowed, nil},
		{"NotPrincipal naming another service denies the OAC", get(oacEdge, "k"), []ts{bucket(acctA, stmts(
			`{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"*"}`,
			`{"Sid":"np","Effect":"Deny","NotPrincipal":{"Service":"logging.s3.amazonaws.com"},"Action":"*","Resource":"*"}`))}, ExplicitDeny, []string{"np"}},

		// Role sessions.
		{"role ARN matches its sessions", get(session, "k"), []ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:role/reader"},"Action":"*","Resource":"*"}`))}, Allowed, nil},
		{"session ARN matches", get(session, "k"), []ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::`+acctA+`:assumed-role/reader/s1"},"Action":"*","Resource":"*"}`))}, Allowed, nil},
		{"role ARN with path matches via RoleARN", get(Principal{Type: PrincipalAssumedRole, Account: acctA, ARN: "arn:aws:sts::" + acctA + ":assumed-role/reader/s1", RoleARN: "arn:aws:iam::" + acctA + ":role/ops/reader"}, "k"),
			[]ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:role/ops/reader"},"Action":"*","Resource":"*"}`))}, Allowed, nil},
		{"role session is not the user of the same name", get(session, "k"), []ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:user/reader"},"Action":"*","Resource":"*"}`))}, ImplicitDeny, nil},
		{"role session delegated via account", get(session, "k"), []ts{id(allowGet), bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"`+acctA+`"},"Action":"*","Resource":"*"}`))}, Allowed, nil},
		{"other role does not match", get(session, "k"), []ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:role/writer"},"Action":"*","Resource":"*"}`))}, ImplicitDeny, nil},

		// NotPrincipal.
		{"NotPrincipal deny applies to others", get(bob, "k"), []ts{id(allowAll), bucket(acctA, stmts(`{"Sid":"np","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::`+acctA+`:user/alice","`+acctA+`"]},"Action":"*","Resource":"*"}`))}, ExplicitDeny, []string{"np"}},
		{"NotPrincipal deny spares listed user and account", get(alice, "k"), []ts{id(allowAll), bucket(acctA, stmts(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::`+acctA+`:user/alice","`+acctA+`"]},"Action":"*","Resource":"*"}`))}, Allowed, nil},
		{"NotPrincipal listing only the user still denies it", get(alice, "k"), []ts{id(allowAll), bucket(acctA, stmts(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::`+acctA+`:user/alice"},"Action":"*","Resource":"*"}`))}, ExplicitDeny, nil},
		{"NotPrincipal deny applies to anonymous", get(anon, "k"), []ts{bucket(acctA, stmts(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`, `{"Sid":"np","Effect":"Deny","NotPrincipal":{"AWS":"`+acctA+`"},"Action":"*","Resource":"*"}`))}, ExplicitDeny, []string{"np"}},
		{"NotPrincipal deny spares listed root", get(rootA, "k"), []ts{bucket(acctA, stmts(`{"Effect":"Deny","NotPrincipal":{"AWS":"`+acctA+`"},"Action":"*","Resource":"*"}`))}, Allowed, nil},
		{"NotPrincipal role session needs all names", get(session, "k"), []ts{id(allowAll), bucket(acctA, stmts(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::`+acctA+`:role/reader","arn:aws:sts::`+acctA+`:assumed-role/reader/s1","`+acctA+`"]},"Action":"*","Resource":"*"}`))}, Allowed, nil},
		{"NotPrincipal role session missing session ARN", get(session, "k"), []ts{id(allowAll), bucket(acctA, stmts(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::`+acctA+`:role/reader","`+acctA+`"]},"Action":"*","Resource":"*"}`))}, ExplicitDeny, nil},
		{"NotPrincipal allow grants others", get(anon, "k"), []ts{bucket(acctA, stmts(`{"Effect":"Allow","NotPrincipal":{"AWS":"`+acctB+`"},"Action":"s3:GetObject","Resource":"*"}`))}, Allowed, nil},
		{"NotPrincipal allow excludes listed", get(rootB, "k"), []ts{bucket(acctA, stmts(`{"Effect":"Allow","NotPrincipal":{"AWS":"`+acctB+`"},"Action":"s3:GetObject","Resource":"*"}`))}, ImplicitDeny, nil},

		// KMS key policies: Required resource sets.
		{"key policy default: root delegates to IAM", Request{Principal: alice, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:" + acctA + ":key/k1"},
			[]ts{id(stmts(`{"Sid":"iam","Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}`)), keyPolicy(acctA, stmts(`{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:root"},"Action":"kms:*","Resource":"*"}`))}, Allowed, []string{"iam", "Enable IAM User Permissions"}},
		{"key policy default: no IAM allow", Request{Principal: alice, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:" + acctA + ":key/k1"},
			[]ts{id(), keyPolicy(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:root"},"Action":"kms:*","Resource":"*"}`))}, ImplicitDeny, nil},
		{"key policy without root: IAM allow is not enough", Request{Principal: alice, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:" + acctA + ":key/k1"},
			[]ts{id(allowAll), keyPolicy(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:user/team/bob"},"Action":"kms:*","Resource":"*"}`))}, ImplicitDeny, nil},
		{"key policy names user directly", Request{Principal: bob, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:" + acctA + ":key/k1"},
			[]ts{id(), keyPolicy(acctA, stmts(`{"Sid":"bob","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:user/team/bob"},"Action":"kms:Decrypt","Resource":"*"}`))}, Allowed, []string{"bob"}},
		{"key policy root grants root", Request{Principal: rootA, Action: "kms:PutKeyPolicy", Resource: "arn:aws:kms:us-east-1:" + acctA + ":key/k1"},
			[]ts{keyPolicy(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"`+acctA+`"},"Action":"kms:*","Resource":"*"}`))}, Allowed, nil},
		{"key policy without root locks out root", Request{Principal: rootA, Action: "kms:PutKeyPolicy", Resource: "arn:aws:kms:us-east-1:" + acctA + ":key/k1"},
			[]ts{keyPolicy(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:user/alice"},"Action":"kms:*","Resource":"*"}`))}, ImplicitDeny, nil},
		{"key policy cross account needs IAM in caller account", Request{Principal: carol, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:" + acctA + ":key/k1"},
			[]ts{id(), keyPolicy(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctB+`:user/carol"},"Action":"kms:Decrypt","Resource":"*"}`))}, ImplicitDeny, nil},
		{"key policy cross account with IAM", Request{Principal: carol, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:" + acctA + ":key/k1"},
			[]ts{id(allowAll), keyPolicy(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"`+acctB+`"},"Action":"kms:Decrypt","Resource":"*"}`))}, Allowed, nil},
		{"key policy encryption context condition", Request{Principal: bob, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:" + acctA + ":key/k1", Context: ctx{"kms:EncryptionContext:aws:s3:arn": {"arn:aws:s3:::b/k"}}},
			[]ts{keyPolicy(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:user/team/bob"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringLike":{"kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::b/*"}}}`))}, Allowed, nil},
		{"key policy encryption context keys", Request{Principal: bob, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:" + acctA + ":key/k1", Context: ctx{"kms:EncryptionContextKeys": {"aws:s3:arn", "extra"}}},
			[]ts{keyPolicy(acctA, stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:user/team/bob"},"Action":"kms:Decrypt","Resource":"*","Condition":{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["aws:s3:arn"]}}}`))}, ImplicitDeny, nil},

		// Permissions boundaries.
		{"boundary allows", get(alice, "k"), []ts{id(allowAll), boundary(allowGet)}, Allowed, nil},
		{"boundary limits", Request{Principal: alice, Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"}, []ts{id(allowAll), boundary(allowGet)}, ImplicitDeny, nil},
		{"boundary grants nothing alone", get(alice, "k"), []ts{id(), boundary(allowAll)}, ImplicitDeny, nil},
		{"boundary deny is explicit", get(alice, "k"), []ts{id(allowAll), boundary(denyAll)}, ExplicitDeny, nil},

		// Conditions on principal-derived keys.
		{"PrincipalType condition", get(alice, "k"), []ts{id(stmts(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalType":"User"}}}`))}, Allowed, nil},
		{"PrincipalArn condition", get(session, "k"), []ts{id(stmts(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:sts::` + acctA + `:assumed-role/reader/*"}}}`))}, Allowed, nil},
		{"explicit context overrides principal-derived key", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx{"aws:username": {"mallory"}}},
			[]ts{id(stmts(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":"alice"}}}`))}, ImplicitDeny, nil},
		{"listing own home with s3:prefix", Request{Principal: alice, Action: "s3:ListBucket", Resource: "arn:aws:s3:::b", Context: ctx{"s3:prefix": {"home/alice/"}}},
			[]ts{id(stmts(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}}`))}, Allowed, nil},
		{"listing other home with s3:prefix", Request{Principal: alice, Action: "s3:ListBucket", Resource: "arn:aws:s3:::b", Context: ctx{"s3:prefix": {"home/bob/"}}},
			[]ts{id(stmts(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}}`))}, ImplicitDeny, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sets []Set
			for si, s := range tt.sets {
				set := Set{Kind: s.kind, Owner: s.owner, Required: s.required}
				for pi, doc := range s.docs {
					p, err := Parse([]byte(doc), s.kind)
					if err != nil {
						t.Fatalf("set %d policy %d: Parse: %v", si, pi, err)
					}
					set.Policies = append(set.Policies, p)
				}
				sets = append(sets, set)
			}
			d := Evaluate(tt.req, sets...)
			if d.Outcome != tt.want {
				t.Fatalf("got %v (%s, %+v), want %v", d.Outcome, d.Reason, d.Statements, tt.want)
			}
			if tt.sids != nil {
				var got []string
				for _, s := range d.Statements {
					got = append(got, s.Sid)
				}
				if !reflect.DeepEqual(got, tt.sids) {
					t.Errorf("deciding statements %v, want %v", got, tt.sids)
				}
			}
			if d.Outcome == ImplicitDeny && d.Reason == "" {
				t.Errorf("implicit deny without a reason")
			}
		})
	}
}

func TestDecisionIdentifiesStatements(t *testing.T) {
	p, err := Parse([]byte(`{"Version":"2012-10-17","Id":"doc-id","Statement":[
		{"Sid":"a","Effect":"Allow","Action":"s3:PutObject","Resource":"*"},
		{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}`), KindIdentity)
	if err != nil {
		t.Fatal(err)
	}
	d := Evaluate(Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, Set{Kind: KindIdentity, Policies: []*Policy{p}})
	want := []StatementRef{{Kind: KindIdentity, Policy: "doc-id", Sid: "", Index: 1, Effect: Deny}}
	if d.Outcome != ExplicitDeny || !reflect.DeepEqual(d.Statements, want) {
		t.Fatalf("got %+v, want ExplicitDeny %+v", d, want)
	}
	p.Name = "user/alice/inline/x"
	d = Evaluate(Request{Principal: alice, Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"}, Set{Kind: KindIdentity, Policies: []*Policy{p}})
	want = []StatementRef{{Kind: KindIdentity, Policy: "user/alice/inline/x", Sid: "a", Index: 0, Effect: Allow}}
	if !d.Allowed() || !reflect.DeepEqual(d.Statements, want) {
		t.Fatalf("got %+v, want Allow %+v", d, want)
	}
}

func TestImplicitDenyReasons(t *testing.T) {
	acct := stmts(`{"Effect":"Allow","Principal":{"AWS":"` + acctB + `"},"Action":"*","Resource":"*"}`)
	tests := []struct {
		name   string
		req    Request
		sets   []Set
		reason string
	}{
		{"no identity policy", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, nil, "no identity policy allows"},
		{"cross account without identity allow", Request{Principal: carol, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
			[]Set{{Kind: KindResource, Owner: acctA, Policies: []*Policy{mustParse(t, acct, KindResource)}}}, "identity policies do not allow"},
		{"cross account without resource allow", Request{Principal: carol, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
			[]Set{{Kind: KindIdentity, Policies: []*Policy{mustParse(t, stmts(`{"Effect":"Allow","Action":"*","Resource":"*"}`), KindIdentity)}},
				{Kind: KindResource, Owner: acctA}}, "the resource policy does not allow"},
		{"key policy delegation without IAM", Request{Principal: carol, Action: "kms:Decrypt", Resource: "*"},
			[]Set{{Kind: KindResource, Owner: acctB, Required: true, Policies: []*Policy{mustParse(t, acct, KindResource)}}}, "delegates to the caller's account"},
		{"boundary", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
			[]Set{{Kind: KindBoundary}}, "permissions boundary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Evaluate(tt.req, tt.sets...)
			if d.Outcome != ImplicitDeny || !strings.Contains(d.Reason, tt.reason) {
				t.Errorf("got %v %q, want ImplicitDeny mentioning %q", d.Outcome, d.Reason, tt.reason)
			}
		})
	}
}

func mustParse(t *testing.T, doc string, kind Kind) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc), kind)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMisplacedPoliciesNeverGrant(t *testing.T) {
	bucketPolicy := mustParse(t, stmts(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:user/nobody"},"Action":"*","Resource":"*"}`,
		`{"Sid":"d","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"*"}`), KindResource)
	identityPolicy := mustParse(t, stmts(`{"Effect":"Allow","Action":"*","Resource":"*"}`), KindIdentity)
	get := Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}
	if d := Evaluate(get, Set{Kind: KindIdentity, Policies: []*Policy{bucketPolicy}}); d.Outcome != ImplicitDeny {
		t.Errorf("resource policy as identity policy: %v, want ImplicitDeny", d.Outcome)
	}
	del := Request{Principal: alice, Action: "s3:DeleteObject", Resource: "arn:aws:s3:::b/k"}
	if d := Evaluate(del, Set{Kind: KindIdentity, Policies: []*Policy{identityPolicy, bucketPolicy}}); d.Outcome != ExplicitDeny {
		t.Errorf("misplaced Deny: %v, want ExplicitDeny", d.Outcome)
	}
	if d := Evaluate(get, Set{Kind: KindResource, Policies: []*Policy{identityPolicy}}); d.Outcome != ImplicitDeny {
		t.Errorf("identity policy as resource policy: %v, want ImplicitDeny", d.Outcome)
	}
	if d := Evaluate(get, Set{Kind: Kind(0), Policies: []*Policy{identityPolicy}}); d.Outcome != ImplicitDeny {
		t.Errorf("unknown set kind: %v, want ImplicitDeny", d.Outcome)
	}
}

func TestRootARN(t *testing.T) {
	tests := []struct {
		name string
		p    Principal
		want string
	}{
		{"root's own ARN", rootA, "arn:aws:iam::" + acctA + ":root"},
		{"root in another partition", Principal{Type: PrincipalRoot, Account: acctA, ARN: "arn:aws-cn:iam::" + acctA + ":root"}, "arn:aws-cn:iam::" + acctA + ":root"},
		{"root with an empty partition", Principal{Type: PrincipalRoot, Account: acctA, ARN: "arn::iam::" + acctA + ":root"}, "arn:aws:iam::" + acctA + ":root"},
		{"root with another account's ARN", Principal{Type: PrincipalRoot, Account: acctA, ARN: "arn:aws:iam::" + acctB + ":root"}, "arn:aws:iam::" + acctA + ":root"},
		{"root without an ARN", Principal{Type: PrincipalRoot, Account: acctA}, "arn:aws:iam::" + acctA + ":root"},
		{"user", alice, "arn:aws:iam::" + acctA + ":root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.rootARN(); got != tt.want {
				t.Errorf("rootARN = %q, want %q", got, tt.want)
			}
		})
	}
}
