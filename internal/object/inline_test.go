package object

import (
	"bytes"
	"io"
	"testing"

	"github.com/coffer-project/coffer/internal/meta"
)

// TestInlineThreshold: a body of declared size ≤ InlineMax is kept in the
// metadata store and creates no blob file; anything else goes to a blob.
func TestInlineThreshold(t *testing.T) {
	tests := []struct {
		name      string
		inlineMax int64
		size      int
		unknown   bool // declared size -1
		inline    bool
	}{
		{name: "4 KiB, default", size: 4 << 10, inline: true},
		{name: "64 KiB, default", size: 64 << 10},
		{name: "empty, default", size: 0, inline: true},
		{name: "exactly the default", size: DefaultInlineMax, inline: true},
		{name: "one byte over the default", size: DefaultInlineMax + 1},
		{name: "4 KiB of unknown size", size: 4 << 10, unknown: true},
		{name: "4 KiB, never inline", inlineMax: blobsOnly, size: 4 << 10},
		{name: "at a custom threshold", inlineMax: 100, size: 100, inline: true},
		{name: "over a custom threshold", inlineMax: 100, size: 101},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, tt.inlineMax)
			e.bucket("b", "")
			data := pattern(tt.size, 3)
			size := int64(len(data))
			if tt.unknown {
				size = -1
			}
			v, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "k", Body: bytes.NewReader(data), Size: size})
			wantErr(t, err, nil)
			wantBlobs := 1
			if tt.inline {
				wantBlobs = 0
			}
			if n := len(e.blobs()); n != wantBlobs {
				t.Errorf("%d blob files, want %d", n, wantBlobs)
			}
			stored, err := e.svc.GetVersion(e.ctx, "b", "k", "")
			wantErr(t, err, nil)
			p := stored.Parts[0]
			if (p.BlobID == "") != tt.inline || tt.inline && !bytes.Equal(p.Inline, data) || !tt.inline && p.Inline != nil {
				t.Errorf("stored part: blob %q, %d inline bytes", p.BlobID, len(p.Inline))
			}
			if v.ETag != md5hex(string(data)) || v.Checksum.Value != crc64nvme(data) || v.Size != int64(len(data)) {
				t.Errorf("version = %+v", v)
			}
			if got := e.get("b", "k", ""); got != string(data) {
				t.Errorf("body differs")
			}
		})
	}
}

// TestInlineFailuresLeaveNothing: a small body that fails verification is
// neither committed nor leaves anything to collect, for objects and parts.
func TestInlineFailuresLeaveNothing(t *testing.T) {
	data := pattern(4<<10, 9)
	size := int64(len(data))
	tests := []struct {
		name     string
		body     io.Reader
		size     int64
		md5      string
		checksum ChecksumInput
		want     error
	}{
		{name: "bad Content-MD5", md5: md5b64("other"), want: ErrBadDigest},
		{name: "malformed Content-MD5", md5: "x", want: ErrInvalidDigest},
		{name: "bad checksum", checksum: ChecksumInput{Algorithm: "CRC32", Value: crc32b64("other")}, want: ErrBadDigest},
		{name: "bad trailer", checksum: ChecksumInput{Algorithm: "SHA256", Trailer: func() string { return sha256b64("x") }}, want: ErrBadDigest},
		{name: "short body", size: size + 1, want: ErrIncompleteBody},
		{name: "long body", size: size - 1, want: ErrInvalidRequest},
		{name: "body fails", body: &failingReader{data: data[:100], err: io.ErrUnexpectedEOF}, want: io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.bucket("b", "")
			body := tt.body
			if body == nil {
				body = bytes.NewReader(data)
			}
			sz := size
			if tt.size != 0 {
				sz = tt.size
			}
			_, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "k", Body: body, Size: sz, ContentMD5: tt.md5, Checksum: tt.checksum})
			wantErr(t, err, tt.want)
			_, err = e.svc.HeadObject(e.ctx, GetInput{Bucket: "b", Key: "k"})
			wantErr(t, err, ErrNoSuchKey)

			u, err := e.svc.CreateMultipartUpload(e.ctx, CreateUploadInput{Bucket: "b", Key: "mp"})
			wantErr(t, err, nil)
			if tt.body != nil {
				body = &failingReader{data: data[:100], err: io.ErrUnexpectedEOF}
			} else {
				body = bytes.NewReader(data)
			}
			_, err = e.svc.UploadPart(e.ctx, UploadPartInput{Bucket: "b", Key: "mp", UploadID: u.UploadID, PartNumber: 1,
				Body: body, Size: sz, ContentMD5: tt.md5, Checksum: tt.checksum})
			wantErr(t, err, tt.want)
			lp, err := e.svc.ListParts(e.ctx, ListPartsInput{Bucket: "b", Key: "mp", UploadID: u.UploadID, MaxParts: 1000})
			wantErr(t, err, nil)
			if len(lp.Parts) != 0 {
				t.Errorf("a rejected part was recorded: %+v", lp.Parts)
			}
			if n := len(e.blobs()); n != 0 {
				t.Errorf("%d blob files", n)
			}
			if ts, err := e.meta.PendingTasks(e.ctx, 0); err != nil || len(ts) != 0 {
				t.Errorf("queued deletions = %+v, %v", ts, err)
			}
		})
	}
}

// TestInlineLastPart: a small last part stays inline through Complete,
// reads back by range and partNumber, and survives Recover; replacing and
// deleting inline data queues nothing.
func TestInlineLastPart(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", meta.VersioningEnabled)
	p1, p2 := pattern(MinPartSize, 1), pattern(1000, 2)
	whole := bytes.Join([][]byte{p1, p2}, nil)
	v := e.multipart(CreateUploadInput{Bucket: "b", Key: "mp"}, p1, p2)
	if len(v.Parts) != 2 || v.Parts[0].BlobID == "" || v.Parts[1].BlobID != "" || !bytes.Equal(v.Parts[1].Inline, p2) {
		t.Fatalf("parts: %+v", v.Parts)
	}
	if n := len(e.blobs()); n != 1 {
		t.Fatalf("%d blob files, want 1 (the first part)", n)
	}
	wantErr(t, (&Service{Meta: e.meta, Blobs: e.fs}).Recover(e.ctx), nil)
	if n := len(e.blobs()); n != 1 {
		t.Fatalf("%d blob files after Recover, want 1", n)
	}
	if got := e.get("b", "mp", ""); got != string(whole) {
		t.Fatal("whole object differs")
	}
	got, _ := e.read(GetInput{Bucket: "b", Key: "mp", PartNumber: 2})
	if got != string(p2) {
		t.Error("part 2 differs")
	}
	got, _ = e.read(GetInput{Bucket: "b", Key: "mp", Range: rng(MinPartSize-10, MinPartSize+9)})
	if got != string(whole[MinPartSize-10:MinPartSize+10]) {
		t.Error("range across the parts differs")
	}

	// Overwriting and deleting small objects never queues a blob.
	e.put("b", "small", "one")
	e.put("b", "small", "two")
	vs, err := e.svc.ListObjectVersions(e.ctx, VersionListInput{Bucket: "b", MaxKeys: 1000})
	wantErr(t, err, nil)
	for _, lv := range vs.Versions {
		if lv.Key == "small" {
			_, err := e.svc.DeleteObject(e.ctx, DeleteInput{Bucket: "b", Key: "small", VersionID: lv.VersionID})
			wantErr(t, err, nil)
		}
	}
	if ts, err := e.meta.PendingTasks(e.ctx, 0); err != nil || len(ts) != 0 {
		t.Errorf("queued deletions = %+v, %v", ts, err)
	}
	e.assertNoGarbage("b")
}
