package object

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/coffer-project/coffer/internal/kms"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/s3"
)

// storeKMS is a KMS over a real keystore (internal/kms, SQLite in a temp
// dir), as the embedded `coffer kms` serves it, minus HTTP. It counts
// calls, and down makes every call fail as an unreachable KMS does.
type storeKMS struct {
	store        *kms.Store
	generate     atomic.Int64
	decrypt      atomic.Int64
	down         atomic.Bool
	mu           sync.Mutex
	lastContexts []map[string]string
}

func newStoreKMS(t testing.TB) *storeKMS {
	t.Helper()
	root, err := kms.NewAESRootKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	s, err := kms.Open(context.Background(), filepath.Join(t.TempDir(), "kms.db"), kms.Config{RootKey: root, Account: owner})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &storeKMS{store: s}
}

func (k *storeKMS) GenerateDataKey(ctx context.Context, keyID string, ec map[string]string) (kms.DataKey, error) {
	k.generate.Add(1)
	if k.down.Load() {
		return kms.DataKey{}, fmt.Errorf("dial tcp: connection refused: %w", kms.ErrUnavailable)
	}
	k.mu.Lock()
	k.lastContexts = append(k.lastContexts, ec)
	k.mu.Unlock()
	out, err := k.store.GenerateDataKey(ctx, kms.GenerateDataKeyInput{KeyID: keyID, KeySpec: kms.DataKeySpecAES256, EncryptionContext: ec})
	if err != nil {
		return kms.DataKey{}, err
	}
	return kms.DataKey{Plaintext: out.Plaintext, Ciphertext: out.CiphertextBlob, KeyARN: out.KeyID}, nil
}

func (k *storeKMS) Decrypt(ctx context.Context, ciphertext []byte, ec map[string]string) ([]byte, error) {
	k.decrypt.Add(1)
	if k.down.Load() {
		return nil, fmt.Errorf("dial tcp: connection refused: %w", kms.ErrUnavailable)
	}
	out, err := k.store.Decrypt(ctx, kms.DecryptInput{CiphertextBlob: ciphertext, EncryptionContext: ec})
	if err != nil {
		return nil, err
	}
	return out.Plaintext, nil
}

// newSSEEnv is an env whose Service encrypts with a real keystore.
func newSSEEnv(t *testing.T, inlineMax int64) (*env, *storeKMS) {
	e := newEnvWith(t, inlineMax)
	k := newStoreKMS(t)
	e.svc.KMS = k
	return e, k
}

func customerKey(seed byte) *CustomerKey {
	key := bytes.Repeat([]byte{seed}, 32)
	sum := md5.Sum(key)
	return &CustomerKey{Key: key, KeyMD5: base64.StdEncoding.EncodeToString(sum[:])}
}

// modes are the ways a write can ask for encryption.
var modes = []struct {
	name string
	in   func() SSEInput
	want string // stored Encryption.Mode
}{
	{"default SSE-S3", func() SSEInput { return SSEInput{} }, meta.SSES3},
	{"SSE-S3", func() SSEInput { return SSEInput{Algorithm: meta.SSES3} }, meta.SSES3},
	{"SSE-KMS aws/s3", func() SSEInput { return SSEInput{Algorithm: meta.SSEKMS} }, meta.SSEKMS},
	{"SSE-KMS bucket key", func() SSEInput { t := true; return SSEInput{Algorithm: meta.SSEKMS, BucketKey: &t} }, meta.SSEKMS},
	{"SSE-KMS context", func() SSEInput {
		return SSEInput{Algorithm: meta.SSEKMS, KMSContext: base64.StdEncoding.EncodeToString([]byte(`{"project":"x"}`))}
	}, meta.SSEKMS},
	{"SSE-C", func() SSEInput { return SSEInput{Customer: customerKey(1)} }, meta.SSEC},
}

func TestEncryptionRoundTrip(t *testing.T) { eachStorage(t, testEncryptionRoundTrip) }

func testEncryptionRoundTrip(t *testing.T, inlineMax int64) {
	sizes := []int{0, 1, 1000, 64<<10 + 3, 300 << 10}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			e, _ := newSSEEnv(t, inlineMax)
			e.bucket("b", "")
			for _, n := range sizes {
				data := pattern(n, byte(n))
				in := m.in()
				v, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "k", Body: bytes.NewReader(data), Size: int64(n), SSE: in})
				if err != nil {
					t.Fatalf("PutObject(%d bytes): %v", n, err)
				}
				if v.Encryption.Mode != m.want {
					t.Fatalf("Mode = %q, want %q", v.Encryption.Mode, m.want)
				}
				sum := md5.Sum(data)
				if isMD5 := v.ETag == hex.EncodeToString(sum[:]); isMD5 != (m.want == meta.SSES3) {
					t.Errorf("ETag %s is the MD5: %v, want %v", v.ETag, isMD5, m.want == meta.SSES3)
				}
				got, r := e.read(GetInput{Bucket: "b", Key: "k", Customer: in.Customer})
				if got != string(data) {
					t.Fatalf("%d bytes: read back differs", n)
				}
				if r.Version.Encryption.Mode != m.want {
					t.Fatalf("read Mode = %q", r.Version.Encryption.Mode)
				}
				if n > 10 {
					rg := &s3.Range{First: int64(n/2 - 5), Last: int64(n/2 + 5)}
					got, _ := e.read(GetInput{Bucket: "b", Key: "k", Range: rg, Customer: in.Customer})
					if got != string(data[n/2-5:n/2+6]) {
						t.Fatalf("%d bytes: range read differs", n)
					}
				}
				// io.Copy takes the body's WriteTo, as s3api does.
				if got := copyBody(t, e, GetInput{Bucket: "b", Key: "k", Customer: in.Customer}); !bytes.Equal(got, data) {
					t.Fatalf("%d bytes: io.Copy of the body differs", n)
				}
			}
		})
	}
}

func TestEncryptionMultipart(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			e, _ := newSSEEnv(t, 0)
			e.bucket("b", "")
			in := m.in()
			u, err := e.svc.CreateMultipartUpload(e.ctx, CreateUploadInput{Bucket: "b", Key: "mp", SSE: in})
			if err != nil {
				t.Fatal(err)
			}
			if u.Encryption.Mode != m.want {
				t.Fatalf("upload Mode = %q", u.Encryption.Mode)
			}
			parts := [][]byte{pattern(MinPartSize, 1), pattern(MinPartSize+7, 2), pattern(1000, 3)}
			var cps []CompletePart
			for i, p := range parts {
				up, err := e.svc.UploadPart(e.ctx, UploadPartInput{Bucket: "b", Key: "mp", UploadID: u.UploadID, PartNumber: i + 1,
					Body: bytes.NewReader(p), Size: int64(len(p)), Customer: in.Customer})
				if err != nil {
					t.Fatalf("part %d: %v", i+1, err)
				}
				if up.Encryption.Mode != m.want {
					t.Fatalf("part Mode = %q", up.Encryption.Mode)
				}
				cps = append(cps, CompletePart{PartNumber: i + 1, ETag: up.ETag})
			}
			if in.Customer != nil {
				_, err := e.svc.UploadPart(e.ctx, UploadPartInput{Bucket: "b", Key: "mp", UploadID: u.UploadID, PartNumber: 9,
					Body: strings.NewReader("x"), Size: 1})
				wantErr(t, err, ErrSSECRequired)
			}
			v, err := e.svc.CompleteMultipartUpload(e.ctx, CompleteInput{Bucket: "b", Key: "mp", UploadID: u.UploadID, Parts: cps})
			if err != nil {
				t.Fatal(err)
			}
			if v.Encryption.Mode != m.want {
				t.Fatalf("version Mode = %q", v.Encryption.Mode)
			}
			whole := bytes.Join(parts, nil)
			got, _ := e.read(GetInput{Bucket: "b", Key: "mp", Customer: in.Customer})
			if got != string(whole) {
				t.Fatal("multipart object reads back differently")
			}
			// A range across the part boundary, and a part read.
			rg := &s3.Range{First: MinPartSize - 100, Last: MinPartSize + 100}
			got, _ = e.read(GetInput{Bucket: "b", Key: "mp", Range: rg, Customer: in.Customer})
			if got != string(whole[MinPartSize-100:MinPartSize+101]) {
				t.Fatal("range across parts differs")
			}
			got, _ = e.read(GetInput{Bucket: "b", Key: "mp", PartNumber: 2, Customer: in.Customer})
			if got != string(parts[1]) {
				t.Fatal("part 2 differs")
			}
		})
	}
}

// TestEncryptionCopyMatrix copies between every pair of modes, with the
// source's key where it has one, and reads the copy back.
func TestEncryptionCopyMatrix(t *testing.T) {
	e, _ := newSSEEnv(t, 0)
	e.bucket("b", "")
	data := pattern(100<<10, 9)
	for i, src := range modes {
		sin := src.in()
		skey := fmt.Sprintf("src%d", i)
		if _, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: skey, Body: bytes.NewReader(data), Size: int64(len(data)), SSE: sin}); err != nil {
			t.Fatal(err)
		}
		for j, dst := range modes {
			t.Run(src.name+" to "+dst.name, func(t *testing.T) {
				din := dst.in()
				if din.Customer != nil {
					din.Customer = customerKey(2) // another key than the source's
				}
				dkey := fmt.Sprintf("dst%d-%d", i, j)
				in := CopyInput{SrcBucket: "b", SrcKey: skey, SrcCustomer: sin.Customer,
					Dst: PutInput{Bucket: "b", Key: dkey, SSE: din}}
				if sin.Customer != nil {
					bad := in
					bad.SrcCustomer = nil
					_, _, err := e.svc.CopyObject(e.ctx, bad)
					wantErr(t, err, ErrSSECRequired)
				}
				v, _, err := e.svc.CopyObject(e.ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				if v.Encryption.Mode != dst.want {
					t.Fatalf("copy Mode = %q, want %q", v.Encryption.Mode, dst.want)
				}
				got, _ := e.read(GetInput{Bucket: "b", Key: dkey, Customer: din.Customer})
				if got != string(data) {
					t.Fatal("copy reads back differently")
				}
			})
		}
	}
}

func TestSSECErrors(t *testing.T) {
	e, _ := newSSEEnv(t, 0)
	e.bucket("b", "")
	key := customerKey(5)
	if _, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "c", Body: strings.NewReader("secret"), Size: 6, SSE: SSEInput{Customer: key}}); err != nil {
		t.Fatal(err)
	}
	e.put("b", "plain", "not ssec")
	tests := []struct {
		name, key string
		ck        *CustomerKey
		want      error
	}{
		{"no key", "c", nil, ErrSSECRequired},
		{"wrong key", "c", customerKey(6), ErrSSECKeyMismatch},
		{"key for an SSE-S3 object", "plain", key, ErrSSECNotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: tt.key, Customer: tt.ck})
			wantErr(t, err, tt.want)
			_, err = e.svc.HeadObject(e.ctx, GetInput{Bucket: "b", Key: tt.key, Customer: tt.ck})
			wantErr(t, err, tt.want)
		})
	}
	// Blocked by the bucket's configuration.
	if err := e.meta.UpdateBucket(e.ctx, "b", func(b *meta.Bucket) error {
		b.Encryption = &meta.BucketEncryption{Algorithm: meta.SSES3, BlockedEncryptionTypes: []string{"SSE-C"}}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "c2", Body: strings.NewReader("x"), Size: 1, SSE: SSEInput{Customer: key}})
	wantErr(t, err, ErrEncryptionBlocked)
}

// TestEncryptionAtRest writes a marker in every mode and storage form and
// finds it nowhere in the metadata database, its WAL, or the blobs; nor
// the SSE-C key, raw or base64.
func TestEncryptionAtRest(t *testing.T) {
	e, _ := newSSEEnv(t, 0)
	e.bucket("b", "")
	marker := []byte("COFFER-AT-REST-MARKER-7f3a")
	ck := customerKey(0x5c)
	for i, m := range modes {
		in := m.in()
		if in.Customer != nil {
			in.Customer = ck
		}
		for _, n := range []int{100, 200 << 10} {
			data := bytes.Repeat(marker, n/len(marker)+1)
			if _, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: fmt.Sprintf("o%d-%d", i, n), Body: bytes.NewReader(data), Size: int64(len(data)), SSE: in}); err != nil {
				t.Fatal(err)
			}
		}
	}
	needles := map[string][]byte{
		"marker":        marker,
		"SSE-C key":     ck.Key,
		"SSE-C key b64": []byte(base64.StdEncoding.EncodeToString(ck.Key)),
	}
	root := filepath.Dir(e.fs.Dir()) // meta.db, its WAL, blobs/
	scanned := 0
	err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned++
		for name, n := range needles {
			if bytes.Contains(b, n) {
				t.Errorf("%s found in %s", name, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned < 3 {
		t.Fatalf("scanned only %d files under %s", scanned, root)
	}
}

// TestBucketKeyLimitsKMSCalls: with Bucket Keys, 1,000 PUTs make one
// GenerateDataKey call, and reads of them one Decrypt at most.
func TestBucketKeyLimitsKMSCalls(t *testing.T) {
	e, k := newSSEEnv(t, 0)
	e.bucket("b", "")
	yes := true
	for i := range 1000 {
		if _, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: fmt.Sprint(i), Body: strings.NewReader("x"), Size: 1,
			SSE: SSEInput{Algorithm: meta.SSEKMS, BucketKey: &yes}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := k.generate.Load(); n > 2 {
		t.Fatalf("1,000 PUTs with a bucket key made %d GenerateDataKey calls", n)
	}
	for i := range 50 {
		if got := e.get("b", fmt.Sprint(i), ""); got != "x" {
			t.Fatal("read back differs")
		}
	}
	if n := k.decrypt.Load(); n > 1 {
		t.Fatalf("50 GETs made %d Decrypt calls", n)
	}
	// The bucket key's context is the bucket ARN.
	for _, ec := range k.lastContexts {
		if ec["aws:s3:arn"] != "arn:aws:s3:::b" {
			t.Fatalf("context %v", ec)
		}
	}
}

// TestKMSOutage: with the KMS down, SSE-KMS writes and reads fail with a
// KMSError and leave nothing behind; when it is back, they work again.
func TestKMSOutage(t *testing.T) {
	e, k := newSSEEnv(t, blobsOnly)
	e.bucket("b", "")
	kin := SSEInput{Algorithm: meta.SSEKMS}
	data := pattern(200<<10, 4)
	if _, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "before", Body: bytes.NewReader(data), Size: int64(len(data)), SSE: kin}); err != nil {
		t.Fatal(err)
	}
	blobsBefore := len(e.blobs())
	k.down.Store(true)
	_, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "during", Body: bytes.NewReader(data), Size: int64(len(data)), SSE: kin})
	var ke *KMSError
	if !errors.As(err, &ke) || ke.Exception != "" {
		t.Fatalf("PUT during outage: %v, want an unavailable KMSError", err)
	}
	_, err = e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: "before"})
	if !errors.As(err, &ke) {
		t.Fatalf("GET during outage: %v, want a KMSError", err)
	}
	if _, err := e.svc.HeadObject(e.ctx, GetInput{Bucket: "b", Key: "during"}); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("object written during the outage: %v", err)
	}
	if n := len(e.blobs()); n != blobsBefore {
		t.Fatalf("%d blobs after a failed PUT, %d before", n, blobsBefore)
	}
	k.down.Store(false)
	if got := e.get("b", "before", ""); got != string(data) {
		t.Fatal("read after the outage differs")
	}
	if _, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "after", Body: bytes.NewReader(data), Size: int64(len(data)), SSE: kin}); err != nil {
		t.Fatal(err)
	}
}

// TestKMSKeyErrors: a disabled or missing key is the KMS's exception.
func TestKMSKeyErrors(t *testing.T) {
	e, k := newSSEEnv(t, 0)
	e.bucket("b", "")
	md, err := k.store.CreateKey(e.ctx, kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	put := func(key string) error {
		_, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "k", Body: strings.NewReader("x"), Size: 1,
			SSE: SSEInput{Algorithm: meta.SSEKMS, KMSKeyID: key}})
		return err
	}
	if err := put(md.KeyID); err != nil {
		t.Fatal(err)
	}
	if err := k.store.DisableKey(e.ctx, md.KeyID); err != nil {
		t.Fatal(err)
	}
	var ke *KMSError
	if err := put(md.KeyID); !errors.As(err, &ke) || ke.Exception != string(kms.ErrDisabled) {
		t.Fatalf("disabled key: %v", err)
	}
	if _, err := e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: "k"}); !errors.As(err, &ke) || ke.Exception != string(kms.ErrDisabled) {
		t.Fatalf("GET under a disabled key: %v", err)
	}
	if err := put("alias/no-such-alias"); !errors.As(err, &ke) || ke.Exception != string(kms.ErrNotFound) {
		t.Fatalf("missing key: %v", err)
	}
}

// TestEncryptionTamper: one flipped byte of a blob, or of inline data,
// fails the read with ErrIntegrity; no altered byte is returned.
func TestEncryptionTamper(t *testing.T) { eachStorage(t, testEncryptionTamper) }

func testEncryptionTamper(t *testing.T, inlineMax int64) {
	e, _ := newSSEEnv(t, inlineMax)
	e.bucket("b", "")
	data := pattern(20<<10, 3)
	v, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "k", Body: bytes.NewReader(data), Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	p := v.Parts[0]
	if p.BlobID != "" {
		path := blobPath(t, e.fs.Dir(), p.BlobID)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 1
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	} else {
		// Inline data lives in the version row: alter it there.
		cur, err := e.meta.GetVersion(e.ctx, "b", "k", "")
		if err != nil {
			t.Fatal(err)
		}
		cur.Parts[0].Inline[len(cur.Parts[0].Inline)/2] ^= 1
		if _, err := e.meta.CommitVersion(e.ctx, cur, nil); err != nil {
			t.Fatal(err)
		}
	}
	// The object is one package: GetObject authenticates it before it
	// returns, so the failure comes before any response is sent.
	_, err = e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: "k"})
	if !errors.Is(err, ErrIntegrity) {
		t.Fatalf("GetObject of tampered data: %v, want ErrIntegrity", err)
	}
}

// TestEncryptionTamperLater: damage past the first package fails the read
// when it reaches it; every byte returned before is the original.
func TestEncryptionTamperLater(t *testing.T) {
	e, _ := newSSEEnv(t, blobsOnly)
	e.bucket("b", "")
	data := pattern(300<<10, 5)
	v, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "k", Body: bytes.NewReader(data), Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	path := blobPath(t, e.fs.Dir(), v.Parts[0].BlobID)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-100] ^= 1 // in the last package
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	got, err := io.ReadAll(r.Body)
	if !errors.Is(err, ErrIntegrity) {
		t.Fatalf("read of tampered data: %v, want ErrIntegrity", err)
	}
	if len(got) == 0 || !bytes.HasPrefix(data, got) {
		t.Fatalf("the read returned %d bytes that are not the original's prefix", len(got))
	}
	// The same through io.Copy (WriteTo).
	r2, err := e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Body.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r2.Body); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("io.Copy of tampered data: %v, want ErrIntegrity", err)
	}
	if buf.Len() == 0 || !bytes.HasPrefix(data, buf.Bytes()) {
		t.Fatalf("io.Copy wrote %d bytes that are not the original's prefix", buf.Len())
	}
	// A range that avoids the damage still reads.
	rg := &s3.Range{First: 0, Last: 999}
	if got, _ := e.read(GetInput{Bucket: "b", Key: "k", Range: rg}); got != string(data[:1000]) {
		t.Fatal("an undamaged range reads back differently")
	}
}

// copyBody reads a GetObject body with io.Copy (its WriteTo).
func copyBody(t *testing.T, e *env, in GetInput) []byte {
	t.Helper()
	r, err := e.svc.GetObject(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r.Body); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// blobPath finds the file of a blob under dir.
func blobPath(t *testing.T, dir, id string) string {
	t.Helper()
	var found string
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && info.Name() == id {
			found = path
		}
		return err
	})
	if err != nil || found == "" {
		t.Fatalf("blob %s not found under %s: %v", id, dir, err)
	}
	return found
}

// TestCustomerKeyNotLogged: a CustomerKey logs as REDACTED.
func TestCustomerKeyNotLogged(t *testing.T) {
	ck := customerKey(9)
	if s := fmt.Sprint(ck.LogValue()); strings.Contains(s, string(ck.Key)) || s != "REDACTED" {
		t.Fatalf("LogValue = %q", s)
	}
}

// TestAuthorizeKeyUse: the hook is asked for customer managed SSE-KMS
// keys only (not SSE-S3, nor the AWS managed aws/s3 key, whose key policy
// serves every caller S3 authorizes), with the action of the use and the
// key's ARN even when the request named the key by id, and its refusal
// fails the request.
func TestAuthorizeKeyUse(t *testing.T) {
	e, k := newSSEEnv(t, 0)
	e.bucket("b", "")
	md, err := k.store.CreateKey(e.ctx, kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	deny := errors.New("denied by IAM")
	refuse := ""
	e.svc.AuthorizeKeyUse = func(_ context.Context, action, keyARN string) error {
		asked = append(asked, action+" "+keyARN)
		if action == refuse {
			return deny
		}
		return nil
	}
	put := func(key, keyID string) error {
		_, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: key, Body: strings.NewReader("x"), Size: 1,
			SSE: SSEInput{Algorithm: meta.SSEKMS, KMSKeyID: keyID}})
		return err
	}
	e.put("b", "s3", "sse-s3 asks nothing")
	if err := put("managed", ""); err != nil {
		t.Fatal(err)
	}
	if v := e.get("b", "managed", ""); v != "x" || len(asked) != 0 {
		t.Fatalf("aws/s3 object read %q; asked %q, want nothing", v, asked)
	}
	if err := put("kms", md.KeyID); err != nil {
		t.Fatal(err)
	}
	v := e.get("b", "kms", "")
	if v != "x" || len(asked) != 2 || asked[0] != "kms:GenerateDataKey "+md.Arn || asked[1] != "kms:Decrypt "+md.Arn {
		t.Fatalf("asked %q, want GenerateDataKey and Decrypt on %s", asked, md.Arn)
	}
	refuse = "kms:Decrypt"
	_, err = e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: "kms"})
	wantErr(t, err, deny)
	refuse = "kms:GenerateDataKey"
	wantErr(t, put("kms2", md.KeyID), deny)
	if _, err := e.svc.HeadObject(e.ctx, GetInput{Bucket: "b", Key: "kms2"}); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("HEAD of a refused write: %v, want ErrNoSuchKey", err)
	}
}
