package e2e

import (
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/coffer-project/coffer/internal/pkitest"
)

// sseHead is what `aws s3api head-object` reports about an object's
// encryption.
type sseHead struct {
	ServerSideEncryption string
	SSEKMSKeyId          string
	BucketKeyEnabled     bool
	SSECustomerAlgorithm string
	SSECustomerKeyMD5    string
}

// headSSE runs `aws s3api head-object` (with extra arguments, such as an
// SSE-C key) and returns the object's size and encryption.
func headSSE(t *testing.T, cli runner, bucket, key string, extra ...string) (int64, sseHead) {
	t.Helper()
	var out struct {
		ContentLength int64
		sseHead
	}
	args := append([]string{"s3api", "head-object", "--bucket", bucket, "--key", key, "--output", "json"}, extra...)
	decodeJSON(t, cli.Run(t, args...), &out)
	return out.ContentLength, out.sseHead
}

// wantHead checks head-object's size and encryption fields of s3://bucket/key.
func wantHead(t *testing.T, cli runner, bucket, key string, size int64, want sseHead, extra ...string) {
	t.Helper()
	gotSize, got := headSSE(t, cli, bucket, key, extra...)
	if gotSize != size || got != want {
		t.Errorf("head-object s3://%s/%s: size %d, %+v; want size %d, %+v", bucket, key, gotSize, got, size, want)
	}
}

// ssecKey writes a 256-bit SSE-C key to dir/name for fileb:// and returns
// its path and the base64 of its MD5, as S3 echoes it.
func ssecKey(t *testing.T, dir, name string, seed uint64) (path, keyMD5 string) {
	t.Helper()
	key := randomBytes(seed, 32)
	path = filepath.Join(dir, name)
	writeFile(t, path, key)
	sum := md5.Sum(key)
	return path, base64.StdEncoding.EncodeToString(sum[:])
}

// checkRanges reads two ranges of s3://bucket/key, whose content is body
// (at least 200,001 bytes), with `aws s3api get-object --range` (plus extra
// arguments, such as an SSE-C key): one from the end of the first 64 KiB
// package across several others, and the last 1,000 bytes (the final,
// short package) as a suffix range. Each must come back exactly.
func checkRanges(t *testing.T, cli runner, bucket, key string, body []byte, extra ...string) {
	t.Helper()
	n := int64(len(body))
	work := t.TempDir()
	for i, r := range []struct {
		spec        string
		first, last int64
	}{
		{"bytes=65530-200000", 65530, 200000},
		{"bytes=-1000", n - 1000, n - 1},
	} {
		out := filepath.Join(work, fmt.Sprintf("range-%d", i))
		var got struct {
			ContentLength int64
			ContentRange  string
		}
		args := append([]string{"s3api", "get-object", "--bucket", bucket, "--key", key, "--range", r.spec, "--output", "json"}, extra...)
		decodeJSON(t, cli.Run(t, append(args, out)...), &got)
		wantRange := fmt.Sprintf("bytes %d-%d/%d", r.first, r.last, n)
		if got.ContentLength != r.last-r.first+1 || got.ContentRange != wantRange {
			t.Errorf("get-object s3://%s/%s --range %s: ContentLength %d, ContentRange %q; want %d, %q",
				bucket, key, r.spec, got.ContentLength, got.ContentRange, r.last-r.first+1, wantRange)
		}
		if err := equalBytes(body[r.first:r.last+1], readFile(t, out)); err != nil {
			t.Errorf("get-object s3://%s/%s --range %s: %v", bucket, key, r.spec, err)
		}
	}
}

// TestSSEAWSCLI drives a `coffer server --kms` backed by a `coffer kms`
// process with the AWS CLI's encryption options: SSE-KMS under a key and
// alias made with `aws kms`, SSE-S3, SSE-C (over plain HTTP allowed by
// --allow-ssec-over-http, and over TLS), default bucket encryption, and
// ranged reads of each. Each CLI call costs a second or two of Python
// start-up, so objects are read back in full with the Go SDK where the
// CLI's download is not what is tested.
func TestSSEAWSCLI(t *testing.T) {
	skipIfShort(t)
	k := startKMS(t)
	kcli := kmsCLI(t, k)
	var key cliKeyMetadata
	decodeJSON(t, kcli.Run(t, "create-key", "--description", "e2e sse-kms"), &key)
	kcli.Run(t, "create-alias", "--alias-name", "alias/e2e-sse", "--target-key-id", key.KeyMetadata.KeyId)
	keyARN := key.KeyMetadata.Arn

	srv := startServer(t, withKMS(k), withFlags("--allow-ssec-over-http"))
	cli := awsCLI(t, srv)
	sdk := srv.sdk()
	kmsHead := sseHead{ServerSideEncryption: "aws:kms", SSEKMSKeyId: keyARN}
	s3Head := sseHead{ServerSideEncryption: "AES256"}
	const bucket = "sse-cli"
	cli.Run(t, "s3", "mb", "s3://"+bucket)

	// 300 KiB and a bit: five 64 KiB packages and a short one.
	work := t.TempDir()
	body := randomBytes(700, 300<<10+123)
	bodyFile := filepath.Join(work, "body.bin")
	writeFile(t, bodyFile, body)
	size := int64(len(body))
	wantBody := func(t *testing.T, key string) {
		t.Helper()
		if err := equalBytes(body, getObject(t, sdk, bucket, key)); err != nil {
			t.Errorf("GET s3://%s/%s: %v", bucket, key, err)
		}
	}

	t.Run("sse-kms alias single part and multipart", func(t *testing.T) {
		big := filepath.Join(t.TempDir(), "big.bin")
		writeRandomFile(t, big, 710, 100<<20)
		for _, f := range []struct {
			local, key string
			size       int64
		}{{bodyFile, "kms/small", size}, {big, "kms/big", 100 << 20}} {
			cli.Run(t, "s3", "cp", "--no-progress", "--sse", "aws:kms", "--sse-kms-key-id", "alias/e2e-sse", f.local, "s3://"+bucket+"/"+f.key)
			wantHead(t, cli, bucket, f.key, f.size, kmsHead)
			down := filepath.Join(t.TempDir(), "down")
			cli.Run(t, "s3", "cp", "--no-progress", "s3://"+bucket+"/"+f.key, down)
			assertSameFile(t, f.local, down)
		}
		checkRanges(t, cli, bucket, "kms/small", body)
	})

	t.Run("sse-kms without a key id uses alias/aws/s3", func(t *testing.T) {
		cli.Run(t, "s3", "cp", "--no-progress", "--sse", "aws:kms", bodyFile, "s3://"+bucket+"/kms/managed")
		_, got := headSSE(t, cli, bucket, "kms/managed")
		var managed cliKeyMetadata
		decodeJSON(t, kcli.Run(t, "describe-key", "--key-id", "alias/aws/s3"), &managed)
		if want := (sseHead{ServerSideEncryption: "aws:kms", SSEKMSKeyId: managed.KeyMetadata.Arn}); got != want || want.SSEKMSKeyId == "" {
			t.Errorf("head-object: %+v; want %+v (alias/aws/s3)", got, want)
		}
		wantBody(t, "kms/managed")
	})

	t.Run("sse-kms key ARN with a bucket key via put-object", func(t *testing.T) {
		var put sseHead
		decodeJSON(t, cli.Run(t, "s3api", "put-object", "--bucket", bucket, "--key", "kms/bucket-key", "--body", bodyFile,
			"--server-side-encryption", "aws:kms", "--ssekms-key-id", keyARN, "--bucket-key-enabled", "--output", "json"), &put)
		want := sseHead{ServerSideEncryption: "aws:kms", SSEKMSKeyId: keyARN, BucketKeyEnabled: true}
		if put != want {
			t.Errorf("put-object: %+v; want %+v", put, want)
		}
		wantHead(t, cli, bucket, "kms/bucket-key", size, want)
		wantBody(t, "kms/bucket-key")
	})

	t.Run("sse-kms missing alias", func(t *testing.T) {
		wantCLIError(t, cli, "KMS.NotFoundException",
			"s3", "cp", "--no-progress", "--sse", "aws:kms", "--sse-kms-key-id", "alias/no-such-alias", bodyFile, "s3://"+bucket+"/kms/missing")
		if _, err := sdk.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("kms/missing")}); errorCode(err) != "NotFound" {
			t.Errorf("HEAD of the object whose PUT failed: %v, want NotFound", err)
		}
	})

	t.Run("sse-s3 explicit and by default", func(t *testing.T) {
		cli.Run(t, "s3", "cp", "--no-progress", "--sse", "AES256", bodyFile, "s3://"+bucket+"/s3/explicit")
		cli.Run(t, "s3", "cp", "--no-progress", bodyFile, "s3://"+bucket+"/s3/default")
		for _, key := range []string{"s3/explicit", "s3/default"} {
			wantHead(t, cli, bucket, key, size, s3Head)
			wantBody(t, key)
		}
		checkRanges(t, cli, bucket, "s3/default", body)
	})

	t.Run("put-bucket-encryption aws:kms with bucket key", func(t *testing.T) {
		var other cliKeyMetadata
		decodeJSON(t, kcli.Run(t, "create-key", "--description", "e2e bucket default"), &other)
		cli.Run(t, "s3", "mb", "s3://sse-cli-default")
		config := fmt.Sprintf(`{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":%q},"BucketKeyEnabled":true}]}`, other.KeyMetadata.KeyId)
		cli.Run(t, "s3api", "put-bucket-encryption", "--bucket", "sse-cli-default", "--server-side-encryption-configuration", config)
		var got struct {
			ServerSideEncryptionConfiguration struct {
				Rules []struct {
					ApplyServerSideEncryptionByDefault struct{ SSEAlgorithm, KMSMasterKeyID string }
					BucketKeyEnabled                   bool
				}
			}
		}
		decodeJSON(t, cli.Run(t, "s3api", "get-bucket-encryption", "--bucket", "sse-cli-default", "--output", "json"), &got)
		if rules := got.ServerSideEncryptionConfiguration.Rules; len(rules) != 1 ||
			rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != "aws:kms" ||
			rules[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID != other.KeyMetadata.KeyId || !rules[0].BucketKeyEnabled {
			t.Errorf("get-bucket-encryption: %+v, want the configuration put", rules)
		}

		cli.Run(t, "s3", "cp", "--no-progress", bodyFile, "s3://sse-cli-default/plain")
		wantHead(t, cli, "sse-cli-default", "plain", size,
			sseHead{ServerSideEncryption: "aws:kms", SSEKMSKeyId: other.KeyMetadata.Arn, BucketKeyEnabled: true})
		if err := equalBytes(body, getObject(t, sdk, "sse-cli-default", "plain")); err != nil {
			t.Errorf("GET s3://sse-cli-default/plain: %v", err)
		}
		// The request's own headers override the bucket's default.
		cli.Run(t, "s3", "cp", "--no-progress", "--sse", "AES256", bodyFile, "s3://sse-cli-default/explicit-s3")
		wantHead(t, cli, "sse-cli-default", "explicit-s3", size, s3Head)
	})

	t.Run("sse-c", func(t *testing.T) {
		dir := t.TempDir()
		keyFile, keyMD5 := ssecKey(t, dir, "key", 720)
		wrongKey, _ := ssecKey(t, dir, "wrong-key", 721)
		obj := "s3://" + bucket + "/c/obj"
		cli.Run(t, "s3", "cp", "--no-progress", "--sse-c", "AES256", "--sse-c-key", "fileb://"+keyFile, bodyFile, obj)

		down := filepath.Join(dir, "down")
		// s3 cp reads the object's HEAD first: 400 without a key, 403 with
		// another one, as on AWS.
		wantCLIError(t, cli, "400", "s3", "cp", "--no-progress", obj, down)
		wantCLIError(t, cli, "403", "s3", "cp", "--no-progress", "--sse-c", "AES256", "--sse-c-key", "fileb://"+wrongKey, obj, down)
		cli.Run(t, "s3", "cp", "--no-progress", "--sse-c", "AES256", "--sse-c-key", "fileb://"+keyFile, obj, down)
		assertSameFile(t, bodyFile, down)

		withKey := []string{"--sse-customer-algorithm", "AES256", "--sse-customer-key", "fileb://" + keyFile}
		wantHead(t, cli, bucket, "c/obj", size, sseHead{SSECustomerAlgorithm: "AES256", SSECustomerKeyMD5: keyMD5}, withKey...)
		// A GET carries S3's error code in its body.
		wantCLIError(t, cli, "InvalidRequest", "s3api", "get-object", "--bucket", bucket, "--key", "c/obj", down)
		wantCLIError(t, cli, "AccessDenied", "s3api", "get-object", "--bucket", bucket, "--key", "c/obj",
			"--sse-customer-algorithm", "AES256", "--sse-customer-key", "fileb://"+wrongKey, down)
		checkRanges(t, cli, bucket, "c/obj", body, withKey...)
	})

	t.Run("sse-c over plain HTTP without --allow-ssec-over-http", func(t *testing.T) {
		strict := startServer(t, withKMS(k))
		ssdk := strict.sdk()
		if _, err := ssdk.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("sse-c-http")}); err != nil {
			t.Fatal(err)
		}
		keyFile, _ := ssecKey(t, t.TempDir(), "key", 740)
		wantCLIError(t, awsCLI(t, strict), "InvalidRequest", "s3api", "put-object", "--bucket", "sse-c-http", "--key", "obj", "--body", bodyFile,
			"--sse-customer-algorithm", "AES256", "--sse-customer-key", "fileb://"+keyFile)
		if _, err := ssdk.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("sse-c-http"), Key: aws.String("obj")}); errorCode(err) != "NotFound" {
			t.Errorf("HEAD of the object whose PUT was refused: %v, want NotFound", err)
		}
	})

	t.Run("sse-c multipart over TLS", func(t *testing.T) {
		pki := pkitest.New(t)
		tsrv := startServer(t, withKMS(k), withTLS(pki))
		tcli := awsCLI(t, tsrv)
		tcli.args = append([]string{"--ca-bundle", pki.CAFile}, tcli.args...)
		dir := t.TempDir()
		keyFile, keyMD5 := ssecKey(t, dir, "key", 750)
		// Two parts: the CLI's multipart threshold is 8 MiB, and it reads
		// the object back in ranges.
		local := filepath.Join(dir, "obj.bin")
		writeRandomFile(t, local, 751, 9<<20)

		tcli.Run(t, "s3", "mb", "s3://sse-c-tls")
		tcli.Run(t, "s3", "cp", "--no-progress", "--sse-c", "AES256", "--sse-c-key", "fileb://"+keyFile, local, "s3://sse-c-tls/obj.bin")
		wantCLIError(t, tcli, "400", "s3", "cp", "--no-progress", "s3://sse-c-tls/obj.bin", local+".nokey")
		down := local + ".down"
		tcli.Run(t, "s3", "cp", "--no-progress", "--sse-c", "AES256", "--sse-c-key", "fileb://"+keyFile, "s3://sse-c-tls/obj.bin", down)
		assertSameFile(t, local, down)
		wantHead(t, tcli, "sse-c-tls", "obj.bin", 9<<20, sseHead{SSECustomerAlgorithm: "AES256", SSECustomerKeyMD5: keyMD5},
			"--sse-customer-algorithm", "AES256", "--sse-customer-key", "fileb://"+keyFile)
	})
}
