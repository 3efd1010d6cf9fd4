package e2e

import "testing"

// TestSSEBoto3 runs testdata/sse_boto3_e2e.py with the system python3's
// boto3 against a `coffer server --kms --allow-ssec-over-http` backed by a
// `coffer kms` process: SSE-C and SSE-KMS round trips of 20 MiB in four
// parts with upload_file/download_file, ranged reads, the errors of a
// missing or wrong SSE-C key, and copy_object from SSE-C to SSE-KMS and
// back. The script asserts its own results; each check is a subtest.
func TestSSEBoto3(t *testing.T) {
	skipIfShort(t)
	python := need(t, "python3-boto3")
	k := startKMS(t)
	kcli := kmsCLI(t, k)
	var key cliKeyMetadata
	decodeJSON(t, kcli.Run(t, "create-key", "--description", "e2e boto3 sse-kms"), &key)
	kcli.Run(t, "create-alias", "--alias-name", "alias/e2e-boto3", "--target-key-id", key.KeyMetadata.KeyId)
	srv := startServer(t, withKMS(k), withFlags("--allow-ssec-over-http"))

	runBoto3Checks(t, python, "sse_boto3_e2e.py", srv,
		[]string{"--kms-key-id", "alias/e2e-boto3", "--kms-key-arn", key.KeyMetadata.Arn},
		"ssec_multipart", "kms_multipart", "copy_ssec_to_kms")
}
