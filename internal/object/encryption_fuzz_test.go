package object

import (
	"encoding/base64"
	"errors"
	"testing"
)

// FuzzKMSContext: the x-amz-server-side-encryption-context header (base64
// JSON from the client) either decodes to a context that carries S3's own
// aws:s3:arn entry, unchanged by the client, or is ErrInvalidArgument.
func FuzzKMSContext(f *testing.F) {
	for _, seed := range []string{
		"",
		base64.StdEncoding.EncodeToString([]byte(`{"project":"x"}`)),
		base64.StdEncoding.EncodeToString([]byte(`{"aws:s3:arn":"arn:aws:s3:::other/k"}`)),
		base64.StdEncoding.EncodeToString([]byte(`{"n":1}`)),
		base64.StdEncoding.EncodeToString([]byte(`[]`)),
		"not base64!",
	} {
		f.Add(seed)
	}
	const arn = "arn:aws:s3:::b/k"
	f.Fuzz(func(t *testing.T, encoded string) {
		ec, err := kmsContext(encoded, arn)
		if err != nil {
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("kmsContext(%q): %v, want ErrInvalidArgument", encoded, err)
			}
			return
		}
		if ec["aws:s3:arn"] != arn {
			t.Fatalf("kmsContext(%q) = %v: aws:s3:arn is not S3's", encoded, ec)
		}
	})
}
