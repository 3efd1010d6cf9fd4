package kms

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// clock is a settable Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var testEpoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func testRootKey(t testing.TB, b byte) *AESRootKey {
	t.Helper()
	key := make([]byte, 32)
	for i := range key {
		key[i] = b
	}
	k, err := NewAESRootKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type fixture struct {
	s     *Store
	clock *clock
	path  string
	cfg   Config
}

// newFixture opens a keystore on a real SQLite file in a temp dir.
func newFixture(t testing.TB) *fixture {
	t.Helper()
	c := &clock{t: testEpoch}
	f := &fixture{clock: c, path: filepath.Join(t.TempDir(), "kms.db"),
		cfg: Config{RootKey: testRootKey(t, 7), Region: "eu-west-1", Account: "111122223333", Now: c.Now}}
	f.s = f.open(t)
	return f
}

func (f *fixture) open(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), f.path, f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// reopen closes and reopens the store.
func (f *fixture) reopen(t testing.TB) {
	t.Helper()
	if err := f.s.Close(); err != nil {
		t.Fatal(err)
	}
	f.s = f.open(t)
}

func (f *fixture) createKey(t testing.TB) KeyMetadata {
	t.Helper()
	m, err := f.s.CreateKey(context.Background(), CreateKeyInput{Description: "test key"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// wantErr checks that err wraps want (nil: no error).
func wantErr(t testing.TB, err error, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got no error, want %v", want)
	}
	if ExceptionName(err) != ExceptionName(want) {
		t.Fatalf("got %v (%s), want %s", err, ExceptionName(err), ExceptionName(want))
	}
}
