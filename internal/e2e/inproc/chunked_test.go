package inproc

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The SDK never sends signed aws-chunked bodies (it uses trailers with
// unsigned payloads), but the AWS CLI's older modes and other SDKs do; these
// tests build them by hand from the SigV4 streaming specification.

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// chunkSigner computes the chained signatures of a signed aws-chunked body.
type chunkSigner struct {
	key      []byte
	amzDate  string // 20060102T150405Z
	scope    string // date/region/s3/aws4_request
	previous string // the seed signature, then each chunk's
}

func newChunkSigner(secret, region string, at time.Time, seed string) *chunkSigner {
	day := at.UTC().Format("20060102")
	k := hmacSHA256([]byte("AWS4"+secret), day)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, "s3")
	k = hmacSHA256(k, "aws4_request")
	return &chunkSigner{key: k, amzDate: at.UTC().Format("20060102T150405Z"), scope: day + "/" + region + "/s3/aws4_request", previous: seed}
}

func (cs *chunkSigner) chunk(data []byte) string {
	sts := strings.Join([]string{"AWS4-HMAC-SHA256-PAYLOAD", cs.amzDate, cs.scope, cs.previous, hexSHA256(nil), hexSHA256(data)}, "\n")
	cs.previous = hex.EncodeToString(hmacSHA256(cs.key, sts))
	return cs.previous
}

func (cs *chunkSigner) trailer(canonical string) string {
	sts := strings.Join([]string{"AWS4-HMAC-SHA256-TRAILER", cs.amzDate, cs.scope, cs.previous, hexSHA256([]byte(canonical))}, "\n")
	return hex.EncodeToString(hmacSHA256(cs.key, sts))
}

// signedChunkedPut PUTs body as a STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER)
// request in chunks of chunkSize. A non-empty trailer ("name:value") is
// sent after the last chunk; tamper corrupts the second chunk's signature.
func (c *client) signedChunkedPut(t testing.TB, bucket, key string, body []byte, chunkSize int, trailer string, tamper bool) (*http.Response, []byte) {
	t.Helper()
	mode := "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	if trailer != "" {
		mode += "-TRAILER"
	}
	var chunks [][]byte
	for off := 0; off < len(body); off += chunkSize {
		chunks = append(chunks, body[off:min(off+chunkSize, len(body))])
	}
	chunks = append(chunks, nil)
	// The encoded length must be known before signing the headers.
	encLen := 0
	for _, ch := range chunks {
		encLen += len(strconv.FormatInt(int64(len(ch)), 16)) + len(";chunk-signature=") + 64 + 2 + len(ch) + 2
	}
	var trailerLine string
	if trailer != "" {
		name, value, _ := strings.Cut(trailer, ":")
		trailerLine = name + ":" + value
		encLen += -2 + len(trailerLine) + 2 + len("x-amz-trailer-signature:") + 64 + 2 + 2
	}

	req := newRequest(t, http.MethodPut, c.url(bucket, key, ""), nil)
	req.ContentLength = int64(encLen)
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(body)))
	if trailer != "" {
		name, _, _ := strings.Cut(trailer, ":")
		req.Header.Set("X-Amz-Trailer", name)
	}
	at := time.Now().UTC()
	c.sign(t, req, mode, c.ts.access, c.ts.secret, at)
	auth := req.Header.Get("Authorization")
	i := strings.Index(auth, "Signature=")
	if i < 0 {
		t.Fatalf("no seed signature in %q", auth)
	}
	cs := newChunkSigner(c.ts.secret, c.ts.region, at, auth[i+len("Signature="):])

	var enc bytes.Buffer
	for n, ch := range chunks {
		sig := cs.chunk(ch)
		if tamper && n == 1 {
			sig = strings.Repeat("0", 64)
		}
		fmt.Fprintf(&enc, "%x;chunk-signature=%s\r\n", len(ch), sig)
		if len(ch) > 0 || trailer == "" {
			enc.Write(ch)
			enc.WriteString("\r\n")
		}
	}
	if trailer != "" {
		enc.WriteString(trailerLine + "\r\n")
		fmt.Fprintf(&enc, "x-amz-trailer-signature:%s\r\n\r\n", cs.trailer(trailerLine+"\n"))
	}
	if enc.Len() != encLen {
		t.Fatalf("encoded %d bytes, announced %d", enc.Len(), encLen)
	}
	req.Body = io.NopCloser(bytes.NewReader(enc.Bytes()))
	return c.do(t, req)
}

func TestSignedChunkedUpload(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "sigchunk")
		body := randBytes(50, 200_000)

		resp, rb := c.signedChunkedPut(t, b, "signed", body, 65536, "", false)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("STREAMING-AWS4-HMAC-SHA256-PAYLOAD PUT: %d %q", resp.StatusCode, rb)
		}
		if resp.Header.Get("ETag") != md5ETag(body) {
			t.Errorf("ETag %q, want %s", resp.Header.Get("ETag"), md5ETag(body))
		}
		out, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("signed")})
		must(t, err, "GetObject")
		if got := readAll(t, out.Body); !bytes.Equal(got, body) || str(out.ContentEncoding) != "" {
			t.Errorf("stored %d bytes (want the %d decoded bytes), Content-Encoding %q", len(got), len(body), str(out.ContentEncoding))
		}

		crc := checksumOf(types.ChecksumAlgorithmCrc32, body)
		resp, rb = c.signedChunkedPut(t, b, "signed-trailer", body, 65536, "x-amz-checksum-crc32:"+crc, false)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER PUT: %d %q", resp.StatusCode, rb)
		}
		h, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("signed-trailer"), ChecksumMode: types.ChecksumModeEnabled})
		must(t, err, "HeadObject")
		if str(h.ChecksumCRC32) != crc || i64(h.ContentLength) != int64(len(body)) {
			t.Errorf("trailer upload: CRC32 %q length %d, want %q %d", str(h.ChecksumCRC32), i64(h.ContentLength), crc, len(body))
		}

		resp, rb = c.signedChunkedPut(t, b, "signed-bad-crc", body, 65536, "x-amz-checksum-crc32:"+checksumOf(types.ChecksumAlgorithmCrc32, []byte("x")), false)
		wantRawError(t, resp, rb, http.StatusBadRequest, "BadDigest")

		resp, rb = c.signedChunkedPut(t, b, "tampered", body, 65536, "", true)
		wantRawError(t, resp, rb, http.StatusForbidden, "SignatureDoesNotMatch")
		for _, k := range []string{"signed-bad-crc", "tampered"} {
			_, err = c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(k)})
			wantAPIError(t, err, http.StatusNotFound, "")
		}
	})
}
