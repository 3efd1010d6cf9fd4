package kms

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRestartKeepsEverything(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	k := f.createKey(t)
	if err := f.s.CreateAlias(ctx, "alias/persist", k.KeyID); err != nil {
		t.Fatal(err)
	}
	if err := f.s.EnableKeyRotation(ctx, k.KeyID, 100); err != nil {
		t.Fatal(err)
	}
	ec := map[string]string{"bucket": "b"}
	before, err := f.s.GenerateDataKey(ctx, GenerateDataKeyInput{KeyID: "alias/persist", KeySpec: "AES_256", EncryptionContext: ec})
	wantErr(t, err, nil)
	if _, err := f.s.RotateKeyOnDemand(ctx, k.KeyID); err != nil {
		t.Fatal(err)
	}
	gone := f.createKey(t)
	if _, err := f.s.ScheduleKeyDeletion(ctx, gone.KeyID, 10); err != nil {
		t.Fatal(err)
	}

	f.reopen(t)

	m, err := f.s.DescribeKey(ctx, "alias/persist")
	wantErr(t, err, nil)
	if m.KeyID != k.KeyID || m.Description != k.Description || !m.CreationDate.Equal(k.CreationDate) {
		t.Fatalf("after restart: %+v, want %+v", m, k)
	}
	d, err := f.s.Decrypt(ctx, DecryptInput{CiphertextBlob: before.CiphertextBlob, EncryptionContext: ec})
	wantErr(t, err, nil)
	if !bytes.Equal(d.Plaintext, before.Plaintext) {
		t.Fatal("data key changed across restart")
	}
	st, err := f.s.GetKeyRotationStatus(ctx, k.KeyID)
	wantErr(t, err, nil)
	if !st.KeyRotationEnabled || st.RotationPeriodInDays != 100 {
		t.Fatalf("rotation status after restart: %+v", st)
	}
	rot, err := f.s.ListKeyRotations(ctx, k.KeyID, 0, "")
	wantErr(t, err, nil)
	if len(rot.Rotations) != 1 {
		t.Fatalf("rotations after restart: %+v", rot)
	}
	after, err := f.s.Encrypt(ctx, EncryptInput{KeyID: k.KeyID, Plaintext: []byte("x")})
	wantErr(t, err, nil)
	if c, _ := parseCiphertext(after.CiphertextBlob); c.version != 2 {
		t.Fatalf("after restart encrypts with version %d, want 2", c.version)
	}
	g, err := f.s.DescribeKey(ctx, gone.KeyID)
	wantErr(t, err, nil)
	if g.KeyState != KeyStatePendingDeletion || g.PendingDeletionWindowInDays != 10 {
		t.Fatalf("pending key after restart: %+v", g)
	}
}

func TestOpenWithWrongRootKey(t *testing.T) {
	f := newFixture(t)
	f.createKey(t)
	if err := f.s.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := f.cfg
	cfg.RootKey = testRootKey(t, 8)
	s, err := Open(context.Background(), f.path, cfg)
	if err == nil {
		s.Close()
		t.Fatal("opened with the wrong root key")
	}
	if !errors.Is(err, ErrWrongRootKey) || !strings.Contains(err.Error(), "different root key") {
		t.Fatalf("error = %v", err)
	}
}

func TestMaterialUnderWrongRootKey(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	k := f.createKey(t)
	id, _ := parseKeyID(k.KeyID)
	// Bypass the open-time check to show each material version is bound
	// to the root key, the key id and the version.
	f.s.root = testRootKey(t, 9)
	_, err := f.s.Encrypt(ctx, EncryptInput{KeyID: k.KeyID, Plaintext: []byte("x")})
	if !errors.Is(err, ErrWrongRootKey) || !strings.Contains(err.Error(), k.KeyID) {
		t.Fatalf("Encrypt under a wrong root key: %v", err)
	}
	f.s.root = f.cfg.RootKey
	var sealed []byte
	if err := f.s.view(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT sealed FROM key_material WHERE key_id = ?`, k.KeyID).Scan(&sealed)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cfg.RootKey.Open(sealed, materialAAD(id, 2)); !errors.Is(err, ErrWrongRootKey) {
		t.Fatalf("material opened as another version: %v", err)
	}
}

func TestOpenConfig(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		path string
		cfg  Config
	}{
		{"no root key", filepath.Join(dir, "a.db"), Config{}},
		{"bad account", filepath.Join(dir, "b.db"), Config{RootKey: testRootKey(t, 1), Account: "12"}},
		{"bad region", filepath.Join(dir, "c.db"), Config{RootKey: testRootKey(t, 1), Region: "Mars"}},
		{"query in path", filepath.Join(dir, "d.db?x=1"), Config{RootKey: testRootKey(t, 1)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := Open(context.Background(), tt.path, tt.cfg); err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
		})
	}
}

func TestRootKeyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "root.key")
	gen, err := GenerateRootKeyFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("root key file mode: %v %v", fi.Mode(), err)
	}
	if _, err := GenerateRootKeyFile(path, nil); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second GenerateRootKeyFile: %v", err)
	}
	loaded, err := LoadRootKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := gen.Seal([]byte("material"), []byte("aad"))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := loaded.Open(sealed, []byte("aad")); err != nil || string(p) != "material" {
		t.Fatalf("loaded key opens to %q, %v", p, err)
	}
	if _, err := loaded.Open(sealed, []byte("other")); !errors.Is(err, ErrWrongRootKey) {
		t.Fatalf("Open with other AAD: %v", err)
	}
	for _, tt := range []struct{ name, content string }{
		{"not base64", "!!!"},
		{"too short", "AAAA"},
		{"empty", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name)
			if err := os.WriteFile(p, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadRootKeyFile(p); err == nil {
				t.Fatal("loaded a bad key file")
			}
		})
	}
	if _, err := LoadRootKeyFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestPassphraseRootKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	salt := filepath.Join(dir, "root.salt")
	cheap := KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}
	k1, err := DerivePassphraseRootKey([]byte("correct horse"), salt, cheap, nil)
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "kms.db")
	s, err := Open(ctx, db, Config{RootKey: k1})
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.CreateKey(ctx, CreateKeyInput{})
	wantErr(t, err, nil)
	enc, err := s.Encrypt(ctx, EncryptInput{KeyID: k.KeyID, Plaintext: []byte("p")})
	wantErr(t, err, nil)
	s.Close()

	// Same passphrase, stored salt: same root key. The params argument no
	// longer matters once the salt file exists.
	k2, err := DerivePassphraseRootKey([]byte("correct horse"), salt, KDFParams{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, db, Config{RootKey: k2})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Decrypt(ctx, DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	wantErr(t, err, nil)
	if string(d.Plaintext) != "p" {
		t.Fatal("wrong plaintext")
	}
	s.Close()

	wrong, err := DerivePassphraseRootKey([]byte("battery staple"), salt, cheap, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := Open(ctx, db, Config{RootKey: wrong}); !errors.Is(err, ErrWrongRootKey) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("wrong passphrase: %v", err)
	}

	for _, tt := range []struct {
		name    string
		content string
	}{
		{"not JSON", "{"},
		{"unknown field", `{"version":1,"kdf":"argon2id","salt":"AAAAAAAAAAAAAAAAAAAAAA==","time":1,"memory_kib":64,"threads":1,"x":1}`},
		{"other kdf", `{"version":1,"kdf":"scrypt","salt":"AAAAAAAAAAAAAAAAAAAAAA==","time":1,"memory_kib":64,"threads":1}`},
		{"short salt", `{"version":1,"kdf":"argon2id","salt":"AAAA","time":1,"memory_kib":64,"threads":1}`},
		{"zero cost", `{"version":1,"kdf":"argon2id","salt":"AAAAAAAAAAAAAAAAAAAAAA==","time":0,"memory_kib":64,"threads":1}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name)
			if err := os.WriteFile(p, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := DerivePassphraseRootKey([]byte("x"), p, cheap, nil); err == nil {
				t.Fatal("accepted a bad salt file")
			}
		})
	}
	if _, err := DerivePassphraseRootKey(nil, salt, cheap, nil); err == nil {
		t.Fatal("accepted an empty passphrase")
	}
}
