package iam_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/iam"
	"github.com/coffer-project/coffer/internal/policy"
)

var originIDRE = regexp.MustCompile(`^E[A-Z2-7]{13}$`)

func TestOriginAccessIdentity(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	o, err := e.svc.CreateOriginAccessIdentity(ctx, testAccountID, "media edge")
	must(t, err)
	if !originIDRE.MatchString(o.ID) || o.Kind != iam.OriginKindOAI || o.Comment != "media edge" {
		t.Errorf("created %+v, want an OAI with an E… ID and the comment", o.OriginAccess)
	}
	if len(o.CanonicalUser) != 96 || strings.Trim(o.CanonicalUser, "0123456789abcdef") != "" {
		t.Errorf("S3CanonicalUserId %q, want 96 hex digits", o.CanonicalUser)
	}
	if o.SecretAccessKey == "" || !strings.HasPrefix(o.AccessKeyID(), "AKIA") {
		t.Errorf("access key %q / secret %q", o.AccessKeyID(), o.SecretAccessKey)
	}

	cred, err := e.creds.Lookup(ctx, o.AccessKeyID())
	must(t, err)
	p := cred.Principal
	wantARN := "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity " + o.ID
	if cred.SecretKey != o.SecretAccessKey || p.ARN != wantARN || p.AccountID != testAccountID ||
		p.Origin == nil || p.Origin.ID != o.ID || p.Origin.CanonicalUser != o.CanonicalUser || p.Origin.SourceARN != "" {
		t.Fatalf("Lookup = %+v (origin %+v), want the OAI principal %s of account %s", p, p.Origin, wantARN, testAccountID)
	}
	pp := iam.PolicyPrincipal(p)
	if pp.Type != policy.PrincipalService || pp.ARN != wantARN || pp.CanonicalUser != o.CanonicalUser || pp.Account != "" {
		t.Errorf("PolicyPrincipal = %+v, want a service principal known by the OAI's ARN and canonical ID", pp)
	}
	if ps, err := e.svc.IdentityPolicies(ctx, p); err != nil || ps != nil {
		t.Errorf("IdentityPolicies = %v, %v; an OAI has none", ps, err)
	}

	list, err := e.svc.ListOriginAccess(ctx, testAccountID, iam.OriginKindOAI)
	must(t, err)
	if len(list) != 1 || list[0].ID != o.ID {
		t.Errorf("ListOriginAccess(oai) = %+v", list)
	}
	if list, _ := e.svc.ListOriginAccess(ctx, testAccountID, iam.OriginKindOAC); len(list) != 0 {
		t.Errorf("ListOriginAccess(oac) = %+v, want none", list)
	}

	// Deleting revokes the key: on this server at once, on another
	// sharing the database once its snapshot's RevisionCheck has passed.
	other := &iam.Credentials{IAM: e.service(t, time.Second)}
	if _, err := other.Lookup(ctx, o.AccessKeyID()); err != nil {
		t.Fatalf("another server's Lookup before the delete: %v", err)
	}
	must(t, e.svc.DeleteOriginAccess(ctx, testAccountID, iam.OriginKindOAI, o.ID))
	e.clock.Advance(2 * time.Second)
	for name, c := range map[string]*iam.Credentials{"this server": e.creds, "another server": other} {
		if _, err := c.Lookup(ctx, o.AccessKeyID()); !errors.Is(err, auth.ErrInvalidAccessKeyID) {
			t.Errorf("%s: Lookup after delete: %v, want ErrInvalidAccessKeyID", name, err)
		}
	}
	wantCode(t, e.svc.DeleteOriginAccess(ctx, testAccountID, iam.OriginKindOAI, o.ID), iam.CodeNoSuchEntity)
}

func TestOriginAccessControl(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	dist := "arn:aws:cloudfront::" + testAccountID + ":distribution/E1EXAMPLE"
	o, err := e.svc.CreateOriginAccessControl(ctx, testAccountID, "", dist)
	must(t, err)
	if !originIDRE.MatchString(o.ID) || o.Kind != iam.OriginKindOAC || o.SourceARN != dist || o.Comment != "E1EXAMPLE" || o.CanonicalUser != "" {
		t.Errorf("created %+v, want an OAC for %s named after the distribution", o.OriginAccess, dist)
	}
	cred, err := e.creds.Lookup(ctx, o.AccessKeyID())
	must(t, err)
	p := cred.Principal
	if p.Origin == nil || p.Origin.SourceARN != dist || p.AccountID != testAccountID || p.UserName != "" {
		t.Fatalf("Lookup = %+v (origin %+v), want the OAC of %s", p, p.Origin, dist)
	}
	if pp := iam.PolicyPrincipal(p); pp.Type != policy.PrincipalService || pp.Service != "cloudfront.amazonaws.com" || pp.ARN != "" || pp.Account != "" {
		t.Errorf("PolicyPrincipal = %+v, want the service principal cloudfront.amazonaws.com", pp)
	}
	wantCode(t, func() error { _, err := e.svc.CreateOriginAccessControl(ctx, testAccountID, "", dist); return err }(), iam.CodeEntityExists)
	second, err := e.svc.CreateOriginAccessControl(ctx, testAccountID, "rotated", dist)
	must(t, err)
	list, err := e.svc.ListOriginAccess(ctx, testAccountID, iam.OriginKindOAC)
	must(t, err)
	if len(list) != 2 {
		t.Errorf("ListOriginAccess(oac) = %+v, want two", list)
	}
	must(t, e.svc.DeleteOriginAccess(ctx, testAccountID, iam.OriginKindOAC, o.ID))
	if _, err := e.creds.Lookup(ctx, o.AccessKeyID()); !errors.Is(err, auth.ErrInvalidAccessKeyID) {
		t.Errorf("Lookup of a deleted OAC's key: %v", err)
	}
	if _, err := e.creds.Lookup(ctx, second.AccessKeyID()); err != nil {
		t.Errorf("Lookup of the other OAC's key after the delete: %v", err)
	}
	// An OAI's ID does not delete an OAC, nor the reverse.
	wantCode(t, e.svc.DeleteOriginAccess(ctx, testAccountID, iam.OriginKindOAI, second.ID), iam.CodeNoSuchEntity)
}

func TestCreateOriginAccessErrors(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	tests := []struct {
		name, dist, oacName string
		code                string
	}{
		{"another account's distribution", "arn:aws:cloudfront::999988887777:distribution/E1EXAMPLE", "", iam.CodeInvalidInput},
		{"another partition", "arn:aws-cn:cloudfront::" + testAccountID + ":distribution/E1EXAMPLE", "", iam.CodeInvalidInput},
		{"not a distribution", "arn:aws:cloudfront::" + testAccountID + ":origin-access-control/E1EXAMPLE", "", iam.CodeInvalidInput},
		{"a region", "arn:aws:cloudfront:us-east-1:" + testAccountID + ":distribution/E1EXAMPLE", "", iam.CodeInvalidInput},
		{"a wildcard", "arn:aws:cloudfront::" + testAccountID + ":distribution/*", "", iam.CodeInvalidInput},
		{"empty", "", "", iam.CodeInvalidInput},
		{"name too long", "arn:aws:cloudfront::" + testAccountID + ":distribution/E1EXAMPLE", strings.Repeat("n", 65), iam.CodeInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.CreateOriginAccessControl(ctx, testAccountID, tt.oacName, tt.dist)
			wantCode(t, err, tt.code)
		})
	}
	t.Run("comment too long", func(t *testing.T) {
		_, err := e.svc.CreateOriginAccessIdentity(ctx, testAccountID, strings.Repeat("c", 129))
		wantCode(t, err, iam.CodeInvalidInput)
	})
	t.Run("quota", func(t *testing.T) {
		for i := range iam.MaxOriginAccess {
			if _, err := e.svc.CreateOriginAccessIdentity(ctx, testAccountID, fmt.Sprint(i)); err != nil {
				t.Fatal(err)
			}
		}
		_, err := e.svc.CreateOriginAccessIdentity(ctx, testAccountID, "one too many")
		wantCode(t, err, iam.CodeLimitExceeded)
		// The OACs' quota is separate.
		_, err = e.svc.CreateOriginAccessControl(ctx, testAccountID, "", "arn:aws:cloudfront::"+testAccountID+":distribution/E1EXAMPLE")
		must(t, err)
	})
}

func TestOriginSecretStaysOutOfLogs(t *testing.T) {
	e := newEnv(t)
	o, err := e.svc.CreateOriginAccessIdentity(context.Background(), testAccountID, "")
	must(t, err)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("created", "oai", o)
	if strings.Contains(buf.String(), o.SecretAccessKey) || !strings.Contains(buf.String(), o.AccessKeyID()) {
		t.Errorf("log line %s: want the key ID and not the secret", buf.String())
	}
}
