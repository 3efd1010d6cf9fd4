package s3api

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/object"
	"github.com/coffer-project/coffer/internal/s3err"
)

// Header prefixes of an SSE-C key: the request's own object, and a copy
// source.
const (
	ssecPrefix     = "x-amz-server-side-encryption-customer-"
	copySSECPrefix = "x-amz-copy-source-server-side-encryption-customer-"
)

// sseInput reads the encryption headers of a write (PutObject,
// CreateMultipartUpload, CopyObject's destination).
func (h *handler) sseInput(q *request) (object.SSEInput, error) {
	hd := q.r.Header
	in := object.SSEInput{
		Algorithm:  hd.Get("x-amz-server-side-encryption"),
		KMSKeyID:   hd.Get("x-amz-server-side-encryption-aws-kms-key-id"),
		KMSContext: hd.Get("x-amz-server-side-encryption-context"),
	}
	switch in.Algorithm {
	case "", meta.SSES3, meta.SSEKMS:
	case "aws:kms:dsse":
		return in, &s3err.Error{Code: s3err.NotImplemented, Message: "Dual-layer server-side encryption (aws:kms:dsse) is not implemented.",
			Extra: []s3err.KV{{Name: "Header", Value: "x-amz-server-side-encryption"}}}
	default:
		return in, invalidArg("The encryption method specified is not supported", "x-amz-server-side-encryption", in.Algorithm)
	}
	if v := hd.Get("x-amz-server-side-encryption-bucket-key-enabled"); v != "" {
		var b bool
		switch strings.ToLower(v) {
		case "true":
			b = true
		case "false":
		default:
			return in, invalidArg("Invalid value for x-amz-server-side-encryption-bucket-key-enabled", "x-amz-server-side-encryption-bucket-key-enabled", v)
		}
		in.BucketKey = &b
	}
	ck, err := h.customerKey(q, ssecPrefix)
	if err != nil {
		return in, err
	}
	in.Customer = ck
	return in, nil
}

// customerKey reads an SSE-C key (headers prefix+algorithm, key, key-MD5),
// nil when none was sent, and checks it as S3 does: AES256, a 256-bit key,
// its MD5, and a secure connection.
func (h *handler) customerKey(q *request, prefix string) (*object.CustomerKey, error) {
	hd := q.r.Header
	algo, key64, md564 := hd.Get(prefix+"algorithm"), hd.Get(prefix+"key"), hd.Get(prefix+"key-MD5")
	if algo == "" && key64 == "" && md564 == "" {
		return nil, nil
	}
	if q.r.TLS == nil && !h.allowSSECOverHTTP {
		return nil, &s3err.Error{Code: s3err.InvalidRequest, Message: "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection."}
	}
	if algo == "" {
		return nil, invalidArg("Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.", prefix+"algorithm", "null")
	}
	if algo != "AES256" {
		return nil, invalidArg("The encryption algorithm specified is not valid. The valid value is AES256.", prefix+"algorithm", algo)
	}
	if key64 == "" {
		return nil, invalidArg("Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.", prefix+"key", "null")
	}
	key, err := base64.StdEncoding.DecodeString(key64)
	if err != nil || len(key) != 32 {
		clear(key)
		// The value is a secret: never echoed.
		return nil, invalidArg("The secret key was invalid for the specified algorithm.", prefix+"key", "")
	}
	if md564 == "" {
		clear(key)
		return nil, invalidArg("Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.", prefix+"key-MD5", "null")
	}
	sum := md5.Sum(key)
	want, err := base64.StdEncoding.DecodeString(md564)
	if err != nil || subtle.ConstantTimeCompare(sum[:], want) != 1 {
		clear(key)
		return nil, invalidArg("The calculated MD5 hash of the key did not match the hash that was provided.", prefix+"key-MD5", "")
	}
	return &object.CustomerKey{Key: key, KeyMD5: md564}, nil
}

// clearCustomerKey wipes a request's SSE-C key once the request is done.
func clearCustomerKey(ck *object.CustomerKey) {
	if ck != nil {
		clear(ck.Key)
	}
}

// sseFields are the encryption response headers an operation has
// besides the mode, key and bucket key, which all have.
type sseFields uint8

const (
	// withContext: x-amz-server-side-encryption-context, which only
	// PutObject, CopyObject and CreateMultipartUpload return.
	withContext sseFields = 1 << iota
	// withCustomer: the SSE-C algorithm and key MD5, which every object
	// operation but CompleteMultipartUpload returns.
	withCustomer
)

// setSSEHeaders writes the encryption response headers of an object or
// upload encrypted as enc; ck is the SSE-C key the request carried.
func setSSEHeaders(hd http.Header, enc meta.Encryption, ck *object.CustomerKey, fields sseFields) {
	switch enc.Mode {
	case meta.SSES3:
		hd.Set("x-amz-server-side-encryption", meta.SSES3)
	case meta.SSEKMS:
		hd.Set("x-amz-server-side-encryption", meta.SSEKMS)
		hd.Set("x-amz-server-side-encryption-aws-kms-key-id", enc.KMSKeyARN)
		if enc.KMSContext != "" && fields&withContext != 0 {
			hd.Set("x-amz-server-side-encryption-context", enc.KMSContext)
		}
		if enc.BucketKey {
			hd.Set("x-amz-server-side-encryption-bucket-key-enabled", "true")
		}
	case meta.SSEC:
		if fields&withCustomer == 0 {
			return
		}
		hd.Set(ssecPrefix+"algorithm", "AES256")
		if ck != nil {
			hd.Set(ssecPrefix+"key-MD5", ck.KeyMD5)
		}
	}
}
