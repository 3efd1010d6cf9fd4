package object

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/blob"
	"github.com/coffer-project/coffer/internal/meta"
)

// The tests of collection and recovery count blobs, so every body goes to
// one.

func TestRecover(t *testing.T) {
	e := newEnvWith(t, blobsOnly)
	e.bucket("b", "")
	kept := e.put("b", "k", "kept")
	orphan, _, err := e.fs.Put(e.ctx, strings.NewReader("nobody refers to me"))
	wantErr(t, err, nil)
	// A blob queued for deletion is referenced by its task until the
	// queue runs.
	queued, _, err := e.fs.Put(e.ctx, strings.NewReader("queued"))
	wantErr(t, err, nil)
	wantErr(t, e.meta.EnqueueBlobs(e.ctx, queued), nil)

	svc := &Service{Meta: e.meta, Blobs: e.fs}
	wantErr(t, svc.Recover(e.ctx), nil)
	got := e.blobs()
	if len(got) != 1 || got[0] != kept.Parts[0].BlobID {
		t.Errorf("after Recover: blobs %v, want only %s (orphan %s, queued %s)", got, kept.Parts[0].BlobID, orphan, queued)
	}
	if body := e.get("b", "k", ""); body != "kept" {
		t.Errorf("body = %q", body)
	}
	pending, err := e.meta.PendingTasks(e.ctx, 10)
	wantErr(t, err, nil)
	if len(pending) != 0 {
		t.Errorf("%d tasks left", len(pending))
	}
}

func TestRunGC(t *testing.T) {
	e := newEnvWith(t, blobsOnly)
	e.bucket("b", "")
	e.svc.GCInterval = time.Hour // only nudges wake it
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() { e.svc.RunGC(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	e.put("b", "k", "one")
	e.put("b", "k", "two") // replaces the null version: one blob to collect
	deadline := time.Now().Add(10 * time.Second)
	for len(e.blobs()) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("RunGC did not collect the replaced blob: %d blobs", len(e.blobs()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCollectGarbageRetriesFailedDeletes(t *testing.T) {
	e := newEnvWith(t, blobsOnly)
	e.bucket("b", "")
	e.put("b", "k", "one")
	e.put("b", "k", "two")
	e.faulty.Inject(blob.Fault{Op: blob.OpDelete, Times: 1})
	n, err := e.svc.CollectGarbage(e.ctx)
	wantErr(t, err, blob.ErrInjected)
	if n != 0 || len(e.blobs()) != 2 {
		t.Errorf("deleted %d, %d blobs left", n, len(e.blobs()))
	}
	n, err = e.svc.CollectGarbage(e.ctx)
	wantErr(t, err, nil)
	if n != 1 || len(e.blobs()) != 1 {
		t.Errorf("retry deleted %d, %d blobs left", n, len(e.blobs()))
	}
}

// TestFailedCommitQueuesBlob: a body stored for a commit that then fails
// leaves nothing behind (inline, there is nothing to queue).
func TestFailedCommitQueuesBlob(t *testing.T) {
	eachStorage(t, testFailedCommitQueuesBlob)
}

func testFailedCommitQueuesBlob(t *testing.T, inlineMax int64) {
	e := newEnvWith(t, inlineMax)
	e.bucket("b", meta.VersioningEnabled)
	// The bucket disappears while the body uploads: the commit fails
	// after the blob was written.
	body := &racingReader{r: strings.NewReader("data"), race: func() {
		if err := e.svc.DeleteBucket(e.ctx, "b"); err != nil {
			t.Fatal(err)
		}
	}}
	_, err := e.svc.PutObject(e.ctx, PutInput{Bucket: "b", Key: "k", Body: body, Size: 4})
	wantErr(t, err, ErrNoSuchBucket)
	e.gc()
	if n := len(e.blobs()); n != 0 {
		t.Errorf("%d blobs left after a failed commit", n)
	}

	// Same for a part whose upload was aborted meanwhile.
	e.bucket("c", "")
	u, err := e.svc.CreateMultipartUpload(e.ctx, CreateUploadInput{Bucket: "c", Key: "k"})
	wantErr(t, err, nil)
	part := &racingReader{r: bytes.NewReader([]byte("part")), race: func() {
		if err := e.svc.AbortMultipartUpload(e.ctx, "c", "k", u.UploadID); err != nil {
			t.Fatal(err)
		}
	}}
	_, err = e.svc.UploadPart(e.ctx, UploadPartInput{Bucket: "c", Key: "k", UploadID: u.UploadID, PartNumber: 1, Body: part, Size: 4})
	wantErr(t, err, ErrNoSuchUpload)
	e.gc()
	if n := len(e.blobs()); n != 0 {
		t.Errorf("%d blobs left after a failed part", n)
	}
}
