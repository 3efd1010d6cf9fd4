package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// TestKMSAuditLog runs `coffer kms` with COFFER_KMS_AUDIT_LOG and checks
// every call leaves one JSON line naming its operation, key and result,
// with encryption-context keys but never their values or any plaintext.
func TestKMSAuditLog(t *testing.T) {
	skipIfShort(t)
	k := startKMS(t)
	k.Stop()
	audit := filepath.Join(t.TempDir(), "audit.log")
	k.Env = append(k.Env, "COFFER_KMS_AUDIT_LOG="+audit)
	if err := k.start(); err != nil {
		t.Fatalf("restart with audit log: %v", err)
	}
	ctx := context.Background()
	c := k.sdk()
	key, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("audit-must-not-see-this")
	ec := map[string]string{"department": "value-must-not-appear"}
	if _, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: secret, EncryptionContext: ec}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: []byte("not a ciphertext")}); err == nil {
		t.Fatal("decrypting garbage succeeded")
	}
	k.Stop()

	raw, err := os.ReadFile(audit)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, secret) || bytes.Contains(raw, []byte("value-must-not-appear")) {
		t.Fatalf("audit log leaks plaintext or context values:\n%s", raw)
	}
	type record struct {
		Operation             string   `json:"operation"`
		KeyID                 string   `json:"key_id"`
		Principal             string   `json:"principal"`
		EncryptionContextKeys []string `json:"encryption_context_keys"`
		Result                string   `json:"result"`
		RequestID             string   `json:"request_id"`
	}
	var got []record
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line is not JSON: %q: %v", sc.Text(), err)
		}
		got = append(got, r)
	}
	if len(got) != 3 {
		t.Fatalf("audit log has %d records, want 3:\n%s", len(got), raw)
	}
	wantOps := []string{"CreateKey", "Encrypt", "Decrypt"}
	for i, r := range got {
		if r.Operation != wantOps[i] || r.RequestID == "" {
			t.Errorf("record %d = %+v, want operation %s with a request id", i, r, wantOps[i])
		}
	}
	if got[0].Result != "Success" || got[1].Result != "Success" || got[2].Result != "InvalidCiphertextException" {
		t.Errorf("results %q %q %q, want Success Success InvalidCiphertextException", got[0].Result, got[1].Result, got[2].Result)
	}
	if got[1].KeyID == "" || got[1].Principal == "" || !slices.Equal(got[1].EncryptionContextKeys, []string{"department"}) {
		t.Errorf("Encrypt record %+v lacks key, principal or context keys", got[1])
	}
}
