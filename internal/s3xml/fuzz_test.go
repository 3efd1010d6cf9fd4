package s3xml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// fuzzDecode decodes body into a fresh value and checks that every failure
// is one of Decode's documented errors, and that a success re-encodes.
func fuzzDecode[T any](t *testing.T, body string) {
	var v T
	err := Decode(strings.NewReader(body), &v, DefaultMaxBytes)
	if err != nil {
		if !errors.Is(err, ErrMalformedXML) && !errors.Is(err, ErrMissingBody) && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("Decode returned undocumented error %v", err)
		}
		return
	}
	if _, err := Marshal(&v); err != nil {
		t.Fatalf("decoded %+v does not re-encode: %v", v, err)
	}
}

func FuzzDecodeCreateBucketConfiguration(f *testing.F) {
	f.Add(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`)
	f.Fuzz(func(t *testing.T, body string) { fuzzDecode[CreateBucketConfiguration](t, body) })
}

func FuzzDecodeVersioningConfiguration(f *testing.F) {
	f.Add(`<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`)
	f.Fuzz(func(t *testing.T, body string) { fuzzDecode[VersioningConfiguration](t, body) })
}

func FuzzDecodeTagging(f *testing.F) {
	f.Add(`<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>`)
	f.Fuzz(func(t *testing.T, body string) { fuzzDecode[Tagging](t, body) })
}

func FuzzDecodeDelete(f *testing.F) {
	f.Add(`<Delete><Quiet>true</Quiet><Object><Key>a</Key><VersionId>v</VersionId></Object></Delete>`)
	f.Fuzz(func(t *testing.T, body string) { fuzzDecode[Delete](t, body) })
}

func FuzzDecodeCompleteMultipartUpload(f *testing.F) {
	f.Add(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"e"</ETag></Part></CompleteMultipartUpload>`)
	f.Fuzz(func(t *testing.T, body string) { fuzzDecode[CompleteMultipartUpload](t, body) })
}

func FuzzDecodeServerSideEncryptionConfiguration(f *testing.F) {
	f.Add(`<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`)
	f.Fuzz(func(t *testing.T, body string) {
		fuzzDecode[ServerSideEncryptionConfiguration](t, body)
		// What decodes must survive coffer's own encoding unchanged: the
		// GetBucketEncryption response is built from it.
		var v, again ServerSideEncryptionConfiguration
		if Decode(strings.NewReader(body), &v, DefaultMaxBytes) != nil {
			return
		}
		b, err := Marshal(&v)
		if err != nil {
			t.Fatal(err)
		}
		if err := Decode(bytes.NewReader(b), &again, DefaultMaxBytes); err != nil {
			t.Fatalf("re-decoding %s: %v", b, err)
		}
		v.XMLName, again.XMLName = xml.Name{}, xml.Name{}
		if !reflect.DeepEqual(v, again) {
			t.Fatalf("round trip changed %+v into %+v", v, again)
		}
	})
}

func FuzzDecodeRestoreRequest(f *testing.F) {
	f.Add(`<RestoreRequest><Days>2</Days><GlacierJobParameters><Tier>Standard</Tier></GlacierJobParameters></RestoreRequest>`)
	f.Fuzz(func(t *testing.T, body string) { fuzzDecode[RestoreRequest](t, body) })
}

func FuzzDecodeOwnershipControls(f *testing.F) {
	f.Add(`<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>`)
	f.Fuzz(func(t *testing.T, body string) { fuzzDecode[OwnershipControls](t, body) })
}

func FuzzDecodePublicAccessBlockConfiguration(f *testing.F) {
	f.Add(`<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlockConfiguration>`)
	f.Fuzz(func(t *testing.T, body string) { fuzzDecode[PublicAccessBlockConfiguration](t, body) })
}
