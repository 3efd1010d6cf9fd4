package edge

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/coffer-project/coffer/internal/auth"
)

// emptySHA256 is the SHA-256 of an empty payload: origin GETs and HEADs
// sign it.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// origin fetches a distribution's objects from its bucket, path-style,
// signed (SigV4, service s3) with the distribution's OAI or OAC
// credential, or unsigned for a public bucket.
type origin struct {
	base   *url.URL // endpoint
	bucket string
	region string
	creds  *aws.Credentials // nil: public
	client *http.Client
	signer *v4.Signer
}

func newOrigin(o Origin, client *http.Client) (*origin, error) {
	u, err := url.Parse(strings.TrimRight(o.Endpoint, "/"))
	if err != nil {
		return nil, err
	}
	org := &origin{base: u, bucket: o.Bucket, region: o.Region, client: client, signer: v4.NewSigner()}
	if o.Access != "public" {
		org.creds = &aws.Credentials{AccessKeyID: o.AccessKeyID, SecretAccessKey: o.SecretAccessKey, Source: "coffer-edge"}
	}
	return org, nil
}

// request builds a signed request to the origin for key (no leading
// slash) with the given query and body.
func (o *origin) request(ctx context.Context, method, key string, query url.Values, header http.Header, body io.Reader, bodyHash string) (*http.Request, error) {
	u := *o.base
	u.Path = strings.TrimRight(u.Path, "/") + "/" + o.bucket + "/" + key
	u.RawPath = strings.TrimRight(o.base.EscapedPath(), "/") + "/" + auth.EncodePath(o.bucket+"/"+key)
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if o.creds == nil {
		return req, nil
	}
	if bodyHash == "" {
		bodyHash = emptySHA256
	}
	req.Header.Set("X-Amz-Content-Sha256", bodyHash)
	if err := o.signer.SignHTTP(ctx, *o.creds, req, bodyHash, "s3", o.region, time.Now()); err != nil {
		return nil, err
	}
	return req, nil
}

// get fetches key with the extra headers (Range, If-None-Match, …).
func (o *origin) get(ctx context.Context, key string, query url.Values, h http.Header) (*http.Response, error) {
	req, err := o.request(ctx, http.MethodGet, key, query, h, nil, "")
	if err != nil {
		return nil, err
	}
	return o.client.Do(req)
}
