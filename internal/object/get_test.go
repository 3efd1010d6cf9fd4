package object

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/coffer-project/coffer/internal/blob"
	"github.com/coffer-project/coffer/internal/s3"
)

func rng(first, last int64) *s3.Range { return &s3.Range{First: first, Last: last} }
func suffix(n int64) *s3.Range        { return &s3.Range{First: -1, Last: -1, Suffix: n} }

func TestGetObjectRange(t *testing.T) { eachStorage(t, testGetObjectRange) }

func testGetObjectRange(t *testing.T, inlineMax int64) {
	e := newEnvWith(t, inlineMax)
	e.bucket("b", "")
	const data = "0123456789"
	e.put("b", "k", data)
	e.put("b", "empty", "")
	tests := []struct {
		name        string
		key         string
		rng         *s3.Range
		partNumber  int
		want        string
		wantPartial bool
		wantErr     error
	}{
		{name: "whole", want: data},
		{name: "first-last", rng: rng(2, 4), want: "234", wantPartial: true},
		{name: "last beyond end is clamped", rng: rng(7, 100), want: "789", wantPartial: true},
		{name: "first-", rng: rng(3, -1), want: "3456789", wantPartial: true},
		{name: "suffix", rng: suffix(3), want: "789", wantPartial: true},
		{name: "suffix longer than object", rng: suffix(30), want: data, wantPartial: true},
		{name: "single byte", rng: rng(9, 9), want: "9", wantPartial: true},
		{name: "first at end", rng: rng(10, 12), wantErr: ErrInvalidRange},
		{name: "zero suffix", rng: suffix(0), wantErr: ErrInvalidRange},
		{name: "range on empty object", key: "empty", rng: rng(0, 0), wantErr: ErrInvalidRange},
		{name: "part 1 of single-part object", partNumber: 1, want: data, wantPartial: true},
		{name: "part 2 of single-part object", partNumber: 2, wantErr: ErrInvalidRange},
		{name: "part 1 of empty object", key: "empty", partNumber: 1, want: ""},
		{name: "part number too large", partNumber: 10001, wantErr: ErrInvalidArgument},
		{name: "range and part number", rng: rng(0, 1), partNumber: 1, wantErr: ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := tt.key
			if key == "" {
				key = "k"
			}
			in := GetInput{Bucket: "b", Key: key, Range: tt.rng, PartNumber: tt.partNumber}
			if tt.wantErr != nil {
				_, err := e.svc.GetObject(e.ctx, in)
				wantErr(t, err, tt.wantErr)
				_, err = e.svc.HeadObject(e.ctx, in)
				wantErr(t, err, tt.wantErr)
				return
			}
			got, r := e.read(in)
			if got != tt.want || r.Partial != tt.wantPartial || r.PartsCount != 0 {
				t.Errorf("got %q partial=%v parts=%d, want %q partial=%v", got, r.Partial, r.PartsCount, tt.want, tt.wantPartial)
			}
			h, err := e.svc.HeadObject(e.ctx, in)
			wantErr(t, err, nil)
			if h.Body != nil || h.Offset != r.Offset || h.Length != r.Length {
				t.Errorf("HeadObject = %+v, GetObject = %+v", h, r)
			}
		})
	}
}

func TestGetMultipartObject(t *testing.T) { eachStorage(t, testGetMultipartObject) }

func testGetMultipartObject(t *testing.T, inlineMax int64) {
	e := newEnvWith(t, inlineMax)
	e.bucket("b", "")
	p1, p2, p3 := pattern(MinPartSize, 1), pattern(MinPartSize, 2), pattern(1000, 3)
	whole := bytes.Join([][]byte{p1, p2, p3}, nil)
	v := e.multipart(CreateUploadInput{Bucket: "b", Key: "mp"}, p1, p2, p3)
	if v.Size != int64(len(whole)) || len(v.Parts) != 3 {
		t.Fatalf("version = %+v", v)
	}
	const mib5 = MinPartSize
	tests := []struct {
		name       string
		rng        *s3.Range
		partNumber int
		off, n     int64
		opens      int // blobs the read opens
	}{
		{name: "whole object", off: 0, n: int64(len(whole)), opens: 3},
		{name: "inside part 1", rng: rng(10, 20), off: 10, n: 11, opens: 1},
		{name: "inside part 2", rng: rng(mib5+5, mib5+9), off: mib5 + 5, n: 5, opens: 1},
		{name: "across parts 1 and 2", rng: rng(mib5-3, mib5+2), off: mib5 - 3, n: 6, opens: 2},
		{name: "last byte of part 1", rng: rng(mib5-1, mib5-1), off: mib5 - 1, n: 1, opens: 1},
		{name: "first byte of part 2", rng: rng(mib5, mib5), off: mib5, n: 1, opens: 1},
		{name: "across all parts", rng: rng(mib5-1, 2*mib5), off: mib5 - 1, n: mib5 + 2, opens: 3},
		{name: "suffix in part 3", rng: suffix(10), off: int64(len(whole)) - 10, n: 10, opens: 1},
		{name: "suffix across parts 2 and 3", rng: suffix(1001), off: int64(len(whole)) - 1001, n: 1001, opens: 2},
		{name: "part 1", partNumber: 1, off: 0, n: mib5, opens: 1},
		{name: "part 2", partNumber: 2, off: mib5, n: mib5, opens: 1},
		{name: "part 3", partNumber: 3, off: 2 * mib5, n: 1000, opens: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opens := e.faulty.Calls(blob.OpOpen)
			got, r := e.read(GetInput{Bucket: "b", Key: "mp", Range: tt.rng, PartNumber: tt.partNumber})
			if !bytes.Equal([]byte(got), whole[tt.off:tt.off+tt.n]) {
				t.Errorf("body differs: got %d bytes at %d, want %d at %d", len(got), r.Offset, tt.n, tt.off)
			}
			if r.Offset != tt.off || r.Length != tt.n || r.PartsCount != 3 {
				t.Errorf("reader = off %d len %d parts %d", r.Offset, r.Length, r.PartsCount)
			}
			want := tt.opens
			if inlineMax != blobsOnly && tt.off+tt.n > 2*mib5 {
				want-- // part 3 is small: inline, no blob to open
			}
			if n := e.faulty.Calls(blob.OpOpen) - opens; n != want {
				t.Errorf("opened %d blobs, want %d", n, want)
			}
		})
	}
	t.Run("part 4 does not exist", func(t *testing.T) {
		_, err := e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: "mp", PartNumber: 4})
		wantErr(t, err, ErrInvalidRange)
	})
	t.Run("blobs open one at a time", func(t *testing.T) {
		// GetObject opens the first part's blob, so that a read that
		// cannot start fails before a response is sent; no other.
		opens := e.faulty.Calls(blob.OpOpen)
		r, err := e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: "mp"})
		wantErr(t, err, nil)
		if n := e.faulty.Calls(blob.OpOpen) - opens; n != 1 {
			t.Errorf("GetObject opened %d blobs before the first read, want the first only", n)
		}
		buf := make([]byte, 100)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			t.Fatal(err)
		}
		if n := e.faulty.Calls(blob.OpOpen) - opens; n != 1 {
			t.Errorf("reading 100 bytes opened %d blobs", n)
		}
		wantErr(t, r.Body.Close(), nil)
	})
	t.Run("a blob failing mid-read fails the body", func(t *testing.T) {
		e.faulty.Inject(blob.Fault{Op: blob.OpOpen, AfterBytes: 10, Times: 1})
		defer e.faulty.Reset()
		r, err := e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: "mp"})
		wantErr(t, err, nil)
		defer r.Body.Close()
		_, err = io.Copy(io.Discard, r.Body)
		wantErr(t, err, blob.ErrInjected)
	})
}

func TestGetVersionErrors(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "")
	e.put("b", "k", "x")
	tests := []struct {
		name, bucket, key, version string
		want                       error
	}{
		{"latest", "b", "k", "", nil},
		{"null version", "b", "k", "null", nil},
		{"missing key", "b", "nope", "", ErrNoSuchKey},
		{"missing version", "b", "k", "3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrH", ErrNoSuchVersion},
		{"version of a missing key", "b", "nope", "3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrH", ErrNoSuchVersion},
		{"missing bucket", "nope", "k", "", ErrNoSuchBucket},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.GetVersion(e.ctx, tt.bucket, tt.key, tt.version)
			wantErr(t, err, tt.want)
			_, err = e.svc.GetObject(e.ctx, GetInput{Bucket: tt.bucket, Key: tt.key, VersionID: tt.version})
			wantErr(t, err, tt.want)
		})
	}
}

func TestGetPartNumberWithGaps(t *testing.T) { eachStorage(t, testGetPartNumberWithGaps) }

func testGetPartNumberWithGaps(t *testing.T, inlineMax int64) {
	e := newEnvWith(t, inlineMax)
	e.bucket("b", "")
	u := e.newUpload(CreateUploadInput{}, MinPartSize, 10, 20)
	_, err := u.complete(u.list(1, 3))
	wantErr(t, err, nil)
	v, err := e.svc.GetVersion(e.ctx, "b", "k", "")
	wantErr(t, err, nil)
	if v.Parts[0].Number != 1 || v.Parts[1].Number != 3 {
		t.Fatalf("part numbers %d, %d: the version keeps the uploaded numbers", v.Parts[0].Number, v.Parts[1].Number)
	}
	// Clients read parts 1…PartsCount: the second part is part 2.
	got, r := e.read(GetInput{Bucket: "b", Key: "k", PartNumber: 2})
	if got != string(pattern(20, 2)) || r.PartsCount != 2 || r.Offset != MinPartSize {
		t.Errorf("part 2: %d bytes at %d, parts count %d", len(got), r.Offset, r.PartsCount)
	}
	_, err = e.svc.HeadObject(e.ctx, GetInput{Bucket: "b", Key: "k", PartNumber: 3})
	wantErr(t, err, ErrInvalidRange)
}

// TestGetShortBlob: a blob shorter than its part fails the body, whether
// it is read with Read or with io.Copy (WriteTo).
func TestGetShortBlob(t *testing.T) {
	e := newEnvWith(t, blobsOnly)
	e.bucket("b", "")
	v := e.put("b", "k", string(pattern(100<<10, 1)))
	path := blobPath(t, e.fs.Dir(), v.Parts[0].BlobID)
	if err := os.Truncate(path, 50<<10); err != nil {
		t.Fatal(err)
	}
	for _, read := range []struct {
		name string
		fn   func(io.Reader) error
	}{
		{"Read", func(r io.Reader) error { _, err := io.ReadAll(struct{ io.Reader }{r}); return err }},
		{"WriteTo", func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err }},
	} {
		t.Run(read.name, func(t *testing.T) {
			r, err := e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: "k"})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Body.Close()
			if err := read.fn(r.Body); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("reading a short blob: %v, want io.ErrUnexpectedEOF", err)
			}
		})
	}
}
