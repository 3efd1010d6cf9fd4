package policy

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	const (
		okStmt = `{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`
		v      = `"Version":"2012-10-17",`
	)
	tests := []struct {
		name string
		kind Kind
		doc  string
		msg  string // substring of the error
	}{
		{"not JSON", KindIdentity, `{`, "syntax errors"},
		{"JSON array", KindIdentity, `[]`, "syntax errors"},
		{"trailing data", KindIdentity, `{` + v + `"Statement":` + okStmt + `} {}`, "syntax errors"},
		{"duplicate top-level field", KindIdentity, `{` + v + `"Statement":` + okStmt + `,"Statement":` + okStmt + `}`, "duplicate field"},
		{"unknown top-level field", KindIdentity, `{` + v + `"Statements":[` + okStmt + `]}`, "unknown field Statements"},
		{"lower-case element", KindIdentity, `{"version":"2012-10-17","Statement":` + okStmt + `}`, "unknown field version"},
		{"bad version", KindIdentity, `{"Version":"2012-10-18","Statement":` + okStmt + `}`, "valid version"},
		{"numeric version", KindIdentity, `{"Version":2012,"Statement":` + okStmt + `}`, "valid version"},
		{"null version", KindIdentity, `{"Version":null,"Statement":` + okStmt + `}`, "null"},
		{"numeric Id", KindIdentity, `{` + v + `"Id":1,"Statement":` + okStmt + `}`, "Id must be a string"},
		{"missing Statement", KindIdentity, `{` + v[:len(v)-1] + `}`, "missing required field Statement"},
		{"empty Statement list", KindIdentity, `{` + v + `"Statement":[]}`, "must not be empty"},
		{"Statement is a string", KindIdentity, `{` + v + `"Statement":"x"}`, "Statement must be"},
		{"statement is a string", KindIdentity, `{` + v + `"Statement":["x"]}`, "JSON object"},
		{"unknown statement field", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Foo":1}}`, "unknown field Foo"},
		{"missing Effect", KindIdentity, `{` + v + `"Statement":{"Action":"*","Resource":"*"}}`, "missing required field Effect"},
		{"bad Effect", KindIdentity, `{` + v + `"Statement":{"Effect":"allow","Action":"*","Resource":"*"}}`, "invalid effect"},
		{"numeric Sid", KindIdentity, `{` + v + `"Statement":{"Sid":1,"Effect":"Allow","Action":"*","Resource":"*"}}`, "Sid must be a string"},
		{"duplicate Sid", KindIdentity, `{` + v + `"Statement":[{"Sid":"a","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"a","Effect":"Deny","Action":"*","Resource":"*"}]}`, "unique"},
		{"missing Action", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Resource":"*"}}`, "missing required field Action"},
		{"Action and NotAction", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}}`, "both Action and NotAction"},
		{"empty Action list", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`, "non-empty list"},
		{"numeric Action", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":3,"Resource":"*"}}`, "non-empty list"},
		{"Action without service", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}`, "invalid action"},
		{"Action with empty name", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:","Resource":"*"}}`, "invalid action"},
		{"Action with spaces", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:Get Object","Resource":"*"}}`, "invalid action"},
		{"empty Action string", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"","Resource":"*"}}`, "invalid action"},
		{"missing Resource", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*"}}`, "missing required field Resource"},
		{"Resource and NotResource", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}}`, "both Resource and NotResource"},
		{"Resource not an ARN", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"bucket/*"}}`, "invalid resource"},
		{"Resource service wildcard", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s*:::b"}}`, "invalid resource"},
		{"Resource bad variable", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username"}}`, "invalid policy variable"},
		{"Resource empty variable", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${}"}}`, "invalid policy variable"},
		{"Resource unquoted default", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${a:b, c}"}}`, "invalid policy variable"},
		{"Resource unterminated default", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${a:b, 'c}"}}`, "invalid policy variable"},
		{"Principal in identity policy", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`, "prohibited field Principal"},
		{"NotPrincipal in boundary policy", KindBoundary, `{` + v + `"Statement":{"Effect":"Allow","NotPrincipal":"*","Action":"*","Resource":"*"}}`, "prohibited field Principal"},
		{"missing Principal in resource policy", KindResource, `{` + v + `"Statement":` + okStmt + `}`, "missing required field Principal"},
		{"Principal and NotPrincipal", KindResource, `{` + v + `"Statement":{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"*","Resource":"*"}}`, "both Principal and NotPrincipal"},
		{"Principal string not star", KindResource, `{` + v + `"Statement":{"Effect":"Allow","Principal":"123456789012","Action":"*","Resource":"*"}}`, "invalid principal"},
		{"Principal unknown type", KindResource, `{` + v + `"Statement":{"Effect":"Allow","Principal":{"User":"x"},"Action":"*","Resource":"*"}}`, "unknown principal type"},
		{"Principal empty object", KindResource, `{` + v + `"Statement":{"Effect":"Allow","Principal":{},"Action":"*","Resource":"*"}}`, "invalid principal"},
		{"Principal short account id", KindResource, `{` + v + `"Statement":{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"*","Resource":"*"}}`, "invalid principal"},
		{"Principal partial wildcard", KindResource, `{` + v + `"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/*"},"Action":"*","Resource":"*"}}`, "invalid principal"},
		{"Principal non-IAM ARN", KindResource, `{` + v + `"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:s3:::bucket"},"Action":"*","Resource":"*"}}`, "invalid principal"},
		{"Principal AWS number", KindResource, `{` + v + `"Statement":{"Effect":"Allow","Principal":{"AWS":123456789012},"Action":"*","Resource":"*"}}`, "invalid principal"},
		{"Principal empty service", KindResource, `{` + v + `"Statement":{"Effect":"Allow","Principal":{"Service":""},"Action":"*","Resource":"*"}}`, "invalid principal"},
		{"Condition not an object", KindIdentity, `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":[]}}`, "Condition must be"},
		{"unknown condition operator", KindIdentity, condPolicy(Version2012, `{"StringEqualz":{"a:k":"v"}}`), "invalid Condition type : StringEqualz"},
		{"operator wrong case", KindIdentity, condPolicy(Version2012, `{"stringequals":{"a:k":"v"}}`), "invalid Condition type"},
		{"unknown set prefix", KindIdentity, condPolicy(Version2012, `{"ForSomeValues:StringEquals":{"a:k":"v"}}`), "invalid Condition type"},
		{"NullIfExists", KindIdentity, condPolicy(Version2012, `{"NullIfExists":{"a:k":"true"}}`), "invalid Condition type"},
		{"IfExists twice", KindIdentity, condPolicy(Version2012, `{"StringEqualsIfExistsIfExists":{"a:k":"v"}}`), "invalid Condition type"},
		{"operator without keys", KindIdentity, condPolicy(Version2012, `{"StringEquals":{}}`), "must map keys"},
		{"condition value object", KindIdentity, condPolicy(Version2012, `{"StringEquals":{"a:k":{"x":1}}}`), "values must be"},
		{"condition value null", KindIdentity, condPolicy(Version2012, `{"StringEquals":{"a:k":null}}`), "null"},
		{"condition value empty list", KindIdentity, condPolicy(Version2012, `{"StringEquals":{"a:k":[]}}`), "values must be"},
		{"condition value nested list", KindIdentity, condPolicy(Version2012, `{"StringEquals":{"a:k":[["v"]]}}`), "values must be"},
		{"condition key empty", KindIdentity, condPolicy(Version2012, `{"StringEquals":{"":"v"}}`), "invalid condition key"},
		{"condition key repeated in other case", KindIdentity, condPolicy(Version2012, `{"StringEquals":{"a:k":"v","A:K":"w"}}`), "repeats key"},
		{"numeric value not a number", KindIdentity, condPolicy(Version2012, `{"NumericLessThan":{"s3:max-keys":"ten"}}`), "invalid value"},
		{"date value not a date", KindIdentity, condPolicy(Version2012, `{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}`), "invalid value"},
		{"bool value not a bool", KindIdentity, condPolicy(Version2012, `{"Bool":{"aws:SecureTransport":"yes"}}`), "invalid value"},
		{"null value not a bool", KindIdentity, condPolicy(Version2012, `{"Null":{"a:k":"maybe"}}`), "invalid value"},
		{"binary value not base64", KindIdentity, condPolicy(Version2012, `{"BinaryEquals":{"a:k":"!!"}}`), "invalid value"},
		{"IP value not an address", KindIdentity, condPolicy(Version2012, `{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}`), "invalid value"},
		{"ARN value not an ARN", KindIdentity, condPolicy(Version2012, `{"ArnLike":{"aws:SourceArn":"bucket"}}`), "invalid value"},
		{"bad variable in condition", KindIdentity, condPolicy(Version2012, `{"StringEquals":{"a:k":"${a b}"}}`), "invalid policy variable"},
		{"unknown kind", Kind(0), `{` + v + `"Statement":` + okStmt + `}`, "unknown policy kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), tt.kind)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%s) = %v, want a *ParseError", tt.doc, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		doc  string
	}{
		{"statement object", KindIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`},
		{"no version means 2008-10-17", KindIdentity, `{"Statement":[{"Effect":"Deny","NotAction":["s3:Get*"],"NotResource":["arn:aws:s3:::b/*"]}]}`},
		{"2008 version with literal ${", KindIdentity, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${x"}}`},
		{"default S3 bucket policy", KindResource, `{"Version":"2012-10-17","Id":"P1","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":["arn:aws:s3:::b/*"]}]}`},
		{"every principal type", KindResource, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:user/a","arn:aws:iam::123456789012:role/r","arn:aws:sts::123456789012:assumed-role/r/s"],"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be","Service":["cloudfront.amazonaws.com"],"Federated":"cognito-identity.amazonaws.com"},"Action":"s3:*","Resource":"*"}}`},
		{"KMS default key policy", KindResource, `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`},
		{"condition scalars", KindIdentity, condPolicy(Version2012, `{"NumericLessThanEquals":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true},"DateGreaterThan":{"aws:EpochTime":1700000000},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32","192.0.2.1"]}}`)},
		{"every operator", KindIdentity, condPolicy(Version2012, `{
			"StringEquals":{"a:a":"x"},"StringNotEquals":{"a:a":"x"},"StringEqualsIgnoreCase":{"a:a":"x"},"StringNotEqualsIgnoreCase":{"a:a":"x"},
			"StringLike":{"a:a":"x*"},"StringNotLike":{"a:a":"x?"},"NumericEquals":{"a:n":"1"},"NumericNotEquals":{"a:n":"1"},
			"NumericLessThan":{"a:n":"1"},"NumericLessThanEquals":{"a:n":"1"},"NumericGreaterThan":{"a:n":"1"},"NumericGreaterThanEquals":{"a:n":"1.5"},
			"DateEquals":{"a:d":"2020-01-01"},"DateNotEquals":{"a:d":"2020-01-01T00:00:00Z"},"DateLessThan":{"a:d":"1577836800"},
			"DateLessThanEquals":{"a:d":"2020-01-01T00:00Z"},"DateGreaterThan":{"a:d":"2020-01-01T01:00:00+01:00"},"DateGreaterThanEquals":{"a:d":"2020-01-01"},
			"Bool":{"a:b":"true"},"BinaryEquals":{"a:x":"AAEC"},"IpAddress":{"a:ip":"::1"},"NotIpAddress":{"a:ip":"10.0.0.0/8"},
			"ArnEquals":{"a:arn":"arn:aws:s3:::b"},"ArnLike":{"a:arn":"arn:aws:s3:::b*"},"ArnNotEquals":{"a:arn":"arn:aws:s3:::b"},"ArnNotLike":{"a:arn":"arn:aws:s3:::*"},
			"Null":{"a:z":"true"},"StringLikeIfExists":{"a:a":"x"},"ForAllValues:StringEquals":{"a:s":["x"]},"ForAnyValue:NumericLessThanIfExists":{"a:n":"3"}}`)},
		{"variables in numeric values skip validation", KindIdentity, condPolicy(Version2012, `{"NumericLessThan":{"a:n":"${a:max}"}}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.doc), tt.kind); err != nil {
				t.Fatalf("Parse: %v", err)
			}
		})
	}
}

func TestStatements(t *testing.T) {
	p, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[
		{"Sid":"r","Effect":"Allow","Principal":"*","Action":["S3:GetObject","s3:List*"],"Resource":"arn:aws:s3:::b/${aws:username}/*",
		 "Condition":{"StringLike":{"S3:Prefix":"x"}}},
		{"Effect":"Deny","Principal":{"AWS":"111122223333"},"NotAction":"s3:*","NotResource":["arn:aws:s3:::b"]}]}`), KindResource)
	if err != nil {
		t.Fatal(err)
	}
	want := []StatementInfo{
		{Sid: "r", Effect: Allow, Actions: []string{"s3:getobject", "s3:list*"}, Resources: []string{"arn:aws:s3:::b/${aws:username}/*"},
			Conditions: []string{"StringLike s3:prefix"}, ConditionKeys: []string{"S3:Prefix"}, Everyone: true},
		{Effect: Deny, Actions: []string{"s3:*"}, NotAction: true, Resources: []string{"arn:aws:s3:::b"}, NotResource: true},
	}
	if got := p.Statements(); !reflect.DeepEqual(got, want) {
		t.Errorf("Statements() =\n%+v\nwant\n%+v", got, want)
	}
	if p.Kind() != KindResource || p.Version != Version2012 {
		t.Errorf("Kind %v Version %q", p.Kind(), p.Version)
	}
}

func TestParseErrorMessage(t *testing.T) {
	_, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Sid":"bad","Effect":"Allow","Action":"nope","Resource":"*"}]}`), KindIdentity)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Statement != 1 || pe.Sid != "bad" {
		t.Fatalf("got %#v", err)
	}
	if want := `policy: statement 1 (Sid "bad"): policy has invalid action: "nope"`; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

// TestParseTrust: a trust policy may leave out Resource (the role itself),
// must still name principals, and is otherwise a resource policy.
func TestParseTrust(t *testing.T) {
	ok := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}}`
	p, err := ParseTrust([]byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Principal: Principal{Type: PrincipalRoot, Account: "111122223333", ARN: "arn:aws:iam::111122223333:root"},
		Action: "sts:AssumeRole", Resource: "arn:aws:iam::444455556666:role/r"}
	if d := Evaluate(req, Set{Kind: KindResource, Policies: []*Policy{p}, Owner: "444455556666", Required: true}); !d.Allowed() {
		t.Errorf("trust policy naming the caller's account: %v (%s)", d.Outcome, d.Reason)
	}
	if _, err := Parse([]byte(ok), KindResource); err == nil {
		t.Error("Parse accepted a resource policy without Resource")
	}
	if _, err := ParseTrust([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}`)); err == nil {
		t.Error("ParseTrust accepted a statement without Principal")
	}
}
