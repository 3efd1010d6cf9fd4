package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// TestAdminUsagePages: `coffer admin usage` follows GetUsage's Marker
// until the answer is not truncated, passes --bucket on, signs for IAM,
// and prints every page's rows as one JSON array.
func TestAdminUsagePages(t *testing.T) {
	pages := map[string]string{
		"": `<GetUsageResponse><GetUsageResult><Usage><member><Bucket>b</Bucket><AccountId>111122223333</AccountId>` +
			`<StorageClass>STANDARD</StorageClass><Objects>2</Objects><Bytes>10</Bytes><BillableBytes>10</BillableBytes>` +
			`<NoncurrentObjects>1</NoncurrentObjects><NoncurrentBytes>4</NoncurrentBytes><DeleteMarkers>3</DeleteMarkers></member></Usage>` +
			`<IsTruncated>true</IsTruncated><Marker>next</Marker></GetUsageResult></GetUsageResponse>`,
		"next": `<GetUsageResponse><GetUsageResult><Usage><member><Bucket>b</Bucket><AccountId>111122223333</AccountId>` +
			`<StorageClass>STANDARD_IA</StorageClass><Objects>1</Objects><Bytes>5</Bytes><BillableBytes>131072</BillableBytes></member></Usage>` +
			`<IsTruncated>false</IsTruncated></GetUsageResult></GetUsageResponse>`,
	}
	var calls []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(body))
		if err != nil || !strings.Contains(r.Header.Get("Authorization"), "/us-east-1/iam/aws4_request") {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		calls = append(calls, form)
		_, _ = io.WriteString(w, pages[form.Get("Marker")])
	}))
	defer srv.Close()

	env := map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}
	var stdout, stderr bytes.Buffer
	err := runAdmin(context.Background(), []string{"usage", "--endpoint", srv.URL, "--bucket", "b"}, &stdout, &stderr,
		func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("coffer admin usage: %v (stderr %q)", err, stderr.String())
	}
	if len(calls) != 2 || calls[0].Get("Action") != "GetUsage" || calls[0].Get("Bucket") != "b" || calls[1].Get("Marker") != "next" {
		t.Errorf("requests sent: %v, want two GetUsage of bucket b, the second with Marker next", calls)
	}
	var got []adminUsageRow
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output is not a JSON array of rows: %v\n%s", err, stdout.String())
	}
	want := []adminUsageRow{
		{Bucket: "b", AccountID: "111122223333", StorageClass: "STANDARD", Objects: 2, Bytes: 10, BillableBytes: 10,
			NoncurrentObjects: 1, NoncurrentBytes: 4, DeleteMarkers: 3},
		{Bucket: "b", AccountID: "111122223333", StorageClass: "STANDARD_IA", Objects: 1, Bytes: 5, BillableBytes: 131072},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("output rows:\n got  %+v\n want %+v", got, want)
	}
}
