package kmsapi_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/kms"
	"github.com/coffer-project/coffer/internal/kmsapi"
)

func TestNewServer(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// cheapKDF keeps passphrase tests fast; production uses the defaults.
	cheapKDF := kms.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}
	t.Run("generated credentials are kept and reused", func(t *testing.T) {
		dir := t.TempDir()
		s1, err := kmsapi.NewServer(t.Context(), kmsapi.ServerConfig{DataDir: dir, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		a1, k1 := s1.RootCredentials()
		if !s1.GeneratedCredentials() || a1 == "" || len(k1) < 40 {
			t.Fatalf("first start: generated %v, access key %q, secret of %d characters", s1.GeneratedCredentials(), a1, len(k1))
		}
		md, err := s1.Store().CreateKey(t.Context(), kms.CreateKeyInput{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kmsapi.NewServer(t.Context(), kmsapi.ServerConfig{DataDir: dir, Logger: quiet}); err == nil {
			t.Fatal("a second server opened a data dir in use")
		}
		if err := s1.Close(); err != nil {
			t.Fatal(err)
		}
		s2, err := kmsapi.NewServer(t.Context(), kmsapi.ServerConfig{DataDir: dir, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		if a2, k2 := s2.RootCredentials(); s2.GeneratedCredentials() || a2 != a1 || k2 != k1 {
			t.Fatal("restart did not reuse the stored credentials")
		}
		if _, err := s2.Store().DescribeKey(t.Context(), md.KeyID); err != nil {
			t.Fatalf("key lost across restart (same generated root key file): %v", err)
		}
	})
	t.Run("passphrase", func(t *testing.T) {
		dir := t.TempDir()
		open := func(pass string) (*kmsapi.Server, error) {
			return kmsapi.NewServer(t.Context(), kmsapi.ServerConfig{DataDir: dir, Passphrase: []byte(pass), KDF: cheapKDF,
				RootAccessKey: testAccessKey, RootSecretKey: testSecretKey, Logger: quiet})
		}
		s, err := open("correct horse battery staple")
		if err != nil {
			t.Fatal(err)
		}
		if s.GeneratedCredentials() {
			t.Error("configured credentials reported as generated")
		}
		s.Close()
		if _, err := open("wrong passphrase"); !errors.Is(err, kms.ErrWrongRootKey) {
			t.Fatalf("wrong passphrase: %v, want ErrWrongRootKey", err)
		}
		s, err = open("correct horse battery staple")
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	})
	t.Run("root key file", func(t *testing.T) {
		dir := t.TempDir()
		keyFile := filepath.Join(t.TempDir(), "root.key")
		if _, err := kms.GenerateRootKeyFile(keyFile, nil); err != nil {
			t.Fatal(err)
		}
		s, err := kmsapi.NewServer(t.Context(), kmsapi.ServerConfig{DataDir: dir, RootKeyFile: keyFile, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		_, err = kmsapi.NewServer(t.Context(), kmsapi.ServerConfig{DataDir: dir, RootKeyFile: keyFile, Passphrase: []byte("x"), Logger: quiet})
		if err == nil {
			t.Fatal("a root key file and a passphrase together were accepted")
		}
		other := filepath.Join(t.TempDir(), "other.key")
		if _, err := kms.GenerateRootKeyFile(other, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := kmsapi.NewServer(t.Context(), kmsapi.ServerConfig{DataDir: dir, RootKeyFile: other, Logger: quiet}); !errors.Is(err, kms.ErrWrongRootKey) {
			t.Fatalf("another root key file: %v, want ErrWrongRootKey", err)
		}
	})
}

// stopAfterOneRound cancels the job's context once it has run both tasks.
type stopAfterOneRound struct {
	*kms.Store
	cancel context.CancelFunc
}

func (s stopAfterOneRound) RotateDue(ctx context.Context, now time.Time) (int, error) {
	defer s.cancel()
	return s.Store.RotateDue(ctx, now)
}

// TestRunJobs checks the background job deletes keys past their waiting
// period and performs due automatic rotations.
func TestRunJobs(t *testing.T) {
	ts := startServer(t)
	st, ctx := ts.srv.Store(), t.Context()
	doomed, err := st.CreateKey(ctx, kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	rotating, err := st.CreateKey(ctx, kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ScheduleKeyDeletion(ctx, doomed.KeyID, 7); err != nil {
		t.Fatal(err)
	}
	if err := st.EnableKeyRotation(ctx, rotating.KeyID, 90); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(91 * 24 * time.Hour)
	jobCtx, cancel := context.WithCancel(ctx)
	kmsapi.RunJobs(jobCtx, stopAfterOneRound{st, cancel}, time.Hour, func() time.Time { return later }, slog.New(slog.DiscardHandler))

	if _, err := st.DescribeKey(ctx, doomed.KeyID); !errors.Is(err, kms.ErrNotFound) {
		t.Errorf("key past its deletion date: %v, want ErrNotFound", err)
	}
	rots, err := st.ListKeyRotations(ctx, rotating.KeyID, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rots.Rotations) != 1 || rots.Rotations[0].RotationType != kms.RotationAutomatic {
		t.Errorf("rotations after the period: %+v", rots.Rotations)
	}
}
