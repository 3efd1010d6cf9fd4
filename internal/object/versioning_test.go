package object

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/coffer-project/coffer/internal/meta"
)

// versionsOf lists the versions of key, newest first, as "id:body" (or
// "id:DM" for delete markers), with the latest marked by a star.
func (e *env) versionsOf(bucket, key string) string {
	e.t.Helper()
	res, err := e.svc.ListObjectVersions(e.ctx, VersionListInput{Bucket: bucket, Prefix: key, MaxKeys: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, v := range res.Versions {
		if v.Key != key {
			continue
		}
		id := v.VersionID
		if id != meta.NullVersionID {
			id = "v"
		}
		s := id + ":"
		if v.DeleteMarker {
			s += "DM"
		} else {
			s += e.get(bucket, key, v.VersionID)
		}
		if v.IsLatest {
			s += "*"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func TestVersioningSequence(t *testing.T) { eachStorage(t, testVersioningSequence) }

func testVersioningSequence(t *testing.T, inlineMax int64) {
	e := newEnvWith(t, inlineMax)
	e.bucket("b", "")
	del := func(versionID string) DeleteResult {
		t.Helper()
		res, err := e.svc.DeleteObject(e.ctx, DeleteInput{Bucket: "b", Key: "k", VersionID: versionID})
		if err != nil {
			t.Fatalf("DeleteObject(%q): %v", versionID, err)
		}
		return res
	}
	setVersioning := func(s string) {
		t.Helper()
		if err := e.svc.PutBucketVersioning(e.ctx, "b", s); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step, want string) {
		t.Helper()
		if got := e.versionsOf("b", "k"); got != want {
			t.Errorf("after %s: versions %q, want %q", step, got, want)
		}
	}

	e.put("b", "k", "a")
	e.put("b", "k", "b")
	check("two unversioned puts", "null:b*")

	setVersioning(meta.VersioningEnabled)
	v1 := e.put("b", "k", "c")
	if v1.VersionID == meta.NullVersionID || len(v1.VersionID) != 32 {
		t.Errorf("versioned put got version ID %q", v1.VersionID)
	}
	check("versioned put", "v:c* null:b")

	dm := del("")
	if !dm.DeleteMarker || dm.VersionID == "" || dm.VersionID == meta.NullVersionID || dm.DeleteMarkerVersionID != dm.VersionID {
		t.Errorf("delete result = %+v", dm)
	}
	check("versioned delete", "v:DM* v:c null:b")

	_, err := e.svc.GetObject(e.ctx, GetInput{Bucket: "b", Key: "k"})
	var dme *DeleteMarkerError
	if !errors.As(err, &dme) || !errors.Is(err, ErrNoSuchKey) || dme.Marker.VersionID != dm.VersionID {
		t.Errorf("GET of deleted key: %v", err)
	}
	_, err = e.svc.HeadObject(e.ctx, GetInput{Bucket: "b", Key: "k", VersionID: dm.VersionID})
	if !errors.As(err, &dme) || !errors.Is(err, ErrMethodNotAllowed) {
		t.Errorf("HEAD of a delete marker by version: %v", err)
	}
	_, err = e.svc.GetVersion(e.ctx, "b", "k", dm.VersionID)
	wantErr(t, err, ErrMethodNotAllowed)
	if got := e.get("b", "k", v1.VersionID); got != "c" {
		t.Errorf("old version = %q", got)
	}
	if got := e.get("b", "k", meta.NullVersionID); got != "b" {
		t.Errorf("null version = %q", got)
	}
	list, err := e.svc.ListObjects(e.ctx, ListInput{Bucket: "b", MaxKeys: 1000})
	wantErr(t, err, nil)
	if len(list.Objects) != 0 {
		t.Errorf("ListObjects shows a deleted key: %+v", list.Objects)
	}

	res := del(dm.VersionID)
	if !res.DeleteMarker || res.VersionID != dm.VersionID || res.DeleteMarkerVersionID != dm.VersionID {
		t.Errorf("removing the marker: %+v", res)
	}
	check("removing the delete marker", "v:c* null:b")
	if got := e.get("b", "k", ""); got != "c" {
		t.Errorf("restored = %q", got)
	}

	setVersioning(meta.VersioningSuspended)
	e.put("b", "k", "d")
	check("suspended put replaces the null version", "null:d* v:c")
	e.put("b", "k", "e")
	check("second suspended put", "null:e* v:c")

	res = del("")
	if !res.DeleteMarker || res.VersionID != meta.NullVersionID {
		t.Errorf("suspended delete: %+v", res)
	}
	check("suspended delete", "null:DM* v:c")
	del("")
	check("second suspended delete", "null:DM* v:c")

	res = del(v1.VersionID)
	if res.DeleteMarker || res.VersionID != v1.VersionID {
		t.Errorf("permanent delete: %+v", res)
	}
	check("permanent delete", "null:DM*")
	res = del(v1.VersionID)
	if res.VersionID != v1.VersionID {
		t.Errorf("deleting a version that is gone again: %+v", res)
	}

	setVersioning(meta.VersioningEnabled)
	v2 := e.put("b", "k", "f")
	check("put after re-enabling", "v:f* null:DM")
	del(meta.NullVersionID)
	check("deleting the null marker by ID", "v:f*")
	del(v2.VersionID)
	check("deleting the last version", "")
	_, err = e.svc.HeadObject(e.ctx, GetInput{Bucket: "b", Key: "k"})
	wantErr(t, err, ErrNoSuchKey)
	e.assertNoGarbage("b")
	if n := len(e.blobs()); n != 0 {
		t.Errorf("%d blobs left", n)
	}
}

func TestDeleteObjectUnversioned(t *testing.T) { eachStorage(t, testDeleteObjectUnversioned) }

func testDeleteObjectUnversioned(t *testing.T, inlineMax int64) {
	e := newEnvWith(t, inlineMax)
	e.bucket("b", "")
	e.put("b", "k", "x")
	for _, step := range []string{"existing key", "key already gone"} {
		t.Run(step, func(t *testing.T) {
			res, err := e.svc.DeleteObject(e.ctx, DeleteInput{Bucket: "b", Key: "k"})
			wantErr(t, err, nil)
			if res.DeleteMarker || res.VersionID != "" || res.Key != "k" {
				t.Errorf("result = %+v", res)
			}
			_, err = e.svc.HeadObject(e.ctx, GetInput{Bucket: "b", Key: "k"})
			wantErr(t, err, ErrNoSuchKey)
		})
	}
	_, err := e.svc.DeleteObject(e.ctx, DeleteInput{Bucket: "nope", Key: "k"})
	wantErr(t, err, ErrNoSuchBucket)
	e.assertNoGarbage("b")
}

func TestDeleteObjects(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", meta.VersioningEnabled)
	var items []DeleteInput
	for i := range 20 {
		key := fmt.Sprintf("k%02d", i)
		v := e.put("b", key, key)
		in := DeleteInput{Key: key}
		if i%2 == 1 {
			in.VersionID = v.VersionID
		}
		items = append(items, in)
	}
	items = append(items, DeleteInput{Key: "k00", IfMatch: `"nope"`})
	res, err := e.svc.DeleteObjects(e.ctx, "b", items)
	wantErr(t, err, nil)
	if len(res) != len(items) {
		t.Fatalf("%d results for %d items", len(res), len(items))
	}
	for i, r := range res[:20] {
		if r.Err != nil || r.Key != items[i].Key || r.DeleteMarker != (i%2 == 0) {
			t.Errorf("item %d: %+v", i, r)
		}
	}
	if last := res[20]; !errors.Is(last.Err, ErrNoSuchKey) {
		// k00's latest is now a delete marker: If-Match finds no object.
		t.Errorf("conditional item: %+v", last)
	}
	list, _ := e.svc.ListObjects(e.ctx, ListInput{Bucket: "b", MaxKeys: 1000})
	if len(list.Objects) != 0 {
		t.Errorf("%d objects left", len(list.Objects))
	}
	_, err = e.svc.DeleteObjects(e.ctx, "b", make([]DeleteInput, MaxDeleteKeys+1))
	wantErr(t, err, ErrInvalidRequest)
	_, err = e.svc.DeleteObjects(e.ctx, "nope", items[:1])
	wantErr(t, err, ErrNoSuchBucket)
}

func TestPutObjectTagging(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", meta.VersioningEnabled)
	v1 := e.put("b", "k", "1")
	v2 := e.put("b", "k", "2")
	tags := []meta.Tag{{Key: "a", Value: "1"}, {Key: "b", Value: ""}}
	eleven := make([]meta.Tag, MaxTagsObject+1)
	for i := range eleven {
		eleven[i] = meta.Tag{Key: fmt.Sprint(i), Value: "v"}
	}
	tests := []struct {
		name, versionID string
		tags            []meta.Tag
		want            error
		wantVersion     string
	}{
		{"latest", "", tags, nil, v2.VersionID},
		{"older version", v1.VersionID, tags[:1], nil, v1.VersionID},
		{"ten tags", v1.VersionID, eleven[:10], nil, v1.VersionID},
		{"eleven tags", v1.VersionID, eleven, ErrInvalidTag, ""},
		{"duplicate keys", "", []meta.Tag{{Key: "a"}, {Key: "a"}}, ErrInvalidTag, ""},
		{"missing version", "3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrH", tags, ErrNoSuchVersion, ""},
		{"remove", "", nil, nil, v2.VersionID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := e.svc.PutObjectTagging(e.ctx, "b", "k", tt.versionID, tt.tags)
			wantErr(t, err, tt.want)
			if err != nil {
				return
			}
			if id != tt.wantVersion {
				t.Errorf("version = %q, want %q", id, tt.wantVersion)
			}
			v, err := e.svc.GetVersion(e.ctx, "b", "k", id)
			wantErr(t, err, nil)
			if fmt.Sprint(v.Tags) != fmt.Sprint(tt.tags) {
				t.Errorf("tags = %v, want %v", v.Tags, tt.tags)
			}
		})
	}
	dm, err := e.svc.DeleteObject(e.ctx, DeleteInput{Bucket: "b", Key: "k"})
	wantErr(t, err, nil)
	_, err = e.svc.PutObjectTagging(e.ctx, "b", "k", "", tags)
	wantErr(t, err, ErrNoSuchKey)
	_, err = e.svc.PutObjectTagging(e.ctx, "b", "k", dm.VersionID, tags)
	wantErr(t, err, ErrMethodNotAllowed)
	_, err = e.svc.PutObjectTagging(e.ctx, "b", "nope", "", tags)
	wantErr(t, err, ErrNoSuchKey)
}
