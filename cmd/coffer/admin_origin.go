package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
)

// adminOrigin is an origin access identity or control as `coffer admin
// oai|oac` prints it: the Create actions' answer, with the secret only
// from create.
type adminOrigin struct {
	ID                string `xml:"Id" json:"Id"`
	S3CanonicalUserID string `xml:"S3CanonicalUserId" json:"S3CanonicalUserId,omitempty"`
	Comment           string `xml:"Comment" json:"Comment,omitempty"`
	Name              string `xml:"Name" json:"Name,omitempty"`
	DistributionArn   string `xml:"DistributionArn" json:"DistributionArn,omitempty"`
	AccessKeyID       string `xml:"AccessKeyId" json:"AccessKeyId"`
	SecretAccessKey   string `xml:"SecretAccessKey" json:"SecretAccessKey,omitempty"`
	CreateDate        string `xml:"CreateDate" json:"CreateDate"`
}

// originCommands names the server's actions for `oai` and `oac`.
var originCommands = map[string]struct{ create, list, del string }{
	"oai": {"CreateCloudFrontOriginAccessIdentity", "ListCloudFrontOriginAccessIdentities", "DeleteCloudFrontOriginAccessIdentity"},
	"oac": {"CreateOriginAccessControl", "ListOriginAccessControls", "DeleteOriginAccessControl"},
}

// runAdminOrigin runs `coffer admin oai|oac create|list|delete`: the
// credentials a `coffer edge` signs origin requests with, owned by the
// account whose keys sign the command. create prints the new credential
// with its secret (the only time it is shown), list every credential of
// the kind without secrets, delete nothing.
func runAdminOrigin(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	kind := args[0]
	if len(args) < 2 {
		return errors.New(adminUsage)
	}
	cmd := originCommands[kind]
	fs := flag.NewFlagSet("admin "+kind+" "+args[1], flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", getenv("AWS_ENDPOINT_URL"), "server URL")
	comment := fs.String("comment", "", "comment (oai create)")
	distribution := fs.String("distribution-arn", "", "the distribution's ARN, arn:aws:cloudfront::ACCOUNT:distribution/ID (oac create)")
	name := fs.String("name", "", "name, unique in the account; default the distribution's ID (oac create)")
	id := fs.String("id", "", "the credential's ID, E… (delete)")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("admin: unexpected arguments: %q", fs.Args())
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
		form := url.Values{"Action": {cmd.create}}
		switch {
		case kind == "oai":
			form.Set("Comment", *comment)
		case *distribution == "":
			return errors.New("admin: --distribution-arn is required")
		default:
			form.Set("DistributionArn", *distribution)
			form.Set("Name", *name)
		}
		var out struct {
			OAI adminOrigin `xml:"CreateCloudFrontOriginAccessIdentityResult>CloudFrontOriginAccessIdentity"`
			OAC adminOrigin `xml:"CreateOriginAccessControlResult>OriginAccessControl"`
		}
		if err := c.call(ctx, form, &out); err != nil {
			return err
		}
		o := out.OAI
		if kind == "oac" {
			o = out.OAC
		}
		if o.ID == "" || o.SecretAccessKey == "" {
			return errors.New("admin: the server's answer holds no credential")
		}
		return writeJSON(stdout, o)
	case "list":
		var out struct {
			OAIs []adminOrigin `xml:"ListCloudFrontOriginAccessIdentitiesResult>Items>member"`
			OACs []adminOrigin `xml:"ListOriginAccessControlsResult>Items>member"`
		}
		if err := c.call(ctx, url.Values{"Action": {cmd.list}}, &out); err != nil {
			return err
		}
		return writeJSON(stdout, append(append([]adminOrigin{}, out.OAIs...), out.OACs...))
	case "delete":
		if *id == "" {
			return errors.New("admin: --id is required")
		}
		var out struct{}
		return c.call(ctx, url.Values{"Action": {cmd.del}, "Id": {*id}}, &out)
	}
	return fmt.Errorf("admin: unknown command %q\n%s", args[1], adminUsage)
}
