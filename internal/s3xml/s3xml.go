// Package s3xml holds the XML bodies of the S3 REST API: request documents
// coffer decodes and response documents it encodes. Element names, order
// and namespace follow the AWS S3 API reference. Responses carry the S3
// namespace; requests are accepted with or without it.
//
// Decode reads a request document strictly: bounded size, exactly the
// expected root element, no unknown elements, and the per-document checks
// S3 makes before anything else (for example 1–1000 keys in a Delete).
// Standard library only.
package s3xml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"
	"time"
)

// Namespace is the S3 XML namespace carried by every response document.
const Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// DefaultMaxBytes bounds configuration documents (tagging, versioning,
// CreateBucketConfiguration, …) when the caller has no better limit.
const DefaultMaxBytes = 1 << 20

// TimeFormat is how S3 writes timestamps in XML: ISO 8601, UTC, millis.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Errors returned by Decode. The HTTP layer maps them to S3 codes.
var (
	ErrTooLarge     = errors.New("s3xml: document too large")     // MaxMessageLengthExceeded 400
	ErrMissingBody  = errors.New("s3xml: request body is empty")  // MissingRequestBodyError 400
	ErrMalformedXML = errors.New("s3xml: malformed XML document") // MalformedXML 400
)

// Decode reads one XML document of at most maxBytes from r into v (a
// pointer to a request type of this package). It returns ErrTooLarge if the
// body is longer, ErrMissingBody if it is empty (or only whitespace), and
// an error wrapping ErrMalformedXML if it is not well-formed, has another
// root element, contains elements the type does not define, has content
// after the root element, or fails the type's own checks. Read errors from
// r are returned as they are.
func Decode(r io.Reader, v any, maxBytes int64) error {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	body, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return err
	}
	if int64(len(body)) > maxBytes {
		return ErrTooLarge
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return ErrMissingBody
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedXML, err)
	}
	if err := trailingContent(d); err != nil {
		return err
	}
	if name, ok := findUnknown(reflect.ValueOf(v)); ok {
		return fmt.Errorf("%w: unexpected element <%s>", ErrMalformedXML, name)
	}
	if c, ok := v.(checker); ok {
		if err := c.check(); err != nil {
			return fmt.Errorf("%w: %v", ErrMalformedXML, err)
		}
	}
	return nil
}

// checker is implemented by request types with rules beyond the schema.
type checker interface{ check() error }

// trailingContent rejects anything but whitespace, comments and processing
// instructions after the root element.
func trailingContent(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMalformedXML, err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return fmt.Errorf("%w: text after the root element", ErrMalformedXML)
			}
		case xml.Comment, xml.ProcInst:
		default:
			return fmt.Errorf("%w: content after the root element", ErrMalformedXML)
		}
	}
}

// Unknown collects child elements a request type does not define, so that
// Decode can refuse them. It is never set on responses.
type Unknown struct {
	XMLName xml.Name
}

var unknownType = reflect.TypeFor[[]Unknown]()

// findUnknown walks v for a non-empty []Unknown field.
func findUnknown(v reflect.Value) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", false
		}
		return findUnknown(v.Elem())
	case reflect.Slice:
		if v.Type() == unknownType {
			if v.Len() > 0 {
				return v.Index(0).Interface().(Unknown).XMLName.Local, true
			}
			return "", false
		}
		for i := range v.Len() {
			if name, ok := findUnknown(v.Index(i)); ok {
				return name, true
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			if name, ok := findUnknown(v.Field(i)); ok {
				return name, true
			}
		}
	}
	return "", false
}

// Marshal encodes a response document with the XML declaration S3 sends.
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	if err := xml.NewEncoder(&b).Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Time is a timestamp written in TimeFormat.
type Time struct{ time.Time }

// NewTime wraps t.
func NewTime(t time.Time) Time { return Time{t} }

// FormatTime formats t as S3 does in XML.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// MarshalText implements encoding.TextMarshaler.
func (t Time) MarshalText() ([]byte, error) { return []byte(FormatTime(t.Time)), nil }

// UnmarshalText accepts any RFC 3339 timestamp.
func (t *Time) UnmarshalText(b []byte) error {
	p, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return err
	}
	t.Time = p
	return nil
}

// withNamespace encodes v as the element local in the S3 namespace. Types
// used both as requests (namespace optional) and responses (namespace
// required) call it from MarshalXML.
func withNamespace(e *xml.Encoder, v any, local string) error {
	return e.EncodeElement(v, xml.StartElement{Name: xml.Name{Space: Namespace, Local: local}})
}
