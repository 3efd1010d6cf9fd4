package object

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/meta"
)

func TestConditionalReads(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "")
	e.clock.Set(epoch.Add(500 * time.Millisecond))
	v := e.put("b", "k", "data")
	etag := `"` + v.ETag + `"`
	lm := v.LastModified // 15:09:26.50x: HTTP dates see 15:09:26
	before, same, after := lm.Add(-time.Hour), lm.Truncate(time.Second), lm.Add(time.Hour)
	e.clock.Set(lm.Add(24 * time.Hour))

	tests := []struct {
		name string
		cond Conditions
		want error
	}{
		{"none", Conditions{}, nil},
		{"If-Match true", Conditions{IfMatch: etag}, nil},
		{"If-Match unquoted", Conditions{IfMatch: v.ETag}, nil},
		{"If-Match in list", Conditions{IfMatch: `"abc", ` + etag}, nil},
		{"If-Match star", Conditions{IfMatch: "*"}, nil},
		{"If-Match false", Conditions{IfMatch: `"abc"`}, ErrPreconditionFailed},
		{"If-None-Match false", Conditions{IfNoneMatch: etag}, ErrNotModified},
		{"If-None-Match star", Conditions{IfNoneMatch: "*"}, ErrNotModified},
		{"If-None-Match true", Conditions{IfNoneMatch: `"abc"`}, nil},
		{"If-Modified-Since before", Conditions{IfModifiedSince: before}, nil},
		{"If-Modified-Since same second", Conditions{IfModifiedSince: same}, ErrNotModified},
		{"If-Modified-Since after", Conditions{IfModifiedSince: after}, ErrNotModified},
		{"If-Modified-Since in the future is ignored", Conditions{IfModifiedSince: lm.Add(48 * time.Hour)}, nil},
		{"If-Unmodified-Since before", Conditions{IfUnmodifiedSince: before}, ErrPreconditionFailed},
		{"If-Unmodified-Since same second", Conditions{IfUnmodifiedSince: same}, nil},
		{"If-Unmodified-Since after", Conditions{IfUnmodifiedSince: after}, nil},
		// RFC 7232 precedence as S3 applies it.
		{"If-Match true, If-Unmodified-Since false", Conditions{IfMatch: etag, IfUnmodifiedSince: before}, nil},
		{"If-Match false, If-Unmodified-Since true", Conditions{IfMatch: `"abc"`, IfUnmodifiedSince: after}, ErrPreconditionFailed},
		{"If-None-Match true, If-Modified-Since false", Conditions{IfNoneMatch: `"abc"`, IfModifiedSince: after}, nil},
		{"If-None-Match false, If-Modified-Since true", Conditions{IfNoneMatch: etag, IfModifiedSince: before}, ErrNotModified},
		{"If-Match false, If-None-Match false", Conditions{IfMatch: `"abc"`, IfNoneMatch: etag}, ErrPreconditionFailed},
		{"If-Match true, If-None-Match false", Conditions{IfMatch: etag, IfNoneMatch: etag}, ErrNotModified},
		{"If-Unmodified-Since false, If-Modified-Since false", Conditions{IfUnmodifiedSince: before, IfModifiedSince: after}, ErrPreconditionFailed},
		{"If-Match true, If-Modified-Since false", Conditions{IfMatch: etag, IfModifiedSince: after}, ErrNotModified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: "k", Cond: tt.cond})
			wantErr(t, err, tt.want)
			if err == nil {
				r.Body.Close()
				return
			}
			if r == nil || r.Version.ETag != v.ETag || r.Body != nil {
				t.Errorf("on %v the reader should carry the version and no body: %+v", err, r)
			}
			_, err = e.svc.HeadObject(e.ctx, GetInput{Bucket: "b", Key: "k", Cond: tt.cond})
			wantErr(t, err, tt.want)
		})
	}
}

func TestConditionalWrites(t *testing.T) {
	tests := []struct {
		name        string
		setup       func(e *env) // in bucket "b" (versioning enabled), key "k"
		ifMatch     string
		ifNoneMatch string
		want        error
	}{
		{name: "If-None-Match on a new key", ifNoneMatch: "*"},
		{name: "If-None-Match on an existing key", setup: putK, ifNoneMatch: "*", want: ErrPreconditionFailed},
		{name: "If-None-Match over a delete marker", setup: deleteK, ifNoneMatch: "*"},
		{name: "If-None-Match with an ETag", setup: putK, ifNoneMatch: `"abc"`, want: ErrNotImplemented},
		{name: "If-Match on a new key", ifMatch: "*", want: ErrNoSuchKey},
		{name: "If-Match over a delete marker", setup: deleteK, ifMatch: "*", want: ErrNoSuchKey},
		{name: "If-Match star", setup: putK, ifMatch: "*"},
		{name: "If-Match ETag", setup: putK, ifMatch: `"` + md5hex("old") + `"`},
		{name: "If-Match wrong ETag", setup: putK, ifMatch: `"abc"`, want: ErrPreconditionFailed},
	}
	// PutObject, CopyObject and CompleteMultipartUpload share the rule.
	writes := map[string]func(e *env, ifMatch, ifNoneMatch string) error{
		"put": func(e *env, ifMatch, ifNoneMatch string) error {
			_, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "k", Body: strings.NewReader("new"), Size: 3, IfMatch: ifMatch, IfNoneMatch: ifNoneMatch})
			return err
		},
		"copy": func(e *env, ifMatch, ifNoneMatch string) error {
			e.put("src", "k", "new")
			_, _, err := e.svc.CopyObject(e.ctx, CopyInput{SrcBucket: "src", SrcKey: "k", Dst: PutInput{Bucket: "b", Key: "k", IfMatch: ifMatch, IfNoneMatch: ifNoneMatch}})
			return err
		},
		"complete": func(e *env, ifMatch, ifNoneMatch string) error {
			u, err := e.svc.CreateMultipartUpload(e.ctx, CreateUploadInput{Bucket: "b", Key: "k"})
			if err != nil {
				return err
			}
			p, err := e.svc.UploadPart(e.ctx, UploadPartInput{Bucket: "b", Key: "k", UploadID: u.UploadID, PartNumber: 1, Body: strings.NewReader("new"), Size: 3})
			if err != nil {
				return err
			}
			_, err = e.svc.CompleteMultipartUpload(e.ctx, CompleteInput{Bucket: "b", Key: "k", UploadID: u.UploadID,
				Parts: []CompletePart{{PartNumber: 1, ETag: p.ETag}}, IfMatch: ifMatch, IfNoneMatch: ifNoneMatch})
			if err != nil {
				// The upload stays; abort it so its part is collected.
				if aerr := e.svc.AbortMultipartUpload(e.ctx, "b", "k", u.UploadID); aerr != nil {
					e.t.Fatal(aerr)
				}
			}
			return err
		},
	}
	for _, tt := range tests {
		for _, op := range []string{"put", "copy", "complete"} {
			t.Run(op+" "+tt.name, func(t *testing.T) {
				e := newEnv(t)
				e.bucket("b", meta.VersioningEnabled)
				e.bucket("src", "")
				if tt.setup != nil {
					tt.setup(e)
				}
				before, _ := e.svc.ListObjectVersions(e.ctx, VersionListInput{Bucket: "b", MaxKeys: 100})
				wantErr(t, writes[op](e, tt.ifMatch, tt.ifNoneMatch), tt.want)
				after, _ := e.svc.ListObjectVersions(e.ctx, VersionListInput{Bucket: "b", MaxKeys: 100})
				if d := len(after.Versions) - len(before.Versions); tt.want != nil && d != 0 || tt.want == nil && d != 1 {
					t.Errorf("versions %d → %d", len(before.Versions), len(after.Versions))
				}
				e.assertNoGarbage("b", "src")
			})
		}
	}
}

func putK(e *env) { e.put("b", "k", "old") }

func deleteK(e *env) {
	e.put("b", "k", "old")
	if _, err := e.svc.DeleteObject(e.ctx, DeleteInput{Bucket: "b", Key: "k"}); err != nil {
		e.t.Fatal(err)
	}
}

// racingReader runs race once, when the body is first read: a write that
// lands while the conditional write uploads.
type racingReader struct {
	r    io.Reader
	race func()
}

func (r *racingReader) Read(p []byte) (int, error) {
	if r.race != nil {
		r.race()
		r.race = nil
	}
	return r.r.Read(p)
}

func TestConditionalWriteConflict(t *testing.T) {
	for _, tt := range []struct {
		name                 string
		setup                func(e *env)
		ifMatch, ifNoneMatch string
	}{
		{name: "If-None-Match loses to a concurrent create", ifNoneMatch: "*"},
		{name: "If-Match loses to a concurrent overwrite", setup: putK, ifMatch: `"` + md5hex("old") + `"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.bucket("b", "")
			if tt.setup != nil {
				tt.setup(e)
			}
			body := &racingReader{r: strings.NewReader("mine"), race: func() { e.put("b", "k", "theirs") }}
			_, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "k", Body: body, Size: 4, IfMatch: tt.ifMatch, IfNoneMatch: tt.ifNoneMatch})
			wantErr(t, err, ErrConditionalConflict)
			if got := e.get("b", "k", ""); got != "theirs" {
				t.Errorf("body = %q, want the concurrent write's", got)
			}
			e.assertNoGarbage("b")
		})
	}
}

func TestConditionalDelete(t *testing.T) {
	for _, versioning := range []string{"", meta.VersioningEnabled} {
		e := newEnv(t)
		e.bucket("b", versioning)
		e.put("b", "k", "old")
		t.Run("wrong ETag "+versioning, func(t *testing.T) {
			_, err := e.svc.DeleteObject(e.ctx, DeleteInput{Bucket: "b", Key: "k", IfMatch: `"abc"`})
			wantErr(t, err, ErrPreconditionFailed)
			if got := e.get("b", "k", ""); got != "old" {
				t.Errorf("body = %q", got)
			}
		})
		t.Run("missing key "+versioning, func(t *testing.T) {
			_, err := e.svc.DeleteObject(e.ctx, DeleteInput{Bucket: "b", Key: "nope", IfMatch: "*"})
			wantErr(t, err, ErrNoSuchKey)
		})
		t.Run("matching ETag "+versioning, func(t *testing.T) {
			_, err := e.svc.DeleteObject(e.ctx, DeleteInput{Bucket: "b", Key: "k", IfMatch: md5hex("old")})
			wantErr(t, err, nil)
			_, err = e.svc.HeadObject(e.ctx, GetInput{Bucket: "b", Key: "k"})
			wantErr(t, err, ErrNoSuchKey)
		})
	}
}
