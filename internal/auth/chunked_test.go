package auth

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestAWSStreamingExample checks the decoder against the example AWS
// publishes in "Signature Calculations for the Authorization Header:
// Transferring Payload in Multiple Chunks": 66560 bytes of 'a' in a 64 KiB
// chunk, a 1 KiB chunk and the final empty chunk, with its documented seed
// and chunk signatures.
func TestAWSStreamingExample(t *testing.T) {
	const (
		seed   = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
		chunk1 = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
		chunk2 = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
		final  = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
	)
	body := func(corrupt bool) []byte {
		var b bytes.Buffer
		for _, c := range []struct {
			size int
			sig  string
		}{{65536, chunk1}, {1024, chunk2}, {0, final}} {
			fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", c.size, c.sig)
			data := bytes.Repeat([]byte("a"), c.size)
			if corrupt && c.size == 1024 {
				data[100] = 'b'
			}
			b.Write(data)
			b.WriteString("\r\n")
		}
		return b.Bytes()
	}
	request := func(b []byte) *http.Request {
		r := httptest.NewRequest(http.MethodPut, "/examplebucket/chunkObject.txt", bytes.NewReader(b))
		r.Host = "s3.amazonaws.com"
		r.Header.Set("X-Amz-Date", "20130524T000000Z")
		r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
		r.Header.Set("Content-Encoding", "aws-chunked")
		r.Header.Set("Content-Length", "66824")
		r.Header.Set("X-Amz-Content-Sha256", PayloadStreamingSigned)
		r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"+
			"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"+
			"Signature="+seed)
		return r
	}
	v := &Verifier{
		Creds: NewStaticCredentials(Credential{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}),
		Now:   func() time.Time { return time.Date(2013, 5, 24, 0, 5, 0, 0, time.UTC) },
	}
	if n := len(body(false)); n != 66824 {
		t.Fatalf("example body is %d bytes, AWS says 66824", n)
	}

	res, err := v.Verify(request(body(false)))
	if err != nil {
		t.Fatalf("Verify (seed signature): %v", err)
	}
	if res.ContentLength != 66560 || res.PayloadMode != PayloadStreamingSigned {
		t.Fatalf("result = %+v", res)
	}
	got, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !bytes.Equal(got, bytes.Repeat([]byte("a"), 66560)) {
		t.Fatalf("decoded %d bytes, not the example payload", len(got))
	}

	res, err = v.Verify(request(body(true)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(res.Body); !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Fatalf("corrupt second chunk: read error = %v", err)
	}
}

func TestStreamingModes(t *testing.T) {
	s := newVerifyServer(t, testVerifier(testTime), false)
	payload := make([]byte, 200*1024+17)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	crc := []trailerKV{{"x-amz-checksum-crc32", crc32Base64(payload)}}
	cases := []struct {
		name     string
		req      streamingRequest
		path     string
		trailers map[string]string
	}{
		{name: "signed", req: streamingRequest{mode: PayloadStreamingSigned, payload: payload, chunkSize: 64 << 10}},
		{name: "signed odd chunk size", req: streamingRequest{mode: PayloadStreamingSigned, payload: payload, chunkSize: 8191}},
		{name: "signed empty", req: streamingRequest{mode: PayloadStreamingSigned, payload: []byte{}, chunkSize: 64 << 10}},
		{name: "signed special key", path: "/bucket/a%20b%2Bc/%C3%BC%2F//x", req: streamingRequest{mode: PayloadStreamingSigned, payload: payload[:1000], chunkSize: 512}},
		{name: "unsigned trailer", req: streamingRequest{mode: PayloadStreamingUnsignedTrl, payload: payload, chunkSize: 64 << 10, trailers: crc},
			trailers: map[string]string{"X-Amz-Checksum-Crc32": crc[0].value}},
		{name: "unsigned trailer, no trailer", req: streamingRequest{mode: PayloadStreamingUnsignedTrl, payload: payload, chunkSize: 64 << 10}},
		{name: "signed trailer", req: streamingRequest{mode: PayloadStreamingSignedTrl, payload: payload, chunkSize: 64 << 10, trailers: crc},
			trailers: map[string]string{"X-Amz-Checksum-Crc32": crc[0].value}},
		{name: "signed trailer, two trailers", req: streamingRequest{mode: PayloadStreamingSignedTrl, payload: payload, chunkSize: 100000,
			trailers: []trailerKV{{"x-amz-checksum-sha256", "dGVzdA=="}, {"x-amz-checksum-crc32", crc[0].value}}},
			trailers: map[string]string{"X-Amz-Checksum-Crc32": crc[0].value, "X-Amz-Checksum-Sha256": "dGVzdA=="}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.secret, tt.req.at = testSecret, testTime
			path := tt.path
			if path == "" {
				path = "/bucket/key"
			}
			r, _ := tt.req.build(t, s, path)
			o := s.do(t, r)
			if o.verifyErr != nil || o.readErr != nil {
				t.Fatalf("verify %v, read %v", o.verifyErr, o.readErr)
			}
			if !bytes.Equal(o.body, tt.req.payload) {
				t.Fatalf("decoded %d bytes, sent %d", len(o.body), len(tt.req.payload))
			}
			if o.res.PayloadMode != tt.req.mode || o.res.ContentLength != int64(len(tt.req.payload)) {
				t.Fatalf("result = %+v", o.res)
			}
			if len(o.trailer) != len(tt.trailers) {
				t.Fatalf("trailer = %v, want %v", o.trailer, tt.trailers)
			}
			for k, v := range tt.trailers {
				if o.trailer.Get(k) != v {
					t.Fatalf("trailer %s = %q, want %q", k, o.trailer.Get(k), v)
				}
			}
		})
	}
}

func TestStreamingFailures(t *testing.T) {
	s := newVerifyServer(t, testVerifier(testTime), false)
	payload := bytes.Repeat([]byte("0123456789abcdef"), 10000)
	crc := []trailerKV{{"x-amz-checksum-crc32", crc32Base64(payload)}}
	type tamper func(t *testing.T, body []byte) []byte
	replace := func(old, new string) tamper {
		return func(t *testing.T, b []byte) []byte {
			if !bytes.Contains(b, []byte(old)) {
				t.Fatalf("body has no %q", old)
			}
			return bytes.Replace(b, []byte(old), []byte(new), 1)
		}
	}
	cases := []struct {
		name      string
		req       streamingRequest
		header    func(h http.Header) // then the request is signed again
		body      tamper
		verifyErr error // from Verify
		readErr   error // from reading Body
		unexpEOF  bool  // read error also wraps io.ErrUnexpectedEOF
	}{
		{name: "tampered chunk data", req: streamingRequest{mode: PayloadStreamingSigned, chunkSize: 64 << 10},
			body: func(t *testing.T, b []byte) []byte { b[70000] ^= 1; return b }, readErr: ErrSignatureDoesNotMatch},
		{name: "tampered last chunk data", req: streamingRequest{mode: PayloadStreamingSigned, chunkSize: 64 << 10},
			body: func(t *testing.T, b []byte) []byte { b[len(b)-200] ^= 1; return b }, readErr: ErrSignatureDoesNotMatch},
		{name: "wrong chunk signature", req: streamingRequest{mode: PayloadStreamingSigned, chunkSize: 64 << 10},
			body: func(t *testing.T, b []byte) []byte {
				i := bytes.Index(b, []byte("chunk-signature=")) + len("chunk-signature=")
				if b[i] == '0' {
					b[i] = '1'
				} else {
					b[i] = '0'
				}
				return b
			}, readErr: ErrSignatureDoesNotMatch},
		{name: "wrong seed secret", req: streamingRequest{mode: PayloadStreamingSigned, chunkSize: 64 << 10, secret: "other"}, verifyErr: ErrSignatureDoesNotMatch},
		{name: "missing chunk signature", req: streamingRequest{mode: PayloadStreamingSigned, chunkSize: 64 << 10},
			body: func(t *testing.T, b []byte) []byte {
				return bytes.Replace(b, []byte(";chunk-signature="), []byte(";chunk-signaturX="), 1)
			}, readErr: ErrMalformedChunk},
		{name: "truncated mid chunk", req: streamingRequest{mode: PayloadStreamingSigned, chunkSize: 64 << 10},
			body: func(t *testing.T, b []byte) []byte { return b[:len(b)/2] }, readErr: ErrMalformedChunk, unexpEOF: true},
		{name: "truncated before final chunk", req: streamingRequest{mode: PayloadStreamingUnsignedTrl, chunkSize: 64 << 10},
			body: func(t *testing.T, b []byte) []byte { return b[:bytes.LastIndex(b, []byte("0\r\n"))] }, readErr: ErrMalformedChunk, unexpEOF: true},
		{name: "truncated final CRLF", req: streamingRequest{mode: PayloadStreamingSigned, chunkSize: 64 << 10},
			body: func(t *testing.T, b []byte) []byte { return b[:len(b)-2] }, readErr: ErrMalformedChunk, unexpEOF: true},
		{name: "truncated in trailer", req: streamingRequest{mode: PayloadStreamingUnsignedTrl, chunkSize: 64 << 10, trailers: crc},
			body: func(t *testing.T, b []byte) []byte { return b[:len(b)-8] }, readErr: ErrMalformedChunk, unexpEOF: true},
		{name: "trailing garbage", req: streamingRequest{mode: PayloadStreamingSigned, chunkSize: 64 << 10},
			body: func(t *testing.T, b []byte) []byte { return append(b, 'x') }, readErr: ErrMalformedChunk},
		{name: "bad chunk size", req: streamingRequest{mode: PayloadStreamingUnsignedTrl, chunkSize: 64 << 10},
			body: replace("10000\r\n", "1000z\r\n"), readErr: ErrMalformedChunk},
		{name: "negative chunk size", req: streamingRequest{mode: PayloadStreamingUnsignedTrl, chunkSize: 64 << 10},
			body: replace("10000\r\n", "-10000\r\n"), readErr: ErrMalformedChunk},
		{name: "huge chunk size", req: streamingRequest{mode: PayloadStreamingUnsignedTrl, chunkSize: 64 << 10},
			body: replace("10000\r\n", "7fffffffffffffff\r\n"), readErr: ErrMalformedChunk},
		{name: "overflowing chunk size", req: streamingRequest{mode: PayloadStreamingUnsignedTrl, chunkSize: 64 << 10},
			body: replace("10000\r\n", "ffffffffffffffffff\r\n"), readErr: ErrMalformedChunk},
		{name: "chunk longer than announced", req: streamingRequest{mode: PayloadStreamingUnsignedTrl, chunkSize: 64 << 10},
			header: func(h http.Header) { h.Set("X-Amz-Decoded-Content-Length", "100") }, readErr: ErrMalformedChunk},
		{name: "missing CRLF after data", req: streamingRequest{mode: PayloadStreamingUnsignedTrl, chunkSize: 64 << 10},
			body: func(t *testing.T, b []byte) []byte {
				i := bytes.Index(b, []byte("\r\n")) + 2 + 65536
				b[i] = 'X'
				return b
			}, readErr: ErrMalformedChunk},
		{name: "bare LF line", req: streamingRequest{mode: PayloadStreamingUnsignedTrl, chunkSize: 64 << 10},
			body: replace("10000\r\n", "10000\n"), readErr: ErrMalformedChunk},
		{name: "endless chunk header", req: streamingRequest{mode: PayloadStreamingUnsignedTrl, chunkSize: 64 << 10},
			body: func(t *testing.T, b []byte) []byte { return append([]byte("1"+strings.Repeat("0", 10000)), b...) }, readErr: ErrMalformedChunk},
		{name: "bad trailer signature", req: streamingRequest{mode: PayloadStreamingSignedTrl, chunkSize: 64 << 10, trailers: crc},
			body: replace(crc[0].value, "AAAAAA=="), readErr: ErrSignatureDoesNotMatch},
		{name: "missing trailer signature", req: streamingRequest{mode: PayloadStreamingSignedTrl, chunkSize: 64 << 10, trailers: crc},
			body: replace("x-amz-trailer-signature:", "x-amz-trailer-signaturX:"), readErr: ErrMalformedTrailer},
		{name: "unannounced trailer", req: streamingRequest{mode: PayloadStreamingUnsignedTrl, chunkSize: 64 << 10, trailers: crc},
			body: replace("x-amz-checksum-crc32:", "x-amz-checksum-crc64nvme:"), readErr: ErrMalformedTrailer},
		{name: "announced trailer missing", req: streamingRequest{mode: PayloadStreamingUnsignedTrl, chunkSize: 64 << 10, trailers: crc},
			header: func(h http.Header) { h.Set("X-Amz-Trailer", "x-amz-checksum-crc32,x-amz-checksum-sha1") }, readErr: ErrMalformedTrailer},
		{name: "trailer in signed mode", req: streamingRequest{mode: PayloadStreamingSigned, chunkSize: 64 << 10},
			body: func(t *testing.T, b []byte) []byte {
				return append(b[:len(b)-2], []byte("x-amz-checksum-crc32:AAAAAA==\r\n\r\n")...)
			}, readErr: ErrMalformedTrailer},
		{name: "trailer signature in unsigned mode", req: streamingRequest{mode: PayloadStreamingUnsignedTrl, chunkSize: 64 << 10, trailers: crc},
			body: replace("\r\n\r\n", "\r\nx-amz-trailer-signature:"+strings.Repeat("0", 64)+"\r\n\r\n"), readErr: ErrMalformedTrailer},
		{name: "missing decoded length", req: streamingRequest{mode: PayloadStreamingSigned, chunkSize: 64 << 10},
			header: func(h http.Header) { h.Del("X-Amz-Decoded-Content-Length") }, verifyErr: ErrMissingDecodedLength},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.payload, tt.req.at = payload, testTime
			if tt.req.secret == "" {
				tt.req.secret = testSecret
			}
			r, _ := tt.req.build(t, s, "/bucket/key")
			if tt.header != nil {
				tt.header(r.Header)
				r.Header.Del("Authorization")
				sign(t, r, tt.req.secret, tt.req.mode, "s3", testTime)
			}
			body := bodyBytes(t, r)
			if tt.body != nil {
				body = tt.body(t, body)
			}
			res, err := testVerifier(testTime).Verify(serverSide(t, r, body))
			if tt.verifyErr != nil {
				if !errors.Is(err, tt.verifyErr) {
					t.Fatalf("Verify error = %v, want %v", err, tt.verifyErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			_, err = io.Copy(io.Discard, res.Body)
			if !errors.Is(err, tt.readErr) {
				t.Fatalf("read error = %v, want %v", err, tt.readErr)
			}
			if tt.unexpEOF && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("read error = %v, want it to wrap io.ErrUnexpectedEOF", err)
			}
			if res.Trailer() != nil {
				t.Fatalf("trailer surfaced from a failed body: %v", res.Trailer())
			}
			// The failure is sticky.
			if _, again := res.Body.Read(make([]byte, 10)); again == nil || again == io.EOF {
				t.Fatalf("second read after failure = %v", again)
			}
		})
	}
}

// TestStreamingAnnouncedLengthMismatch covers the headers a client could
// get wrong without changing the signature: they are signed, so these are
// checked by re-signing with the wrong values.
func TestStreamingAnnouncedLengthMismatch(t *testing.T) {
	s := newVerifyServer(t, testVerifier(testTime), false)
	payload := bytes.Repeat([]byte("z"), 3000)
	for _, tt := range []struct {
		name     string
		declared string
	}{{"longer than sent", "3001"}, {"shorter than sent", "2999"}, {"not a number", "3e3"}} {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := streamingRequest{mode: PayloadStreamingUnsignedTrl, payload: payload, chunkSize: 1024, secret: testSecret, at: testTime}.build(t, s, "/bucket/k")
			r.Header.Set("X-Amz-Decoded-Content-Length", tt.declared)
			r.Header.Del("Authorization")
			sign(t, r, testSecret, PayloadStreamingUnsignedTrl, "s3", testTime)
			o := s.do(t, r)
			if tt.declared == "3e3" {
				if !errors.Is(o.verifyErr, ErrMissingDecodedLength) {
					t.Fatalf("Verify error = %v", o.verifyErr)
				}
				return
			}
			if o.verifyErr != nil || !errors.Is(o.readErr, ErrMalformedChunk) {
				t.Fatalf("verify %v read %v", o.verifyErr, o.readErr)
			}
		})
	}
}

// TestChunkedReaderSmallReads reads a signed stream one byte at a time.
func TestChunkedReaderSmallReads(t *testing.T) {
	s := newVerifyServer(t, testVerifier(testTime), false)
	payload := bytes.Repeat([]byte("ab"), 5000)
	r, _ := streamingRequest{mode: PayloadStreamingSignedTrl, payload: payload, chunkSize: 4000, secret: testSecret, at: testTime,
		trailers: []trailerKV{{"x-amz-checksum-crc32", crc32Base64(payload)}}}.build(t, s, "/b/k")
	res, err := testVerifier(testTime).Verify(serverSide(t, r, bodyBytes(t, r)))
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 1)
	for {
		n, err := res.Body.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if res.Trailer() != nil {
			t.Fatal("trailer before EOF")
		}
	}
	if !bytes.Equal(got, payload) || res.Trailer().Get("x-amz-checksum-crc32") != crc32Base64(payload) {
		t.Fatalf("got %d bytes, trailer %v", len(got), res.Trailer())
	}
}
