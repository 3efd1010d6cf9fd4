package policy

import (
	"testing"
)

// condPolicy wraps a Condition block in an identity policy that allows
// everything when the condition holds.
func condPolicy(version, cond string) string {
	return `{"Version":"` + version + `","Statement":{"Sid":"c","Effect":"Allow","Action":"*","Resource":"*","Condition":` + cond + `}}`
}

type ctx = map[string][]string

func TestConditions(t *testing.T) {
	user := Principal{Type: PrincipalUser, Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/alice",
		Username: "alice", UserID: "AIDAALICE"}
	tests := []struct {
		name    string
		cond    string
		context ctx
		want    bool
	}{
		// String operators.
		{"StringEquals match", `{"StringEquals":{"s3:x-amz-acl":"private"}}`, ctx{"s3:x-amz-acl": {"private"}}, true},
		{"StringEquals is case-sensitive", `{"StringEquals":{"s3:x-amz-acl":"private"}}`, ctx{"s3:x-amz-acl": {"Private"}}, false},
		{"StringEquals key lookup is case-insensitive", `{"StringEquals":{"S3:X-Amz-Acl":"private"}}`, ctx{"s3:x-amz-acl": {"private"}}, true},
		{"StringEquals values are ORed", `{"StringEquals":{"s3:x-amz-acl":["public-read","private"]}}`, ctx{"s3:x-amz-acl": {"private"}}, true},
		{"StringEquals missing key is false", `{"StringEquals":{"s3:x-amz-acl":"private"}}`, ctx{}, false},
		{"StringEquals wildcard is literal", `{"StringEquals":{"s3:prefix":"home/*"}}`, ctx{"s3:prefix": {"home/x"}}, false},
		{"StringEquals literal star", `{"StringEquals":{"s3:prefix":"home/*"}}`, ctx{"s3:prefix": {"home/*"}}, true},
		{"StringEquals multiple keys are ANDed", `{"StringEquals":{"a:x":"1","a:y":"2"}}`, ctx{"a:x": {"1"}, "a:y": {"3"}}, false},
		{"StringEquals multiple keys all match", `{"StringEquals":{"a:x":"1","a:y":"2"}}`, ctx{"a:x": {"1"}, "a:y": {"2"}}, true},
		{"operators are ANDed", `{"StringEquals":{"a:x":"1"},"StringLike":{"a:y":"z*"}}`, ctx{"a:x": {"1"}, "a:y": {"q"}}, false},
		{"operators are ANDed all true", `{"StringEquals":{"a:x":"1"},"StringLike":{"a:y":"z*"}}`, ctx{"a:x": {"1"}, "a:y": {"zz"}}, true},
		{"StringEquals number value", `{"StringEquals":{"s3:max-keys":10}}`, ctx{"s3:max-keys": {"10"}}, true},
		{"StringNotEquals different", `{"StringNotEquals":{"s3:x-amz-acl":"public-read"}}`, ctx{"s3:x-amz-acl": {"private"}}, true},
		{"StringNotEquals equal", `{"StringNotEquals":{"s3:x-amz-acl":"public-read"}}`, ctx{"s3:x-amz-acl": {"public-read"}}, false},
		{"StringNotEquals values are NORed", `{"StringNotEquals":{"s3:x-amz-acl":["a","b"]}}`, ctx{"s3:x-amz-acl": {"b"}}, false},
		{"StringNotEquals missing key is true", `{"StringNotEquals":{"s3:x-amz-acl":"public-read"}}`, ctx{}, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:UserAgent":"AWS-CLI"}}`, ctx{"aws:useragent": {"aws-cli"}}, true},
		{"StringEqualsIgnoreCase differs", `{"StringEqualsIgnoreCase":{"aws:UserAgent":"AWS-CLI"}}`, ctx{"aws:useragent": {"boto3"}}, false},
		{"StringNotEqualsIgnoreCase same", `{"StringNotEqualsIgnoreCase":{"aws:UserAgent":"AWS-CLI"}}`, ctx{"aws:useragent": {"aws-cli"}}, false},
		{"StringNotEqualsIgnoreCase missing", `{"StringNotEqualsIgnoreCase":{"aws:UserAgent":"AWS-CLI"}}`, ctx{}, true},
		{"StringLike star", `{"StringLike":{"s3:prefix":"home/*"}}`, ctx{"s3:prefix": {"home/alice/x"}}, true},
		{"StringLike question", `{"StringLike":{"s3:prefix":"v?"}}`, ctx{"s3:prefix": {"v1"}}, true},
		{"StringLike question is one char", `{"StringLike":{"s3:prefix":"v?"}}`, ctx{"s3:prefix": {"v12"}}, false},
		{"StringLike star matches empty", `{"StringLike":{"s3:prefix":"home/*"}}`, ctx{"s3:prefix": {"home/"}}, true},
		{"StringLike case-sensitive", `{"StringLike":{"s3:prefix":"Home/*"}}`, ctx{"s3:prefix": {"home/a"}}, false},
		{"StringLike missing key", `{"StringLike":{"s3:prefix":"*"}}`, ctx{}, false},
		{"StringLike empty value present", `{"StringLike":{"s3:prefix":""}}`, ctx{"s3:prefix": {""}}, true},
		{"StringLike star crosses colons", `{"StringLike":{"aws:Referer":"https://*.example.com/*"}}`, ctx{"aws:referer": {"https://www.example.com:443/a"}}, false},
		{"StringLike referer", `{"StringLike":{"aws:Referer":"https://*.example.com/*"}}`, ctx{"aws:referer": {"https://www.example.com/a"}}, true},
		{"StringNotLike match", `{"StringNotLike":{"s3:prefix":"home/*"}}`, ctx{"s3:prefix": {"home/a"}}, false},
		{"StringNotLike no match", `{"StringNotLike":{"s3:prefix":"home/*"}}`, ctx{"s3:prefix": {"tmp/a"}}, true},
		{"StringNotLike missing key is true", `{"StringNotLike":{"s3:prefix":"home/*"}}`, ctx{}, true},
		{"StringLike multibyte question", `{"StringLike":{"a:k":"caf?"}}`, ctx{"a:k": {"café"}}, true},

		// Numeric operators.
		{"NumericEquals", `{"NumericEquals":{"s3:max-keys":"10"}}`, ctx{"s3:max-keys": {"10"}}, true},
		{"NumericEquals float spelling", `{"NumericEquals":{"s3:max-keys":10}}`, ctx{"s3:max-keys": {"10.0"}}, true},
		{"NumericEquals differs", `{"NumericEquals":{"s3:max-keys":"10"}}`, ctx{"s3:max-keys": {"11"}}, false},
		{"NumericEquals non-numeric request value", `{"NumericEquals":{"s3:max-keys":"10"}}`, ctx{"s3:max-keys": {"ten"}}, false},
		{"NumericNotEquals", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, ctx{"s3:max-keys": {"11"}}, true},
		{"NumericNotEquals equal", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, ctx{"s3:max-keys": {"10"}}, false},
		{"NumericNotEquals missing", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, ctx{}, true},
		{"NumericLessThan true", `{"NumericLessThan":{"s3:max-keys":"10"}}`, ctx{"s3:max-keys": {"9"}}, true},
		{"NumericLessThan equal", `{"NumericLessThan":{"s3:max-keys":"10"}}`, ctx{"s3:max-keys": {"10"}}, false},
		{"NumericLessThanEquals equal", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, ctx{"s3:max-keys": {"10"}}, true},
		{"NumericLessThanEquals greater", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, ctx{"s3:max-keys": {"11"}}, false},
		{"NumericGreaterThan true", `{"NumericGreaterThan":{"aws:MultiFactorAuthAge":"3600"}}`, ctx{"aws:multifactorauthage": {"3601"}}, true},
		{"NumericGreaterThan equal", `{"NumericGreaterThan":{"aws:MultiFactorAuthAge":"3600"}}`, ctx{"aws:multifactorauthage": {"3600"}}, false},
		{"NumericGreaterThanEquals equal", `{"NumericGreaterThanEquals":{"aws:MultiFactorAuthAge":"3600"}}`, ctx{"aws:multifactorauthage": {"3600"}}, true},
		{"NumericGreaterThanEquals negative", `{"NumericGreaterThanEquals":{"a:n":"-1.5"}}`, ctx{"a:n": {"-2"}}, false},
		{"NumericLessThan missing", `{"NumericLessThan":{"s3:max-keys":"10"}}`, ctx{}, false},

		// Date operators.
		{"DateLessThan ISO", `{"DateLessThan":{"aws:CurrentTime":"2026-12-31T23:59:59Z"}}`, ctx{"aws:currenttime": {"2026-11-26T10:00:00Z"}}, true},
		{"DateLessThan after", `{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, ctx{"aws:currenttime": {"2026-11-26T10:00:00Z"}}, false},
		{"DateGreaterThan date only", `{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01"}}`, ctx{"aws:currenttime": {"2026-11-26T10:00:00Z"}}, true},
		{"DateEquals epoch vs ISO", `{"DateEquals":{"aws:EpochTime":"1700000000"}}`, ctx{"aws:epochtime": {"2023-11-14T22:13:20Z"}}, true},
		{"DateEquals zone offset", `{"DateEquals":{"aws:CurrentTime":"2026-11-26T12:00:00+02:00"}}`, ctx{"aws:currenttime": {"2026-11-26T10:00:00Z"}}, true},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2026-11-26T10:00:00Z"}}`, ctx{"aws:currenttime": {"2026-11-26T10:00:01Z"}}, true},
		{"DateNotEquals equal", `{"DateNotEquals":{"aws:CurrentTime":"2026-11-26T10:00:00Z"}}`, ctx{"aws:currenttime": {"2026-11-26T10:00:00Z"}}, false},
		{"DateLessThanEquals equal", `{"DateLessThanEquals":{"aws:EpochTime":1700000000}}`, ctx{"aws:epochtime": {"1700000000"}}, true},
		{"DateGreaterThanEquals earlier", `{"DateGreaterThanEquals":{"aws:EpochTime":1700000000}}`, ctx{"aws:epochtime": {"1699999999"}}, false},
		{"DateGreaterThan bad request value", `{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01"}}`, ctx{"aws:currenttime": {"yesterday"}}, false},
		{"DateLessThan fractional seconds", `{"DateLessThan":{"aws:CurrentTime":"2026-11-26T10:00:00.5Z"}}`, ctx{"aws:currenttime": {"2026-11-26T10:00:00.25Z"}}, true},

		// Bool.
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, ctx{"aws:securetransport": {"true"}}, true},
		{"Bool JSON boolean", `{"Bool":{"aws:SecureTransport":false}}`, ctx{"aws:securetransport": {"false"}}, true},
		{"Bool mismatch", `{"Bool":{"aws:SecureTransport":"true"}}`, ctx{"aws:securetransport": {"false"}}, false},
		{"Bool case-insensitive", `{"Bool":{"aws:SecureTransport":"TRUE"}}`, ctx{"aws:securetransport": {"true"}}, true},
		{"Bool missing is false", `{"Bool":{"aws:SecureTransport":"false"}}`, ctx{}, false},
		{"BoolIfExists missing is true", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`, ctx{}, true},
		{"BoolIfExists present false", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`, ctx{"aws:multifactorauthpresent": {"false"}}, false},

		// BinaryEquals: the policy holds base64, the request the raw bytes.
		{"BinaryEquals", `{"BinaryEquals":{"a:bin":"QmluYXJ5VmFsdWU="}}`, ctx{"a:bin": {"BinaryValue"}}, true},
		{"BinaryEquals differs", `{"BinaryEquals":{"a:bin":"QmluYXJ5VmFsdWU="}}`, ctx{"a:bin": {"binaryvalue"}}, false},
		{"BinaryEquals missing", `{"BinaryEquals":{"a:bin":"QmluYXJ5VmFsdWU="}}`, ctx{}, false},

		// IP addresses.
		{"IpAddress IPv4 in CIDR", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx{"aws:sourceip": {"203.0.113.7"}}, true},
		{"IpAddress IPv4 outside", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx{"aws:sourceip": {"203.0.114.7"}}, false},
		{"IpAddress single address", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, ctx{"aws:sourceip": {"203.0.113.7"}}, true},
		{"IpAddress host bits set in CIDR", `{"IpAddress":{"aws:SourceIp":"203.0.113.9/24"}}`, ctx{"aws:sourceip": {"203.0.113.200"}}, true},
		{"IpAddress IPv6", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ctx{"aws:sourceip": {"2001:db8:1::5"}}, true},
		{"IpAddress IPv6 outside", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ctx{"aws:sourceip": {"2001:db9::5"}}, false},
		{"IpAddress IPv4-mapped request", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx{"aws:sourceip": {"::ffff:203.0.113.7"}}, true},
		{"IpAddress IPv4-mapped policy CIDR", `{"IpAddress":{"aws:SourceIp":"::ffff:203.0.113.0/120"}}`, ctx{"aws:sourceip": {"203.0.113.7"}}, true},
		{"IpAddress IPv6 single address", `{"IpAddress":{"aws:SourceIp":"2001:db8::1"}}`, ctx{"aws:sourceip": {"2001:db8::1"}}, true},
		{"IpAddress v4 policy v6 request", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, ctx{"aws:sourceip": {"2001:db8::1"}}, false},
		{"IpAddress list ORed", `{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}`, ctx{"aws:sourceip": {"2001:db8::1"}}, true},
		{"IpAddress garbage request", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{"aws:sourceip": {"not-an-ip"}}, false},
		{"IpAddress missing", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{}, false},
		{"NotIpAddress outside", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{"aws:sourceip": {"192.0.2.1"}}, true},
		{"NotIpAddress inside", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{"aws:sourceip": {"10.1.2.3"}}, false},
		{"NotIpAddress missing is true", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{}, true},

		// ARN operators: component-wise wildcard matching.
		{"ArnEquals exact", `{"ArnEquals":{"aws:SourceArn":"arn:aws:cloudfront::111122223333:distribution/E1"}}`, ctx{"aws:sourcearn": {"arn:aws:cloudfront::111122223333:distribution/E1"}}, true},
		{"ArnLike wildcard", `{"ArnLike":{"aws:SourceArn":"arn:aws:cloudfront::111122223333:distribution/*"}}`, ctx{"aws:sourcearn": {"arn:aws:cloudfront::111122223333:distribution/E2"}}, true},
		{"ArnLike star stays in its component", `{"ArnLike":{"aws:SourceArn":"arn:aws:s*:::x"}}`, ctx{"aws:sourcearn": {"arn:aws:s3:us-east-1::x"}}, false},
		{"ArnLike star per component", `{"ArnLike":{"aws:SourceArn":"arn:aws:*:*:111122223333:x"}}`, ctx{"aws:sourcearn": {"arn:aws:s3:us-east-1:111122223333:x"}}, true},
		{"ArnLike resource part keeps colons", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:topic:*"}}`, ctx{"aws:sourcearn": {"arn:aws:sns:eu-west-1:111122223333:topic:a"}}, true},
		{"ArnLike not an ARN", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"}}`, ctx{"aws:sourcearn": {"bucket"}}, false},
		{"ArnNotEquals", `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:s3:::a"}}`, ctx{"aws:sourcearn": {"arn:aws:s3:::b"}}, true},
		{"ArnNotLike match", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::a*"}}`, ctx{"aws:sourcearn": {"arn:aws:s3:::ab"}}, false},
		{"ArnNotLike missing is true", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::a*"}}`, ctx{}, true},

		// Null.
		{"Null true key absent", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctx{}, true},
		{"Null true key present", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctx{"aws:tokenissuetime": {"x"}}, false},
		{"Null false key present", `{"Null":{"aws:TokenIssueTime":"false"}}`, ctx{"aws:tokenissuetime": {"x"}}, true},
		{"Null false key absent", `{"Null":{"aws:TokenIssueTime":false}}`, ctx{}, false},
		{"Null empty value list is absent", `{"Null":{"s3:RequestObjectTagKeys":"true"}}`, ctx{"s3:requestobjecttagkeys": {}}, true},

		// IfExists.
		{"StringEqualsIfExists missing", `{"StringEqualsIfExists":{"s3:x-amz-server-side-encryption":"aws:kms"}}`, ctx{}, true},
		{"StringEqualsIfExists present match", `{"StringEqualsIfExists":{"s3:x-amz-server-side-encryption":"aws:kms"}}`, ctx{"s3:x-amz-server-side-encryption": {"aws:kms"}}, true},
		{"StringEqualsIfExists present mismatch", `{"StringEqualsIfExists":{"s3:x-amz-server-side-encryption":"aws:kms"}}`, ctx{"s3:x-amz-server-side-encryption": {"AES256"}}, false},
		{"StringNotEqualsIfExists present equal", `{"StringNotEqualsIfExists":{"s3:x-amz-acl":"public-read"}}`, ctx{"s3:x-amz-acl": {"public-read"}}, false},
		{"NumericLessThanIfExists missing", `{"NumericLessThanIfExists":{"s3:max-keys":"10"}}`, ctx{}, true},
		{"IpAddressIfExists present outside", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{"aws:sourceip": {"192.0.2.1"}}, false},
		{"DateLessThanIfExists missing", `{"DateLessThanIfExists":{"aws:CurrentTime":"2020-01-01"}}`, ctx{}, true},
		{"ArnLikeIfExists missing", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::x"}}`, ctx{}, true},

		// Set operators on multi-valued keys.
		{"ForAllValues all in set", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, ctx{"aws:tagkeys": {"env", "team"}}, true},
		{"ForAllValues one outside", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, ctx{"aws:tagkeys": {"env", "cost"}}, false},
		{"ForAllValues missing key is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, ctx{}, true},
		{"ForAllValues empty set is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, ctx{"aws:tagkeys": {}}, true},
		{"ForAllValues StringLike", `{"ForAllValues:StringLike":{"aws:TagKeys":["key?"]}}`, ctx{"aws:tagkeys": {"key1", "key2"}}, true},
		{"ForAllValues StringNotEquals none forbidden", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, ctx{"aws:tagkeys": {"a", "b"}}, true},
		{"ForAllValues StringNotEquals one forbidden", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, ctx{"aws:tagkeys": {"a", "secret"}}, false},
		{"ForAnyValue one matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}`, ctx{"aws:tagkeys": {"team", "env"}}, true},
		{"ForAnyValue none matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}`, ctx{"aws:tagkeys": {"team"}}, false},
		{"ForAnyValue missing key is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}`, ctx{}, false},
		{"ForAnyValue StringNotEquals some other", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}}`, ctx{"aws:tagkeys": {"env", "x"}}, true},
		{"ForAnyValue StringNotEquals only listed", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}}`, ctx{"aws:tagkeys": {"env"}}, false},
		{"ForAnyValue IfExists missing", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["env"]}}`, ctx{}, true},
		{"ForAnyValue IpAddress", `{"ForAnyValue:IpAddress":{"a:ips":["10.0.0.0/8"]}}`, ctx{"a:ips": {"192.0.2.1", "10.9.9.9"}}, true},
		{"plain operator on multi-valued key: any", `{"StringEquals":{"a:k":"x"}}`, ctx{"a:k": {"y", "x"}}, true},
		{"plain negated operator on multi-valued key: none", `{"StringNotEquals":{"a:k":"x"}}`, ctx{"a:k": {"y", "x"}}, false},

		// Policy variables in condition values.
		{"variable aws:username", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, ctx{"s3:prefix": {"home/alice/docs"}}, true},
		{"variable aws:username other user", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, ctx{"s3:prefix": {"home/bob/docs"}}, false},
		{"variable key is case-insensitive", `{"StringEquals":{"a:k":"${AWS:UserName}"}}`, ctx{"a:k": {"alice"}}, true},
		{"variable aws:userid", `{"StringEquals":{"a:k":"${aws:userid}"}}`, ctx{"a:k": {"AIDAALICE"}}, true},
		{"variable aws:PrincipalAccount", `{"StringEquals":{"a:k":"${aws:PrincipalAccount}"}}`, ctx{"a:k": {"111122223333"}}, true},
		{"variable from request context", `{"StringEquals":{"a:k":"${aws:SourceIp}"}}`, ctx{"a:k": {"192.0.2.1"}, "aws:SourceIp": {"192.0.2.1"}}, true},
		{"variable IpAddress from context", `{"IpAddress":{"aws:SourceIp":"${a:net}"}}`, ctx{"aws:sourceip": {"10.1.1.1"}, "a:net": {"10.0.0.0/8"}}, true},
		{"variable missing does not match", `{"StringEquals":{"a:k":"${a:absent}"}}`, ctx{"a:k": {""}}, false},
		{"variable missing other value still matches", `{"StringEquals":{"a:k":["${a:absent}","v"]}}`, ctx{"a:k": {"v"}}, true},
		{"variable default", `{"StringEquals":{"a:k":"${a:absent, 'fallback'}"}}`, ctx{"a:k": {"fallback"}}, true},
		{"variable default ignored when present", `{"StringEquals":{"a:k":"${a:v, 'fallback'}"}}`, ctx{"a:k": {"real"}, "a:v": {"real"}}, true},
		{"variable default with quote", `{"StringEquals":{"a:k":"${a:absent, 'it''s'}"}}`, ctx{"a:k": {"it's"}}, true},
		{"variable multi-valued cannot substitute", `{"StringEquals":{"a:k":"${a:multi}"}}`, ctx{"a:k": {"x"}, "a:multi": {"x", "y"}}, false},
		{"variable value is literal in StringLike", `{"StringLike":{"a:k":"${a:v}"}}`, ctx{"a:k": {"anything"}, "a:v": {"*"}}, false},
		{"special ${*} is a literal star", `{"StringLike":{"a:k":"a${*}b"}}`, ctx{"a:k": {"a*b"}}, true},
		{"special ${*} is not a wildcard", `{"StringLike":{"a:k":"a${*}b"}}`, ctx{"a:k": {"axxb"}}, false},
		{"special ${?} literal", `{"StringLike":{"a:k":"what${?}"}}`, ctx{"a:k": {"what?"}}, true},
		{"special ${$} literal", `{"StringEquals":{"a:k":"${$}{aws:username}"}}`, ctx{"a:k": {"${aws:username}"}}, true},
		{"no substitution under 2008-10-17 (see version test)", `{"StringEquals":{"a:k":"plain"}}`, ctx{"a:k": {"plain"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(condPolicy(Version2012, tt.cond)), KindIdentity)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			d := Evaluate(Request{Principal: user, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: tt.context},
				Set{Kind: KindIdentity, Policies: []*Policy{p}})
			if got := d.Allowed(); got != tt.want {
				t.Errorf("condition %s with %v: got %v, want %v (%+v)", tt.cond, tt.context, got, tt.want, d)
			}
		})
	}
}

func TestVersion2008HasNoVariables(t *testing.T) {
	user := Principal{Type: PrincipalUser, Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/alice", Username: "alice"}
	p, err := Parse([]byte(condPolicy(Version2008, `{"StringEquals":{"a:k":"${aws:username}"}}`)), KindIdentity)
	if err != nil {
		t.Fatal(err)
	}
	for value, want := range map[string]bool{"${aws:username}": true, "alice": false} {
		d := Evaluate(Request{Principal: user, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx{"a:k": {value}}},
			Set{Kind: KindIdentity, Policies: []*Policy{p}})
		if d.Allowed() != want {
			t.Errorf("value %q: allowed %v, want %v", value, d.Allowed(), want)
		}
	}
}

// An operator that somehow bypassed Parse must never grant, and must let a
// Deny deny.
func TestUnknownOperatorFailsClosed(t *testing.T) {
	allow, err := Parse([]byte(condPolicy(Version2012, `{"StringEquals":{"a:k":"v"}}`)), KindIdentity)
	if err != nil {
		t.Fatal(err)
	}
	allow.statements[0].conditions[0].op = opUnknown
	req := Request{Principal: Principal{Type: PrincipalUser, Account: "1"}, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k",
		Context: ctx{"a:k": {"v"}}}
	if d := Evaluate(req, Set{Kind: KindIdentity, Policies: []*Policy{allow}}); d.Outcome != ImplicitDeny {
		t.Errorf("Allow with unknown operator: %v, want ImplicitDeny", d.Outcome)
	}
	deny, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
		{"Sid":"d","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:k":"nomatch"}}}]}`), KindIdentity)
	if err != nil {
		t.Fatal(err)
	}
	deny.statements[1].conditions[0].op = opUnknown
	if d := Evaluate(req, Set{Kind: KindIdentity, Policies: []*Policy{deny}}); d.Outcome != ExplicitDeny {
		t.Errorf("Deny with unknown operator: %v, want ExplicitDeny", d.Outcome)
	}
}

// A context named with AddKey decides as the same context named in any
// case: keys that differ only in case merge, keys without values are absent.
func TestContextKeysMergeAcrossCase(t *testing.T) {
	user := Principal{Type: PrincipalUser, Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/alice", Username: "alice"}
	tests := []struct {
		name    string
		cond    string
		context ctx
		want    bool
	}{
		{"colliding keys merge: both values present", `{"ForAnyValue:StringEquals":{"a:k":"x"}}`,
			ctx{"A:K": {"w"}, "a:K": {"x"}}, true},
		{"colliding keys merge: every value checked", `{"ForAllValues:StringEquals":{"a:k":"x"}}`,
			ctx{"A:K": {"w"}, "a:k": {"x"}}, false},
		{"colliding keys merge: no longer single-valued", `{"StringEquals":{"a:v":"${a:k}"}}`,
			ctx{"A:K": {"x"}, "a:k": {"x"}, "a:v": {"x"}}, false},
		{"a key without values is absent", `{"Null":{"a:k":"true"}}`, ctx{"A:K": {}}, true},
		{"a key without values does not hide its other spelling", `{"StringEquals":{"a:k":"x"}}`,
			ctx{"A:K": {}, "a:k": {"x"}}, true},
		{"non-ASCII keys lower-case rune by rune", `{"StringEquals":{"a:ÄÖ":"x"}}`, ctx{"A:äÖ": {"x"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(condPolicy(Version2012, tt.cond)), KindIdentity)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			added := ctx{}
			for k, v := range tt.context {
				AddKey(added, k, v)
			}
			for k := range added {
				if toLower(k) != k {
					t.Errorf("AddKey named %q: not lower-case", k)
				}
			}
			for _, c := range []ctx{tt.context, added} {
				d := Evaluate(Request{Principal: user, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: c},
					Set{Kind: KindIdentity, Policies: []*Policy{p}})
				if got := d.Allowed(); got != tt.want {
					t.Errorf("condition %s with %q: got %v, want %v (%+v)", tt.cond, c, got, tt.want, d)
				}
			}
		})
	}
}

// AddKey keeps invalid UTF-8 bytes (strings.ToLower would make every one
// U+FFFD and so merge keys that differ).
func TestAddKeyKeepsInvalidBytes(t *testing.T) {
	c := ctx{}
	AddKey(c, "A:K\xff", []string{"a"})
	AddKey(c, "a:k\xfe", []string{"b"})
	if len(c) != 2 || len(c["a:k\xff"]) != 1 || len(c["a:k\xfe"]) != 1 {
		t.Errorf("got %q, want a:k\\xff and a:k\\xfe apart", c)
	}
}

// AddKey keeps the slices it is given and never writes to them, not even
// to their spare capacity, when it merges.
func TestAddKeyDoesNotWriteToValues(t *testing.T) {
	first := make([]string, 1, 4)
	first[0] = "a"
	c := ctx{}
	AddKey(c, "A:K", first)
	AddKey(c, "a:k", []string{"b"})
	if got := c["a:k"]; len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("merged values %q, want [a b]", got)
	}
	if spare := first[:2]; spare[1] != "" {
		t.Errorf("AddKey wrote %q past the end of a caller's slice", spare[1])
	}
}
