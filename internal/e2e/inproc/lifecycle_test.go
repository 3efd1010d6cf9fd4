package inproc

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

func (c *client) putBucketLifecycle(t testing.TB, bucket string, rules ...types.LifecycleRule) error {
	_, err := c.s3.PutBucketLifecycleConfiguration(ctx(t), &s3.PutBucketLifecycleConfigurationInput{
		Bucket:                 aws.String(bucket),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: rules},
	})
	return err
}

func TestBucketLifecycle(t *testing.T) {
	t.Parallel()
	midnight := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	full := []types.LifecycleRule{
		{
			ID:     aws.String("archive-logs"),
			Status: types.ExpirationStatusEnabled,
			Filter: &types.LifecycleRuleFilter{And: &types.LifecycleRuleAndOperator{
				Prefix:                aws.String("logs/"),
				Tags:                  []types.Tag{{Key: aws.String("class"), Value: aws.String("log")}},
				ObjectSizeGreaterThan: aws.Int64(1024),
			}},
			Transitions: []types.Transition{
				{Days: aws.Int32(30), StorageClass: types.TransitionStorageClassStandardIa},
				{Days: aws.Int32(90), StorageClass: types.TransitionStorageClassGlacier},
			},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(365)},
			NoncurrentVersionTransitions: []types.NoncurrentVersionTransition{
				{NoncurrentDays: aws.Int32(30), StorageClass: types.TransitionStorageClassGlacierIr, NewerNoncurrentVersions: aws.Int32(2)},
			},
			NoncurrentVersionExpiration: &types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(60)},
		},
		{
			ID:                             aws.String("tmp"),
			Status:                         types.ExpirationStatusDisabled,
			Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String("tmp/")},
			Expiration:                     &types.LifecycleExpiration{Date: aws.Time(midnight)},
			AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(7)},
		},
		{
			Status:     types.ExpirationStatusEnabled,
			Filter:     &types.LifecycleRuleFilter{},
			Expiration: &types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)},
		},
	}

	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		t.Run("none set", func(t *testing.T) {
			b := c.mkBucket(t, "lc-none")
			_, err := c.s3.GetBucketLifecycleConfiguration(ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(b)})
			wantAPIError(t, err, http.StatusNotFound, "NoSuchLifecycleConfiguration")
		})

		t.Run("put, get, delete", func(t *testing.T) {
			b := c.mkBucket(t, "lc-rt")
			must(t, c.putBucketLifecycle(t, b, full...), "PutBucketLifecycleConfiguration")
			out, err := c.s3.GetBucketLifecycleConfiguration(ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(b)})
			must(t, err, "GetBucketLifecycleConfiguration")
			if len(out.Rules) != 3 {
				t.Fatalf("GetBucketLifecycleConfiguration: %d rules, want 3", len(out.Rules))
			}
			r := out.Rules[0]
			if str(r.ID) != "archive-logs" || r.Status != types.ExpirationStatusEnabled || r.Filter == nil || r.Filter.And == nil ||
				str(r.Filter.And.Prefix) != "logs/" || len(r.Filter.And.Tags) != 1 || i64(r.Filter.And.ObjectSizeGreaterThan) != 1024 ||
				len(r.Transitions) != 2 || i32(r.Transitions[1].Days) != 90 || r.Transitions[1].StorageClass != types.TransitionStorageClassGlacier ||
				i32(r.Expiration.Days) != 365 || len(r.NoncurrentVersionTransitions) != 1 ||
				i32(r.NoncurrentVersionTransitions[0].NewerNoncurrentVersions) != 2 || i32(r.NoncurrentVersionExpiration.NoncurrentDays) != 60 {
				t.Errorf("rule 0 = %+v", r)
			}
			r = out.Rules[1]
			if str(r.ID) != "tmp" || r.Status != types.ExpirationStatusDisabled || str(r.Filter.Prefix) != "tmp/" ||
				r.Expiration == nil || r.Expiration.Date == nil || !r.Expiration.Date.Equal(midnight) ||
				i32(r.AbortIncompleteMultipartUpload.DaysAfterInitiation) != 7 {
				t.Errorf("rule 1 = %+v", r)
			}
			r = out.Rules[2]
			if len(str(r.ID)) != 48 || !boolv(r.Expiration.ExpiredObjectDeleteMarker) {
				t.Errorf("rule 2 = %+v, want a generated 48-character ID", r)
			}

			// A second put replaces the configuration.
			must(t, c.putBucketLifecycle(t, b, full[1]), "PutBucketLifecycleConfiguration again")
			out, err = c.s3.GetBucketLifecycleConfiguration(ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(b)})
			must(t, err, "GetBucketLifecycleConfiguration")
			if len(out.Rules) != 1 || str(out.Rules[0].ID) != "tmp" {
				t.Errorf("after replacing: %+v", out.Rules)
			}

			_, err = c.s3.DeleteBucketLifecycle(ctx(t), &s3.DeleteBucketLifecycleInput{Bucket: aws.String(b)})
			must(t, err, "DeleteBucketLifecycle")
			_, err = c.s3.GetBucketLifecycleConfiguration(ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(b)})
			wantAPIError(t, err, http.StatusNotFound, "NoSuchLifecycleConfiguration")
			// Deleting none succeeds.
			_, err = c.s3.DeleteBucketLifecycle(ctx(t), &s3.DeleteBucketLifecycleInput{Bucket: aws.String(b)})
			must(t, err, "DeleteBucketLifecycle of none")
		})

		t.Run("no such bucket", func(t *testing.T) {
			err := c.putBucketLifecycle(t, uniqueBucket(t, "lc-missing"), full[1])
			wantAPIError(t, err, http.StatusNotFound, "NoSuchBucket")
		})

		t.Run("invalid configurations refused", func(t *testing.T) {
			b := c.mkBucket(t, "lc-bad")
			all := &types.LifecycleRuleFilter{}
			tests := []struct {
				name    string
				rule    types.LifecycleRule
				code    string
				message string
			}{
				{"STANDARD_IA at 1 day", types.LifecycleRule{Status: types.ExpirationStatusEnabled, Filter: all,
					Transitions: []types.Transition{{Days: aws.Int32(1), StorageClass: types.TransitionStorageClassStandardIa}}},
					"InvalidArgument", "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'"},
				{"expiration at day 0", types.LifecycleRule{Status: types.ExpirationStatusEnabled, Filter: all,
					Expiration: &types.LifecycleExpiration{Days: aws.Int32(0)}},
					"InvalidArgument", "'Days' for Expiration action must be a positive integer"},
				{"date not at midnight", types.LifecycleRule{Status: types.ExpirationStatusEnabled, Filter: all,
					Expiration: &types.LifecycleExpiration{Date: aws.Time(midnight.Add(time.Hour))}},
					"InvalidArgument", "'Date' must be at midnight GMT"},
				{"abort with a tag filter", types.LifecycleRule{Status: types.ExpirationStatusEnabled,
					Filter:                         &types.LifecycleRuleFilter{Tag: &types.Tag{Key: aws.String("k"), Value: aws.String("v")}},
					AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(1)}},
					"InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Tags."},
				{"no action", types.LifecycleRule{Status: types.ExpirationStatusEnabled, Filter: all},
					"InvalidRequest", "At least one action needs to be specified in a rule"},
				{"delete marker with days", types.LifecycleRule{Status: types.ExpirationStatusEnabled, Filter: all,
					Expiration: &types.LifecycleExpiration{Days: aws.Int32(1), ExpiredObjectDeleteMarker: aws.Bool(true)}},
					"MalformedXML", ""},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					err := c.putBucketLifecycle(t, b, tt.rule)
					wantAPIError(t, err, http.StatusBadRequest, tt.code)
					var ae smithy.APIError
					if tt.message != "" && errors.As(err, &ae) && ae.ErrorMessage() != tt.message {
						t.Errorf("message = %q, want %q", ae.ErrorMessage(), tt.message)
					}
				})
			}
			_, err := c.s3.GetBucketLifecycleConfiguration(ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(b)})
			wantAPIError(t, err, http.StatusNotFound, "NoSuchLifecycleConfiguration")
		})

		t.Run("integrity header required", func(t *testing.T) {
			b := c.mkBucket(t, "lc-md5")
			body := []byte(`<LifecycleConfiguration><Rule><Filter></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`)
			req := newRequest(t, http.MethodPut, c.url(b, "", "lifecycle="), body)
			c.signBody(t, req, body)
			resp, rb := c.do(t, req)
			wantRawError(t, resp, rb, http.StatusBadRequest, "InvalidRequest")

			req = newRequest(t, http.MethodPut, c.url(b, "", "lifecycle="), body)
			req.Header.Set("Content-MD5", md5B64(body))
			c.signBody(t, req, body)
			resp, rb = c.do(t, req)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("PutBucketLifecycleConfiguration with Content-MD5: %d %s", resp.StatusCode, rb)
			}
			req = newRequest(t, http.MethodGet, c.url(b, "", "lifecycle="), nil)
			c.signBody(t, req, nil)
			resp, rb = c.do(t, req)
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(rb), `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`) ||
				!strings.Contains(string(rb), `<Filter></Filter>`) {
				t.Errorf("GetBucketLifecycleConfiguration: %d %s", resp.StatusCode, rb)
			}
		})
	})
}
