package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestCrashDuringPuts SIGKILLs a server while 50 PUTs of 1–8 MiB are in
// flight, restarts it on the same data dir and checks durability and
// atomicity: every PUT answered 200 reads back byte for byte; every other
// key is either absent or complete (never partial); and once start-up
// recovery has run no orphan blob or temp file is left.
func TestCrashDuringPuts(t *testing.T) {
	skipIfShort(t)
	const (
		puts       = 50
		killAfter  = 15 // PUTs answered before the kill
		bucket     = "crash"
		poolSize   = 8 << 20
		minSize    = 1 << 20
		maxSize    = 8 << 20
		recoveryIn = 30 * time.Second
	)
	srv := startServer(t)
	// No retries: a request cut by the kill must fail, not be sent again.
	sdk := srv.sdk(func(o *s3.Options) { o.Retryer = aws.NopRetryer{} })
	if _, err := sdk.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}

	// Bodies are windows of one random pool, so 50 of them need no more
	// memory than the pool.
	pool := randomBytes(1, poolSize)
	rng := rand.New(rand.NewPCG(2, 3))
	type put struct {
		key   string
		body  ringBody
		sha   string
		acked bool
		err   error
	}
	all := make([]*put, puts)
	for i := range all {
		b := ringBody{pool: pool, start: rng.Int64N(poolSize), size: minSize + rng.Int64N(maxSize-minSize+1)}
		all[i] = &put{key: fmt.Sprintf("obj/%02d", i), body: b, sha: b.sha256()}
	}

	var answered atomic.Int32
	kill := make(chan struct{})
	var killOnce sync.Once
	var wg sync.WaitGroup
	for _, p := range all {
		wg.Go(func() {
			body := p.body
			_, p.err = sdk.PutObject(t.Context(), &s3.PutObjectInput{
				Bucket:        aws.String(bucket),
				Key:           aws.String(p.key),
				Body:          &body,
				ContentLength: aws.Int64(body.size),
			})
			p.acked = p.err == nil
			if p.acked && answered.Add(1) >= killAfter {
				killOnce.Do(func() { close(kill) })
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-kill:
	case <-done:
		if answered.Load() < killAfter {
			t.Fatalf("only %d of %d PUTs succeeded with no crash: %v", answered.Load(), puts, firstErr(all, func(p *put) error { return p.err }))
		}
	}
	srv.Kill()
	<-done

	acked := 0
	for _, p := range all {
		if p.acked {
			acked++
		}
	}
	t.Logf("killed the server with %d of %d PUTs answered 200", acked, puts)
	if acked == puts {
		t.Log("every PUT finished before the kill landed; only durability is tested this time")
	}

	srv.Restart()
	check := srv.sdk()
	visible := 0
	for _, p := range all {
		got, err := tryGetObject(t.Context(), check, bucket, p.key)
		switch {
		case err != nil && p.acked:
			t.Errorf("%s: answered 200 before the crash, GET after restart: %v", p.key, err)
		case err != nil && errorCode(err) != "NoSuchKey":
			t.Errorf("%s: not answered 200; GET after restart: %v, want NoSuchKey or the whole object", p.key, err)
		case err != nil:
			// Absent: the PUT never committed.
		case int64(len(got)) != p.body.size || sha256Hex(got) != p.sha:
			t.Errorf("%s (answered 200: %v): GET returned %d bytes sha256 %.12s…, want %d bytes sha256 %.12s…",
				p.key, p.acked, len(got), sha256Hex(got), p.body.size, p.sha)
			visible++
		default:
			visible++
		}
	}
	listed := listObjects(t, check, bucket, "")
	if len(listed) != visible {
		t.Errorf("ListObjectsV2 shows %d objects, GET found %d", len(listed), visible)
	}
	for _, p := range all {
		if e, ok := listed[p.key]; ok && e.Size != p.body.size {
			t.Errorf("%s listed with %d bytes, want %d", p.key, e.Size, p.body.size)
		}
	}
	t.Logf("%d objects visible after restart (%d acknowledged)", visible, acked)

	// Recovery removes temp files and orphans, possibly in the background:
	// wait until one blob per visible object remains (each is a single-part
	// PUT far above the size kept inline in the metadata store).
	blobDir := filepath.Join(srv.DataDir, "blobs")
	deadline := time.Now().Add(recoveryIn)
	for {
		blobs, temps, err := listBlobs(blobDir)
		if err != nil {
			t.Fatalf("walk blob store: %v (data dir holds: %s)", err, dirNames(srv.DataDir))
		}
		if len(blobs) == visible && len(temps) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s after restart: %d blob files for %d visible objects, %d temp files %v (after %v)",
				blobDir, len(blobs), visible, len(temps), temps, recoveryIn)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// ringBody is a seekable request body: size bytes of pool read circularly
// from start.
type ringBody struct {
	pool        []byte
	start, size int64
	off         int64
}

func (r *ringBody) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	if rest := r.size - r.off; int64(len(p)) > rest {
		p = p[:rest]
	}
	i := (r.start + r.off) % int64(len(r.pool))
	n := copy(p, r.pool[i:])
	r.off += int64(n)
	return n, nil
}

func (r *ringBody) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, errors.New("ringBody: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("ringBody: negative position")
	}
	r.off = offset
	return offset, nil
}

func (r ringBody) sha256() string {
	h := sha256.New()
	r.off = 0
	_, _ = io.Copy(h, &r)
	return hex.EncodeToString(h.Sum(nil))
}

// listBlobs lists the paths of the blob files of a file-system blob store
// (DIR/ab/cd/<id>) and, relative to DIR, what is left in DIR/tmp.
func listBlobs(dir string) (blobs, temps []string, err error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, nil, err
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		switch {
		case d.IsDir():
			return nil
		case strings.HasPrefix(rel, "tmp"+string(filepath.Separator)):
			temps = append(temps, rel)
		default:
			blobs = append(blobs, path)
		}
		return nil
	})
	return blobs, temps, err
}

func dirNames(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err.Error()
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

func firstErr[T any](items []T, errOf func(T) error) error {
	for _, it := range items {
		if err := errOf(it); err != nil {
			return err
		}
	}
	return nil
}
