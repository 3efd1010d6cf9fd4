// Package metatest is the conformance suite for meta.Store
// implementations. Every implementation (SQLite, PostgreSQL) runs it.
package metatest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/meta"
)

// Run runs the suite. newStore must return an empty store; it is called
// once per subtest and the store is not closed by the suite.
func Run(t *testing.T, newStore func(t *testing.T) meta.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Buckets", bucketTests},
		{"Versions", versionTests},
		{"Listing", listingTests},
		{"Uploads", uploadTests},
		{"Tasks", taskTests},
		{"Concurrency", concurrencyTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) {
					tt.fn(t, newStore(t))
				})
			}
		})
	}
}

// RunDurability checks that committed data survives closing and reopening
// the store. newOpener returns a function that opens the same database
// each time it is called (after the previous store was closed).
func RunDurability(t *testing.T, newOpener func(t *testing.T) func() meta.Store) {
	open := newOpener(t)
	ctx := context.Background()
	s := open()
	mustCreateBucket(t, s, "dur", "alice")
	v1 := mustCommit(t, s, ver("dur", "k", "v1", "blob-1"))
	mustCommit(t, s, ver("dur", "k", "v2", "blob-2"))
	mustCommit(t, s, marker("dur", "gone", "m1"))
	if err := s.CreateUpload(ctx, upload("dur", "mp", "u1", 0)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPart(ctx, "u1", part(1, "blob-p1")); err != nil {
		t.Fatal(err)
	}
	if err := s.EnqueueBlobs(ctx, "blob-x"); err != nil {
		t.Fatal(err)
	}
	small := mustCommit(t, s, inlineVer("dur", "small", "s1", "inline bytes"))
	if err := s.PutPart(ctx, "u1", inlinePart(2, "last part")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open()
	defer s.Close()
	got, err := s.GetVersion(ctx, "dur", "k", "v1")
	if err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	v1.IsLatest = false
	assertVersion(t, got, v1)
	latest, err := s.GetVersion(ctx, "dur", "k", "")
	if err != nil || latest.VersionID != "v2" || latest.Seq <= v1.Seq {
		t.Fatalf("latest after reopen = %+v, %v", latest, err)
	}
	if vs, _ := s.ListVersions(ctx, "dur", meta.ListPage{}, ""); len(vs) != 4 {
		t.Fatalf("ListVersions after reopen: %d versions, want 4", len(vs))
	}
	ps, err := s.ListParts(ctx, "u1", 0, 0)
	if err != nil || len(ps) != 2 || ps[1].BlobID != "" || ps[1].Size != int64(len("last part")) || ps[1].Inline != nil {
		t.Fatalf("ListParts after reopen = %+v, %v", ps, err)
	}
	// The inline part's bytes survived: completing the upload moves them
	// into the version.
	mp := ver("dur", "mp", "mp1")
	mp.Parts = ps
	mp.Size = ps[0].Size + ps[1].Size
	done, err := s.CompleteUpload(ctx, "u1", mp, nil)
	if err != nil || len(done.Parts) != 2 || string(done.Parts[1].Inline) != "last part" {
		t.Fatalf("CompleteUpload after reopen = %+v, %v", done, err)
	}
	gotSmall, err := s.GetVersion(ctx, "dur", "small", "")
	if err != nil {
		t.Fatalf("inline version after reopen: %v", err)
	}
	assertVersion(t, gotSmall, small)
	if ts, err := s.PendingTasks(ctx, 0); err != nil || len(ts) != 1 || ts[0].BlobID != "blob-x" {
		t.Fatalf("tasks after reopen = %v, %v", ts, err)
	}
	// Seq keeps growing across restarts.
	v3 := mustCommit(t, s, ver("dur", "k", "v3", "blob-3"))
	if v3.Seq <= latest.Seq {
		t.Fatalf("Seq after reopen = %d, not above %d", v3.Seq, latest.Seq)
	}
}

type test struct {
	name string
	fn   func(t *testing.T, s meta.Store)
}

// t0 has nanoseconds on purpose: they must survive a round trip.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)

func ver(bucket, key, versionID string, blobs ...string) meta.Version {
	v := meta.Version{
		Bucket:       bucket,
		Key:          key,
		VersionID:    versionID,
		Owner:        "alice",
		LastModified: t0,
		ETag:         "d41d8cd98f00b204e9800998ecf8427e",
		StorageClass: "STANDARD",
	}
	for i, b := range blobs {
		n := 0
		if len(blobs) > 1 {
			n = i + 1
		}
		v.Parts = append(v.Parts, meta.Part{Number: n, BlobID: b, Size: 10, ETag: "e" + b})
		v.Size += 10
	}
	if len(blobs) > 1 {
		v.ETag = fmt.Sprintf("0123456789abcdef0123456789abcdef-%d", len(blobs))
	}
	return v
}

func marker(bucket, key, versionID string) meta.Version {
	return meta.Version{Bucket: bucket, Key: key, VersionID: versionID, DeleteMarker: true, Owner: "alice", LastModified: t0}
}

func upload(bucket, key, id string, initiatedOffset time.Duration) meta.Upload {
	return meta.Upload{UploadID: id, Bucket: bucket, Key: key, Initiated: t0.Add(initiatedOffset), Owner: "alice", StorageClass: "STANDARD"}
}

func part(n int, blob string) meta.Part {
	return meta.Part{Number: n, BlobID: blob, Size: 5 << 20, ETag: "etag-" + blob, LastModified: t0}
}

// inlinePart is a part whose data is kept in the store.
func inlinePart(n int, data string) meta.Part {
	return meta.Part{Number: n, Inline: []byte(data), Size: int64(len(data)), ETag: "etag-inline-" + data, LastModified: t0}
}

// inlineVer is a single-part version with inline data.
func inlineVer(bucket, key, versionID, data string) meta.Version {
	v := ver(bucket, key, versionID)
	p := inlinePart(0, data)
	v.Parts, v.Size = []meta.Part{p}, p.Size
	return v
}

// sealedInlinePart is an inline part as encryption leaves it: size bytes
// of plaintext stored as a longer ciphertext.
func sealedInlinePart(n int, size int64, stored []byte) meta.Part {
	return meta.Part{Number: n, Inline: stored, Size: size, ETag: fmt.Sprintf("etag-sealed-%d", n), LastModified: t0}
}

// bytesOf returns n bytes counting up from first, wrapping through 0x00
// and 0xff: opaque binary key material.
func bytesOf(first byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = first + byte(i)
	}
	return b
}

const (
	kmsKeyARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	s3KeyARN  = "arn:aws:kms:us-east-1:111122223333:key/aws-s3-owned"
)

// bucketPolicy is a policy document with the whitespace, Unicode and
// ordering a client may send; the store must keep it byte for byte.
const bucketPolicy = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Sid\": \"Öffentlich\", \"Effect\": \"Allow\", \"Principal\": \"*\",\n\t\"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b/*\"}]\n}"

// Encryption values as package object writes them, each call fresh.
func sseS3() meta.Encryption {
	return meta.Encryption{Mode: meta.SSES3, KMSKeyARN: s3KeyARN, DataKey: bytesOf(0xf0, 184), SealedKey: bytesOf(0x10, 64)}
}

func sseKMS() meta.Encryption {
	return meta.Encryption{Mode: meta.SSEKMS, KMSKeyARN: kmsKeyARN, KMSContext: "eyJwcm9qZWN0IjoiY29mZmVyIn0=", BucketKey: true,
		DataKey: bytesOf(0x80, 184), Salt: bytesOf(0xfe, 32), SealedKey: bytesOf(0x00, 64)}
}

func sseC() meta.Encryption {
	return meta.Encryption{Mode: meta.SSEC, Salt: bytesOf(0x20, 32), SealedKey: bytesOf(0x40, 64), KeyHMAC: bytesOf(0xe0, 32)}
}

// everyEncryptionField sets all of them, whatever the mode: the store
// keeps Encryption opaque and checks no combination.
func everyEncryptionField() meta.Encryption {
	e := sseKMS()
	e.KeyHMAC = bytesOf(0x7f, 32)
	return e
}

func mustCreateBucket(t *testing.T, s meta.Store, name, owner string) {
	t.Helper()
	if err := s.CreateBucket(context.Background(), meta.Bucket{Name: name, Owner: owner, Created: t0}); err != nil {
		t.Fatalf("CreateBucket(%s): %v", name, err)
	}
}

func mustCommit(t *testing.T, s meta.Store, v meta.Version) meta.Version {
	t.Helper()
	got, err := s.CommitVersion(context.Background(), v, nil)
	if err != nil {
		t.Fatalf("CommitVersion(%s/%s %s): %v", v.Bucket, v.Key, v.VersionID, err)
	}
	return got
}

func mustPending(t *testing.T, s meta.Store) []string {
	t.Helper()
	ts, err := s.PendingTasks(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tk := range ts {
		ids = append(ids, tk.BlobID)
	}
	slices.Sort(ids)
	return ids
}

func assertPending(t *testing.T, s meta.Store, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := mustPending(t, s); !slices.Equal(got, want) {
		t.Fatalf("queued blobs = %q, want %q", got, want)
	}
}

// normVersion makes versions comparable with reflect.DeepEqual.
func normVersion(v meta.Version) meta.Version {
	v.LastModified = normTime(v.LastModified)
	if len(v.Parts) == 0 {
		v.Parts = nil
	} else {
		v.Parts = slices.Clone(v.Parts)
		for i := range v.Parts {
			v.Parts[i].LastModified = normTime(v.Parts[i].LastModified)
			if len(v.Parts[i].Inline) == 0 {
				v.Parts[i].Inline = nil // an empty inline part may read back either way
			}
		}
	}
	if len(v.UserMeta) == 0 {
		v.UserMeta = nil
	}
	return v
}

func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.Unix(0, t.UnixNano()).UTC()
}

func assertVersion(t *testing.T, got, want meta.Version) {
	t.Helper()
	if g, w := normVersion(got), normVersion(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("version differs:\n got  %+v\n want %+v", g, w)
	}
}

func keysOf(vs []meta.Version) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Key
	}
	return out
}

func assertErrIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error = %v, want %v", what, err, want)
	}
}

// ---------------------------------------------------------------- buckets

var bucketTests = []test{
	{"CreateAndGet", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		tests := []struct {
			name string
			b    meta.Bucket
		}{
			{"minimal", meta.Bucket{Name: "plain", Owner: "alice", Created: t0}},
			{"all fields", meta.Bucket{Name: "full", Owner: "bob", Region: "eu-west-1", Created: t0,
				Versioning: meta.VersioningEnabled, Tags: []meta.Tag{{Key: "z", Value: "1"}, {Key: "a", Value: ""}}}},
			{"empty tag set is not nil", meta.Bucket{Name: "emptytags", Owner: "bob", Created: t0, Tags: []meta.Tag{}}},
			{"encryption rule", meta.Bucket{Name: "encrypted", Owner: "bob", Created: t0, Encryption: &meta.BucketEncryption{
				Algorithm: meta.SSEKMS, KMSMasterKeyID: kmsKeyARN, BucketKeyEnabled: true, BlockedEncryptionTypes: []string{"SSE-C", "NONE"}}}},
			{"encryption rule with nothing set is not nil", meta.Bucket{Name: "emptyrule", Owner: "bob", Created: t0,
				Encryption: &meta.BucketEncryption{}}},
			{"empty blocked list is not nil", meta.Bucket{Name: "emptyblocked", Owner: "bob", Created: t0,
				Encryption: &meta.BucketEncryption{Algorithm: meta.SSES3, BlockedEncryptionTypes: []string{}}}},
			{"policy kept verbatim", meta.Bucket{Name: "withpolicy", Owner: "bob", Created: t0, Policy: bucketPolicy}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := s.CreateBucket(ctx, tt.b); err != nil {
					t.Fatal(err)
				}
				got, err := s.GetBucket(ctx, tt.b.Name)
				if err != nil {
					t.Fatal(err)
				}
				if !got.Created.Equal(tt.b.Created) {
					t.Fatalf("Created = %v, want %v", got.Created, tt.b.Created)
				}
				got.Created = tt.b.Created
				if !reflect.DeepEqual(got, tt.b) {
					t.Fatalf("GetBucket = %+v, want %+v", got, tt.b)
				}
			})
		}
	}},
	{"CreateExisting", func(t *testing.T, s meta.Store) {
		mustCreateBucket(t, s, "taken", "alice-account-id")
		for _, owner := range []string{"alice-account-id", "bob"} {
			err := s.CreateBucket(context.Background(), meta.Bucket{Name: "taken", Owner: owner, Created: t0})
			assertErrIs(t, "CreateBucket by "+owner, err, meta.ErrBucketExists)
			if !strings.Contains(err.Error(), "alice-account-id") {
				t.Fatalf("error %q does not name the existing owner", err)
			}
		}
		b, _ := s.GetBucket(context.Background(), "taken")
		if b.Owner != "alice-account-id" {
			t.Fatalf("owner changed to %q", b.Owner)
		}
	}},
	{"GetMissing", func(t *testing.T, s meta.Store) {
		_, err := s.GetBucket(context.Background(), "nope")
		assertErrIs(t, "GetBucket", err, meta.ErrNoSuchBucket)
	}},
	{"Update", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		err := s.UpdateBucket(ctx, "b", func(b *meta.Bucket) error {
			b.Versioning = meta.VersioningSuspended
			b.Tags = []meta.Tag{{Key: "k", Value: "v"}}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetBucket(ctx, "b")
		if got.Versioning != meta.VersioningSuspended || !reflect.DeepEqual(got.Tags, []meta.Tag{{Key: "k", Value: "v"}}) {
			t.Fatalf("after update: %+v", got)
		}
		if err := s.UpdateBucket(ctx, "b", func(b *meta.Bucket) error { b.Tags = nil; return nil }); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetBucket(ctx, "b"); got.Tags != nil {
			t.Fatalf("tags after delete = %v, want nil", got.Tags)
		}

		fnErr := errors.New("refused")
		err = s.UpdateBucket(ctx, "b", func(b *meta.Bucket) error {
			b.Versioning = meta.VersioningEnabled
			return fnErr
		})
		if err != fnErr {
			t.Fatalf("UpdateBucket = %v, want fn's error unchanged", err)
		}
		if got, _ := s.GetBucket(ctx, "b"); got.Versioning != meta.VersioningSuspended {
			t.Fatalf("failed update was stored: %+v", got)
		}
		called := false
		err = s.UpdateBucket(ctx, "missing", func(*meta.Bucket) error { called = true; return nil })
		assertErrIs(t, "UpdateBucket(missing)", err, meta.ErrNoSuchBucket)
		if called {
			t.Fatal("fn called for a missing bucket")
		}
	}},
	{"Encryption", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		mustCreateBucket(t, s, "c", "alice")
		assertRule := func(t *testing.T, what string, want *meta.BucketEncryption) {
			t.Helper()
			got, err := s.GetBucket(ctx, "b")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Encryption, want) {
				t.Fatalf("%s: Encryption = %+v, want %+v", what, got.Encryption, want)
			}
		}
		setRule := func(t *testing.T, e *meta.BucketEncryption) {
			t.Helper()
			if err := s.UpdateBucket(ctx, "b", func(b *meta.Bucket) error { b.Encryption = e; return nil }); err != nil {
				t.Fatal(err)
			}
		}
		assertRule(t, "new bucket", nil)

		kms := &meta.BucketEncryption{Algorithm: meta.SSEKMS, KMSMasterKeyID: kmsKeyARN, BucketKeyEnabled: true,
			BlockedEncryptionTypes: []string{"SSE-C"}}
		setRule(t, kms)
		assertRule(t, "set", kms)

		s3 := &meta.BucketEncryption{Algorithm: meta.SSES3}
		setRule(t, s3)
		assertRule(t, "changed", s3)

		// fn may edit the rule it is given in place.
		err := s.UpdateBucket(ctx, "b", func(b *meta.Bucket) error {
			b.Encryption.BlockedEncryptionTypes = []string{"SSE-C"}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		edited := &meta.BucketEncryption{Algorithm: meta.SSES3, BlockedEncryptionTypes: []string{"SSE-C"}}
		assertRule(t, "edited in place", edited)

		// Updating other fields keeps the rule; a failed update stores
		// none of its changes.
		if err := s.UpdateBucket(ctx, "b", func(b *meta.Bucket) error { b.Versioning = meta.VersioningEnabled; return nil }); err != nil {
			t.Fatal(err)
		}
		assertRule(t, "after a versioning update", edited)
		fnErr := errors.New("refused")
		err = s.UpdateBucket(ctx, "b", func(b *meta.Bucket) error { b.Encryption = nil; return fnErr })
		if err != fnErr {
			t.Fatalf("UpdateBucket = %v, want fn's error unchanged", err)
		}
		assertRule(t, "after a failed update", edited)

		// ListBuckets carries the rule.
		bs, err := s.ListBuckets(ctx, "alice", meta.ListPage{})
		if err != nil || len(bs) != 2 {
			t.Fatalf("ListBuckets = %+v, %v", bs, err)
		}
		if !reflect.DeepEqual(bs[0].Encryption, edited) || bs[1].Encryption != nil {
			t.Fatalf("listed rules = %+v, %+v; want %+v, nil", bs[0].Encryption, bs[1].Encryption, edited)
		}

		setRule(t, nil)
		assertRule(t, "cleared", nil)
		if bs, _ := s.ListBuckets(ctx, "alice", meta.ListPage{Limit: 1}); len(bs) != 1 || bs[0].Encryption != nil {
			t.Fatalf("listed after clearing = %+v", bs)
		}
	}},
	{"Policy", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		mustCreateBucket(t, s, "c", "alice")
		assertPolicy := func(t *testing.T, what, want string) {
			t.Helper()
			got, err := s.GetBucket(ctx, "b")
			if err != nil {
				t.Fatal(err)
			}
			if got.Policy != want {
				t.Fatalf("%s: Policy = %q, want %q", what, got.Policy, want)
			}
		}
		setPolicy := func(t *testing.T, doc string) {
			t.Helper()
			if err := s.UpdateBucket(ctx, "b", func(b *meta.Bucket) error { b.Policy = doc; return nil }); err != nil {
				t.Fatal(err)
			}
		}
		assertPolicy(t, "new bucket", "")
		setPolicy(t, bucketPolicy)
		assertPolicy(t, "set", bucketPolicy)

		// Other updates keep it; a failed update stores none of its changes.
		if err := s.UpdateBucket(ctx, "b", func(b *meta.Bucket) error { b.Versioning = meta.VersioningEnabled; return nil }); err != nil {
			t.Fatal(err)
		}
		assertPolicy(t, "after a versioning update", bucketPolicy)
		fnErr := errors.New("refused")
		if err := s.UpdateBucket(ctx, "b", func(b *meta.Bucket) error { b.Policy = ""; return fnErr }); err != fnErr {
			t.Fatalf("UpdateBucket = %v, want fn's error unchanged", err)
		}
		assertPolicy(t, "after a failed update", bucketPolicy)

		bs, err := s.ListBuckets(ctx, "alice", meta.ListPage{})
		if err != nil || len(bs) != 2 || bs[0].Policy != bucketPolicy || bs[1].Policy != "" {
			t.Fatalf("ListBuckets = %+v, %v; want b with the policy, c without", bs, err)
		}
		setPolicy(t, "")
		assertPolicy(t, "deleted", "")
	}},
	{"IntelligentTiering", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		const doc = `[{"id":"a","status":"Enabled"}]`
		if err := s.CreateBucket(ctx, meta.Bucket{Name: "b", Owner: "alice", IntelligentTiering: doc}); err != nil {
			t.Fatal(err)
		}
		if b, err := s.GetBucket(ctx, "b"); err != nil || b.IntelligentTiering != doc {
			t.Fatalf("created bucket = %+v, %v; want its configurations", b, err)
		}
		if err := s.UpdateBucket(ctx, "b", func(b *meta.Bucket) error { b.Lifecycle = `{"rules":[]}`; return nil }); err != nil {
			t.Fatal(err)
		}
		if b, _ := s.GetBucket(ctx, "b"); b.IntelligentTiering != doc {
			t.Fatalf("after another update IntelligentTiering = %q, want %q", b.IntelligentTiering, doc)
		}
		if err := s.UpdateBucket(ctx, "b", func(b *meta.Bucket) error { b.IntelligentTiering = ""; return nil }); err != nil {
			t.Fatal(err)
		}
		if b, _ := s.GetBucket(ctx, "b"); b.IntelligentTiering != "" {
			t.Fatalf("deleted IntelligentTiering = %q", b.IntelligentTiering)
		}
	}},
	{"DeleteRules", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		tests := []struct {
			name  string
			setup func(t *testing.T, bucket string)
			want  error
		}{
			{"missing", nil, meta.ErrNoSuchBucket},
			{"empty", func(t *testing.T, b string) { mustCreateBucket(t, s, b, "alice") }, nil},
			{"one object", func(t *testing.T, b string) {
				mustCreateBucket(t, s, b, "alice")
				mustCommit(t, s, ver(b, "k", meta.NullVersionID, "x"))
			}, meta.ErrBucketNotEmpty},
			{"only a delete marker", func(t *testing.T, b string) {
				mustCreateBucket(t, s, b, "alice")
				mustCommit(t, s, marker(b, "k", "m"))
			}, meta.ErrBucketNotEmpty},
			{"only an upload", func(t *testing.T, b string) {
				mustCreateBucket(t, s, b, "alice")
				if err := s.CreateUpload(ctx, upload(b, "k", "up-"+b, 0)); err != nil {
					t.Fatal(err)
				}
			}, meta.ErrBucketNotEmpty},
			{"emptied", func(t *testing.T, b string) {
				mustCreateBucket(t, s, b, "alice")
				mustCommit(t, s, ver(b, "k", "v1", "x"))
				if _, err := s.DeleteVersion(ctx, b, "k", "v1", nil); err != nil {
					t.Fatal(err)
				}
			}, nil},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				name := fmt.Sprintf("bucket-%d", i)
				if tt.setup != nil {
					tt.setup(t, name)
				}
				err := s.DeleteBucket(ctx, name)
				if tt.want == nil {
					if err != nil {
						t.Fatalf("DeleteBucket = %v", err)
					}
					_, err := s.GetBucket(ctx, name)
					assertErrIs(t, "GetBucket after delete", err, meta.ErrNoSuchBucket)
					return
				}
				assertErrIs(t, "DeleteBucket", err, tt.want)
			})
		}
	}},
	{"List", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		for _, b := range []struct{ name, owner string }{
			{"a-1", "alice"}, {"a-2", "bob"}, {"a-3", "alice"}, {"b-1", "alice"}, {"c-1", "bob"},
		} {
			mustCreateBucket(t, s, b.name, b.owner)
		}
		tests := []struct {
			name  string
			owner string
			page  meta.ListPage
			want  []string
		}{
			{"all", "", meta.ListPage{}, []string{"a-1", "a-2", "a-3", "b-1", "c-1"}},
			{"by owner", "alice", meta.ListPage{}, []string{"a-1", "a-3", "b-1"}},
			{"prefix", "", meta.ListPage{Prefix: "a-"}, []string{"a-1", "a-2", "a-3"}},
			{"after", "", meta.ListPage{After: "a-3"}, []string{"b-1", "c-1"}},
			{"owner, prefix, after", "alice", meta.ListPage{Prefix: "a-", After: "a-1"}, []string{"a-3"}},
			{"limit", "", meta.ListPage{Limit: 2}, []string{"a-1", "a-2"}},
			{"limit after", "bob", meta.ListPage{After: "a-2", Limit: 1}, []string{"c-1"}},
			{"nothing", "carol", meta.ListPage{}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				bs, err := s.ListBuckets(ctx, tt.owner, tt.page)
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, b := range bs {
					names = append(names, b.Name)
				}
				if !slices.Equal(names, tt.want) {
					t.Fatalf("ListBuckets = %q, want %q", names, tt.want)
				}
			})
		}
	}},
}

// ---------------------------------------------------------------- versions

var versionTests = []test{
	{"CommitAndGetRoundTrip", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		v := ver("b", "dir/ключ é", "v1", "blob-a", "blob-b")
		v.Headers = meta.ObjectHeaders{ContentType: "text/plain", ContentEncoding: "gzip", ContentDisposition: "inline",
			ContentLanguage: "en", CacheControl: "no-cache", Expires: "Thu, 01 Dec 1994 16:00:00 GMT", WebsiteRedirect: "/x"}
		v.UserMeta = map[string]string{"color": "blue", "empty": ""}
		v.Tags = []meta.Tag{{Key: "b", Value: "2"}, {Key: "a", Value: "1"}}
		v.Checksum = meta.Checksum{Algorithm: "CRC32C", Type: "COMPOSITE", Value: "AAAAAA==-2"}
		v.Parts[0].Checksum = meta.Checksum{Algorithm: "CRC32C", Type: "COMPOSITE", Value: "BBBBBB=="}
		v.Parts[1].LastModified = t0.Add(time.Second)
		stored, err := s.CommitVersion(ctx, v, nil)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Seq <= 0 || !stored.IsLatest {
			t.Fatalf("stored Seq=%d IsLatest=%v", stored.Seq, stored.IsLatest)
		}
		want := v
		want.Seq, want.IsLatest = stored.Seq, true
		assertVersion(t, stored, want)
		for _, id := range []string{"", "v1"} {
			got, err := s.GetVersion(ctx, "b", v.Key, id)
			if err != nil {
				t.Fatalf("GetVersion(%q): %v", id, err)
			}
			assertVersion(t, got, want)
			if got.LastModified.UnixNano() != t0.UnixNano() {
				t.Fatalf("LastModified = %v, want %v to the nanosecond", got.LastModified, t0)
			}
		}
	}},
	{"Encryption", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		tests := []struct {
			name string
			e    meta.Encryption
		}{
			{"plaintext", meta.Encryption{}},
			{"SSE-S3", sseS3()},
			{"SSE-KMS with a bucket key", sseKMS()},
			{"SSE-C", sseC()},
			{"every field", everyEncryptionField()},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				key := fmt.Sprintf("k%d", i)
				v := ver("b", key, "v1", "blob-"+key)
				v.Encryption = tt.e
				stored := mustCommit(t, s, v)
				want := v
				want.Seq, want.IsLatest = stored.Seq, true
				assertVersion(t, stored, want)
				for _, id := range []string{"", "v1"} {
					got, err := s.GetVersion(ctx, "b", key, id)
					if err != nil {
						t.Fatal(err)
					}
					assertVersion(t, got, want)
				}

				// UpdateVersion stores tags only: the encryption stays.
				got, err := s.UpdateVersion(ctx, "b", key, "", func(v *meta.Version) error {
					v.Tags = []meta.Tag{{Key: "t", Value: "1"}}
					v.Encryption = meta.Encryption{Mode: meta.SSEC, SealedKey: []byte("ignored")}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				want.Tags = []meta.Tag{{Key: "t", Value: "1"}}
				assertVersion(t, got, want)
				got, err = s.GetVersion(ctx, "b", key, "v1")
				if err != nil {
					t.Fatal(err)
				}
				assertVersion(t, got, want)

				// A precondition and DeleteVersion see it too.
				var seen meta.Encryption
				record := func(cur *meta.Version) error { seen = cur.Encryption; return nil }
				if _, err := s.CommitVersion(ctx, marker("b", key, "m1"), record); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(seen, tt.e) {
					t.Fatalf("precondition saw %+v, want %+v", seen, tt.e)
				}
				del, err := s.DeleteVersion(ctx, "b", key, "v1", nil)
				if err != nil {
					t.Fatal(err)
				}
				want.IsLatest = false
				assertVersion(t, del, want)
			})
		}

		// Replacing the null version replaces its encryption, including
		// with none.
		for _, e := range []meta.Encryption{sseC(), sseS3(), {}} {
			v := ver("b", "null", meta.NullVersionID, "blob-null")
			v.Encryption = e
			mustCommit(t, s, v)
			got, err := s.GetVersion(ctx, "b", "null", meta.NullVersionID)
			if err != nil || !reflect.DeepEqual(got.Encryption, e) {
				t.Fatalf("null version Encryption = %+v, %v; want %+v", got.Encryption, err, e)
			}
		}
	}},
	{"CommitNoSuchBucket", func(t *testing.T, s meta.Store) {
		_, err := s.CommitVersion(context.Background(), ver("nope", "k", "v1", "x"), nil)
		assertErrIs(t, "CommitVersion", err, meta.ErrNoSuchBucket)
	}},
	{"GetVersionErrors", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		mustCommit(t, s, ver("b", "k", "v1", "x"))
		tests := []struct {
			name, bucket, key, version string
			want                       error
		}{
			{"no bucket", "nope", "k", "", meta.ErrNoSuchBucket},
			{"no bucket with version", "nope", "k", "v1", meta.ErrNoSuchBucket},
			{"no key", "b", "other", "", meta.ErrNoSuchKey},
			{"no key with version", "b", "other", "v1", meta.ErrNoSuchKey},
			{"no version", "b", "k", "v2", meta.ErrNoSuchVersion},
			{"null version absent", "b", "k", meta.NullVersionID, meta.ErrNoSuchVersion},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.GetVersion(ctx, tt.bucket, tt.key, tt.version)
				assertErrIs(t, "GetVersion", err, tt.want)
			})
		}
	}},
	{"LatestMayBeDeleteMarker", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		v1 := mustCommit(t, s, ver("b", "k", "v1", "x"))
		m := mustCommit(t, s, marker("b", "k", "m1"))
		got, err := s.GetVersion(ctx, "b", "k", "")
		if err != nil || !got.DeleteMarker || got.VersionID != "m1" || got.Seq != m.Seq || len(got.Parts) != 0 {
			t.Fatalf("latest = %+v, %v; want the delete marker", got, err)
		}
		old, err := s.GetVersion(ctx, "b", "k", "v1")
		if err != nil || old.IsLatest || old.Seq != v1.Seq {
			t.Fatalf("v1 = %+v, %v; want it kept, not latest", old, err)
		}
	}},
	{"SeqGrows", func(t *testing.T, s meta.Store) {
		mustCreateBucket(t, s, "b", "alice")
		mustCreateBucket(t, s, "c", "alice")
		var last int64
		for i, v := range []meta.Version{
			ver("b", "k", "v1", "x1"), ver("c", "k", "v1", "x2"), marker("b", "k", "m"),
			ver("b", "j", meta.NullVersionID, "x3"), ver("b", "j", meta.NullVersionID, "x4"),
		} {
			got := mustCommit(t, s, v)
			if got.Seq <= last {
				t.Fatalf("commit %d: Seq %d not above %d", i, got.Seq, last)
			}
			last = got.Seq
		}
	}},
	{"NullVersionReplacement", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		first := mustCommit(t, s, ver("b", "k", meta.NullVersionID, "blob-1"))
		assertPending(t, s)
		second := mustCommit(t, s, ver("b", "k", meta.NullVersionID, "blob-2a", "blob-2b"))
		if second.Seq <= first.Seq {
			t.Fatalf("replacement Seq %d not above %d", second.Seq, first.Seq)
		}
		assertPending(t, s, "blob-1")
		vs, err := s.ListVersions(ctx, "b", meta.ListPage{}, "")
		if err != nil || len(vs) != 1 || vs[0].Seq != second.Seq {
			t.Fatalf("versions = %+v, %v; want only the replacement", vs, err)
		}
		got, _ := s.GetVersion(ctx, "b", "k", meta.NullVersionID)
		if len(got.Parts) != 2 || got.Parts[0].BlobID != "blob-2a" {
			t.Fatalf("null version parts = %+v", got.Parts)
		}
	}},
	{"NullVersionReplacedUnderNewerVersions", func(t *testing.T, s meta.Store) {
		// Versioning suspended after being enabled: the old null version
		// sits below a versioned one; a new null write removes it and
		// goes on top.
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		mustCommit(t, s, ver("b", "k", meta.NullVersionID, "blob-null-1"))
		v1 := mustCommit(t, s, ver("b", "k", "v1", "blob-v1"))
		n2 := mustCommit(t, s, ver("b", "k", meta.NullVersionID, "blob-null-2"))
		assertPending(t, s, "blob-null-1")
		vs, err := s.ListVersions(ctx, "b", meta.ListPage{}, "")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range vs {
			got = append(got, fmt.Sprintf("%s latest=%v", v.VersionID, v.IsLatest))
		}
		if want := []string{"null latest=true", "v1 latest=false"}; !slices.Equal(got, want) {
			t.Fatalf("versions = %q, want %q", got, want)
		}
		if vs[0].Seq != n2.Seq || vs[1].Seq != v1.Seq {
			t.Fatalf("seqs = %d, %d", vs[0].Seq, vs[1].Seq)
		}
	}},
	{"InlineParts", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		mixed := ver("b", "mixed", "v1", "blob-1", "blob-2")
		mixed.Parts[1] = inlinePart(2, "0123456789")
		// Encrypted inline data is longer than its (plaintext) size and
		// is stored verbatim, even for an empty object.
		sealed := ver("b", "sealed", "v1")
		sealed.Encryption = sseS3()
		sealed.Parts, sealed.Size = []meta.Part{sealedInlinePart(0, 5, bytesOf(0xfa, 5+32))}, 5
		sealedEmpty := ver("b", "sealed-empty", "v1")
		sealedEmpty.Encryption = sseKMS()
		sealedEmpty.Parts, sealedEmpty.Size = []meta.Part{sealedInlinePart(0, 0, bytesOf(0x00, 32))}, 0
		tests := []struct {
			name string
			v    meta.Version
		}{
			{"single inline part", inlineVer("b", "small", "v1", "hello")},
			{"empty inline part", inlineVer("b", "empty", "v1", "")},
			{"binary inline part", inlineVer("b", "bin", "v1", "\x00\xff\x00 nul and high bytes")},
			{"blob part then inline part", mixed},
			{"encrypted inline part, longer than its size", sealed},
			{"encrypted empty inline part", sealedEmpty},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				want := mustCommit(t, s, tt.v)
				got, err := s.GetVersion(ctx, "b", tt.v.Key, tt.v.VersionID)
				if err != nil {
					t.Fatal(err)
				}
				assertVersion(t, got, want)
				for i, p := range got.Parts {
					if p.BlobID == "" && string(p.Inline) != string(tt.v.Parts[i].Inline) {
						t.Fatalf("part %d inline = %q, want %q", i, p.Inline, tt.v.Parts[i].Inline)
					}
				}
			})
		}
		// Replacing and deleting inline versions queues no blob (and
		// never an empty blob ID); the blob of the mixed version is.
		mustCommit(t, s, inlineVer("b", "small", "v1", "replaced"))
		for _, key := range []string{"small", "empty", "bin", "mixed", "sealed", "sealed-empty"} {
			if _, err := s.DeleteVersion(ctx, "b", key, "v1", nil); err != nil {
				t.Fatal(err)
			}
		}
		assertPending(t, s, "blob-1")
		if err := s.EnqueueBlobs(ctx, "", ""); err != nil {
			t.Fatal(err)
		}
		assertPending(t, s, "blob-1")
		if ok, err := s.BlobReferenced(ctx, ""); ok || err != nil {
			t.Fatalf(`BlobReferenced("") = %v, %v; want false`, ok, err)
		}

		bad := []struct {
			name string
			p    meta.Part
		}{
			{"blob and inline data", meta.Part{BlobID: "blob-x", Inline: []byte("x"), Size: 1}},
			{"neither blob nor data", meta.Part{Size: 5}},
			{"no blob and empty inline data", meta.Part{Inline: []byte{}, Size: 5}},
		}
		for _, tt := range bad {
			v := ver("b", "bad", "v1")
			v.Parts, v.Size = []meta.Part{tt.p}, tt.p.Size
			if _, err := s.CommitVersion(ctx, v, nil); err == nil {
				t.Errorf("CommitVersion with a part with %s succeeded", tt.name)
			}
		}
	}},
	{"SharedBlobNotEnqueued", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		mustCommit(t, s, ver("b", "a", meta.NullVersionID, "shared"))
		mustCommit(t, s, ver("b", "b", meta.NullVersionID, "shared"))
		mustCommit(t, s, ver("b", "a", meta.NullVersionID, "fresh"))
		assertPending(t, s)
		if _, err := s.DeleteVersion(ctx, "b", "b", meta.NullVersionID, nil); err != nil {
			t.Fatal(err)
		}
		assertPending(t, s, "shared")
	}},
	{"Precondition", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		var seen []*meta.Version
		record := func(cur *meta.Version) error { seen = append(seen, cur); return nil }
		if _, err := s.CommitVersion(ctx, ver("b", "k", "v1", "x1"), record); err != nil {
			t.Fatal(err)
		}
		if len(seen) != 1 || seen[0] != nil {
			t.Fatalf("cond for a new key saw %v, want nil", seen)
		}
		if _, err := s.CommitVersion(ctx, marker("b", "k", "m1"), record); err != nil {
			t.Fatal(err)
		}
		if seen[1] == nil || seen[1].VersionID != "v1" || !seen[1].IsLatest {
			t.Fatalf("cond saw %+v, want v1", seen[1])
		}
		if _, err := s.CommitVersion(ctx, ver("b", "k", "v2", "x2"), record); err != nil {
			t.Fatal(err)
		}
		if seen[2] == nil || !seen[2].DeleteMarker {
			t.Fatalf("cond saw %+v, want the delete marker", seen[2])
		}

		failed := errors.New("precondition failed")
		_, err := s.CommitVersion(ctx, ver("b", "k", "v3", "x3"), func(*meta.Version) error { return failed })
		if err != failed {
			t.Fatalf("CommitVersion = %v, want the precondition's error unchanged", err)
		}
		// Not even the replacement of an existing version may happen.
		_, err = s.CommitVersion(ctx, ver("b", "k", "v1", "x4"), func(*meta.Version) error { return failed })
		if err != failed {
			t.Fatalf("CommitVersion = %v", err)
		}
		if _, err := s.GetVersion(ctx, "b", "k", "v3"); !errors.Is(err, meta.ErrNoSuchVersion) {
			t.Fatalf("failed commit stored something: %v", err)
		}
		got, _ := s.GetVersion(ctx, "b", "k", "v1")
		if got.Parts[0].BlobID != "x1" {
			t.Fatal("failed commit replaced v1")
		}
		assertPending(t, s)
		latest, _ := s.GetVersion(ctx, "b", "k", "")
		if latest.VersionID != "v2" {
			t.Fatalf("latest = %s, want v2", latest.VersionID)
		}
	}},
	{"PanicInPreconditionReachesCaller", func(t *testing.T, s meta.Store) {
		mustCreateBucket(t, s, "b", "alice")
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("panic swallowed")
				}
			}()
			_, _ = s.CommitVersion(context.Background(), ver("b", "k", "v1"), func(*meta.Version) error { panic("boom") })
		}()
		// The store still works and the panicking commit left nothing.
		if _, err := s.GetVersion(context.Background(), "b", "k", ""); !errors.Is(err, meta.ErrNoSuchKey) {
			t.Fatalf("GetVersion = %v, want ErrNoSuchKey", err)
		}
		mustCommit(t, s, ver("b", "k", "v2", "x"))
	}},
	{"CancelledContext", func(t *testing.T, s meta.Store) {
		mustCreateBucket(t, s, "b", "alice")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := s.CommitVersion(ctx, ver("b", "k", "v1", "x"), nil)
		assertErrIs(t, "CommitVersion with cancelled context", err, context.Canceled)
		if _, err := s.GetVersion(context.Background(), "b", "k", ""); !errors.Is(err, meta.ErrNoSuchKey) {
			t.Fatalf("cancelled commit stored something: %v", err)
		}
	}},
	{"DeleteVersion", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		v1 := mustCommit(t, s, ver("b", "k", "v1", "b1"))
		mustCommit(t, s, ver("b", "k", "v2", "b2a", "b2b"))
		mustCommit(t, s, marker("b", "k", "m3"))

		// Deleting the latest (a delete marker) makes v2 latest and
		// visible again.
		del, err := s.DeleteVersion(ctx, "b", "k", "", nil)
		if err != nil || del.VersionID != "m3" || !del.DeleteMarker {
			t.Fatalf("DeleteVersion(latest) = %+v, %v", del, err)
		}
		latest, _ := s.GetVersion(ctx, "b", "k", "")
		if latest.VersionID != "v2" || !latest.IsLatest {
			t.Fatalf("latest after delete = %+v", latest)
		}
		if l, _ := s.ListLatest(ctx, "b", meta.ListPage{}); len(l) != 1 || l[0].VersionID != "v2" {
			t.Fatalf("ListLatest = %+v", l)
		}
		assertPending(t, s)

		// Deleting a non-latest version leaves the latest alone.
		del, err = s.DeleteVersion(ctx, "b", "k", "v1", nil)
		if err != nil {
			t.Fatal(err)
		}
		v1.IsLatest = false
		assertVersion(t, del, v1)
		assertPending(t, s, "b1")
		if latest, _ := s.GetVersion(ctx, "b", "k", ""); latest.VersionID != "v2" {
			t.Fatalf("latest = %s", latest.VersionID)
		}

		failed := errors.New("no")
		var saw *meta.Version
		_, err = s.DeleteVersion(ctx, "b", "k", "v2", func(v *meta.Version) error { saw = v; return failed })
		if err != failed {
			t.Fatalf("DeleteVersion = %v, want the precondition's error unchanged", err)
		}
		if saw == nil || saw.VersionID != "v2" {
			t.Fatalf("cond saw %+v, want v2", saw)
		}
		if _, err := s.GetVersion(ctx, "b", "k", "v2"); err != nil {
			t.Fatalf("v2 gone after failed delete: %v", err)
		}

		del, err = s.DeleteVersion(ctx, "b", "k", "v2", nil)
		if err != nil || len(del.Parts) != 2 {
			t.Fatalf("DeleteVersion(v2) = %+v, %v; want it with its parts", del, err)
		}
		assertPending(t, s, "b1", "b2a", "b2b")
		_, err = s.GetVersion(ctx, "b", "k", "")
		assertErrIs(t, "GetVersion after deleting all", err, meta.ErrNoSuchKey)

		for _, tt := range []struct {
			name, bucket, key, version string
			want                       error
		}{
			{"no bucket", "nope", "k", "v1", meta.ErrNoSuchBucket},
			{"no key", "b", "k", "", meta.ErrNoSuchKey},
			{"no key with version", "b", "k", "v1", meta.ErrNoSuchKey},
		} {
			_, err := s.DeleteVersion(ctx, tt.bucket, tt.key, tt.version, nil)
			assertErrIs(t, "DeleteVersion "+tt.name, err, tt.want)
		}
		mustCommit(t, s, ver("b", "k", "v9", "b9"))
		_, err = s.DeleteVersion(ctx, "b", "k", "v1", nil)
		assertErrIs(t, "DeleteVersion of a deleted version", err, meta.ErrNoSuchVersion)
	}},
	{"UpdateVersion", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		v1 := mustCommit(t, s, ver("b", "k", "v1", "b1"))
		mustCommit(t, s, ver("b", "k", "v2", "b2"))

		got, err := s.UpdateVersion(ctx, "b", "k", "v1", func(v *meta.Version) error {
			v.Tags = []meta.Tag{{Key: "t", Value: "1"}}
			v.Size = 999 // ignored
			v.ETag = "ignored"
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := v1
		want.IsLatest = false
		want.Tags = []meta.Tag{{Key: "t", Value: "1"}}
		assertVersion(t, got, want)
		stored, _ := s.GetVersion(ctx, "b", "k", "v1")
		assertVersion(t, stored, want)

		// "" is the latest version.
		got, err = s.UpdateVersion(ctx, "b", "k", "", func(v *meta.Version) error { v.Tags = []meta.Tag{}; return nil })
		if err != nil || got.VersionID != "v2" || got.Tags == nil || len(got.Tags) != 0 {
			t.Fatalf("UpdateVersion(latest) = %+v, %v", got, err)
		}

		failed := errors.New("no")
		_, err = s.UpdateVersion(ctx, "b", "k", "v1", func(v *meta.Version) error { v.Tags = nil; return failed })
		if err != failed {
			t.Fatalf("UpdateVersion = %v, want fn's error unchanged", err)
		}
		if stored, _ := s.GetVersion(ctx, "b", "k", "v1"); len(stored.Tags) != 1 {
			t.Fatal("failed update was stored")
		}
		for _, tt := range []struct {
			name, bucket, key, version string
			want                       error
		}{
			{"no bucket", "nope", "k", "", meta.ErrNoSuchBucket},
			{"no key", "b", "other", "", meta.ErrNoSuchKey},
			{"no version", "b", "k", "v7", meta.ErrNoSuchVersion},
		} {
			_, err := s.UpdateVersion(ctx, tt.bucket, tt.key, tt.version, func(*meta.Version) error { return nil })
			assertErrIs(t, "UpdateVersion "+tt.name, err, tt.want)
		}
	}},
	{"TouchVersion", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		v1 := mustCommit(t, s, ver("b", "k", "v1", "b1"))
		if !v1.LastAccess.IsZero() {
			t.Fatalf("new version LastAccess = %v, want zero (not read since written)", v1.LastAccess)
		}
		mustCommit(t, s, ver("b", "k", "v2", "b2"))
		lastAccess := func(t *testing.T, id string) time.Time {
			t.Helper()
			v, err := s.GetVersion(ctx, "b", "k", id)
			if err != nil {
				t.Fatal(err)
			}
			return v.LastAccess
		}

		at := t0.Add(time.Hour)
		if err := s.TouchVersion(ctx, "b", "k", "v1", at); err != nil {
			t.Fatal(err)
		}
		if got := lastAccess(t, "v1"); !got.Equal(at) {
			t.Fatalf("LastAccess = %v, want %v", got, at)
		}
		if got := lastAccess(t, "v2"); !got.IsZero() {
			t.Fatalf("the other version's LastAccess = %v, want zero", got)
		}
		// Only LastAccess changes; an earlier touch does not move it back.
		want := v1
		want.IsLatest = false
		want.LastAccess = at
		if err := s.TouchVersion(ctx, "b", "k", "v1", t0); err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetVersion(ctx, "b", "k", "v1")
		assertVersion(t, got, want)
		// Listings carry it too.
		vs, err := s.ListVersions(ctx, "b", meta.ListPage{}, "")
		if err != nil || len(vs) != 2 || !vs[1].LastAccess.Equal(at) {
			t.Fatalf("ListVersions = %+v, %v; want v1 with LastAccess %v", vs, err, at)
		}
		// UpdateVersion stores it too, with the restore it goes with, in
		// any direction.
		restored := t0.Add(48 * time.Hour)
		got, err = s.UpdateVersion(ctx, "b", "k", "v1", func(v *meta.Version) error {
			v.LastAccess = restored
			v.Restore = &meta.Restore{Tier: "Bulk", Requested: at, Ready: restored, Expiry: restored, AccessTier: "DEEP_ARCHIVE_ACCESS"}
			return nil
		})
		if err != nil || !got.LastAccess.Equal(restored) {
			t.Fatalf("UpdateVersion = %+v, %v; want LastAccess %v", got, err, restored)
		}
		if v, _ := s.GetVersion(ctx, "b", "k", "v1"); !v.LastAccess.Equal(restored) || v.Restore == nil || v.Restore.AccessTier != "DEEP_ARCHIVE_ACCESS" {
			t.Fatalf("after UpdateVersion: LastAccess %v, Restore %+v", v.LastAccess, v.Restore)
		}
		// A version committed with a LastAccess keeps it.
		c := ver("b", "copy", "c1", "b3")
		c.LastAccess = at
		if got := mustCommit(t, s, c); !got.LastAccess.Equal(at) {
			t.Fatalf("committed LastAccess = %v, want %v", got.LastAccess, at)
		}

		for _, tt := range []struct {
			name, bucket, key, version string
			want                       error
		}{
			{"no bucket", "nope", "k", "v1", meta.ErrNoSuchBucket},
			{"no key", "b", "other", "v1", meta.ErrNoSuchKey},
			{"no version", "b", "k", "v7", meta.ErrNoSuchVersion},
		} {
			err := s.TouchVersion(ctx, tt.bucket, tt.key, tt.version, at)
			assertErrIs(t, "TouchVersion "+tt.name, err, tt.want)
		}
		if err := s.TouchVersion(ctx, "b", "k", "", at); err == nil {
			t.Fatal("TouchVersion without a version ID succeeded")
		}
	}},
}

// ---------------------------------------------------------------- listing

// listingKeys sort, as bytes, in this order.
var listingKeys = []string{"a", "a/b", "a/c", "a0", "a\x7f", "b", "z", "é", "éa", "中文", "😀"}

// refLatest is the ListPage contract applied to a sorted key list.
func refLatest(keys []string, p meta.ListPage) []string {
	var out []string
	for _, k := range keys {
		if !strings.HasPrefix(k, p.Prefix) || (p.After != "" && k <= p.After) || k < p.From {
			continue
		}
		if p.Limit > 0 && len(out) == p.Limit {
			break
		}
		out = append(out, k)
	}
	return out
}

var listingTests = []test{
	{"ListLatest", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		mustCreateBucket(t, s, "other", "alice")
		for _, k := range slices.Backward(listingKeys) {
			mustCommit(t, s, ver("b", k, "v1", "blob-"+k))
			mustCommit(t, s, ver("other", k, "v1", "blob-o-"+k))
		}
		mustCommit(t, s, ver("b", "a/b", "v2", "blob-a/b-2")) // two versions: listed once
		// Keys whose latest version is a delete marker are skipped; a
		// key that was deleted and written again is listed.
		mustCommit(t, s, marker("b", "deleted", "m1"))
		mustCommit(t, s, ver("b", "a0", "v0", "x"))
		mustCommit(t, s, marker("b", "a0", "m2"))
		mustCommit(t, s, marker("b", "b", "m3"))
		mustCommit(t, s, ver("b", "b", "v4", "blob-b-4"))
		visible := slices.DeleteFunc(slices.Clone(listingKeys), func(k string) bool { return k == "a0" })
		if !slices.IsSorted(listingKeys) {
			t.Fatal("listingKeys not in byte order")
		}

		tests := []struct {
			name string
			page meta.ListPage
		}{
			{"all", meta.ListPage{}},
			{"prefix a", meta.ListPage{Prefix: "a"}},
			{"prefix a/", meta.ListPage{Prefix: "a/"}},
			{"prefix with DEL byte", meta.ListPage{Prefix: "a\x7f"}},
			{"prefix é", meta.ListPage{Prefix: "é"}},
			{"prefix 中", meta.ListPage{Prefix: "中"}},
			{"prefix none", meta.ListPage{Prefix: "q"}},
			{"after", meta.ListPage{After: "a/b"}},
			{"after deleted key", meta.ListPage{After: "a0"}},
			{"after unicode", meta.ListPage{After: "é"}},
			{"from", meta.ListPage{From: "a/c"}},
			{"from between keys", meta.ListPage{From: "a1"}},
			{"after wins over smaller from", meta.ListPage{After: "b", From: "a"}},
			{"from wins over smaller after", meta.ListPage{After: "a", From: "b"}},
			{"equal after and from", meta.ListPage{After: "b", From: "b"}},
			{"prefix and after inside", meta.ListPage{Prefix: "a", After: "a/b"}},
			{"prefix and after before it", meta.ListPage{Prefix: "é", After: "b"}},
			{"prefix and after past it", meta.ListPage{Prefix: "a", After: "b"}},
			{"limit", meta.ListPage{Limit: 3}},
			{"limit and after", meta.ListPage{After: "a/c", Limit: 2}},
			{"limit beyond", meta.ListPage{Prefix: "a/", Limit: 10}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				vs, err := s.ListLatest(ctx, "b", tt.page)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := keysOf(vs), refLatest(visible, tt.page); !slices.Equal(got, want) {
					t.Fatalf("ListLatest(%+v) = %q, want %q", tt.page, got, want)
				}
				for _, v := range vs {
					if v.Bucket != "b" || !v.IsLatest || v.DeleteMarker || len(v.Parts) != 0 {
						t.Fatalf("listed %+v", v)
					}
				}
			})
		}
		vs, _ := s.ListLatest(ctx, "b", meta.ListPage{Prefix: "a/b"})
		if len(vs) != 1 || vs[0].VersionID != "v2" || vs[0].Size != 10 || vs[0].ETag == "" {
			t.Fatalf("ListLatest returned %+v, want the newest version with its fields", vs)
		}
		_, err := s.ListLatest(ctx, "nope", meta.ListPage{})
		assertErrIs(t, "ListLatest(missing bucket)", err, meta.ErrNoSuchBucket)
		if vs, err := s.ListLatest(ctx, "other", meta.ListPage{Prefix: "zz"}); err != nil || len(vs) != 0 {
			t.Fatalf("empty listing = %v, %v", vs, err)
		}
	}},
	{"ListingsCarryEncryption", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		commit := func(key, id string, e meta.Encryption) {
			v := ver("b", key, id, "blob-"+key+"-"+id)
			v.Encryption = e
			mustCommit(t, s, v)
		}
		commit("a", "v1", sseS3())
		commit("a", "v2", sseC())
		commit("b", "v1", sseKMS())
		commit("c", "v1", meta.Encryption{})
		commit("d", "v1", everyEncryptionField())
		mustCommit(t, s, marker("b", "e", "m1"))

		wantLatest := map[string]meta.Encryption{"a/v2": sseC(), "b/v1": sseKMS(), "c/v1": {}, "d/v1": everyEncryptionField()}
		ls, err := s.ListLatest(ctx, "b", meta.ListPage{})
		if err != nil {
			t.Fatal(err)
		}
		if got := encryptionByKey(ls); !reflect.DeepEqual(got, wantLatest) {
			t.Fatalf("ListLatest encryption = %+v, want %+v", got, wantLatest)
		}
		wantAll := map[string]meta.Encryption{"a/v1": sseS3(), "a/v2": sseC(), "b/v1": sseKMS(), "c/v1": {},
			"d/v1": everyEncryptionField(), "e/m1": {}}
		vs, err := s.ListVersions(ctx, "b", meta.ListPage{}, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := encryptionByKey(vs); !reflect.DeepEqual(got, wantAll) {
			t.Fatalf("ListVersions encryption = %+v, want %+v", got, wantAll)
		}
		// The page after a version marker carries it as well.
		vs, err = s.ListVersions(ctx, "b", meta.ListPage{After: "a", Limit: 1}, "v2")
		if err != nil || len(vs) != 1 || !reflect.DeepEqual(vs[0].Encryption, sseS3()) {
			t.Fatalf("ListVersions after a/v2 = %+v, %v; want a/v1 with its encryption", vs, err)
		}
	}},
	{"ListVersions", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		// Interleave commits so that Seq order differs from key order.
		mustCommit(t, s, ver("b", "k2", "k2-1", "x"))
		mustCommit(t, s, ver("b", "k1", "k1-1", "x"))
		mustCommit(t, s, ver("b", "k2", "k2-2", "x"))
		mustCommit(t, s, marker("b", "k1", "k1-2"))
		mustCommit(t, s, ver("b", "k1", "k1-3", "x"))
		mustCommit(t, s, marker("b", "k3", "k3-1"))
		mustCommit(t, s, ver("b", "j", meta.NullVersionID, "x"))
		all := []string{"j/null*", "k1/k1-3*", "k1/k1-2", "k1/k1-1", "k2/k2-2*", "k2/k2-1", "k3/k3-1*"}

		tests := []struct {
			name         string
			page         meta.ListPage
			versionAfter string
			want         []string
		}{
			{"all", meta.ListPage{}, "", all},
			{"prefix", meta.ListPage{Prefix: "k1"}, "", all[1:4]},
			{"after key", meta.ListPage{After: "k1"}, "", all[4:]},
			{"after version", meta.ListPage{After: "k1", Limit: 0}, "k1-3", all[2:]},
			{"after oldest version", meta.ListPage{After: "k1"}, "k1-1", all[4:]},
			{"after version with limit", meta.ListPage{After: "k1", Limit: 1}, "k1-3", all[2:3]},
			{"limit spanning keys", meta.ListPage{After: "k1", Limit: 3}, "k1-2", all[3:6]},
			{"after version outside prefix", meta.ListPage{Prefix: "k2", After: "k1"}, "k1-3", all[4:6]},
			{"limit", meta.ListPage{Limit: 2}, "", all[:2]},
			{"from", meta.ListPage{From: "k2"}, "", all[4:]},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				vs, err := s.ListVersions(ctx, "b", tt.page, tt.versionAfter)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, v := range vs {
					e := v.Key + "/" + v.VersionID
					if v.IsLatest {
						e += "*"
					}
					got = append(got, e)
					if len(v.Parts) != 0 {
						t.Fatalf("parts loaded for %s", e)
					}
				}
				if !slices.Equal(got, tt.want) {
					t.Fatalf("ListVersions = %q, want %q", got, tt.want)
				}
			})
		}
		vs, _ := s.ListVersions(ctx, "b", meta.ListPage{Prefix: "k1"}, "")
		if !vs[1].DeleteMarker || vs[0].DeleteMarker || vs[0].Seq <= vs[1].Seq || vs[1].Seq <= vs[2].Seq {
			t.Fatalf("k1 versions = %+v", vs)
		}
		_, err := s.ListVersions(ctx, "b", meta.ListPage{After: "k1"}, "no-such-version")
		assertErrIs(t, "ListVersions with unknown version marker", err, meta.ErrNoSuchVersion)
		_, err = s.ListVersions(ctx, "nope", meta.ListPage{}, "")
		assertErrIs(t, "ListVersions(missing bucket)", err, meta.ErrNoSuchBucket)
	}},
}

// encryptionByKey maps listed versions' "key/versionID" to their
// Encryption.
func encryptionByKey(vs []meta.Version) map[string]meta.Encryption {
	m := make(map[string]meta.Encryption, len(vs))
	for _, v := range vs {
		m[v.Key+"/"+v.VersionID] = v.Encryption
	}
	return m
}

// ---------------------------------------------------------------- uploads

var uploadTests = []test{
	{"CreateAndGet", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		u := upload("b", "k", "u1", 0)
		u.Headers = meta.ObjectHeaders{ContentType: "image/png"}
		u.UserMeta = map[string]string{"a": "b"}
		u.Tags = []meta.Tag{{Key: "x", Value: "y"}}
		u.ChecksumAlgo, u.ChecksumType = "SHA256", "COMPOSITE"
		u.Encryption = everyEncryptionField()
		if err := s.CreateUpload(ctx, u); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetUpload(ctx, "b", "k", "u1")
		if err != nil {
			t.Fatal(err)
		}
		if !got.Initiated.Equal(u.Initiated) {
			t.Fatalf("Initiated = %v, want %v", got.Initiated, u.Initiated)
		}
		got.Initiated = u.Initiated
		if !reflect.DeepEqual(got, u) {
			t.Fatalf("GetUpload = %+v, want %+v", got, u)
		}
		for _, tt := range []struct{ name, bucket, key, id string }{
			{"wrong id", "b", "k", "u2"},
			{"wrong key", "b", "k2", "u1"},
			{"wrong bucket", "c", "k", "u1"},
		} {
			_, err := s.GetUpload(ctx, tt.bucket, tt.key, tt.id)
			assertErrIs(t, "GetUpload "+tt.name, err, meta.ErrNoSuchUpload)
		}
		err = s.CreateUpload(ctx, upload("nope", "k", "u3", 0))
		assertErrIs(t, "CreateUpload(missing bucket)", err, meta.ErrNoSuchBucket)
	}},
	{"Parts", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		if err := s.CreateUpload(ctx, upload("b", "k", "u1", 0)); err != nil {
			t.Fatal(err)
		}
		for _, p := range []meta.Part{part(3, "p3"), part(1, "p1"), part(2, "p2"), part(10000, "p10000")} {
			if err := s.PutPart(ctx, "u1", p); err != nil {
				t.Fatal(err)
			}
		}
		// Replacing a part queues the old blob; re-putting the same blob
		// queues nothing.
		p2 := part(2, "p2-new")
		p2.Checksum = meta.Checksum{Algorithm: "CRC32", Type: "COMPOSITE", Value: "AAAA"}
		if err := s.PutPart(ctx, "u1", p2); err != nil {
			t.Fatal(err)
		}
		if err := s.PutPart(ctx, "u1", part(3, "p3")); err != nil {
			t.Fatal(err)
		}
		assertPending(t, s, "p2")

		tests := []struct {
			name         string
			after, limit int
			want         []string
		}{
			{"all", 0, 0, []string{"p1", "p2-new", "p3", "p10000"}},
			{"after", 2, 0, []string{"p3", "p10000"}},
			{"limit", 0, 2, []string{"p1", "p2-new"}},
			{"after and limit", 1, 1, []string{"p2-new"}},
			{"after the last", 10000, 0, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ps, err := s.ListParts(ctx, "u1", tt.after, tt.limit)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, p := range ps {
					got = append(got, p.BlobID)
				}
				if !slices.Equal(got, tt.want) {
					t.Fatalf("ListParts = %q, want %q", got, tt.want)
				}
			})
		}
		ps, _ := s.ListParts(ctx, "u1", 1, 1)
		if ps[0].Number != 2 || ps[0].Checksum != p2.Checksum || ps[0].Size != p2.Size || !ps[0].LastModified.Equal(t0) || ps[0].ETag != p2.ETag {
			t.Fatalf("part = %+v, want %+v", ps[0], p2)
		}
		assertErrIs(t, "PutPart(missing upload)", s.PutPart(ctx, "nope", part(1, "z")), meta.ErrNoSuchUpload)
		_, err := s.ListParts(ctx, "nope", 0, 0)
		assertErrIs(t, "ListParts(missing upload)", err, meta.ErrNoSuchUpload)
	}},
	{"ListUploads", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		mustCreateBucket(t, s, "other", "alice")
		for _, u := range []meta.Upload{
			upload("b", "k2", "u-c", 0),
			upload("b", "k1", "u-z", 2*time.Second),
			upload("b", "k1", "u-b", time.Second),
			upload("b", "k1", "u-a", time.Second),
			upload("b", "é", "u-e", 0),
			upload("other", "k1", "u-o", 0),
		} {
			if err := s.CreateUpload(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		all := []string{"k1/u-a", "k1/u-b", "k1/u-z", "k2/u-c", "é/u-e"}
		tests := []struct {
			name        string
			page        meta.ListPage
			uploadAfter string
			want        []string
		}{
			{"all", meta.ListPage{}, "", all},
			{"prefix", meta.ListPage{Prefix: "k1"}, "", all[:3]},
			{"after key", meta.ListPage{After: "k1"}, "", all[3:]},
			{"after upload", meta.ListPage{After: "k1"}, "u-a", all[1:]},
			{"after upload, same time", meta.ListPage{After: "k1", Limit: 1}, "u-a", all[1:2]},
			{"after last upload of key", meta.ListPage{After: "k1"}, "u-z", all[3:]},
			{"limit", meta.ListPage{Limit: 4}, "", all[:4]},
			{"unicode prefix", meta.ListPage{Prefix: "é"}, "", all[4:]},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				us, err := s.ListUploads(ctx, "b", tt.page, tt.uploadAfter)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, u := range us {
					got = append(got, u.Key+"/"+u.UploadID)
				}
				if !slices.Equal(got, tt.want) {
					t.Fatalf("ListUploads = %q, want %q", got, tt.want)
				}
			})
		}
		_, err := s.ListUploads(ctx, "nope", meta.ListPage{}, "")
		assertErrIs(t, "ListUploads(missing bucket)", err, meta.ErrNoSuchBucket)
		_, err = s.ListUploads(ctx, "b", meta.ListPage{After: "k1"}, "u-gone")
		assertErrIs(t, "ListUploads with unknown upload marker", err, meta.ErrNoSuchUpload)
	}},
	{"Complete", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		mustCommit(t, s, ver("b", "k", meta.NullVersionID, "old-blob"))
		if err := s.CreateUpload(ctx, upload("b", "k", "u1", 0)); err != nil {
			t.Fatal(err)
		}
		for _, p := range []meta.Part{part(1, "p1"), part(2, "p2"), part(3, "p3"), part(4, "p4")} {
			if err := s.PutPart(ctx, "u1", p); err != nil {
				t.Fatal(err)
			}
		}
		v := ver("b", "k", meta.NullVersionID)
		v.Parts = []meta.Part{part(1, "p1"), part(3, "p3")}
		v.Size = 2 * (5 << 20)
		v.ETag = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-2"

		// A failing precondition leaves the upload as it was.
		failed := errors.New("no")
		if _, err := s.CompleteUpload(ctx, "u1", v, func(*meta.Version) error { return failed }); err != failed {
			t.Fatalf("CompleteUpload = %v, want the precondition's error unchanged", err)
		}
		if ps, _ := s.ListParts(ctx, "u1", 0, 0); len(ps) != 4 {
			t.Fatalf("parts after failed complete: %d", len(ps))
		}

		foreign := v
		foreign.Parts = []meta.Part{part(1, "p1"), part(2, "not-a-part")}
		_, err := s.CompleteUpload(ctx, "u1", foreign, nil)
		assertErrIs(t, "CompleteUpload with a foreign blob", err, meta.ErrNoSuchPart)
		wrongKey := v
		wrongKey.Key = "other"
		_, err = s.CompleteUpload(ctx, "u1", wrongKey, nil)
		assertErrIs(t, "CompleteUpload under another key", err, meta.ErrNoSuchUpload)
		assertPending(t, s)

		got, err := s.CompleteUpload(ctx, "u1", v, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := v
		want.Seq, want.IsLatest = got.Seq, true
		assertVersion(t, got, want)
		stored, err := s.GetVersion(ctx, "b", "k", "")
		if err != nil {
			t.Fatal(err)
		}
		assertVersion(t, stored, want)
		// Unused parts and the replaced null version's blob are queued.
		assertPending(t, s, "old-blob", "p2", "p4")
		_, err = s.GetUpload(ctx, "b", "k", "u1")
		assertErrIs(t, "GetUpload after complete", err, meta.ErrNoSuchUpload)
		_, err = s.ListParts(ctx, "u1", 0, 0)
		assertErrIs(t, "ListParts after complete", err, meta.ErrNoSuchUpload)
		_, err = s.CompleteUpload(ctx, "u1", v, nil)
		assertErrIs(t, "second CompleteUpload", err, meta.ErrNoSuchUpload)
		for _, b := range []string{"p1", "p3"} {
			if ok, _ := s.BlobReferenced(ctx, b); !ok {
				t.Fatalf("%s not referenced after complete", b)
			}
		}
		if err := s.DeleteBucket(ctx, "b"); !errors.Is(err, meta.ErrBucketNotEmpty) {
			t.Fatalf("DeleteBucket = %v", err)
		}
	}},
	{"InlineParts", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		if err := s.CreateUpload(ctx, upload("b", "k", "u1", 0)); err != nil {
			t.Fatal(err)
		}
		for _, p := range []meta.Part{part(1, "p1"), inlinePart(2, "first"), part(3, "p3"), inlinePart(4, "unused")} {
			if err := s.PutPart(ctx, "u1", p); err != nil {
				t.Fatal(err)
			}
		}
		// An inline part replacing a blob part queues the blob; one
		// replacing an inline part queues nothing.
		if err := s.PutPart(ctx, "u1", inlinePart(3, "was a blob")); err != nil {
			t.Fatal(err)
		}
		last := inlinePart(2, "last part")
		if err := s.PutPart(ctx, "u1", last); err != nil {
			t.Fatal(err)
		}
		assertPending(t, s, "p3")
		err := s.PutPart(ctx, "u1", meta.Part{Number: 5, BlobID: "p5", Inline: []byte("x"), Size: 1})
		if err == nil {
			t.Fatal("PutPart with both a blob and inline data succeeded")
		}
		ps, err := s.ListParts(ctx, "u1", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range ps {
			got = append(got, fmt.Sprintf("%s|%d|%s", p.BlobID, p.Size, p.Inline))
		}
		// Listings describe inline parts without loading their bytes.
		if want := []string{
			fmt.Sprintf("p1|%d|", part(1, "p1").Size), "|9|", "|10|", "|6|",
		}; !slices.Equal(got, want) {
			t.Fatalf("ListParts = %q, want %q", got, want)
		}

		// Complete moves the inline data of the listed parts into the
		// version; the caller need not send it.
		v := ver("b", "k", "v1")
		listed := last
		listed.Inline = nil
		v.Parts = []meta.Part{part(1, "p1"), listed}
		v.Size = part(1, "p1").Size + last.Size
		tampered := v
		tampered.Parts = []meta.Part{part(1, "p1"), inlinePart(2, "other data")}
		tampered.Size = part(1, "p1").Size + tampered.Parts[1].Size
		_, err = s.CompleteUpload(ctx, "u1", tampered, nil)
		assertErrIs(t, "CompleteUpload with an inline part of another size", err, meta.ErrNoSuchPart)
		asBlob := v
		asBlob.Parts = []meta.Part{part(1, "p1"), part(2, "p2")}
		_, err = s.CompleteUpload(ctx, "u1", asBlob, nil)
		assertErrIs(t, "CompleteUpload naming a blob for an inline part", err, meta.ErrNoSuchPart)

		stored, err := s.CompleteUpload(ctx, "u1", v, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := v
		want.Parts = []meta.Part{part(1, "p1"), last}
		want.Seq, want.IsLatest = stored.Seq, true
		assertVersion(t, stored, want)
		got2, err := s.GetVersion(ctx, "b", "k", "v1")
		if err != nil {
			t.Fatal(err)
		}
		assertVersion(t, got2, want)
		// Unused inline parts are dropped, never queued.
		assertPending(t, s, "p3")
		if _, err := s.DeleteVersion(ctx, "b", "k", "v1", nil); err != nil {
			t.Fatal(err)
		}
		assertPending(t, s, "p1", "p3")

		// Aborting an upload with inline parts queues only its blobs.
		if err := s.CreateUpload(ctx, upload("b", "k", "u2", 0)); err != nil {
			t.Fatal(err)
		}
		for _, p := range []meta.Part{part(1, "q1"), inlinePart(2, "q2")} {
			if err := s.PutPart(ctx, "u2", p); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AbortUpload(ctx, "b", "k", "u2"); err != nil {
			t.Fatal(err)
		}
		assertPending(t, s, "p1", "p3", "q1")
	}},
	{"Encryption", func(t *testing.T, s meta.Store) {
		// An encrypted upload: its encryption reads back from GetUpload
		// and ListUploads, its inline part keeps its sealed bytes, and
		// CompleteUpload stores the encryption the caller copies from
		// the upload.
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		plain := upload("b", "k", "u-plain", 0)
		if err := s.CreateUpload(ctx, plain); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			e    meta.Encryption
		}{
			{"SSE-S3", sseS3()},
			{"SSE-KMS with a bucket key", sseKMS()},
			{"SSE-C", sseC()},
			{"every field", everyEncryptionField()},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := fmt.Sprintf("u%d", i)
				u := upload("b", "k", id, time.Duration(i+1)*time.Second)
				u.Encryption = tt.e
				if err := s.CreateUpload(ctx, u); err != nil {
					t.Fatal(err)
				}
				got, err := s.GetUpload(ctx, "b", "k", id)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got.Encryption, tt.e) {
					t.Fatalf("GetUpload Encryption = %+v, want %+v", got.Encryption, tt.e)
				}
				us, err := s.ListUploads(ctx, "b", meta.ListPage{}, "")
				if err != nil {
					t.Fatal(err)
				}
				listed := map[string]meta.Encryption{}
				for _, u := range us {
					listed[u.UploadID] = u.Encryption
				}
				if !reflect.DeepEqual(listed[id], tt.e) || !reflect.DeepEqual(listed["u-plain"], meta.Encryption{}) {
					t.Fatalf("ListUploads Encryption = %+v", listed)
				}

				// 7 bytes of plaintext stored as 7+32 sealed bytes.
				sealedPart := sealedInlinePart(2, 7, bytesOf(byte(i), 7+32))
				for _, p := range []meta.Part{part(1, "blob-"+id), sealedPart} {
					if err := s.PutPart(ctx, id, p); err != nil {
						t.Fatal(err)
					}
				}
				ps, err := s.ListParts(ctx, id, 0, 0)
				if err != nil || len(ps) != 2 || ps[1].Size != 7 || ps[1].BlobID != "" {
					t.Fatalf("ListParts = %+v, %v; want the inline part with its plaintext size", ps, err)
				}

				v := ver("b", "k", "v-"+id)
				v.Parts, v.Size = ps, ps[0].Size+ps[1].Size
				v.Encryption = got.Encryption
				done, err := s.CompleteUpload(ctx, id, v, nil)
				if err != nil {
					t.Fatal(err)
				}
				want := v
				want.Parts = []meta.Part{part(1, "blob-"+id), sealedPart}
				want.Encryption = tt.e
				want.Seq, want.IsLatest = done.Seq, true
				assertVersion(t, done, want)
				stored, err := s.GetVersion(ctx, "b", "k", v.VersionID)
				if err != nil {
					t.Fatal(err)
				}
				assertVersion(t, stored, want)
				if !slices.Equal(stored.Parts[1].Inline, sealedPart.Inline) {
					t.Fatalf("inline part = %x, want the sealed bytes %x verbatim", stored.Parts[1].Inline, sealedPart.Inline)
				}
			})
		}
	}},
	{"Abort", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		if err := s.CreateUpload(ctx, upload("b", "k", "u1", 0)); err != nil {
			t.Fatal(err)
		}
		for _, p := range []meta.Part{part(1, "p1"), part(2, "p2")} {
			if err := s.PutPart(ctx, "u1", p); err != nil {
				t.Fatal(err)
			}
		}
		assertErrIs(t, "AbortUpload under another key", s.AbortUpload(ctx, "b", "k2", "u1"), meta.ErrNoSuchUpload)
		assertErrIs(t, "AbortUpload in another bucket", s.AbortUpload(ctx, "c", "k", "u1"), meta.ErrNoSuchUpload)
		if err := s.AbortUpload(ctx, "b", "k", "u1"); err != nil {
			t.Fatal(err)
		}
		assertPending(t, s, "p1", "p2")
		assertErrIs(t, "second AbortUpload", s.AbortUpload(ctx, "b", "k", "u1"), meta.ErrNoSuchUpload)
		assertErrIs(t, "PutPart after abort", s.PutPart(ctx, "u1", part(3, "p3")), meta.ErrNoSuchUpload)
		if err := s.DeleteBucket(ctx, "b"); err != nil {
			t.Fatalf("DeleteBucket after abort: %v", err)
		}
	}},
}

// ---------------------------------------------------------------- tasks

var taskTests = []test{
	{"Queue", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		if ts, err := s.PendingTasks(ctx, 10); err != nil || len(ts) != 0 {
			t.Fatalf("empty queue = %v, %v", ts, err)
		}
		if err := s.EnqueueBlobs(ctx, "a", "b"); err != nil {
			t.Fatal(err)
		}
		if err := s.EnqueueBlobs(ctx, "c"); err != nil {
			t.Fatal(err)
		}
		if err := s.EnqueueBlobs(ctx); err != nil {
			t.Fatal(err)
		}
		ts, err := s.PendingTasks(ctx, 2)
		if err != nil || len(ts) != 2 || ts[0].BlobID != "a" || ts[1].BlobID != "b" || ts[0].ID >= ts[1].ID {
			t.Fatalf("PendingTasks(2) = %+v, %v; want a, b oldest first", ts, err)
		}
		if err := s.FinishTasks(ctx, ts[0].ID, ts[1].ID, 987654); err != nil {
			t.Fatal(err)
		}
		assertPending(t, s, "c")
		if err := s.FinishTasks(ctx); err != nil {
			t.Fatal(err)
		}
	}},
	{"BlobReferenced", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		mustCommit(t, s, ver("b", "k", "v1", "in-version"))
		if err := s.CreateUpload(ctx, upload("b", "k", "u1", 0)); err != nil {
			t.Fatal(err)
		}
		if err := s.PutPart(ctx, "u1", part(1, "in-upload")); err != nil {
			t.Fatal(err)
		}
		if err := s.EnqueueBlobs(ctx, "queued"); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			blob string
			want bool
		}{
			{"in-version", true}, {"in-upload", true}, {"queued", true}, {"orphan", false},
		} {
			got, err := s.BlobReferenced(ctx, tt.blob)
			if err != nil || got != tt.want {
				t.Errorf("BlobReferenced(%s) = %v, %v; want %v", tt.blob, got, err, tt.want)
			}
		}
	}},
}

// ---------------------------------------------------------------- concurrency

var concurrencyTests = []test{
	{"ParallelCommits", func(t *testing.T, s meta.Store) {
		// 64 writers: half on their own key, half sharing four keys; every
		// fourth commit carries a failing precondition, which must fail
		// alone without disturbing the others in its group.
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		const writers, rounds = 64, 5
		failed := errors.New("precondition failed on purpose")
		type result struct {
			key string
			seq int64
		}
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			results []result
			errs    []error
		)
		start := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				<-start
				key := fmt.Sprintf("own-%02d", w)
				if w%2 == 1 {
					key = fmt.Sprintf("shared-%d", w%4)
				}
				var last int64
				for r := range rounds {
					v := ver("b", key, fmt.Sprintf("w%02d-r%d", w, r), fmt.Sprintf("blob-%d-%d", w, r))
					var cond meta.Precondition
					if (w+r)%4 == 0 {
						cond = func(*meta.Version) error { return failed }
					}
					got, err := s.CommitVersion(ctx, v, cond)
					mu.Lock()
					switch {
					case cond != nil && err != failed:
						errs = append(errs, fmt.Errorf("writer %d round %d: failing precondition gave %v", w, r, err))
					case cond == nil && err != nil:
						errs = append(errs, fmt.Errorf("writer %d round %d: %w", w, r, err))
					case cond == nil:
						if got.Seq <= last {
							errs = append(errs, fmt.Errorf("writer %d: Seq %d after %d", w, got.Seq, last))
						}
						last = got.Seq
						results = append(results, result{key, got.Seq})
					}
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			t.Error(err)
		}
		seen := map[int64]bool{}
		latest := map[string]int64{}
		for _, r := range results {
			if seen[r.seq] {
				t.Fatalf("Seq %d assigned twice", r.seq)
			}
			seen[r.seq] = true
			latest[r.key] = max(latest[r.key], r.seq)
		}
		vs, err := s.ListVersions(ctx, "b", meta.ListPage{}, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != len(results) {
			t.Fatalf("%d versions stored, %d commits succeeded", len(vs), len(results))
		}
		for i, v := range vs {
			if v.IsLatest != (latest[v.Key] == v.Seq) {
				t.Fatalf("%s/%s Seq %d IsLatest=%v, latest Seq is %d", v.Key, v.VersionID, v.Seq, v.IsLatest, latest[v.Key])
			}
			if i > 0 && vs[i-1].Key == v.Key && vs[i-1].Seq <= v.Seq {
				t.Fatalf("versions of %s not newest first", v.Key)
			}
		}
		ls, err := s.ListLatest(ctx, "b", meta.ListPage{})
		if err != nil || len(ls) != len(latest) {
			t.Fatalf("ListLatest: %d keys, %v; want %d", len(ls), err, len(latest))
		}
	}},
	{"CompareAndSwapIsLinearizable", func(t *testing.T, s meta.Store) {
		// Writers race to extend one key's history, each commit
		// conditional on the version it last saw being current. Commits
		// grouped into one transaction must still see each other: no two
		// may succeed on the same predecessor.
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		const writers, each = 16, 4
		errConflict := errors.New("conflict")
		var wg sync.WaitGroup
		var mu sync.Mutex
		var errs []error
		preds := map[int64]int{}
		for w := range writers {
			wg.Go(func() {
				for i := 0; i < each; {
					cur, err := s.GetVersion(ctx, "b", "counter", "")
					var seen int64
					if err == nil {
						seen = cur.Seq
					} else if !errors.Is(err, meta.ErrNoSuchKey) {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
						return
					}
					_, err = s.CommitVersion(ctx, ver("b", "counter", fmt.Sprintf("w%d-%d", w, i), "x"), func(c *meta.Version) error {
						var now int64
						if c != nil {
							now = c.Seq
						}
						if now != seen {
							return errConflict
						}
						mu.Lock()
						preds[seen]++
						mu.Unlock()
						return nil
					})
					if err == errConflict {
						continue
					}
					if err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
						return
					}
					i++
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			t.Fatal(err)
		}
		for seq, n := range preds {
			if n != 1 {
				t.Fatalf("%d commits succeeded on predecessor Seq %d", n, seq)
			}
		}
		vs, _ := s.ListVersions(ctx, "b", meta.ListPage{}, "")
		if len(vs) != writers*each {
			t.Fatalf("%d versions, want %d", len(vs), writers*each)
		}
	}},
	{"ConcurrentReadsAndWrites", func(t *testing.T, s meta.Store) {
		ctx := context.Background()
		mustCreateBucket(t, s, "b", "alice")
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for w := range 8 {
			wg.Go(func() {
				for i := range 20 {
					key := fmt.Sprintf("k%d", i%5)
					if _, err := s.CommitVersion(ctx, ver("b", key, fmt.Sprintf("w%d-%d", w, i), "x"), nil); err != nil {
						errs <- err
						return
					}
				}
			})
			wg.Go(func() {
				for range 20 {
					if _, err := s.ListLatest(ctx, "b", meta.ListPage{}); err != nil {
						errs <- err
						return
					}
					if _, err := s.GetVersion(ctx, "b", "k1", ""); err != nil && !errors.Is(err, meta.ErrNoSuchKey) {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}},
}
