package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	_ "modernc.org/sqlite"
)

// sseStack is a `coffer kms` process writing an audit log, and a
// `coffer server --kms` using it that accepts SSE-C over plain HTTP.
type sseStack struct {
	kms   *kmsProcess
	srv   *server
	audit string     // the KMS's --audit-log file
	s3    *s3.Client // no retries, no checking of response checksums
}

func startSSEStack(t *testing.T, serverFlags ...string) *sseStack {
	t.Helper()
	audit := filepath.Join(t.TempDir(), "kms-audit.log")
	k := startKMS(t, "--audit-log", audit)
	srv := startServer(t, withKMS(k), withFlags(append([]string{"--allow-ssec-over-http"}, serverFlags...)...))
	return &sseStack{kms: k, srv: srv, audit: audit, s3: srv.sdk(func(o *s3.Options) {
		// A failure must show, not be retried away; and the server's own
		// integrity checks are under test, not the SDK's.
		o.Retryer = aws.NopRetryer{}
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})}
}

// createKey creates a KMS key, with alias if not "", and returns its id
// and ARN.
func (st *sseStack) createKey(t *testing.T, alias string) (id, arn string) {
	t.Helper()
	c := st.kms.sdk()
	out, err := c.CreateKey(t.Context(), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	id, arn = aws.ToString(out.KeyMetadata.KeyId), aws.ToString(out.KeyMetadata.Arn)
	if alias != "" {
		if _, err := c.CreateAlias(t.Context(), &kms.CreateAliasInput{AliasName: &alias, TargetKeyId: &id}); err != nil {
			t.Fatalf("CreateAlias %s: %v", alias, err)
		}
	}
	return id, arn
}

func (st *sseStack) createBucket(t *testing.T, bucket string) {
	t.Helper()
	if _, err := st.s3.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatalf("CreateBucket %s: %v", bucket, err)
	}
}

// customerKey is an SSE-C key and the header values that carry it.
type customerKey struct {
	raw      []byte
	b64, md5 string
}

func newCustomerKey(seed uint64) *customerKey {
	raw := randomBytes(seed, 32)
	sum := md5.Sum(raw)
	return &customerKey{raw: raw, b64: base64.StdEncoding.EncodeToString(raw), md5: base64.StdEncoding.EncodeToString(sum[:])}
}

// headers returns the values of the SSE-C request headers; nil for no key.
func (c *customerKey) headers() (alg, key, keyMD5 *string) {
	if c == nil {
		return nil, nil, nil
	}
	return aws.String("AES256"), aws.String(c.b64), aws.String(c.md5)
}

// sseRequest is the encryption a write asks for. The zero value sends no
// encryption header: the bucket's default applies (SSE-S3 unless set).
type sseRequest struct {
	Algorithm types.ServerSideEncryption // "", AES256 or aws:kms
	KMSKeyID  string                     // with aws:kms; "" for alias/aws/s3
	BucketKey bool                       // x-amz-server-side-encryption-bucket-key-enabled: true
	Customer  *customerKey               // SSE-C
}

func (r sseRequest) keyID() *string {
	if r.KMSKeyID == "" {
		return nil
	}
	return aws.String(r.KMSKeyID)
}

func (r sseRequest) bucketKey() *bool {
	if !r.BucketKey {
		return nil
	}
	return aws.Bool(true)
}

func putSSE(ctx context.Context, c *s3.Client, bucket, key string, body []byte, r sseRequest) error {
	in := &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body),
		ServerSideEncryption: r.Algorithm, SSEKMSKeyId: r.keyID(), BucketKeyEnabled: r.bucketKey()}
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = r.Customer.headers()
	_, err := c.PutObject(ctx, in)
	return err
}

// multipartSSE uploads body in parts of partSize bytes (the last one
// shorter), sending the SSE-C key with every part as S3 requires.
func multipartSSE(ctx context.Context, c *s3.Client, bucket, key string, body []byte, partSize int, r sseRequest) error {
	in := &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key,
		ServerSideEncryption: r.Algorithm, SSEKMSKeyId: r.keyID(), BucketKeyEnabled: r.bucketKey()}
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = r.Customer.headers()
	up, err := c.CreateMultipartUpload(ctx, in)
	if err != nil {
		return fmt.Errorf("CreateMultipartUpload: %w", err)
	}
	var parts []types.CompletedPart
	for n, off := int32(1), 0; off < len(body); n, off = n+1, off+partSize {
		part := body[off:min(off+partSize, len(body))]
		pin := &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: up.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(part)}
		pin.SSECustomerAlgorithm, pin.SSECustomerKey, pin.SSECustomerKeyMD5 = r.Customer.headers()
		out, err := c.UploadPart(ctx, pin)
		if err != nil {
			return fmt.Errorf("UploadPart %d: %w", n, err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag})
	}
	cin := &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}
	cin.SSECustomerAlgorithm, cin.SSECustomerKey, cin.SSECustomerKeyMD5 = r.Customer.headers()
	if _, err := c.CompleteMultipartUpload(ctx, cin); err != nil {
		return fmt.Errorf("CompleteMultipartUpload: %w", err)
	}
	return nil
}

// copySSE copies bucket/src, read with srcKey (SSE-C) if not nil, to
// bucket/dst encrypted as r asks.
func copySSE(ctx context.Context, c *s3.Client, bucket, src, dst string, srcKey *customerKey, r sseRequest) error {
	in := &s3.CopyObjectInput{Bucket: &bucket, Key: &dst, CopySource: aws.String(bucket + "/" + src),
		ServerSideEncryption: r.Algorithm, SSEKMSKeyId: r.keyID(), BucketKeyEnabled: r.bucketKey()}
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = r.Customer.headers()
	in.CopySourceSSECustomerAlgorithm, in.CopySourceSSECustomerKey, in.CopySourceSSECustomerKeyMD5 = srcKey.headers()
	_, err := c.CopyObject(ctx, in)
	return err
}

// getSSE reads bucket/key (bytes rng if not "") with the SSE-C key ck if
// not nil. On an error while reading the body it returns what was read.
func getSSE(ctx context.Context, c *s3.Client, bucket, key, rng string, ck *customerKey) (*s3.GetObjectOutput, []byte, error) {
	in := &s3.GetObjectInput{Bucket: &bucket, Key: &key}
	if rng != "" {
		in.Range = &rng
	}
	in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = ck.headers()
	out, err := c.GetObject(ctx, in)
	if err != nil {
		return nil, nil, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return out, b, err
}

// httpStatus returns the HTTP status of a failed SDK call, or 0.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// marker is what every object of TestSSEAtRest holds, over and over. Its
// length is a multiple of 3, so its base64 is also a prefix of the
// base64 of every such object.
const marker = "COFFER-MARKER-at-rest-5e1f0c"

// markedBody returns size bytes repeating the marker and name.
func markedBody(name string, size int) []byte {
	unit := []byte(marker + " " + name + " ")
	return bytes.Repeat(unit, size/len(unit)+1)[:size]
}

// TestSSEAtRest writes objects holding a marker in every encryption mode
// — SSE-S3 by default, SSE-KMS under a created key and under alias/aws/s3,
// SSE-KMS with a bucket key, SSE-C — small (kept inline in the metadata
// store), large (a blob) and multipart, and copies between modes; then it
// reads every file under the server's data dir, once as it was while the
// server ran (WAL and all) and once after it stopped, and finds neither
// the marker nor an SSE-C key nor the plaintext of any data key the
// server got from the KMS (raw, base64 or hex).
func TestSSEAtRest(t *testing.T) {
	skipIfShort(t)
	st := startSSEStack(t)
	ctx := t.Context()
	keyID, _ := st.createKey(t, "alias/e2e-at-rest")
	customer, copyCustomer := newCustomerKey(801), newCustomerKey(802)
	const bucket = "at-rest"
	st.createBucket(t, bucket)

	kmsAlg := types.ServerSideEncryptionAwsKms
	modes := []struct {
		name string
		req  sseRequest
	}{
		{"sse-s3-default", sseRequest{}},
		{"sse-kms-key", sseRequest{Algorithm: kmsAlg, KMSKeyID: keyID}},
		{"sse-kms-aws-s3", sseRequest{Algorithm: kmsAlg}},
		{"sse-kms-bucket-key", sseRequest{Algorithm: kmsAlg, KMSKeyID: "alias/e2e-at-rest", BucketKey: true}},
		{"sse-c", sseRequest{Customer: customer}},
	}
	const partSize = 5 << 20
	sizes := []struct {
		name      string
		size      int
		multipart bool
	}{
		{"small", 16 << 10, false}, // inline: below the 32 KiB kept in meta.db
		{"large", 1 << 20, false},
		{"multipart", 2*partSize + 700<<10, true},
	}

	// stored is an object written, with what reading it back needs and
	// what the server must report about it.
	type stored struct {
		key       string
		body      []byte
		customer  *customerKey
		reported  types.ServerSideEncryption // "" for SSE-C
		bucketKey bool
	}
	reported := func(r sseRequest) types.ServerSideEncryption {
		switch {
		case r.Customer != nil:
			return ""
		case r.Algorithm == "":
			return types.ServerSideEncryptionAes256
		}
		return r.Algorithm
	}
	var objects []stored
	for _, m := range modes {
		for _, sz := range sizes {
			key := m.name + "/" + sz.name
			body := markedBody(key, sz.size)
			var err error
			if sz.multipart {
				err = multipartSSE(ctx, st.s3, bucket, key, body, partSize, m.req)
			} else {
				err = putSSE(ctx, st.s3, bucket, key, body, m.req)
			}
			if err != nil {
				t.Fatalf("write %s: %v", key, err)
			}
			objects = append(objects, stored{key, body, m.req.Customer, reported(m.req), m.req.BucketKey})
		}
	}
	byKey := func(key string) stored {
		i := slices.IndexFunc(objects, func(o stored) bool { return o.key == key })
		return objects[i]
	}
	copies := []struct {
		src, dst string
		req      sseRequest
	}{
		{"sse-c/small", "copy/ssec-to-kms/small", sseRequest{Algorithm: kmsAlg, KMSKeyID: keyID}},
		{"sse-c/large", "copy/ssec-to-kms/large", sseRequest{Algorithm: kmsAlg, KMSKeyID: keyID}},
		{"sse-kms-key/small", "copy/kms-to-ssec/small", sseRequest{Customer: copyCustomer}},
		{"sse-kms-key/large", "copy/kms-to-ssec/large", sseRequest{Customer: copyCustomer}},
		{"sse-s3-default/small", "copy/s3-to-ssec/small", sseRequest{Customer: copyCustomer}},
		{"sse-s3-default/large", "copy/s3-to-ssec/large", sseRequest{Customer: copyCustomer}},
	}
	for _, cp := range copies {
		src := byKey(cp.src)
		if err := copySSE(ctx, st.s3, bucket, cp.src, cp.dst, src.customer, cp.req); err != nil {
			t.Fatalf("CopyObject %s → %s: %v", cp.src, cp.dst, err)
		}
		objects = append(objects, stored{cp.dst, src.body, cp.req.Customer, reported(cp.req), cp.req.BucketKey})
	}

	// Every object reads back whole, marker included, encrypted as asked.
	blobObjects := 0
	for _, o := range objects {
		out, got, err := getSSE(ctx, st.s3, bucket, o.key, "", o.customer)
		if err != nil {
			t.Fatalf("GET %s: %v", o.key, err)
		}
		if err := equalBytes(o.body, got); err != nil {
			t.Errorf("GET %s: %v", o.key, err)
		}
		if out.ServerSideEncryption != o.reported || aws.ToBool(out.BucketKeyEnabled) != o.bucketKey ||
			(o.customer != nil) != (aws.ToString(out.SSECustomerAlgorithm) == "AES256") {
			t.Errorf("GET %s: ServerSideEncryption %q, BucketKeyEnabled %v, SSECustomerAlgorithm %q; want %q, %v, SSE-C %v",
				o.key, out.ServerSideEncryption, aws.ToBool(out.BucketKeyEnabled), aws.ToString(out.SSECustomerAlgorithm),
				o.reported, o.bucketKey, o.customer != nil)
		}
		if len(o.body) > 32<<10 {
			blobObjects++
		}
	}

	// The data dir as it is while the server runs: the WAL not yet
	// checkpointed. A copy, so the data keys found once the server has
	// stopped can be looked for in it too.
	running := filepath.Join(t.TempDir(), "running")
	copyTree(t, st.srv.DataDir, running)
	st.srv.Stop()

	records := storedEncryption(t, st.srv.DataDir)
	dataKeys := map[string][]byte{} // ciphertext → plaintext
	for _, o := range objects {
		rec, ok := records[bucket+"/"+o.key]
		switch {
		case !ok:
			t.Errorf("meta.db: no encryption record for %s", o.key)
		case o.customer != nil && len(rec.DataKey) > 0:
			t.Errorf("meta.db: SSE-C object %s has a KMS data key", o.key)
		case o.customer == nil && len(rec.DataKey) == 0:
			t.Errorf("meta.db: %s has no KMS data key (record %+v)", o.key, rec)
		case o.customer == nil:
			if _, seen := dataKeys[string(rec.DataKey)]; !seen {
				dataKeys[string(rec.DataKey)] = decryptDataKey(t, st.kms, bucket, o.key, rec)
			}
		}
	}
	t.Logf("%d objects, %d distinct data keys decrypted by the KMS", len(objects), len(dataKeys))

	secrets := secretForms("the marker", []byte(marker))
	for what, ck := range map[string]*customerKey{"the SSE-C key": customer, "the SSE-C copy key": copyCustomer} {
		secrets = append(secrets, secretForms(what, ck.raw)...)
	}
	for _, pt := range dataKeys {
		secrets = append(secrets, secretForms("a data key", pt)...)
	}

	// The scan itself finds each secret where one is.
	canary := t.TempDir()
	var all [][]byte
	for _, s := range secrets {
		all = append(all, s.b)
	}
	writeFile(t, filepath.Join(canary, "plain"), bytes.Join(all, []byte("|")))
	if _, found := scanForSecrets(t, canary, secrets); len(found) != len(secrets) {
		t.Fatalf("the scan finds %d of %d secrets in a file holding them all: %v", len(found), len(secrets), found)
	}

	for _, scan := range []struct{ name, dir string }{{"while running", running}, {"after stop", st.srv.DataDir}} {
		files, found := scanForSecrets(t, scan.dir, secrets)
		t.Logf("%s: scanned %d files: %s", scan.name, len(files), strings.Join(files, " "))
		if want := blobObjects + 1; len(files) < want || !slices.Contains(files, "meta.db") {
			t.Errorf("%s: scanned %d files, want meta.db and at least %d (one blob per object of more than 32 KiB)", scan.name, len(files), want)
		}
		for _, f := range found {
			t.Errorf("%s: %s", scan.name, f)
		}
	}
}

// sseRecord is what meta.db's versions.sse column holds of a version's
// encryption, as far as these tests need it.
type sseRecord struct {
	Mode      string `json:"m"`
	BucketKey bool   `json:"bk"`
	DataKey   []byte `json:"dk"` // the KMS ciphertext of the data key
	Context   string `json:"ctx"`
}

// storedEncryption reads the encryption record of every version from a
// copy of meta.db (and its WAL) in the data dir of a stopped server, keyed
// by "bucket/key".
func storedEncryption(t *testing.T, dataDir string) map[string]sseRecord {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"meta.db", "meta.db-wal"} {
		b, err := os.ReadFile(filepath.Join(dataDir, name))
		if errors.Is(err, fs.ErrNotExist) && name != "meta.db" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, name), b)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT bucket, obj_key, sse FROM versions WHERE sse IS NOT NULL`)
	if err != nil {
		t.Fatalf("meta.db: %v", err)
	}
	defer rows.Close()
	out := map[string]sseRecord{}
	for rows.Next() {
		var bucket, key, raw string
		if err := rows.Scan(&bucket, &key, &raw); err != nil {
			t.Fatal(err)
		}
		var rec sseRecord
		if err := json.Unmarshal([]byte(raw), &rec); err != nil {
			t.Fatalf("meta.db: sse of %s/%s: %v: %s", bucket, key, err, raw)
		}
		out[bucket+"/"+key] = rec
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// decryptDataKey has the KMS decrypt the data key of bucket/key with the
// encryption context S3 binds it to: the object's ARN and the client's
// context, or the bucket's ARN for a bucket key.
func decryptDataKey(t *testing.T, k *kmsProcess, bucket, key string, rec sseRecord) []byte {
	t.Helper()
	ec := map[string]string{"aws:s3:arn": "arn:aws:s3:::" + bucket}
	if !rec.BucketKey {
		if rec.Context != "" {
			raw, err := base64.StdEncoding.DecodeString(rec.Context)
			if err != nil || json.Unmarshal(raw, &ec) != nil {
				t.Fatalf("meta.db: encryption context of %s is not base64 JSON: %q", key, rec.Context)
			}
		}
		ec["aws:s3:arn"] = "arn:aws:s3:::" + bucket + "/" + key
	}
	out, err := k.sdk().Decrypt(t.Context(), &kms.DecryptInput{CiphertextBlob: rec.DataKey, EncryptionContext: ec})
	if err != nil {
		t.Fatalf("KMS Decrypt of the data key of %s (context %v): %v", key, ec, err)
	}
	if len(out.Plaintext) != 32 {
		t.Fatalf("the data key of %s is %d bytes, want 32", key, len(out.Plaintext))
	}
	return out.Plaintext
}

// A secret is a byte string no file of the data dir may contain.
type secret struct {
	what string
	b    []byte
}

// secretForms returns b raw, in hex and in base64 (of its first whole
// multiple of 3 bytes, which any base64 of b starts with, padded or not).
func secretForms(what string, b []byte) []secret {
	return []secret{
		{what, b},
		{what + " (hex)", []byte(hex.EncodeToString(b))},
		{what + " (base64)", []byte(base64.StdEncoding.EncodeToString(b[:len(b)-len(b)%3]))},
	}
}

// scanForSecrets reads every file under dir and returns their paths
// relative to dir and, for each secret found, where.
func scanForSecrets(t *testing.T, dir string, secrets []secret) (files, found []string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if i := bytes.Index(b, s.b); i >= 0 {
				found = append(found, fmt.Sprintf("%s found in %s at offset %d", s.what, rel, i))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, found
}

// copyTree copies the regular files under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		writeFile(t, filepath.Join(dst, rel), b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSSETamper flips one byte in the middle of an encrypted object's blob:
// a GET must fail — an error status, or a body cut short — and never hand
// out altered data; a range GET touching the altered package fails too,
// one touching only intact packages still succeeds; the server logs an
// integrity failure.
//
// Objects small enough to live inline in meta.db are not tampered with
// here: altering bytes inside the SQLite file is as likely to break the
// database as the object. internal/object's tests cover inline data.
func TestSSETamper(t *testing.T) {
	skipIfShort(t)
	st := startSSEStack(t)
	ctx := t.Context()
	const bucket, key = "tamper", "blob"
	st.createBucket(t, bucket)
	body := randomBytes(901, 1<<20)
	if err := putSSE(ctx, st.s3, bucket, key, body, sseRequest{}); err != nil {
		t.Fatalf("PUT: %v", err)
	}
	blobs, _, err := listBlobs(filepath.Join(st.srv.DataDir, "blobs"))
	if err != nil || len(blobs) != 1 {
		t.Fatalf("blob store after one 1 MiB PUT: %v (%v), want one blob", blobs, err)
	}
	flipByte(t, blobs[0])

	mid := len(body) / 2
	for _, rng := range []string{"", fmt.Sprintf("bytes=%d-%d", mid-1000, mid+1000)} {
		what := "GET"
		if rng != "" {
			what = "GET " + rng
		}
		out, got, err := getSSE(ctx, st.s3, bucket, key, rng, nil)
		if err == nil {
			t.Errorf("%s of the altered object: %d bytes and no error, want an error", what, len(got))
		} else {
			how := "body cut short"
			switch status := httpStatus(err); {
			case out != nil:
			case status == 0:
				how = "connection closed without a response"
			case status != http.StatusInternalServerError:
				t.Errorf("%s of the altered object: %v, want 500 InternalError or an aborted response", what, err)
			default:
				how = "status 500"
			}
			t.Logf("%s of the altered object failed (%s): %v", what, how, err)
		}
		// Whatever was received must be the original's bytes.
		start := 0
		if rng != "" {
			start = mid - 1000
		}
		if !bytes.HasPrefix(body[start:], got) {
			t.Errorf("%s of the altered object returned %d bytes that are not the object's", what, len(got))
		}
	}
	if _, got, err := getSSE(ctx, st.s3, bucket, key, "bytes=0-999", nil); err != nil {
		t.Errorf("GET bytes=0-999, far from the altered byte: %v", err)
	} else if err := equalBytes(body[:1000], got); err != nil {
		t.Errorf("GET bytes=0-999, far from the altered byte: %v", err)
	}

	log := st.srv.logs[len(st.srv.logs)-1]
	for deadline := time.Now().Add(5 * time.Second); !bytes.Contains(readFile(t, log), []byte("integrity failure")); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the server log has no \"integrity failure\":\n%s", tail(log, 20))
		}
	}
}

// flipByte inverts the lowest bit of the byte in the middle of the file.
func flipByte(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	off := fi.Size() / 2
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 1
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// outageAnswer bounds how long the server may take to refuse a request
// the KMS is needed for while it is down.
const outageAnswer = 5 * time.Second

// TestSSEKMSOutage SIGKILLs the `coffer kms` a server uses: SSE-KMS PUTs,
// multipart uploads and GETs, and SSE-S3 PUTs into a bucket with no cached
// key, fail at once with 503 ServiceUnavailable; SSE-S3 GETs and PUTs fail
// the same way once the key cache TTL (--sse-key-cache-ttl 2s) has passed;
// nothing written during the outage is visible. Restarting the KMS on the
// same data dir and address restores service without restarting the
// server.
func TestSSEKMSOutage(t *testing.T) {
	skipIfShort(t)
	const ttl = 2 * time.Second
	st := startSSEStack(t, "--sse-key-cache-ttl", ttl.String())
	ctx := t.Context()
	keyID, _ := st.createKey(t, "")
	const bucket, fresh = "outage", "outage-fresh"
	st.createBucket(t, bucket)
	st.createBucket(t, fresh)
	kmsReq := sseRequest{Algorithm: types.ServerSideEncryptionAwsKms, KMSKeyID: keyID}
	before := map[string][]byte{"kms/before": randomBytes(1001, 100<<10), "s3/before": randomBytes(1002, 100<<10)}
	if err := putSSE(ctx, st.s3, bucket, "kms/before", before["kms/before"], kmsReq); err != nil {
		t.Fatalf("PUT kms/before: %v", err)
	}
	if err := putSSE(ctx, st.s3, bucket, "s3/before", before["s3/before"], sseRequest{}); err != nil {
		t.Fatalf("PUT s3/before: %v", err)
	}
	// The bucket key of SSE-S3 objects in bucket was cached before now.
	cachedBefore := time.Now()
	readsBack := func(ctx context.Context, bucket, key string, want []byte) error {
		_, got, err := getSSE(ctx, st.s3, bucket, key, "", nil)
		if err != nil {
			return fmt.Errorf("GET %s/%s: %w", bucket, key, err)
		}
		if err := equalBytes(want, got); err != nil {
			return fmt.Errorf("GET %s/%s: %w", bucket, key, err)
		}
		return nil
	}
	for key, body := range before {
		if err := readsBack(ctx, bucket, key, body); err != nil {
			t.Fatal(err)
		}
	}

	st.kms.Kill()
	body := randomBytes(1003, 100<<10)
	var during []string // bucket/key of every write tried during the outage
	put := func(bucket, key string, r sseRequest) func(context.Context) error {
		during = append(during, bucket+"/"+key)
		return func(ctx context.Context) error { return putSSE(ctx, st.s3, bucket, key, body, r) }
	}
	get := func(key string) func(context.Context) error {
		return func(ctx context.Context) error { return readsBack(ctx, bucket, key, before[key]) }
	}
	wantUnavailable(t, "SSE-KMS PUT", put(bucket, "kms/during", kmsReq))
	wantUnavailable(t, "SSE-KMS CreateMultipartUpload", func(ctx context.Context) error {
		during = append(during, bucket+"/kms/during-multipart")
		_, err := st.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("kms/during-multipart"),
			ServerSideEncryption: kmsReq.Algorithm, SSEKMSKeyId: kmsReq.keyID()})
		return err
	})
	wantUnavailable(t, "SSE-KMS GET", get("kms/before"))
	wantUnavailable(t, "SSE-S3 PUT into a bucket with no cached key", put(fresh, "s3/during", sseRequest{}))

	time.Sleep(time.Until(cachedBefore.Add(ttl + 500*time.Millisecond)))
	wantUnavailable(t, "SSE-S3 GET after the key cache TTL", get("s3/before"))
	wantUnavailable(t, "SSE-S3 PUT after the key cache TTL", put(bucket, "s3/during", sseRequest{}))

	nothingHalfWritten := func(when string) {
		t.Helper()
		for _, bk := range during {
			b, k, _ := strings.Cut(bk, "/")
			_, err := st.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b, Key: &k})
			if httpStatus(err) != http.StatusNotFound {
				t.Errorf("%s: HEAD %s, written during the outage: %v, want 404", when, bk, err)
			}
		}
		if got := listObjects(t, st.s3, bucket, ""); len(got) != len(before) || got["kms/before"].Size == 0 || got["s3/before"].Size == 0 {
			t.Errorf("%s: ListObjectsV2 %s: %v, want only kms/before and s3/before", when, bucket, got)
		}
		if got := listObjects(t, st.s3, fresh, ""); len(got) != 0 {
			t.Errorf("%s: ListObjectsV2 %s: %v, want nothing", when, fresh, got)
		}
		uploads, err := st.s3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
		if err != nil || len(uploads.Uploads) != 0 {
			t.Errorf("%s: ListMultipartUploads %s: %v, %v; want none", when, bucket, uploads, err)
		}
	}
	nothingHalfWritten("during the outage")

	if err := st.kms.start(); err != nil {
		t.Fatalf("restart coffer kms on %s: %v", st.kms.Addr, err)
	}
	nothingHalfWritten("after the KMS restarted")
	after := randomBytes(1004, 100<<10)
	eventually(t, "SSE-KMS PUT after the KMS restarted", 10*time.Second, func(ctx context.Context) error {
		return putSSE(ctx, st.s3, bucket, "kms/after", after, kmsReq)
	})
	eventually(t, "SSE-S3 PUT after the KMS restarted", 10*time.Second, func(ctx context.Context) error {
		return putSSE(ctx, st.s3, fresh, "s3/after", after, sseRequest{})
	})
	for _, r := range []struct {
		bucket, key string
		body        []byte
	}{{bucket, "kms/before", before["kms/before"]}, {bucket, "s3/before", before["s3/before"]}, {bucket, "kms/after", after}, {fresh, "s3/after", after}} {
		eventually(t, "GET "+r.bucket+"/"+r.key+" after the KMS restarted", 10*time.Second, func(ctx context.Context) error {
			return readsBack(ctx, r.bucket, r.key, r.body)
		})
	}
}

// wantUnavailable runs call, which needs the KMS while it is down: it must
// fail with 503 ServiceUnavailable within outageAnswer.
func wantUnavailable(t *testing.T, what string, call func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	start := time.Now()
	err := call(ctx)
	took := time.Since(start)
	switch {
	case err == nil:
		t.Errorf("%s with the KMS down succeeded, want 503 ServiceUnavailable", what)
	case httpStatus(err) != http.StatusServiceUnavailable || errorCode(err) != "ServiceUnavailable":
		t.Errorf("%s with the KMS down: %v (after %v), want 503 ServiceUnavailable", what, err, took.Round(time.Millisecond))
	case took > outageAnswer:
		t.Errorf("%s with the KMS down: 503 after %v, want it within %v", what, took.Round(time.Millisecond), outageAnswer)
	default:
		t.Logf("%s with the KMS down: 503 ServiceUnavailable after %v", what, took.Round(time.Millisecond))
	}
}

// eventually retries call until it succeeds, failing the test with its
// last error after within.
func eventually(t *testing.T, what string, within time.Duration, call func(context.Context) error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for tries := 1; ; tries++ {
		ctx, cancel := context.WithTimeout(t.Context(), within)
		err := call(ctx)
		cancel()
		if err == nil {
			if tries > 1 {
				t.Logf("%s: succeeded on try %d", what, tries)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %v (%d tries): %v", what, within, tries, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestSSEBucketKeys PUTs 1,000 objects, 16 at a time, into a bucket whose
// default encryption is SSE-KMS with BucketKeyEnabled: the KMS sees at
// most 2 GenerateDataKey calls, counted both in its audit log and in its
// coffer_kms_calls_total metric; a sample of 100 objects reads back.
func TestSSEBucketKeys(t *testing.T) {
	skipIfShort(t)
	const (
		bucket      = "bucket-keys"
		objects     = 1000
		concurrency = 16
		maxCalls    = 2
	)
	st := startSSEStack(t)
	ctx := t.Context()
	keyID, keyARN := st.createKey(t, "")
	st.createBucket(t, bucket)
	if _, err := st.s3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(bucket),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{
				SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(keyID)},
			BucketKeyEnabled: aws.Bool(true),
		}}}}); err != nil {
		t.Fatalf("PutBucketEncryption: %v", err)
	}
	metricBefore := kmsCalls(t, st.kms, "GenerateDataKey")

	body := func(i int) []byte {
		return fmt.Appendf(nil, "object %04d under a bucket key\n%s", i, randomBytes(uint64(2000+i), 1000))
	}
	key := func(i int) string { return fmt.Sprintf("obj/%04d", i) }
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []error
	for range concurrency {
		wg.Go(func() {
			for i := range next {
				if err := putSSE(ctx, st.s3, bucket, key(i), body(i), sseRequest{}); err != nil {
					mu.Lock()
					failed = append(failed, fmt.Errorf("PUT %s: %w", key(i), err))
					mu.Unlock()
				}
			}
		})
	}
	start := time.Now()
	for i := range objects {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("%d of %d PUTs failed; first: %v", len(failed), objects, failed[0])
	}
	t.Logf("%d PUTs in %v", objects, time.Since(start).Round(time.Millisecond))

	head, err := st.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key(0))})
	if err != nil {
		t.Fatalf("HEAD %s: %v", key(0), err)
	}
	if head.ServerSideEncryption != types.ServerSideEncryptionAwsKms || !aws.ToBool(head.BucketKeyEnabled) || aws.ToString(head.SSEKMSKeyId) != keyARN {
		t.Errorf("HEAD %s: ServerSideEncryption %q, BucketKeyEnabled %v, SSEKMSKeyId %q; want aws:kms, true, %s",
			key(0), head.ServerSideEncryption, aws.ToBool(head.BucketKeyEnabled), aws.ToString(head.SSEKMSKeyId), keyARN)
	}

	// The KMS is this test's own: every call in its audit log is one.
	audited := auditedCalls(t, st.audit, "GenerateDataKey")
	metered := kmsCalls(t, st.kms, "GenerateDataKey") - metricBefore
	t.Logf("GenerateDataKey calls: %d in the audit log, %v more in coffer_kms_calls_total", audited, metered)
	if audited < 1 || audited > maxCalls {
		t.Errorf("the KMS audit log has %d GenerateDataKey calls, want 1 to %d for %d objects", audited, maxCalls, objects)
	}
	if metered > maxCalls {
		t.Errorf("coffer_kms_calls_total{operation=\"GenerateDataKey\"} grew by %v over %d PUTs, want at most %d", metered, objects, maxCalls)
	}

	for i := 0; i < objects; i += objects / 100 {
		_, got, err := getSSE(ctx, st.s3, bucket, key(i), "", nil)
		if err != nil {
			t.Fatalf("GET %s: %v", key(i), err)
		}
		if err := equalBytes(body(i), got); err != nil {
			t.Errorf("GET %s: %v", key(i), err)
		}
	}
}

// auditedCalls counts the records of operation op in a `coffer kms`
// audit log.
func auditedCalls(t *testing.T, path, op string) int {
	t.Helper()
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, path)))
	for sc.Scan() {
		var r struct {
			Operation string `json:"operation"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line is not JSON: %q: %v", sc.Text(), err)
		}
		if r.Operation == op {
			n++
		}
	}
	return n
}

// kmsCalls returns coffer_kms_calls_total of operation op, all results
// summed, from the KMS's /metrics.
func kmsCalls(t *testing.T, k *kmsProcess, op string) float64 {
	t.Helper()
	resp, err := http.Get(k.Endpoint + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s %v", resp.Status, err)
	}
	var sum float64
	for line := range strings.Lines(string(b)) {
		labels, ok := strings.CutPrefix(line, "coffer_kms_calls_total{")
		if !ok || !strings.Contains(labels, `operation="`+op+`"`) {
			continue
		}
		fields := strings.Fields(labels[strings.LastIndex(labels, "}")+1:])
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			t.Fatalf("/metrics: %q: %v", line, err)
		}
		sum += v
	}
	return sum
}
