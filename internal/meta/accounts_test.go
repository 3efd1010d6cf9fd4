package meta

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// openAccounts opens a fresh SQLite store for the account tests.
func openAccounts(t *testing.T) *SQL {
	t.Helper()
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testAccount is an account whose ID, name and canonical ID derive from n.
func testAccount(n int, keys ...string) Account {
	return Account{
		ID:          fmt.Sprintf("%012d", 111122220000+n),
		Name:        fmt.Sprintf("account-%d", n),
		CanonicalID: fmt.Sprintf("%064x", n),
		Created:     time.Date(2026, 1, 2, 3, 4, 5, 600+n, time.UTC),
		IAM:         []byte(fmt.Sprintf(`{"n":%d}`, n)),
		AccessKeys:  keys,
	}
}

func TestAccountCreateGetList(t *testing.T) {
	ctx := context.Background()
	s := openAccounts(t)
	// Created out of ID order: ListAccounts sorts by ID.
	b := testAccount(2, "AKIAB2", "AKIAB1")
	a := testAccount(1, "AKIAA1")
	for _, acc := range []Account{b, a} {
		if err := s.CreateAccount(ctx, acc); err != nil {
			t.Fatal(err)
		}
	}

	got, err := s.GetAccount(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != b.ID || got.Name != b.Name || got.CanonicalID != b.CanonicalID || !got.Created.Equal(b.Created) ||
		got.Revision != 0 || string(got.IAM) != string(b.IAM) {
		t.Errorf("GetAccount = %+v, want %+v", got, b)
	}
	if want := []string{"AKIAB1", "AKIAB2"}; !slices.Equal(got.AccessKeys, want) {
		t.Errorf("AccessKeys = %q, want %q (sorted)", got.AccessKeys, want)
	}

	list, err := s.ListAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, acc := range list {
		ids = append(ids, acc.ID)
	}
	if want := []string{a.ID, b.ID}; !slices.Equal(ids, want) {
		t.Fatalf("ListAccounts IDs = %q, want %q", ids, want)
	}
	if !slices.Equal(list[0].AccessKeys, []string{"AKIAA1"}) || string(list[1].IAM) != string(b.IAM) {
		t.Errorf("ListAccounts = %+v, want each account with its keys and document", list)
	}

	for key, want := range map[string]string{"AKIAA1": a.ID, "AKIAB1": b.ID, "AKIAB2": b.ID} {
		if id, err := s.AccessKeyAccount(ctx, key); err != nil || id != want {
			t.Errorf("AccessKeyAccount(%s) = %q, %v; want %q", key, id, err, want)
		}
	}
	if _, err := s.AccessKeyAccount(ctx, "AKIANONE"); !errors.Is(err, ErrNoSuchAccessKey) {
		t.Errorf("AccessKeyAccount(unknown) = %v, want ErrNoSuchAccessKey", err)
	}
	if _, err := s.GetAccount(ctx, "999999999999"); !errors.Is(err, ErrNoSuchAccount) {
		t.Errorf("GetAccount(unknown) = %v, want ErrNoSuchAccount", err)
	}
	if _, err := s.AccountRevision(ctx, "999999999999"); !errors.Is(err, ErrNoSuchAccount) {
		t.Errorf("AccountRevision(unknown) = %v, want ErrNoSuchAccount", err)
	}
}

func TestListAccountsEmpty(t *testing.T) {
	list, err := openAccounts(t).ListAccounts(context.Background())
	if err != nil || len(list) != 0 {
		t.Fatalf("ListAccounts on a new store = %+v, %v; want none", list, err)
	}
}

func TestCreateAccountConflicts(t *testing.T) {
	ctx := context.Background()
	existing := testAccount(1, "AKIATAKEN")
	tests := []struct {
		name    string
		account Account
		want    error
	}{
		{"same ID", func() Account { a := testAccount(2); a.ID = existing.ID; return a }(), ErrAccountExists},
		{"same name", func() Account { a := testAccount(2); a.Name = existing.Name; return a }(), ErrAccountExists},
		{"same canonical ID", func() Account { a := testAccount(2); a.CanonicalID = existing.CanonicalID; return a }(), ErrAccountExists},
		{"access key of another account", testAccount(2, "AKIAFREE", "AKIATAKEN"), ErrAccessKeyExists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openAccounts(t)
			if err := s.CreateAccount(ctx, existing); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateAccount(ctx, tt.account); !errors.Is(err, tt.want) {
				t.Fatalf("CreateAccount = %v, want %v", err, tt.want)
			}
			// Nothing of the refused account is stored.
			list, err := s.ListAccounts(ctx)
			if err != nil || len(list) != 1 || list[0].ID != existing.ID || list[0].Name != existing.Name {
				t.Fatalf("accounts after the refused create = %+v, %v; want only the existing one", list, err)
			}
			if id, err := s.AccessKeyAccount(ctx, "AKIATAKEN"); err != nil || id != existing.ID {
				t.Errorf("AKIATAKEN belongs to %q, %v; want %q", id, err, existing.ID)
			}
			if _, err := s.AccessKeyAccount(ctx, "AKIAFREE"); !errors.Is(err, ErrNoSuchAccessKey) {
				t.Errorf("AccessKeyAccount(AKIAFREE) = %v, want ErrNoSuchAccessKey", err)
			}
		})
	}
}

func TestUpdateAccount(t *testing.T) {
	ctx := context.Background()
	s := openAccounts(t)
	a := testAccount(1, "AKIA1", "AKIA2")
	if err := s.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	use := AccessKeyUse{Time: time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC), Service: "s3", Region: "us-east-1"}
	if err := s.TouchAccessKey(ctx, "AKIA1", use); err != nil {
		t.Fatal(err)
	}

	// A key removed, one kept, one added; the fixed fields cannot change.
	got, err := s.UpdateAccount(ctx, a.ID, func(x *Account) error {
		if x.Revision != 0 || !slices.Equal(x.AccessKeys, []string{"AKIA1", "AKIA2"}) || string(x.IAM) != string(a.IAM) {
			return fmt.Errorf("fn saw %+v, want the stored account", x)
		}
		x.IAM = []byte(`{"v":2}`)
		x.AccessKeys = []string{"AKIA1", "AKIA3"}
		x.Name, x.CanonicalID = "renamed", "changed"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision != 1 || string(got.IAM) != `{"v":2}` {
		t.Errorf("UpdateAccount returned %+v, want revision 1 and the new document", got)
	}
	stored, err := s.GetAccount(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Revision != 1 || string(stored.IAM) != `{"v":2}` || !slices.Equal(stored.AccessKeys, []string{"AKIA1", "AKIA3"}) {
		t.Errorf("stored account = %+v, want revision 1, the new document and keys AKIA1, AKIA3", stored)
	}
	if stored.Name != a.Name || stored.CanonicalID != a.CanonicalID || !stored.Created.Equal(a.Created) {
		t.Errorf("stored account = %+v; ID, name, canonical ID and creation must not change", stored)
	}
	if rev, err := s.AccountRevision(ctx, a.ID); err != nil || rev != 1 {
		t.Errorf("AccountRevision = %d, %v; want 1", rev, err)
	}
	if _, err := s.AccessKeyAccount(ctx, "AKIA2"); !errors.Is(err, ErrNoSuchAccessKey) {
		t.Errorf("removed key AKIA2: AccessKeyAccount = %v, want ErrNoSuchAccessKey", err)
	}
	if id, err := s.AccessKeyAccount(ctx, "AKIA3"); err != nil || id != a.ID {
		t.Errorf("added key AKIA3: AccessKeyAccount = %q, %v; want %q", id, err, a.ID)
	}
	// The key that stayed keeps its last-use record.
	if u, err := s.AccessKeyLastUsed(ctx, "AKIA1"); err != nil || !u.Time.Equal(use.Time) || u.Service != use.Service || u.Region != use.Region {
		t.Errorf("AKIA1 last used = %+v, %v; want %+v", u, err, use)
	}

	// Every update bumps the revision.
	for want := int64(2); want <= 4; want++ {
		got, err := s.UpdateAccount(ctx, a.ID, func(*Account) error { return nil })
		if err != nil || got.Revision != want {
			t.Fatalf("update: revision %d, %v; want %d", got.Revision, err, want)
		}
	}
}

func TestUpdateAccountFailures(t *testing.T) {
	ctx := context.Background()
	errFn := errors.New("fn refuses")
	tests := []struct {
		name string
		id   string
		fn   func(*Account) error
		// is reports whether err is the expected one.
		is func(err error) bool
	}{
		{
			name: "fn error returned unchanged",
			id:   testAccount(1).ID,
			fn: func(a *Account) error {
				a.IAM = []byte(`{"lost":true}`)
				a.AccessKeys = append(a.AccessKeys, "AKIANEW")
				return errFn
			},
			is: func(err error) bool { return err == errFn },
		},
		{
			name: "access key of another account",
			id:   testAccount(1).ID,
			fn: func(a *Account) error {
				a.IAM = []byte(`{"lost":true}`)
				a.AccessKeys = append(a.AccessKeys, "AKIAOTHER")
				return nil
			},
			is: func(err error) bool { return errors.Is(err, ErrAccessKeyExists) },
		},
		{
			name: "no such account",
			id:   "999999999999",
			fn:   func(*Account) error { return nil },
			is:   func(err error) bool { return errors.Is(err, ErrNoSuchAccount) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openAccounts(t)
			mine, other := testAccount(1, "AKIAMINE"), testAccount(2, "AKIAOTHER")
			for _, a := range []Account{mine, other} {
				if err := s.CreateAccount(ctx, a); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.UpdateAccount(ctx, tt.id, tt.fn)
			if !tt.is(err) {
				t.Fatalf("UpdateAccount = %v", err)
			}
			if got.ID != "" || got.IAM != nil {
				t.Errorf("UpdateAccount returned %+v with its error, want the zero Account", got)
			}
			// Nothing changed.
			stored, err := s.GetAccount(ctx, mine.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Revision != 0 || string(stored.IAM) != string(mine.IAM) || !slices.Equal(stored.AccessKeys, []string{"AKIAMINE"}) {
				t.Errorf("account after the failed update = %+v, want it unchanged", stored)
			}
			if id, err := s.AccessKeyAccount(ctx, "AKIAOTHER"); err != nil || id != other.ID {
				t.Errorf("AKIAOTHER belongs to %q, %v; want %q", id, err, other.ID)
			}
			if _, err := s.AccessKeyAccount(ctx, "AKIANEW"); !errors.Is(err, ErrNoSuchAccessKey) {
				t.Errorf("AccessKeyAccount(AKIANEW) = %v, want ErrNoSuchAccessKey", err)
			}
		})
	}
}

// TestAccessKeyMovesBetweenAccounts: a key given up by one account can be
// taken by another, which then owns it.
func TestAccessKeyMovesBetweenAccounts(t *testing.T) {
	ctx := context.Background()
	s := openAccounts(t)
	a, b := testAccount(1, "AKIAK"), testAccount(2)
	for _, acc := range []Account{a, b} {
		if err := s.CreateAccount(ctx, acc); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.UpdateAccount(ctx, a.ID, func(x *Account) error { x.AccessKeys = nil; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateAccount(ctx, b.ID, func(x *Account) error { x.AccessKeys = []string{"AKIAK"}; return nil }); err != nil {
		t.Fatalf("taking a released key: %v", err)
	}
	if id, err := s.AccessKeyAccount(ctx, "AKIAK"); err != nil || id != b.ID {
		t.Errorf("AKIAK belongs to %q, %v; want %q", id, err, b.ID)
	}
}

func TestAccessKeyLastUsed(t *testing.T) {
	ctx := context.Background()
	s := openAccounts(t)
	if err := s.CreateAccount(ctx, testAccount(1, "AKIA1")); err != nil {
		t.Fatal(err)
	}
	u, err := s.AccessKeyLastUsed(ctx, "AKIA1")
	if err != nil || !u.Time.IsZero() || u.Service != "" || u.Region != "" {
		t.Fatalf("a key never used: %+v, %v; want the zero AccessKeyUse", u, err)
	}
	for _, use := range []AccessKeyUse{
		{Time: time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC), Service: "s3", Region: "us-east-1"},
		{Time: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Service: "iam", Region: "eu-west-1"},
	} {
		if err := s.TouchAccessKey(ctx, "AKIA1", use); err != nil {
			t.Fatal(err)
		}
		u, err := s.AccessKeyLastUsed(ctx, "AKIA1")
		if err != nil || !u.Time.Equal(use.Time) || u.Service != use.Service || u.Region != use.Region {
			t.Errorf("AccessKeyLastUsed = %+v, %v; want %+v", u, err, use)
		}
	}
	if _, err := s.AccessKeyLastUsed(ctx, "AKIANONE"); !errors.Is(err, ErrNoSuchAccessKey) {
		t.Errorf("AccessKeyLastUsed(unknown) = %v, want ErrNoSuchAccessKey", err)
	}
}

func TestServerSecret(t *testing.T) {
	ctx := context.Background()
	s := openAccounts(t)
	if v, ok, err := s.ServerSecret(ctx, "k"); err != nil || ok || v != nil {
		t.Fatalf("ServerSecret before any put = %q, %v, %v; want none", v, ok, err)
	}
	first := []byte{0, 1, 2, 0xff}
	if got, err := s.PutServerSecret(ctx, "k", first); err != nil || !bytes.Equal(got, first) {
		t.Fatalf("first PutServerSecret = %x, %v; want %x", got, err, first)
	}
	if got, err := s.PutServerSecret(ctx, "k", []byte("second")); err != nil || !bytes.Equal(got, first) {
		t.Fatalf("second PutServerSecret = %q, %v; want the first value %x", got, err, first)
	}
	if v, ok, err := s.ServerSecret(ctx, "k"); err != nil || !ok || !bytes.Equal(v, first) {
		t.Fatalf("ServerSecret = %x, %v, %v; want %x", v, ok, err, first)
	}
	if v, ok, err := s.ServerSecret(ctx, "other"); err != nil || ok || v != nil {
		t.Fatalf("ServerSecret(other) = %q, %v, %v; want none", v, ok, err)
	}
}

// TestPutServerSecretConcurrent: of writers racing to store a secret, one
// wins and every writer is told the winner's value.
func TestPutServerSecretConcurrent(t *testing.T) {
	ctx := context.Background()
	s := openAccounts(t)
	const writers = 16
	got := make([][]byte, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			v, err := s.PutServerSecret(ctx, "k", []byte{byte(i)})
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		})
	}
	wg.Wait()
	stored, ok, err := s.ServerSecret(ctx, "k")
	if err != nil || !ok || len(stored) != 1 {
		t.Fatalf("ServerSecret = %x, %v, %v", stored, ok, err)
	}
	for i, v := range got {
		if !bytes.Equal(v, stored) {
			t.Errorf("writer %d was told %x, but %x is stored", i, v, stored)
		}
	}
}

// schemaV4 is the layout of schema version 4, frozen as released: version
// 3's tables with the bucket policy column added last, and no account
// tables.
var schemaV4 = append(slices.Clone(schemaV3),
	`ALTER TABLE buckets ADD COLUMN policy TEXT`,
)

// TestMigrateFromVersion4 opens a database of the version 4 layout: it
// gains the account tables, with the columns of a new database, its
// buckets are intact, and accounts, access keys and server secrets can be
// stored.
func TestMigrateFromVersion4(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meta.db")
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	execSQLite(t, path, append(slices.Clone(schemaV4),
		`INSERT INTO schema_version (version) VALUES (4)`,
		`INSERT INTO buckets (name, owner, region, created, versioning, tags, encryption, policy) VALUES ('b', 'o', '', 1, '', NULL, NULL, '`+doc+`')`,
	)...)
	for _, table := range []string{"accounts", "access_keys", "server_secrets"} {
		if cols := tableColumns(t, path, table); len(cols) != 0 {
			t.Fatalf("the version 4 database already has table %s", table)
		}
	}

	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v int
	err = s.read(ctx, func(t *txn) error { return t.scanOne(`SELECT version FROM schema_version`, nil, &v) })
	if err != nil || v != schemaVersion {
		t.Fatalf("schema version = %d, %v; want %d", v, err, schemaVersion)
	}
	if b, err := s.GetBucket(ctx, "b"); err != nil || b.Policy != doc || b.Owner != "o" {
		t.Fatalf("old bucket = %+v, %v; want it with its policy", b, err)
	}

	a := testAccount(1, "AKIA1")
	if err := s.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetAccount(ctx, a.ID); err != nil || got.Name != a.Name || !slices.Equal(got.AccessKeys, a.AccessKeys) {
		t.Fatalf("account after migration = %+v, %v", got, err)
	}
	if err := s.TouchAccessKey(ctx, "AKIA1", AccessKeyUse{Time: time.Unix(5, 0), Service: "s3"}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.PutServerSecret(ctx, "k", []byte("v")); err != nil || string(got) != "v" {
		t.Fatalf("PutServerSecret after migration = %q, %v", got, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopening does not migrate again and keeps what was stored.
	s2, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, err := s2.GetAccount(ctx, a.ID); err != nil || got.Name != a.Name {
		t.Fatalf("account after reopening = %+v, %v", got, err)
	}
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}

	wantFreshLayout(t, path, "buckets", "accounts", "access_keys", "server_secrets")
}
