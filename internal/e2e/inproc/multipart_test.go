package inproc

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// multipartETag is S3's ETag for a completed multipart upload: the MD5 of
// the concatenated binary part MD5s, "-", the part count.
func multipartETag(parts ...[]byte) string {
	var cat []byte
	for _, p := range parts {
		sum := md5.Sum(p)
		cat = append(cat, sum[:]...)
	}
	sum := md5.Sum(cat)
	return `"` + hex.EncodeToString(sum[:]) + "-" + strconv.Itoa(len(parts)) + `"`
}

func TestMultipartUpload(t *testing.T) {
	t.Parallel()
	p1 := randBytes(20, 5<<20)
	p2 := randBytes(21, 5<<20)
	p3 := randBytes(22, 1000)
	whole := slices.Concat(p1, p2, p3)
	size := int64(len(whole))
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "mpu")
		key := "big/object ü"
		cr, err := c.s3.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{
			Bucket: aws.String(b), Key: aws.String(key),
			ContentType: aws.String("application/x-mpu"), Metadata: map[string]string{"m": "1"},
		})
		must(t, err, "CreateMultipartUpload")
		if str(cr.UploadId) == "" || str(cr.Bucket) != b || str(cr.Key) != key {
			t.Fatalf("CreateMultipartUpload = upload %q bucket %q key %q", str(cr.UploadId), str(cr.Bucket), str(cr.Key))
		}
		uid := cr.UploadId
		var parts []types.CompletedPart
		for i, p := range [][]byte{p1, p2, p3} {
			up, err := c.s3.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: uid, PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
			must(t, err, "UploadPart")
			if str(up.ETag) != md5ETag(p) {
				t.Errorf("UploadPart %d ETag %s, want %s", i+1, str(up.ETag), md5ETag(p))
			}
			parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: up.ETag})
		}
		// Re-uploading a part replaces it.
		up, err := c.s3.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: uid, PartNumber: aws.Int32(3), Body: bytes.NewReader(p3)})
		must(t, err, "UploadPart 3 again")
		parts[2].ETag = up.ETag

		lp, err := c.s3.ListParts(ctx(t), &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: uid})
		must(t, err, "ListParts")
		if len(lp.Parts) != 3 || boolv(lp.IsTruncated) {
			t.Fatalf("ListParts: %d parts truncated=%v", len(lp.Parts), boolv(lp.IsTruncated))
		}
		for i, p := range [][]byte{p1, p2, p3} {
			got := lp.Parts[i]
			if i32(got.PartNumber) != int32(i+1) || str(got.ETag) != md5ETag(p) || i64(got.Size) != int64(len(p)) || got.LastModified == nil {
				t.Errorf("ListParts[%d] = number %d ETag %s size %d", i, i32(got.PartNumber), str(got.ETag), i64(got.Size))
			}
		}

		complete := func(ps []types.CompletedPart) (*s3.CompleteMultipartUploadOutput, error) {
			return c.s3.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: uid, MultipartUpload: &types.CompletedMultipartUpload{Parts: ps}})
		}
		_, err = complete([]types.CompletedPart{parts[1], parts[0], parts[2]})
		wantAPIError(t, err, http.StatusBadRequest, "InvalidPartOrder")
		badETag := slices.Clone(parts)
		badETag[1] = types.CompletedPart{PartNumber: aws.Int32(2), ETag: aws.String(md5ETag([]byte("not part 2")))}
		_, err = complete(badETag)
		wantAPIError(t, err, http.StatusBadRequest, "InvalidPart")
		// Part 4 was never uploaded (part 2, 5 MiB, may precede it).
		_, err = complete([]types.CompletedPart{parts[0], parts[1], {PartNumber: aws.Int32(4), ETag: parts[2].ETag}})
		wantAPIError(t, err, http.StatusBadRequest, "InvalidPart")
		_, err = c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
		wantAPIError(t, err, http.StatusNotFound, "")

		done, err := complete(parts)
		must(t, err, "CompleteMultipartUpload")
		wantETag := multipartETag(p1, p2, p3)
		if str(done.ETag) != wantETag {
			t.Errorf("Complete ETag %s, want %s", str(done.ETag), wantETag)
		}
		if str(done.Bucket) != b || str(done.Key) != key {
			t.Errorf("Complete Bucket %q Key %q", str(done.Bucket), str(done.Key))
		}

		get, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
		must(t, err, "GetObject")
		if got := readAll(t, get.Body); !bytes.Equal(got, whole) {
			t.Errorf("completed body (%d bytes) is not the concatenation of the parts (%d bytes)", len(got), len(whole))
		}
		if str(get.ETag) != wantETag || i64(get.ContentLength) != size || str(get.ContentType) != "application/x-mpu" || !maps.Equal(get.Metadata, map[string]string{"m": "1"}) {
			t.Errorf("GetObject ETag %s length %d type %q meta %v", str(get.ETag), i64(get.ContentLength), str(get.ContentType), get.Metadata)
		}

		t.Run("partNumber", func(t *testing.T) {
			offsets := []int64{0, int64(len(p1)), int64(len(p1) + len(p2))}
			for i, p := range [][]byte{p1, p2, p3} {
				n := int32(i + 1)
				out, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), PartNumber: aws.Int32(n)})
				must(t, err, "GetObject partNumber")
				if got := readAll(t, out.Body); !bytes.Equal(got, p) {
					t.Errorf("part %d body differs", n)
				}
				wantRange := fmt.Sprintf("bytes %d-%d/%d", offsets[i], offsets[i]+int64(len(p))-1, size)
				if st := statusOf(out.ResultMetadata); st != http.StatusPartialContent {
					t.Errorf("part %d status %d, want 206", n, st)
				}
				if i32(out.PartsCount) != 3 || i64(out.ContentLength) != int64(len(p)) || str(out.ContentRange) != wantRange {
					t.Errorf("part %d: PartsCount %d Content-Length %d Content-Range %q, want 3 %d %q", n, i32(out.PartsCount), i64(out.ContentLength), str(out.ContentRange), len(p), wantRange)
				}
			}
			h, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key), PartNumber: aws.Int32(2)})
			must(t, err, "HeadObject partNumber 2")
			if i32(h.PartsCount) != 3 || i64(h.ContentLength) != int64(len(p2)) {
				t.Errorf("HeadObject part 2: PartsCount %d Content-Length %d", i32(h.PartsCount), i64(h.ContentLength))
			}
			_, err = c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), PartNumber: aws.Int32(4)})
			// S3 answers a part number the object does not have with 416 InvalidPartNumber.
			wantAPIError(t, err, http.StatusRequestedRangeNotSatisfiable, "InvalidPartNumber")
		})

		t.Run("attributes", func(t *testing.T) {
			attrs, err := c.s3.GetObjectAttributes(ctx(t), &s3.GetObjectAttributesInput{Bucket: aws.String(b), Key: aws.String(key),
				ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesObjectParts, types.ObjectAttributesObjectSize}})
			must(t, err, "GetObjectAttributes")
			if str(attrs.ETag) != wantETag[1:len(wantETag)-1] || i64(attrs.ObjectSize) != size {
				t.Errorf("attributes ETag %q size %d, want %s %d", str(attrs.ETag), i64(attrs.ObjectSize), wantETag, size)
			}
			if attrs.ObjectParts == nil || i32(attrs.ObjectParts.TotalPartsCount) != 3 {
				t.Errorf("ObjectParts = %+v, want TotalPartsCount 3", attrs.ObjectParts)
			}
		})

		t.Run("upload is gone", func(t *testing.T) {
			_, err := c.s3.ListParts(ctx(t), &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: uid})
			wantAPIError(t, err, http.StatusNotFound, "NoSuchUpload")
			lu, err := c.s3.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: aws.String(b)})
			must(t, err, "ListMultipartUploads")
			if len(lu.Uploads) != 0 {
				t.Errorf("completed upload still listed: %d uploads", len(lu.Uploads))
			}
		})

		t.Run("UploadPartCopy", func(t *testing.T) {
			c.put(t, b, "small", p3)
			cr, err := c.s3.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("copy/target")})
			must(t, err, "CreateMultipartUpload")
			first, last := 100, 100+5<<20-1
			rng := whole[first : last+1]
			pc, err := c.s3.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{
				Bucket: aws.String(b), Key: aws.String("copy/target"), UploadId: cr.UploadId, PartNumber: aws.Int32(1),
				CopySource:      aws.String(b + "/big/object%20%C3%BC"),
				CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", first, last)),
			})
			must(t, err, "UploadPartCopy with range")
			if pc.CopyPartResult == nil || str(pc.CopyPartResult.ETag) != md5ETag(rng) {
				t.Errorf("UploadPartCopy ETag = %+v, want %s", pc.CopyPartResult, md5ETag(rng))
			}
			pc2, err := c.s3.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{
				Bucket: aws.String(b), Key: aws.String("copy/target"), UploadId: cr.UploadId, PartNumber: aws.Int32(2),
				CopySource: aws.String(b + "/small"),
			})
			must(t, err, "UploadPartCopy whole object")
			_, err = c.s3.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{
				Bucket: aws.String(b), Key: aws.String("copy/target"), UploadId: cr.UploadId, PartNumber: aws.Int32(3),
				CopySource: aws.String(b + "/small"), CopySourceIfMatch: aws.String(md5ETag([]byte("other"))),
			})
			wantAPIError(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
			done, err := c.s3.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("copy/target"), UploadId: cr.UploadId,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
					{PartNumber: aws.Int32(1), ETag: pc.CopyPartResult.ETag},
					{PartNumber: aws.Int32(2), ETag: pc2.CopyPartResult.ETag},
				}}})
			must(t, err, "CompleteMultipartUpload of copied parts")
			if want := multipartETag(rng, p3); str(done.ETag) != want {
				t.Errorf("ETag %s, want %s", str(done.ETag), want)
			}
			if got := c.get(t, b, "copy/target"); !bytes.Equal(got, slices.Concat(rng, p3)) {
				t.Errorf("copied multipart body differs")
			}
		})
	})
}

func TestMultipartSmallPartsAndAbort(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "mpsmall")
		cr, err := c.s3.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("small")})
		must(t, err, "CreateMultipartUpload")
		uid := cr.UploadId
		var parts []types.CompletedPart
		for n := int32(1); n <= 5; n++ {
			up, err := c.s3.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("small"), UploadId: uid, PartNumber: aws.Int32(n), Body: bytes.NewReader(randBytes(uint64(30+n), 1000))})
			must(t, err, "UploadPart")
			parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: up.ETag})
		}

		t.Run("ListParts paging", func(t *testing.T) {
			var got []int32
			var marker *string
			for page := 0; page < 10; page++ {
				lp, err := c.s3.ListParts(ctx(t), &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("small"), UploadId: uid, MaxParts: aws.Int32(2), PartNumberMarker: marker})
				must(t, err, "ListParts")
				if len(lp.Parts) > 2 || i32(lp.MaxParts) != 2 {
					t.Fatalf("ListParts max-parts 2: %d parts, MaxParts %d", len(lp.Parts), i32(lp.MaxParts))
				}
				for _, p := range lp.Parts {
					got = append(got, i32(p.PartNumber))
				}
				if !boolv(lp.IsTruncated) {
					break
				}
				if want := strconv.Itoa(int(got[len(got)-1])); str(lp.NextPartNumberMarker) != want {
					t.Fatalf("NextPartNumberMarker %q, want %s", str(lp.NextPartNumberMarker), want)
				}
				marker = lp.NextPartNumberMarker
			}
			if !slices.Equal(got, []int32{1, 2, 3, 4, 5}) {
				t.Errorf("paged parts = %v", got)
			}
			lp, err := c.s3.ListParts(ctx(t), &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("small"), UploadId: uid, PartNumberMarker: aws.String("3")})
			must(t, err, "ListParts part-number-marker 3")
			if len(lp.Parts) != 2 || i32(lp.Parts[0].PartNumber) != 4 {
				t.Errorf("part-number-marker 3: %d parts", len(lp.Parts))
			}
		})

		_, err = c.s3.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("small"), UploadId: uid, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
		wantAPIError(t, err, http.StatusBadRequest, "EntityTooSmall")

		// A single small part is fine: the last part may be small.
		// Any ascending subset of the parts may be completed; a lone
		// part is the last part and may be small.
		_, err = c.s3.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("small"), UploadId: uid, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts[4:]}})
		must(t, err, "CompleteMultipartUpload with part 5 only")
		if got := c.get(t, b, "small"); !bytes.Equal(got, randBytes(35, 1000)) {
			t.Errorf("object from part 5 only: body differs")
		}

		cr2, err := c.s3.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("aborted")})
		must(t, err, "CreateMultipartUpload")
		_, err = c.s3.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("aborted"), UploadId: cr2.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("abc"))})
		must(t, err, "UploadPart")
		ab, err := c.s3.AbortMultipartUpload(ctx(t), &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("aborted"), UploadId: cr2.UploadId})
		must(t, err, "AbortMultipartUpload")
		if st := statusOf(ab.ResultMetadata); st != http.StatusNoContent {
			t.Errorf("Abort status %d, want 204", st)
		}
		_, err = c.s3.ListParts(ctx(t), &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("aborted"), UploadId: cr2.UploadId})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchUpload")
		_, err = c.s3.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("aborted"), UploadId: cr2.UploadId, PartNumber: aws.Int32(2), Body: bytes.NewReader([]byte("def"))})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchUpload")
		_, err = c.s3.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("aborted"), UploadId: cr2.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(md5ETag([]byte("abc")))}}}})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchUpload")
		_, err = c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("aborted")})
		wantAPIError(t, err, http.StatusNotFound, "")
		_, err = c.s3.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("x"), UploadId: aws.String("no-such-upload-id"), PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("x"))})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchUpload")

		// Part numbers are 1..10000.
		cr3, err := c.s3.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("numbers")})
		must(t, err, "CreateMultipartUpload")
		for _, n := range []int32{0, 10001} {
			_, err = c.s3.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("numbers"), UploadId: cr3.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader([]byte("x"))})
			wantAPIError(t, err, http.StatusBadRequest, "InvalidArgument")
		}
		_, err = c.s3.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("numbers"), UploadId: cr3.UploadId, PartNumber: aws.Int32(10000), Body: bytes.NewReader([]byte("x"))})
		must(t, err, "UploadPart number 10000")
	})
}

func TestListMultipartUploads(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "lmu")
		type upload struct{ key, id string }
		var created []upload
		for _, k := range []string{"c", "a/2", "d/e/f", "a/1", "c", "b/1"} {
			cr, err := c.s3.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(k)})
			must(t, err, "CreateMultipartUpload "+k)
			created = append(created, upload{k, str(cr.UploadId)})
		}
		toUploads := func(us []types.MultipartUpload) []upload {
			var out []upload
			for _, u := range us {
				out = append(out, upload{str(u.Key), str(u.UploadId)})
			}
			return out
		}
		keysOf := func(us []upload) []string {
			var out []string
			for _, u := range us {
				out = append(out, u.key)
			}
			return out
		}

		all, err := c.s3.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: aws.String(b)})
		must(t, err, "ListMultipartUploads")
		full := toUploads(all.Uploads)
		if got := keysOf(full); !slices.Equal(got, []string{"a/1", "a/2", "b/1", "c", "c", "d/e/f"}) {
			t.Fatalf("uploads by key = %q", got)
		}
		if !slices.ContainsFunc(full, func(u upload) bool { return u == created[0] }) || !slices.ContainsFunc(full, func(u upload) bool { return u == created[4] }) {
			t.Errorf("both uploads of key c should be listed: %v", full)
		}
		for i := 1; i < len(all.Uploads); i++ {
			a, z := all.Uploads[i-1], all.Uploads[i]
			if str(a.Key) == str(z.Key) && z.Initiated.Before(*a.Initiated) {
				t.Errorf("uploads of one key not in initiation order: %v", full)
			}
		}
		for _, u := range all.Uploads {
			if u.Initiated == nil || u.Initiated.IsZero() {
				t.Errorf("upload %s has no Initiated", str(u.Key))
			}
		}

		out, err := c.s3.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: aws.String(b), Prefix: aws.String("a/")})
		must(t, err, "ListMultipartUploads prefix")
		if got := keysOf(toUploads(out.Uploads)); !slices.Equal(got, []string{"a/1", "a/2"}) {
			t.Errorf("prefix a/ = %q", got)
		}

		out, err = c.s3.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: aws.String(b), Delimiter: aws.String("/")})
		must(t, err, "ListMultipartUploads delimiter")
		var cps []string
		for _, p := range out.CommonPrefixes {
			cps = append(cps, str(p.Prefix))
		}
		if got := keysOf(toUploads(out.Uploads)); !slices.Equal(got, []string{"c", "c"}) || !slices.Equal(cps, []string{"a/", "b/", "d/"}) {
			t.Errorf("delimiter /: uploads %q prefixes %q, want [c c] [a/ b/ d/]", got, cps)
		}
		out, err = c.s3.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: aws.String(b), Delimiter: aws.String("/"), Prefix: aws.String("d/")})
		must(t, err, "ListMultipartUploads prefix+delimiter")
		if len(out.Uploads) != 0 || len(out.CommonPrefixes) != 1 || str(out.CommonPrefixes[0].Prefix) != "d/e/" {
			t.Errorf("prefix d/ delimiter /: uploads %v prefixes %v", toUploads(out.Uploads), out.CommonPrefixes)
		}

		for _, max := range []int32{1, 2, 4} {
			var got []upload
			var km, um *string
			for page := 0; page < 20; page++ {
				out, err := c.s3.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: aws.String(b), MaxUploads: aws.Int32(max), KeyMarker: km, UploadIdMarker: um})
				must(t, err, "ListMultipartUploads page")
				if len(out.Uploads) > int(max) {
					t.Fatalf("max-uploads %d: %d uploads", max, len(out.Uploads))
				}
				got = append(got, toUploads(out.Uploads)...)
				if !boolv(out.IsTruncated) {
					break
				}
				km, um = out.NextKeyMarker, out.NextUploadIdMarker
				if last := got[len(got)-1]; str(km) != last.key || str(um) != last.id {
					t.Fatalf("max-uploads %d: next markers %q/%q, want the page's last upload %v", max, str(km), str(um), last)
				}
			}
			if !slices.Equal(got, full) {
				t.Errorf("max-uploads %d paged = %v, want %v", max, got, full)
			}
		}

		out, err = c.s3.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: aws.String(b), KeyMarker: aws.String("b/1")})
		must(t, err, "ListMultipartUploads key-marker")
		if got := keysOf(toUploads(out.Uploads)); !slices.Equal(got, []string{"c", "c", "d/e/f"}) {
			t.Errorf("key-marker b/1 = %q", got)
		}
		iC := slices.IndexFunc(full, func(u upload) bool { return u.key == "c" })
		out, err = c.s3.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: aws.String(b), KeyMarker: aws.String("c"), UploadIdMarker: aws.String(full[iC].id)})
		must(t, err, "ListMultipartUploads key-marker + upload-id-marker")
		if got := toUploads(out.Uploads); !slices.Equal(got, full[iC+1:]) {
			t.Errorf("key-marker c upload-id-marker %s = %v, want %v", full[iC].id, got, full[iC+1:])
		}
	})
}
