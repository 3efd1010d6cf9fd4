package auth

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Seed corpora live in testdata/fuzz/<FuzzName>.

func FuzzParseAuthorizationHeader(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20260314/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("0", 64))
	f.Fuzz(func(t *testing.T, header string) {
		sa, err := parseAuthorizationHeader(header)
		if err != nil {
			if !errors.Is(err, ErrAuthorizationHeaderMalformed) && !errors.Is(err, ErrUnsupportedAlgorithm) {
				t.Fatalf("error %v wraps neither sentinel", err)
			}
			return
		}
		if len(sa.signature) != 32 || !slices.Contains(sa.signedHeaders, "host") ||
			sa.scope.accessKeyID == "" || !isScopeDate(sa.scope.date) || !isScopeToken(sa.scope.region) || !isScopeToken(sa.scope.service) {
			t.Fatalf("accepted an invalid header: %+v", sa)
		}
		for _, h := range sa.signedHeaders {
			if !isLowerToken(h) {
				t.Fatalf("accepted signed header %q", h)
			}
		}
	})
}

// FuzzIsScopeDate holds isScopeDate to time.Parse, which it replaces on the
// request path.
func FuzzIsScopeDate(f *testing.F) {
	for _, s := range []string{"20260314", "20240229", "20250229", "00000101", "99991231", "20261301", "20260100", "2026031x", "+2026031", "2026-3-4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, err := time.Parse(scopeDateLayout, s)
		if want := len(s) == 8 && err == nil; isScopeDate(s) != want {
			t.Fatalf("isScopeDate(%q) = %v, time.Parse error %v", s, !want, err)
		}
	})
}

func TestIsScopeDateEveryDay(t *testing.T) {
	for _, year := range []string{"0000", "0004", "1900", "2000", "2024", "2026", "2100", "9999"} {
		for month := range 14 {
			for day := range 33 {
				s := fmt.Sprintf("%s%02d%02d", year, month, day)
				_, err := time.Parse(scopeDateLayout, s)
				if isScopeDate(s) != (err == nil) {
					t.Errorf("isScopeDate(%q) = %v, time.Parse error %v", s, err != nil, err)
				}
			}
		}
	}
}

// FuzzHeaderValues holds headerValues to http.Header.Values for every name
// a signature may list.
func FuzzHeaderValues(f *testing.F) {
	for _, s := range []string{"x-amz-date", "content-type", "host", "x-amz-meta-a-b-", "-x", "a_b", "x--y", "1-a", strings.Repeat("a-", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !isLowerToken(name) {
			return
		}
		h := http.Header{}
		h.Add(name, "v1")
		h.Add(name, "v2")
		h.Set("X-Other", "o")
		if got, want := headerValues(h, name), h.Values(name); !slices.Equal(got, want) {
			t.Fatalf("headerValues(%q) = %q, Header.Values = %q", name, got, want)
		}
	})
}

func FuzzParsePresignedQuery(f *testing.F) {
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260314%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260314T150926Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=" + strings.Repeat("0", 64))
	f.Fuzz(func(t *testing.T, rawQuery string) {
		canon := canonicalQuery(rawQuery, true)
		for param := range strings.SplitSeq(canon, "&") {
			if strings.HasPrefix(param, querySignature+"=") {
				t.Fatalf("canonical query of a presigned request keeps the signature: %q", canon)
			}
		}
		for i := 0; i < len(canon); i++ {
			if c := canon[i]; !isUnreserved(c) && c != '%' && c != '=' && c != '&' {
				t.Fatalf("canonical query has unencoded %q: %q", c, canon)
			}
		}
		q := parseQueryLenient(rawQuery)
		if !isPresigned(q) {
			return
		}
		pa, err := parsePresignedQuery(q)
		if err != nil {
			if !errors.Is(err, ErrAuthorizationQueryMalformed) && !errors.Is(err, ErrUnsupportedAlgorithm) {
				t.Fatalf("error %v wraps neither sentinel", err)
			}
			return
		}
		if pa.expires <= 0 || pa.expires.Seconds() > maxPresignExpiry || len(pa.signature) != 32 || !slices.Contains(pa.signedHeaders, "host") {
			t.Fatalf("accepted an invalid query: %+v", pa)
		}
	})
}

// fuzzSigner is the signer the signed seeds of FuzzChunkedDecoder were made
// with (see testdata/fuzz/FuzzChunkedDecoder).
func fuzzSigner() *chunkSigner {
	return &chunkSigner{
		key:     testSigningKey(testSecret, "20260314", testRegion, "s3"),
		amzDate: "20260314T150926Z",
		scope:   credentialScope{accessKeyID: testAKID, date: "20260314", region: testRegion, service: "s3"},
		prev:    strings.Repeat("ab", 32),
	}
}

func FuzzChunkedDecoder(f *testing.F) {
	f.Add([]byte("5\r\nhello\r\n0\r\n\r\n"), false, true, uint32(5))
	f.Fuzz(func(t *testing.T, body []byte, signed, trailers bool, decodedLength uint32) {
		cfg := chunkedConfig{decodedLength: int64(decodedLength), trailers: trailers}
		if trailers {
			cfg.announced = []string{"X-Amz-Checksum-Crc32"}
		}
		if signed {
			cfg.signer = fuzzSigner()
		}
		r := newChunkedReader(io.NopCloser(bytes.NewReader(body)), cfg)
		var out countingWriter
		_, err := io.CopyBuffer(&out, r, make([]byte, 1000))
		if out.n > int64(len(body)) || out.n > int64(decodedLength) {
			t.Fatalf("decoded %d bytes from %d, declared %d", out.n, len(body), decodedLength)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformedChunk) && !errors.Is(err, ErrMalformedTrailer) && !errors.Is(err, ErrSignatureDoesNotMatch) {
				t.Fatalf("unexpected error %v", err)
			}
			if r.Trailer() != nil {
				t.Fatal("trailer from a failed body")
			}
			return
		}
		if out.n != int64(decodedLength) {
			t.Fatalf("EOF after %d bytes, declared %d", out.n, decodedLength)
		}
		if tr := r.Trailer(); tr == nil || len(tr) != 1 && trailers || len(tr) != 0 && !trailers {
			t.Fatalf("trailer = %v", tr)
		}
	})
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}
