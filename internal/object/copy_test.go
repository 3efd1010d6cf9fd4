package object

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/meta"
)

func TestCopyObject(t *testing.T) { eachStorage(t, testCopyObject) }

func testCopyObject(t *testing.T, inlineMax int64) {
	e := newEnvWith(t, inlineMax)
	e.bucket("src", meta.VersioningEnabled)
	e.bucket("dst", "")
	srcIn := PutInput{
		Bucket: "src", Key: "k", Owner: owner, Body: strings.NewReader("source data"), Size: 11,
		Headers:  meta.ObjectHeaders{ContentType: "text/plain", WebsiteRedirect: "/elsewhere"},
		UserMeta: map[string]string{"color": "blue"},
		Tags:     []meta.Tag{{Key: "t", Value: "1"}},
		Checksum: ChecksumInput{Algorithm: "SHA256"},
	}
	old, err := e.svc.PutObject(e.ctx, srcIn)
	wantErr(t, err, nil)
	srcIn.Body = strings.NewReader("latest data")
	latest, err := e.svc.PutObject(e.ctx, srcIn)
	wantErr(t, err, nil)

	tests := []struct {
		name     string
		in       CopyInput
		wantBody string
		check    func(t *testing.T, v meta.Version)
	}{
		{
			name:     "metadata copied",
			in:       CopyInput{SrcBucket: "src", SrcKey: "k", Dst: PutInput{Bucket: "dst", Key: "copy", Owner: "444455556666"}},
			wantBody: "latest data",
			check: func(t *testing.T, v meta.Version) {
				if v.Headers.ContentType != "text/plain" || v.Headers.WebsiteRedirect != "" || v.UserMeta["color"] != "blue" ||
					len(v.Tags) != 1 || v.Owner != "444455556666" || v.VersionID != meta.NullVersionID {
					t.Errorf("copy = %+v", v)
				}
				if v.Checksum.Algorithm != "SHA256" || v.Checksum.Value != sha256b64("latest data") || v.Checksum.Type != "FULL_OBJECT" {
					t.Errorf("checksum = %+v", v.Checksum)
				}
			},
		},
		{
			name:     "older version, metadata replaced",
			in:       CopyInput{SrcBucket: "src", SrcKey: "k", SrcVersionID: old.VersionID, ReplaceMetadata: true, Dst: PutInput{Bucket: "dst", Key: "copy", Headers: meta.ObjectHeaders{ContentType: "image/png"}, UserMeta: map[string]string{"size": "xl"}}},
			wantBody: "source data",
			check: func(t *testing.T, v meta.Version) {
				if v.Headers.ContentType != "image/png" || v.UserMeta["color"] != "" || v.UserMeta["size"] != "xl" || len(v.Tags) != 1 {
					t.Errorf("copy = %+v", v)
				}
			},
		},
		{
			name:     "tags replaced, checksum algorithm chosen",
			in:       CopyInput{SrcBucket: "src", SrcKey: "k", ReplaceTags: true, Dst: PutInput{Bucket: "dst", Key: "copy", Tags: []meta.Tag{{Key: "new", Value: "2"}}, Checksum: ChecksumInput{Algorithm: "CRC32"}}},
			wantBody: "latest data",
			check: func(t *testing.T, v meta.Version) {
				if len(v.Tags) != 1 || v.Tags[0].Key != "new" || v.Checksum.Algorithm != "CRC32" || v.Checksum.Value != crc32b64("latest data") {
					t.Errorf("copy = %+v", v)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, src, err := e.svc.CopyObject(e.ctx, tt.in)
			wantErr(t, err, nil)
			if want := tt.in.SrcVersionID; want != "" && src.VersionID != want || want == "" && src.VersionID != latest.VersionID {
				t.Errorf("source version = %s", src.VersionID)
			}
			if got := e.get("dst", "copy", ""); got != tt.wantBody {
				t.Errorf("body = %q", got)
			}
			if v.ETag != md5hex(tt.wantBody) {
				t.Errorf("ETag = %s", v.ETag)
			}
			stored, err := e.svc.GetVersion(e.ctx, "dst", "copy", "")
			wantErr(t, err, nil)
			tt.check(t, stored)
		})
	}
	e.assertNoGarbage("src", "dst")
}

func TestCopyObjectErrors(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", meta.VersioningEnabled)
	e.clock.Set(epoch)
	v := e.put("b", "k", "data")
	dm, err := e.svc.DeleteObject(e.ctx, DeleteInput{Bucket: "b", Key: "gone"})
	wantErr(t, err, nil)
	e.clock.Set(epoch.Add(time.Hour))
	tests := []struct {
		name string
		in   CopyInput
		want error
	}{
		{"missing source key", CopyInput{SrcBucket: "b", SrcKey: "nope"}, ErrNoSuchKey},
		{"missing source bucket", CopyInput{SrcBucket: "nope", SrcKey: "k"}, ErrNoSuchBucket},
		{"missing destination bucket", CopyInput{SrcBucket: "b", SrcKey: "k", Dst: PutInput{Bucket: "nope", Key: "x"}}, ErrNoSuchBucket},
		{"source is deleted", CopyInput{SrcBucket: "b", SrcKey: "gone"}, ErrNoSuchKey},
		{"source names a delete marker", CopyInput{SrcBucket: "b", SrcKey: "gone", SrcVersionID: dm.VersionID}, ErrInvalidRequest},
		{"copy-source-if-match false", CopyInput{SrcBucket: "b", SrcKey: "k", SrcCond: Conditions{IfMatch: `"abc"`}}, ErrPreconditionFailed},
		{"copy-source-if-none-match false", CopyInput{SrcBucket: "b", SrcKey: "k", SrcCond: Conditions{IfNoneMatch: v.ETag}}, ErrPreconditionFailed},
		{"copy-source-if-modified-since false", CopyInput{SrcBucket: "b", SrcKey: "k", SrcCond: Conditions{IfModifiedSince: epoch.Add(time.Minute)}}, ErrPreconditionFailed},
		{"copy-source-if-unmodified-since false", CopyInput{SrcBucket: "b", SrcKey: "k", SrcCond: Conditions{IfUnmodifiedSince: epoch.Add(-time.Minute)}}, ErrPreconditionFailed},
		{"copy-source-if-match true and if-unmodified-since false", CopyInput{SrcBucket: "b", SrcKey: "k", SrcCond: Conditions{IfMatch: v.ETag, IfUnmodifiedSince: epoch.Add(-time.Minute)}}, nil},
		{"copy-source-if-none-match true and if-modified-since false", CopyInput{SrcBucket: "b", SrcKey: "k", SrcCond: Conditions{IfNoneMatch: `"abc"`, IfModifiedSince: epoch.Add(time.Minute)}}, nil},
		{"onto itself unchanged", CopyInput{SrcBucket: "b", SrcKey: "k", Dst: PutInput{Bucket: "b", Key: "k"}}, ErrInvalidRequest},
		{"onto itself naming the latest version", CopyInput{SrcBucket: "b", SrcKey: "k", SrcVersionID: v.VersionID, Dst: PutInput{Bucket: "b", Key: "k"}}, ErrInvalidRequest},
		{"onto itself with REPLACE", CopyInput{SrcBucket: "b", SrcKey: "k", ReplaceMetadata: true, Dst: PutInput{Bucket: "b", Key: "k"}}, nil},
		{"onto itself with a new storage class", CopyInput{SrcBucket: "b", SrcKey: "k", Dst: PutInput{Bucket: "b", Key: "k", StorageClass: "STANDARD_IA"}}, nil},
		{"onto itself with a redirect", CopyInput{SrcBucket: "b", SrcKey: "k", Dst: PutInput{Bucket: "b", Key: "k", Headers: meta.ObjectHeaders{WebsiteRedirect: "/x"}}}, nil},
		{"onto itself adding a checksum", CopyInput{SrcBucket: "b", SrcKey: "k", Dst: PutInput{Bucket: "b", Key: "k", Checksum: ChecksumInput{Algorithm: "SHA1"}}}, nil},
		{"onto itself from an older version", CopyInput{SrcBucket: "b", SrcKey: "k", SrcVersionID: v.VersionID, Dst: PutInput{Bucket: "b", Key: "k"}}, nil},
		{"bad tags", CopyInput{SrcBucket: "b", SrcKey: "k", ReplaceTags: true, Dst: PutInput{Bucket: "b", Key: "x", Tags: []meta.Tag{{Key: ""}}}}, ErrInvalidTag},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.in.Dst.Bucket == "" {
				tt.in.Dst.Bucket, tt.in.Dst.Key = "b", "dst"
			}
			_, _, err := e.svc.CopyObject(e.ctx, tt.in)
			wantErr(t, err, tt.want)
		})
	}
	e.assertNoGarbage("b")
}

func TestCopyMultipartObject(t *testing.T) { eachStorage(t, testCopyMultipartObject) }

func testCopyMultipartObject(t *testing.T, inlineMax int64) {
	e := newEnvWith(t, inlineMax)
	e.bucket("b", "")
	p1, p2 := pattern(MinPartSize, 7), pattern(123, 8)
	src := e.multipart(CreateUploadInput{Bucket: "b", Key: "mp", ChecksumAlgo: "CRC32C"}, p1, p2)
	if !strings.HasSuffix(src.ETag, "-2") {
		t.Fatalf("source ETag %s", src.ETag)
	}
	v, _, err := e.svc.CopyObject(e.ctx, CopyInput{SrcBucket: "b", SrcKey: "mp", Dst: PutInput{Bucket: "b", Key: "copy"}})
	wantErr(t, err, nil)
	whole := bytes.Join([][]byte{p1, p2}, nil)
	sum := md5.Sum(whole)
	if v.ETag != hex.EncodeToString(sum[:]) || len(v.Parts) != 1 || v.Parts[0].Number != 0 {
		t.Errorf("copy of a multipart object: ETag %s, %d parts", v.ETag, len(v.Parts))
	}
	if v.Checksum.Algorithm != "CRC32C" || v.Checksum.Type != "FULL_OBJECT" {
		t.Errorf("checksum = %+v", v.Checksum)
	}
	if got := e.get("b", "copy", ""); got != string(whole) {
		t.Errorf("copied body differs")
	}
	e.assertNoGarbage("b")
}
