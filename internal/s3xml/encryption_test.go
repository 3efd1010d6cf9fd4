package s3xml

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestMarshalServerSideEncryptionConfiguration(t *testing.T) {
	no, yes := false, true
	tests := []struct {
		name string
		v    ServerSideEncryptionConfiguration
		want string
	}{
		{
			name: "default SSE-S3",
			v: ServerSideEncryptionConfiguration{Rules: []ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: &ServerSideEncryptionByDefault{SSEAlgorithm: "AES256"},
				BucketKeyEnabled:                   &no,
			}}},
			want: `<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`,
		},
		{
			name: "SSE-KMS with a bucket key, SSE-C blocked",
			v: ServerSideEncryptionConfiguration{Rules: []ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: &ServerSideEncryptionByDefault{SSEAlgorithm: "aws:kms", KMSMasterKeyID: "arn:aws:kms:us-east-1:111122223333:key/k"},
				BlockedEncryptionTypes:             &BlockedEncryptionTypes{EncryptionType: []string{EncryptionTypeSSEC}},
				BucketKeyEnabled:                   &yes,
			}}},
			want: `<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>arn:aws:kms:us-east-1:111122223333:key/k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(b); got != decl+tt.want {
				t.Errorf("Marshal =\n%s\nwant\n%s", got, decl+tt.want)
			}
		})
	}
}

func TestDecodeServerSideEncryptionConfiguration(t *testing.T) {
	const ns = ` xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`
	doc := func(rules ...string) string {
		return `<ServerSideEncryptionConfiguration` + ns + `>` + strings.Join(rules, "") + `</ServerSideEncryptionConfiguration>`
	}
	rule := func(members ...string) string { return `<Rule>` + strings.Join(members, "") + `</Rule>` }
	byDefault := func(members string) string {
		return `<ApplyServerSideEncryptionByDefault>` + members + `</ApplyServerSideEncryptionByDefault>`
	}
	blocked := func(types ...string) string {
		var b strings.Builder
		for _, t := range types {
			b.WriteString(`<EncryptionType>` + t + `</EncryptionType>`)
		}
		return `<BlockedEncryptionTypes>` + b.String() + `</BlockedEncryptionTypes>`
	}
	yes, no := true, false
	tests := []struct {
		name string
		body string
		want ServerSideEncryptionRule
		err  error
	}{
		{"AWS example SSE-S3", doc(rule(byDefault(`<SSEAlgorithm>AES256</SSEAlgorithm>`))),
			ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: &ServerSideEncryptionByDefault{SSEAlgorithm: "AES256"}}, nil},
		{"SSE-KMS with key and bucket key", doc(rule(byDefault(`<KMSMasterKeyID>alias/mine</KMSMasterKeyID><SSEAlgorithm>aws:kms</SSEAlgorithm>`), `<BucketKeyEnabled>true</BucketKeyEnabled>`)),
			ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: &ServerSideEncryptionByDefault{SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/mine"}, BucketKeyEnabled: &yes}, nil},
		{"AWS example blocking SSE-C", doc(rule(blocked("SSE-C"))),
			ServerSideEncryptionRule{BlockedEncryptionTypes: &BlockedEncryptionTypes{EncryptionType: []string{"SSE-C"}}}, nil},
		{"unblocking with NONE", doc(rule(blocked("NONE"))),
			ServerSideEncryptionRule{BlockedEncryptionTypes: &BlockedEncryptionTypes{EncryptionType: []string{"NONE"}}}, nil},
		{"every member, SDK order", doc(rule(byDefault(`<SSEAlgorithm>aws:kms</SSEAlgorithm>`), blocked("SSE-C"), `<BucketKeyEnabled>false</BucketKeyEnabled>`)),
			ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: &ServerSideEncryptionByDefault{SSEAlgorithm: "aws:kms"}, BlockedEncryptionTypes: &BlockedEncryptionTypes{EncryptionType: []string{"SSE-C"}}, BucketKeyEnabled: &no}, nil},
		{"xs:boolean 1", doc(rule(`<BucketKeyEnabled> 1 </BucketKeyEnabled>`)), ServerSideEncryptionRule{BucketKeyEnabled: &yes}, nil},
		{"empty rule", doc(rule()), ServerSideEncryptionRule{}, nil},
		{"algorithm S3 knows but coffer does not implement", doc(rule(byDefault(`<SSEAlgorithm>aws:kms:dsse</SSEAlgorithm>`))),
			ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: &ServerSideEncryptionByDefault{SSEAlgorithm: "aws:kms:dsse"}}, nil},

		{"no rule", doc(), ServerSideEncryptionRule{}, ErrMalformedXML},
		{"two rules", doc(rule(), rule()), ServerSideEncryptionRule{}, ErrMalformedXML},
		{"unknown algorithm", doc(rule(byDefault(`<SSEAlgorithm>SSE-KMS</SSEAlgorithm>`))), ServerSideEncryptionRule{}, ErrMalformedXML},
		{"algorithm in the wrong case", doc(rule(byDefault(`<SSEAlgorithm>aes256</SSEAlgorithm>`))), ServerSideEncryptionRule{}, ErrMalformedXML},
		{"no algorithm", doc(rule(byDefault(`<KMSMasterKeyID>k</KMSMasterKeyID>`))), ServerSideEncryptionRule{}, ErrMalformedXML},
		{"repeated algorithm", doc(rule(byDefault(`<SSEAlgorithm>AES256</SSEAlgorithm><SSEAlgorithm>aws:kms</SSEAlgorithm>`))), ServerSideEncryptionRule{}, ErrMalformedXML},
		{"repeated key", doc(rule(byDefault(`<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>a</KMSMasterKeyID><KMSMasterKeyID>b</KMSMasterKeyID>`))), ServerSideEncryptionRule{}, ErrMalformedXML},
		{"repeated default", doc(rule(byDefault(`<SSEAlgorithm>AES256</SSEAlgorithm>`), byDefault(`<SSEAlgorithm>aws:kms</SSEAlgorithm>`))), ServerSideEncryptionRule{}, ErrMalformedXML},
		{"repeated blocked types", doc(rule(blocked("NONE"), blocked("SSE-C"))), ServerSideEncryptionRule{}, ErrMalformedXML},
		{"repeated bucket key", doc(rule(`<BucketKeyEnabled>true</BucketKeyEnabled><BucketKeyEnabled>false</BucketKeyEnabled>`)), ServerSideEncryptionRule{}, ErrMalformedXML},
		{"bucket key not xs:boolean", doc(rule(`<BucketKeyEnabled>TRUE</BucketKeyEnabled>`)), ServerSideEncryptionRule{}, ErrMalformedXML},
		{"unknown encryption type", doc(rule(blocked("SSE-KMS"))), ServerSideEncryptionRule{}, ErrMalformedXML},
		{"empty blocked types", doc(rule(blocked())), ServerSideEncryptionRule{}, ErrMalformedXML},
		{"unknown element in rule", doc(rule(`<Filter/>`)), ServerSideEncryptionRule{}, ErrMalformedXML},
		{"unknown element in default", doc(rule(byDefault(`<SSEAlgorithm>AES256</SSEAlgorithm><KMSKeyID>k</KMSKeyID>`))), ServerSideEncryptionRule{}, ErrMalformedXML},
		{"unknown element in blocked types", doc(rule(`<BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType><Reason/></BlockedEncryptionTypes>`)), ServerSideEncryptionRule{}, ErrMalformedXML},
		{"unknown element at top", doc(rule(), `<Rules/>`), ServerSideEncryptionRule{}, ErrMalformedXML},
		{"wrong root", `<ServerSideEncryptionRule>` + byDefault(`<SSEAlgorithm>AES256</SSEAlgorithm>`) + `</ServerSideEncryptionRule>`, ServerSideEncryptionRule{}, ErrMalformedXML},
		{"empty body", ``, ServerSideEncryptionRule{}, ErrMissingBody},
		{"over 1 MiB", doc(rule(), strings.Repeat(" ", DefaultMaxBytes)), ServerSideEncryptionRule{}, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v ServerSideEncryptionConfiguration
			err := Decode(strings.NewReader(tt.body), &v, DefaultMaxBytes)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("Decode = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if len(v.Rules) != 1 || !reflect.DeepEqual(v.Rules[0], tt.want) {
				t.Errorf("Rules = %+v, want [%+v]", v.Rules, tt.want)
			}
		})
	}
}

func TestServerSideEncryptionConfigurationRoundTrip(t *testing.T) {
	yes := true
	in := &ServerSideEncryptionConfiguration{Rules: []ServerSideEncryptionRule{{
		ApplyServerSideEncryptionByDefault: &ServerSideEncryptionByDefault{SSEAlgorithm: "aws:kms", KMSMasterKeyID: "k & <v>"},
		BlockedEncryptionTypes:             &BlockedEncryptionTypes{EncryptionType: []string{EncryptionTypeNone}},
		BucketKeyEnabled:                   &yes,
	}}}
	b, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out := &ServerSideEncryptionConfiguration{}
	if err := Decode(strings.NewReader(string(b)), out, 0); err != nil {
		t.Fatalf("Decode(%s) = %v", b, err)
	}
	clearXMLName(out)
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip = %+v, want %+v", out, in)
	}
}
