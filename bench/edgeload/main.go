// Command edgeload measures cache hits of an HTTP cache in front of coffer
// (`coffer edge`, nginx proxy_cache) for bench/edge.sh (docs/benchmarks.md,
// issue 8). It has three modes:
//
//	edgeload setup -endpoint URL -access AK -secret SK -bucket B -oai ID -sizes 1024,1048576
//	edgeload run -url URL -size N -hit-header X-Cache -hit-prefix Hit [-concurrency 64] [-duration 10s]
//	    [-label edge] [-pids PID,PID] [-out results.jsonl]
//	edgeload report results.jsonl
//
// setup creates the bucket and one object per size (named after its size,
// filled with bytes derived from the size, so run can check them) and a
// bucket policy that lets the origin access identity and anonymous
// viewers GET the objects: the edge signs as the OAI, nginx fetches them
// unsigned.
//
// run GETs one URL on -concurrency keep-alive connections for -duration.
// It speaks HTTP/1.1 on raw connections (a pre-built request, responses
// parsed by http.ReadResponse), not through http.Client, so that the load
// generator takes as little as possible of the CPU it shares with the
// cache under test. Every response must be 200, carry the object's length
// and say it was a hit (-hit-header starting with -hit-prefix); the first
// body is compared byte for byte. With -pids it reports the CPU time those
// processes used per request, and how much of the machine's CPU went to
// other processes during the run.
//
// report prints the runs of a results file as a table: medians over the
// rounds per target and size, and the ratio of the first target's
// requests/s to the second's, round by round.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const usage = `usage:
  edgeload setup -endpoint URL -access AK -secret SK -bucket B -oai ID -sizes N,N
  edgeload run -url URL -size N -hit-header NAME -hit-prefix VALUE [flags]
  edgeload report [-baseline nginx] FILE
  edgeload floor -listen ADDR -sizes N,N`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	ctx := context.Background()
	var err error
	switch os.Args[1] {
	case "setup":
		err = setup(ctx, os.Args[2:])
	case "run":
		err = run(ctx, os.Args[2:], os.Stdout)
	case "report":
		err = report(os.Args[2:], os.Stdout)
	case "floor":
		err = floor(ctx, os.Args[2:])
	default:
		err = errors.New(usage)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "edgeload:", err)
		os.Exit(1)
	}
}

// objectKey names the benchmark object of a size.
func objectKey(size int64) string { return "obj-" + strconv.FormatInt(size, 10) }

// objectData is the content of the object of a size: the same bytes in
// setup and run.
func objectData(size int64) []byte {
	data := make([]byte, size)
	var seed [32]byte
	copy(seed[:], "coffer edge bench")
	seed[31] = byte(size)
	_, _ = rand.NewChaCha8(seed).Read(data)
	return data
}

// parseSizes parses a comma-separated list of sizes in bytes.
func parseSizes(list string) ([]int64, error) {
	var sizes []int64
	for _, s := range strings.Split(list, ",") {
		size, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || size <= 0 {
			return nil, fmt.Errorf("bad size %q (want bytes)", s)
		}
		sizes = append(sizes, size)
	}
	return sizes, nil
}

// setup creates the bucket, its objects and a policy that lets the OAI and
// anonymous viewers read them (Block Public Access is turned off for
// that bucket so the public statement is accepted).
func setup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "coffer server URL (required)")
	access := fs.String("access", "", "access key ID (required)")
	secret := fs.String("secret", "", "secret access key (required)")
	bucket := fs.String("bucket", "edge-bench", "bucket to create")
	oai := fs.String("oai", "", "ID of the origin access identity the edge signs as (required)")
	sizes := fs.String("sizes", "1024,1048576", "comma-separated object sizes in bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *endpoint == "" || *access == "" || *secret == "" || *oai == "" {
		return errors.New("setup: -endpoint, -access, -secret and -oai are required")
	}
	c := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: endpoint,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(*access, *secret, ""),
		Retryer:      aws.NopRetryer{},
	})
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); err != nil {
		return fmt.Errorf("create bucket %s: %w", *bucket, err)
	}
	objectSizes, err := parseSizes(*sizes)
	if err != nil {
		return err
	}
	for _, size := range objectSizes {
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(objectKey(size)),
			Body: bytes.NewReader(objectData(size)), ContentLength: aws.Int64(size), ContentType: aws.String("application/octet-stream")})
		if err != nil {
			return fmt.Errorf("put %s: %w", objectKey(size), err)
		}
	}
	_, err = c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: bucket,
		PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{
			BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
			BlockPublicPolicy: aws.Bool(false), RestrictPublicBuckets: aws.Bool(false)}})
	if err != nil {
		return fmt.Errorf("put public access block: %w", err)
	}
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[`+
		`{"Sid":"Edge","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity %s"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"},`+
		`{"Sid":"NginxUnsigned","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}`,
		*oai, *bucket, *bucket)
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bucket, Policy: &policy}); err != nil {
		return fmt.Errorf("put bucket policy: %w", err)
	}
	return nil
}

// runOptions are run's flags.
type runOptions struct {
	url         *url.URL
	label       string
	size        int64
	concurrency int
	duration    time.Duration
	hitHeader   string
	hitPrefix   string
	pids        []int
	out         string
}

func parseRunFlags(args []string) (runOptions, error) {
	var o runOptions
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	rawURL := fs.String("url", "", "URL to GET, http://host:port/path (required)")
	fs.StringVar(&o.label, "label", "", "name of the target in the results (default the URL's host)")
	fs.Int64Var(&o.size, "size", 0, "expected body length in bytes (required)")
	fs.IntVar(&o.concurrency, "concurrency", 64, "connections, one request in flight on each")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to measure")
	fs.StringVar(&o.hitHeader, "hit-header", "", "response header that reports the cache result (required)")
	fs.StringVar(&o.hitPrefix, "hit-prefix", "", "how that header starts on a hit (required)")
	pids := fs.String("pids", "", "comma-separated process IDs whose CPU time to report per request")
	fs.StringVar(&o.out, "out", "", "append the result as a JSON line to this file")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var errs []error
	u, err := url.Parse(*rawURL)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		errs = append(errs, fmt.Errorf("-url %q: want http://host:port/path", *rawURL))
	}
	o.url = u
	if o.label == "" && u != nil {
		o.label = u.Host
	}
	if o.size <= 0 {
		errs = append(errs, errors.New("-size must be positive"))
	}
	if o.concurrency < 1 {
		errs = append(errs, errors.New("-concurrency must be at least 1"))
	}
	if o.duration <= 0 {
		errs = append(errs, errors.New("-duration must be positive"))
	}
	if o.hitHeader == "" || o.hitPrefix == "" {
		errs = append(errs, errors.New("-hit-header and -hit-prefix are required"))
	}
	if *pids != "" {
		for _, p := range strings.Split(*pids, ",") {
			pid, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil || pid <= 0 {
				errs = append(errs, fmt.Errorf("-pids: bad process ID %q", p))
				continue
			}
			o.pids = append(o.pids, pid)
		}
	}
	return o, errors.Join(errs...)
}

// Result is one run, as written to the results file.
type Result struct {
	Label       string  `json:"label"`
	Size        int64   `json:"size"`
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"`
	Requests    int     `json:"requests"`
	Errors      int     `json:"errors"`
	FirstError  string  `json:"first_error,omitempty"`
	Connections int     `json:"connections"` // connections opened, reconnects included
	RPS         float64 `json:"rps"`
	MBps        float64 `json:"mbps"` // 10^6 bytes of body per second
	P50us       float64 `json:"p50_us"`
	P99us       float64 `json:"p99_us"`
	// ServerCPUus is the CPU time of -pids per request, in µs; 0 without -pids.
	ServerCPUus float64 `json:"server_cpu_us_per_req"`
	// Others is the share of the machine's CPU that went to other
	// processes (and the hypervisor's steal) during the run: neither to
	// -pids, nor to the load generator, nor to interrupts (0–1).
	Others float64 `json:"others"`
	Load   string  `json:"loadavg"`
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parseRunFlags(args)
	if err != nil {
		return err
	}
	req := []byte("GET " + o.url.RequestURI() + " HTTP/1.1\r\nHost: " + o.url.Host + "\r\nUser-Agent: coffer-edgeload\r\n\r\n")
	if err := checkBody(o, req); err != nil {
		return err
	}

	type workerResult struct {
		requests, errs, conns int
		firstErr              error
		bytes                 int64
		lat                   []time.Duration
	}
	results := make([]workerResult, o.concurrency)
	before, err := sampleCPU(o.pids)
	if err != nil {
		return err
	}
	start := time.Now()
	deadline := start.Add(o.duration)
	var wg sync.WaitGroup
	for w := range o.concurrency {
		wg.Go(func() {
			r := &results[w]
			c := &client{addr: o.url.Host, req: req, o: &o}
			defer c.close()
			for ctx.Err() == nil {
				t0 := time.Now()
				n, err := c.get()
				t1 := time.Now()
				if t1.After(deadline) {
					break
				}
				r.bytes += n
				if err != nil {
					r.errs++
					if r.firstErr == nil {
						r.firstErr = err
					}
					continue
				}
				r.requests++
				r.lat = append(r.lat, t1.Sub(t0))
			}
			r.conns = c.dials
		})
	}
	wg.Wait()
	elapsed := o.duration
	after, err := sampleCPU(o.pids)
	if err != nil {
		return err
	}

	res := Result{Label: o.label, Size: o.size, Concurrency: o.concurrency, Seconds: elapsed.Seconds(), Load: loadavg()}
	var lat []time.Duration
	var bytes int64
	for _, r := range results {
		res.Requests += r.requests
		res.Errors += r.errs
		res.Connections += r.conns
		bytes += r.bytes
		lat = append(lat, r.lat...)
		if r.firstErr != nil && res.FirstError == "" {
			res.FirstError = r.firstErr.Error()
		}
	}
	slices.Sort(lat)
	res.RPS = float64(res.Requests) / elapsed.Seconds()
	res.MBps = float64(bytes) / elapsed.Seconds() / 1e6
	res.P50us = micros(percentile(lat, 0.50))
	res.P99us = micros(percentile(lat, 0.99))
	if len(o.pids) > 0 && res.Requests > 0 {
		res.ServerCPUus = (after.procs - before.procs).Seconds() * 1e6 / float64(res.Requests)
		if total := after.total - before.total; total > 0 {
			others := (after.busy - before.busy) - (after.procs - before.procs) - (after.self - before.self)
			res.Others = max(0, others.Seconds()/total.Seconds())
		}
	}

	fmt.Fprintf(stdout, "%s %s: %d requests in %v = %.0f req/s, %.1f MB/s, p50 %s, p99 %s, %d errors, %d connections",
		res.Label, sizeName(res.Size), res.Requests, elapsed, res.RPS, res.MBps,
		percentile(lat, 0.50).Round(time.Microsecond), percentile(lat, 0.99).Round(time.Microsecond), res.Errors, res.Connections)
	if len(o.pids) > 0 {
		fmt.Fprintf(stdout, ", server %.0f CPU-µs/req, others %.0f %%", res.ServerCPUus, 100*res.Others)
	}
	fmt.Fprintf(stdout, ", load %s\n", res.Load)
	if res.FirstError != "" {
		fmt.Fprintf(stdout, "  first error: %s\n", res.FirstError)
	}
	if o.out != "" {
		f, err := os.OpenFile(o.out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := json.NewEncoder(f).Encode(res); err != nil {
			return err
		}
	}
	if res.Errors > 0 {
		return fmt.Errorf("%s %s: %d of %d responses were wrong, first: %s", res.Label, sizeName(res.Size), res.Errors, res.Errors+res.Requests, res.FirstError)
	}
	return nil
}

// checkBody GETs the URL once and compares the body with the object's
// bytes.
func checkBody(o runOptions, req []byte) error {
	c := &client{addr: o.url.Host, req: req, o: &o}
	defer c.close()
	c.keep = &bytes.Buffer{}
	if _, err := c.get(); err != nil {
		return fmt.Errorf("first GET %s: %w", o.url, err)
	}
	if !bytes.Equal(c.keep.Bytes(), objectData(o.size)) {
		return fmt.Errorf("first GET %s: the body differs from the object's bytes", o.url)
	}
	return nil
}

// client is one keep-alive HTTP/1.1 connection that sends the same GET
// again and again.
type client struct {
	addr  string
	req   []byte
	o     *runOptions
	conn  net.Conn
	br    *bufio.Reader
	buf   []byte
	dials int
	keep  *bytes.Buffer // non-nil: the body is kept here
}

// get sends the request and reads the whole response, redialling if the
// server closed the connection. It returns the body bytes read and an
// error if the response is not a 200 cache hit of the expected length.
func (c *client) get() (int64, error) {
	if c.conn == nil {
		conn, err := net.Dial("tcp", c.addr)
		if err != nil {
			return 0, err
		}
		c.conn, c.dials = conn, c.dials+1
		if c.br == nil {
			c.br = bufio.NewReaderSize(conn, 64<<10)
			c.buf = make([]byte, 64<<10)
		} else {
			c.br.Reset(conn)
		}
	}
	if _, err := c.conn.Write(c.req); err != nil {
		c.close()
		return 0, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.close()
		return 0, err
	}
	var n int64
	for {
		m, err := resp.Body.Read(c.buf)
		n += int64(m)
		if c.keep != nil {
			c.keep.Write(c.buf[:m])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			c.close()
			return n, err
		}
	}
	if resp.Close {
		c.close()
	}
	switch {
	case resp.StatusCode != http.StatusOK:
		return n, fmt.Errorf("HTTP %d", resp.StatusCode)
	case n != c.o.size || resp.ContentLength != c.o.size:
		return n, fmt.Errorf("body %d bytes (Content-Length %d), want %d", n, resp.ContentLength, c.o.size)
	case !strings.HasPrefix(resp.Header.Get(c.o.hitHeader), c.o.hitPrefix):
		return n, fmt.Errorf("%s: %q, want a hit (%s…)", c.o.hitHeader, resp.Header.Get(c.o.hitHeader), c.o.hitPrefix)
	}
	return n, nil
}

func (c *client) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// cpuSample is CPU time so far: of the machine (total, and busy = total
// minus idle, iowait, irq and softirq; steal counts as busy), of the
// watched processes and of this one. Interrupt time is left out of busy
// because on loopback it is the benchmark's own TCP processing, which the
// kernel charges to no process.
type cpuSample struct {
	total, busy, procs, self time.Duration
}

// clockTick is USER_HZ, the unit of /proc's CPU times (100 on Linux).
const clockTick = 10 * time.Millisecond

func sampleCPU(pids []int) (cpuSample, error) {
	var s cpuSample
	if len(pids) == 0 {
		return s, nil
	}
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s, err
	}
	line, _, _ := strings.Cut(string(stat), "\n")
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseInt(f, 10, 64)
		if i >= 8 { // guest times are already in user and nice
			break
		}
		s.total += time.Duration(v) * clockTick
		if i != 3 && i != 4 && i != 5 && i != 6 { // idle, iowait, irq, softirq
			s.busy += time.Duration(v) * clockTick
		}
	}
	for _, pid := range pids {
		d, err := processCPU(strconv.Itoa(pid))
		if errors.Is(err, os.ErrNotExist) {
			continue // exited, such as nginx's cache loader: its last few ticks are lost
		}
		if err != nil {
			return s, err
		}
		s.procs += d
	}
	s.self, err = processCPU("self")
	return s, err
}

// processCPU is utime + stime of /proc/PID/stat.
func processCPU(pid string) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields count from its ")".
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%s/stat: short", pid)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * clockTick, nil
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func sizeName(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " B"
}

// report prints the medians per size and target and, for every other
// target, the ratio of its requests/s to the baseline's, overall (of the
// medians) and round by round (the i-th run of each).
func report(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	baseline := fs.String("baseline", "nginx", "target the others are compared with")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New(usage)
	}
	file := fs.Arg(0)
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	type key struct {
		size  int64
		label string
	}
	runs := map[key][]Result{}
	var labels []string
	var sizes []int64
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var r Result
		if err := dec.Decode(&r); err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		if !slices.Contains(labels, r.Label) {
			labels = append(labels, r.Label)
		}
		if !slices.Contains(sizes, r.Size) {
			sizes = append(sizes, r.Size)
		}
		runs[key{r.Size, r.Label}] = append(runs[key{r.Size, r.Label}], r)
	}
	medianOf := func(rs []Result, f func(Result) float64) float64 {
		vs := make([]float64, len(rs))
		for i, r := range rs {
			vs[i] = f(r)
		}
		return median(vs)
	}
	rps := func(r Result) float64 { return r.RPS }
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "size\ttarget\truns\treq/s (median)\treq/s (each run)\tMB/s\tp50 ms\tp99 ms\tserver CPU-µs/req\tothers %\terrors\t")
	for _, size := range sizes {
		for _, label := range labels {
			rs := runs[key{size, label}]
			if len(rs) == 0 {
				continue
			}
			each := make([]string, len(rs))
			errs := 0
			for i, r := range rs {
				each[i] = fmt.Sprintf("%.0f", r.RPS)
				errs += r.Errors
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%s\t%.1f\t%.2f\t%.2f\t%.1f\t%.0f\t%d\t\n", sizeName(size), label, len(rs),
				medianOf(rs, rps), strings.Join(each, " "),
				medianOf(rs, func(r Result) float64 { return r.MBps }),
				medianOf(rs, func(r Result) float64 { return r.P50us / 1000 }),
				medianOf(rs, func(r Result) float64 { return r.P99us / 1000 }),
				medianOf(rs, func(r Result) float64 { return r.ServerCPUus }),
				medianOf(rs, func(r Result) float64 { return 100 * r.Others }), errs)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	for _, size := range sizes {
		base := runs[key{size, *baseline}]
		if len(base) == 0 {
			continue
		}
		for _, label := range labels {
			rs := runs[key{size, label}]
			if label == *baseline || len(rs) == 0 {
				continue
			}
			var each []string
			for i := range min(len(rs), len(base)) {
				each = append(each, fmt.Sprintf("%.2f", rs[i].RPS/base[i].RPS))
			}
			fmt.Fprintf(stdout, "%s: %s/%s = %.2f× in requests/s (run by run %s)", sizeName(size), label, *baseline,
				medianOf(rs, rps)/medianOf(base, rps), strings.Join(each, ", "))
			cpu := func(r Result) float64 { return r.ServerCPUus }
			if c := medianOf(base, cpu); c > 0 {
				fmt.Fprintf(stdout, "; server CPU per request %.2f×", medianOf(rs, cpu)/c)
			}
			fmt.Fprintln(stdout)
		}
	}
	return nil
}

func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
