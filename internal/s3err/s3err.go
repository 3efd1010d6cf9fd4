// Package s3err is the S3 wire error vocabulary: error codes with their
// HTTP status and standard message, an error value carrying one, and the
// writer of the <Error> XML document. It knows no other coffer package;
// mapping domain errors to codes is the HTTP layer's job.
package s3err

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strconv"
)

// KV is an extra element of an error document, such as <BucketName>,
// <Key>, <ArgumentName> or <ArgumentValue>.
type KV struct {
	Name  string
	Value string
}

// Error is an S3 error response.
type Error struct {
	Code     Code
	Message  string // overrides Code.Message if set
	Resource string // the bucket or object the error concerns, e.g. "/bucket/key"
	Extra    []KV   // further elements, written after RequestId in order
}

var _ error = (*Error)(nil)

// New returns an error with code and, if msg is not empty, msg in place of
// the code's standard message.
func New(code Code, msg string) *Error {
	return &Error{Code: code, Message: msg}
}

// WithResource sets e.Resource and returns e.
func (e *Error) WithResource(resource string) *Error {
	e.Resource = resource
	return e
}

// With appends an extra element and returns e.
func (e *Error) With(name, value string) *Error {
	e.Extra = append(e.Extra, KV{Name: name, Value: value})
	return e
}

// Text is the message sent on the wire.
func (e *Error) Text() string {
	if e.Message != "" {
		return e.Message
	}
	return e.Code.Message
}

func (e *Error) Error() string { return e.Code.Name + ": " + e.Text() }

// Is reports whether target is an *Error with the same code name, so that
// errors.Is(err, s3err.New(s3err.NoSuchKey, "")) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code.Name == e.Code.Name
}

// Write sends e as an S3 error response with e.Code.Status. The body is the
// AWS error document,
//
//	<?xml version="1.0" encoding="UTF-8"?>
//	<Error><Code/><Message/><Resource/><RequestId/>…extra…</Error>
//
// with Content-Type application/xml. HEAD responses and 304 Not Modified
// carry no body (HTTP forbids one), only the status.
func Write(w http.ResponseWriter, e *Error, requestID string, head bool) {
	status := e.Code.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if head || status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	body := Marshal(e, requestID)
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// Marshal returns the XML error document for e.
func Marshal(e *Error, requestID string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<Error>")
	element(&b, "Code", e.Code.Name)
	element(&b, "Message", e.Text())
	if e.Resource != "" {
		element(&b, "Resource", e.Resource)
	}
	element(&b, "RequestId", requestID)
	for _, kv := range e.Extra {
		if validName(kv.Name) {
			element(&b, kv.Name, kv.Value)
		}
	}
	b.WriteString("</Error>")
	return b.Bytes()
}

func element(b *bytes.Buffer, name, value string) {
	b.WriteString("<" + name + ">")
	xml.EscapeText(b, []byte(value))
	b.WriteString("</" + name + ">")
}

// validName accepts the ASCII element names S3 uses; anything else is
// dropped rather than allowed to break the document.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
