package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// tierBody is the deterministic content of object i: 40 KiB, more than is
// kept inline, so every object has a blob.
func tierBody(i int) []byte {
	return bytes.Repeat(fmt.Appendf(nil, "object %04d|", i), 40<<10/12+1)[:40<<10]
}

// tierParallel runs fn(i) for i in [0, n) on 16 goroutines and fails the
// test on the first error.
func tierParallel(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	work := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range work {
				if err := fn(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d failed, first: %v", len(errs), n, errs[0])
	}
}

// tierClasses counts the bucket's objects by storage class.
func tierClasses(t *testing.T, c *s3.Client, bucket string) map[types.ObjectStorageClass]int {
	t.Helper()
	out := map[types.ObjectStorageClass]int{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			out[o.StorageClass]++
		}
	}
	return out
}

// TestTransitionCrash kills the server (SIGKILL) while the lifecycle
// scanner moves 1,000 objects into the GLACIER tier. After a restart in
// which the scanner finds nothing due (its clock is set years back), every
// object is in exactly one tier: as many blobs in each tier directory as
// objects of its class, none left over or missing, and each object reads
// back (the archived ones after a restore). A second restart with the
// real clock finishes the move: all 1,000 in GLACIER, the default
// directory empty.
func TestTransitionCrash(t *testing.T) {
	skipIfShort(t)
	const (
		n      = 1000
		bucket = "tiers-crash"
	)
	glacierDir := filepath.Join(t.TempDir(), "glacier")
	srv := startServer(t, withFlags("--tier", "GLACIER="+glacierDir, "--lifecycle-interval", "1s",
		"--restore-duration", "Standard=0s"))
	defaultDir := filepath.Join(srv.DataDir, "blobs")
	ctx := t.Context()
	c := srv.sdk(func(o *s3.Options) { o.Retryer = aws.NopRetryer{} })
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	key := func(i int) string { return fmt.Sprintf("data/%04d", i) }
	tierParallel(t, n, func(i int) error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key(i)), Body: bytes.NewReader(tierBody(i))})
		return err
	})
	if got := len(tierBlobs(t, defaultDir)); got != n {
		t.Fatalf("%d blobs in the default directory after %d PUTs", got, n)
	}

	// Objects of 40 KiB move only with varies_by_storage_class (the
	// default minimum is 128 KiB); the Date is past, so all are due.
	_, err := c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
		Bucket:                             aws.String(bucket),
		TransitionDefaultMinimumObjectSize: types.TransitionDefaultMinimumObjectSizeVariesByStorageClass,
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
			ID: aws.String("archive"), Status: types.ExpirationStatusEnabled,
			Filter:      &types.LifecycleRuleFilter{Prefix: aws.String("data/")},
			Transitions: []types.Transition{{Date: aws.Time(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)), StorageClass: types.TransitionStorageClassGlacier}},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(tierBlobs(t, glacierDir)) < 50 {
		if time.Now().After(deadline) {
			t.Fatal("the scanner did not start moving objects within 60 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	srv.Kill()
	atKill := len(tierBlobs(t, glacierDir))
	t.Logf("killed with %d blobs in the GLACIER tier", atKill)
	if atKill >= n {
		t.Fatalf("all %d objects had moved before the kill: nothing was interrupted", n)
	}

	// Restart with the scanner's clock in 2016: nothing is due, so what we
	// see is what recovery left.
	srv.env = append(srv.env, "COFFER_LIFECYCLE_CLOCK_OFFSET=-87600h")
	srv.Restart()
	c = srv.sdk()
	classes := tierClasses(t, c, bucket)
	glacier, standard := classes[types.ObjectStorageClassGlacier], classes[types.ObjectStorageClassStandard]
	t.Logf("after the restart: %d GLACIER, %d STANDARD", glacier, standard)
	if glacier+standard != n || glacier == 0 || standard == 0 {
		t.Fatalf("after the restart: classes %v, want %d objects split between GLACIER and STANDARD", classes, n)
	}
	tierEventually(t, "the tiers do not hold one blob per object of their class", func() bool {
		return len(tierBlobs(t, glacierDir)) == glacier && len(tierBlobs(t, defaultDir)) == standard
	})
	readAll := func() {
		t.Helper()
		tierParallel(t, n, func(i int) error {
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key(i))})
			if err != nil {
				return fmt.Errorf("%s: %w", key(i), err)
			}
			defer out.Body.Close()
			got, err := io.ReadAll(out.Body)
			if err != nil || !bytes.Equal(got, tierBody(i)) {
				return fmt.Errorf("%s: read %d bytes (%v), not what was written", key(i), len(got), err)
			}
			return nil
		})
	}
	tierParallel(t, n, func(i int) error {
		_, err := c.RestoreObject(ctx, &s3.RestoreObjectInput{Bucket: aws.String(bucket), Key: aws.String(key(i)),
			RestoreRequest: &types.RestoreRequest{Days: aws.Int32(1)}})
		if err != nil && errorCode(err) != "InvalidObjectState" { // STANDARD objects need no restore
			return fmt.Errorf("restore %s: %w", key(i), err)
		}
		return nil
	})
	readAll()

	// With the real clock the scanner finishes the job.
	srv.Stop()
	srv.env = srv.env[:len(srv.env)-1]
	srv.Restart()
	c = srv.sdk()
	tierEventually(t, "not every object reached GLACIER", func() bool {
		return tierClasses(t, c, bucket)[types.ObjectStorageClassGlacier] == n
	})
	tierEventually(t, "the blobs are not all in the GLACIER tier", func() bool {
		return len(tierBlobs(t, glacierDir)) == n && len(tierBlobs(t, defaultDir)) == 0
	})
	tierParallel(t, n, func(i int) error {
		_, err := c.RestoreObject(context.Background(), &s3.RestoreObjectInput{Bucket: aws.String(bucket), Key: aws.String(key(i)),
			RestoreRequest: &types.RestoreRequest{Days: aws.Int32(1)}})
		return err
	})
	readAll()
}
