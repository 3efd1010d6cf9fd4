package kms

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coffer-project/coffer/internal/auth"
)

// signedHeaders are the fields the client signs: all it sends but
// Content-Length and User-Agent, which SigV4 leaves to the signer's choice.
const signedHeaders = "content-type;host;x-amz-date;x-amz-target"

// signer signs the client's requests with SigV4 for the service kms. Every
// request it signs has the same shape (POST to one URL, the fields of
// signedHeaders), so it builds the canonical request directly instead of
// from an http.Request as a general signer must, and keeps the day's
// signing key: deriving it takes four HMAC-SHA256s per request otherwise.
type signer struct {
	accessKeyID string
	secret      string
	region      string
	host        string // the Host field, as signed and sent
	path        string // the canonical URI

	mu     sync.Mutex
	day    string // YYYYMMDD of key
	key    [sha256.Size]byte
	prefix string // "AWS4-HMAC-SHA256 Credential=AK/day/region/kms/aws4_request, SignedHeaders=…, Signature="
}

// newSigner returns a signer for requests to u. Its path must need no
// escaping: SigV4 services other than S3 encode the canonical URI twice,
// S3 once, and a path of unreserved characters is the same either way.
func newSigner(u *url.URL, region, accessKeyID, secret string) (*signer, error) {
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if strings.Contains(path, "%") {
		return nil, fmt.Errorf("kms: client: endpoint path %q must not need percent-encoding", path)
	}
	return &signer{accessKeyID: accessKeyID, secret: secret, region: region, host: hostField(u), path: path}, nil
}

// hostField is the Host field for u: its host without a default port, as
// the AWS SDKs send and sign it.
func hostField(u *url.URL) string {
	host, port := u.Hostname(), u.Port()
	if port == "" || (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		if strings.Contains(host, ":") {
			return "[" + host + "]"
		}
		return host
	}
	return u.Host
}

// sign returns the X-Amz-Date and Authorization fields of a request with
// the X-Amz-Target target whose body hashes (SHA-256, hex) to payloadHash,
// made at now.
func (s *signer) sign(now time.Time, target, payloadHash string) (amzDate, authorization string) {
	amzDate = now.UTC().Format("20060102T150405Z")
	day := amzDate[:8]
	scope := day + "/" + s.region + "/kms/aws4_request"

	canonical := make([]byte, 0, 160+len(s.path)+len(s.host)+len(target)+len(payloadHash))
	canonical = append(canonical, "POST\n"...)
	canonical = append(canonical, s.path...)
	canonical = append(canonical, "\n\ncontent-type:"+jsonContentType+"\nhost:"...)
	canonical = append(canonical, s.host...)
	canonical = append(canonical, "\nx-amz-date:"...)
	canonical = append(canonical, amzDate...)
	canonical = append(canonical, "\nx-amz-target:"...)
	canonical = append(canonical, target...)
	canonical = append(canonical, "\n\n"+signedHeaders+"\n"...)
	canonical = append(canonical, payloadHash...)
	canonicalHash := sha256.Sum256(canonical)

	toSign := make([]byte, 0, 128)
	toSign = append(toSign, "AWS4-HMAC-SHA256\n"...)
	toSign = append(toSign, amzDate...)
	toSign = append(toSign, '\n')
	toSign = append(toSign, scope...)
	toSign = append(toSign, '\n')
	toSign = hex.AppendEncode(toSign, canonicalHash[:])

	key, prefix := s.dayKey(day, scope)
	mac := hmac.New(sha256.New, key[:])
	mac.Write(toSign)
	var sum [sha256.Size]byte
	auth := make([]byte, 0, len(prefix)+2*sha256.Size)
	auth = append(auth, prefix...)
	auth = hex.AppendEncode(auth, mac.Sum(sum[:0]))
	return amzDate, string(auth)
}

// dayKey returns the signing key of day and the Authorization field up to
// the signature, deriving them when the day changes.
func (s *signer) dayKey(day, scope string) ([sha256.Size]byte, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.day != day {
		s.key = auth.SigningKey(s.secret, day, s.region, "kms")
		s.day = day
		s.prefix = "AWS4-HMAC-SHA256 Credential=" + s.accessKeyID + "/" + scope + ", SignedHeaders=" + signedHeaders + ", Signature="
	}
	return s.key, s.prefix
}
