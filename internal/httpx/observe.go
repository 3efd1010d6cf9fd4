package httpx

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Info is what a handler tells the access log and metrics about a request.
// The HTTP layer fills it in through InfoFrom.
type Info struct {
	Op        string
	Bucket    string
	Key       string
	Principal string
	BytesIn   int64
}

const infoKey ctxKey = 1

// InfoFrom returns the request's Info for the handler to fill in; it is
// never nil inside an Observe chain.
func InfoFrom(ctx context.Context) *Info {
	if i, ok := ctx.Value(infoKey).(*Info); ok {
		return i
	}
	return &Info{}
}

// Metrics are the request metrics of one server.
type Metrics struct {
	requests *prometheus.CounterVec
	bytesIn  *prometheus.CounterVec
	bytesOut *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics registers request metrics named prefix_* in reg.
func NewMetrics(reg prometheus.Registerer, prefix string) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "_requests_total", Help: "Requests by operation and HTTP status.",
		}, []string{"op", "status"}),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "_received_bytes_total", Help: "Request body bytes received, by operation.",
		}, []string{"op"}),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "_sent_bytes_total", Help: "Response body bytes sent, by operation.",
		}, []string{"op"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: prefix + "_request_duration_seconds", Help: "Request latency by operation.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"op"}),
	}
	reg.MustRegister(m.requests, m.bytesIn, m.bytesOut, m.latency)
	return m
}

// Recorder captures the status and body size of a response (Status is 0
// until the handler writes).
type Recorder struct {
	http.ResponseWriter
	Status int
	Bytes  int64
}

func (r *Recorder) WriteHeader(code int) {
	if r.Status == 0 {
		r.Status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *Recorder) Write(p []byte) (int, error) {
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.Bytes += int64(n)
	return n, err
}

// ReadFrom keeps io.Copy on the fast path (sendfile) through the wrapper.
func (r *Recorder) ReadFrom(src io.Reader) (int64, error) {
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	n, err := io.Copy(r.ResponseWriter, src)
	r.Bytes += n
	return n, err
}

func (r *Recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *Recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Observe logs one access-log line per request and records metrics. The
// handler names the operation through InfoFrom(ctx).
func Observe(log *slog.Logger, m *Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &Info{}
		rec := &Recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), infoKey, info)))
		if rec.Status == 0 {
			rec.Status = http.StatusOK
		}
		d := time.Since(start)
		op := info.Op
		if op == "" {
			op = "unknown"
		}
		if m != nil {
			m.requests.WithLabelValues(op, strconv.Itoa(rec.Status)).Inc()
			m.bytesIn.WithLabelValues(op).Add(float64(info.BytesIn))
			m.bytesOut.WithLabelValues(op).Add(float64(rec.Bytes))
			m.latency.WithLabelValues(op).Observe(d.Seconds())
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", RequestID(r.Context())),
			slog.String("remote", r.RemoteAddr),
			slog.String("method", r.Method),
			slog.String("op", op),
			slog.String("bucket", info.Bucket),
			slog.String("key", info.Key),
			slog.String("principal", info.Principal),
			slog.Int("status", rec.Status),
			slog.Int64("bytes_in", info.BytesIn),
			slog.Int64("bytes_out", rec.Bytes),
			slog.Duration("duration", d),
		)
	})
}
