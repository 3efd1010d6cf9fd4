package inproc

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// itConfig is a configuration that archives objects under prefix after
// archiveDays and deep-archives them after deepDays (0: that tier not
// opted into).
func itConfig(id, prefix string, archiveDays, deepDays int32) *types.IntelligentTieringConfiguration {
	cfg := &types.IntelligentTieringConfiguration{Id: aws.String(id), Status: types.IntelligentTieringStatusEnabled}
	if prefix != "" {
		cfg.Filter = &types.IntelligentTieringFilter{Prefix: aws.String(prefix)}
	}
	if archiveDays > 0 {
		cfg.Tierings = append(cfg.Tierings, types.Tiering{AccessTier: types.IntelligentTieringAccessTierArchiveAccess, Days: aws.Int32(archiveDays)})
	}
	if deepDays > 0 {
		cfg.Tierings = append(cfg.Tierings, types.Tiering{AccessTier: types.IntelligentTieringAccessTierDeepArchiveAccess, Days: aws.Int32(deepDays)})
	}
	return cfg
}

func (c *client) itPut(t testing.TB, bucket string, cfg *types.IntelligentTieringConfiguration) error {
	_, err := c.s3.PutBucketIntelligentTieringConfiguration(ctx(t), &s3.PutBucketIntelligentTieringConfigurationInput{
		Bucket: aws.String(bucket), Id: cfg.Id, IntelligentTieringConfiguration: cfg,
	})
	return err
}

// TestIntelligentTieringConfigurationAPI drives Put, Get, List and Delete
// BucketIntelligentTieringConfiguration through the SDK in every
// addressing style: the document round-trips, listing pages with a
// continuation token, and S3's errors come back.
func TestIntelligentTieringConfigurationAPI(t *testing.T) {
	eachStyle(t, serverOptions{}, func(t *testing.T, c *client) {
		bucket := c.mkBucket(t, "itcfg")
		full := &types.IntelligentTieringConfiguration{
			Id:     aws.String("logs"),
			Status: types.IntelligentTieringStatusEnabled,
			Filter: &types.IntelligentTieringFilter{And: &types.IntelligentTieringAndOperator{
				Prefix: aws.String("logs/"),
				Tags:   []types.Tag{{Key: aws.String("class"), Value: aws.String("log")}, {Key: aws.String("team"), Value: aws.String("ops")}},
			}},
			Tierings: []types.Tiering{
				{AccessTier: types.IntelligentTieringAccessTierArchiveAccess, Days: aws.Int32(90)},
				{AccessTier: types.IntelligentTieringAccessTierDeepArchiveAccess, Days: aws.Int32(180)},
			},
		}
		_, err := c.s3.GetBucketIntelligentTieringConfiguration(ctx(t), &s3.GetBucketIntelligentTieringConfigurationInput{Bucket: &bucket, Id: aws.String("logs")})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchConfiguration")

		must(t, c.itPut(t, bucket, full), "PutBucketIntelligentTieringConfiguration")
		got, err := c.s3.GetBucketIntelligentTieringConfiguration(ctx(t), &s3.GetBucketIntelligentTieringConfigurationInput{Bucket: &bucket, Id: aws.String("logs")})
		must(t, err, "GetBucketIntelligentTieringConfiguration")
		g := got.IntelligentTieringConfiguration
		if g == nil || str(g.Id) != "logs" || g.Status != types.IntelligentTieringStatusEnabled || g.Filter == nil || g.Filter.And == nil ||
			str(g.Filter.And.Prefix) != "logs/" || len(g.Filter.And.Tags) != 2 || len(g.Tierings) != 2 ||
			g.Tierings[0].AccessTier != types.IntelligentTieringAccessTierArchiveAccess || i32(g.Tierings[0].Days) != 90 ||
			g.Tierings[1].AccessTier != types.IntelligentTieringAccessTierDeepArchiveAccess || i32(g.Tierings[1].Days) != 180 {
			t.Fatalf("GetBucketIntelligentTieringConfiguration = %+v", g)
		}

		// 101 configurations list as a page of 100 and one of 1.
		for i := range 100 {
			must(t, c.itPut(t, bucket, itConfig(fmt.Sprintf("cfg-%03d", i), fmt.Sprintf("p%d/", i), 0, 180)), "PutBucketIntelligentTieringConfiguration")
		}
		first, err := c.s3.ListBucketIntelligentTieringConfigurations(ctx(t), &s3.ListBucketIntelligentTieringConfigurationsInput{Bucket: &bucket})
		must(t, err, "ListBucketIntelligentTieringConfigurations")
		if !boolv(first.IsTruncated) || str(first.NextContinuationToken) == "" || len(first.IntelligentTieringConfigurationList) != 100 ||
			str(first.IntelligentTieringConfigurationList[0].Id) != "cfg-000" {
			t.Fatalf("first page: truncated %v, token %q, %d configurations", boolv(first.IsTruncated), str(first.NextContinuationToken), len(first.IntelligentTieringConfigurationList))
		}
		second, err := c.s3.ListBucketIntelligentTieringConfigurations(ctx(t), &s3.ListBucketIntelligentTieringConfigurationsInput{Bucket: &bucket, ContinuationToken: first.NextContinuationToken})
		must(t, err, "ListBucketIntelligentTieringConfigurations (page 2)")
		if boolv(second.IsTruncated) || str(second.ContinuationToken) != str(first.NextContinuationToken) || len(second.IntelligentTieringConfigurationList) != 1 ||
			str(second.IntelligentTieringConfigurationList[0].Id) != "logs" || second.IntelligentTieringConfigurationList[0].Filter.And == nil {
			t.Fatalf("second page = %+v", second)
		}
		_, err = c.s3.ListBucketIntelligentTieringConfigurations(ctx(t), &s3.ListBucketIntelligentTieringConfigurationsInput{Bucket: &bucket, ContinuationToken: aws.String("%%%")})
		wantAPIError(t, err, http.StatusBadRequest, "InvalidArgument")

		for _, tt := range []struct {
			name string
			cfg  *types.IntelligentTieringConfiguration
			code string
		}{
			{"archive before 90 days", itConfig("early", "", 89, 0), "InvalidArgument"},
			{"deep archive before 180 days", itConfig("early", "", 0, 179), "InvalidArgument"},
			{"after two years", itConfig("late", "", 731, 0), "InvalidArgument"},
			{"bad id", itConfig("a/b", "", 90, 0), "InvalidArgument"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				wantAPIError(t, c.itPut(t, bucket, tt.cfg), http.StatusBadRequest, tt.code)
			})
		}
		// What the SDK would refuse to send: no Tiering, and a Tiering
		// without Days.
		for _, doc := range []string{
			`<IntelligentTieringConfiguration><Id>none</Id><Status>Enabled</Status></IntelligentTieringConfiguration>`,
			`<IntelligentTieringConfiguration><Id>none</Id><Status>Enabled</Status><Tiering><AccessTier>ARCHIVE_ACCESS</AccessTier></Tiering></IntelligentTieringConfiguration>`,
		} {
			req := newRequest(t, http.MethodPut, c.url(bucket, "", "intelligent-tiering&id=none"), []byte(doc))
			c.signBody(t, req, []byte(doc))
			resp, body := c.do(t, req)
			wantRawError(t, resp, body, http.StatusBadRequest, "MalformedXML")
		}
		// The id parameter must name the document's Id.
		_, err = c.s3.PutBucketIntelligentTieringConfiguration(ctx(t), &s3.PutBucketIntelligentTieringConfigurationInput{
			Bucket: &bucket, Id: aws.String("other"), IntelligentTieringConfiguration: itConfig("logs", "", 90, 0)})
		wantAPIError(t, err, http.StatusBadRequest, "InvalidArgument")
		wantAPIError(t, c.itPut(t, "no-such-bucket-"+bucket, full), http.StatusNotFound, "NoSuchBucket")

		_, err = c.s3.DeleteBucketIntelligentTieringConfiguration(ctx(t), &s3.DeleteBucketIntelligentTieringConfigurationInput{Bucket: &bucket, Id: aws.String("logs")})
		must(t, err, "DeleteBucketIntelligentTieringConfiguration")
		_, err = c.s3.DeleteBucketIntelligentTieringConfiguration(ctx(t), &s3.DeleteBucketIntelligentTieringConfigurationInput{Bucket: &bucket, Id: aws.String("logs")})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchConfiguration")
		_, err = c.s3.GetBucketIntelligentTieringConfiguration(ctx(t), &s3.GetBucketIntelligentTieringConfigurationInput{Bucket: &bucket, Id: aws.String("logs")})
		wantAPIError(t, err, http.StatusNotFound, "NoSuchConfiguration")
	})
}

// TestIntelligentTieringObjects: an INTELLIGENT_TIERING object just
// written is in Frequent Access under an archiving configuration: HEAD
// reports no archive status, GET reads it, and RestoreObject is refused as
// for any object that is not archived.
func TestIntelligentTieringObjects(t *testing.T) {
	c := newTestServer(t, serverOptions{}).client(styles[0])
	bucket := c.mkBucket(t, "itobj")
	must(t, c.itPut(t, bucket, itConfig("all", "", 90, 180)), "PutBucketIntelligentTieringConfiguration")
	body := bytes.Repeat([]byte("i"), 200<<10)
	_, err := c.s3.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("big"), Body: bytes.NewReader(body),
		StorageClass: types.StorageClassIntelligentTiering})
	must(t, err, "PutObject")

	head, err := c.s3.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("big")})
	must(t, err, "HeadObject")
	if head.StorageClass != types.StorageClassIntelligentTiering || head.ArchiveStatus != "" || head.Restore != nil {
		t.Errorf("HeadObject: storage class %q, archive status %q, restore %q", head.StorageClass, head.ArchiveStatus, str(head.Restore))
	}
	if got := c.get(t, bucket, "big"); !bytes.Equal(got, body) {
		t.Errorf("GetObject returned %d bytes, want %d", len(got), len(body))
	}
	_, err = c.s3.RestoreObject(ctx(t), &s3.RestoreObjectInput{Bucket: &bucket, Key: aws.String("big"),
		RestoreRequest: &types.RestoreRequest{GlacierJobParameters: &types.GlacierJobParameters{Tier: types.TierStandard}}})
	wantAPIError(t, err, http.StatusForbidden, "InvalidObjectState")

	// The listing as sent: S3's root element, no SDK in between.
	req := newRequest(t, http.MethodGet, c.url(bucket, "", "intelligent-tiering"), nil)
	c.signBody(t, req, nil)
	resp, respBody := c.do(t, req)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(respBody), "<ListBucketIntelligentTieringConfigurationsOutput") ||
		!strings.Contains(string(respBody), "<Id>all</Id>") {
		t.Errorf("raw ListBucketIntelligentTieringConfigurations: %d %s", resp.StatusCode, respBody)
	}
}
