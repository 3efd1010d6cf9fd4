package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// kmsPrincipal is the JSON `coffer kms principal create` prints.
type kmsPrincipal struct {
	AccessKeyId, SecretAccessKey, Arn string
}

// createPrincipal runs `coffer kms principal create` on k's data dir with
// k's environment (so it finds the same root key).
func (k *kmsProcess) createPrincipal(name string) (kmsPrincipal, error) {
	cmd := exec.Command(k.bin, "kms", "principal", "create", "--data", k.DataDir, "--name", name)
	cmd.Env = append(withoutPrefix(os.Environ(), "COFFER_"),
		"COFFER_ROOT_ACCESS_KEY="+rootAccessKey,
		"COFFER_ROOT_SECRET_KEY="+rootSecretKey,
	)
	cmd.Env = append(cmd.Env, k.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return kmsPrincipal{}, fmt.Errorf("coffer kms principal create: %v\n%s", err, stderr.String())
	}
	var p kmsPrincipal
	if err := json.Unmarshal(stdout.Bytes(), &p); err != nil {
		return p, fmt.Errorf("coffer kms principal create printed %q: %v", stdout.String(), err)
	}
	return p, nil
}

// TestKMSAuthorizationAWSCLI: a principal made with `coffer kms principal
// create` is denied until a key policy or a grant allows it, and a grant's
// EncryptionContextSubset constraint allows only matching contexts.
func TestKMSAuthorizationAWSCLI(t *testing.T) {
	skipIfShort(t)
	k := startKMS(t)
	admin := kmsCLI(t, k)
	if _, err := k.createPrincipal("app"); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("principal create while coffer kms runs: want a data-dir-in-use error, got %v", err)
	}
	k.Stop()
	p, err := k.createPrincipal("app")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.AccessKeyId, "AKIA") || len(p.SecretAccessKey) < 40 || !strings.HasSuffix(p.Arn, ":user/app") {
		t.Fatalf("principal create printed %+v", p)
	}
	if err := k.start(); err != nil {
		t.Fatal(err)
	}
	app := admin
	app.env = append(append([]string{}, admin.env...), "AWS_ACCESS_KEY_ID="+p.AccessKeyId, "AWS_SECRET_ACCESS_KEY="+p.SecretAccessKey)
	work := t.TempDir()
	plainFile := filepath.Join(work, "plain.txt")
	writeFile(t, plainFile, []byte("for the app"))

	var created cliKeyMetadata
	decodeJSON(t, admin.Run(t, "create-key"), &created)
	keyID := created.KeyMetadata.KeyId
	account := strings.Split(created.KeyMetadata.Arn, ":")[4]
	var enc struct{ CiphertextBlob string }
	decodeJSON(t, admin.Run(t, "encrypt", "--key-id", keyID, "--plaintext", "fileb://"+plainFile), &enc)
	encFile, _ := b64File(t, work, "plain.enc", enc.CiphertextBlob)

	t.Run("denied without permission", func(t *testing.T) {
		wantCLIError(t, app, "AccessDeniedException", "encrypt", "--key-id", keyID, "--plaintext", "fileb://"+plainFile)
		wantCLIError(t, app, "AccessDeniedException", "decrypt", "--ciphertext-blob", "fileb://"+encFile)
		wantCLIError(t, app, "AccessDeniedException", "generate-data-key", "--key-id", keyID, "--key-spec", "AES_256")
		wantCLIError(t, app, "AccessDeniedException", "describe-key", "--key-id", keyID)
	})
	t.Run("key policy allows decrypt only", func(t *testing.T) {
		policyFile := filepath.Join(work, "policy.json")
		writeFile(t, policyFile, fmt.Appendf(nil, `{"Version":"2012-10-17","Statement":[
			{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"kms:*","Resource":"*"},
			{"Sid":"App","Effect":"Allow","Principal":{"AWS":%q},"Action":"kms:Decrypt","Resource":"*"}]}`, account, p.Arn))
		admin.Run(t, "put-key-policy", "--key-id", keyID, "--policy-name", "default", "--policy", "file://"+policyFile)
		var out struct{ Plaintext string }
		decodeJSON(t, app.Run(t, "decrypt", "--ciphertext-blob", "fileb://"+encFile), &out)
		if out.Plaintext == "" {
			t.Fatal("decrypt returned no plaintext")
		}
		wantCLIError(t, app, "AccessDeniedException", "encrypt", "--key-id", keyID, "--plaintext", "fileb://"+plainFile)
	})

	var other cliKeyMetadata
	decodeJSON(t, admin.Run(t, "create-key"), &other)
	grantKey := other.KeyMetadata.KeyId
	createGrant := func(t *testing.T) (id, token string) {
		t.Helper()
		var g struct{ GrantId, GrantToken string }
		decodeJSON(t, admin.Run(t, "create-grant", "--key-id", grantKey, "--grantee-principal", p.Arn, "--retiring-principal", p.Arn,
			"--operations", "GenerateDataKey", "Decrypt", "--constraints", `{"EncryptionContextSubset":{"dept":"a"}}`), &g)
		if g.GrantId == "" || g.GrantToken == "" {
			t.Fatalf("create-grant: %+v", g)
		}
		return g.GrantId, g.GrantToken
	}
	generate := func(ec string) []string {
		return []string{"generate-data-key", "--key-id", grantKey, "--key-spec", "AES_256", "--encryption-context", ec}
	}
	grantID, token := createGrant(t)
	t.Run("grant allows a matching context only", func(t *testing.T) {
		var dk struct{ CiphertextBlob string }
		decodeJSON(t, app.Run(t, generate("dept=a,x=y")...), &dk)
		ctFile, _ := b64File(t, work, "dk.enc", dk.CiphertextBlob)
		app.Run(t, "decrypt", "--ciphertext-blob", "fileb://"+ctFile, "--encryption-context", "dept=a,x=y")
		wantCLIError(t, app, "AccessDeniedException", generate("dept=b")...)
	})
	t.Run("list-grants", func(t *testing.T) {
		var out struct {
			Grants []struct {
				GrantId, GranteePrincipal string
				Operations                []string
				Constraints               struct{ EncryptionContextSubset map[string]string }
			}
		}
		decodeJSON(t, admin.Run(t, "list-grants", "--key-id", grantKey), &out)
		if len(out.Grants) != 1 || out.Grants[0].GrantId != grantID || out.Grants[0].GranteePrincipal != p.Arn ||
			out.Grants[0].Constraints.EncryptionContextSubset["dept"] != "a" {
			t.Fatalf("list-grants: %+v", out.Grants)
		}
	})
	t.Run("retire-grant", func(t *testing.T) {
		app.Run(t, "retire-grant", "--grant-token", token)
		wantCLIError(t, app, "AccessDeniedException", generate("dept=a")...)
	})
	t.Run("grant survives a restart; revoke-grant", func(t *testing.T) {
		id, _ := createGrant(t)
		k.Stop()
		if err := k.start(); err != nil {
			t.Fatal(err)
		}
		app.Run(t, generate("dept=a")...)
		admin.Run(t, "revoke-grant", "--key-id", grantKey, "--grant-id", id)
		wantCLIError(t, app, "AccessDeniedException", generate("dept=a")...)
	})
}
