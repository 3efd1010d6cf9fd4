package inproc

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// crc64NVME is the CRC-64/NVME table: polynomial 0xad93d23594c93659,
// reflected (0x9a6c9329ac4bc9b5), init and xorout all ones — exactly what
// hash/crc64 computes with this table.
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

func newHash(alg types.ChecksumAlgorithm) hash.Hash {
	switch alg {
	case types.ChecksumAlgorithmCrc32:
		return crc32.NewIEEE()
	case types.ChecksumAlgorithmCrc32c:
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case types.ChecksumAlgorithmCrc64nvme:
		return crc64.New(crc64NVME)
	case types.ChecksumAlgorithmSha1:
		return sha1.New()
	case types.ChecksumAlgorithmSha256:
		return sha256.New()
	}
	panic("unknown checksum algorithm " + string(alg))
}

// rawChecksum is the big-endian digest of b.
func rawChecksum(alg types.ChecksumAlgorithm, b []byte) []byte {
	h := newHash(alg)
	h.Write(b)
	return h.Sum(nil)
}

// checksumOf is the base64 checksum S3 reports for b.
func checksumOf(alg types.ChecksumAlgorithm, b []byte) string {
	return base64.StdEncoding.EncodeToString(rawChecksum(alg, b))
}

// compositeChecksum is S3's checksum-of-checksums for a multipart object:
// the checksum of the concatenated raw part checksums, then "-N".
func compositeChecksum(alg types.ChecksumAlgorithm, parts ...[]byte) string {
	var cat []byte
	for _, p := range parts {
		cat = append(cat, rawChecksum(alg, p)...)
	}
	return checksumOf(alg, cat) + "-" + strconv.Itoa(len(parts))
}

// objectChecksum picks the field for alg out of a response.
func objectChecksum(alg types.ChecksumAlgorithm, crc32v, crc32c, crc64v, sha1v, sha256v *string) string {
	switch alg {
	case types.ChecksumAlgorithmCrc32:
		return str(crc32v)
	case types.ChecksumAlgorithmCrc32c:
		return str(crc32c)
	case types.ChecksumAlgorithmCrc64nvme:
		return str(crc64v)
	case types.ChecksumAlgorithmSha1:
		return str(sha1v)
	case types.ChecksumAlgorithmSha256:
		return str(sha256v)
	}
	return ""
}

var allChecksums = []types.ChecksumAlgorithm{
	types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmCrc64nvme,
	types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256,
}

func TestChecksumReferenceValues(t *testing.T) {
	// The catalogue check values ("123456789") of each CRC, so the
	// expectations the other tests compute are themselves right.
	check := []byte("123456789")
	for _, tt := range []struct {
		alg  types.ChecksumAlgorithm
		want uint64
	}{
		{types.ChecksumAlgorithmCrc32, 0xcbf43926},
		{types.ChecksumAlgorithmCrc32c, 0xe3069283},
		{types.ChecksumAlgorithmCrc64nvme, 0xae8b14860a799888},
	} {
		raw := rawChecksum(tt.alg, check)
		var got uint64
		if len(raw) == 4 {
			got = uint64(binary.BigEndian.Uint32(raw))
		} else {
			got = binary.BigEndian.Uint64(raw)
		}
		if got != tt.want {
			t.Errorf("%s(123456789) = %#x, want %#x", tt.alg, got, tt.want)
		}
	}
}

func TestPutObjectChecksums(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "cksum")
		body := randBytes(5, 70_000)
		for _, alg := range allChecksums {
			t.Run(string(alg), func(t *testing.T) {
				key := "obj-" + string(alg)
				want := checksumOf(alg, body)
				put, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(body), ChecksumAlgorithm: alg})
				must(t, err, "PutObject")
				if got := objectChecksum(alg, put.ChecksumCRC32, put.ChecksumCRC32C, put.ChecksumCRC64NVME, put.ChecksumSHA1, put.ChecksumSHA256); got != want {
					t.Errorf("PutObject checksum = %q, want %q", got, want)
				}

				get, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
				must(t, err, "GetObject")
				if got := readAll(t, get.Body); !bytes.Equal(got, body) {
					t.Errorf("GetObject body differs")
				}
				if got := objectChecksum(alg, get.ChecksumCRC32, get.ChecksumCRC32C, get.ChecksumCRC64NVME, get.ChecksumSHA1, get.ChecksumSHA256); got != want {
					t.Errorf("GetObject checksum = %q, want %q", got, want)
				}
				if get.ChecksumType != types.ChecksumTypeFullObject {
					t.Errorf("GetObject ChecksumType = %q, want FULL_OBJECT", get.ChecksumType)
				}

				head, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
				must(t, err, "HeadObject")
				if got := objectChecksum(alg, head.ChecksumCRC32, head.ChecksumCRC32C, head.ChecksumCRC64NVME, head.ChecksumSHA1, head.ChecksumSHA256); got != want {
					t.Errorf("HeadObject checksum = %q, want %q", got, want)
				}
				if head.ChecksumType != types.ChecksumTypeFullObject {
					t.Errorf("HeadObject ChecksumType = %q, want FULL_OBJECT", head.ChecksumType)
				}

				// A wrong value sent by the client is refused and nothing is stored.
				wrong := checksumOf(alg, []byte("something else"))
				in := &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key + "-bad"), Body: bytes.NewReader(body)}
				switch alg {
				case types.ChecksumAlgorithmCrc32:
					in.ChecksumCRC32 = aws.String(wrong)
				case types.ChecksumAlgorithmCrc32c:
					in.ChecksumCRC32C = aws.String(wrong)
				case types.ChecksumAlgorithmCrc64nvme:
					in.ChecksumCRC64NVME = aws.String(wrong)
				case types.ChecksumAlgorithmSha1:
					in.ChecksumSHA1 = aws.String(wrong)
				case types.ChecksumAlgorithmSha256:
					in.ChecksumSHA256 = aws.String(wrong)
				}
				_, err = c.s3.PutObject(ctx(t), in)
				wantAPIError(t, err, http.StatusBadRequest, "BadDigest")
				_, err = c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String(key + "-bad")})
				wantAPIError(t, err, http.StatusNotFound, "")
			})
		}

		t.Run("SDK default is CRC32", func(t *testing.T) {
			c.put(t, b, "default", body)
			get, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("default"), ChecksumMode: types.ChecksumModeEnabled})
			must(t, err, "GetObject")
			readAll(t, get.Body)
			if got, want := str(get.ChecksumCRC32), checksumOf(types.ChecksumAlgorithmCrc32, body); got != want {
				t.Errorf("ChecksumCRC32 = %q, want %q (the SDK sends CRC32 by default)", got, want)
			}
		})

		t.Run("range GET carries no full-object checksum", func(t *testing.T) {
			get, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("default"), Range: aws.String("bytes=10-99"), ChecksumMode: types.ChecksumModeEnabled})
			must(t, err, "GetObject range")
			if got := readAll(t, get.Body); !bytes.Equal(got, body[10:100]) {
				t.Errorf("range body differs")
			}
			if get.ChecksumCRC32 != nil {
				t.Errorf("range GET returned the whole object's CRC32 %q", *get.ChecksumCRC32)
			}
		})
	})
}

// TestChecksumRawRequests sends checksums the SDK does not send over plain
// HTTP: aws-chunked bodies with the checksum in a trailer, and no checksum
// at all (S3 then computes CRC64NVME).
func TestChecksumRawRequests(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "rawck")
		body := randBytes(6, 20_000)

		chunked := func(key, trailerValue string) (*http.Response, []byte) {
			var enc bytes.Buffer
			for off := 0; off < len(body); off += 8192 {
				chunk := body[off:min(off+8192, len(body))]
				fmt.Fprintf(&enc, "%x\r\n", len(chunk))
				enc.Write(chunk)
				enc.WriteString("\r\n")
			}
			fmt.Fprintf(&enc, "0\r\nx-amz-checksum-crc32c:%s\r\n\r\n", trailerValue)
			req := newRequest(t, http.MethodPut, c.url(b, key, ""), enc.Bytes())
			req.Header.Set("Content-Encoding", "aws-chunked")
			req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(body)))
			req.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
			req.Header.Set("X-Amz-Sdk-Checksum-Algorithm", "CRC32C")
			c.sign(t, req, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", c.ts.access, c.ts.secret, time.Now())
			return c.do(t, req)
		}

		want := checksumOf(types.ChecksumAlgorithmCrc32c, body)
		resp, rb := chunked("trailer-ok", want)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("aws-chunked PUT with trailer: %d %q", resp.StatusCode, rb)
		}
		if got := resp.Header.Get("X-Amz-Checksum-Crc32c"); got != want {
			t.Errorf("PUT response x-amz-checksum-crc32c = %q, want %q", got, want)
		}
		get, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("trailer-ok"), ChecksumMode: types.ChecksumModeEnabled})
		must(t, err, "GetObject")
		if got := readAll(t, get.Body); !bytes.Equal(got, body) {
			t.Errorf("stored body differs from the decoded aws-chunked body (%d bytes, want %d)", len(got), len(body))
		}
		if str(get.ChecksumCRC32C) != want {
			t.Errorf("GetObject CRC32C = %q, want %q", str(get.ChecksumCRC32C), want)
		}
		if str(get.ContentEncoding) != "" {
			t.Errorf("aws-chunked leaked into the stored Content-Encoding: %q", str(get.ContentEncoding))
		}

		resp, rb = chunked("trailer-bad", checksumOf(types.ChecksumAlgorithmCrc32c, []byte("nope")))
		wantRawError(t, resp, rb, http.StatusBadRequest, "BadDigest")
		_, err = c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("trailer-bad")})
		wantAPIError(t, err, http.StatusNotFound, "")

		// No checksum at all: S3 computes a CRC64NVME itself.
		req := newRequest(t, http.MethodPut, c.url(b, "no-checksum", ""), body)
		c.signBody(t, req, body)
		resp, rb = c.do(t, req)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("plain PUT: %d %q", resp.StatusCode, rb)
		}
		head, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("no-checksum"), ChecksumMode: types.ChecksumModeEnabled})
		must(t, err, "HeadObject")
		if got, want := str(head.ChecksumCRC64NVME), checksumOf(types.ChecksumAlgorithmCrc64nvme, body); got != want {
			t.Errorf("object stored without a checksum: CRC64NVME = %q, want %q (S3's default)", got, want)
		}
	})
}

func TestMultipartChecksums(t *testing.T) {
	t.Parallel()
	p1 := randBytes(7, 5<<20)
	p2 := randBytes(8, 1234)
	whole := append(append([]byte{}, p1...), p2...)
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "mpuck")

		t.Run("composite CRC32", func(t *testing.T) {
			alg := types.ChecksumAlgorithmCrc32
			cr, err := c.s3.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("composite"), ChecksumAlgorithm: alg})
			must(t, err, "CreateMultipartUpload")
			if cr.ChecksumAlgorithm != alg {
				t.Errorf("CreateMultipartUpload ChecksumAlgorithm = %q", cr.ChecksumAlgorithm)
			}
			var parts []types.CompletedPart
			for i, p := range [][]byte{p1, p2} {
				up, err := c.s3.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("composite"), UploadId: cr.UploadId, PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p), ChecksumAlgorithm: alg})
				must(t, err, "UploadPart")
				if got, want := str(up.ChecksumCRC32), checksumOf(alg, p); got != want {
					t.Errorf("UploadPart %d CRC32 = %q, want %q", i+1, got, want)
				}
				parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: up.ETag, ChecksumCRC32: up.ChecksumCRC32})
			}
			want := compositeChecksum(alg, p1, p2)
			done, err := c.s3.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("composite"), UploadId: cr.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
			must(t, err, "CompleteMultipartUpload")
			if str(done.ChecksumCRC32) != want || done.ChecksumType != types.ChecksumTypeComposite {
				t.Errorf("Complete checksum %q type %q, want %q COMPOSITE", str(done.ChecksumCRC32), done.ChecksumType, want)
			}
			get, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("composite"), ChecksumMode: types.ChecksumModeEnabled})
			must(t, err, "GetObject")
			if got := readAll(t, get.Body); !bytes.Equal(got, whole) {
				t.Errorf("body differs")
			}
			if str(get.ChecksumCRC32) != want || get.ChecksumType != types.ChecksumTypeComposite {
				t.Errorf("GetObject checksum %q type %q, want %q COMPOSITE", str(get.ChecksumCRC32), get.ChecksumType, want)
			}
			head, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("composite"), ChecksumMode: types.ChecksumModeEnabled})
			must(t, err, "HeadObject")
			if str(head.ChecksumCRC32) != want {
				t.Errorf("HeadObject checksum %q, want %q", str(head.ChecksumCRC32), want)
			}
			// A part read returns that part's checksum.
			pg, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("composite"), PartNumber: aws.Int32(2), ChecksumMode: types.ChecksumModeEnabled})
			must(t, err, "GetObject partNumber 2")
			if got := readAll(t, pg.Body); !bytes.Equal(got, p2) {
				t.Errorf("part 2 body differs")
			}
			if got, want := str(pg.ChecksumCRC32), checksumOf(alg, p2); got != want {
				t.Errorf("part 2 CRC32 = %q, want %q", got, want)
			}

			attrs, err := c.s3.GetObjectAttributes(ctx(t), &s3.GetObjectAttributesInput{Bucket: aws.String(b), Key: aws.String("composite"),
				ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts, types.ObjectAttributesObjectSize}})
			must(t, err, "GetObjectAttributes")
			if i64(attrs.ObjectSize) != int64(len(whole)) {
				t.Errorf("ObjectSize = %d", i64(attrs.ObjectSize))
			}
			if attrs.Checksum == nil || str(attrs.Checksum.ChecksumCRC32) != want {
				t.Errorf("attributes Checksum = %+v, want CRC32 %s", attrs.Checksum, want)
			}
			op := attrs.ObjectParts
			if op == nil || i32(op.TotalPartsCount) != 2 || len(op.Parts) != 2 {
				t.Fatalf("ObjectParts = %+v, want 2 parts listed", op)
			}
			for i, p := range [][]byte{p1, p2} {
				got := op.Parts[i]
				if i32(got.PartNumber) != int32(i+1) || i64(got.Size) != int64(len(p)) || str(got.ChecksumCRC32) != checksumOf(alg, p) {
					t.Errorf("ObjectParts[%d] = number %d size %d crc %q, want %d %d %q", i, i32(got.PartNumber), i64(got.Size), str(got.ChecksumCRC32), i+1, len(p), checksumOf(alg, p))
				}
			}
		})

		t.Run("full-object CRC64NVME", func(t *testing.T) {
			alg := types.ChecksumAlgorithmCrc64nvme
			cr, err := c.s3.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("full"), ChecksumAlgorithm: alg, ChecksumType: types.ChecksumTypeFullObject})
			must(t, err, "CreateMultipartUpload")
			if cr.ChecksumType != types.ChecksumTypeFullObject {
				t.Errorf("CreateMultipartUpload ChecksumType = %q", cr.ChecksumType)
			}
			var parts []types.CompletedPart
			for i, p := range [][]byte{p1, p2} {
				up, err := c.s3.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("full"), UploadId: cr.UploadId, PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p), ChecksumAlgorithm: alg})
				must(t, err, "UploadPart")
				if got, want := str(up.ChecksumCRC64NVME), checksumOf(alg, p); got != want {
					t.Errorf("UploadPart %d CRC64NVME = %q, want %q", i+1, got, want)
				}
				parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: up.ETag, ChecksumCRC64NVME: up.ChecksumCRC64NVME})
			}
			want := checksumOf(alg, whole)
			_, err = c.s3.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("full"), UploadId: cr.UploadId,
				ChecksumCRC64NVME: aws.String(checksumOf(alg, []byte("wrong"))), ChecksumType: types.ChecksumTypeFullObject,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
			wantAPIError(t, err, http.StatusBadRequest, "BadDigest")

			done, err := c.s3.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("full"), UploadId: cr.UploadId,
				ChecksumCRC64NVME: aws.String(want), ChecksumType: types.ChecksumTypeFullObject,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
			must(t, err, "CompleteMultipartUpload")
			if str(done.ChecksumCRC64NVME) != want || done.ChecksumType != types.ChecksumTypeFullObject {
				t.Errorf("Complete checksum %q type %q, want %q FULL_OBJECT", str(done.ChecksumCRC64NVME), done.ChecksumType, want)
			}
			get, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("full"), ChecksumMode: types.ChecksumModeEnabled})
			must(t, err, "GetObject")
			if got := readAll(t, get.Body); !bytes.Equal(got, whole) {
				t.Errorf("body differs")
			}
			if str(get.ChecksumCRC64NVME) != want || get.ChecksumType != types.ChecksumTypeFullObject {
				t.Errorf("GetObject checksum %q type %q, want %q FULL_OBJECT", str(get.ChecksumCRC64NVME), get.ChecksumType, want)
			}
		})
	})
}
