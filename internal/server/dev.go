package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/object"
)

// DevBucket is the bucket `coffer dev`'s edge serves.
const DevBucket = "demo"

// devEdgeFile keeps the OAI of `coffer dev`'s edge in the data dir (which
// holds the root credentials in clear as well), so restarts reuse it.
const devEdgeFile = "dev-edge.json"

// DevOrigin is what `coffer dev`'s edge needs to read DevBucket: an OAI
// key of the first account.
type DevOrigin struct {
	OAI             string
	AccessKeyID     string
	SecretAccessKey string
}

// DevEdgeOrigin prepares the demo distribution's origin on first use: the
// bucket DevBucket with an index.html, a bucket policy letting only a new
// OAI of the first account read it, and that OAI (kept in
// DataDir/dev-edge.json). Later starts reuse them as they are.
func (s *Server) DevEdgeOrigin(ctx context.Context) (DevOrigin, error) {
	file := filepath.Join(s.cfg.DataDir, devEdgeFile)
	var o DevOrigin
	if b, err := os.ReadFile(file); err == nil {
		if err := json.Unmarshal(b, &o); err != nil {
			return o, fmt.Errorf("server: %s: %w", file, err)
		}
		return o, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return o, err
	}
	account := s.root.AccountID
	oai, err := s.iam.CreateOriginAccessIdentity(ctx, account, "coffer dev edge")
	if err != nil {
		return o, fmt.Errorf("server: dev edge OAI: %w", err)
	}
	o = DevOrigin{OAI: oai.ID, AccessKeyID: oai.AccessKeyID(), SecretAccessKey: oai.SecretAccessKey}
	if err := s.objects.CreateBucket(ctx, account, DevBucket, s.cfg.Region); err != nil && !errors.Is(err, object.ErrBucketAlreadyOwnedByYou) {
		return o, fmt.Errorf("server: dev bucket: %w", err)
	}
	page := "<!doctype html><title>coffer</title><h1>Served by coffer edge</h1><p>This is s3://" + DevBucket + "/index.html.</p>\n"
	_, err = s.objects.PutObject(ctx, object.PutInput{Bucket: DevBucket, Key: "index.html", Owner: account,
		Body: strings.NewReader(page), Size: int64(len(page)), Headers: meta.ObjectHeaders{ContentType: "text/html; charset=utf-8"},
		IfNoneMatch: "*"}) // keep an index.html the user put there
	if err != nil && !errors.Is(err, object.ErrPreconditionFailed) {
		return o, fmt.Errorf("server: dev bucket: %w", err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"DevEdge","Effect":"Allow",` +
		`"Principal":{"AWS":"` + s.iam.OriginIdentityARN(oai.ID) + `"},` +
		`"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::` + DevBucket + `","arn:aws:s3:::` + DevBucket + `/*"]}]}`
	if err := s.objects.PutBucketPolicy(ctx, DevBucket, []byte(policy)); err != nil {
		return o, fmt.Errorf("server: dev bucket policy: %w", err)
	}
	b, err := json.Marshal(o)
	if err != nil {
		return o, err
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		return o, fmt.Errorf("server: %w", err)
	}
	return o, nil
}
