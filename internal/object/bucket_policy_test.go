package object

import (
	"errors"
	"strings"
	"testing"
)

// doc wraps statements into a bucket policy document.
func doc(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

const publicRead = `{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`

func TestPutBucketPolicyValidation(t *testing.T) {
	big := doc(publicRead[:len(publicRead)-1] + `,"Condition":{"StringLike":{"aws:Referer":"` + strings.Repeat("x", MaxBucketPolicySize) + `"}}}`)
	tests := []struct {
		name string
		doc  string
		msg  string // the MalformedPolicy message; "" = accepted
	}{
		{"public read", doc(publicRead), ""},
		{"bucket and objects, conditions", doc(`{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":["s3:ListBucket","s3:Get*"],
			"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/home/${aws:username}/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`), ""},
		{"action *", doc(`{"Effect":"Deny","Principal":"*","Action":"*","Resource":"arn:aws:s3:::b/*"}`), ""},
		{"NotAction and NotResource inside the bucket", doc(`{"Effect":"Deny","Principal":"*","NotAction":"s3:GetObject","NotResource":"arn:aws:s3:::b/public/*"}`), ""},
		{"legacy version", `{"Version":"2008-10-17","Statement":` + publicRead + `}`, ""},
		{"exactly 20 KiB", pad(doc(publicRead), MaxBucketPolicySize), ""},

		{"over 20 KiB", big, "Policy exceeds the maximum allowed document size."},
		{"unknown s3 action", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObjekt","Resource":"arn:aws:s3:::b/*"}`), "Policy has invalid action"},
		{"wildcard matching no s3 action", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:Frob*","Resource":"arn:aws:s3:::b/*"}`), "Policy has invalid action"},
		{"another service's action", doc(`{"Effect":"Allow","Principal":"*","Action":"iam:GetUser","Resource":"arn:aws:s3:::b/*"}`), "Policy has invalid action"},
		{"malformed action", doc(`{"Effect":"Allow","Principal":"*","Action":"GetObject","Resource":"arn:aws:s3:::b/*"}`), "Policy has invalid action"},
		{"resource in another bucket", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}`), "Policy has invalid resource"},
		{"resource a prefix of the name", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bb/*"}`), "Policy has invalid resource"},
		{"resource *", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`), "Policy has invalid resource"},
		{"NotResource outside", doc(`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::c/*"}`), "Policy has invalid resource"},
		{"not an ARN", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"b/*"}`), "Policy has invalid resource"},
		{"no principal", doc(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), "Missing required field Principal"},
		{"invalid principal", doc(`{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), "Invalid principal in policy"},
		{"unknown condition operator", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringFoo":{"aws:Referer":"x"}}}`),
			"Invalid Condition type : StringFoo"},
		{"condition key of another service", doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"kms:ViaService":"x"}}}`),
			"Policy has an invalid condition key"},
		{"not JSON", `{"Version":`, "This policy contains invalid Json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.bucket("b", "")
			err := e.svc.PutBucketPolicy(e.ctx, "b", []byte(tt.doc))
			if tt.msg == "" {
				wantErr(t, err, nil)
				got, err := e.svc.GetBucketPolicy(e.ctx, "b")
				if err != nil || got != tt.doc {
					t.Fatalf("GetBucketPolicy = %.80q, %v; want the document as put", got, err)
				}
				return
			}
			wantErr(t, err, ErrMalformedPolicy)
			if want := "malformed policy: " + tt.msg; err.Error() != want {
				t.Errorf("error = %.200q, want %q", err, want)
			}
			if _, err := e.svc.GetBucketPolicy(e.ctx, "b"); !errors.Is(err, ErrNoSuchBucketPolicy) {
				t.Errorf("a refused policy was stored: %v", err)
			}
		})
	}
}

// pad grows a policy document to n bytes with trailing whitespace.
func pad(doc string, n int) string { return doc + strings.Repeat(" ", n-len(doc)) }

func TestBucketPolicyLifecycle(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "")
	_, err := e.svc.GetBucketPolicy(e.ctx, "b")
	wantErr(t, err, ErrNoSuchBucketPolicy)
	_, err = e.svc.GetBucketPolicyStatus(e.ctx, "b")
	wantErr(t, err, ErrNoSuchBucketPolicy)
	wantErr(t, e.svc.DeleteBucketPolicy(e.ctx, "b"), nil) // none to delete: fine, as on S3

	wantErr(t, e.svc.PutBucketPolicy(e.ctx, "b", []byte(doc(publicRead))), nil)
	replaced := doc(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`)
	wantErr(t, e.svc.PutBucketPolicy(e.ctx, "b", []byte(replaced)), nil)
	if got, err := e.svc.GetBucketPolicy(e.ctx, "b"); err != nil || got != replaced {
		t.Fatalf("GetBucketPolicy = %q, %v; want the replacement", got, err)
	}
	wantErr(t, e.svc.DeleteBucketPolicy(e.ctx, "b"), nil)
	_, err = e.svc.GetBucketPolicy(e.ctx, "b")
	wantErr(t, err, ErrNoSuchBucketPolicy)

	for name, call := range map[string]error{
		"Put":    e.svc.PutBucketPolicy(e.ctx, "missing", []byte(doc(publicRead))),
		"Delete": e.svc.DeleteBucketPolicy(e.ctx, "missing"),
	} {
		if !errors.Is(call, ErrNoSuchBucket) {
			t.Errorf("%sBucketPolicy(missing) = %v, want ErrNoSuchBucket", name, call)
		}
	}
	// NoSuchBucket wins over a malformed policy, as on S3.
	wantErr(t, e.svc.PutBucketPolicy(e.ctx, "missing", []byte("{")), ErrNoSuchBucket)
	_, err = e.svc.GetBucketPolicy(e.ctx, "missing")
	wantErr(t, err, ErrNoSuchBucket)
}

func TestGetBucketPolicyStatus(t *testing.T) {
	allowAll := func(cond string) string {
		st := `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`
		if cond != "" {
			st += `,"Condition":` + cond
		}
		return doc(st + `}`)
	}
	tests := []struct {
		name   string
		doc    string
		public bool
	}{
		{"public read", doc(publicRead), true},
		{"AWS *", doc(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), true},
		{"NotPrincipal allow", doc(`{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), true},
		{"Referer does not narrow", allowAll(`{"StringLike":{"aws:Referer":"https://example.com/*"}}`), true},
		{"SecureTransport does not narrow", allowAll(`{"Bool":{"aws:SecureTransport":"true"}}`), true},
		{"NotIpAddress does not narrow", allowAll(`{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`), true},
		{"IfExists does not narrow", allowAll(`{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`), true},
		{"one public statement among fixed ones", doc(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`, publicRead), true},

		{"source IP narrows", allowAll(`{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`), false},
		{"source VPC endpoint narrows", allowAll(`{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}`), false},
		{"principal account narrows", allowAll(`{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`), false},
		{"fixed principal", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`), false},
		{"deny everyone", doc(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.bucket("b", "")
			wantErr(t, e.svc.PutBucketPolicy(e.ctx, "b", []byte(tt.doc)), nil)
			got, err := e.svc.GetBucketPolicyStatus(e.ctx, "b")
			wantErr(t, err, nil)
			if got != tt.public {
				t.Errorf("IsPublic = %v, want %v", got, tt.public)
			}
		})
	}
}
