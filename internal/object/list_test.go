package object

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/coffer-project/coffer/internal/meta"
)

// putKeys stores an empty object under each key, concurrently.
func (e *env) putKeys(bucket string, keys []string) {
	e.t.Helper()
	var wg sync.WaitGroup
	work := make(chan string)
	errs := make(chan error, len(keys))
	for range 8 {
		wg.Go(func() {
			for k := range work {
				_, err := e.svc.PutObject(e.ctx, PutInput{Bucket: bucket, Key: k, Body: strings.NewReader(""), Size: 0})
				if err != nil {
					errs <- fmt.Errorf("put %q: %w", k, err)
				}
			}
		})
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		e.t.Fatal(err)
	}
}

// expectedListing computes a delimiter listing from the full key set, as
// S3 defines it: entries are keys and common prefixes, in order.
func expectedListing(keys []string, prefix, delim, after string) []string {
	sorted := slices.Clone(keys)
	sort.Strings(sorted)
	var out []string
	seen := map[string]bool{}
	for _, k := range sorted {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		entry := k
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				entry = "P:" + k[:len(prefix)+i+len(delim)]
			}
		}
		name := strings.TrimPrefix(entry, "P:")
		if name <= after || seen[entry] {
			continue
		}
		seen[entry] = true
		out = append(out, entry)
	}
	return out
}

// listAll pages through ListObjects and returns keys and "P:"-prefixed
// common prefixes in the order received.
func (e *env) listAll(t *testing.T, in ListInput) (entries []string, pages int) {
	t.Helper()
	for {
		res, err := e.svc.ListObjects(e.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if n := len(res.Objects) + len(res.CommonPrefixes); n > in.MaxKeys || res.IsTruncated && n != in.MaxKeys {
			t.Fatalf("page %d has %d entries, max-keys %d, truncated %v", pages, n, in.MaxKeys, res.IsTruncated)
		}
		// Merge the two sorted lists as S3 clients do.
		var page []string
		for _, o := range res.Objects {
			page = append(page, o.Key)
		}
		for _, p := range res.CommonPrefixes {
			page = append(page, "P:"+p)
		}
		sort.Slice(page, func(i, j int) bool { return strings.TrimPrefix(page[i], "P:") < strings.TrimPrefix(page[j], "P:") })
		entries = append(entries, page...)
		if !res.IsTruncated {
			return entries, pages
		}
		if last := strings.TrimPrefix(page[len(page)-1], "P:"); res.NextAfter != last {
			t.Fatalf("NextAfter = %q, last entry %q", res.NextAfter, last)
		}
		in.After = res.NextAfter
		if pages > 10000 {
			t.Fatal("listing does not end")
		}
	}
}

func TestListObjectsDelimiter(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "")
	keys := []string{
		"a", "a/b", "a/b/c", "a/c", "a/d/e", "ab", "abab", "abc/d", "b/", "b//c", "c",
		"photos/2024/jan.jpg", "photos/2024/feb.jpg", "photos/2025/mar.jpg", "photos/index.html",
		"é/x", "éé", "x→y→z", "x→y", "日本/語", "日本語", "z",
	}
	e.putKeys("b", keys)
	tests := []struct {
		name, prefix, delim, after string
	}{
		{name: "no delimiter"},
		{name: "slash", delim: "/"},
		{name: "slash under prefix", prefix: "photos/", delim: "/"},
		{name: "slash under partial prefix", prefix: "photos/20", delim: "/"},
		{name: "prefix without delimiter", prefix: "a/"},
		{name: "multi-character delimiter", delim: "ab"},
		{name: "multi-byte delimiter", delim: "→"},
		{name: "multi-byte delimiter under prefix", prefix: "x", delim: "→"},
		{name: "accented delimiter", delim: "é"},
		{name: "CJK delimiter", delim: "本"},
		{name: "double slash", prefix: "b/", delim: "/"},
		{name: "marker inside a common prefix", delim: "/", after: "a/b"},
		{name: "marker equal to a common prefix", delim: "/", after: "photos/"},
		{name: "marker past everything", delim: "/", after: "zz"},
		{name: "prefix matching nothing", prefix: "q", delim: "/"},
	}
	for _, tt := range tests {
		for _, maxKeys := range []int{1, 2, 1000} {
			t.Run(fmt.Sprintf("%s max %d", tt.name, maxKeys), func(t *testing.T) {
				got, _ := e.listAll(t, ListInput{Bucket: "b", Prefix: tt.prefix, Delimiter: tt.delim, After: tt.after, MaxKeys: maxKeys})
				want := expectedListing(keys, tt.prefix, tt.delim, tt.after)
				if strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("got  %q\nwant %q", got, want)
				}
			})
		}
	}
}

func TestListObjectsMaxKeys(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "")
	e.putKeys("b", []string{"a", "b", "c"})
	tests := []struct {
		maxKeys   int
		wantN     int
		truncated bool
	}{
		{0, 0, false}, {2, 2, true}, {3, 3, false}, {-1, 3, false}, {5000, 3, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.maxKeys), func(t *testing.T) {
			res, err := e.svc.ListObjects(e.ctx, ListInput{Bucket: "b", MaxKeys: tt.maxKeys})
			wantErr(t, err, nil)
			if len(res.Objects) != tt.wantN || res.IsTruncated != tt.truncated {
				t.Errorf("%d objects, truncated %v", len(res.Objects), res.IsTruncated)
			}
		})
	}
	_, err := e.svc.ListObjects(e.ctx, ListInput{Bucket: "nope", MaxKeys: 0})
	wantErr(t, err, ErrNoSuchBucket)
	_, err = e.svc.ListObjects(e.ctx, ListInput{Bucket: "nope", MaxKeys: 10})
	wantErr(t, err, ErrNoSuchBucket)
}

func TestListObjectsPaging2500(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 2,500 objects")
	}
	e := newEnv(t)
	e.bucket("b", "")
	var keys []string
	for i := range 2500 {
		// 50 directories of 40 keys, 300 top-level keys, 200 nested two deep.
		switch {
		case i < 2000:
			keys = append(keys, fmt.Sprintf("dir%02d/file%04d", i%50, i))
		case i < 2300:
			keys = append(keys, fmt.Sprintf("top%04d", i))
		default:
			keys = append(keys, fmt.Sprintf("deep/%02d/x%04d", i%7, i))
		}
	}
	e.putKeys("b", keys)
	for _, delim := range []string{"", "/"} {
		for _, maxKeys := range []int{1, 7, 1000} {
			t.Run(fmt.Sprintf("delimiter %q max %d", delim, maxKeys), func(t *testing.T) {
				got, pages := e.listAll(t, ListInput{Bucket: "b", Delimiter: delim, MaxKeys: maxKeys})
				want := expectedListing(keys, "", delim, "")
				if strings.Join(got, " ") != strings.Join(want, " ") {
					t.Fatalf("listing of %d entries differs from the expected %d", len(got), len(want))
				}
				if wantPages := (len(want) + maxKeys - 1) / maxKeys; pages != wantPages && pages != wantPages+1 {
					t.Errorf("%d pages for %d entries at %d per page", pages, len(want), maxKeys)
				}
			})
		}
	}
}

func TestListObjectVersions(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", meta.VersioningEnabled)
	type ver struct{ key, id string }
	var want []ver // key order, newest first
	keys := []string{"a", "d/1", "d/2", "e", "f/x/y"}
	for _, k := range keys {
		var vs []ver
		for i := range 3 {
			if i == 1 && k == "e" {
				dm, err := e.svc.DeleteObject(e.ctx, DeleteInput{Bucket: "b", Key: k})
				wantErr(t, err, nil)
				vs = append([]ver{{k, dm.VersionID}}, vs...)
				continue
			}
			v := e.put("b", k, fmt.Sprint(k, i))
			vs = append([]ver{{k, v.VersionID}}, vs...)
		}
		want = append(want, vs...)
	}
	for _, maxKeys := range []int{1, 2, 4, 1000} {
		t.Run(fmt.Sprint("no delimiter max ", maxKeys), func(t *testing.T) {
			var got []ver
			in := VersionListInput{Bucket: "b", MaxKeys: maxKeys}
			for {
				res, err := e.svc.ListObjectVersions(e.ctx, in)
				wantErr(t, err, nil)
				if len(res.Versions) > maxKeys {
					t.Fatalf("page of %d", len(res.Versions))
				}
				for i, v := range res.Versions {
					got = append(got, ver{v.Key, v.VersionID})
					wantLatest := len(got) == 1 || got[len(got)-2].key != v.Key
					if v.IsLatest != wantLatest && (i > 0 || in.KeyMarker == "") {
						t.Errorf("%s/%s IsLatest = %v", v.Key, v.VersionID, v.IsLatest)
					}
				}
				if !res.IsTruncated {
					break
				}
				last := res.Versions[len(res.Versions)-1]
				if res.NextKeyMarker != last.Key || res.NextVersionIDMarker != last.VersionID {
					t.Fatalf("next markers %q/%q, last %q/%q", res.NextKeyMarker, res.NextVersionIDMarker, last.Key, last.VersionID)
				}
				in.KeyMarker, in.VersionIDMarker = res.NextKeyMarker, res.NextVersionIDMarker
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("got  %v\nwant %v", got, want)
			}
		})
	}
	for _, maxKeys := range []int{1, 2, 1000} {
		t.Run(fmt.Sprint("delimiter max ", maxKeys), func(t *testing.T) {
			var entries []string
			in := VersionListInput{Bucket: "b", Delimiter: "/", MaxKeys: maxKeys}
			for {
				res, err := e.svc.ListObjectVersions(e.ctx, in)
				wantErr(t, err, nil)
				if n := len(res.Versions) + len(res.CommonPrefixes); n > maxKeys {
					t.Fatalf("page of %d", n)
				}
				for _, v := range res.Versions {
					entries = append(entries, v.Key)
				}
				for _, p := range res.CommonPrefixes {
					entries = append(entries, "P:"+p)
				}
				if !res.IsTruncated {
					break
				}
				in.KeyMarker, in.VersionIDMarker = res.NextKeyMarker, res.NextVersionIDMarker
			}
			sort.SliceStable(entries, func(i, j int) bool {
				return strings.TrimPrefix(entries[i], "P:") < strings.TrimPrefix(entries[j], "P:")
			})
			if got, want := strings.Join(entries, " "), "a a a P:d/ e e e P:f/"; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestListMultipartUploads(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", "")
	var want []string
	for _, k := range []string{"a", "a", "b/1", "b/2", "c"} {
		u, err := e.svc.CreateMultipartUpload(e.ctx, CreateUploadInput{Bucket: "b", Key: k})
		wantErr(t, err, nil)
		want = append(want, k+"@"+u.UploadID)
	}
	for _, maxUploads := range []int{1, 2, 1000} {
		t.Run(fmt.Sprint("max ", maxUploads), func(t *testing.T) {
			var got []string
			in := ListUploadsInput{Bucket: "b", MaxUploads: maxUploads}
			for {
				res, err := e.svc.ListMultipartUploads(e.ctx, in)
				wantErr(t, err, nil)
				for _, u := range res.Uploads {
					got = append(got, u.Key+"@"+u.UploadID)
				}
				if !res.IsTruncated {
					break
				}
				in.KeyMarker, in.UploadIDMarker = res.NextKeyMarker, res.NextUploadIDMarker
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("got  %v\nwant %v", got, want)
			}
		})
	}
	res, err := e.svc.ListMultipartUploads(e.ctx, ListUploadsInput{Bucket: "b", Delimiter: "/", MaxUploads: 1000})
	wantErr(t, err, nil)
	if len(res.Uploads) != 3 || fmt.Sprint(res.CommonPrefixes) != "[b/]" {
		t.Errorf("delimiter listing: %d uploads, prefixes %v", len(res.Uploads), res.CommonPrefixes)
	}
}

func TestPrefixSuccessor(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"a/", "a0", true},
		{"日本/", "日本0", true},
		{"a\xff", "b", true},
		{"\xff\xff", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := prefixSuccessor(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("prefixSuccessor(%q) = %q, %v", tt.in, got, ok)
		}
	}
}

func TestListObjectVersionsMarkers(t *testing.T) {
	e := newEnv(t)
	e.bucket("b", meta.VersioningEnabled)
	v := e.put("b", "k", "x")
	tests := []struct {
		name, key, version string
		want               error
	}{
		{"version marker without key marker", "", v.VersionID, ErrInvalidArgument},
		{"version marker of another key", "other", v.VersionID, ErrInvalidArgument},
		{"valid markers", "k", v.VersionID, nil},
		{"key marker only", "k", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.svc.ListObjectVersions(e.ctx, VersionListInput{Bucket: "b", KeyMarker: tt.key, VersionIDMarker: tt.version, MaxKeys: 10})
			wantErr(t, err, tt.want)
			if err == nil && len(res.Versions) != 0 {
				t.Errorf("listing after the only version returned %d", len(res.Versions))
			}
		})
	}
}
