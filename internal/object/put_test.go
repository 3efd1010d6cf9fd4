package object

import (
	"cmp"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"hash/crc64"
	"io"
	"strings"
	"testing"

	"github.com/coffer-project/coffer/internal/blob"
	"github.com/coffer-project/coffer/internal/meta"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func md5b64(s string) string { sum := md5.Sum([]byte(s)); return b64(sum[:]) }

func crc32b64(s string) string {
	return b64(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE([]byte(s))))
}

func sha256b64(s string) string { sum := sha256.Sum256([]byte(s)); return b64(sum[:]) }

// crc64nvme is computed here independently of the code under test.
func crc64nvme(b []byte) string {
	return b64(binary.BigEndian.AppendUint64(nil, crc64.Checksum(b, crc64.MakeTable(0x9a6c9329ac4bc9b5))))
}

func TestCRC64NVMEReference(t *testing.T) {
	// The CRC-64/NVME check value for "123456789".
	if got, want := crc64nvme([]byte("123456789")), b64(binary.BigEndian.AppendUint64(nil, 0xae8b14860a799888)); got != want {
		t.Fatalf("reference crc64nvme = %s, want %s", got, want)
	}
}

func TestPutObjectVerification(t *testing.T) {
	const data = "hello, coffer"
	trailer := func(v string) func() string { return func() string { return v } }
	tests := []struct {
		name     string
		body     func() io.Reader // nil: data
		size     int64
		md5      string
		checksum ChecksumInput
		want     error
		wantSum  meta.Checksum
	}{
		{name: "plain", size: int64(len(data)),
			wantSum: meta.Checksum{Algorithm: "CRC64NVME", Type: "FULL_OBJECT", Value: crc64nvme([]byte(data))}},
		{name: "unknown size", size: -1,
			wantSum: meta.Checksum{Algorithm: "CRC64NVME", Type: "FULL_OBJECT", Value: crc64nvme([]byte(data))}},
		{name: "content-md5 matches", size: int64(len(data)), md5: md5b64(data)},
		{name: "content-md5 malformed base64", size: int64(len(data)), md5: "not base64!", want: ErrInvalidDigest},
		{name: "content-md5 wrong length", size: int64(len(data)), md5: b64([]byte("short")), want: ErrInvalidDigest},
		{name: "content-md5 mismatch", size: int64(len(data)), md5: md5b64("other"), want: ErrBadDigest},
		{name: "crc32 header matches", size: int64(len(data)), checksum: ChecksumInput{Algorithm: "CRC32", Value: crc32b64(data)},
			wantSum: meta.Checksum{Algorithm: "CRC32", Type: "FULL_OBJECT", Value: crc32b64(data)}},
		{name: "crc32 lower-case algorithm", size: int64(len(data)), checksum: ChecksumInput{Algorithm: "crc32", Value: crc32b64(data)},
			wantSum: meta.Checksum{Algorithm: "CRC32", Type: "FULL_OBJECT", Value: crc32b64(data)}},
		{name: "crc32 header mismatch", size: int64(len(data)), checksum: ChecksumInput{Algorithm: "CRC32", Value: crc32b64("other")}, want: ErrBadDigest},
		{name: "sha256 trailer matches", size: int64(len(data)), checksum: ChecksumInput{Algorithm: "SHA256", Trailer: trailer(sha256b64(data))},
			wantSum: meta.Checksum{Algorithm: "SHA256", Type: "FULL_OBJECT", Value: sha256b64(data)}},
		{name: "sha256 trailer mismatch", size: int64(len(data)), checksum: ChecksumInput{Algorithm: "SHA256", Trailer: trailer(sha256b64("x"))}, want: ErrBadDigest},
		{name: "trailer missing", size: int64(len(data)), checksum: ChecksumInput{Algorithm: "SHA256", Trailer: trailer("")}, want: ErrInvalidRequest},
		{name: "algorithm only", size: int64(len(data)), checksum: ChecksumInput{Algorithm: "SHA256"},
			wantSum: meta.Checksum{Algorithm: "SHA256", Type: "FULL_OBJECT", Value: sha256b64(data)}},
		{name: "value of another algorithm's length", size: int64(len(data)), checksum: ChecksumInput{Algorithm: "SHA256", Value: crc32b64(data)}, want: ErrInvalidRequest},
		{name: "unknown algorithm", size: int64(len(data)), checksum: ChecksumInput{Algorithm: "MD4", Value: crc32b64(data)}, want: ErrInvalidRequest},
		{name: "value without algorithm", size: int64(len(data)), checksum: ChecksumInput{Value: crc32b64(data)}, want: ErrInvalidRequest},
		{name: "body shorter than size", size: int64(len(data)) + 1, want: ErrIncompleteBody},
		{name: "body longer than size", size: int64(len(data)) - 1, want: ErrInvalidRequest},
		{name: "size over 5 GiB", size: MaxPutSize + 1, want: ErrEntityTooLarge},
		{name: "body fails midway", body: func() io.Reader { return &failingReader{data: []byte(data), err: io.ErrUnexpectedEOF} }, size: -1, want: io.ErrUnexpectedEOF},
	}
	eachStorage(t, func(t *testing.T, inlineMax int64) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnvWith(t, inlineMax)
				e.bucket("b", "")
				var body io.Reader = strings.NewReader(data)
				if tt.body != nil {
					body = tt.body()
				}
				v, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "k", Owner: owner, Body: body, Size: tt.size, ContentMD5: tt.md5, Checksum: tt.checksum})
				wantErr(t, err, tt.want)
				if tt.want != nil {
					_, err := e.svc.HeadObject(e.ctx, GetInput{Bucket: "b", Key: "k"})
					wantErr(t, err, ErrNoSuchKey)
					e.assertNoGarbage("b")
					return
				}
				if sum := md5.Sum([]byte(data)); v.ETag != hex.EncodeToString(sum[:]) {
					t.Errorf("ETag = %s", v.ETag)
				}
				if v.Size != int64(len(data)) || v.VersionID != meta.NullVersionID || v.StorageClass != "STANDARD" || v.Owner != owner {
					t.Errorf("version = %+v", v)
				}
				if tt.wantSum.Algorithm != "" && v.Checksum != tt.wantSum {
					t.Errorf("checksum = %+v, want %+v", v.Checksum, tt.wantSum)
				}
				if got := e.get("b", "k", ""); got != data {
					t.Errorf("body = %q", got)
				}
				got, err := e.svc.GetVersion(e.ctx, "b", "k", "")
				wantErr(t, err, nil)
				if got.Checksum != v.Checksum || got.ETag != v.ETag {
					t.Errorf("stored %+v, returned %+v", got, v)
				}
				e.assertNoGarbage("b")
			})
		}
	})
}

// TestPutObjectFailures injects blob store faults, so every body goes to a
// blob; TestInlineFailuresLeaveNothing covers the inline path.
func TestPutObjectFailures(t *testing.T) {
	tests := []struct {
		name   string
		bucket string
		fault  *blob.Fault
		want   error
	}{
		{name: "blob store fails mid-body", fault: &blob.Fault{Op: blob.OpPut, AfterBytes: 3}, want: blob.ErrInjected},
		{name: "blob store fails at start", fault: &blob.Fault{Op: blob.OpPut}, want: blob.ErrInjected},
		{name: "blob written but reported failed", fault: &blob.Fault{Op: blob.OpPut, AfterCall: true}, want: blob.ErrInjected},
		{name: "no such bucket", bucket: "missing", want: ErrNoSuchBucket},
		{name: "too many tags", want: ErrInvalidTag},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, blobsOnly)
			bucket := cmp.Or(tt.bucket, "b")
			e.bucket("b", "")
			if tt.fault != nil {
				e.faulty.Inject(*tt.fault)
			}
			var tags []meta.Tag
			if errors.Is(tt.want, ErrInvalidTag) {
				for i := range MaxTagsObject + 1 {
					tags = append(tags, meta.Tag{Key: strings.Repeat("k", i+1), Value: "v"})
				}
			}
			_, err := e.svc.PutObject(e.ctx, PutInput{Bucket: bucket, Key: "k", Body: strings.NewReader("some data"), Size: 9, Tags: tags})
			wantErr(t, err, tt.want)
			_, err = e.svc.HeadObject(e.ctx, GetInput{Bucket: "b", Key: "k"})
			wantErr(t, err, ErrNoSuchKey)
			e.faulty.Reset()
			if tt.name == "blob written but reported failed" {
				// The store lost track of it; only the start-up sweep finds it.
				if err := (&Service{Meta: e.meta, Blobs: e.fs}).Recover(e.ctx); err != nil {
					t.Fatal(err)
				}
			}
			e.assertNoGarbage("b")
		})
	}
}

func TestPutObjectReplacesNullVersion(t *testing.T) {
	eachStorage(t, testPutObjectReplacesNullVersion)
}

func testPutObjectReplacesNullVersion(t *testing.T, inlineMax int64) {
	e := newEnvWith(t, inlineMax)
	e.bucket("b", "")
	e.put("b", "k", "one")
	e.put("b", "k", "two")
	if got := e.get("b", "k", ""); got != "two" {
		t.Errorf("body = %q", got)
	}
	vs, err := e.svc.ListObjectVersions(e.ctx, VersionListInput{Bucket: "b", MaxKeys: 1000})
	wantErr(t, err, nil)
	if len(vs.Versions) != 1 || vs.Versions[0].VersionID != meta.NullVersionID {
		t.Errorf("versions = %+v", vs.Versions)
	}
	e.assertNoGarbage("b")
	want := 1
	if inlineMax != blobsOnly {
		want = 0
	}
	if n := len(e.blobs()); n != want {
		t.Errorf("%d blobs, want %d", n, want)
	}
}

func TestPutObjectMetadata(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "")
	in := PutInput{
		Bucket: "b", Key: "k", Owner: owner, Body: strings.NewReader("x"), Size: 1,
		Headers:      meta.ObjectHeaders{ContentType: "text/plain", CacheControl: "no-cache", Expires: "Thu, 01 Dec 1994 16:00:00 GMT"},
		UserMeta:     map[string]string{"color": "blue"},
		Tags:         []meta.Tag{{Key: "a", Value: "1"}},
		StorageClass: "STANDARD_IA",
	}
	_, err := e.svc.PutObject(e.ctx, in)
	wantErr(t, err, nil)
	v, err := e.svc.GetVersion(e.ctx, "b", "k", "")
	wantErr(t, err, nil)
	if v.Headers != in.Headers || v.UserMeta["color"] != "blue" || len(v.Tags) != 1 || v.StorageClass != "STANDARD_IA" {
		t.Errorf("stored %+v", v)
	}
	if !v.LastModified.Equal(v.LastModified.Truncate(1e6)) || v.LastModified.Location().String() != "UTC" {
		t.Errorf("LastModified %v is not UTC milliseconds", v.LastModified)
	}
}

func TestPutObjectNilBody(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "")
	v, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "empty", Size: 0})
	wantErr(t, err, nil)
	if v.Size != 0 || v.ETag != md5hex("") || v.Checksum.Value != crc64nvme(nil) {
		t.Errorf("empty object = %+v", v)
	}
	if got := e.get("b", "empty", ""); got != "" {
		t.Errorf("body = %q", got)
	}
}
