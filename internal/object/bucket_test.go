package object

import (
	"fmt"
	"strings"
	"testing"

	"github.com/coffer-project/coffer/internal/meta"
)

func TestCreateBucket(t *testing.T) {
	e := newEnv(t)
	e.bucket("shared", "")
	tests := []struct {
		name, owner, bucket string
		want                error
	}{
		{"new bucket", owner, "fresh", nil},
		{"same owner again", owner, "shared", ErrBucketAlreadyOwnedByYou},
		{"other owner", "444455556666", "shared", ErrBucketAlreadyExists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, e.svc.CreateBucket(e.ctx, tt.owner, tt.bucket, "eu-west-1"), tt.want)
		})
	}
	b, err := e.svc.HeadBucket(e.ctx, "fresh")
	wantErr(t, err, nil)
	if b.Owner != owner || b.Region != "eu-west-1" || b.Created.IsZero() {
		t.Errorf("HeadBucket = %+v", b)
	}
	_, err = e.svc.HeadBucket(e.ctx, "missing")
	wantErr(t, err, ErrNoSuchBucket)
}

func TestDeleteBucket(t *testing.T) {
	e := newEnv(t)
	e.bucket("full", "")
	e.bucket("empty", "")
	e.put("full", "k", "x")
	wantErr(t, e.svc.DeleteBucket(e.ctx, "full"), ErrBucketNotEmpty)
	wantErr(t, e.svc.DeleteBucket(e.ctx, "empty"), nil)
	wantErr(t, e.svc.DeleteBucket(e.ctx, "empty"), ErrNoSuchBucket)
	if _, err := e.svc.DeleteObject(e.ctx, DeleteInput{Bucket: "full", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.svc.DeleteBucket(e.ctx, "full"), nil)
}

func TestListBuckets(t *testing.T) {
	e := newEnv(t)
	var all []string
	for i := range 7 {
		name := fmt.Sprintf("bucket-%d", i)
		e.bucket(name, "")
		all = append(all, name)
	}
	if err := e.svc.CreateBucket(e.ctx, "999999999999", "zz-other", ""); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{1, 3, 7, 100} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			var got []string
			after := ""
			for {
				bs, more, err := e.svc.ListBuckets(e.ctx, owner, "", after, limit)
				wantErr(t, err, nil)
				if len(bs) > limit {
					t.Fatalf("page of %d > limit %d", len(bs), limit)
				}
				for _, b := range bs {
					got = append(got, b.Name)
				}
				if !more {
					break
				}
				after = bs[len(bs)-1].Name
			}
			if strings.Join(got, ",") != strings.Join(all, ",") {
				t.Errorf("got %v, want %v", got, all)
			}
		})
	}
	bs, _, err := e.svc.ListBuckets(e.ctx, owner, "bucket-5", "", 0)
	wantErr(t, err, nil)
	if len(bs) != 1 || bs[0].Name != "bucket-5" {
		t.Errorf("prefix listing = %v", bs)
	}
}

func TestPutBucketVersioning(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "")
	tests := []struct {
		name, status string
		want         error
		wantState    string
	}{
		{"enable", meta.VersioningEnabled, nil, meta.VersioningEnabled},
		{"suspend", meta.VersioningSuspended, nil, meta.VersioningSuspended},
		{"cannot return to unversioned", "", ErrInvalidArgument, meta.VersioningSuspended},
		{"unknown status", "Disabled", ErrInvalidArgument, meta.VersioningSuspended},
		{"enable again", meta.VersioningEnabled, nil, meta.VersioningEnabled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, e.svc.PutBucketVersioning(e.ctx, "b", tt.status), tt.want)
			b, err := e.svc.HeadBucket(e.ctx, "b")
			wantErr(t, err, nil)
			if b.Versioning != tt.wantState {
				t.Errorf("versioning = %q, want %q", b.Versioning, tt.wantState)
			}
		})
	}
	wantErr(t, e.svc.PutBucketVersioning(e.ctx, "missing", meta.VersioningEnabled), ErrNoSuchBucket)
}

func TestPutBucketTagging(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "")
	many := make([]meta.Tag, MaxTagsBucket+1)
	for i := range many {
		many[i] = meta.Tag{Key: fmt.Sprint("k", i), Value: "v"}
	}
	tests := []struct {
		name string
		tags []meta.Tag
		want error
	}{
		{"two tags", []meta.Tag{{Key: "env", Value: "prod"}, {Key: "team", Value: "storage"}}, nil},
		{"fifty tags", many[:MaxTagsBucket], nil},
		{"fifty-one tags", many, ErrInvalidTag},
		{"duplicate key", []meta.Tag{{Key: "a", Value: "1"}, {Key: "a", Value: "2"}}, ErrInvalidTag},
		{"empty key", []meta.Tag{{Key: "", Value: "1"}}, ErrInvalidTag},
		{"key too long", []meta.Tag{{Key: strings.Repeat("k", 129), Value: "1"}}, ErrInvalidTag},
		{"value too long", []meta.Tag{{Key: "k", Value: strings.Repeat("v", 257)}}, ErrInvalidTag},
		{"aws prefix", []meta.Tag{{Key: "aws:cloudformation", Value: "1"}}, ErrInvalidTag},
		{"delete", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := e.svc.HeadBucket(e.ctx, "b")
			wantErr(t, e.svc.PutBucketTagging(e.ctx, "b", tt.tags), tt.want)
			after, _ := e.svc.HeadBucket(e.ctx, "b")
			want := tt.tags
			if tt.want != nil {
				want = before.Tags
			}
			if fmt.Sprint(after.Tags) != fmt.Sprint(want) {
				t.Errorf("tags = %v, want %v", after.Tags, want)
			}
		})
	}
}
