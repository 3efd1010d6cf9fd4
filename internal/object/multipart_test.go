package object

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/s3"
)

// multipartETag is S3's multipart ETag, computed here independently.
func multipartETag(parts ...[]byte) string {
	var sums []byte
	for _, p := range parts {
		s := md5.Sum(p)
		sums = append(sums, s[:]...)
	}
	s := md5.Sum(sums)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(s[:]), len(parts))
}

func TestMultipartETag(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "")
	p1, p2, p3 := pattern(MinPartSize, 1), pattern(MinPartSize+1, 2), pattern(17, 3)
	v := e.multipart(CreateUploadInput{Bucket: "b", Key: "k", Owner: owner, Headers: meta.ObjectHeaders{ContentType: "video/mp4"},
		UserMeta: map[string]string{"m": "1"}, Tags: []meta.Tag{{Key: "t", Value: "v"}}, StorageClass: "STANDARD_IA"}, p1, p2, p3)
	if want := multipartETag(p1, p2, p3); v.ETag != want {
		t.Errorf("ETag = %s, want %s", v.ETag, want)
	}
	// The single-part case of the formula, for a fixed known value:
	// md5(md5("")) over one empty part.
	if got := multipartETag(nil); got != "59adb24ef3cdbe0297f05b395827453f-1" {
		t.Errorf("reference multipart ETag of one empty part = %s", got)
	}
	got, err := e.svc.GetVersion(e.ctx, "b", "k", "")
	wantErr(t, err, nil)
	if got.Size != int64(len(p1)+len(p2)+len(p3)) || got.Owner != owner || got.Headers.ContentType != "video/mp4" ||
		got.UserMeta["m"] != "1" || len(got.Tags) != 1 || got.StorageClass != "STANDARD_IA" {
		t.Errorf("version = %+v", got)
	}
	for i, p := range got.Parts {
		if p.Number != i+1 {
			t.Errorf("part %d has number %d", i, p.Number)
		}
	}
	whole := bytes.Join([][]byte{p1, p2, p3}, nil)
	if got.Checksum.Algorithm != "CRC64NVME" || got.Checksum.Type != "FULL_OBJECT" || got.Checksum.Value != crc64nvme(whole) {
		t.Errorf("default checksum = %+v, want full-object CRC64NVME %s", got.Checksum, crc64nvme(whole))
	}
	if body := e.get("b", "k", ""); body != string(whole) {
		t.Error("body differs")
	}
	e.assertNoGarbage("b")
}

func TestMultipartChecksums(t *testing.T) {
	p1, p2 := pattern(MinPartSize, 4), pattern(1000, 5)
	whole := bytes.Join([][]byte{p1, p2}, nil)
	sha := func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
	crc := func(b []byte) []byte { return binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(b)) }
	crcC := func(b []byte) []byte {
		return binary.BigEndian.AppendUint32(nil, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
	}
	tests := []struct {
		name, algo, typ string
		want            meta.Checksum
	}{
		{"SHA256 composite", "SHA256", "", meta.Checksum{Algorithm: "SHA256", Type: "COMPOSITE",
			Value: b64(sha(append(sha(p1), sha(p2)...))) + "-2"}},
		{"CRC32 default type is composite", "CRC32", "", meta.Checksum{Algorithm: "CRC32", Type: "COMPOSITE",
			Value: b64(crc(append(crc(p1), crc(p2)...))) + "-2"}},
		{"CRC32 full object", "CRC32", "FULL_OBJECT", meta.Checksum{Algorithm: "CRC32", Type: "FULL_OBJECT", Value: b64(crc(whole))}},
		{"CRC32C full object", "crc32c", "full_object", meta.Checksum{Algorithm: "CRC32C", Type: "FULL_OBJECT", Value: b64(crcC(whole))}},
		{"CRC64NVME default type is full object", "CRC64NVME", "", meta.Checksum{Algorithm: "CRC64NVME", Type: "FULL_OBJECT", Value: crc64nvme(whole)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.bucket("b", "")
			v := e.multipart(CreateUploadInput{Bucket: "b", Key: "k", ChecksumAlgo: tt.algo, ChecksumType: tt.typ}, p1, p2)
			if v.Checksum != tt.want {
				t.Errorf("checksum = %+v\nwant       %+v", v.Checksum, tt.want)
			}
		})
	}
	for _, tt := range []struct{ name, algo, typ string }{
		{"SHA256 full object", "SHA256", "FULL_OBJECT"},
		{"CRC64NVME composite", "CRC64NVME", "COMPOSITE"},
		{"type without algorithm", "", "COMPOSITE"},
		{"unknown type", "CRC32", "PARTIAL"},
		{"unknown algorithm", "MD5", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.bucket("b", "")
			_, err := e.svc.CreateMultipartUpload(e.ctx, CreateUploadInput{Bucket: "b", Key: "k", ChecksumAlgo: tt.algo, ChecksumType: tt.typ})
			wantErr(t, err, ErrInvalidRequest)
		})
	}
}

// upload is an upload with some parts, for Complete error tests.
type upload struct {
	e     *env
	id    string
	parts map[int]meta.Part
}

func (e *env) newUpload(in CreateUploadInput, sizes ...int) *upload {
	e.t.Helper()
	in.Bucket, in.Key = "b", "k"
	u, err := e.svc.CreateMultipartUpload(e.ctx, in)
	if err != nil {
		e.t.Fatal(err)
	}
	up := &upload{e: e, id: u.UploadID, parts: map[int]meta.Part{}}
	for i, n := range sizes {
		up.part(i+1, pattern(n, byte(i)), ChecksumInput{})
	}
	return up
}

func (u *upload) part(n int, data []byte, ck ChecksumInput) (meta.Part, error) {
	p, err := u.e.svc.UploadPart(u.e.ctx, UploadPartInput{Bucket: "b", Key: "k", UploadID: u.id, PartNumber: n, Body: bytes.NewReader(data), Size: int64(len(data)), Checksum: ck})
	if err == nil {
		u.parts[n] = p.Part
	}
	return p.Part, err
}

func (u *upload) list(nums ...int) []CompletePart {
	var cps []CompletePart
	for _, n := range nums {
		cps = append(cps, CompletePart{PartNumber: n, ETag: u.parts[n].ETag})
	}
	return cps
}

func (u *upload) complete(cps []CompletePart) (meta.Version, error) {
	return u.e.svc.CompleteMultipartUpload(u.e.ctx, CompleteInput{Bucket: "b", Key: "k", UploadID: u.id, Parts: cps})
}

func TestCompleteMultipartUploadErrors(t *testing.T) {
	const big = MinPartSize
	tests := []struct {
		name  string
		sizes []int
		parts func(u *upload) []CompletePart
		want  error
	}{
		{"no parts", []int{10}, func(u *upload) []CompletePart { return nil }, ErrInvalidRequest},
		{"descending", []int{big, big}, func(u *upload) []CompletePart { return u.list(2, 1) }, ErrInvalidPartOrder},
		{"duplicate", []int{big, big}, func(u *upload) []CompletePart { return u.list(1, 1) }, ErrInvalidPartOrder},
		{"missing part", []int{big}, func(u *upload) []CompletePart { return u.list(1, 2) }, ErrInvalidPart},
		{"wrong ETag", []int{big, 10}, func(u *upload) []CompletePart {
			cps := u.list(1, 2)
			cps[1].ETag = `"` + md5hex("x") + `"`
			return cps
		}, ErrInvalidPart},
		{"small part before the last", []int{big, 10, big}, func(u *upload) []CompletePart { return u.list(1, 2, 3) }, ErrEntityTooSmall},
		{"small first of two", []int{10, 10}, func(u *upload) []CompletePart { return u.list(1, 2) }, ErrEntityTooSmall},
		{"small last part", []int{big, 10}, func(u *upload) []CompletePart { return u.list(1, 2) }, nil},
		{"single small part", []int{10}, func(u *upload) []CompletePart { return u.list(1) }, nil},
		{"gaps and unquoted ETags", []int{big, 10, big, 10}, func(u *upload) []CompletePart {
			cps := u.list(1, 3, 4)
			for i := range cps {
				cps[i].ETag = strings.Trim(cps[i].ETag, `"`)
			}
			return cps
		}, nil},
		{"per-part checksum matches", []int{big, 10}, func(u *upload) []CompletePart {
			cps := u.list(1, 2)
			cps[1].Checksums = map[string]string{"CRC64NVME": u.parts[2].Checksum.Value}
			return cps
		}, nil},
		{"per-part checksum differs", []int{big, 10}, func(u *upload) []CompletePart {
			cps := u.list(1, 2)
			cps[1].Checksums = map[string]string{"CRC64NVME": u.parts[1].Checksum.Value}
			return cps
		}, ErrInvalidPart},
		{"per-part checksum of another algorithm", []int{big, 10}, func(u *upload) []CompletePart {
			cps := u.list(1, 2)
			cps[0].Checksums = map[string]string{"CRC32": crc32b64("x")}
			return cps
		}, ErrInvalidPart},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.bucket("b", "")
			u := e.newUpload(CreateUploadInput{}, tt.sizes...)
			cps := tt.parts(u)
			v, err := u.complete(cps)
			wantErr(t, err, tt.want)
			if err != nil {
				_, err := e.svc.HeadObject(e.ctx, GetInput{Bucket: "b", Key: "k"})
				wantErr(t, err, ErrNoSuchKey)
				// The upload survives a failed Complete.
				_, err = e.svc.ListParts(e.ctx, ListPartsInput{Bucket: "b", Key: "k", UploadID: u.id, MaxParts: 1000})
				wantErr(t, err, nil)
				wantErr(t, e.svc.AbortMultipartUpload(e.ctx, "b", "k", u.id), nil)
			} else {
				if len(v.Parts) != len(cps) {
					t.Errorf("%d parts in the version, %d listed", len(v.Parts), len(cps))
				}
				// Completing again: the upload is gone.
				_, err := u.complete(cps)
				wantErr(t, err, ErrNoSuchUpload)
			}
			// Unlisted and aborted parts are collected.
			e.assertNoGarbage("b")
		})
	}
}

func TestCompleteChecksumHeader(t *testing.T) {
	p1, p2 := pattern(MinPartSize, 1), pattern(10, 2)
	whole := bytes.Join([][]byte{p1, p2}, nil)
	full := b64(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(whole)))
	tests := []struct {
		name string
		sent ChecksumInput
		want error
	}{
		{"matches", ChecksumInput{Algorithm: "CRC32", Value: full, Type: "FULL_OBJECT"}, nil},
		{"differs", ChecksumInput{Algorithm: "CRC32", Value: crc32b64("x")}, ErrBadDigest},
		{"other algorithm", ChecksumInput{Algorithm: "CRC32C", Value: full}, ErrInvalidRequest},
		{"other type", ChecksumInput{Algorithm: "CRC32", Value: full, Type: "COMPOSITE"}, ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.bucket("b", "")
			u := e.newUpload(CreateUploadInput{ChecksumAlgo: "CRC32", ChecksumType: "FULL_OBJECT"})
			u.part(1, p1, ChecksumInput{})
			u.part(2, p2, ChecksumInput{Algorithm: "CRC32", Value: crc32b64(string(p2))})
			_, err := e.svc.CompleteMultipartUpload(e.ctx, CompleteInput{Bucket: "b", Key: "k", UploadID: u.id, Parts: u.list(1, 2), Checksum: tt.sent})
			wantErr(t, err, tt.want)
		})
	}
}

func TestUploadPart(t *testing.T) { eachStorage(t, testUploadPart) }

func testUploadPart(t *testing.T, inlineMax int64) {
	e := newEnvWith(t, inlineMax)
	e.bucket("b", "")
	u := e.newUpload(CreateUploadInput{ChecksumAlgo: "SHA256"})
	data := []byte("part data")
	tests := []struct {
		name string
		num  int
		ck   ChecksumInput
		md5  string
		want error
	}{
		{"part 1", 1, ChecksumInput{}, "", nil},
		{"part 10000", 10000, ChecksumInput{}, "", nil},
		{"part 0", 0, ChecksumInput{}, "", ErrInvalidArgument},
		{"part 10001", 10001, ChecksumInput{}, "", ErrInvalidArgument},
		{"upload's algorithm", 2, ChecksumInput{Algorithm: "SHA256", Value: sha256b64(string(data))}, "", nil},
		{"upload's algorithm, wrong value", 2, ChecksumInput{Algorithm: "SHA256", Value: sha256b64("x")}, "", ErrBadDigest},
		{"another algorithm", 3, ChecksumInput{Algorithm: "CRC32", Value: crc32b64(string(data))}, "", ErrInvalidRequest},
		{"content-md5 mismatch", 3, ChecksumInput{}, md5b64("x"), ErrBadDigest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := e.svc.UploadPart(e.ctx, UploadPartInput{Bucket: "b", Key: "k", UploadID: u.id, PartNumber: tt.num,
				Body: bytes.NewReader(data), Size: int64(len(data)), Checksum: tt.ck, ContentMD5: tt.md5})
			wantErr(t, err, tt.want)
			if err == nil && (p.ETag != md5hex(string(data)) || p.Checksum.Algorithm != "SHA256" || p.Checksum.Value != sha256b64(string(data)) || p.Number != tt.num) {
				t.Errorf("part = %+v", p)
			}
		})
	}
	_, err := e.svc.UploadPart(e.ctx, UploadPartInput{Bucket: "b", Key: "k", UploadID: "nope", PartNumber: 1, Body: bytes.NewReader(data), Size: int64(len(data))})
	wantErr(t, err, ErrNoSuchUpload)
	_, err = e.svc.UploadPart(e.ctx, UploadPartInput{Bucket: "b", Key: "other", UploadID: u.id, PartNumber: 1, Body: bytes.NewReader(data), Size: int64(len(data))})
	wantErr(t, err, ErrNoSuchUpload)

	// Re-uploading a part replaces it; the old blob is collected.
	before := len(e.blobs())
	_, err = u.part(1, []byte("replacement"), ChecksumInput{})
	wantErr(t, err, nil)
	e.gc()
	if after := len(e.blobs()); after != before {
		t.Errorf("%d blobs before replacing a part, %d after", before, after)
	}
	wantErr(t, e.svc.AbortMultipartUpload(e.ctx, "b", "k", u.id), nil)
	wantErr(t, e.svc.AbortMultipartUpload(e.ctx, "b", "k", u.id), ErrNoSuchUpload)
	_, err = e.svc.ListParts(e.ctx, ListPartsInput{Bucket: "b", Key: "k", UploadID: u.id})
	wantErr(t, err, ErrNoSuchUpload)
	e.assertNoGarbage("b")
}

func TestUploadPartCopy(t *testing.T) { eachStorage(t, testUploadPartCopy) }

func testUploadPartCopy(t *testing.T, inlineMax int64) {
	e := newEnvWith(t, inlineMax)
	e.bucket("b", "")
	src := pattern(MinPartSize+100, 9)
	_, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "src", Body: bytes.NewReader(src), Size: int64(len(src))})
	wantErr(t, err, nil)
	u := e.newUpload(CreateUploadInput{})
	tests := []struct {
		name   string
		num    int
		rng    *s3.Range
		cond   Conditions
		off, n int
		want   error
	}{
		{name: "first 5 MiB", num: 1, rng: rng(0, MinPartSize-1), off: 0, n: MinPartSize},
		{name: "the rest", num: 2, rng: rng(MinPartSize, MinPartSize+99), off: MinPartSize, n: 100},
		{name: "whole source", num: 3, off: 0, n: len(src)},
		{name: "last byte", num: 4, rng: rng(int64(len(src)-1), int64(len(src)-1)), off: len(src) - 1, n: 1},
		{name: "range past the end", num: 5, rng: rng(0, int64(len(src))), want: ErrInvalidArgument},
		{name: "range starting past the end", num: 5, rng: rng(int64(len(src)), int64(len(src)+5)), want: ErrInvalidArgument},
		{name: "source condition fails", num: 5, cond: Conditions{IfMatch: `"abc"`}, want: ErrPreconditionFailed},
		{name: "bad part number", num: 0, want: ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, err := e.svc.UploadPartCopy(e.ctx, UploadPartCopyInput{Bucket: "b", Key: "k", UploadID: u.id, PartNumber: tt.num,
				SrcBucket: "b", SrcKey: "src", SrcRange: tt.rng, SrcCond: tt.cond})
			wantErr(t, err, tt.want)
			if err != nil {
				return
			}
			u.parts[tt.num] = p.Part
			want := src[tt.off : tt.off+tt.n]
			if s := md5.Sum(want); p.ETag != hex.EncodeToString(s[:]) || p.Size != int64(tt.n) {
				t.Errorf("part = %+v", p)
			}
		})
	}
	v, err := u.complete(u.list(1, 2))
	wantErr(t, err, nil)
	if v.ETag != multipartETag(src[:MinPartSize], src[MinPartSize:]) {
		t.Errorf("ETag = %s", v.ETag)
	}
	if got := e.get("b", "k", ""); got != string(src) {
		t.Error("reassembled copy differs from the source")
	}
	if v.Checksum.Algorithm != "CRC64NVME" || v.Checksum.Value != crc64nvme(src) {
		t.Errorf("checksum = %+v", v.Checksum)
	}
	e.assertNoGarbage("b")
}

func TestListParts(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "")
	u := e.newUpload(CreateUploadInput{}, 1, 2, 3, 4, 5, 6, 7)
	for _, maxParts := range []int{1, 3, 7, 1000} {
		t.Run(fmt.Sprint("max ", maxParts), func(t *testing.T) {
			var got []int
			in := ListPartsInput{Bucket: "b", Key: "k", UploadID: u.id, MaxParts: maxParts}
			for {
				res, err := e.svc.ListParts(e.ctx, in)
				wantErr(t, err, nil)
				if res.Upload.UploadID != u.id || len(res.Parts) > maxParts {
					t.Fatalf("page = %+v", res)
				}
				for _, p := range res.Parts {
					got = append(got, p.Number)
				}
				if !res.IsTruncated {
					break
				}
				in.PartNumberMarker = res.NextPartNumberMarker
			}
			if fmt.Sprint(got) != "[1 2 3 4 5 6 7]" {
				t.Errorf("parts %v", got)
			}
		})
	}
}

func TestMultipartKnownValues(t *testing.T) {
	// Values computed outside Go (Python hashlib and zlib) for 5 MiB of
	// "a" followed by "b".
	e := newEnv(t)
	e.bucket("b", "")
	p1, p2 := bytes.Repeat([]byte("a"), MinPartSize), []byte("b")
	v := e.multipart(CreateUploadInput{Bucket: "b", Key: "k", ChecksumAlgo: "CRC32", ChecksumType: "FULL_OBJECT"}, p1, p2)
	if v.ETag != "e5a8c5272b26fc10581a21089559b006-2" {
		t.Errorf("ETag = %s", v.ETag)
	}
	if v.Checksum.Value != "rBxv8Q==" {
		t.Errorf("full-object CRC32 = %s", v.Checksum.Value)
	}
}
