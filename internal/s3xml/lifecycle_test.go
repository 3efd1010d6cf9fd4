package s3xml

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// lifecycleDoc has every element of a lifecycle configuration.
const lifecycleDoc = `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
	`<Rule><ID>all</ID><Filter><And><Prefix>logs/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag>` +
	`<ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>100</ObjectSizeLessThan></And></Filter>` +
	`<Status>Enabled</Status>` +
	`<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>` +
	`<Transition><Days>0</Days><StorageClass>GLACIER</StorageClass></Transition>` +
	`<Expiration><Days>365</Days></Expiration>` +
	`<NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays><StorageClass>GLACIER</StorageClass><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionTransition>` +
	`<NoncurrentVersionExpiration><NoncurrentDays>60</NoncurrentDays><NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration>` +
	`</Rule>` +
	`<Rule><ID>legacy</ID><Prefix></Prefix><Status>Disabled</Status>` +
	`<Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration>` +
	`<AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>` +
	`<Rule><Filter></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>` +
	`</LifecycleConfiguration>`

// TestLifecycleRoundTrip: a document decodes, and coffer's encoding of it
// (the GetBucketLifecycleConfiguration response) is the same document.
func TestLifecycleRoundTrip(t *testing.T) {
	var v LifecycleConfiguration
	if err := Decode(strings.NewReader(lifecycleDoc), &v, DefaultMaxBytes); err != nil {
		t.Fatal(err)
	}
	if len(v.Rules) != 3 {
		t.Fatalf("decoded %d rules, want 3", len(v.Rules))
	}
	r := v.Rules[0]
	if r.Prefix != nil || r.Filter == nil || r.Filter.And == nil || *r.Filter.And.Prefix != "logs/" ||
		*r.Filter.And.ObjectSizeLessThan != 100 || len(r.Transitions) != 2 || *r.Transitions[1].Days != 0 {
		t.Errorf("rule 0 decoded as %+v", r)
	}
	if r := v.Rules[1]; r.Prefix == nil || *r.Prefix != "" || r.Filter != nil || r.Expiration.Date.Year() != 2030 {
		t.Errorf("rule 1 decoded as %+v", r)
	}
	if r := v.Rules[2]; r.Filter == nil || r.Filter.Prefix != nil || !*r.Expiration.ExpiredObjectDeleteMarker {
		t.Errorf("rule 2 decoded as %+v", r)
	}
	b, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var again LifecycleConfiguration
	if err := Decode(bytes.NewReader(b), &again, DefaultMaxBytes); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	if !reflect.DeepEqual(v, again) {
		t.Errorf("round trip changed the document:\n%+v\n%+v", v, again)
	}
	if want := decl + lifecycleDoc; string(b) != want {
		t.Errorf("Marshal =\n%s\nwant\n%s", b, want)
	}
}

func TestDecodeLifecycleRefuses(t *testing.T) {
	tests := []struct{ name, body string }{
		{"unknown rule element", `<LifecycleConfiguration><Rule><Status>Enabled</Status><Bogus/></Rule></LifecycleConfiguration>`},
		{"unknown filter element", `<LifecycleConfiguration><Rule><Filter><Suffix>x</Suffix></Filter></Rule></LifecycleConfiguration>`},
		{"days not a number", `<LifecycleConfiguration><Rule><Expiration><Days>ten</Days></Expiration></Rule></LifecycleConfiguration>`},
		{"date not a timestamp", `<LifecycleConfiguration><Rule><Expiration><Date>2030-01-01</Date></Expiration></Rule></LifecycleConfiguration>`},
		{"another root", `<Lifecycle><Rule/></Lifecycle>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v LifecycleConfiguration
			if err := Decode(strings.NewReader(tt.body), &v, DefaultMaxBytes); !errors.Is(err, ErrMalformedXML) {
				t.Errorf("Decode = %v, want ErrMalformedXML", err)
			}
		})
	}
}

func FuzzDecodeLifecycleConfiguration(f *testing.F) {
	f.Add(lifecycleDoc)
	f.Fuzz(func(t *testing.T, body string) {
		fuzzDecode[LifecycleConfiguration](t, body)
		var v, again LifecycleConfiguration
		if Decode(strings.NewReader(body), &v, DefaultMaxBytes) != nil {
			return
		}
		b, err := Marshal(&v)
		if err != nil {
			t.Fatal(err)
		}
		if err := Decode(bytes.NewReader(b), &again, DefaultMaxBytes); err != nil {
			t.Fatalf("coffer's own encoding does not decode: %v\n%s", err, b)
		}
	})
}
