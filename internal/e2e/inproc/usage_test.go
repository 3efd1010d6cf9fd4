package inproc

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Usage accounting: objects of several classes and sizes, overwritten
// and deleted in a versioned and an unversioned bucket and in another
// account's bucket, then the figures /metrics exports and the GetUsage
// admin action answers, and who may see which.

// usageRow is one member of a GetUsage answer.
type usageRow struct {
	Bucket            string `xml:"Bucket"`
	AccountID         string `xml:"AccountId"`
	StorageClass      string `xml:"StorageClass"`
	Objects           int64  `xml:"Objects"`
	Bytes             int64  `xml:"Bytes"`
	BillableBytes     int64  `xml:"BillableBytes"`
	NoncurrentObjects int64  `xml:"NoncurrentObjects"`
	NoncurrentBytes   int64  `xml:"NoncurrentBytes"`
	DeleteMarkers     int64  `xml:"DeleteMarkers"`
}

// usageAnswer is a GetUsage answer.
type usageAnswer struct {
	Rows        []usageRow `xml:"GetUsageResult>Usage>member"`
	IsTruncated bool       `xml:"GetUsageResult>IsTruncated"`
	Marker      string     `xml:"GetUsageResult>Marker"`
}

// usagePut stores size bytes under bucket/key in class ("" for the
// default).
func usagePut(t *testing.T, c *s3.Client, bucket, key string, class types.StorageClass, size int) {
	t.Helper()
	_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(randBytes(uint64(size), size)), StorageClass: class})
	must(t, err, "PutObject "+bucket+"/"+key)
}

// usageGet sends GetUsage with extra parameters (such as Bucket) signed
// with the given key and decodes a successful answer.
func usageGet(t *testing.T, e *iamEnv, access, secret string, params ...string) (int, usageAnswer, []byte) {
	t.Helper()
	form := url.Values{"Action": {"GetUsage"}}
	for i := 0; i+1 < len(params); i += 2 {
		form.Set(params[i], params[i+1])
	}
	status, body := e.iamQuery(t, access, secret, form)
	var out usageAnswer
	if status == http.StatusOK {
		if err := xml.Unmarshal(body, &out); err != nil {
			t.Fatalf("GetUsage answer: %v\n%s", err, body)
		}
	}
	return status, out, body
}

// usageWantRows asserts a successful GetUsage answer lists want.
func usageWantRows(t *testing.T, what string, status int, got usageAnswer, body []byte, want []usageRow) {
	t.Helper()
	if status != http.StatusOK {
		t.Errorf("%s: %d %s", what, status, body)
		return
	}
	if !reflect.DeepEqual(got.Rows, want) || got.IsTruncated {
		t.Errorf("%s:\n got  %+v (truncated %v)\n want %+v", what, got.Rows, got.IsTruncated, want)
	}
}

// usageSamples parses the coffer_bucket_* samples of a Prometheus text
// exposition, keyed as they are written: name{bucket="…",storage_class="…"}.
func usageSamples(t *testing.T, exposition []byte) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(exposition))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "coffer_bucket_") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("/metrics sample %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func TestUsage(t *testing.T) {
	t.Parallel()
	e := newIAMEnv(t)
	const kib = 1 << 10
	tenant := e.createAccount(t, "usage-tenant")
	tenantS3 := e.newS3(tenant.AccessKeyID, tenant.SecretAccessKey)

	// versioned: an overwrite keeps the old version; a delete leaves a
	// marker over the deleted data.
	versioned := e.mkBucket(t, "usage-a")
	_, err := e.s3.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: aws.String(versioned),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	must(t, err, "PutBucketVersioning")
	usagePut(t, e.s3, versioned, "doc", "", 1000)
	usagePut(t, e.s3, versioned, "doc", types.StorageClassStandard, 2000)
	usagePut(t, e.s3, versioned, "gone", "", 10)
	_, err = e.s3.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(versioned), Key: aws.String("gone")})
	must(t, err, "DeleteObject gone")
	usagePut(t, e.s3, versioned, "ia-small", types.StorageClassStandardIa, 100)
	usagePut(t, e.s3, versioned, "ia-large", types.StorageClassStandardIa, 200*kib)
	usagePut(t, e.s3, versioned, "cold", types.StorageClassGlacier, 10)

	// unversioned: an overwrite (here into another class) and a delete
	// leave nothing behind.
	plain := e.mkBucket(t, "usage-b")
	usagePut(t, e.s3, plain, "x", "", 500)
	usagePut(t, e.s3, plain, "x", types.StorageClassOnezoneIa, 700)
	usagePut(t, e.s3, plain, "y", "", 5)
	_, err = e.s3.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(plain), Key: aws.String("y")})
	must(t, err, "DeleteObject y")

	// another account's bucket.
	theirs := uniqueBucket(t, "usage-t")
	_, err = tenantS3.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(theirs)})
	must(t, err, "CreateBucket as the tenant")
	usagePut(t, tenantS3, theirs, "t", "", 42)

	versionedRows := []usageRow{
		{Bucket: versioned, AccountID: e.account, StorageClass: "GLACIER", Objects: 1, Bytes: 10, BillableBytes: 10 + 32*kib},
		// The GLACIER object's name and metadata are billed as STANDARD.
		{Bucket: versioned, AccountID: e.account, StorageClass: "STANDARD", Objects: 3, Bytes: 3010, BillableBytes: 3010 + 8*kib,
			NoncurrentObjects: 2, NoncurrentBytes: 1010, DeleteMarkers: 1},
		// The small object is billed as 128 KiB.
		{Bucket: versioned, AccountID: e.account, StorageClass: "STANDARD_IA", Objects: 2, Bytes: 200*kib + 100, BillableBytes: 328 * kib},
	}
	plainRows := []usageRow{
		{Bucket: plain, AccountID: e.account, StorageClass: "ONEZONE_IA", Objects: 1, Bytes: 700, BillableBytes: 128 * kib},
	}
	theirRows := []usageRow{
		{Bucket: theirs, AccountID: tenant.AccountID, StorageClass: "STANDARD", Objects: 1, Bytes: 42, BillableBytes: 42},
	}
	all := append(append(append([]usageRow{}, versionedRows...), plainRows...), theirRows...)

	t.Run("metrics", func(t *testing.T) {
		resp, body := e.do(t, newRequest(t, http.MethodGet, "http://"+e.ts.plain.Listener.Addr().String()+"/metrics", nil))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /metrics: %d %q", resp.StatusCode, body)
		}
		got := usageSamples(t, body)
		want := map[string]float64{}
		for _, r := range all {
			labels := fmt.Sprintf(`{bucket=%q,storage_class=%q}`, r.Bucket, r.StorageClass)
			for name, v := range map[string]int64{
				"coffer_bucket_objects": r.Objects, "coffer_bucket_bytes": r.Bytes, "coffer_bucket_billable_bytes": r.BillableBytes,
				"coffer_bucket_noncurrent_objects": r.NoncurrentObjects, "coffer_bucket_noncurrent_bytes": r.NoncurrentBytes,
				"coffer_bucket_delete_markers": r.DeleteMarkers,
			} {
				want[name+labels] = float64(v)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("/metrics usage samples:\n got  %v\n want %v", got, want)
		}
	})

	t.Run("the operator sees every account's buckets", func(t *testing.T) {
		status, got, body := usageGet(t, e, e.ts.access, e.ts.secret)
		usageWantRows(t, "GetUsage", status, got, body, all)
		status, got, body = usageGet(t, e, e.ts.access, e.ts.secret, "Bucket", theirs)
		usageWantRows(t, "GetUsage of the tenant's bucket", status, got, body, theirRows)
	})

	t.Run("pages", func(t *testing.T) {
		status, first, body := usageGet(t, e, e.ts.access, e.ts.secret, "MaxItems", "3")
		if status != http.StatusOK || len(first.Rows) != 3 || !first.IsTruncated || first.Marker == "" {
			t.Fatalf("GetUsage MaxItems=3: %d %s", status, body)
		}
		status, rest, body := usageGet(t, e, e.ts.access, e.ts.secret, "MaxItems", "3", "Marker", first.Marker)
		usageWantRows(t, "GetUsage's second page", status, rest, body, all[3:])
	})

	t.Run("an account sees its own buckets", func(t *testing.T) {
		status, got, body := usageGet(t, e, tenant.AccessKeyID, tenant.SecretAccessKey)
		usageWantRows(t, "the tenant's GetUsage", status, got, body, theirRows)
		status, _, body = usageGet(t, e, tenant.AccessKeyID, tenant.SecretAccessKey, "Bucket", versioned)
		wantIAMQueryError(t, "the tenant's GetUsage of another account's bucket", status, body, http.StatusForbidden, "AccessDenied")
		status, _, body = usageGet(t, e, tenant.AccessKeyID, tenant.SecretAccessKey, "Bucket", "usage-missing")
		wantIAMQueryError(t, "GetUsage of a missing bucket", status, body, http.StatusNotFound, "NoSuchEntity")
	})

	t.Run("an IAM user needs iam:GetUsage", func(t *testing.T) {
		reader := e.newUser(t, "usage-reader", policyDoc(statement("Allow", "iam:GetUsage", "arn:aws:s3:::"+versioned)))
		status, got, body := usageGet(t, e, reader.access, reader.secret, "Bucket", versioned)
		usageWantRows(t, "GetUsage of the allowed bucket", status, got, body, versionedRows)
		status, _, body = usageGet(t, e, reader.access, reader.secret, "Bucket", plain)
		wantIAMQueryError(t, "GetUsage of another bucket", status, body, http.StatusForbidden, "AccessDenied")
		status, _, body = usageGet(t, e, reader.access, reader.secret)
		wantIAMQueryError(t, "GetUsage of every bucket", status, body, http.StatusForbidden, "AccessDenied")

		wide := e.newUser(t, "usage-all", policyDoc(statement("Allow", "iam:GetUsage", "*")))
		status, got, body = usageGet(t, e, wide.access, wide.secret)
		usageWantRows(t, "GetUsage of an IAM user of the first account", status, got, body, append(append([]usageRow{}, versionedRows...), plainRows...))

		nobody := e.newUser(t, "usage-nobody")
		status, _, body = usageGet(t, e, nobody.access, nobody.secret, "Bucket", versioned)
		wantIAMQueryError(t, "GetUsage without a policy", status, body, http.StatusForbidden, "AccessDenied")
	})
}
