package s3err

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Codes() {
		t.Run(c.Name, func(t *testing.T) {
			if seen[c.Name] {
				t.Errorf("listed twice")
			}
			seen[c.Name] = true
			if c.Status < 300 || c.Status > 599 || http.StatusText(c.Status) == "" {
				t.Errorf("status %d", c.Status)
			}
			if c.Message == "" {
				t.Errorf("no message")
			}
		})
	}
}

func TestCodeStatuses(t *testing.T) {
	tests := []struct {
		code   Code
		status int
	}{
		{AccessDenied, 403},
		{BucketAlreadyOwnedByYou, 409},
		{ConditionalRequestConflict, 409},
		{InvalidAccessKeyId, 403},
		{InvalidObjectState, 403},
		{InvalidRange, 416},
		{KeyTooLongError, 400},
		{MethodNotAllowed, 405},
		{MissingContentLength, 411},
		{NoSuchKey, 404},
		{NotImplemented, 501},
		{NotModified, 304},
		{PreconditionFailed, 412},
		{RequestTimeTooSkewed, 403},
		{SignatureDoesNotMatch, 403},
		{SlowDown, 503},
		{XAmzContentSHA256Mismatch, 400},
	}
	for _, tt := range tests {
		t.Run(tt.code.Name, func(t *testing.T) {
			if tt.code.Status != tt.status {
				t.Errorf("status = %d, want %d", tt.code.Status, tt.status)
			}
		})
	}
}

func TestErrorValue(t *testing.T) {
	e := New(NoSuchKey, "")
	if got := e.Error(); got != "NoSuchKey: The specified key does not exist." {
		t.Errorf("Error() = %q", got)
	}
	if got := New(InvalidArgument, "Part number must be an integer between 1 and 10000, inclusive").Text(); got != "Part number must be an integer between 1 and 10000, inclusive" {
		t.Errorf("Text() = %q", got)
	}
	wrapped := fmt.Errorf("get: %w", New(NoSuchKey, "other message"))
	if !errors.Is(wrapped, New(NoSuchKey, "")) {
		t.Error("errors.Is does not match the same code")
	}
	if errors.Is(wrapped, New(NoSuchBucket, "")) {
		t.Error("errors.Is matches another code")
	}
	var target *Error
	if !errors.As(wrapped, &target) || target.Code.Name != "NoSuchKey" {
		t.Error("errors.As failed")
	}
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name       string
		err        *Error
		head       bool
		wantStatus int
		wantBody   string
	}{
		{
			name:       "NoSuchKey as in the AWS docs",
			err:        New(NoSuchKey, "").WithResource("/mybucket/myfoto.jpg").With("Key", "myfoto.jpg"),
			wantStatus: 404,
			wantBody: `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
				`<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Resource>/mybucket/myfoto.jpg</Resource><RequestId>4442587FB7D0A2F9</RequestId><Key>myfoto.jpg</Key></Error>`,
		},
		{
			name:       "message override and escaping",
			err:        New(InvalidArgument, `bad <value> & "quote"`).With("ArgumentName", "x-amz-acl").With("ArgumentValue", "a<b"),
			wantStatus: 400,
			wantBody: `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
				`<Error><Code>InvalidArgument</Code><Message>bad &lt;value&gt; &amp; &#34;quote&#34;</Message><RequestId>4442587FB7D0A2F9</RequestId><ArgumentName>x-amz-acl</ArgumentName><ArgumentValue>a&lt;b</ArgumentValue></Error>`,
		},
		{
			name:       "invalid extra element name dropped",
			err:        New(AccessDenied, "").With("bad name", "x").With("", "y").With("1x", "z"),
			wantStatus: 403,
			wantBody: `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
				`<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>`,
		},
		{name: "HEAD has no body", err: New(NoSuchKey, ""), head: true, wantStatus: 404},
		{name: "304 has no body", err: New(NotModified, ""), wantStatus: 304},
		{name: "zero code is 500", err: &Error{}, head: true, wantStatus: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Write(rec, tt.err, "4442587FB7D0A2F9", tt.head)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Body.String(); got != tt.wantBody {
				t.Errorf("body =\n%s\nwant\n%s", got, tt.wantBody)
			}
			if tt.wantBody == "" {
				return
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/xml" {
				t.Errorf("Content-Type = %q", ct)
			}
			var doc struct {
				XMLName   xml.Name `xml:"Error"`
				Code      string
				Message   string
				RequestID string `xml:"RequestId"`
			}
			if err := xml.NewDecoder(strings.NewReader(tt.wantBody)).Decode(&doc); err != nil {
				t.Fatalf("body is not XML: %v", err)
			}
			if doc.Code != tt.err.Code.Name || doc.Message != tt.err.Text() || doc.RequestID != "4442587FB7D0A2F9" {
				t.Errorf("decoded %+v", doc)
			}
		})
	}
}
