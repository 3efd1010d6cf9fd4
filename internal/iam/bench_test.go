package iam_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coffer-project/coffer/internal/iam"
	"github.com/coffer-project/coffer/internal/meta"
)

// BenchmarkUserRequestIdentity is what an IAM user's request costs IAM
// before policy evaluation: the access key's lookup (secret unsealed
// once, then cached) and the user's identity policies (an inline policy
// of 5 statements, a group policy of 5; parsed once, then cached), from
// the in-memory snapshot that is trusted for a second between revision
// reads. Policy evaluation is BenchmarkAuthorizeGetObject's (s3api).
func BenchmarkUserRequestIdentity(b *testing.B) {
	ctx := context.Background()
	store, err := meta.OpenSQLite(ctx, filepath.Join(b.TempDir(), "meta.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	sealer, err := iam.NewKeySealer(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		b.Fatal(err)
	}
	svc := &iam.Service{Store: store, Sealer: sealer}
	const account = "111122223333"
	if _, err := svc.EnsureAccount(ctx, account, "bench"); err != nil {
		b.Fatal(err)
	}
	doc := func(n int, prefix string) string {
		var st []string
		for i := range n {
			st = append(st, fmt.Sprintf(`{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::%s%d/*"}`, prefix, i))
		}
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(st, ",") + `]}`
	}
	steps := []error{
		func() error { _, err := svc.CreateUser(ctx, account, "alice", "", nil); return err }(),
		svc.PutInlinePolicy(ctx, account, iam.KindUser, "alice", "own", doc(5, "user")),
		func() error { _, err := svc.CreateGroup(ctx, account, "team", ""); return err }(),
		svc.PutInlinePolicy(ctx, account, iam.KindGroup, "team", "shared", doc(5, "team")),
		svc.AddUserToGroup(ctx, account, "team", "alice"),
	}
	for _, err := range steps {
		if err != nil {
			b.Fatal(err)
		}
	}
	key, _, err := svc.CreateAccessKey(ctx, account, "alice")
	if err != nil {
		b.Fatal(err)
	}
	creds := &iam.Credentials{IAM: svc}
	b.ReportAllocs()
	for b.Loop() {
		c, err := creds.Lookup(ctx, key.AccessKeyID)
		if err != nil {
			b.Fatal(err)
		}
		ps, err := svc.IdentityPolicies(ctx, c.Principal)
		if err != nil || len(ps) != 2 {
			b.Fatalf("%d policies, %v", len(ps), err)
		}
	}
}
