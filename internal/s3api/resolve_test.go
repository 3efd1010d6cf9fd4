package s3api

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		name, method, host, target string
		header                     map[string]string
		domain                     string
		want                       Kind
		bucket, key                string
		wantErr                    bool
	}{
		{name: "list buckets", method: "GET", target: "/", want: OpListBuckets},
		{name: "create bucket", method: "PUT", target: "/b", want: OpCreateBucket, bucket: "b"},
		{name: "create bucket trailing slash", method: "PUT", target: "/b/", want: OpCreateBucket, bucket: "b"},
		{name: "head bucket", method: "HEAD", target: "/b", want: OpHeadBucket, bucket: "b"},
		{name: "delete bucket", method: "DELETE", target: "/b", want: OpDeleteBucket, bucket: "b"},
		{name: "location", method: "GET", target: "/b?location", want: OpGetBucketLocation, bucket: "b"},
		{name: "get versioning", method: "GET", target: "/b?versioning", want: OpGetBucketVersioning, bucket: "b"},
		{name: "put versioning", method: "PUT", target: "/b?versioning", want: OpPutBucketVersioning, bucket: "b"},
		{name: "bucket tagging", method: "GET", target: "/b?tagging", want: OpGetBucketTagging, bucket: "b"},
		{name: "put bucket tagging", method: "PUT", target: "/b?tagging", want: OpPutBucketTagging, bucket: "b"},
		{name: "delete bucket tagging", method: "DELETE", target: "/b?tagging", want: OpDeleteBucketTagging, bucket: "b"},
		{name: "get bucket encryption", method: "GET", target: "/b?encryption", want: OpGetBucketEncryption, bucket: "b"},
		{name: "put bucket encryption", method: "PUT", target: "/b?encryption", want: OpPutBucketEncryption, bucket: "b"},
		{name: "put bucket encryption with empty value", method: "PUT", target: "/b/?encryption=", want: OpPutBucketEncryption, bucket: "b"},
		{name: "delete bucket encryption", method: "DELETE", target: "/b?encryption", want: OpDeleteBucketEncryption, bucket: "b"},
		{name: "get bucket lifecycle", method: "GET", target: "/b?lifecycle", want: OpGetBucketLifecycle, bucket: "b"},
		{name: "put bucket lifecycle", method: "PUT", target: "/b/?lifecycle=", want: OpPutBucketLifecycle, bucket: "b"},
		{name: "delete bucket lifecycle", method: "DELETE", target: "/b?lifecycle", want: OpDeleteBucketLifecycle, bucket: "b"},
		{name: "bucket lifecycle virtual host", method: "GET", host: "b.s3.local", domain: "s3.local", target: "/?lifecycle", want: OpGetBucketLifecycle, bucket: "b"},
		{name: "get intelligent-tiering", method: "GET", target: "/b?intelligent-tiering&id=a", want: OpGetBucketIntelligentTiering, bucket: "b"},
		{name: "list intelligent-tiering", method: "GET", target: "/b?intelligent-tiering", want: OpListBucketIntelligentTiering, bucket: "b"},
		{name: "list intelligent-tiering continued", method: "GET", target: "/b?intelligent-tiering&continuation-token=t", want: OpListBucketIntelligentTiering, bucket: "b"},
		{name: "put intelligent-tiering", method: "PUT", target: "/b?intelligent-tiering&id=a", want: OpPutBucketIntelligentTiering, bucket: "b"},
		{name: "delete intelligent-tiering", method: "DELETE", target: "/b?intelligent-tiering&id=a", want: OpDeleteBucketIntelligentTiering, bucket: "b"},
		{name: "bucket encryption virtual host", method: "GET", host: "b.s3.local", domain: "s3.local", target: "/?encryption", want: OpGetBucketEncryption, bucket: "b"},
		{name: "post bucket encryption", method: "POST", target: "/b?encryption", bucket: "b", wantErr: true},
		{name: "get bucket policy", method: "GET", target: "/b?policy", want: OpGetBucketPolicy, bucket: "b"},
		{name: "put bucket policy", method: "PUT", target: "/b?policy", want: OpPutBucketPolicy, bucket: "b"},
		{name: "delete bucket policy", method: "DELETE", target: "/b/?policy=", want: OpDeleteBucketPolicy, bucket: "b"},
		{name: "bucket policy virtual host", method: "PUT", host: "b.s3.local", domain: "s3.local", target: "/?policy", want: OpPutBucketPolicy, bucket: "b"},
		{name: "get bucket policy status", method: "GET", target: "/b?policyStatus", want: OpGetBucketPolicyStatus, bucket: "b"},
		{name: "post bucket policy", method: "POST", target: "/b?policy", bucket: "b", wantErr: true},
		{name: "put bucket policy status", method: "PUT", target: "/b?policyStatus", bucket: "b", wantErr: true},
		{name: "delete bucket policy status", method: "DELETE", target: "/b?policyStatus", bucket: "b", wantErr: true},
		{name: "list v1", method: "GET", target: "/b?prefix=a", want: OpListObjects, bucket: "b"},
		{name: "list v2", method: "GET", target: "/b?list-type=2", want: OpListObjectsV2, bucket: "b"},
		{name: "versions", method: "GET", target: "/b?versions", want: OpListObjectVersions, bucket: "b"},
		{name: "uploads", method: "GET", target: "/b?uploads", want: OpListMultipartUploads, bucket: "b"},
		{name: "delete objects", method: "POST", target: "/b?delete", want: OpDeleteObjects, bucket: "b"},
		{name: "put object", method: "PUT", target: "/b/k", want: OpPutObject, bucket: "b", key: "k"},
		{name: "put nested key", method: "PUT", target: "/b/a/b//c", want: OpPutObject, bucket: "b", key: "a/b//c"},
		{name: "escaped slash in key", method: "GET", target: "/b/a%2Fb", want: OpGetObject, bucket: "b", key: "a/b"},
		{name: "copy object", method: "PUT", target: "/b/k", header: map[string]string{"x-amz-copy-source": "/s/k"}, want: OpCopyObject, bucket: "b", key: "k"},
		{name: "get object", method: "GET", target: "/b/k", want: OpGetObject, bucket: "b", key: "k"},
		{name: "head object", method: "HEAD", target: "/b/k", want: OpHeadObject, bucket: "b", key: "k"},
		{name: "delete object", method: "DELETE", target: "/b/k?versionId=x", want: OpDeleteObject, bucket: "b", key: "k"},
		{name: "attributes", method: "GET", target: "/b/k?attributes", want: OpGetObjectAttributes, bucket: "b", key: "k"},
		{name: "object tagging", method: "GET", target: "/b/k?tagging", want: OpGetObjectTagging, bucket: "b", key: "k"},
		{name: "put object tagging", method: "PUT", target: "/b/k?tagging", want: OpPutObjectTagging, bucket: "b", key: "k"},
		{name: "delete object tagging", method: "DELETE", target: "/b/k?tagging", want: OpDeleteObjectTagging, bucket: "b", key: "k"},
		{name: "create upload", method: "POST", target: "/b/k?uploads", want: OpCreateMultipartUpload, bucket: "b", key: "k"},
		{name: "upload part", method: "PUT", target: "/b/k?partNumber=1&uploadId=u", want: OpUploadPart, bucket: "b", key: "k"},
		{name: "upload part copy", method: "PUT", target: "/b/k?partNumber=1&uploadId=u", header: map[string]string{"x-amz-copy-source": "s/k"}, want: OpUploadPartCopy, bucket: "b", key: "k"},
		{name: "complete", method: "POST", target: "/b/k?uploadId=u", want: OpCompleteMultipartUpload, bucket: "b", key: "k"},
		{name: "abort", method: "DELETE", target: "/b/k?uploadId=u", want: OpAbortMultipartUpload, bucket: "b", key: "k"},
		{name: "list parts", method: "GET", target: "/b/k?uploadId=u", want: OpListParts, bucket: "b", key: "k"},
		{name: "virtual host bucket", method: "GET", host: "b.s3.local:9000", domain: "s3.local", target: "/", want: OpListObjects, bucket: "b"},
		{name: "virtual host object", method: "PUT", host: "my.bucket.s3.local", domain: "s3.local", target: "/x/y", want: OpPutObject, bucket: "my.bucket", key: "x/y"},
		{name: "domain itself is path style", method: "GET", host: "s3.local:9000", domain: "s3.local", target: "/b/k", want: OpGetObject, bucket: "b", key: "k"},
		{name: "no domain configured", method: "GET", host: "b.s3.local", target: "/b2/k", want: OpGetObject, bucket: "b2", key: "k"},
		{name: "unimplemented subresource", method: "GET", target: "/b?cors", bucket: "b", wantErr: true},
		{name: "bucket acl", method: "GET", target: "/b?acl", want: OpGetBucketAcl, bucket: "b"},
		{name: "restore object", method: "POST", target: "/b/k?restore", want: OpRestoreObject, bucket: "b", key: "k"},
		{name: "put bucket acl", method: "PUT", target: "/b?acl", want: OpPutBucketAcl, bucket: "b"},
		{name: "delete bucket acl is no DeleteBucket", method: "DELETE", target: "/b?acl", bucket: "b", wantErr: true},
		{name: "object acl", method: "GET", target: "/b/k?acl", want: OpGetObjectAcl, bucket: "b", key: "k"},
		{name: "put object acl", method: "PUT", target: "/b/k?acl", want: OpPutObjectAcl, bucket: "b", key: "k"},
		{name: "delete object acl is no DeleteObject", method: "DELETE", target: "/b/k?acl", bucket: "b", key: "k", wantErr: true},
		{name: "ownership controls", method: "PUT", target: "/b?ownershipControls", want: OpPutBucketOwnershipControls, bucket: "b"},
		{name: "delete ownership controls", method: "DELETE", target: "/b?ownershipControls", want: OpDeleteBucketOwnershipControls, bucket: "b"},
		{name: "public access block", method: "GET", target: "/b?publicAccessBlock", want: OpGetPublicAccessBlock, bucket: "b"},
		{name: "delete public access block", method: "DELETE", target: "/b?publicAccessBlock", want: OpDeletePublicAccessBlock, bucket: "b"},
		{name: "account public access block", method: "PUT", target: "/v20180820/configuration/publicAccessBlock", want: OpPutAccountPublicAccessBlock},
		{name: "post on service", method: "POST", target: "/", wantErr: true},
		{name: "post object without subresource", method: "POST", target: "/b/k", bucket: "b", key: "k", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			if tt.host != "" {
				r.Host = tt.host
			}
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			op, err := Resolve(r, tt.domain)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Resolve = %v, want an error", op.Kind)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if op.Kind != tt.want || op.Bucket != tt.bucket || op.Key != tt.key {
				t.Errorf("Resolve = %v %q %q, want %v %q %q", op.Kind, op.Bucket, op.Key, tt.want, tt.bucket, tt.key)
			}
		})
	}
}

// TestActions pins the IAM actions AWS documents for operations whose
// action is not named after them.
func TestActions(t *testing.T) {
	for k, want := range map[Kind]string{
		OpHeadObject:                     "s3:GetObject",
		OpGetBucketEncryption:            "s3:GetEncryptionConfiguration",
		OpPutBucketEncryption:            "s3:PutEncryptionConfiguration",
		OpDeleteBucketEncryption:         "s3:PutEncryptionConfiguration",
		OpGetBucketLifecycle:             "s3:GetLifecycleConfiguration",
		OpPutBucketLifecycle:             "s3:PutLifecycleConfiguration",
		OpDeleteBucketLifecycle:          "s3:PutLifecycleConfiguration",
		OpGetBucketIntelligentTiering:    "s3:GetIntelligentTieringConfiguration",
		OpListBucketIntelligentTiering:   "s3:GetIntelligentTieringConfiguration",
		OpPutBucketIntelligentTiering:    "s3:PutIntelligentTieringConfiguration",
		OpDeleteBucketIntelligentTiering: "s3:PutIntelligentTieringConfiguration",
		OpGetBucketPolicy:                "s3:GetBucketPolicy",
		OpPutBucketPolicy:                "s3:PutBucketPolicy",
		OpDeleteBucketPolicy:             "s3:DeleteBucketPolicy",
		OpGetBucketPolicyStatus:          "s3:GetBucketPolicyStatus",
	} {
		if got := k.Action(); got != want {
			t.Errorf("%v.Action() = %q, want %q", k, got, want)
		}
	}
}

// TestVersionedActions: a request naming a version needs the versioned
// action; the same request without ?versionId its kind's.
func TestVersionedActions(t *testing.T) {
	tests := []struct {
		method, target, want string
	}{
		{"GET", "/b/k?versionId=v1", "s3:GetObjectVersion"},
		{"HEAD", "/b/k?versionId=v1", "s3:GetObjectVersion"},
		{"DELETE", "/b/k?versionId=v1", "s3:DeleteObjectVersion"},
		{"GET", "/b/k?tagging&versionId=v1", "s3:GetObjectVersionTagging"},
		{"PUT", "/b/k?tagging&versionId=v1", "s3:PutObjectVersionTagging"},
		{"DELETE", "/b/k?tagging&versionId=v1", "s3:DeleteObjectVersionTagging"},
		{"GET", "/b/k?attributes&versionId=v1", "s3:GetObjectVersionAttributes"},
		{"GET", "/b/k", "s3:GetObject"},
		{"DELETE", "/b/k", "s3:DeleteObject"},
		{"GET", "/b/k?tagging", "s3:GetObjectTagging"},
		{"PUT", "/b/k?versionId=v1", "s3:PutObject"}, // PutObject has no versioned form
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			op, err := Resolve(httptest.NewRequest(tt.method, "http://localhost"+tt.target, nil), "")
			if err != nil {
				t.Fatal(err)
			}
			if got := op.Action(); got != tt.want {
				t.Errorf("%v: Action() = %q, want %q", op.Kind, got, tt.want)
			}
		})
	}
}

func TestEveryKindHasANameAndAction(t *testing.T) {
	for k := OpListBuckets; k < kindCount; k++ {
		if k.String() == "" || k.String() == "Unknown" {
			t.Errorf("kind %d has no name", k)
		}
		if k.Action() == "" {
			t.Errorf("%v has no IAM action", k)
		}
	}
}

func FuzzResolve(f *testing.F) {
	f.Add("GET", "/", "localhost", "", "")
	f.Add("PUT", "/b/k?partNumber=1&uploadId=x", "b.s3.local", "s3.local", "/src/k")
	f.Add("POST", "/b?delete", "localhost:9000", "", "")
	f.Add("DELETE", "/b/%2F%2F?uploadId=", "x.y.z", "y.z", "")
	f.Fuzz(func(t *testing.T, method, target, host, domain, copySource string) {
		r, err := http.NewRequest(method, "http://placeholder"+target, nil)
		if err != nil {
			return
		}
		r.Host = host
		if copySource != "" {
			r.Header.Set("x-amz-copy-source", copySource)
		}
		op, err := Resolve(r, domain)
		if err != nil {
			return
		}
		if op.Kind <= OpUnknown || op.Kind >= kindCount {
			t.Fatalf("resolved to invalid kind %d", op.Kind)
		}
		if op.Bucket == "" && op.Kind != OpListBuckets {
			t.Fatalf("%v without a bucket", op.Kind)
		}
		if op.Key != "" && op.Kind < OpPutObject {
			t.Fatalf("bucket operation %v with key %q", op.Kind, op.Key)
		}
	})
}
