package signed

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func pkix(t *testing.T, k crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestLoadKeyGroup(t *testing.T) {
	dir := t.TempDir()
	keys := testKeys()
	rsaPKIX := writePEM(t, dir, "rsa.pem", "PUBLIC KEY", pkix(t, keys[0].Public()))
	rsaPKCS1 := writePEM(t, dir, "rsa1.pem", "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&keys[1].PublicKey))
	ecP256 := writePEM(t, dir, "ec.pem", "PUBLIC KEY", pkix(t, testECKey().Public()))

	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	weak := writePEM(t, dir, "weak.pem", "PUBLIC KEY", pkix(t, small.Public()))
	ec384 := writePEM(t, dir, "p384.pem", "PUBLIC KEY", pkix(t, p384.Public()))
	private := writePEM(t, dir, "private.pem", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(keys[0]))
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a key"), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("RSA PKIX, RSA PKCS1 and ECDSA P-256", func(t *testing.T) {
		g, err := LoadKeyGroup("kg1", []KeyFile{{"K1", rsaPKIX}, {"K2", rsaPKCS1}, {"K3", ecP256}})
		if err != nil {
			t.Fatal(err)
		}
		if g.Name != "kg1" || len(g.keys) != 3 {
			t.Errorf("group = %q with %d keys, want kg1 with 3", g.Name, len(g.keys))
		}
	})
	tests := []struct {
		name    string
		files   []KeyFile
		wantErr []string // every problem is reported
	}{
		{"no keys", nil, []string{"no keys"}},
		{"missing file", []KeyFile{{"K1", filepath.Join(dir, "absent.pem")}}, []string{"K1", "no such file"}},
		{"RSA under 2048 bits", []KeyFile{{"K1", weak}}, []string{"1024 bits"}},
		{"ECDSA P-384", []KeyFile{{"K1", ec384}}, []string{"P-384"}},
		{"private key", []KeyFile{{"K1", private}}, []string{"not a public key"}},
		{"not PEM", []KeyFile{{"K1", garbage}}, []string{"no PEM block"}},
		{"duplicate ID", []KeyFile{{"K1", rsaPKIX}, {"K1", rsaPKCS1}}, []string{"K1 appears twice"}},
		{"empty ID", []KeyFile{{"", rsaPKIX}}, []string{"empty ID"}},
		{"several problems", []KeyFile{{"K1", weak}, {"K2", garbage}}, []string{"K1", "1024 bits", "K2", "no PEM block"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadKeyGroup("kg1", tt.files)
			if err == nil {
				t.Fatal("LoadKeyGroup succeeded, want an error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
