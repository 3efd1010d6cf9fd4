package inproc

import (
	"encoding/xml"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// encryptionRule is what a test compares of a GetBucketEncryption answer.
type encryptionRule struct {
	Algorithm string
	KeyID     *string
	BucketKey *bool
	Blocked   []types.EncryptionType
}

func (c *client) getBucketEncryption(t *testing.T, bucket string) encryptionRule {
	t.Helper()
	out, err := c.s3.GetBucketEncryption(ctx(t), &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
	must(t, err, "GetBucketEncryption")
	if out.ServerSideEncryptionConfiguration == nil || len(out.ServerSideEncryptionConfiguration.Rules) != 1 {
		t.Fatalf("GetBucketEncryption = %+v, want one rule", out.ServerSideEncryptionConfiguration)
	}
	r := out.ServerSideEncryptionConfiguration.Rules[0]
	var got encryptionRule
	if d := r.ApplyServerSideEncryptionByDefault; d != nil {
		got.Algorithm, got.KeyID = string(d.SSEAlgorithm), d.KMSMasterKeyID
	}
	got.BucketKey = r.BucketKeyEnabled
	if r.BlockedEncryptionTypes != nil {
		got.Blocked = r.BlockedEncryptionTypes.EncryptionType
	}
	return got
}

func (c *client) putBucketEncryption(t testing.TB, bucket string, rule types.ServerSideEncryptionRule) error {
	_, err := c.s3.PutBucketEncryption(ctx(t), &s3.PutBucketEncryptionInput{
		Bucket:                            aws.String(bucket),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{rule}},
	})
	return err
}

func TestBucketEncryption(t *testing.T) {
	t.Parallel()
	const keyARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	sseS3 := &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}
	sseKMS := &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(keyARN)}
	blockSSEC := &types.BlockedEncryptionTypes{EncryptionType: []types.EncryptionType{types.EncryptionTypeSseC}}
	// The default S3 reports for a bucket never configured, since 2023.
	defaults := encryptionRule{Algorithm: "AES256", BucketKey: aws.Bool(false)}

	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		t.Run("default when unset", func(t *testing.T) {
			b := c.mkBucket(t, "enc-default")
			if got := c.getBucketEncryption(t, b); !reflect.DeepEqual(got, defaults) {
				t.Errorf("GetBucketEncryption = %+v, want %+v", got, defaults)
			}
		})

		t.Run("put then get returns it exactly", func(t *testing.T) {
			tests := []struct {
				name string
				rule types.ServerSideEncryptionRule
				want encryptionRule
			}{
				{"SSE-S3", types.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: sseS3},
					defaults},
				{"SSE-KMS with key and bucket key", types.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: sseKMS, BucketKeyEnabled: aws.Bool(true)},
					encryptionRule{Algorithm: "aws:kms", KeyID: aws.String(keyARN), BucketKey: aws.Bool(true)}},
				{"SSE-KMS with the aws/s3 key", types.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms}},
					encryptionRule{Algorithm: "aws:kms", BucketKey: aws.Bool(false)}},
				{"SSE-C blocked", types.ServerSideEncryptionRule{BlockedEncryptionTypes: blockSSEC},
					encryptionRule{Algorithm: "AES256", BucketKey: aws.Bool(false), Blocked: []types.EncryptionType{types.EncryptionTypeSseC}}},
				{"SSE-KMS, bucket key, SSE-C blocked", types.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: sseKMS, BucketKeyEnabled: aws.Bool(true), BlockedEncryptionTypes: blockSSEC},
					encryptionRule{Algorithm: "aws:kms", KeyID: aws.String(keyARN), BucketKey: aws.Bool(true), Blocked: []types.EncryptionType{types.EncryptionTypeSseC}}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					b := c.mkBucket(t, "enc-put")
					must(t, c.putBucketEncryption(t, b, tt.rule), "PutBucketEncryption")
					if got := c.getBucketEncryption(t, b); !reflect.DeepEqual(got, tt.want) {
						t.Errorf("GetBucketEncryption = %+v, want %+v", got, tt.want)
					}
				})
			}
		})

		t.Run("delete resets to the default", func(t *testing.T) {
			b := c.mkBucket(t, "enc-delete")
			must(t, c.putBucketEncryption(t, b, types.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: sseKMS, BucketKeyEnabled: aws.Bool(true)}), "PutBucketEncryption")
			_, err := c.s3.DeleteBucketEncryption(ctx(t), &s3.DeleteBucketEncryptionInput{Bucket: aws.String(b)})
			must(t, err, "DeleteBucketEncryption")
			if got := c.getBucketEncryption(t, b); !reflect.DeepEqual(got, defaults) {
				t.Errorf("GetBucketEncryption after delete = %+v, want %+v", got, defaults)
			}
			_, err = c.s3.DeleteBucketEncryption(ctx(t), &s3.DeleteBucketEncryptionInput{Bucket: aws.String(b)})
			must(t, err, "DeleteBucketEncryption again")
		})

		t.Run("the SSE-C block is kept until NONE lifts it", func(t *testing.T) {
			b := c.mkBucket(t, "enc-block")
			blocked := encryptionRule{Algorithm: "AES256", BucketKey: aws.Bool(false), Blocked: []types.EncryptionType{types.EncryptionTypeSseC}}
			must(t, c.putBucketEncryption(t, b, types.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: sseKMS, BlockedEncryptionTypes: blockSSEC}), "PutBucketEncryption blocking SSE-C")
			// A configuration without BlockedEncryptionTypes leaves the block.
			must(t, c.putBucketEncryption(t, b, types.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: sseS3}), "PutBucketEncryption SSE-S3")
			if got := c.getBucketEncryption(t, b); !reflect.DeepEqual(got, blocked) {
				t.Errorf("after SSE-S3: GetBucketEncryption = %+v, want %+v", got, blocked)
			}
			_, err := c.s3.DeleteBucketEncryption(ctx(t), &s3.DeleteBucketEncryptionInput{Bucket: aws.String(b)})
			must(t, err, "DeleteBucketEncryption")
			if got := c.getBucketEncryption(t, b); !reflect.DeepEqual(got, blocked) {
				t.Errorf("after delete: GetBucketEncryption = %+v, want %+v", got, blocked)
			}
			none := &types.BlockedEncryptionTypes{EncryptionType: []types.EncryptionType{types.EncryptionTypeNone}}
			must(t, c.putBucketEncryption(t, b, types.ServerSideEncryptionRule{BlockedEncryptionTypes: none}), "PutBucketEncryption NONE")
			want := encryptionRule{Algorithm: "AES256", BucketKey: aws.Bool(false), Blocked: []types.EncryptionType{types.EncryptionTypeNone}}
			if got := c.getBucketEncryption(t, b); !reflect.DeepEqual(got, want) {
				t.Errorf("after NONE: GetBucketEncryption = %+v, want %+v", got, want)
			}
		})

		t.Run("refused configurations", func(t *testing.T) {
			b := c.mkBucket(t, "enc-bad")
			tests := []struct {
				name   string
				rule   types.ServerSideEncryptionRule
				status int
				code   string
			}{
				{"invalid algorithm", types.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: "AES128"}},
					http.StatusBadRequest, "MalformedXML"},
				{"SSE-KMS spelt as the console does", types.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: "SSE-KMS"}},
					http.StatusBadRequest, "MalformedXML"},
				{"invalid encryption type", types.ServerSideEncryptionRule{BlockedEncryptionTypes: &types.BlockedEncryptionTypes{EncryptionType: []types.EncryptionType{"SSE-KMS"}}},
					http.StatusBadRequest, "MalformedXML"},
				{"key with SSE-S3", types.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256, KMSMasterKeyID: aws.String(keyARN)}},
					http.StatusBadRequest, "InvalidArgument"},
				{"DSSE-KMS", types.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKmsDsse}},
					http.StatusNotImplemented, "NotImplemented"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					wantAPIError(t, c.putBucketEncryption(t, b, tt.rule), tt.status, tt.code)
				})
			}
			_, err := c.s3.PutBucketEncryption(ctx(t), &s3.PutBucketEncryptionInput{
				Bucket: aws.String(b),
				ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{
					{ApplyServerSideEncryptionByDefault: sseS3}, {ApplyServerSideEncryptionByDefault: sseKMS},
				}},
			})
			t.Run("two rules", func(t *testing.T) { wantAPIError(t, err, http.StatusBadRequest, "MalformedXML") })
			if got := c.getBucketEncryption(t, b); !reflect.DeepEqual(got, defaults) {
				t.Errorf("a refused configuration changed the bucket: %+v", got)
			}
		})

		t.Run("no such bucket", func(t *testing.T) {
			const b = "no-such-bucket-enc"
			_, err := c.s3.GetBucketEncryption(ctx(t), &s3.GetBucketEncryptionInput{Bucket: aws.String(b)})
			wantAPIError(t, err, http.StatusNotFound, "NoSuchBucket")
			_, err = c.s3.DeleteBucketEncryption(ctx(t), &s3.DeleteBucketEncryptionInput{Bucket: aws.String(b)})
			wantAPIError(t, err, http.StatusNotFound, "NoSuchBucket")
			// S3 looks the bucket up before it reads the document.
			wantAPIError(t, c.putBucketEncryption(t, b, types.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: "AES128"}}),
				http.StatusNotFound, "NoSuchBucket")
		})

		t.Run("wire format", func(t *testing.T) {
			b := c.mkBucket(t, "enc-wire")
			body := []byte(`<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>alias/mine</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`)
			req := newRequest(t, http.MethodPut, c.url(b, "", "encryption="), body)
			req.Header.Set("Content-MD5", md5B64(body))
			c.signBody(t, req, body)
			resp, rb := c.do(t, req)
			if resp.StatusCode != http.StatusOK || len(rb) != 0 {
				t.Errorf("PutBucketEncryption: %d %q, want 200 with an empty body", resp.StatusCode, rb)
			}

			req = newRequest(t, http.MethodGet, c.url(b, "", "encryption="), nil)
			c.signBody(t, req, nil)
			resp, rb = c.do(t, req)
			var doc struct {
				XMLName xml.Name
			}
			if err := xml.Unmarshal(rb, &doc); resp.StatusCode != http.StatusOK || err != nil ||
				doc.XMLName.Space != "http://s3.amazonaws.com/doc/2006-03-01/" || doc.XMLName.Local != "ServerSideEncryptionConfiguration" {
				t.Errorf("GetBucketEncryption: %d %q, want 200 and a ServerSideEncryptionConfiguration in the S3 namespace", resp.StatusCode, rb)
			}
			if !strings.Contains(resp.Header.Get("Content-Type"), "xml") {
				t.Errorf("GetBucketEncryption Content-Type = %q", resp.Header.Get("Content-Type"))
			}

			req = newRequest(t, http.MethodDelete, c.url(b, "", "encryption="), nil)
			c.signBody(t, req, nil)
			resp, rb = c.do(t, req)
			if resp.StatusCode != http.StatusNoContent {
				t.Errorf("DeleteBucketEncryption: %d %q, want 204", resp.StatusCode, rb)
			}

			body = []byte(`<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>`)
			req = newRequest(t, http.MethodPut, c.url(b, "", "encryption="), body)
			req.Header.Set("Content-MD5", md5B64(body))
			c.signBody(t, req, body)
			resp, rb = c.do(t, req)
			wantRawError(t, resp, rb, http.StatusBadRequest, "MalformedXML")
		})
	})
}
