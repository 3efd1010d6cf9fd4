package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const adminUsage = `usage:
  coffer admin account create --name NAME --endpoint URL
  coffer admin account list --endpoint URL
  coffer admin usage --endpoint URL [--bucket BUCKET]
  coffer admin oai create --endpoint URL [--comment C] | oai list --endpoint URL | oai delete --endpoint URL --id ID
  coffer admin oac create --endpoint URL --distribution-arn ARN [--name N] | oac list … | oac delete … --id ID
credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else COFFER_ROOT_ACCESS_KEY/COFFER_ROOT_SECRET_KEY
(the first account's root user; usage also takes an account's own keys and reports its buckets;
oai and oac make credentials for coffer edge, owned by the account of the keys used)`

// runAdmin runs `coffer admin …`: operator commands sent to a running
// server's IAM endpoint, signed with the operator's credentials.
func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 && args[0] == "usage" {
		return runAdminUsage(ctx, args[1:], stdout, stderr, getenv)
	}
	if len(args) > 0 && (args[0] == "oai" || args[0] == "oac") {
		return runAdminOrigin(ctx, args, stdout, stderr, getenv)
	}
	if len(args) < 2 || args[0] != "account" {
		return errors.New(adminUsage)
	}
	fs := flag.NewFlagSet("admin account "+args[1], flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", getenv("AWS_ENDPOINT_URL"), "server URL")
	name := fs.String("name", "", "account name (create)")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	if *endpoint == "" {
		return errors.New("admin: --endpoint is required")
	}
	c, err := newAdminClient(*endpoint, getenv)
	if err != nil {
		return err
	}
	switch args[1] {
	case "create":
		if *name == "" {
			return errors.New("admin: --name is required")
		}
		var out struct {
			Account adminAccount `xml:"CreateAccountResult>Account"`
		}
		if err := c.call(ctx, url.Values{"Action": {"CreateAccount"}, "AccountName": {*name}}, &out); err != nil {
			return err
		}
		return writeJSON(stdout, out.Account)
	case "list":
		var out struct {
			Accounts []adminAccount `xml:"ListAccountsResult>Accounts>member"`
		}
		if err := c.call(ctx, url.Values{"Action": {"ListAccounts"}}, &out); err != nil {
			return err
		}
		if out.Accounts == nil {
			out.Accounts = []adminAccount{}
		}
		return writeJSON(stdout, out.Accounts)
	}
	return fmt.Errorf("admin: unknown command %q\n%s", args[1], adminUsage)
}

type adminAccount struct {
	AccountID       string `xml:"AccountId" json:"AccountId"`
	AccountName     string `xml:"AccountName" json:"AccountName"`
	CanonicalUserID string `xml:"CanonicalUserId" json:"CanonicalUserId"`
	AccessKeyID     string `xml:"AccessKeyId" json:"AccessKeyId,omitempty"`
	SecretAccessKey string `xml:"SecretAccessKey" json:"SecretAccessKey,omitempty"`
}

// adminUsageRow is one bucket's use of one storage class, as GetUsage
// answers and `coffer admin usage` prints it.
type adminUsageRow struct {
	Bucket            string `xml:"Bucket" json:"Bucket"`
	AccountID         string `xml:"AccountId" json:"AccountId"`
	StorageClass      string `xml:"StorageClass" json:"StorageClass"`
	Objects           int64  `xml:"Objects" json:"Objects"`
	Bytes             int64  `xml:"Bytes" json:"Bytes"`
	BillableBytes     int64  `xml:"BillableBytes" json:"BillableBytes"`
	NoncurrentObjects int64  `xml:"NoncurrentObjects" json:"NoncurrentObjects"`
	NoncurrentBytes   int64  `xml:"NoncurrentBytes" json:"NoncurrentBytes"`
	DeleteMarkers     int64  `xml:"DeleteMarkers" json:"DeleteMarkers"`
}

// runAdminUsage runs `coffer admin usage`: every page of GetUsage, printed
// as one JSON array.
func runAdminUsage(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("admin usage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", getenv("AWS_ENDPOINT_URL"), "server URL")
	bucket := fs.String("bucket", "", "report only this bucket")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *endpoint == "" {
		return errors.New("admin: --endpoint is required")
	}
	c, err := newAdminClient(*endpoint, getenv)
	if err != nil {
		return err
	}
	rows := []adminUsageRow{}
	for marker := ""; ; {
		form := url.Values{"Action": {"GetUsage"}, "MaxItems": {"1000"}}
		if *bucket != "" {
			form.Set("Bucket", *bucket)
		}
		if marker != "" {
			form.Set("Marker", marker)
		}
		var out struct {
			Rows        []adminUsageRow `xml:"GetUsageResult>Usage>member"`
			IsTruncated bool            `xml:"GetUsageResult>IsTruncated"`
			Marker      string          `xml:"GetUsageResult>Marker"`
		}
		if err := c.call(ctx, form, &out); err != nil {
			return err
		}
		rows = append(rows, out.Rows...)
		if !out.IsTruncated || out.Marker == "" {
			break
		}
		marker = out.Marker
	}
	return writeJSON(stdout, rows)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

type adminClient struct {
	endpoint string
	creds    aws.Credentials
	http     *http.Client
}

func newAdminClient(endpoint string, getenv func(string) string) (*adminClient, error) {
	access, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if access == "" || secret == "" {
		access, secret = getenv("COFFER_ROOT_ACCESS_KEY"), getenv("COFFER_ROOT_SECRET_KEY")
	}
	if access == "" || secret == "" {
		return nil, errors.New("admin: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or COFFER_ROOT_ACCESS_KEY and COFFER_ROOT_SECRET_KEY) to the operator's credentials")
	}
	return &adminClient{endpoint: strings.TrimRight(endpoint, "/") + "/",
		creds: aws.Credentials{AccessKeyID: access, SecretAccessKey: secret}, http: &http.Client{Timeout: time.Minute}}, nil
}

// call sends one IAM query request and decodes its XML answer into out.
func (c *adminClient) call(ctx context.Context, form url.Values, out any) error {
	form.Set("Version", "2010-05-08")
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, c.creds, req, hex.EncodeToString(sum[:]), "iam", "us-east-1", time.Now()); err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Code    string `xml:"Error>Code"`
			Message string `xml:"Error>Message"`
		}
		if xml.Unmarshal(b, &e) == nil && e.Code != "" {
			return fmt.Errorf("admin: %s: %s", e.Code, e.Message)
		}
		return fmt.Errorf("admin: HTTP %s", resp.Status)
	}
	if err := xml.Unmarshal(b, out); err != nil {
		return fmt.Errorf("admin: decoding the answer: %w", err)
	}
	return nil
}
