package kmsapi_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/coffer-project/coffer/internal/kmsapi"
)

// auditLine is the shape of an audit record, as an operator's tool reads it.
type auditLine struct {
	Time                  time.Time `json:"time"`
	RequestID             string    `json:"request_id"`
	Principal             string    `json:"principal"`
	AccessKeyID           string    `json:"access_key_id"`
	Operation             string    `json:"operation"`
	KeyID                 string    `json:"key_id"`
	EncryptionContextKeys []string  `json:"encryption_context_keys"`
	GrantID               string    `json:"grant_id"`
	Result                string    `json:"result"`
}

func readAudit(t *testing.T, path string) (lines []auditLine, raw string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var l auditLine
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	return lines, string(b)
}

func TestAuditLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	ts := startServer(t, func(c *kmsapi.ServerConfig) { c.AuditLog = path })
	admin := ts.client(testSecretKey)
	app, appARN, appKey := ts.principalClient(t, "app")
	ctx := t.Context()

	md := must(admin.CreateKey(ctx, &kms.CreateKeyInput{}))(t).KeyMetadata
	keyARN := aws.ToString(md.Arn)
	adminARN := "arn:aws:iam::" + aws.ToString(md.AWSAccountId) + ":root"
	ec := map[string]string{"dept": "value-kept-out-of-the-log", "bucket": "photos-kept-out"}
	dk := must(admin.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: md.KeyId, KeySpec: types.DataKeySpecAes256, EncryptionContext: ec}))(t)
	must(admin.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec}))(t)
	_, err := app.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec})
	wantCode(t, err, "AccessDeniedException")
	_, err = ts.client("not-the-secret").ListKeys(ctx, &kms.ListKeysInput{})
	wantCode(t, err, "InvalidSignatureException")

	lines, raw := readAudit(t, path)
	want := []auditLine{
		{Principal: adminARN, AccessKeyID: testAccessKey, Operation: "CreateKey", Result: "Success"},
		{Principal: adminARN, AccessKeyID: testAccessKey, Operation: "GenerateDataKey", KeyID: keyARN,
			EncryptionContextKeys: []string{"bucket", "dept"}, Result: "Success"},
		{Principal: adminARN, AccessKeyID: testAccessKey, Operation: "Decrypt", KeyID: keyARN,
			EncryptionContextKeys: []string{"bucket", "dept"}, Result: "Success"},
		{Principal: appARN, AccessKeyID: appKey, Operation: "Decrypt", KeyID: keyARN,
			EncryptionContextKeys: []string{"bucket", "dept"}, Result: "AccessDeniedException"},
		{Operation: "ListKeys", Result: "InvalidSignatureException"},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d audit lines, want %d:\n%s", len(lines), len(want), raw)
	}
	ids := map[string]bool{}
	for i, got := range lines {
		if got.Time.IsZero() || time.Since(got.Time) > time.Minute || got.RequestID == "" || ids[got.RequestID] {
			t.Errorf("line %d: time %v, request id %q (unique: %v)", i, got.Time, got.RequestID, !ids[got.RequestID])
		}
		ids[got.RequestID] = true
		got.Time, got.RequestID = time.Time{}, ""
		w := want[i]
		if got.Principal != w.Principal || got.AccessKeyID != w.AccessKeyID || got.Operation != w.Operation ||
			got.KeyID != w.KeyID || !slices.Equal(got.EncryptionContextKeys, w.EncryptionContextKeys) || got.Result != w.Result {
			t.Errorf("line %d = %+v, want %+v", i, got, w)
		}
	}
	for _, secret := range []string{"value-kept-out-of-the-log", "photos-kept-out",
		base64.StdEncoding.EncodeToString(dk.Plaintext), base64.StdEncoding.EncodeToString(dk.CiphertextBlob)} {
		if strings.Contains(raw, secret) {
			t.Errorf("the audit log holds %q", secret)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode: %v, %v", fi.Mode(), err)
	}
}

// TestAuditLogFailsClosed: when a record cannot be written (/dev/full
// refuses every write with ENOSPC) no call succeeds, so no data key or
// plaintext leaves unaudited.
func TestAuditLogFailsClosed(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full:", err)
	}
	ts := startServer(t, func(c *kmsapi.ServerConfig) { c.AuditLog = "/dev/full" })
	c := ts.client(testSecretKey)
	ctx := t.Context()
	_, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
	wantCode(t, err, "KMSInternalException")

	// The key exists (the store committed before the audit failed); its
	// use must still fail.
	keys, err := ts.srv.Store().ListKeys(ctx, 0, "")
	if err != nil || len(keys.Keys) != 1 {
		t.Fatalf("ListKeys: %+v, %v", keys, err)
	}
	keyID := keys.Keys[0].KeyID
	_, err = c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: &keyID, KeySpec: types.DataKeySpecAes256})
	wantCode(t, err, "KMSInternalException")
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte("x")})
	wantCode(t, err, "KMSInternalException")
	_, err = c.GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(16)})
	wantCode(t, err, "KMSInternalException")
	// A refusal is not reported as such either when it cannot be audited.
	_, err = ts.client("not-the-secret").ListKeys(ctx, &kms.ListKeysInput{})
	wantCode(t, err, "KMSInternalException")
}

func TestAuditLogUnopenable(t *testing.T) {
	_, err := kmsapi.NewServer(t.Context(), kmsapi.ServerConfig{
		DataDir: t.TempDir(), AuditLog: filepath.Join(t.TempDir(), "missing-dir", "audit.jsonl"),
	})
	if err == nil || !strings.Contains(err.Error(), "audit log") {
		t.Fatalf("NewServer with an audit log in a missing directory: %v", err)
	}
}
