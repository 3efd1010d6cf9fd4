// Command bench is a load generator for S3 endpoints (coffer or any other).
// For each object size it PUTs objects for a fixed duration at a fixed
// concurrency, then GETs what it wrote for the same duration, and prints
// ops/s, throughput and latency percentiles:
//
//	go run ./bench -endpoint http://127.0.0.1:9000 -access AK -secret SK \
//	    [-concurrency 8] [-sizes 4KiB,1MiB,64MiB] [-duration 10s] [-bucket NAME] [-keep]
//
// It uses aws-sdk-go-v2's S3 client in its default configuration apart from
// path-style addressing and no retries (an error is counted, not hidden).
// Over plain HTTP that means every PUT is signed with the SHA-256 of its
// payload (the SDK hashes the body before sending; UNSIGNED-PAYLOAD and
// trailing checksums are only used over HTTPS) and carries a CRC32
// checksum header; GETs ask for and verify the stored checksum. Client-side
// hashing costs CPU on the same machine when client and server share it.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

type options struct {
	endpoint    string
	access      string
	secret      string
	region      string
	bucket      string
	concurrency int
	sizes       []int64
	duration    time.Duration
	keep        bool
	stream      int64  // -stream: one streamed PUT of this size instead of the phases
	serverPID   int    // -server-pid: whose RSS -stream samples
	sse         string // -sse: x-amz-server-side-encryption of every PUT ("" none sent)
	kmsKeyID    string // -sse-kms-key-id
	bucketKey   bool   // -bucket-key: x-amz-server-side-encryption-bucket-key-enabled: true
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	do := run
	if opts.stream > 0 {
		do = func(ctx context.Context, o options, stdout, _ io.Writer) error { return streamPut(ctx, o, stdout) }
	}
	if err := do(context.Background(), opts, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// setSSE adds the -sse options to a PUT.
func (o *options) setSSE(in *s3.PutObjectInput) {
	if o.sse == "" {
		return
	}
	in.ServerSideEncryption = types.ServerSideEncryption(o.sse)
	if o.kmsKeyID != "" {
		in.SSEKMSKeyId = aws.String(o.kmsKeyID)
	}
	if o.bucketKey {
		in.BucketKeyEnabled = aws.Bool(true)
	}
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&o.endpoint, "endpoint", "", "S3 endpoint URL, such as http://127.0.0.1:9000 (required)")
	fs.StringVar(&o.access, "access", "", "access key ID (required)")
	fs.StringVar(&o.secret, "secret", "", "secret access key (required)")
	fs.StringVar(&o.region, "region", "us-east-1", "signing region")
	fs.StringVar(&o.bucket, "bucket", "coffer-bench", "bucket to write to; created if missing")
	fs.IntVar(&o.concurrency, "concurrency", 8, "requests in flight")
	sizes := fs.String("sizes", "4KiB,1MiB,64MiB", "comma-separated object sizes (B, KiB, MiB, GiB, KB, MB, GB)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long each PUT and each GET phase runs")
	fs.BoolVar(&o.keep, "keep", false, "keep the objects written instead of deleting them at the end")
	stream := fs.String("stream", "", "instead of the phases, stream one PUT of this size (e.g. 5GiB) and report the server's extra RSS")
	fs.IntVar(&o.serverPID, "server-pid", 0, "with -stream: the server's process ID, to sample its RSS from /proc")
	fs.StringVar(&o.sse, "sse", "", "server-side encryption of every PUT: AES256 or aws:kms (default: none asked, the bucket's default applies)")
	fs.StringVar(&o.kmsKeyID, "sse-kms-key-id", "", "with -sse aws:kms: the KMS key (default: the account's aws/s3 key)")
	fs.BoolVar(&o.bucketKey, "bucket-key", false, "with -sse aws:kms: use an S3 Bucket Key")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var errs []error
	if o.endpoint == "" || o.access == "" || o.secret == "" {
		errs = append(errs, errors.New("-endpoint, -access and -secret are required"))
	}
	switch o.sse {
	case "", "AES256", "aws:kms":
	default:
		errs = append(errs, fmt.Errorf("-sse %q: want AES256 or aws:kms", o.sse))
	}
	if (o.kmsKeyID != "" || o.bucketKey) && o.sse != "aws:kms" {
		errs = append(errs, errors.New("-sse-kms-key-id and -bucket-key need -sse aws:kms"))
	}
	if o.concurrency < 1 {
		errs = append(errs, errors.New("-concurrency must be at least 1"))
	}
	if o.duration <= 0 {
		errs = append(errs, errors.New("-duration must be positive"))
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := parseSize(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		o.sizes = append(o.sizes, n)
	}
	if *stream != "" {
		n, err := parseSize(*stream)
		if err != nil {
			errs = append(errs, err)
		}
		o.stream = n
		if o.serverPID <= 0 {
			errs = append(errs, errors.New("-stream needs -server-pid"))
		}
	}
	return o, errors.Join(errs...)
}

var units = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1},
}

// parseSize parses "4KiB", "64MiB", "1MB", "512B" or "4096".
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = num, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

// formatSize is parseSize's inverse for the table.
func formatSize(n int64) string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.mult && n%u.mult == 0 {
			return fmt.Sprintf("%d%s", n/u.mult, u.suffix)
		}
	}
	return fmt.Sprintf("%dB", n)
}

func newClient(o options) *s3.Client {
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		// Keep one idle connection per worker instead of redialling.
		tr.MaxIdleConnsPerHost = o.concurrency
		tr.MaxIdleConns = 2 * o.concurrency
	})
	return s3.New(s3.Options{
		Region:       o.region,
		BaseEndpoint: aws.String(o.endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(o.access, o.secret, ""),
		HTTPClient:   httpClient,
		Retryer:      aws.NopRetryer{},
	})
}

// result is the outcome of one phase.
type result struct {
	op        string
	size      int64
	ops       int
	errs      int
	firstErr  error
	bytes     int64
	elapsed   time.Duration
	latencies []time.Duration // of successful operations
}

func run(ctx context.Context, o options, stdout, stderr io.Writer) error {
	c := newClient(o)
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &o.bucket}); err != nil {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &o.bucket}); err != nil {
			return fmt.Errorf("create bucket %s: %w", o.bucket, err)
		}
	}
	fmt.Fprintf(stdout, "endpoint %s, bucket %s, concurrency %d, %v per phase\n\n", o.endpoint, o.bucket, o.concurrency, o.duration)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "size\top\tconc\tops\tops/s\tMB/s\tp50\tp99\terrors\t")
	prefix := fmt.Sprintf("bench-%d/", time.Now().UnixNano())
	var written []string
	defer func() {
		if !o.keep {
			if err := deleteKeys(ctx, c, o.bucket, written); err != nil {
				fmt.Fprintln(stderr, "bench: cleaning up:", err)
			}
		}
	}()
	for _, size := range o.sizes {
		data := make([]byte, size)
		var seed [32]byte
		seed[0] = byte(size)
		_, _ = rand.NewChaCha8(seed).Read(data)

		keys := make([][]string, o.concurrency)
		put := phase(ctx, "PUT", size, o, func(worker, i int) (int64, error) {
			key := fmt.Sprintf("%s%s/w%03d-%07d", prefix, formatSize(size), worker, i)
			in := &s3.PutObjectInput{
				Bucket:        &o.bucket,
				Key:           &key,
				Body:          bytes.NewReader(data),
				ContentLength: aws.Int64(size),
			}
			o.setSSE(in)
			_, err := c.PutObject(ctx, in)
			if err != nil {
				return 0, err
			}
			keys[worker] = append(keys[worker], key)
			return size, nil
		})
		var all []string
		for _, k := range keys {
			all = append(all, k...)
		}
		written = append(written, all...)
		printRow(tw, put, o.concurrency)
		report(stderr, put)
		if len(all) == 0 {
			continue
		}

		get := phase(ctx, "GET", size, o, func(worker, i int) (int64, error) {
			key := all[(worker+i*o.concurrency)%len(all)]
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &o.bucket, Key: &key})
			if err != nil {
				return 0, err
			}
			n, err := io.Copy(io.Discard, out.Body)
			out.Body.Close()
			if err == nil && n != size {
				err = fmt.Errorf("GET %s: %d bytes, want %d", key, n, size)
			}
			return n, err
		})
		printRow(tw, get, o.concurrency)
		report(stderr, get)
	}
	return tw.Flush()
}

// phase runs op on o.concurrency workers until o.duration has passed.
func phase(ctx context.Context, name string, size int64, o options, op func(worker, i int) (int64, error)) result {
	type workerResult struct {
		ops, errs int
		firstErr  error
		bytes     int64
		lat       []time.Duration
	}
	results := make([]workerResult, o.concurrency)
	start := time.Now()
	deadline := start.Add(o.duration)
	var wg sync.WaitGroup
	for w := range o.concurrency {
		wg.Go(func() {
			r := &results[w]
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				t0 := time.Now()
				n, err := op(w, i)
				r.bytes += n
				if err != nil {
					r.errs++
					if r.firstErr == nil {
						r.firstErr = err
					}
					continue
				}
				r.ops++
				r.lat = append(r.lat, time.Since(t0))
			}
		})
	}
	wg.Wait()
	res := result{op: name, size: size, elapsed: time.Since(start)}
	for _, r := range results {
		res.ops += r.ops
		res.errs += r.errs
		res.bytes += r.bytes
		res.latencies = append(res.latencies, r.lat...)
		if res.firstErr == nil {
			res.firstErr = r.firstErr
		}
	}
	slices.Sort(res.latencies)
	return res
}

func printRow(w io.Writer, r result, concurrency int) {
	secs := r.elapsed.Seconds()
	fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%.1f\t%.1f\t%s\t%s\t%d\t\n",
		formatSize(r.size), r.op, concurrency, r.ops, float64(r.ops)/secs, float64(r.bytes)/secs/1e6,
		percentile(r.latencies, 0.50), percentile(r.latencies, 0.99), r.errs)
}

func report(w io.Writer, r result) {
	if r.firstErr != nil {
		fmt.Fprintf(w, "bench: %s %s: %d errors, first: %v\n", formatSize(r.size), r.op, r.errs, r.firstErr)
	}
}

// percentile returns the p-quantile of sorted latencies, rounded for display.
func percentile(sorted []time.Duration, p float64) string {
	if len(sorted) == 0 {
		return "-"
	}
	d := sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(time.Microsecond).String()
	}
}

// deleteKeys removes the benchmark's objects, 1,000 per request.
func deleteKeys(ctx context.Context, c *s3.Client, bucket string, keys []string) error {
	for len(keys) > 0 {
		batch := keys[:min(1000, len(keys))]
		keys = keys[len(batch):]
		ids := make([]types.ObjectIdentifier, len(batch))
		for i, k := range batch {
			ids[i] = types.ObjectIdentifier{Key: aws.String(k)}
		}
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: &bucket,
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return err
		}
		if len(out.Errors) > 0 {
			return fmt.Errorf("%d keys not deleted, first: %s: %s", len(out.Errors), aws.ToString(out.Errors[0].Key), aws.ToString(out.Errors[0].Message))
		}
	}
	return nil
}
