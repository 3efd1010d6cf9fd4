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

// listingKeys is a key set of about 1,200 keys with nested "/" prefixes,
// "--" separated names, unicode, spaces, XML-special characters and keys
// that equal a prefix.
func listingKeys() []string {
	var keys []string
	for i := range 400 {
		keys = append(keys, fmt.Sprintf("photos/%02d/img-%04d.jpg", i%20, i))
	}
	for i := range 300 {
		keys = append(keys, fmt.Sprintf("logs--%d--part--%03d", i%7, i))
	}
	for i := range 200 {
		keys = append(keys, fmt.Sprintf("top-%04d", i))
	}
	for i := range 100 {
		keys = append(keys, fmt.Sprintf("unicode/ünï/日本/%03d", i))
	}
	for i := range 100 {
		keys = append(keys, fmt.Sprintf("with space/and+plus/%%percent/%03d", i))
	}
	for i := range 50 {
		keys = append(keys, fmt.Sprintf("a/b/c/d/%02d", i))
	}
	keys = append(keys,
		"photos", "photos/", "a/", "a//double", "z", "Z", "~tilde", "emoji/😀", `sym/&<>"'`, "end/",
		"logs--", "logs----x", "-", "a b", "a+b", "a%2Fb",
	)
	slices.Sort(keys)
	return slices.Compact(keys)
}

// entry is one item of a listing: a key or a common prefix.
type entry struct {
	name   string
	prefix bool
}

func (e entry) String() string {
	if e.prefix {
		return "P:" + e.name
	}
	return "K:" + e.name
}

// expectListing is what S3 lists for sorted keys, a prefix and a delimiter:
// keys in UTF-8 binary order with everything up to and including the first
// delimiter after the prefix rolled up into one common prefix.
func expectListing(keys []string, prefix, delim string) []entry {
	var out []entry
	seen := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if !seen[cp] {
					seen[cp] = true
					out = append(out, entry{cp, true})
				}
				continue
			}
		}
		out = append(out, entry{k, false})
	}
	return out
}

// after keeps the entries sorting after marker.
func after(es []entry, marker string) []entry {
	var out []entry
	for _, e := range es {
		if e.name > marker {
			out = append(out, e)
		}
	}
	return out
}

// pageEntries merges a page's Contents and CommonPrefixes in order.
func pageEntries(t testing.TB, contents []types.Object, prefixes []types.CommonPrefix, decode bool) []entry {
	t.Helper()
	var es []entry
	dec := func(s string) string {
		if !decode {
			return s
		}
		d, err := url.QueryUnescape(s)
		if err != nil {
			t.Errorf("encoding-type=url value %q does not decode: %v", s, err)
		}
		return d
	}
	for _, o := range contents {
		es = append(es, entry{dec(str(o.Key)), false})
	}
	for _, p := range prefixes {
		es = append(es, entry{dec(str(p.Prefix)), true})
	}
	slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	return es
}

func diffEntries(t testing.TB, what string, got, want []entry) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	g, w := "(end)", "(end)"
	if i < len(got) {
		g = got[i].String()
	}
	if i < len(want) {
		w = want[i].String()
	}
	t.Errorf("%s: %d entries, want %d; first difference at %d: got %q, want %q", what, len(got), len(want), i, g, w)
}

type v2Query struct {
	prefix, delim, startAfter string
	maxKeys                   int32
	encode                    bool
}

// listV2 pages through ListObjectsV2 and checks every page's invariants.
func (c *client) listV2(t testing.TB, bucket string, q v2Query) []entry {
	t.Helper()
	var all []entry
	var token *string
	for page := 0; ; page++ {
		in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), ContinuationToken: token}
		if q.prefix != "" {
			in.Prefix = aws.String(q.prefix)
		}
		if q.delim != "" {
			in.Delimiter = aws.String(q.delim)
		}
		if q.startAfter != "" {
			in.StartAfter = aws.String(q.startAfter)
		}
		if q.maxKeys != 0 {
			in.MaxKeys = aws.Int32(q.maxKeys)
		}
		if q.encode {
			in.EncodingType = types.EncodingTypeUrl
		}
		out, err := c.s3.ListObjectsV2(ctx(t), in)
		must(t, err, fmt.Sprintf("ListObjectsV2 %+v page %d", q, page))
		es := pageEntries(t, out.Contents, out.CommonPrefixes, q.encode)
		limit := q.maxKeys
		if limit == 0 || limit > 1000 {
			limit = 1000
		}
		if int32(len(es)) > limit {
			t.Fatalf("%+v page %d: %d entries, max-keys %d", q, page, len(es), limit)
		}
		if i32(out.KeyCount) != int32(len(es)) {
			t.Errorf("%+v page %d: KeyCount %d, %d entries", q, page, i32(out.KeyCount), len(es))
		}
		if q.encode && out.EncodingType != types.EncodingTypeUrl {
			t.Errorf("%+v: response EncodingType %q, want url", q, out.EncodingType)
		}
		all = append(all, es...)
		if !boolv(out.IsTruncated) {
			if out.NextContinuationToken != nil {
				t.Errorf("%+v page %d: not truncated but NextContinuationToken %q", q, page, *out.NextContinuationToken)
			}
			return all
		}
		if str(out.NextContinuationToken) == "" {
			t.Fatalf("%+v page %d: truncated without NextContinuationToken", q, page)
		}
		if len(es) == 0 || page > 2000 {
			t.Fatalf("%+v page %d: truncated page with %d entries", q, page, len(es))
		}
		token = out.NextContinuationToken
	}
}

// listV1 pages through ListObjects (v1) with markers.
func (c *client) listV1(t testing.TB, bucket, prefix, delim string, maxKeys int32, encode bool) []entry {
	t.Helper()
	var all []entry
	marker := ""
	for page := 0; ; page++ {
		in := &s3.ListObjectsInput{Bucket: aws.String(bucket), MaxKeys: aws.Int32(maxKeys)}
		if prefix != "" {
			in.Prefix = aws.String(prefix)
		}
		if delim != "" {
			in.Delimiter = aws.String(delim)
		}
		if marker != "" {
			in.Marker = aws.String(marker)
		}
		if encode {
			in.EncodingType = types.EncodingTypeUrl
		}
		out, err := c.s3.ListObjects(ctx(t), in)
		must(t, err, fmt.Sprintf("ListObjects prefix %q delim %q marker %q", prefix, delim, marker))
		es := pageEntries(t, out.Contents, out.CommonPrefixes, encode)
		if int32(len(es)) > maxKeys {
			t.Fatalf("ListObjects page %d: %d entries, max-keys %d", page, len(es), maxKeys)
		}
		if m := str(out.Marker); marker != "" && m != marker && !encode {
			t.Errorf("ListObjects echoed Marker %q, sent %q", m, marker)
		}
		all = append(all, es...)
		if !boolv(out.IsTruncated) {
			return all
		}
		if len(es) == 0 || page > 2000 {
			t.Fatalf("ListObjects page %d: truncated page with %d entries", page, len(es))
		}
		switch {
		case delim != "":
			// With a delimiter S3 returns NextMarker, which may be a
			// common prefix.
			marker = str(out.NextMarker)
			if encode {
				d, err := url.QueryUnescape(marker)
				if err != nil {
					t.Fatalf("NextMarker %q: %v", marker, err)
				}
				marker = d
			}
			if marker != es[len(es)-1].name {
				t.Fatalf("ListObjects NextMarker %q, want the page's last entry %q", marker, es[len(es)-1].name)
			}
		default:
			marker = es[len(es)-1].name
		}
	}
}

func TestListObjects(t *testing.T) {
	t.Parallel()
	keys := listingKeys()
	if len(keys) < 1150 {
		t.Fatalf("only %d listing keys", len(keys))
	}
	// One server, populated once, read by every addressing style.
	ts := newTestServer(t, serverOptions{})
	seed := ts.client(styles[0])
	bucket := seed.mkBucket(t, "listing")
	seed.putMany(t, bucket, keys)
	odd := []string{
		"ctl\x01a", "tab\tb", "nl\nc", "del\x7fd", "cr\rx", "bell\x07", "space end ", " lead",
		"unicode ✓", "plus+sign", "percent%41", "query?x=y", "hash#frag", "amp&lt;", `back\slash`, "semi;colon", "dots/../up",
	}
	slices.Sort(odd)
	oddBucket := seed.mkBucket(t, "oddkeys")
	seed.putMany(t, oddBucket, odd)

	for _, st := range styles {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			c := ts.client(st)

			t.Run("v2 full listing", func(t *testing.T) {
				want := expectListing(keys, "", "")
				for _, mk := range []int32{0, 1000, 333, 97} {
					diffEntries(t, fmt.Sprintf("max-keys %d", mk), c.listV2(t, bucket, v2Query{maxKeys: mk}), want)
				}
				diffEntries(t, "max-keys 1 prefix a/b/c/d/", c.listV2(t, bucket, v2Query{prefix: "a/b/c/d/", maxKeys: 1}), expectListing(keys, "a/b/c/d/", ""))
			})

			t.Run("v2 objects", func(t *testing.T) {
				out, err := c.s3.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("top-00")})
				must(t, err, "ListObjectsV2")
				if len(out.Contents) != 100 {
					t.Fatalf("prefix top-00: %d objects, want 100", len(out.Contents))
				}
				for _, o := range out.Contents {
					body := []byte("v:" + str(o.Key))
					if str(o.ETag) != md5ETag(body) || i64(o.Size) != int64(len(body)) || o.LastModified == nil || o.StorageClass != types.ObjectStorageClassStandard {
						t.Errorf("object %s: ETag %s size %d LastModified %v StorageClass %q", str(o.Key), str(o.ETag), i64(o.Size), o.LastModified, o.StorageClass)
						break
					}
					if o.Owner != nil {
						t.Errorf("object %s has an Owner without fetch-owner", str(o.Key))
						break
					}
				}
				if str(out.Prefix) != "top-00" || i32(out.MaxKeys) != 1000 || str(out.Name) != bucket {
					t.Errorf("echo: Prefix %q MaxKeys %d Name %q", str(out.Prefix), i32(out.MaxKeys), str(out.Name))
				}

				owner, err := c.s3.ListBuckets(ctx(t), &s3.ListBucketsInput{})
				must(t, err, "ListBuckets")
				out, err = c.s3.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("top-00"), FetchOwner: aws.Bool(true), MaxKeys: aws.Int32(3)})
				must(t, err, "ListObjectsV2 fetch-owner")
				for _, o := range out.Contents {
					if o.Owner == nil || owner.Owner == nil || str(o.Owner.ID) != str(owner.Owner.ID) {
						t.Errorf("fetch-owner: object %s Owner %+v, want ID %q", str(o.Key), o.Owner, str(owner.Owner.ID))
					}
				}

				out, err = c.s3.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(5000)})
				must(t, err, "ListObjectsV2 max-keys 5000")
				if len(out.Contents) != 1000 || !boolv(out.IsTruncated) {
					t.Errorf("max-keys 5000: %d keys truncated=%v, want 1000 and truncated", len(out.Contents), boolv(out.IsTruncated))
				}

				_, err = c.s3.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String("no-such-bucket-l")})
				wantAPIError(t, err, http.StatusNotFound, "NoSuchBucket")
			})

			t.Run("v2 delimiters", func(t *testing.T) {
				tests := []struct {
					prefix, delim string
					maxKeys       []int32
				}{
					{"", "/", []int32{1000, 50}},
					{"photos/", "/", []int32{1000, 3, 1}},
					{"photos", "/", []int32{1000, 1}},
					{"", "--", []int32{1000, 50}},
					{"logs--", "--", []int32{1000, 1}},
					{"a/", "/", []int32{1000, 1}},
					{"unicode/ünï/", "/", []int32{1000, 1}},
					{"sym/", "/", []int32{1000}},
					{"with space/", "/", []int32{1000}},
					{"", "img-00", []int32{1000, 100}},
					{"nothing-here/", "/", []int32{1000}},
				}
				for _, tt := range tests {
					want := expectListing(keys, tt.prefix, tt.delim)
					for _, mk := range tt.maxKeys {
						q := v2Query{prefix: tt.prefix, delim: tt.delim, maxKeys: mk}
						diffEntries(t, fmt.Sprintf("%+v", q), c.listV2(t, bucket, q), want)
					}
				}
			})

			t.Run("v2 start-after", func(t *testing.T) {
				for _, q := range []v2Query{
					{startAfter: "top-0100"},
					{startAfter: "top-0100", maxKeys: 37},
					{startAfter: "photos", delim: "/"},
					{startAfter: "logs--3", delim: "--", maxKeys: 25},
					{startAfter: "a/b/c/d/25", prefix: "a/b/c/d/", maxKeys: 4},
					{startAfter: "zzz"},
					{startAfter: "0"},
				} {
					want := after(expectListing(keys, q.prefix, q.delim), q.startAfter)
					diffEntries(t, fmt.Sprintf("%+v", q), c.listV2(t, bucket, q), want)
				}
				out, err := c.s3.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), StartAfter: aws.String("top-0100"), MaxKeys: aws.Int32(1)})
				must(t, err, "ListObjectsV2 start-after")
				if str(out.StartAfter) != "top-0100" || len(out.Contents) != 1 || str(out.Contents[0].Key) != "top-0101" {
					t.Errorf("start-after top-0100: echoed %q, first %v", str(out.StartAfter), pageEntries(t, out.Contents, nil, false))
				}
			})

			t.Run("v2 encoding-type url", func(t *testing.T) {
				diffEntries(t, "url, no delimiter", c.listV2(t, bucket, v2Query{encode: true, maxKeys: 400}), expectListing(keys, "", ""))
				diffEntries(t, "url, delimiter /", c.listV2(t, bucket, v2Query{encode: true, delim: "/", maxKeys: 100}), expectListing(keys, "", "/"))
				diffEntries(t, "url, prefix with space", c.listV2(t, bucket, v2Query{encode: true, prefix: "with space/", delim: "/"}), expectListing(keys, "with space/", "/"))
				diffEntries(t, "url, odd keys", c.listV2(t, oddBucket, v2Query{encode: true}), expectListing(odd, "", ""))
				diffEntries(t, "url, odd keys, max-keys 2", c.listV2(t, oddBucket, v2Query{encode: true, maxKeys: 2}), expectListing(odd, "", ""))
				diffEntries(t, "url, odd keys, start-after", c.listV2(t, oddBucket, v2Query{encode: true, startAfter: "nl\nc"}), after(expectListing(odd, "", ""), "nl\nc"))

				out, err := c.s3.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), EncodingType: types.EncodingTypeUrl, Prefix: aws.String("with space/"), MaxKeys: aws.Int32(1)})
				must(t, err, "ListObjectsV2 url")
				if len(out.Contents) != 1 {
					t.Fatalf("encoding-type=url max-keys 1: %d keys", len(out.Contents))
				}
				if k := str(out.Contents[0].Key); strings.Contains(k, " ") || !strings.Contains(k, "%25") {
					t.Errorf("encoding-type=url key %q: want the space and %% encoded", k)
				}
				if p, err := url.QueryUnescape(str(out.Prefix)); err != nil || p != "with space/" || strings.Contains(str(out.Prefix), " ") {
					t.Errorf("encoding-type=url Prefix echoed %q, want it encoded", str(out.Prefix))
				}
			})

			t.Run("odd keys round-trip", func(t *testing.T) {
				for _, k := range odd {
					if got := string(c.get(t, oddBucket, k)); got != "v:"+k {
						t.Errorf("GetObject(%q) = %q", k, got)
					}
				}
			})

			t.Run("v1", func(t *testing.T) {
				diffEntries(t, "v1 full, max-keys 500", c.listV1(t, bucket, "", "", 500, false), expectListing(keys, "", ""))
				for _, tt := range []struct {
					prefix, delim string
					maxKeys       int32
				}{
					{"", "/", 40},
					{"photos/", "/", 1},
					{"photos/", "/", 3},
					{"", "--", 40},
					{"logs--", "--", 2},
					{"a/", "/", 1},
				} {
					diffEntries(t, fmt.Sprintf("v1 %+v", tt), c.listV1(t, bucket, tt.prefix, tt.delim, tt.maxKeys, false), expectListing(keys, tt.prefix, tt.delim))
				}
				diffEntries(t, "v1 url, delimiter /", c.listV1(t, bucket, "", "/", 60, true), expectListing(keys, "", "/"))
				diffEntries(t, "v1 url, odd keys", c.listV1(t, oddBucket, "", "/", 3, true), expectListing(odd, "", "/"))

				// An explicit marker.
				out, err := c.s3.ListObjects(ctx(t), &s3.ListObjectsInput{Bucket: aws.String(bucket), Marker: aws.String("top-0197")})
				must(t, err, "ListObjects marker")
				got := pageEntries(t, out.Contents, out.CommonPrefixes, false)
				diffEntries(t, "v1 marker top-0197", got, after(expectListing(keys, "", ""), "top-0197"))
				if str(out.Marker) != "top-0197" {
					t.Errorf("Marker echoed %q", str(out.Marker))
				}
			})
		})
	}
}
