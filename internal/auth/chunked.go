package auth

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// aws-chunked limits. A chunk header is "hex-size;chunk-signature=<64 hex>"
// (about 90 bytes); trailer lines are a checksum name and a base64 value.
const (
	// maxChunkLine bounds every line read from an aws-chunked body; it is
	// also the size of the line buffer.
	maxChunkLine = 4096
	// maxChunkSize bounds one chunk. SDKs send 8 KiB–1 MiB chunks; chunk
	// data streams through, so this is a sanity bound, not a memory one.
	maxChunkSize = 64 << 20
	// maxTrailerLines bounds the trailer section (including the signature).
	maxTrailerLines = maxTrailers + 1
)

// String-to-sign algorithms of the streaming signature chain.
const (
	algorithmChunk   = "AWS4-HMAC-SHA256-PAYLOAD"
	algorithmTrailer = "AWS4-HMAC-SHA256-TRAILER"
	trailerSigName   = "x-amz-trailer-signature"
)

// chunkSigner continues a request's signature chain over its aws-chunked
// body: each chunk is signed over the previous signature (the request
// signature for the first chunk), and the trailer over the last one.
type chunkSigner struct {
	key     []byte
	amzDate string
	scope   credentialScope
	prev    string // lower-case hex of the previous signature in the chain
}

// verifyChunk checks the claimed signature of a chunk whose data has the
// given SHA-256, and advances the chain.
func (s *chunkSigner) verifyChunk(dataSHA256, claimed []byte) bool {
	want := hmacSHA256(s.key, stringToSign(algorithmChunk, s.amzDate, s.scope, s.prev, emptySHA256Hex, hex.EncodeToString(dataSHA256)))
	if !hmac.Equal(want, claimed) {
		return false
	}
	s.prev = hex.EncodeToString(claimed)
	return true
}

// verifyTrailer checks the trailer signature over the canonical trailer
// ("name:value\n" per header).
func (s *chunkSigner) verifyTrailer(canonical string, claimed []byte) bool {
	want := hmacSHA256(s.key, stringToSign(algorithmTrailer, s.amzDate, s.scope, s.prev, sha256Hex(canonical)))
	return hmac.Equal(want, claimed)
}

// chunkedConfig describes the aws-chunked body a request announced.
type chunkedConfig struct {
	decodedLength int64        // x-amz-decoded-content-length
	signer        *chunkSigner // nil: chunks carry no signatures
	trailers      bool         // a trailer section may follow the last chunk
	announced     []string     // x-amz-trailer, canonical names
}

// chunkedReader decodes an aws-chunked body as a stream:
//
//	hex-size[;chunk-signature=SIG]\r\n DATA \r\n … 0[;chunk-signature=SIG]\r\n [trailer lines\r\n] \r\n
//
// Memory is bounded by one line buffer; chunk data is never buffered.
//
// Signed chunks: the data of a chunk is passed to the caller as it arrives
// and hashed on the way; its signature is checked when the chunk ends, and a
// mismatch fails that Read. So the caller may have seen bytes of a chunk
// that turns out to be forged, exactly as with a hex x-amz-content-sha256
// (and as AWS itself streams). That is safe because the object layer
// commits only after Body returned io.EOF, which happens only once every
// chunk, the length and the trailer have verified. Holding each chunk back
// until verified would cost up to maxChunkSize of memory per request.
type chunkedReader struct {
	cfg     chunkedConfig
	src     *bufio.Reader
	body    io.Closer
	inChunk bool   // between a chunk header and its closing CRLF
	left    int64  // data bytes left in the current chunk
	claimed []byte // claimed signature of the current chunk
	hash    hash.Hash
	total   int64
	trailer http.Header
	err     error // sticky; io.EOF once the whole body verified
}

func newChunkedReader(body io.ReadCloser, cfg chunkedConfig) *chunkedReader {
	c := &chunkedReader{cfg: cfg, src: bufio.NewReaderSize(body, maxChunkLine), body: body}
	if cfg.signer != nil {
		c.hash = sha256.New()
	}
	return c
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	for c.err == nil && c.left == 0 {
		c.err = c.advance()
	}
	if c.err != nil {
		return 0, c.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.src.Read(p)
	if c.hash != nil {
		c.hash.Write(p[:n])
	}
	c.left -= int64(n)
	c.total += int64(n)
	switch {
	case err == io.EOF && n == 0:
		c.err = truncated("chunk data")
		return 0, c.err
	case err != nil && err != io.EOF:
		c.err = err
	}
	return n, nil
}

// Close closes the underlying body.
func (c *chunkedReader) Close() error { return c.body.Close() }

// Trailer returns the trailing headers once the body has been read to
// io.EOF, else nil.
func (c *chunkedReader) Trailer() http.Header {
	if c.err != io.EOF {
		return nil
	}
	return c.trailer.Clone()
}

// advance is called when the current chunk's data is exhausted: it closes
// the chunk (CRLF, signature) and reads the next chunk header, or the end
// of the body. It returns io.EOF when the whole body verified.
func (c *chunkedReader) advance() error {
	if c.inChunk {
		if err := c.expectCRLF(); err != nil {
			return err
		}
		if err := c.verifyChunk(); err != nil {
			return err
		}
		c.inChunk = false
	}
	line, err := c.readLine()
	if err != nil {
		return err
	}
	size, claimed, err := parseChunkHeader(line, c.cfg.signer != nil)
	if err != nil {
		return err
	}
	c.claimed = claimed
	if c.hash != nil {
		c.hash.Reset()
	}
	if size == 0 {
		if err := c.verifyChunk(); err != nil {
			return err
		}
		return c.finish()
	}
	if size > maxChunkSize {
		return fmt.Errorf("%w: chunk of %d bytes exceeds %d", ErrMalformedChunk, size, maxChunkSize)
	}
	if size > c.cfg.decodedLength-c.total {
		return fmt.Errorf("%w: chunks exceed x-amz-decoded-content-length %d", ErrMalformedChunk, c.cfg.decodedLength)
	}
	c.left, c.inChunk = size, true
	return nil
}

func (c *chunkedReader) verifyChunk() error {
	if c.cfg.signer == nil {
		return nil
	}
	if !c.cfg.signer.verifyChunk(c.hash.Sum(nil), c.claimed) {
		return fmt.Errorf("%w: chunk signature at byte %d", ErrSignatureDoesNotMatch, c.total)
	}
	return nil
}

// finish reads what follows the final chunk: trailer lines and the empty
// line that ends the body. Nothing may follow.
func (c *chunkedReader) finish() error {
	if c.total != c.cfg.decodedLength {
		return fmt.Errorf("%w: got %d bytes, x-amz-decoded-content-length is %d", ErrMalformedChunk, c.total, c.cfg.decodedLength)
	}
	var trailerSig []byte
	trailer := make(http.Header)
	for lines := 0; ; lines++ {
		line, err := c.readLine()
		if err != nil {
			return err
		}
		if len(line) == 0 {
			break
		}
		if lines == maxTrailerLines {
			return fmt.Errorf("%w: too many trailer lines", ErrMalformedTrailer)
		}
		name, value, err := parseTrailerLine(line)
		if err != nil {
			return err
		}
		switch {
		case !c.cfg.trailers:
			return fmt.Errorf("%w: trailer in a payload mode without trailers", ErrMalformedTrailer)
		case name == trailerSigName:
			if c.cfg.signer == nil || trailerSig != nil {
				return fmt.Errorf("%w: unexpected %s", ErrMalformedTrailer, trailerSigName)
			}
			if trailerSig, err = parseSignature(value, ErrMalformedTrailer); err != nil {
				return err
			}
		default:
			key := http.CanonicalHeaderKey(name)
			if !slices.Contains(c.cfg.announced, key) {
				return fmt.Errorf("%w: %s not announced in x-amz-trailer", ErrMalformedTrailer, name)
			}
			if trailer[key] != nil {
				return fmt.Errorf("%w: repeated %s", ErrMalformedTrailer, name)
			}
			trailer[key] = []string{value}
		}
	}
	for _, key := range c.cfg.announced {
		if trailer[key] == nil {
			return fmt.Errorf("%w: announced trailer %s missing", ErrMalformedTrailer, key)
		}
	}
	if c.cfg.signer != nil && c.cfg.trailers {
		if trailerSig == nil {
			return fmt.Errorf("%w: missing %s", ErrMalformedTrailer, trailerSigName)
		}
		if !c.cfg.signer.verifyTrailer(canonicalTrailer(trailer), trailerSig) {
			return fmt.Errorf("%w: trailer signature", ErrSignatureDoesNotMatch)
		}
	}
	if _, err := c.src.ReadByte(); err == nil {
		return fmt.Errorf("%w: data after the final chunk", ErrMalformedChunk)
	} else if err != io.EOF {
		return err
	}
	c.trailer = trailer
	return io.EOF
}

// canonicalTrailer is the signed form of the trailer: "name:value\n" per
// header, lower-case names in sorted order.
func canonicalTrailer(h http.Header) string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(strings.ToLower(k))
		b.WriteByte(':')
		b.WriteString(h[k][0])
		b.WriteByte('\n')
	}
	return b.String()
}

// readLine reads one CRLF-terminated line of at most maxChunkLine bytes and
// returns it without the CRLF. The slice is valid until the next read.
func (c *chunkedReader) readLine() ([]byte, error) {
	line, err := c.src.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, fmt.Errorf("%w: line longer than %d bytes", ErrMalformedChunk, maxChunkLine)
	case err == io.EOF:
		return nil, truncated("chunk header")
	case err != nil:
		return nil, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("%w: line not terminated by CRLF", ErrMalformedChunk)
	}
	return line[:len(line)-2], nil
}

func (c *chunkedReader) expectCRLF() error {
	for _, want := range []byte("\r\n") {
		b, err := c.src.ReadByte()
		if err == io.EOF {
			return truncated("chunk end")
		}
		if err != nil {
			return err
		}
		if b != want {
			return fmt.Errorf("%w: chunk data not followed by CRLF", ErrMalformedChunk)
		}
	}
	return nil
}

// truncated is the error for a body that ends early: it wraps both
// ErrMalformedChunk and io.ErrUnexpectedEOF, never io.EOF.
func truncated(where string) error {
	return fmt.Errorf("%w: body ends inside %s: %w", ErrMalformedChunk, where, io.ErrUnexpectedEOF)
}

// parseChunkHeader parses "hex-size" (unsigned modes, extensions ignored) or
// "hex-size;chunk-signature=SIG" (signed modes).
func parseChunkHeader(line []byte, signed bool) (size int64, sig []byte, err error) {
	sizeHex, ext, hasExt := bytes.Cut(line, []byte{';'})
	if len(sizeHex) == 0 || len(sizeHex) > 16 {
		return 0, nil, fmt.Errorf("%w: invalid chunk size", ErrMalformedChunk)
	}
	for _, b := range sizeHex {
		if !(b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F') {
			return 0, nil, fmt.Errorf("%w: invalid chunk size", ErrMalformedChunk)
		}
	}
	size, err = strconv.ParseInt(string(sizeHex), 16, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: invalid chunk size", ErrMalformedChunk)
	}
	if !signed {
		return size, nil, nil
	}
	const prefix = "chunk-signature="
	if !hasExt || !bytes.HasPrefix(ext, []byte(prefix)) {
		return 0, nil, fmt.Errorf("%w: chunk without chunk-signature", ErrMalformedChunk)
	}
	sig, err = parseSignature(string(ext[len(prefix):]), ErrMalformedChunk)
	if err != nil {
		return 0, nil, err
	}
	return size, sig, nil
}

// parseTrailerLine parses "name:value" into a lower-case name and a trimmed
// value of visible ASCII.
func parseTrailerLine(line []byte) (name, value string, err error) {
	n, v, ok := bytes.Cut(line, []byte{':'})
	name = strings.ToLower(strings.TrimSpace(string(n)))
	if !ok || !isLowerToken(name) {
		return "", "", fmt.Errorf("%w: invalid trailer line", ErrMalformedTrailer)
	}
	value = strings.TrimSpace(string(v))
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < ' ' && c != '\t' || c == 0x7f {
			return "", "", fmt.Errorf("%w: control character in trailer %s", ErrMalformedTrailer, name)
		}
	}
	return name, value, nil
}

// hashingReader verifies a hex x-amz-content-sha256 as the body streams.
type hashingReader struct {
	body io.ReadCloser
	hash hash.Hash
	want []byte
	err  error
}

func newHashingReader(body io.ReadCloser, want []byte) *hashingReader {
	return &hashingReader{body: body, hash: sha256.New(), want: want}
}

func (h *hashingReader) Read(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	n, err := h.body.Read(p)
	h.hash.Write(p[:n])
	if err == io.EOF && !bytes.Equal(h.hash.Sum(nil), h.want) {
		err = fmt.Errorf("%w: body does not match x-amz-content-sha256", ErrContentSHA256Mismatch)
	}
	if err != nil {
		h.err = err
	}
	return n, err
}

func (h *hashingReader) Close() error { return h.body.Close() }
