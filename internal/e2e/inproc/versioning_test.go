package inproc

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func (c *client) setVersioning(t testing.TB, bucket string, st types.BucketVersioningStatus) {
	t.Helper()
	_, err := c.s3.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: aws.String(bucket), VersioningConfiguration: &types.VersioningConfiguration{Status: st}})
	must(t, err, "PutBucketVersioning "+string(st))
}

// putV stores body and returns the new version ID.
func (c *client) putV(t testing.TB, bucket, key, body string) string {
	t.Helper()
	out, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
	must(t, err, "PutObject")
	return str(out.VersionId)
}

// getV returns the body and version ID of a (version of an) object.
func (c *client) getV(t testing.TB, bucket, key, version string) (string, string) {
	t.Helper()
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if version != "" {
		in.VersionId = aws.String(version)
	}
	out, err := c.s3.GetObject(ctx(t), in)
	must(t, err, fmt.Sprintf("GetObject %s version %q", key, version))
	return string(readAll(t, out.Body)), str(out.VersionId)
}

// versionEntry is one row of ListObjectVersions.
type versionEntry struct {
	key, id string
	marker  bool
	latest  bool
}

func (c *client) listVersions(t testing.TB, in *s3.ListObjectVersionsInput) ([]versionEntry, *s3.ListObjectVersionsOutput) {
	t.Helper()
	out, err := c.s3.ListObjectVersions(ctx(t), in)
	must(t, err, "ListObjectVersions")
	var es []versionEntry
	for _, v := range out.Versions {
		es = append(es, versionEntry{str(v.Key), str(v.VersionId), false, boolv(v.IsLatest)})
	}
	for _, m := range out.DeleteMarkers {
		es = append(es, versionEntry{str(m.Key), str(m.VersionId), true, boolv(m.IsLatest)})
	}
	return es, out
}

func TestVersioningEnabled(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "vers")
		c.put(t, b, "pre", []byte("before versioning"))
		c.setVersioning(t, b, types.BucketVersioningStatusEnabled)

		v1, v2, v3 := c.putV(t, b, "k", "one"), c.putV(t, b, "k", "two"), c.putV(t, b, "k", "three")
		if v1 == "" || v1 == "null" || v1 == v2 || v2 == v3 || v1 == v3 {
			t.Fatalf("version IDs %q %q %q: want three distinct real IDs", v1, v2, v3)
		}
		if body, id := c.getV(t, b, "k", ""); body != "three" || id != v3 {
			t.Errorf("GET k = %q version %q, want three %s", body, id, v3)
		}
		for _, tt := range []struct{ id, body string }{{v1, "one"}, {v2, "two"}, {v3, "three"}} {
			if body, id := c.getV(t, b, "k", tt.id); body != tt.body || id != tt.id {
				t.Errorf("GET k?versionId=%s = %q version %q", tt.id, body, id)
			}
		}
		h, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(v2)})
		must(t, err, "HeadObject versionId")
		if i64(h.ContentLength) != 3 || str(h.VersionId) != v2 || str(h.ETag) != md5ETag([]byte("two")) {
			t.Errorf("HEAD v2: length %d version %q ETag %s", i64(h.ContentLength), str(h.VersionId), str(h.ETag))
		}

		es, _ := c.listVersions(t, &s3.ListObjectVersionsInput{Bucket: aws.String(b)})
		want := []versionEntry{{"k", v3, false, true}, {"k", v2, false, false}, {"k", v1, false, false}, {"pre", "null", false, true}}
		if !slices.Equal(es, want) {
			t.Errorf("ListObjectVersions = %+v, want %+v", es, want)
		}

		// Deleting a version removes it for good.
		d, err := c.s3.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(v2)})
		must(t, err, "DeleteObject versionId")
		if str(d.VersionId) != v2 || boolv(d.DeleteMarker) {
			t.Errorf("DeleteObject v2 answered version %q delete-marker %v", str(d.VersionId), boolv(d.DeleteMarker))
		}
		_, err = c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(v2)})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchVersion")

		// Deleting without a version ID adds a delete marker.
		d, err = c.s3.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
		must(t, err, "DeleteObject")
		marker := str(d.VersionId)
		if !boolv(d.DeleteMarker) || marker == "" || marker == v3 {
			t.Fatalf("DeleteObject: delete-marker %v version %q, want a new delete marker", boolv(d.DeleteMarker), marker)
		}
		_, err = c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchKey")
		if errHeader(err, "X-Amz-Delete-Marker") != "true" || errHeader(err, "X-Amz-Version-Id") != marker {
			t.Errorf("GET of a deleted key: x-amz-delete-marker %q x-amz-version-id %q, want true %s", errHeader(err, "X-Amz-Delete-Marker"), errHeader(err, "X-Amz-Version-Id"), marker)
		}
		_, err = c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
		wantAPIError(t, err, http.StatusNotFound, "")
		if errHeader(err, "X-Amz-Delete-Marker") != "true" {
			t.Errorf("HEAD of a deleted key: no x-amz-delete-marker: true")
		}
		_, err = c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(marker)})
		wantAPIError(t, err, http.StatusMethodNotAllowed, "MethodNotAllowed")
		if errHeader(err, "X-Amz-Delete-Marker") != "true" {
			t.Errorf("GET of a delete marker by version: no x-amz-delete-marker: true")
		}
		_, err = c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(marker)})
		wantAPIError(t, err, http.StatusMethodNotAllowed, "")
		if keys := c.listAll(t, b, ""); !slices.Equal(keys, []string{"pre"}) {
			t.Errorf("ListObjectsV2 with k deleted = %q", keys)
		}
		es, _ = c.listVersions(t, &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String("k")})
		slices.SortStableFunc(es, func(a, b versionEntry) int { return strings.Compare(a.id, b.id) })
		wantSet := []versionEntry{{"k", marker, true, true}, {"k", v3, false, false}, {"k", v1, false, false}}
		slices.SortStableFunc(wantSet, func(a, b versionEntry) int { return strings.Compare(a.id, b.id) })
		if !slices.Equal(es, wantSet) {
			t.Errorf("versions after delete = %+v, want %+v", es, wantSet)
		}

		// Deleting the delete marker brings the object back.
		d, err = c.s3.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(marker)})
		must(t, err, "DeleteObject of the delete marker")
		if !boolv(d.DeleteMarker) || str(d.VersionId) != marker {
			t.Errorf("deleting the marker answered delete-marker %v version %q", boolv(d.DeleteMarker), str(d.VersionId))
		}
		if body, id := c.getV(t, b, "k", ""); body != "three" || id != v3 {
			t.Errorf("after removing the marker GET k = %q %q, want three %s", body, id, v3)
		}

		t.Run("copy a version", func(t *testing.T) {
			out, err := c.s3.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("from-v1"), CopySource: aws.String(b + "/k?versionId=" + url.QueryEscape(v1))})
			must(t, err, "CopyObject of a version")
			if str(out.CopySourceVersionId) != v1 || str(out.VersionId) == "" {
				t.Errorf("CopyObject: source version %q new version %q", str(out.CopySourceVersionId), str(out.VersionId))
			}
			if body, _ := c.getV(t, b, "from-v1", ""); body != "one" {
				t.Errorf("copy of v1 = %q", body)
			}
		})

		t.Run("DeleteObjects with versions", func(t *testing.T) {
			c.putV(t, b, "other", "x")
			out, err := c.s3.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
				{Key: aws.String("k"), VersionId: aws.String(v1)},
				{Key: aws.String("other")},
			}}})
			must(t, err, "DeleteObjects")
			if len(out.Deleted) != 2 || len(out.Errors) != 0 {
				t.Fatalf("DeleteObjects: %d deleted, %d errors", len(out.Deleted), len(out.Errors))
			}
			for _, d := range out.Deleted {
				switch str(d.Key) {
				case "k":
					if str(d.VersionId) != v1 || boolv(d.DeleteMarker) {
						t.Errorf("deleted k: version %q marker %v", str(d.VersionId), boolv(d.DeleteMarker))
					}
				case "other":
					if !boolv(d.DeleteMarker) || str(d.DeleteMarkerVersionId) == "" {
						t.Errorf("deleted other: marker %v marker version %q", boolv(d.DeleteMarker), str(d.DeleteMarkerVersionId))
					}
				default:
					t.Errorf("unexpected deleted key %q", str(d.Key))
				}
			}
			_, err = c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), VersionId: aws.String(v1)})
			wantAPIError(t, err, http.StatusNotFound, "NoSuchVersion")
		})

		t.Run("bucket with versions is not empty", func(t *testing.T) {
			b2 := c.mkBucket(t, "vempty")
			c.setVersioning(t, b2, types.BucketVersioningStatusEnabled)
			c.putV(t, b2, "x", "x")
			_, err := c.s3.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(b2), Key: aws.String("x")})
			must(t, err, "DeleteObject")
			_, err = c.s3.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: aws.String(b2)})
			wantAPIError(t, err, http.StatusConflict, "BucketNotEmpty")
		})
	})
}

func TestVersioningSuspended(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "susp")
		c.setVersioning(t, b, types.BucketVersioningStatusEnabled)
		va := c.putV(t, b, "k", "versioned")
		c.setVersioning(t, b, types.BucketVersioningStatusSuspended)

		c.putV(t, b, "k", "null one")
		es, _ := c.listVersions(t, &s3.ListObjectVersionsInput{Bucket: aws.String(b)})
		want := []versionEntry{{"k", "null", false, true}, {"k", va, false, false}}
		if !slices.Equal(es, want) {
			t.Errorf("after a suspended PUT: %+v, want %+v", es, want)
		}
		c.putV(t, b, "k", "null two")
		es, out := c.listVersions(t, &s3.ListObjectVersionsInput{Bucket: aws.String(b)})
		if !slices.Equal(es, want) {
			t.Errorf("a second suspended PUT must replace the null version: %+v, want %+v", es, want)
		} else if str(out.Versions[0].ETag) != md5ETag([]byte("null two")) {
			t.Errorf("null version ETag %s, want the second PUT's", str(out.Versions[0].ETag))
		}
		if body, _ := c.getV(t, b, "k", "null"); body != "null two" {
			t.Errorf("GET versionId=null = %q", body)
		}
		if body, _ := c.getV(t, b, "k", va); body != "versioned" {
			t.Errorf("GET of the older real version = %q", body)
		}

		// A delete in a suspended bucket puts a null delete marker in
		// place of the null version.
		d, err := c.s3.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
		must(t, err, "DeleteObject")
		if !boolv(d.DeleteMarker) || str(d.VersionId) != "null" {
			t.Errorf("suspended delete: marker %v version %q, want true null", boolv(d.DeleteMarker), str(d.VersionId))
		}
		es, _ = c.listVersions(t, &s3.ListObjectVersionsInput{Bucket: aws.String(b)})
		slices.SortStableFunc(es, func(a, b versionEntry) int { return strings.Compare(a.id, b.id) })
		want = []versionEntry{{"k", "null", true, true}, {"k", va, false, false}}
		slices.SortStableFunc(want, func(a, b versionEntry) int { return strings.Compare(a.id, b.id) })
		if !slices.Equal(es, want) {
			t.Errorf("after suspended delete: %+v, want %+v", es, want)
		}
	})
}

func TestListObjectVersionsPaging(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "lov")
		c.setVersioning(t, b, types.BucketVersioningStatusEnabled)
		del := func(key string) string {
			d, err := c.s3.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
			must(t, err, "DeleteObject")
			return str(d.VersionId)
		}
		a1, a2, a3 := c.putV(t, b, "a", "a1"), c.putV(t, b, "a", "a2"), c.putV(t, b, "a", "a3")
		ma := del("a")
		b1 := c.putV(t, b, "b", "b1")
		mb := del("b")
		b2 := c.putV(t, b, "b", "b2")
		c1 := c.putV(t, b, "c/d", "c1")
		// Keys ascending, each key's versions newest first.
		want := []versionEntry{
			{"a", ma, true, true}, {"a", a3, false, false}, {"a", a2, false, false}, {"a", a1, false, false},
			{"b", b2, false, true}, {"b", mb, true, false}, {"b", b1, false, false},
			{"c/d", c1, false, true},
		}

		var got []versionEntry
		var km, vm *string
		for page := 0; page < 20; page++ {
			es, out := c.listVersions(t, &s3.ListObjectVersionsInput{Bucket: aws.String(b), MaxKeys: aws.Int32(1), KeyMarker: km, VersionIdMarker: vm})
			if len(es) != 1 {
				t.Fatalf("max-keys 1 page %d: %d entries", page, len(es))
			}
			got = append(got, es...)
			if !boolv(out.IsTruncated) {
				break
			}
			km, vm = out.NextKeyMarker, out.NextVersionIdMarker
			if str(km) != es[0].key || str(vm) != es[0].id {
				t.Fatalf("page %d: next markers %q/%q, want %q/%q", page, str(km), str(vm), es[0].key, es[0].id)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("max-keys 1 paging:\n got %+v\nwant %+v", got, want)
		}

		for _, max := range []int32{2, 3, 5} {
			var got []versionEntry
			km, vm = nil, nil
			for page := 0; page < 20; page++ {
				es, out := c.listVersions(t, &s3.ListObjectVersionsInput{Bucket: aws.String(b), MaxKeys: aws.Int32(max), KeyMarker: km, VersionIdMarker: vm})
				if len(es) > int(max) {
					t.Fatalf("max-keys %d: %d entries", max, len(es))
				}
				got = append(got, es...)
				if !boolv(out.IsTruncated) {
					break
				}
				km, vm = out.NextKeyMarker, out.NextVersionIdMarker
			}
			bySet := func(es []versionEntry) []versionEntry {
				es = slices.Clone(es)
				slices.SortFunc(es, func(a, b versionEntry) int { return strings.Compare(a.key+"\x00"+a.id, b.key+"\x00"+b.id) })
				return es
			}
			if !slices.Equal(bySet(got), bySet(want)) {
				t.Errorf("max-keys %d paging: got %+v", max, got)
			}
		}

		es, _ := c.listVersions(t, &s3.ListObjectVersionsInput{Bucket: aws.String(b), KeyMarker: aws.String("b")})
		if !slices.Equal(es, want[7:]) {
			t.Errorf("key-marker b = %+v, want %+v", es, want[7:])
		}
		es, _ = c.listVersions(t, &s3.ListObjectVersionsInput{Bucket: aws.String(b), KeyMarker: aws.String("a"), VersionIdMarker: aws.String(a3), MaxKeys: aws.Int32(2)})
		if !slices.Equal(es, want[2:4]) {
			t.Errorf("key-marker a version-id-marker a3 = %+v, want %+v", es, want[2:4])
		}
		es, out := c.listVersions(t, &s3.ListObjectVersionsInput{Bucket: aws.String(b), Delimiter: aws.String("/")})
		if len(out.CommonPrefixes) != 1 || str(out.CommonPrefixes[0].Prefix) != "c/" || len(es) != 7 {
			t.Errorf("delimiter /: %d entries, prefixes %v", len(es), out.CommonPrefixes)
		}
		es, _ = c.listVersions(t, &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String("b")})
		slices.SortFunc(es, func(x, y versionEntry) int { return strings.Compare(x.id, y.id) })
		wb := slices.Clone(want[4:7])
		slices.SortFunc(wb, func(x, y versionEntry) int { return strings.Compare(x.id, y.id) })
		if !slices.Equal(es, wb) {
			t.Errorf("prefix b = %+v, want %+v", es, wb)
		}
	})
}
