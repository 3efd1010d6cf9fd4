// Package e2e holds coffer's end-to-end tests against real processes: they
// build cmd/coffer, start `coffer server` on loopback with a temporary data
// dir, and drive it with the real clients users run — the AWS CLI, boto3,
// rclone and s3cmd — plus a crash test that SIGKILLs a server mid-write.
//
// A test whose client is not installed is skipped, unless
// COFFER_E2E_REQUIRE_CLIENTS=1 (set by `make test` when CI=true), which
// turns the skip into a failure. `go test -short` skips every test here.
// COFFER_E2E_RACE=1 builds the server binary with the race detector.
// COFFER_E2E_AWS and COFFER_E2E_PYTHON name another aws or python3 (with
// boto3) to test instead of the Debian packages' /usr/bin ones.
//
// In-process tests that drive the HTTP handler directly with aws-sdk-go-v2
// live in the inproc subpackage.
package e2e
