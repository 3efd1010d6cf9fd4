package datadir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAcquireIsExclusive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(dir); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Acquire = %v, want an in-use error", err)
	}
	l.Release()
	l2, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l2.Release()
	l2.Release() // twice is harmless
}

func TestLoadRoot(t *testing.T) {
	tests := []struct {
		name          string
		access, sec   string
		wantGenerated bool
		wantErr       bool
	}{
		{name: "generated when unset", wantGenerated: true},
		{name: "configured keys win", access: "AKIACONFIGURED", sec: "configured-secret"},
		{name: "half configured is an error", access: "AKIAONLY", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r, gen, err := LoadRoot(dir, tt.access, tt.sec)
			if tt.wantErr {
				if err == nil {
					t.Fatal("accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if gen != tt.wantGenerated || len(r.AccountID) != 12 {
				t.Fatalf("root %+v generated=%v, want generated=%v and a 12-digit account", r, gen, tt.wantGenerated)
			}
			raw, err := os.ReadFile(filepath.Join(dir, CredentialsFile))
			if err != nil {
				t.Fatal(err)
			}
			if tt.sec != "" && strings.Contains(string(raw), tt.sec) {
				t.Fatal("configured secret written to disk")
			}
			again, gen2, err := LoadRoot(dir, tt.access, tt.sec)
			if err != nil || gen2 || again != r {
				t.Fatalf("second load = %+v generated=%v err=%v, want the same root", again, gen2, err)
			}
			if fi, err := os.Stat(filepath.Join(dir, CredentialsFile)); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("credentials file mode %v (%v), want 0600", fi.Mode(), err)
			}
		})
	}
}
