package main

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// streamPut uploads one object of o.stream bytes generated on the fly (the
// client never holds it in memory), with UNSIGNED-PAYLOAD so the body
// streams straight through, while sampling the server's resident memory
// from /proc/PID/status. It reports the peak RSS above the idle baseline,
// and checks the stored ETag against the MD5 the client computed.
func streamPut(ctx context.Context, o options, stdout io.Writer) error {
	c := newClient(o)
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &o.bucket}); err != nil {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &o.bucket}); err != nil {
			return fmt.Errorf("create bucket %s: %w", o.bucket, err)
		}
	}
	baseline, err := rssBytes(o.serverPID)
	if err != nil {
		return err
	}
	var peak int64
	var mu sync.Mutex
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if rss, err := rssBytes(o.serverPID); err == nil {
					mu.Lock()
					peak = max(peak, rss)
					mu.Unlock()
				}
			}
		}
	}()

	key := fmt.Sprintf("bench-stream-%d", time.Now().UnixNano())
	sum := md5.New()
	var seed [32]byte
	body := io.TeeReader(io.LimitReader(rand.NewChaCha8(seed), o.stream), sum)
	url := strings.TrimSuffix(o.endpoint, "/") + "/" + o.bucket + "/" + key
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, body)
	if err != nil {
		return err
	}
	req.ContentLength = o.stream
	req.Header.Set("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
	creds := aws.Credentials{AccessKeyID: o.access, SecretAccessKey: o.secret}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", o.region, time.Now()); err != nil {
		return err
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	elapsed := time.Since(start)
	close(stop)
	<-sampled
	if err != nil {
		return fmt.Errorf("stream put: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("stream put: %s: %s", resp.Status, b)
	}
	want := `"` + hex.EncodeToString(sum.Sum(nil)) + `"`
	if got := resp.Header.Get("ETag"); got != want {
		return fmt.Errorf("stream put: ETag %s, want %s", got, want)
	}
	if !o.keep {
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &o.bucket, Key: &key}); err != nil {
			return fmt.Errorf("stream put: cleaning up: %w", err)
		}
	}
	fmt.Fprintf(stdout, "streamed %s in %v (%.1f MB/s), ETag verified\n", formatSize(o.stream), elapsed.Round(time.Millisecond),
		float64(o.stream)/elapsed.Seconds()/1e6)
	fmt.Fprintf(stdout, "server RSS: idle %.1f MiB, peak %.1f MiB, extra %.1f MiB\n",
		mib(baseline), mib(peak), mib(max(peak-baseline, 0)))
	return nil
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// rssBytes reads VmRSS of a process from /proc.
func rssBytes(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("server RSS: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("server RSS: %q: %w", rest, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("server RSS: no VmRSS for pid %d", pid)
}
