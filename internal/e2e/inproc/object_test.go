package inproc

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// md5ETag is the quoted ETag S3 gives a single-PUT object.
func md5ETag(b []byte) string {
	sum := md5.Sum(b)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

func md5B64(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// statusOf returns the HTTP status of a successful SDK call.
func statusOf(md middleware.Metadata) int {
	if r, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
		return r.StatusCode
	}
	return 0
}

func readAll(t testing.TB, rc io.ReadCloser) []byte {
	t.Helper()
	defer rc.Close()
	b, err := io.ReadAll(rc)
	must(t, err, "reading body")
	return b
}

func TestPutGetHeadObject(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "obj")
		body := randBytes(1, 10_000)
		expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		meta := map[string]string{"color": "blue", "multi-word": "Hello World", "empty": ""}
		key := "dir/sub dir/obj ü.txt"
		before := time.Now().Add(-2 * time.Second)
		put, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{
			Bucket:             aws.String(b),
			Key:                aws.String(key),
			Body:               bytes.NewReader(body),
			Metadata:           meta,
			ContentType:        aws.String("text/plain; charset=utf-8"),
			ContentEncoding:    aws.String("gzip"),
			ContentDisposition: aws.String(`attachment; filename="a.txt"`),
			ContentLanguage:    aws.String("de-DE"),
			CacheControl:       aws.String("max-age=3600, public"),
			Expires:            &expires,
			StorageClass:       types.StorageClassStandardIa,
		})
		must(t, err, "PutObject")
		if got, want := str(put.ETag), md5ETag(body); got != want {
			t.Errorf("PutObject ETag = %s, want %s", got, want)
		}

		check := func(what string, etag, ctype, cenc, cdisp, clang, cc, exp *string, length *int64, sc types.StorageClass, md map[string]string, lm *time.Time) {
			t.Helper()
			if str(etag) != md5ETag(body) {
				t.Errorf("%s ETag = %s", what, str(etag))
			}
			if str(ctype) != "text/plain; charset=utf-8" {
				t.Errorf("%s Content-Type = %q", what, str(ctype))
			}
			if str(cenc) != "gzip" {
				t.Errorf("%s Content-Encoding = %q, want gzip", what, str(cenc))
			}
			if str(cdisp) != `attachment; filename="a.txt"` {
				t.Errorf("%s Content-Disposition = %q", what, str(cdisp))
			}
			if str(clang) != "de-DE" {
				t.Errorf("%s Content-Language = %q", what, str(clang))
			}
			if str(cc) != "max-age=3600, public" {
				t.Errorf("%s Cache-Control = %q", what, str(cc))
			}
			if e, err := http.ParseTime(str(exp)); err != nil || !e.Equal(expires) {
				t.Errorf("%s Expires = %q, want %s", what, str(exp), expires.Format(http.TimeFormat))
			}
			if i64(length) != int64(len(body)) {
				t.Errorf("%s Content-Length = %d, want %d", what, i64(length), len(body))
			}
			if sc != types.StorageClassStandardIa {
				t.Errorf("%s StorageClass = %q, want STANDARD_IA", what, sc)
			}
			if !maps.Equal(md, meta) {
				t.Errorf("%s Metadata = %v, want %v", what, md, meta)
			}
			if lm == nil || lm.Before(before.Truncate(time.Second)) || lm.After(time.Now().Add(2*time.Second)) {
				t.Errorf("%s Last-Modified = %v, want about now", what, lm)
			}
		}

		get, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
		must(t, err, "GetObject")
		if got := readAll(t, get.Body); !bytes.Equal(got, body) {
			t.Errorf("GetObject body differs (%d bytes, want %d)", len(got), len(body))
		}
		check("GetObject", get.ETag, get.ContentType, get.ContentEncoding, get.ContentDisposition, get.ContentLanguage, get.CacheControl, get.ExpiresString, get.ContentLength, get.StorageClass, get.Metadata, get.LastModified)
		if str(get.AcceptRanges) != "bytes" {
			t.Errorf("GetObject Accept-Ranges = %q, want bytes", str(get.AcceptRanges))
		}

		head, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
		must(t, err, "HeadObject")
		check("HeadObject", head.ETag, head.ContentType, head.ContentEncoding, head.ContentDisposition, head.ContentLanguage, head.CacheControl, head.ExpiresString, head.ContentLength, head.StorageClass, head.Metadata, head.LastModified)

		// The default storage class is not sent back.
		c.put(t, b, "std", []byte("standard"))
		h2, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("std")})
		must(t, err, "HeadObject std")
		if h2.StorageClass != "" {
			t.Errorf("STANDARD object HeadObject StorageClass = %q, want absent", h2.StorageClass)
		}

		// An empty object.
		if etag := c.put(t, b, "empty", nil); etag != `"d41d8cd98f00b204e9800998ecf8427e"` {
			t.Errorf("empty object ETag = %s", etag)
		}
		if got := c.get(t, b, "empty"); len(got) != 0 {
			t.Errorf("empty object body = %q", got)
		}

		// Overwrite replaces.
		c.put(t, b, "std", []byte("second"))
		if got := c.get(t, b, "std"); string(got) != "second" {
			t.Errorf("after overwrite body = %q", got)
		}

		// Missing objects and buckets.
		_, err = c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("missing")})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchKey")
		_, err = c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("missing")})
		wantAPIError(t, err, http.StatusNotFound, "")
		_, err = c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("missing-bucket"), Key: aws.String("k")})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchBucket")
	})
}

func TestContentMD5(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "md5")
		body := []byte("content checked by md5")
		_, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("good"), Body: bytes.NewReader(body), ContentMD5: aws.String(md5B64(body))})
		must(t, err, "PutObject with right Content-MD5")

		_, err = c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("bad"), Body: bytes.NewReader(body), ContentMD5: aws.String(md5B64([]byte("other")))})
		wantAPIError(t, err, http.StatusBadRequest, "BadDigest")
		_, err = c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("bad")})
		wantAPIError(t, err, http.StatusNotFound, "")

		_, err = c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("bad"), Body: bytes.NewReader(body), ContentMD5: aws.String("not base64!")})
		wantAPIError(t, err, http.StatusBadRequest, "InvalidDigest")
	})
}

func TestGetObjectRange(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "range")
		body := randBytes(2, 100)
		c.put(t, b, "r", body)
		tests := []struct {
			name, rng    string
			first, last  int // inclusive
			contentRange string
		}{
			{"first-last", "bytes=0-9", 0, 9, "bytes 0-9/100"},
			{"middle", "bytes=10-19", 10, 19, "bytes 10-19/100"},
			{"open", "bytes=90-", 90, 99, "bytes 90-99/100"},
			{"suffix", "bytes=-10", 90, 99, "bytes 90-99/100"},
			{"last beyond end", "bytes=95-1000", 95, 99, "bytes 95-99/100"},
			{"suffix longer than object", "bytes=-1000", 0, 99, "bytes 0-99/100"},
			{"single byte", "bytes=99-99", 99, 99, "bytes 99-99/100"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				out, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("r"), Range: aws.String(tt.rng)})
				must(t, err, "GetObject Range "+tt.rng)
				got := readAll(t, out.Body)
				if st := statusOf(out.ResultMetadata); st != http.StatusPartialContent {
					t.Errorf("status %d, want 206", st)
				}
				if !bytes.Equal(got, body[tt.first:tt.last+1]) {
					t.Errorf("body = %x, want %x", got, body[tt.first:tt.last+1])
				}
				if str(out.ContentRange) != tt.contentRange {
					t.Errorf("Content-Range = %q, want %q", str(out.ContentRange), tt.contentRange)
				}
				if i64(out.ContentLength) != int64(tt.last-tt.first+1) {
					t.Errorf("Content-Length = %d, want %d", i64(out.ContentLength), tt.last-tt.first+1)
				}
			})
		}
		for _, rng := range []string{"bytes=100-", "bytes=100-200", "bytes=500-"} {
			t.Run("unsatisfiable "+rng, func(t *testing.T) {
				_, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("r"), Range: aws.String(rng)})
				wantAPIError(t, err, http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
			})
		}
		// HEAD honours Range too.
		h, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("r"), Range: aws.String("bytes=10-19")})
		must(t, err, "HeadObject Range")
		if i64(h.ContentLength) != 10 || str(h.ContentRange) != "bytes 10-19/100" {
			t.Errorf("HeadObject Range: Content-Length %d Content-Range %q", i64(h.ContentLength), str(h.ContentRange))
		}
	})
}

func TestGetObjectResponseOverrides(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "override")
		_, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("o"), Body: strings.NewReader("override me"), ContentType: aws.String("text/plain")})
		must(t, err, "PutObject")
		exp := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
		out, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{
			Bucket:                     aws.String(b),
			Key:                        aws.String("o"),
			ResponseContentType:        aws.String("application/x-override"),
			ResponseContentDisposition: aws.String(`attachment; filename="o.bin"`),
			ResponseContentEncoding:    aws.String("br"),
			ResponseContentLanguage:    aws.String("fr"),
			ResponseCacheControl:       aws.String("no-store"),
			ResponseExpires:            &exp,
		})
		must(t, err, "GetObject with response-* overrides")
		if got := readAll(t, out.Body); string(got) != "override me" {
			t.Errorf("body = %q", got)
		}
		for _, f := range []struct{ name, got, want string }{
			{"Content-Type", str(out.ContentType), "application/x-override"},
			{"Content-Disposition", str(out.ContentDisposition), `attachment; filename="o.bin"`},
			{"Content-Encoding", str(out.ContentEncoding), "br"},
			{"Content-Language", str(out.ContentLanguage), "fr"},
			{"Cache-Control", str(out.CacheControl), "no-store"},
		} {
			if f.got != f.want {
				t.Errorf("%s = %q, want %q", f.name, f.got, f.want)
			}
		}
		if e, err := http.ParseTime(str(out.ExpiresString)); err != nil || !e.Equal(exp) {
			t.Errorf("Expires = %q, want %s", str(out.ExpiresString), exp.Format(http.TimeFormat))
		}
		// Overrides do not change what is stored.
		h, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("o")})
		must(t, err, "HeadObject")
		if str(h.ContentType) != "text/plain" || h.ContentDisposition != nil {
			t.Errorf("stored headers changed: Content-Type %q Content-Disposition %q", str(h.ContentType), str(h.ContentDisposition))
		}
	})
}

func TestDeleteObject(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "delobj")
		c.put(t, b, "gone", []byte("soon gone"))
		out, err := c.s3.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("gone")})
		must(t, err, "DeleteObject")
		if st := statusOf(out.ResultMetadata); st != http.StatusNoContent {
			t.Errorf("DeleteObject status %d, want 204", st)
		}
		if out.DeleteMarker != nil && *out.DeleteMarker {
			t.Errorf("unversioned delete reported a delete marker")
		}
		_, err = c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("gone")})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchKey")
		// Deleting a missing key succeeds.
		out, err = c.s3.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("never-was")})
		must(t, err, "DeleteObject of a missing key")
		if st := statusOf(out.ResultMetadata); st != http.StatusNoContent {
			t.Errorf("DeleteObject (missing) status %d, want 204", st)
		}
		_, err = c.s3.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String("no-bucket-x"), Key: aws.String("k")})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchBucket")
	})
}

// putMany stores n small objects concurrently.
func (c *client) putMany(t testing.TB, bucket string, keys []string) {
	t.Helper()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	errs := make(chan error, len(keys))
	for _, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader("v:" + k)})
			if err != nil {
				errs <- fmt.Errorf("PutObject %q: %w", k, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// listAll returns every key of a bucket via ListObjectsV2 paging.
func (c *client) listAll(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(c.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		must(t, err, "ListObjectsV2")
		for _, o := range out.Contents {
			keys = append(keys, str(o.Key))
		}
	}
	return keys
}

func TestDeleteObjects(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "multidel")
		var existing []string
		for i := range 60 {
			existing = append(existing, fmt.Sprintf("obj/%03d", i))
		}
		c.putMany(t, b, existing)

		// Verbose: 1000 keys, 60 of which exist; missing keys count as deleted.
		var ids []types.ObjectIdentifier
		want := map[string]bool{}
		for i := range 1000 {
			k := fmt.Sprintf("obj/%03d", i)
			ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
			want[k] = true
		}
		out, err := c.s3.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: ids}})
		must(t, err, "DeleteObjects (1000 keys)")
		if len(out.Errors) != 0 {
			t.Errorf("DeleteObjects errors: %d, first %s: %s", len(out.Errors), str(out.Errors[0].Code), str(out.Errors[0].Message))
		}
		got := map[string]bool{}
		for _, d := range out.Deleted {
			got[str(d.Key)] = true
		}
		if len(out.Deleted) != 1000 || !maps.Equal(got, want) {
			t.Errorf("DeleteObjects reported %d deleted (%d distinct), want the 1000 requested keys", len(out.Deleted), len(got))
		}
		if left := c.listAll(t, b, ""); len(left) != 0 {
			t.Errorf("after DeleteObjects %d keys remain: %q", len(left), left[:min(5, len(left))])
		}

		// Quiet: nothing reported on success.
		var quietKeys []string
		ids = ids[:0]
		for i := range 20 {
			k := fmt.Sprintf("quiet/%02d", i)
			quietKeys = append(quietKeys, k)
			ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
		}
		c.putMany(t, b, quietKeys)
		c.put(t, b, "keep", []byte("keep me"))
		out, err = c.s3.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
		must(t, err, "DeleteObjects quiet")
		if len(out.Deleted) != 0 || len(out.Errors) != 0 {
			t.Errorf("quiet DeleteObjects reported %d deleted, %d errors; want none", len(out.Deleted), len(out.Errors))
		}
		if left := c.listAll(t, b, ""); len(left) != 1 || left[0] != "keep" {
			t.Errorf("after quiet DeleteObjects keys = %q, want [keep]", left)
		}

		// More than 1000 keys is malformed.
		ids = ids[:0]
		for i := range 1001 {
			ids = append(ids, types.ObjectIdentifier{Key: aws.String(fmt.Sprintf("k%d", i))})
		}
		_, err = c.s3.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: ids}})
		wantAPIError(t, err, http.StatusBadRequest, "MalformedXML")
	})
}

func TestCopyObject(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		src := c.mkBucket(t, "copysrc")
		dst := c.mkBucket(t, "copydst")
		body := randBytes(3, 4096)
		srcKey := "source key ü"
		copySource := src + "/" + url.PathEscape(srcKey)
		_, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{
			Bucket: aws.String(src), Key: aws.String(srcKey), Body: bytes.NewReader(body),
			Metadata: map[string]string{"origin": "src"}, ContentType: aws.String("text/x-src"),
			Tagging: aws.String("t=1"),
		})
		must(t, err, "PutObject source")
		srcHead, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(src), Key: aws.String(srcKey)})
		must(t, err, "HeadObject source")
		srcETag := str(srcHead.ETag)

		t.Run("COPY directive", func(t *testing.T) {
			out, err := c.s3.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("copied"), CopySource: aws.String(copySource)})
			must(t, err, "CopyObject")
			if out.CopyObjectResult == nil || str(out.CopyObjectResult.ETag) != srcETag || out.CopyObjectResult.LastModified == nil {
				t.Errorf("CopyObjectResult = %+v, want ETag %s and LastModified", out.CopyObjectResult, srcETag)
			}
			h, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(dst), Key: aws.String("copied")})
			must(t, err, "HeadObject copy")
			if !maps.Equal(h.Metadata, map[string]string{"origin": "src"}) || str(h.ContentType) != "text/x-src" {
				t.Errorf("copy metadata %v Content-Type %q, want source's", h.Metadata, str(h.ContentType))
			}
			if got := c.get(t, dst, "copied"); !bytes.Equal(got, body) {
				t.Errorf("copied body differs")
			}
			tags, err := c.s3.GetObjectTagging(ctx(t), &s3.GetObjectTaggingInput{Bucket: aws.String(dst), Key: aws.String("copied")})
			must(t, err, "GetObjectTagging copy")
			if !maps.Equal(tagMap(tags.TagSet), map[string]string{"t": "1"}) {
				t.Errorf("copy tags = %v, want the source's t=1", tagMap(tags.TagSet))
			}
		})

		t.Run("REPLACE directive", func(t *testing.T) {
			_, err := c.s3.CopyObject(ctx(t), &s3.CopyObjectInput{
				Bucket: aws.String(dst), Key: aws.String("replaced"), CopySource: aws.String(copySource),
				MetadataDirective: types.MetadataDirectiveReplace,
				Metadata:          map[string]string{"fresh": "yes"},
				ContentType:       aws.String("application/x-new"),
			})
			must(t, err, "CopyObject REPLACE")
			h, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(dst), Key: aws.String("replaced")})
			must(t, err, "HeadObject")
			if !maps.Equal(h.Metadata, map[string]string{"fresh": "yes"}) || str(h.ContentType) != "application/x-new" {
				t.Errorf("REPLACE copy metadata %v Content-Type %q", h.Metadata, str(h.ContentType))
			}
			if str(h.ETag) != srcETag {
				t.Errorf("REPLACE copy ETag %s, want %s", str(h.ETag), srcETag)
			}
		})

		t.Run("source conditions", func(t *testing.T) {
			lm := *srcHead.LastModified
			tests := []struct {
				name string
				in   s3.CopyObjectInput
				ok   bool
			}{
				{"if-match wrong", s3.CopyObjectInput{CopySourceIfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)}, false},
				{"if-match right", s3.CopyObjectInput{CopySourceIfMatch: aws.String(srcETag)}, true},
				{"if-none-match same", s3.CopyObjectInput{CopySourceIfNoneMatch: aws.String(srcETag)}, false},
				{"if-none-match other", s3.CopyObjectInput{CopySourceIfNoneMatch: aws.String(`"ffff"`)}, true},
				{"if-unmodified-since earlier", s3.CopyObjectInput{CopySourceIfUnmodifiedSince: aws.Time(lm.Add(-time.Hour))}, false},
				{"if-unmodified-since later", s3.CopyObjectInput{CopySourceIfUnmodifiedSince: aws.Time(lm.Add(time.Hour))}, true},
				{"if-modified-since same", s3.CopyObjectInput{CopySourceIfModifiedSince: aws.Time(lm)}, false},
				{"if-modified-since earlier", s3.CopyObjectInput{CopySourceIfModifiedSince: aws.Time(lm.Add(-time.Hour))}, true},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					in := tt.in
					in.Bucket, in.Key, in.CopySource = aws.String(dst), aws.String("cond-"+strings.ReplaceAll(tt.name, " ", "-")), aws.String(copySource)
					_, err := c.s3.CopyObject(ctx(t), &in)
					if tt.ok {
						if err != nil {
							t.Errorf("CopyObject: %v", err)
						}
						return
					}
					wantAPIError(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
					_, err = c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: in.Bucket, Key: in.Key})
					wantAPIError(t, err, http.StatusNotFound, "")
				})
			}
		})

		t.Run("onto itself", func(t *testing.T) {
			_, err := c.s3.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String(src), Key: aws.String(srcKey), CopySource: aws.String(copySource)})
			wantAPIError(t, err, http.StatusBadRequest, "InvalidRequest")

			_, err = c.s3.CopyObject(ctx(t), &s3.CopyObjectInput{
				Bucket: aws.String(src), Key: aws.String(srcKey), CopySource: aws.String(copySource),
				MetadataDirective: types.MetadataDirectiveReplace,
				Metadata:          map[string]string{"origin": "rewritten"},
				ContentType:       aws.String("text/x-src"),
			})
			must(t, err, "CopyObject onto itself with REPLACE")
			h, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(src), Key: aws.String(srcKey)})
			must(t, err, "HeadObject")
			if !maps.Equal(h.Metadata, map[string]string{"origin": "rewritten"}) {
				t.Errorf("metadata after self-copy = %v", h.Metadata)
			}
			if got := c.get(t, src, srcKey); !bytes.Equal(got, body) {
				t.Errorf("body changed by self-copy")
			}
		})

		t.Run("missing source", func(t *testing.T) {
			_, err := c.s3.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("x"), CopySource: aws.String(src + "/no-such-key")})
			wantAPIError(t, err, http.StatusNotFound, "NoSuchKey")
			_, err = c.s3.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String(dst), Key: aws.String("x"), CopySource: aws.String("no-such-bucket-q/k")})
			wantAPIError(t, err, http.StatusNotFound, "NoSuchBucket")
		})
	})
}

func TestGetObjectAttributes(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "attrs")
		body := randBytes(4, 3000)
		_, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("a"), Body: bytes.NewReader(body), ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
		must(t, err, "PutObject")
		out, err := c.s3.GetObjectAttributes(ctx(t), &s3.GetObjectAttributesInput{
			Bucket: aws.String(b), Key: aws.String("a"),
			ObjectAttributes: []types.ObjectAttributes{
				types.ObjectAttributesEtag, types.ObjectAttributesObjectSize, types.ObjectAttributesStorageClass,
				types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts,
			},
		})
		must(t, err, "GetObjectAttributes")
		// GetObjectAttributes returns the ETag without quotes.
		if want := strings.Trim(md5ETag(body), `"`); str(out.ETag) != want {
			t.Errorf("ETag = %q, want %q", str(out.ETag), want)
		}
		if i64(out.ObjectSize) != int64(len(body)) {
			t.Errorf("ObjectSize = %d, want %d", i64(out.ObjectSize), len(body))
		}
		if out.StorageClass != types.StorageClassStandard {
			t.Errorf("StorageClass = %q, want STANDARD", out.StorageClass)
		}
		if out.Checksum == nil || str(out.Checksum.ChecksumSHA256) != checksumOf(types.ChecksumAlgorithmSha256, body) {
			t.Errorf("Checksum = %+v, want SHA256 %s", out.Checksum, checksumOf(types.ChecksumAlgorithmSha256, body))
		} else if out.Checksum.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("ChecksumType = %q, want FULL_OBJECT", out.Checksum.ChecksumType)
		}
		if out.ObjectParts != nil {
			t.Errorf("single-PUT object has ObjectParts %+v", out.ObjectParts)
		}
		if out.LastModified == nil {
			t.Errorf("no Last-Modified")
		}
		// Only what was asked for.
		out, err = c.s3.GetObjectAttributes(ctx(t), &s3.GetObjectAttributesInput{
			Bucket: aws.String(b), Key: aws.String("a"), ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize},
		})
		must(t, err, "GetObjectAttributes ObjectSize")
		if i64(out.ObjectSize) != int64(len(body)) || out.ETag != nil || out.Checksum != nil || out.StorageClass != "" {
			t.Errorf("asked for ObjectSize only, got size %d ETag %v Checksum %v StorageClass %q", i64(out.ObjectSize), out.ETag, out.Checksum, out.StorageClass)
		}
		_, err = c.s3.GetObjectAttributes(ctx(t), &s3.GetObjectAttributesInput{
			Bucket: aws.String(b), Key: aws.String("missing"), ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag},
		})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchKey")
	})
}

func TestObjectTagging(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "otag")
		_, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("t"), Body: strings.NewReader("tagged"), Tagging: aws.String("k1=v1&k2=two%20words&k3=")})
		must(t, err, "PutObject with x-amz-tagging")
		want := map[string]string{"k1": "v1", "k2": "two words", "k3": ""}
		out, err := c.s3.GetObjectTagging(ctx(t), &s3.GetObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("t")})
		must(t, err, "GetObjectTagging")
		if got := tagMap(out.TagSet); !maps.Equal(got, want) {
			t.Errorf("tags from x-amz-tagging = %v, want %v", got, want)
		}
		g, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("t")})
		must(t, err, "GetObject")
		readAll(t, g.Body)
		if i32(g.TagCount) != 3 {
			t.Errorf("GetObject x-amz-tagging-count = %d, want 3", i32(g.TagCount))
		}

		_, err = c.s3.PutObjectTagging(ctx(t), &s3.PutObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("t"), Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("x"), Value: aws.String("y z")}}}})
		must(t, err, "PutObjectTagging")
		out, err = c.s3.GetObjectTagging(ctx(t), &s3.GetObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("t")})
		must(t, err, "GetObjectTagging")
		if got := tagMap(out.TagSet); !maps.Equal(got, map[string]string{"x": "y z"}) {
			t.Errorf("tags after PutObjectTagging = %v", got)
		}

		_, err = c.s3.DeleteObjectTagging(ctx(t), &s3.DeleteObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("t")})
		must(t, err, "DeleteObjectTagging")
		out, err = c.s3.GetObjectTagging(ctx(t), &s3.GetObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("t")})
		must(t, err, "GetObjectTagging after delete")
		if len(out.TagSet) != 0 {
			t.Errorf("tags after DeleteObjectTagging = %v, want none", tagMap(out.TagSet))
		}
		if got := c.get(t, b, "t"); string(got) != "tagged" {
			t.Errorf("tagging changed the body: %q", got)
		}

		_, err = c.s3.GetObjectTagging(ctx(t), &s3.GetObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("missing")})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchKey")
		_, err = c.s3.PutObjectTagging(ctx(t), &s3.PutObjectTaggingInput{Bucket: aws.String(b), Key: aws.String("t"), Tagging: &types.Tagging{TagSet: []types.Tag{
			{Key: aws.String("d"), Value: aws.String("1")}, {Key: aws.String("d"), Value: aws.String("2")},
		}}})
		wantAPIError(t, err, http.StatusBadRequest, "InvalidTag")
	})
}

func TestConditionalWrites(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "condw")
		put := func(key, body string, mod func(*s3.PutObjectInput)) (*s3.PutObjectOutput, error) {
			in := &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: strings.NewReader(body)}
			mod(in)
			return c.s3.PutObject(ctx(t), in)
		}
		_, err := put("k", "first", func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") })
		must(t, err, "PutObject If-None-Match * on a new key")
		_, err = put("k", "second", func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") })
		wantAPIError(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
		if got := c.get(t, b, "k"); string(got) != "first" {
			t.Errorf("body after refused write = %q, want first", got)
		}

		_, err = put("k", "third", func(in *s3.PutObjectInput) { in.IfMatch = aws.String(md5ETag([]byte("not it"))) })
		wantAPIError(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
		out, err := put("k", "fourth", func(in *s3.PutObjectInput) { in.IfMatch = aws.String(md5ETag([]byte("first"))) })
		must(t, err, "PutObject If-Match with the current ETag")
		if str(out.ETag) != md5ETag([]byte("fourth")) {
			t.Errorf("ETag = %s", str(out.ETag))
		}
		if got := c.get(t, b, "k"); string(got) != "fourth" {
			t.Errorf("body = %q, want fourth", got)
		}
		_, err = put("absent", "x", func(in *s3.PutObjectInput) { in.IfMatch = aws.String(md5ETag([]byte("x"))) })
		wantAPIError(t, err, http.StatusNotFound, "NoSuchKey")

		// CompleteMultipartUpload honours the same headers.
		complete := func(key string, mod func(*s3.CompleteMultipartUploadInput)) error {
			cr, err := c.s3.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key)})
			must(t, err, "CreateMultipartUpload")
			up, err := c.s3.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: cr.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("mpu body")})
			must(t, err, "UploadPart")
			in := &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: cr.UploadId,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: up.ETag}}}}
			mod(in)
			_, err = c.s3.CompleteMultipartUpload(ctx(t), in)
			return err
		}
		err = complete("k", func(in *s3.CompleteMultipartUploadInput) { in.IfNoneMatch = aws.String("*") })
		wantAPIError(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
		err = complete("k", func(in *s3.CompleteMultipartUploadInput) { in.IfMatch = aws.String(md5ETag([]byte("first"))) })
		wantAPIError(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
		if got := c.get(t, b, "k"); string(got) != "fourth" {
			t.Errorf("body after refused completes = %q, want fourth", got)
		}
		err = complete("k", func(in *s3.CompleteMultipartUploadInput) { in.IfMatch = aws.String(md5ETag([]byte("fourth"))) })
		must(t, err, "CompleteMultipartUpload If-Match current ETag")
		err = complete("new-mpu", func(in *s3.CompleteMultipartUploadInput) { in.IfNoneMatch = aws.String("*") })
		must(t, err, "CompleteMultipartUpload If-None-Match * on a new key")
		if got := c.get(t, b, "k"); string(got) != "mpu body" {
			t.Errorf("body after complete = %q", got)
		}
	})
}
