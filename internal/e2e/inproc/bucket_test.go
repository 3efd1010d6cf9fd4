package inproc

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestCreateBucket(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		valid := []string{"abc", "my-bucket-01", "a.b.c", strings.Repeat("a", 63), "0numeric1"}
		for _, name := range valid {
			if _, err := c.s3.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
				t.Errorf("CreateBucket(%q): %v", name, err)
				continue
			}
			if _, err := c.s3.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String(name)}); err != nil {
				t.Errorf("HeadBucket(%q) after create: %v", name, err)
			}
		}

		invalid := []string{
			"ab",                    // too short
			strings.Repeat("a", 64), // too long
			"UpperCase",             // upper case
			"under_score",           // underscore
			"-leading-hyphen",       // must start with letter or digit
			"trailing-hyphen-",      // must end with letter or digit
			"double..dot",           // adjacent periods
			"192.168.5.4",           // IP address
			"xn--punycode-prefix",   // reserved prefix
			"sthree-reserved",       // reserved prefix
			"bucket-s3alias",        // reserved suffix
			"bucket--ol-s3",         // reserved suffix
		}
		for _, name := range invalid {
			_, err := c.s3.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(name)}, func(o *s3.Options) {
				// The SDK puts some invalid names in the Host; no
				// certificate can cover those, so over TLS send them
				// path-style.
				o.UsePathStyle = o.UsePathStyle || c.tls
			})
			if err == nil {
				t.Errorf("CreateBucket(%q) succeeded, want 400 InvalidBucketName", name)
				continue
			}
			t.Run(name, func(t *testing.T) { wantAPIError(t, err, http.StatusBadRequest, "InvalidBucketName") })
		}

		_, err := c.s3.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("abc")})
		wantAPIError(t, err, http.StatusConflict, "BucketAlreadyOwnedByYou")

		out, err := c.s3.ListBuckets(ctx(t), &s3.ListBucketsInput{})
		must(t, err, "ListBuckets")
		var names []string
		for _, b := range out.Buckets {
			names = append(names, str(b.Name))
			if b.CreationDate == nil || b.CreationDate.IsZero() {
				t.Errorf("bucket %s has no CreationDate", str(b.Name))
			}
		}
		want := slices.Clone(valid)
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Errorf("ListBuckets = %q, want %q", names, want)
		}
	})
}

func TestBucketLocation(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "loc")
		out, err := c.s3.GetBucketLocation(ctx(t), &s3.GetBucketLocationInput{Bucket: aws.String(b)})
		must(t, err, "GetBucketLocation")
		// Buckets in us-east-1 have a null LocationConstraint.
		if out.LocationConstraint != "" {
			t.Errorf("LocationConstraint = %q, want empty for us-east-1", out.LocationConstraint)
		}
		_, err = c.s3.GetBucketLocation(ctx(t), &s3.GetBucketLocationInput{Bucket: aws.String("no-such-bucket-here")})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchBucket")
	})
}

func TestBucketLocationConstraint(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{region: "eu-west-1"}, func(t *testing.T, c *client) {
		_, err := c.s3.CreateBucket(ctx(t), &s3.CreateBucketInput{
			Bucket: aws.String("in-eu-west-1"),
			CreateBucketConfiguration: &types.CreateBucketConfiguration{
				LocationConstraint: types.BucketLocationConstraintEuWest1,
			},
		})
		must(t, err, "CreateBucket with LocationConstraint eu-west-1")
		out, err := c.s3.GetBucketLocation(ctx(t), &s3.GetBucketLocationInput{Bucket: aws.String("in-eu-west-1")})
		must(t, err, "GetBucketLocation")
		if out.LocationConstraint != types.BucketLocationConstraintEuWest1 {
			t.Errorf("LocationConstraint = %q, want eu-west-1", out.LocationConstraint)
		}
		// A constraint naming another region than the endpoint's.
		_, err = c.s3.CreateBucket(ctx(t), &s3.CreateBucketInput{
			Bucket: aws.String("elsewhere"),
			CreateBucketConfiguration: &types.CreateBucketConfiguration{
				LocationConstraint: types.BucketLocationConstraintApSouth1,
			},
		})
		wantAPIError(t, err, http.StatusBadRequest, "IllegalLocationConstraintException")
	})
}

func TestHeadAndDeleteBucket(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		_, err := c.s3.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String("missing-bucket")})
		wantAPIError(t, err, http.StatusNotFound, "")
		_, err = c.s3.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: aws.String("missing-bucket")})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchBucket")

		b := c.mkBucket(t, "del")
		c.put(t, b, "k1", []byte("x"))
		_, err = c.s3.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: aws.String(b)})
		wantAPIError(t, err, http.StatusConflict, "BucketNotEmpty")
		if _, err := c.s3.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Errorf("HeadBucket after failed delete: %v", err)
		}

		_, err = c.s3.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("k1")})
		must(t, err, "DeleteObject")
		_, err = c.s3.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: aws.String(b)})
		must(t, err, "DeleteBucket of the emptied bucket")
		_, err = c.s3.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: aws.String(b)})
		wantAPIError(t, err, http.StatusNotFound, "")
		_, err = c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: strings.NewReader("x")})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchBucket")

		// A raw DELETE answers 204 No Content.
		b2 := c.mkBucket(t, "raw")
		req := newRequest(t, http.MethodDelete, c.url(b2, "", ""), nil)
		c.signBody(t, req, nil)
		resp, body := c.do(t, req)
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("raw DeleteBucket: %d %q, want 204", resp.StatusCode, body)
		}
	})
}

func TestListBuckets(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		names := []string{"lb-c", "lb-a", "other-x", "lb-b", "lb-d", "zz-last"}
		for _, n := range names {
			_, err := c.s3.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(n)})
			must(t, err, "CreateBucket "+n)
		}
		all, err := c.s3.ListBuckets(ctx(t), &s3.ListBucketsInput{})
		must(t, err, "ListBuckets")
		if all.Owner == nil || str(all.Owner.ID) == "" {
			t.Errorf("ListBuckets Owner = %+v, want an owner ID", all.Owner)
		}
		sorted := slices.Sorted(slices.Values(names))
		if got := bucketNames(all.Buckets); !slices.Equal(got, sorted) {
			t.Errorf("ListBuckets = %q, want %q", got, sorted)
		}
		if all.ContinuationToken != nil {
			t.Errorf("unpaged ListBuckets returned ContinuationToken %q", *all.ContinuationToken)
		}

		for _, max := range []int32{1, 2, 4} {
			var got []string
			var token *string
			for page := 0; ; page++ {
				out, err := c.s3.ListBuckets(ctx(t), &s3.ListBucketsInput{MaxBuckets: aws.Int32(max), ContinuationToken: token})
				must(t, err, "ListBuckets page")
				if len(out.Buckets) > int(max) {
					t.Errorf("MaxBuckets %d: page has %d buckets", max, len(out.Buckets))
				}
				got = append(got, bucketNames(out.Buckets)...)
				token = out.ContinuationToken
				if token == nil || *token == "" || page > len(names) {
					break
				}
			}
			if !slices.Equal(got, sorted) {
				t.Errorf("MaxBuckets %d paged listing = %q, want %q", max, got, sorted)
			}
		}

		out, err := c.s3.ListBuckets(ctx(t), &s3.ListBucketsInput{Prefix: aws.String("lb-")})
		must(t, err, "ListBuckets prefix")
		if got := bucketNames(out.Buckets); !slices.Equal(got, []string{"lb-a", "lb-b", "lb-c", "lb-d"}) {
			t.Errorf("ListBuckets prefix lb- = %q", got)
		}
		if str(out.Prefix) != "lb-" {
			t.Errorf("ListBuckets Prefix echoed %q, want lb-", str(out.Prefix))
		}
		out, err = c.s3.ListBuckets(ctx(t), &s3.ListBucketsInput{Prefix: aws.String("lb-"), MaxBuckets: aws.Int32(3)})
		must(t, err, "ListBuckets prefix+max")
		if got := bucketNames(out.Buckets); !slices.Equal(got, []string{"lb-a", "lb-b", "lb-c"}) || out.ContinuationToken == nil {
			t.Fatalf("ListBuckets prefix lb- max 3 = %q token %v", got, out.ContinuationToken)
		}
		out, err = c.s3.ListBuckets(ctx(t), &s3.ListBucketsInput{Prefix: aws.String("lb-"), MaxBuckets: aws.Int32(3), ContinuationToken: out.ContinuationToken})
		must(t, err, "ListBuckets prefix+max page 2")
		if got := bucketNames(out.Buckets); !slices.Equal(got, []string{"lb-d"}) || out.ContinuationToken != nil {
			t.Errorf("ListBuckets prefix lb- page 2 = %q token %v", got, out.ContinuationToken)
		}
	})
}

func bucketNames(bs []types.Bucket) []string {
	var out []string
	for _, b := range bs {
		out = append(out, str(b.Name))
	}
	return out
}

func TestBucketVersioningConfig(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "ver")
		out, err := c.s3.GetBucketVersioning(ctx(t), &s3.GetBucketVersioningInput{Bucket: aws.String(b)})
		must(t, err, "GetBucketVersioning")
		if out.Status != "" {
			t.Errorf("new bucket versioning Status = %q, want unset", out.Status)
		}
		for _, st := range []types.BucketVersioningStatus{types.BucketVersioningStatusEnabled, types.BucketVersioningStatusSuspended, types.BucketVersioningStatusEnabled} {
			_, err := c.s3.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{
				Bucket:                  aws.String(b),
				VersioningConfiguration: &types.VersioningConfiguration{Status: st},
			})
			must(t, err, "PutBucketVersioning "+string(st))
			out, err := c.s3.GetBucketVersioning(ctx(t), &s3.GetBucketVersioningInput{Bucket: aws.String(b)})
			must(t, err, "GetBucketVersioning")
			if out.Status != st {
				t.Errorf("Status = %q, want %q", out.Status, st)
			}
		}
		_, err = c.s3.GetBucketVersioning(ctx(t), &s3.GetBucketVersioningInput{Bucket: aws.String("nope-bucket")})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchBucket")
	})
}

func TestBucketTagging(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "tags")
		_, err := c.s3.GetBucketTagging(ctx(t), &s3.GetBucketTaggingInput{Bucket: aws.String(b)})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchTagSet")

		want := map[string]string{"env": "test", "team": "storage", "empty": "", "spaces key": "a value / with: symbols+="}
		var set []types.Tag
		for k, v := range want {
			set = append(set, types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		_, err = c.s3.PutBucketTagging(ctx(t), &s3.PutBucketTaggingInput{Bucket: aws.String(b), Tagging: &types.Tagging{TagSet: set}})
		must(t, err, "PutBucketTagging")
		out, err := c.s3.GetBucketTagging(ctx(t), &s3.GetBucketTaggingInput{Bucket: aws.String(b)})
		must(t, err, "GetBucketTagging")
		if got := tagMap(out.TagSet); !maps.Equal(got, want) {
			t.Errorf("GetBucketTagging = %v, want %v", got, want)
		}

		// Put replaces the whole set.
		_, err = c.s3.PutBucketTagging(ctx(t), &s3.PutBucketTaggingInput{Bucket: aws.String(b), Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("only"), Value: aws.String("one")}}}})
		must(t, err, "PutBucketTagging replace")
		out, err = c.s3.GetBucketTagging(ctx(t), &s3.GetBucketTaggingInput{Bucket: aws.String(b)})
		must(t, err, "GetBucketTagging")
		if got := tagMap(out.TagSet); !maps.Equal(got, map[string]string{"only": "one"}) {
			t.Errorf("GetBucketTagging after replace = %v", got)
		}

		// Duplicate keys are rejected.
		_, err = c.s3.PutBucketTagging(ctx(t), &s3.PutBucketTaggingInput{Bucket: aws.String(b), Tagging: &types.Tagging{TagSet: []types.Tag{
			{Key: aws.String("dup"), Value: aws.String("1")}, {Key: aws.String("dup"), Value: aws.String("2")},
		}}})
		wantAPIError(t, err, http.StatusBadRequest, "InvalidTag")

		_, err = c.s3.DeleteBucketTagging(ctx(t), &s3.DeleteBucketTaggingInput{Bucket: aws.String(b)})
		must(t, err, "DeleteBucketTagging")
		_, err = c.s3.GetBucketTagging(ctx(t), &s3.GetBucketTaggingInput{Bucket: aws.String(b)})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchTagSet")
	})
}

func tagMap(ts []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range ts {
		m[str(t.Key)] = str(t.Value)
	}
	return m
}
