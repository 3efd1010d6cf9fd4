package e2e

import (
	"encoding/json"
	"testing"
)

// TestBucketLifecycleAWSCLI: put-bucket-lifecycle-configuration stores a
// configuration that get-bucket-lifecycle-configuration returns; a
// STANDARD_IA transition after 1 day is InvalidArgument, as on S3;
// delete-bucket-lifecycle removes it (NoSuchLifecycleConfiguration after).
func TestBucketLifecycleAWSCLI(t *testing.T) {
	skipIfShort(t)
	srv := startServer(t)
	cli := awsCLI(t, srv)

	cli.Run(t, "s3", "mb", "s3://lifecycle-cli")
	valid := `{"Rules":[{"ID":"logs","Status":"Enabled","Filter":{"Prefix":"logs/"},` +
		`"Transitions":[{"Days":30,"StorageClass":"STANDARD_IA"},{"Days":90,"StorageClass":"GLACIER"}],` +
		`"Expiration":{"Days":365},"AbortIncompleteMultipartUpload":{"DaysAfterInitiation":7}}]}`
	cli.Run(t, "s3api", "put-bucket-lifecycle-configuration", "--bucket", "lifecycle-cli", "--lifecycle-configuration", valid)

	var got struct {
		Rules []struct {
			ID          string
			Status      string
			Filter      struct{ Prefix string }
			Transitions []struct {
				Days         int
				StorageClass string
			}
			Expiration struct{ Days int }
		}
	}
	if err := json.Unmarshal([]byte(cli.Run(t, "s3api", "get-bucket-lifecycle-configuration", "--bucket", "lifecycle-cli")), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Rules) != 1 || got.Rules[0].ID != "logs" || got.Rules[0].Filter.Prefix != "logs/" ||
		len(got.Rules[0].Transitions) != 2 || got.Rules[0].Transitions[1].StorageClass != "GLACIER" || got.Rules[0].Expiration.Days != 365 {
		t.Errorf("get-bucket-lifecycle-configuration = %+v", got)
	}

	tooSoon := `{"Rules":[{"ID":"ia","Status":"Enabled","Filter":{},"Transitions":[{"Days":1,"StorageClass":"STANDARD_IA"}]}]}`
	wantCLIError(t, cli, "InvalidArgument", "s3api", "put-bucket-lifecycle-configuration", "--bucket", "lifecycle-cli", "--lifecycle-configuration", tooSoon)

	cli.Run(t, "s3api", "delete-bucket-lifecycle", "--bucket", "lifecycle-cli")
	wantCLIError(t, cli, "NoSuchLifecycleConfiguration", "s3api", "get-bucket-lifecycle-configuration", "--bucket", "lifecycle-cli")
}
