package s3xml

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

const decl = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

var testTime = NewTime(time.Date(2009, 10, 12, 17, 50, 30, 0, time.UTC))

func TestMarshalResponses(t *testing.T) {
	size := int64(5)
	tests := []struct {
		name string
		v    any
		want string
	}{
		{
			name: "ListAllMyBucketsResult",
			v:    ListAllMyBucketsResult{Buckets: []Bucket{{Name: "amzn-s3-demo-bucket", CreationDate: testTime, BucketRegion: "us-east-1"}}, Owner: &Owner{ID: "abc123", DisplayName: "owner"}, ContinuationToken: "tok", Prefix: "am"},
			want: `<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Buckets><Bucket><Name>amzn-s3-demo-bucket</Name><CreationDate>2009-10-12T17:50:30.000Z</CreationDate><BucketRegion>us-east-1</BucketRegion></Bucket></Buckets><Owner><ID>abc123</ID><DisplayName>owner</DisplayName></Owner><ContinuationToken>tok</ContinuationToken><Prefix>am</Prefix></ListAllMyBucketsResult>`,
		},
		{
			name: "ListAllMyBucketsResult without buckets",
			v:    ListAllMyBucketsResult{Owner: &Owner{ID: "abc123"}},
			want: `<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Buckets></Buckets><Owner><ID>abc123</ID></Owner></ListAllMyBucketsResult>`,
		},
		{
			name: "LocationConstraint",
			v:    LocationConstraint{Location: "eu-west-1"},
			want: `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>`,
		},
		{
			name: "LocationConstraint us-east-1 is empty",
			v:    LocationConstraint{},
			want: `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>`,
		},
		{
			name: "VersioningConfiguration never enabled",
			v:    VersioningConfiguration{},
			want: `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></VersioningConfiguration>`,
		},
		{
			name: "VersioningConfiguration enabled",
			v:    VersioningConfiguration{Status: VersioningEnabled},
			want: `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>`,
		},
		{
			name: "Tagging",
			v:    Tagging{TagSet: []Tag{{Key: "tag1", Value: "val1"}, {Key: "tag2", Value: ""}}},
			want: `<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>tag1</Key><Value>val1</Value></Tag><Tag><Key>tag2</Key><Value></Value></Tag></TagSet></Tagging>`,
		},
		{
			name: "Tagging empty",
			v:    Tagging{},
			want: `<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet></TagSet></Tagging>`,
		},
		{
			name: "ListBucketResult v1",
			v: ListBucketResult{Name: "bucket", Prefix: "", Marker: "", NextMarker: "my-image.jpg", MaxKeys: 1000, Delimiter: "/", IsTruncated: true,
				Contents:       []Object{{Key: "my-image.jpg", LastModified: testTime, ETag: `"fba9dede5f27731c9771645a39863328"`, Size: 434234, StorageClass: "STANDARD", Owner: &Owner{ID: "o"}}},
				CommonPrefixes: []CommonPrefix{{Prefix: "photos/"}}},
			want: `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name><Prefix></Prefix><Marker></Marker><NextMarker>my-image.jpg</NextMarker><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated><Contents><Key>my-image.jpg</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>&#34;fba9dede5f27731c9771645a39863328&#34;</ETag><Size>434234</Size><StorageClass>STANDARD</StorageClass><Owner><ID>o</ID></Owner></Contents><CommonPrefixes><Prefix>photos/</Prefix></CommonPrefixes></ListBucketResult>`,
		},
		{
			name: "ListBucketResult v2",
			v: ListBucketResultV2{Name: "bucket", KeyCount: 1, MaxKeys: 1, IsTruncated: true, ContinuationToken: "c", NextContinuationToken: "n", StartAfter: "s", EncodingType: "url",
				Contents: []Object{{Key: "k", LastModified: testTime, ETag: `"e"`, ChecksumAlgorithm: []string{"CRC64NVME"}, ChecksumType: "FULL_OBJECT", Size: 1, StorageClass: "STANDARD"}}},
			want: `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>true</IsTruncated><EncodingType>url</EncodingType><ContinuationToken>c</ContinuationToken><NextContinuationToken>n</NextContinuationToken><StartAfter>s</StartAfter><Contents><Key>k</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>&#34;e&#34;</ETag><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>`,
		},
		{
			name: "ListVersionsResult interleaves in order",
			v: ListVersionsResult{Name: "bucket", MaxKeys: 2, IsTruncated: true, NextKeyMarker: "b", NextVersionIDMarker: "v3",
				Entries: []VersionEntry{
					{Version: &ObjectVersion{Key: "a", VersionID: "v2", IsLatest: true, LastModified: testTime, ETag: `"e"`, Size: 3, StorageClass: "STANDARD"}},
					{DeleteMarker: &DeleteMarkerEntry{Key: "a", VersionID: "v1", LastModified: testTime, Owner: &Owner{ID: "o"}}},
					{Version: &ObjectVersion{Key: "a", VersionID: "null", LastModified: testTime, ETag: `"f"`, Size: 4, StorageClass: "GLACIER"}},
				}},
			want: `<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name><Prefix></Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker><NextKeyMarker>b</NextKeyMarker><NextVersionIdMarker>v3</NextVersionIdMarker><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>` +
				`<Version><Key>a</Key><VersionId>v2</VersionId><IsLatest>true</IsLatest><LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>&#34;e&#34;</ETag><Size>3</Size><StorageClass>STANDARD</StorageClass></Version>` +
				`<DeleteMarker><Key>a</Key><VersionId>v1</VersionId><IsLatest>false</IsLatest><LastModified>2009-10-12T17:50:30.000Z</LastModified><Owner><ID>o</ID></Owner></DeleteMarker>` +
				`<Version><Key>a</Key><VersionId>null</VersionId><IsLatest>false</IsLatest><LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>&#34;f&#34;</ETag><Size>4</Size><StorageClass>GLACIER</StorageClass></Version></ListVersionsResult>`,
		},
		{
			name: "DeleteResult",
			v: DeleteResult{
				Deleted: []DeletedObject{{Key: "sample1.txt"}, {Key: "sample2.txt", DeleteMarker: true, DeleteMarkerVersionID: "dm1"}},
				Errors:  []DeleteError{{Key: "sample3.txt", Code: "AccessDenied", Message: "Access Denied"}},
			},
			want: `<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Deleted><Key>sample1.txt</Key></Deleted><Deleted><Key>sample2.txt</Key><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>dm1</DeleteMarkerVersionId></Deleted><Error><Key>sample3.txt</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>`,
		},
		{
			name: "CopyObjectResult",
			v:    CopyObjectResult{ETag: `"9b2cf535f27731c974343645a3985328"`, LastModified: testTime, ChecksumType: "FULL_OBJECT", Checksums: Checksums{ChecksumCRC64NVME: "AAAAAAAAAAA="}},
			want: `<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ETag>&#34;9b2cf535f27731c974343645a3985328&#34;</ETag><LastModified>2009-10-12T17:50:30.000Z</LastModified><ChecksumType>FULL_OBJECT</ChecksumType><ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME></CopyObjectResult>`,
		},
		{
			name: "CopyPartResult",
			v:    CopyPartResult{ETag: `"e"`, LastModified: testTime},
			want: `<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ETag>&#34;e&#34;</ETag><LastModified>2009-10-12T17:50:30.000Z</LastModified></CopyPartResult>`,
		},
		{
			name: "InitiateMultipartUploadResult",
			v:    InitiateMultipartUploadResult{Bucket: "example-bucket", Key: "example-object", UploadID: "VXBsb2FkIElE"},
			want: `<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>example-bucket</Bucket><Key>example-object</Key><UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>`,
		},
		{
			name: "CompleteMultipartUploadResult",
			v:    CompleteMultipartUploadResult{Location: "http://Example-Bucket.s3.amazonaws.com/Example-Object", Bucket: "Example-Bucket", Key: "Example-Object", ETag: `"3858f62230ac3c915f300c664312c11f-9"`, Checksums: Checksums{ChecksumSHA256: "abc=-9"}, ChecksumType: "COMPOSITE"},
			want: `<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>http://Example-Bucket.s3.amazonaws.com/Example-Object</Location><Bucket>Example-Bucket</Bucket><Key>Example-Object</Key><ETag>&#34;3858f62230ac3c915f300c664312c11f-9&#34;</ETag><ChecksumSHA256>abc=-9</ChecksumSHA256><ChecksumType>COMPOSITE</ChecksumType></CompleteMultipartUploadResult>`,
		},
		{
			name: "ListPartsResult",
			v: ListPartsResult{Bucket: "b", Key: "k", UploadID: "u", PartNumberMarker: 1, NextPartNumberMarker: 3, MaxParts: 2, IsTruncated: true,
				Parts:     []Part{{PartNumber: 2, LastModified: testTime, ETag: `"7778aef83f66abc1fa1e8477f296d394"`, Size: 10485760, Checksums: Checksums{ChecksumCRC32: "AAAAAA=="}}},
				Initiator: &Initiator{ID: "i"}, Owner: &Owner{ID: "o"}, StorageClass: "STANDARD", ChecksumAlgorithm: "CRC32", ChecksumType: "COMPOSITE"},
			want: `<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId><PartNumberMarker>1</PartNumberMarker><NextPartNumberMarker>3</NextPartNumberMarker><MaxParts>2</MaxParts><IsTruncated>true</IsTruncated><Part><PartNumber>2</PartNumber><LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>&#34;7778aef83f66abc1fa1e8477f296d394&#34;</ETag><Size>10485760</Size><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Initiator><ID>i</ID></Initiator><Owner><ID>o</ID></Owner><StorageClass>STANDARD</StorageClass><ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumType>COMPOSITE</ChecksumType></ListPartsResult>`,
		},
		{
			name: "ListMultipartUploadsResult",
			v: ListMultipartUploadsResult{Bucket: "bucket", NextKeyMarker: "my-movie.m2ts", NextUploadIDMarker: "u2", MaxUploads: 3, IsTruncated: true,
				Uploads:        []Upload{{Key: "my-divisor", UploadID: "u1", Initiator: &Initiator{ID: "i"}, Owner: &Owner{ID: "o"}, StorageClass: "REDUCED_REDUNDANCY", Initiated: testTime}},
				CommonPrefixes: []CommonPrefix{{Prefix: "photos/"}}},
			want: `<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>bucket</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><NextKeyMarker>my-movie.m2ts</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker><MaxUploads>3</MaxUploads><IsTruncated>true</IsTruncated><Upload><Key>my-divisor</Key><UploadId>u1</UploadId><Initiator><ID>i</ID></Initiator><Owner><ID>o</ID></Owner><StorageClass>REDUCED_REDUNDANCY</StorageClass><Initiated>2009-10-12T17:50:30.000Z</Initiated></Upload><CommonPrefixes><Prefix>photos/</Prefix></CommonPrefixes></ListMultipartUploadsResult>`,
		},
		{
			name: "GetObjectAttributesResponse",
			v: GetObjectAttributesResponse{ETag: "e", Checksum: &ObjectChecksum{Checksums: Checksums{ChecksumSHA256: "s"}, ChecksumType: "COMPOSITE"},
				ObjectParts:  &ObjectAttributesParts{TotalPartsCount: 2, MaxParts: 1000, Parts: []ObjectPart{{PartNumber: 1, Size: 3, Checksums: Checksums{ChecksumSHA256: "p"}}}},
				StorageClass: "STANDARD", ObjectSize: &size},
			want: `<GetObjectAttributesResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ETag>e</ETag><Checksum><ChecksumSHA256>s</ChecksumSHA256><ChecksumType>COMPOSITE</ChecksumType></Checksum><ObjectParts><PartsCount>2</PartsCount><PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>0</NextPartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated><Part><PartNumber>1</PartNumber><Size>3</Size><ChecksumSHA256>p</ChecksumSHA256></Part></ObjectParts><StorageClass>STANDARD</StorageClass><ObjectSize>5</ObjectSize></GetObjectAttributesResponse>`,
		},
		{
			name: "GetObjectAttributesResponse only ObjectSize",
			v:    GetObjectAttributesResponse{ObjectSize: new(int64)},
			want: `<GetObjectAttributesResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ObjectSize>0</ObjectSize></GetObjectAttributesResponse>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(b); got != decl+tt.want {
				t.Errorf("Marshal =\n%s\nwant\n%s", got, decl+tt.want)
			}
		})
	}
}

func TestVersionEntryNeedsExactlyOne(t *testing.T) {
	for _, e := range []VersionEntry{{}, {Version: &ObjectVersion{}, DeleteMarker: &DeleteMarkerEntry{}}} {
		if _, err := Marshal(ListVersionsResult{Entries: []VersionEntry{e}}); err == nil {
			t.Errorf("Marshal accepted %+v", e)
		}
	}
}

func TestTimeRoundTrip(t *testing.T) {
	in := time.Date(2024, 2, 29, 23, 59, 58, 123456789, time.FixedZone("x", 3600))
	if got := FormatTime(in); got != "2024-02-29T22:59:58.123Z" {
		t.Errorf("FormatTime = %q", got)
	}
	var tm Time
	if err := tm.UnmarshalText([]byte("2024-02-29T22:59:58.123Z")); err != nil || !tm.Equal(in.Truncate(time.Millisecond)) {
		t.Errorf("UnmarshalText = %v, %v", tm, err)
	}
	if err := tm.UnmarshalText([]byte("yesterday")); err == nil {
		t.Error("UnmarshalText accepted garbage")
	}
}

func TestChecksumsSetAll(t *testing.T) {
	var c Checksums
	for _, alg := range []string{"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"} {
		if !c.Set(alg, "v-"+alg) {
			t.Errorf("Set(%s) = false", alg)
		}
	}
	if c.Set("MD5", "x") {
		t.Error("Set(MD5) = true")
	}
	all := c.All()
	if len(all) != 5 || all["CRC64NVME"] != "v-CRC64NVME" || c.ChecksumSHA1 != "v-SHA1" {
		t.Errorf("All = %v", all)
	}
	if got := (Checksums{}).All(); len(got) != 0 {
		t.Errorf("empty All = %v", got)
	}
}

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestDecodeLimitsAndShape(t *testing.T) {
	const ns = ` xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`
	tests := []struct {
		name string
		body string
		max  int64
		err  error
	}{
		{"with namespace", `<VersioningConfiguration` + ns + `><Status>Enabled</Status></VersioningConfiguration>`, 0, nil},
		{"without namespace", `<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>`, 0, nil},
		{"declaration and whitespace", decl + "\n <VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>\n", 0, nil},
		{"trailing comment", `<VersioningConfiguration/><!-- ok -->`, 0, nil},
		{"empty", ``, 0, ErrMissingBody},
		{"whitespace only", " \n\t", 0, ErrMissingBody},
		{"exactly max", `<VersioningConfiguration/>`, int64(len(`<VersioningConfiguration/>`)), nil},
		{"over max", `<VersioningConfiguration/>`, int64(len(`<VersioningConfiguration/>`)) - 1, ErrTooLarge},
		{"wrong root", `<Tagging><TagSet/></Tagging>`, 0, ErrMalformedXML},
		{"not XML", `Status=Enabled`, 0, ErrMalformedXML},
		{"truncated", `<VersioningConfiguration><Status>Enabled</Status>`, 0, ErrMalformedXML},
		{"unknown element", `<VersioningConfiguration><Status>Enabled</Status><Colour>red</Colour></VersioningConfiguration>`, 0, ErrMalformedXML},
		{"bad status", `<VersioningConfiguration><Status>On</Status></VersioningConfiguration>`, 0, ErrMalformedXML},
		{"bad MfaDelete", `<VersioningConfiguration><MfaDelete>Maybe</MfaDelete></VersioningConfiguration>`, 0, ErrMalformedXML},
		{"second root", `<VersioningConfiguration/><VersioningConfiguration/>`, 0, ErrMalformedXML},
		{"text after root", `<VersioningConfiguration/>junk`, 0, ErrMalformedXML},
		{"undefined entity", `<VersioningConfiguration><Status>&xxe;</Status></VersioningConfiguration>`, 0, ErrMalformedXML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v VersioningConfiguration
			err := Decode(strings.NewReader(tt.body), &v, tt.max)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Errorf("Decode = %v, want %v", err, tt.err)
			}
		})
	}
	t.Run("read error passed through", func(t *testing.T) {
		var v VersioningConfiguration
		if err := Decode(errReader{}, &v, 0); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("Decode = %v", err)
		}
	})
}

func TestDecodeCreateBucketConfiguration(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
		err  error
	}{
		{"AWS example", `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`, "eu-west-1", nil},
		{"no namespace", `<CreateBucketConfiguration><LocationConstraint>us-west-2</LocationConstraint></CreateBucketConfiguration>`, "us-west-2", nil},
		{"empty configuration", `<CreateBucketConfiguration/>`, "", nil},
		{"unknown element", `<CreateBucketConfiguration><Region>x</Region></CreateBucketConfiguration>`, "", ErrMalformedXML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v CreateBucketConfiguration
			err := Decode(strings.NewReader(tt.body), &v, DefaultMaxBytes)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) || (err == nil && v.LocationConstraint != tt.want) {
				t.Errorf("Decode = %+v, %v", v, err)
			}
		})
	}
}

func TestDecodeTagging(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []Tag
		err  error
	}{
		{"AWS example", `<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>Project</Key><Value>Project One</Value></Tag><Tag><Key>User</Key><Value>jsmith</Value></Tag></TagSet></Tagging>`,
			[]Tag{{Key: "Project", Value: "Project One"}, {Key: "User", Value: "jsmith"}}, nil},
		{"empty tag set", `<Tagging><TagSet/></Tagging>`, nil, nil},
		{"empty value", `<Tagging><TagSet><Tag><Key>k</Key><Value></Value></Tag></TagSet></Tagging>`, []Tag{{Key: "k"}}, nil},
		{"unknown element in tag", `<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value><Extra/></Tag></TagSet></Tagging>`, nil, ErrMalformedXML},
		{"unknown element at top", `<Tagging><TagSet/><Other/></Tagging>`, nil, ErrMalformedXML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v Tagging
			err := Decode(strings.NewReader(tt.body), &v, DefaultMaxBytes)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("Decode = %v, want %v", err, tt.err)
			}
			if err == nil && !reflect.DeepEqual(v.TagSet, tt.want) {
				t.Errorf("TagSet = %+v, want %+v", v.TagSet, tt.want)
			}
		})
	}
}

func TestDecodeDelete(t *testing.T) {
	many := func(n int) string {
		var b strings.Builder
		b.WriteString("<Delete>")
		for range n {
			b.WriteString("<Object><Key>k</Key></Object>")
		}
		b.WriteString("</Delete>")
		return b.String()
	}
	tests := []struct {
		name  string
		body  string
		quiet bool
		n     int
		err   error
	}{
		{"AWS example", `<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>sample1.txt</Key></Object><Object><Key>sample2.txt</Key><VersionId>OYcLXagmS.WaD..oyH4KRguB95_YhLs7</VersionId></Object><Quiet>true</Quiet></Delete>`, true, 2, nil},
		{"conditional fields", `<Delete><Object><Key>a</Key><ETag>"e"</ETag><LastModifiedTime>2024-01-01T00:00:00.000Z</LastModifiedTime><Size>3</Size></Object></Delete>`, false, 1, nil},
		{"1000 objects", many(1000), false, 1000, nil},
		{"1001 objects", many(1001), false, 0, ErrMalformedXML},
		{"no objects", `<Delete><Quiet>false</Quiet></Delete>`, false, 0, ErrMalformedXML},
		{"missing key", `<Delete><Object><VersionId>v</VersionId></Object></Delete>`, false, 0, ErrMalformedXML},
		{"bad quiet", `<Delete><Quiet>maybe</Quiet><Object><Key>a</Key></Object></Delete>`, false, 0, ErrMalformedXML},
		{"unknown element in object", `<Delete><Object><Key>a</Key><Colour/></Object></Delete>`, false, 0, ErrMalformedXML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v Delete
			err := Decode(strings.NewReader(tt.body), &v, DefaultMaxBytes)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("Decode = %v, want %v", err, tt.err)
			}
			if err == nil && (v.Quiet != tt.quiet || len(v.Objects) != tt.n) {
				t.Errorf("Decode = quiet %v, %d objects", v.Quiet, len(v.Objects))
			}
		})
	}
	t.Run("fields", func(t *testing.T) {
		var v Delete
		body := `<Delete><Object><Key>a</Key><VersionId>v1</VersionId><ETag>"e"</ETag><LastModifiedTime>2024-01-01T00:00:00.000Z</LastModifiedTime><Size>3</Size></Object></Delete>`
		if err := Decode(strings.NewReader(body), &v, 0); err != nil {
			t.Fatal(err)
		}
		o := v.Objects[0]
		if o.Key != "a" || o.VersionID != "v1" || o.ETag != `"e"` || o.Size == nil || *o.Size != 3 || o.LastModifiedTime == nil || o.LastModifiedTime.Year() != 2024 {
			t.Errorf("object = %+v", o)
		}
	})
}

func TestDecodeCompleteMultipartUpload(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []CompletedPart
		err  error
	}{
		{"AWS example", `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber><ETag>"a54357aff0632cce46d942af68356b38"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>"0c78aef83f66abc1fa1e8477f296d394"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>`,
			[]CompletedPart{{PartNumber: 1, ETag: `"a54357aff0632cce46d942af68356b38"`}, {PartNumber: 2, ETag: `"0c78aef83f66abc1fa1e8477f296d394"`, Checksums: Checksums{ChecksumCRC32: "AAAAAA=="}}}, nil},
		{"all checksums", `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag><ChecksumCRC32C>a</ChecksumCRC32C><ChecksumCRC64NVME>b</ChecksumCRC64NVME><ChecksumSHA1>c</ChecksumSHA1><ChecksumSHA256>d</ChecksumSHA256></Part></CompleteMultipartUpload>`,
			[]CompletedPart{{PartNumber: 1, ETag: "e", Checksums: Checksums{ChecksumCRC32C: "a", ChecksumCRC64NVME: "b", ChecksumSHA1: "c", ChecksumSHA256: "d"}}}, nil},
		{"no parts", `<CompleteMultipartUpload></CompleteMultipartUpload>`, nil, ErrMalformedXML},
		{"part without number", `<CompleteMultipartUpload><Part><ETag>e</ETag></Part></CompleteMultipartUpload>`, nil, ErrMalformedXML},
		{"part without etag", `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>`, nil, ErrMalformedXML},
		{"non-numeric part number", `<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>`, nil, ErrMalformedXML},
		{"unknown element in part", `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag><Size>3</Size></Part></CompleteMultipartUpload>`, nil, ErrMalformedXML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v CompleteMultipartUpload
			err := Decode(strings.NewReader(tt.body), &v, DefaultMaxBytes)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("Decode = %v, want %v", err, tt.err)
			}
			if err == nil && !reflect.DeepEqual(v.Parts, tt.want) {
				t.Errorf("Parts = %+v, want %+v", v.Parts, tt.want)
			}
		})
	}
}

func TestRequestRoundTrip(t *testing.T) {
	// Documents coffer writes for its own clients decode back the same.
	tests := []struct {
		name string
		in   any
		out  any
	}{
		{"Tagging", &Tagging{TagSet: []Tag{{Key: "a", Value: "1"}}}, &Tagging{}},
		{"VersioningConfiguration", &VersioningConfiguration{Status: VersioningSuspended}, &VersioningConfiguration{}},
		{"CreateBucketConfiguration", &CreateBucketConfiguration{LocationConstraint: "eu-central-1"}, &CreateBucketConfiguration{}},
		{"ListVersionsResult", &ListVersionsResult{Name: "b", Entries: []VersionEntry{
			{DeleteMarker: &DeleteMarkerEntry{Key: "a", VersionID: "2", LastModified: testTime}},
			{Version: &ObjectVersion{Key: "a", VersionID: "1", LastModified: testTime, ETag: `"e"`}},
		}}, &ListVersionsResult{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if err := Decode(strings.NewReader(string(b)), tt.out, 0); err != nil {
				t.Fatalf("Decode(%s) = %v", b, err)
			}
			clearXMLName(tt.in)
			clearXMLName(tt.out)
			if !reflect.DeepEqual(tt.in, tt.out) {
				t.Errorf("round trip = %+v, want %+v", tt.out, tt.in)
			}
		})
	}
}

func clearXMLName(v any) {
	f := reflect.ValueOf(v).Elem().FieldByName("XMLName")
	f.Set(reflect.Zero(f.Type()))
}
