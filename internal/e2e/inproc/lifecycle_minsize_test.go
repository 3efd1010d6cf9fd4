package inproc

import (
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// lcmPut puts a one-rule lifecycle configuration with the given
// x-amz-transition-default-minimum-object-size ("" sends none) and returns
// the value the response carries.
func (c *client) lcmPut(t testing.TB, bucket string, minimum types.TransitionDefaultMinimumObjectSize) (types.TransitionDefaultMinimumObjectSize, error) {
	out, err := c.s3.PutBucketLifecycleConfiguration(ctx(t), &s3.PutBucketLifecycleConfigurationInput{
		Bucket: aws.String(bucket),
		LifecycleConfiguration: &types.BucketLifecycleConfiguration{Rules: []types.LifecycleRule{{
			ID:          aws.String("archive"),
			Status:      types.ExpirationStatusEnabled,
			Filter:      &types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
			Transitions: []types.Transition{{Days: aws.Int32(0), StorageClass: types.TransitionStorageClassGlacier}},
		}}},
		TransitionDefaultMinimumObjectSize: minimum,
	})
	if err != nil {
		return "", err
	}
	return out.TransitionDefaultMinimumObjectSize, nil
}

// lcmGet returns the x-amz-transition-default-minimum-object-size of
// GetBucketLifecycleConfiguration.
func (c *client) lcmGet(t testing.TB, bucket string) types.TransitionDefaultMinimumObjectSize {
	out, err := c.s3.GetBucketLifecycleConfiguration(ctx(t), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	must(t, err, "GetBucketLifecycleConfiguration")
	if len(out.Rules) != 1 || str(out.Rules[0].ID) != "archive" {
		t.Errorf("GetBucketLifecycleConfiguration rules = %+v, want the one put", out.Rules)
	}
	return out.TransitionDefaultMinimumObjectSize
}

func TestLifecycleTransitionMinimumSize(t *testing.T) {
	t.Parallel()
	const (
		all    = types.TransitionDefaultMinimumObjectSizeAllStorageClasses128k
		varies = types.TransitionDefaultMinimumObjectSizeVariesByStorageClass
	)
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		t.Run("default when not sent", func(t *testing.T) {
			b := c.mkBucket(t, "lcm-default")
			got, err := c.lcmPut(t, b, "")
			must(t, err, "PutBucketLifecycleConfiguration")
			if got != all {
				t.Errorf("PUT answered %q, want %q", got, all)
			}
			if got := c.lcmGet(t, b); got != all {
				t.Errorf("GET answered %q, want %q", got, all)
			}
		})

		t.Run("each value is kept", func(t *testing.T) {
			b := c.mkBucket(t, "lcm-values")
			for _, v := range []types.TransitionDefaultMinimumObjectSize{varies, all, varies} {
				got, err := c.lcmPut(t, b, v)
				must(t, err, "PutBucketLifecycleConfiguration "+string(v))
				if got != v {
					t.Errorf("PUT %q answered %q", v, got)
				}
				if got := c.lcmGet(t, b); got != v {
					t.Errorf("GET after PUT %q answered %q", v, got)
				}
			}
		})

		t.Run("a put without the header restores the default", func(t *testing.T) {
			b := c.mkBucket(t, "lcm-reset")
			_, err := c.lcmPut(t, b, varies)
			must(t, err, "PutBucketLifecycleConfiguration varies_by_storage_class")
			_, err = c.lcmPut(t, b, "")
			must(t, err, "PutBucketLifecycleConfiguration without the header")
			if got := c.lcmGet(t, b); got != all {
				t.Errorf("GET answered %q, want %q", got, all)
			}
		})

		t.Run("an unknown value is refused", func(t *testing.T) {
			b := c.mkBucket(t, "lcm-bad")
			_, err := c.lcmPut(t, b, varies)
			must(t, err, "PutBucketLifecycleConfiguration")
			for _, v := range []types.TransitionDefaultMinimumObjectSize{"all_storage_classes_128k", "256K"} {
				_, err := c.lcmPut(t, b, v)
				wantAPIError(t, err, http.StatusBadRequest, "InvalidRequest")
				var ae smithy.APIError
				if want := "Invalid TransitionDefaultMinimumObjectSize found: " + string(v); errors.As(err, &ae) && ae.ErrorMessage() != want {
					t.Errorf("message = %q, want %q", ae.ErrorMessage(), want)
				}
			}
			// The configuration in place is untouched.
			if got := c.lcmGet(t, b); got != varies {
				t.Errorf("GET after refused puts answered %q, want %q", got, varies)
			}
		})
	})
}
