package inproc

import (
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestConditionalRead checks If-Match, If-None-Match, If-Modified-Since and
// If-Unmodified-Since on GET and HEAD, alone and combined, with the
// precedence of RFC 9110 §13.2.2 that S3 documents: If-Match true makes
// If-Unmodified-Since irrelevant; If-None-Match false gives 304 whatever
// If-Modified-Since says.
func TestConditionalRead(t *testing.T) {
	t.Parallel()
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		b := c.mkBucket(t, "cond")
		etag := c.put(t, b, "o", []byte("conditional body"))
		h, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("o")})
		must(t, err, "HeadObject")
		lm := *h.LastModified
		before, after := lm.Add(-time.Hour), lm.Add(time.Hour)
		wrong := `"00000000000000000000000000000000"`

		type cond struct {
			ifMatch, ifNoneMatch             string
			ifModifiedSince, ifUnmodifiedSin time.Time
		}
		tests := []struct {
			name   string
			c      cond
			status int // 200, 304 or 412
		}{
			{"if-match current", cond{ifMatch: etag}, 200},
			{"if-match star", cond{ifMatch: "*"}, 200},
			{"if-match list", cond{ifMatch: wrong + ", " + etag}, 200},
			{"if-match wrong", cond{ifMatch: wrong}, 412},
			{"if-none-match current", cond{ifNoneMatch: etag}, 304},
			{"if-none-match star", cond{ifNoneMatch: "*"}, 304},
			{"if-none-match wrong", cond{ifNoneMatch: wrong}, 200},
			{"if-modified-since before", cond{ifModifiedSince: before}, 200},
			{"if-modified-since last-modified", cond{ifModifiedSince: lm}, 304},
			{"if-unmodified-since last-modified", cond{ifUnmodifiedSin: lm}, 200},
			{"if-unmodified-since after", cond{ifUnmodifiedSin: after}, 200},
			{"if-unmodified-since before", cond{ifUnmodifiedSin: before}, 412},
			{"if-match true beats if-unmodified-since false", cond{ifMatch: etag, ifUnmodifiedSin: before}, 200},
			{"if-match false with if-unmodified-since true", cond{ifMatch: wrong, ifUnmodifiedSin: after}, 412},
			{"if-none-match false beats if-modified-since true", cond{ifNoneMatch: etag, ifModifiedSince: before}, 304},
			{"if-match false before if-none-match", cond{ifMatch: wrong, ifNoneMatch: etag}, 412},
			{"if-match true then if-none-match false", cond{ifMatch: etag, ifNoneMatch: etag}, 304},
			{"if-unmodified-since false before if-none-match", cond{ifUnmodifiedSin: before, ifNoneMatch: etag}, 412},
			{"if-match true and if-modified-since false", cond{ifMatch: etag, ifModifiedSince: lm}, 304},
		}
		opt := func(s string) *string {
			if s == "" {
				return nil
			}
			return aws.String(s)
		}
		optT := func(tm time.Time) *time.Time {
			if tm.IsZero() {
				return nil
			}
			return aws.Time(tm)
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				get, err := c.s3.GetObject(ctx(t), &s3.GetObjectInput{
					Bucket: aws.String(b), Key: aws.String("o"),
					IfMatch: opt(tt.c.ifMatch), IfNoneMatch: opt(tt.c.ifNoneMatch),
					IfModifiedSince: optT(tt.c.ifModifiedSince), IfUnmodifiedSince: optT(tt.c.ifUnmodifiedSin),
				})
				switch tt.status {
				case 200:
					if err != nil {
						t.Errorf("GetObject: %v, want 200", err)
					} else if got := readAll(t, get.Body); string(got) != "conditional body" {
						t.Errorf("GetObject body %q", got)
					}
				case 304:
					wantAPIError(t, err, http.StatusNotModified, "")
					if got := errHeader(err, "ETag"); err != nil && got != etag {
						t.Errorf("304 ETag header = %q, want %s", got, etag)
					}
				case 412:
					wantAPIError(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
				}

				_, err = c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{
					Bucket: aws.String(b), Key: aws.String("o"),
					IfMatch: opt(tt.c.ifMatch), IfNoneMatch: opt(tt.c.ifNoneMatch),
					IfModifiedSince: optT(tt.c.ifModifiedSince), IfUnmodifiedSince: optT(tt.c.ifUnmodifiedSin),
				})
				if tt.status == 200 {
					if err != nil {
						t.Errorf("HeadObject: %v, want 200", err)
					}
				} else {
					wantAPIError(t, err, tt.status, "")
				}
			})
		}
	})
}
