package s3xml

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// tieringDoc has every element of an Intelligent-Tiering configuration, in
// S3's order.
const tieringDoc = `<IntelligentTieringConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
	`<Id>archive-logs</Id>` +
	`<Filter><And><Prefix>logs/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag><Tag><Key>k2</Key><Value></Value></Tag></And></Filter>` +
	`<Status>Enabled</Status>` +
	`<Tiering><AccessTier>ARCHIVE_ACCESS</AccessTier><Days>90</Days></Tiering>` +
	`<Tiering><AccessTier>DEEP_ARCHIVE_ACCESS</AccessTier><Days>180</Days></Tiering>` +
	`</IntelligentTieringConfiguration>`

// TestIntelligentTieringRoundTrip: a document decodes, and coffer's
// encoding of it (the GetBucketIntelligentTieringConfiguration response)
// is the same document.
func TestIntelligentTieringRoundTrip(t *testing.T) {
	var v IntelligentTieringConfiguration
	if err := Decode(strings.NewReader(tieringDoc), &v, DefaultMaxBytes); err != nil {
		t.Fatal(err)
	}
	if v.ID != "archive-logs" || v.Status != "Enabled" || v.Filter == nil || v.Filter.And == nil ||
		*v.Filter.And.Prefix != "logs/" || len(v.Filter.And.Tags) != 2 || len(v.Tierings) != 2 ||
		v.Tierings[1].AccessTier != "DEEP_ARCHIVE_ACCESS" || *v.Tierings[1].Days != 180 {
		t.Fatalf("decoded as %+v", v)
	}
	b, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if want := decl + tieringDoc; string(b) != want {
		t.Errorf("encoded as\n%s\nwant\n%s", b, want)
	}
	var again IntelligentTieringConfiguration
	if err := Decode(bytes.NewReader(b), &again, DefaultMaxBytes); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	if !reflect.DeepEqual(v, again) {
		t.Errorf("round trip changed the document:\n%+v\n%+v", v, again)
	}
}

func TestIntelligentTieringDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want error
	}{
		{"empty", "", ErrMissingBody},
		{"other root", `<LifecycleConfiguration></LifecycleConfiguration>`, ErrMalformedXML},
		{"unknown element", `<IntelligentTieringConfiguration><Id>a</Id><Status>Enabled</Status><Colour>red</Colour></IntelligentTieringConfiguration>`, ErrMalformedXML},
		{"unknown filter element", `<IntelligentTieringConfiguration><Filter><Size>1</Size></Filter></IntelligentTieringConfiguration>`, ErrMalformedXML},
		{"tiering without days", `<IntelligentTieringConfiguration><Tiering><AccessTier>ARCHIVE_ACCESS</AccessTier></Tiering></IntelligentTieringConfiguration>`, ErrMalformedXML},
		{"tiering without tier", `<IntelligentTieringConfiguration><Tiering><Days>90</Days></Tiering></IntelligentTieringConfiguration>`, ErrMalformedXML},
		{"days not a number", `<IntelligentTieringConfiguration><Tiering><AccessTier>ARCHIVE_ACCESS</AccessTier><Days>ninety</Days></Tiering></IntelligentTieringConfiguration>`, ErrMalformedXML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v IntelligentTieringConfiguration
			if err := Decode(strings.NewReader(tt.body), &v, DefaultMaxBytes); !errors.Is(err, tt.want) {
				t.Errorf("Decode = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestListIntelligentTieringOutput: the listing has S3's element names and
// order, and omits the tokens it does not have.
func TestListIntelligentTieringOutput(t *testing.T) {
	days := 90
	out := ListBucketIntelligentTieringConfigurationsOutput{
		IsTruncated:           true,
		NextContinuationToken: "next",
		Configurations: []IntelligentTieringConfiguration{{ID: "a", Status: "Enabled",
			Tierings: []Tiering{{AccessTier: "ARCHIVE_ACCESS", Days: &days}}}},
	}
	b, err := Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	want := decl + `<ListBucketIntelligentTieringConfigurationsOutput xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
		`<IsTruncated>true</IsTruncated><NextContinuationToken>next</NextContinuationToken>` +
		`<IntelligentTieringConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Id>a</Id><Status>Enabled</Status>` +
		`<Tiering><AccessTier>ARCHIVE_ACCESS</AccessTier><Days>90</Days></Tiering></IntelligentTieringConfiguration>` +
		`</ListBucketIntelligentTieringConfigurationsOutput>`
	if string(b) != want {
		t.Errorf("encoded as\n%s\nwant\n%s", b, want)
	}
}

func FuzzDecodeIntelligentTieringConfiguration(f *testing.F) {
	f.Add(tieringDoc)
	f.Add(`<IntelligentTieringConfiguration><Id>a</Id><Filter><Prefix>p</Prefix></Filter><Status>Disabled</Status><Tiering><AccessTier>ARCHIVE_ACCESS</AccessTier><Days>90</Days></Tiering></IntelligentTieringConfiguration>`)
	f.Fuzz(func(t *testing.T, body string) { fuzzDecode[IntelligentTieringConfiguration](t, body) })
}
