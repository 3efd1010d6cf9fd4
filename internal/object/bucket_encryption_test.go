package object

import (
	"reflect"
	"testing"

	"github.com/coffer-project/coffer/internal/meta"
)

var defaultBucketEncryption = meta.BucketEncryption{Algorithm: meta.SSES3}

func TestBucketEncryptionDefault(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "")
	got, err := e.svc.GetBucketEncryption(e.ctx, "b")
	wantErr(t, err, nil)
	if !reflect.DeepEqual(got, defaultBucketEncryption) {
		t.Errorf("GetBucketEncryption of a new bucket = %+v, want %+v", got, defaultBucketEncryption)
	}
}

func TestPutBucketEncryption(t *testing.T) {
	const key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	tests := []struct {
		name string
		cfg  meta.BucketEncryption
		want meta.BucketEncryption // stored; ignored when err is set
		err  error
	}{
		{"SSE-S3", meta.BucketEncryption{Algorithm: meta.SSES3}, defaultBucketEncryption, nil},
		{"SSE-S3 with a bucket key", meta.BucketEncryption{Algorithm: meta.SSES3, BucketKeyEnabled: true},
			meta.BucketEncryption{Algorithm: meta.SSES3, BucketKeyEnabled: true}, nil},
		{"SSE-KMS with the aws/s3 key", meta.BucketEncryption{Algorithm: meta.SSEKMS},
			meta.BucketEncryption{Algorithm: meta.SSEKMS}, nil},
		{"SSE-KMS with a key and a bucket key", meta.BucketEncryption{Algorithm: meta.SSEKMS, KMSMasterKeyID: key, BucketKeyEnabled: true},
			meta.BucketEncryption{Algorithm: meta.SSEKMS, KMSMasterKeyID: key, BucketKeyEnabled: true}, nil},
		{"key ID not looked up, as on S3", meta.BucketEncryption{Algorithm: meta.SSEKMS, KMSMasterKeyID: "alias/not-there"},
			meta.BucketEncryption{Algorithm: meta.SSEKMS, KMSMasterKeyID: "alias/not-there"}, nil},
		{"block SSE-C", meta.BucketEncryption{Algorithm: meta.SSES3, BlockedEncryptionTypes: []string{"SSE-C"}},
			meta.BucketEncryption{Algorithm: meta.SSES3, BlockedEncryptionTypes: []string{"SSE-C"}}, nil},
		{"only block SSE-C: the default is SSE-S3", meta.BucketEncryption{BlockedEncryptionTypes: []string{"SSE-C"}},
			meta.BucketEncryption{Algorithm: meta.SSES3, BlockedEncryptionTypes: []string{"SSE-C"}}, nil},
		{"SSE-C named twice", meta.BucketEncryption{Algorithm: meta.SSEKMS, BlockedEncryptionTypes: []string{"SSE-C", "SSE-C"}},
			meta.BucketEncryption{Algorithm: meta.SSEKMS, BlockedEncryptionTypes: []string{"SSE-C"}}, nil},
		{"unblock with NONE", meta.BucketEncryption{BlockedEncryptionTypes: []string{"NONE"}},
			meta.BucketEncryption{Algorithm: meta.SSES3, BlockedEncryptionTypes: []string{"NONE"}}, nil},

		{"key with SSE-S3", meta.BucketEncryption{Algorithm: meta.SSES3, KMSMasterKeyID: key}, meta.BucketEncryption{}, ErrInvalidArgument},
		{"key without an algorithm", meta.BucketEncryption{KMSMasterKeyID: key}, meta.BucketEncryption{}, ErrInvalidArgument},
		{"unknown algorithm", meta.BucketEncryption{Algorithm: "AES128"}, meta.BucketEncryption{}, ErrInvalidArgument},
		{"SSE-C is not a default", meta.BucketEncryption{Algorithm: meta.SSEC}, meta.BucketEncryption{}, ErrInvalidArgument},
		{"DSSE-KMS", meta.BucketEncryption{Algorithm: "aws:kms:dsse", KMSMasterKeyID: key}, meta.BucketEncryption{}, ErrNotImplemented},
		{"aws:fsx", meta.BucketEncryption{Algorithm: "aws:fsx"}, meta.BucketEncryption{}, ErrNotImplemented},
		{"aws:backup", meta.BucketEncryption{Algorithm: "aws:backup"}, meta.BucketEncryption{}, ErrNotImplemented},
		{"unknown blocked type", meta.BucketEncryption{BlockedEncryptionTypes: []string{"SSE-KMS"}}, meta.BucketEncryption{}, ErrInvalidArgument},
		{"blocked type in the wrong case", meta.BucketEncryption{BlockedEncryptionTypes: []string{"sse-c"}}, meta.BucketEncryption{}, ErrInvalidArgument},
		{"empty blocked types", meta.BucketEncryption{BlockedEncryptionTypes: []string{}}, meta.BucketEncryption{}, ErrInvalidArgument},
		{"NONE with SSE-C", meta.BucketEncryption{BlockedEncryptionTypes: []string{"NONE", "SSE-C"}}, meta.BucketEncryption{}, ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.bucket("b", "")
			wantErr(t, e.svc.PutBucketEncryption(e.ctx, "b", tt.cfg), tt.err)
			want := tt.want
			if tt.err != nil {
				want = defaultBucketEncryption // unchanged
			}
			got, err := e.svc.GetBucketEncryption(e.ctx, "b")
			wantErr(t, err, nil)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("GetBucketEncryption = %+v, want %+v", got, want)
			}
			// NoSuchBucket comes before any judgement of the configuration.
			wantErr(t, e.svc.PutBucketEncryption(e.ctx, "missing", tt.cfg), ErrNoSuchBucket)
		})
	}
}

// TestBucketEncryptionSequence follows one bucket through the changes a
// user makes: the SSE-C block is a setting of its own, kept by a
// PutBucketEncryption that omits it and by DeleteBucketEncryption.
func TestBucketEncryptionSequence(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "")
	kms := meta.BucketEncryption{Algorithm: meta.SSEKMS, KMSMasterKeyID: "k", BucketKeyEnabled: true}
	steps := []struct {
		name string
		do   func() error
		want meta.BucketEncryption
	}{
		{"SSE-KMS", func() error { return e.svc.PutBucketEncryption(e.ctx, "b", kms) }, kms},
		{"delete resets to the default", func() error { return e.svc.DeleteBucketEncryption(e.ctx, "b") }, defaultBucketEncryption},
		{"delete again", func() error { return e.svc.DeleteBucketEncryption(e.ctx, "b") }, defaultBucketEncryption},
		{"SSE-KMS blocking SSE-C",
			func() error {
				c := kms
				c.BlockedEncryptionTypes = []string{"SSE-C"}
				return e.svc.PutBucketEncryption(e.ctx, "b", c)
			},
			meta.BucketEncryption{Algorithm: meta.SSEKMS, KMSMasterKeyID: "k", BucketKeyEnabled: true, BlockedEncryptionTypes: []string{"SSE-C"}}},
		{"SSE-S3 without BlockedEncryptionTypes keeps the block",
			func() error {
				return e.svc.PutBucketEncryption(e.ctx, "b", meta.BucketEncryption{Algorithm: meta.SSES3})
			},
			meta.BucketEncryption{Algorithm: meta.SSES3, BlockedEncryptionTypes: []string{"SSE-C"}}},
		{"delete keeps the block",
			func() error {
				if err := e.svc.PutBucketEncryption(e.ctx, "b", kms); err != nil {
					return err
				}
				return e.svc.DeleteBucketEncryption(e.ctx, "b")
			},
			meta.BucketEncryption{Algorithm: meta.SSES3, BlockedEncryptionTypes: []string{"SSE-C"}}},
		{"a refused configuration changes nothing",
			func() error {
				err := e.svc.PutBucketEncryption(e.ctx, "b", meta.BucketEncryption{Algorithm: meta.SSES3, KMSMasterKeyID: "k", BlockedEncryptionTypes: []string{"NONE"}})
				if err == nil {
					t.Error("PutBucketEncryption accepted a key with SSE-S3")
				}
				return nil
			},
			meta.BucketEncryption{Algorithm: meta.SSES3, BlockedEncryptionTypes: []string{"SSE-C"}}},
		{"NONE lifts the block",
			func() error {
				return e.svc.PutBucketEncryption(e.ctx, "b", meta.BucketEncryption{BlockedEncryptionTypes: []string{"NONE"}})
			},
			meta.BucketEncryption{Algorithm: meta.SSES3, BlockedEncryptionTypes: []string{"NONE"}}},
	}
	for _, st := range steps {
		wantErr(t, st.do(), nil)
		got, err := e.svc.GetBucketEncryption(e.ctx, "b")
		wantErr(t, err, nil)
		if !reflect.DeepEqual(got, st.want) {
			t.Fatalf("after %s: GetBucketEncryption = %+v, want %+v", st.name, got, st.want)
		}
	}
}

func TestBucketEncryptionNoSuchBucket(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.GetBucketEncryption(e.ctx, "missing")
	wantErr(t, err, ErrNoSuchBucket)
	wantErr(t, e.svc.DeleteBucketEncryption(e.ctx, "missing"), ErrNoSuchBucket)
	wantErr(t, e.svc.PutBucketEncryption(e.ctx, "missing", defaultBucketEncryption), ErrNoSuchBucket)
}
