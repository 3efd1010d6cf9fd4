package kmsapi_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/coffer-project/coffer/internal/kmsapi"
)

// principalClient creates a principal in the server's keystore and returns
// an SDK client signing as it, with its ARN and access key id.
func (s *testServer) principalClient(t *testing.T, name string) (c *kms.Client, arn, accessKeyID string) {
	t.Helper()
	p, err := s.srv.Store().CreatePrincipal(t.Context(), name, "")
	if err != nil {
		t.Fatal(err)
	}
	return kms.New(kms.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(p.AccessKeyID, p.SecretAccessKey, ""),
		Retryer:      aws.NopRetryer{},
	}), p.ARN, p.AccessKeyID
}

func TestPrincipalWithoutPermissionIsDenied(t *testing.T) {
	ts := startServer(t)
	admin := ts.client(testSecretKey)
	app, _, _ := ts.principalClient(t, "app")
	ctx := t.Context()
	keyID := aws.ToString(must(admin.CreateKey(ctx, &kms.CreateKeyInput{}))(t).KeyMetadata.KeyId)
	blob := must(admin.Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("secret")}))(t).CiphertextBlob

	calls := []struct {
		name string
		call func() error
	}{
		{"Encrypt", func() error {
			_, err := app.Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("x")})
			return err
		}},
		{"Decrypt", func() error { _, err := app.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob}); return err }},
		{"GenerateDataKey", func() error {
			_, err := app.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: &keyID, KeySpec: types.DataKeySpecAes256})
			return err
		}},
		{"DescribeKey", func() error { _, err := app.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &keyID}); return err }},
		{"CreateKey", func() error { _, err := app.CreateKey(ctx, &kms.CreateKeyInput{}); return err }},
		{"PutKeyPolicy", func() error {
			_, err := app.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: &keyID, Policy: aws.String(`{}`)})
			return err
		}},
		{"CreateGrant", func() error {
			_, err := app.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: &keyID, GranteePrincipal: aws.String("111122223333"),
				Operations: []types.GrantOperation{types.GrantOperationDecrypt}})
			return err
		}},
	}
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), "AccessDeniedException") })
	}
}

func TestKeyPolicyAllowsPrincipal(t *testing.T) {
	ts := startServer(t)
	admin := ts.client(testSecretKey)
	app, appARN, _ := ts.principalClient(t, "app")
	ctx := t.Context()
	md := must(admin.CreateKey(ctx, &kms.CreateKeyInput{}))(t).KeyMetadata
	keyID := aws.ToString(md.KeyId)
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
		{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"kms:*","Resource":"*"},
		{"Sid":"AppDecrypts","Effect":"Allow","Principal":{"AWS":%q},"Action":"kms:Decrypt","Resource":"*"}]}`,
		aws.ToString(md.AWSAccountId), appARN)
	must(admin.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: &keyID, Policy: &policy, PolicyName: aws.String("default")}))(t)
	got := aws.ToString(must(admin.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: &keyID}))(t).Policy)
	if got != policy {
		t.Fatalf("GetKeyPolicy = %s, want the policy put", got)
	}

	ec := map[string]string{"purpose": "test"}
	blob := must(admin.Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("secret"), EncryptionContext: ec}))(t).CiphertextBlob
	for _, ref := range []*string{nil, &keyID} {
		out := must(app.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob, KeyId: ref, EncryptionContext: ec}))(t)
		if !bytes.Equal(out.Plaintext, []byte("secret")) {
			t.Fatalf("Decrypt = %q", out.Plaintext)
		}
	}
	_, err := app.Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("x")})
	wantCode(t, err, "AccessDeniedException")
	_, err = app.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: blob, SourceEncryptionContext: ec, DestinationKeyId: &keyID})
	wantCode(t, err, "AccessDeniedException")

	t.Run("lockout check", func(t *testing.T) {
		_, err := admin.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: &keyID, Policy: aws.String(fmt.Sprintf(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":%q},"Action":"kms:*","Resource":"*"}]}`, appARN))})
		wantCode(t, err, "MalformedPolicyDocumentException")
	})
}

func TestGrantWithEncryptionContextSubset(t *testing.T) {
	ts := startServer(t)
	admin := ts.client(testSecretKey)
	app, appARN, _ := ts.principalClient(t, "app")
	ctx := t.Context()
	keyID := aws.ToString(must(admin.CreateKey(ctx, &kms.CreateKeyInput{}))(t).KeyMetadata.KeyId)

	createGrant := func(t *testing.T) *kms.CreateGrantOutput {
		t.Helper()
		return must(admin.CreateGrant(ctx, &kms.CreateGrantInput{
			KeyId: &keyID, GranteePrincipal: &appARN, RetiringPrincipal: &appARN, Name: aws.String("app-dept-a"),
			Operations:  []types.GrantOperation{types.GrantOperationGenerateDataKey, types.GrantOperationDecrypt},
			Constraints: &types.GrantConstraints{EncryptionContextSubset: map[string]string{"dept": "a"}},
		}))(t)
	}
	generate := func(ec map[string]string) (*kms.GenerateDataKeyOutput, error) {
		return app.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: &keyID, KeySpec: types.DataKeySpecAes256, EncryptionContext: ec})
	}
	matching := map[string]string{"dept": "a", "x": "y"}

	grant := createGrant(t)
	t.Run("matching context", func(t *testing.T) {
		dk := must(generate(matching))(t)
		out := must(app.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: matching}))(t)
		if !bytes.Equal(out.Plaintext, dk.Plaintext) {
			t.Fatal("Decrypt returned another data key")
		}
	})
	t.Run("other context", func(t *testing.T) {
		_, err := generate(map[string]string{"dept": "b"})
		wantCode(t, err, "AccessDeniedException")
		_, err = generate(nil)
		wantCode(t, err, "AccessDeniedException")
		blob := must(admin.Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("x"),
			EncryptionContext: map[string]string{"dept": "b"}}))(t).CiphertextBlob
		_, err = app.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: map[string]string{"dept": "b"}})
		wantCode(t, err, "AccessDeniedException")
	})
	t.Run("operation not granted", func(t *testing.T) {
		_, err := app.Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("x"), EncryptionContext: matching})
		wantCode(t, err, "AccessDeniedException")
	})
	t.Run("ListGrants", func(t *testing.T) {
		out := must(admin.ListGrants(ctx, &kms.ListGrantsInput{KeyId: &keyID}))(t)
		if len(out.Grants) != 1 {
			t.Fatalf("ListGrants: %d grants, want 1", len(out.Grants))
		}
		g := out.Grants[0]
		if aws.ToString(g.GrantId) != aws.ToString(grant.GrantId) || aws.ToString(g.GranteePrincipal) != appARN ||
			aws.ToString(g.RetiringPrincipal) != appARN || aws.ToString(g.Name) != "app-dept-a" || len(g.Operations) != 2 ||
			g.Constraints == nil || g.Constraints.EncryptionContextSubset["dept"] != "a" || g.CreationDate == nil {
			t.Fatalf("ListGrants entry: %+v", g)
		}
		retirable := must(admin.ListRetirableGrants(ctx, &kms.ListRetirableGrantsInput{RetiringPrincipal: &appARN}))(t)
		if len(retirable.Grants) != 1 || aws.ToString(retirable.Grants[0].GrantId) != aws.ToString(grant.GrantId) {
			t.Fatalf("ListRetirableGrants: %+v", retirable.Grants)
		}
	})
	t.Run("RetireGrant", func(t *testing.T) {
		must(app.RetireGrant(ctx, &kms.RetireGrantInput{GrantToken: grant.GrantToken}))(t)
		_, err := generate(matching)
		wantCode(t, err, "AccessDeniedException")
	})
	t.Run("RevokeGrant", func(t *testing.T) {
		g := createGrant(t)
		must(generate(matching))(t)
		_, err := app.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: &keyID, GrantId: g.GrantId})
		wantCode(t, err, "AccessDeniedException")
		must(admin.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: &keyID, GrantId: g.GrantId}))(t)
		_, err = generate(matching)
		wantCode(t, err, "AccessDeniedException")
		if n := len(must(admin.ListGrants(ctx, &kms.ListGrantsInput{KeyId: &keyID}))(t).Grants); n != 0 {
			t.Fatalf("ListGrants after revoking: %d grants", n)
		}
	})
}

func TestPrincipalCredentials(t *testing.T) {
	ts := startServer(t)
	ctx := t.Context()
	p, err := ts.srv.Store().CreatePrincipal(ctx, "storage", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.srv.Store().CreatePrincipal(ctx, "storage", ""); err == nil {
		t.Fatal("CreatePrincipal twice with one name succeeded")
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("principal", "p", p)
	if bytes.Contains(logged.Bytes(), []byte(p.SecretAccessKey)) {
		t.Fatalf("the secret was logged: %s", logged.String())
	}
	wrong := kms.New(kms.Options{
		Region: testRegion, BaseEndpoint: aws.String(ts.URL), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider(p.AccessKeyID, p.SecretAccessKey+"x", ""),
	})
	_, err = wrong.ListKeys(ctx, &kms.ListKeysInput{})
	wantCode(t, err, "InvalidSignatureException")
}

func TestCreatePrincipalReopensDataDir(t *testing.T) {
	dir := t.TempDir()
	cfg := kmsapi.ServerConfig{DataDir: dir, Region: testRegion, RootAccessKey: testAccessKey, RootSecretKey: testSecretKey}
	p, generated, err := kmsapi.CreatePrincipal(context.Background(), cfg, "app", "")
	if err != nil || generated {
		t.Fatalf("CreatePrincipal: generated=%v, %v", generated, err)
	}
	srv, err := kmsapi.NewServer(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, _, err := kmsapi.CreatePrincipal(context.Background(), cfg, "other", ""); err == nil {
		t.Fatal("CreatePrincipal on a data dir in use succeeded")
	}
	got, err := srv.Store().LookupPrincipal(t.Context(), p.AccessKeyID)
	if err != nil || got.SecretAccessKey != p.SecretAccessKey || got.ARN != p.ARN {
		t.Fatalf("LookupPrincipal = %+v, %v", got, err)
	}
}

// TestReEncryptNeedsBothHalves: ReEncrypt is kms:ReEncryptFrom on the
// source key and kms:ReEncryptTo on the destination, each granted apart.
func TestReEncryptNeedsBothHalves(t *testing.T) {
	ts := startServer(t)
	admin := ts.client(testSecretKey)
	app, appARN, _ := ts.principalClient(t, "app")
	ctx := t.Context()
	src := aws.ToString(must(admin.CreateKey(ctx, &kms.CreateKeyInput{}))(t).KeyMetadata.KeyId)
	dst := aws.ToString(must(admin.CreateKey(ctx, &kms.CreateKeyInput{}))(t).KeyMetadata.KeyId)
	blob := must(admin.Encrypt(ctx, &kms.EncryptInput{KeyId: &src, Plaintext: []byte("moving")}))(t).CiphertextBlob
	grant := func(key string, op types.GrantOperation) {
		must(admin.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: &key, GranteePrincipal: &appARN,
			Operations: []types.GrantOperation{op}}))(t)
	}
	reEncrypt := func() (*kms.ReEncryptOutput, error) {
		return app.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: blob, DestinationKeyId: &dst})
	}

	grant(src, types.GrantOperationReEncryptFrom)
	_, err := reEncrypt()
	wantCode(t, err, "AccessDeniedException")
	grant(dst, types.GrantOperationReEncryptTo)
	out := must(reEncrypt())(t)
	_, err = app.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: out.CiphertextBlob})
	wantCode(t, err, "AccessDeniedException")
	dec := must(admin.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: out.CiphertextBlob}))(t)
	if !bytes.Equal(dec.Plaintext, []byte("moving")) || !strings.HasSuffix(aws.ToString(dec.KeyId), dst) {
		t.Fatalf("after ReEncrypt: %q under %s", dec.Plaintext, aws.ToString(dec.KeyId))
	}
}
