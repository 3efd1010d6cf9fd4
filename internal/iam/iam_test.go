package iam_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/iam"
	"github.com/coffer-project/coffer/internal/meta"
)

const testAccountID = "111122223333"

// clock is a settable Service.Now.
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

// env is an IAM service over a real SQLite store, with one account.
type env struct {
	store *meta.SQL
	clock *clock
	svc   *iam.Service
	creds *iam.Credentials
}

func openStore(t *testing.T) *meta.SQL {
	t.Helper()
	s, err := meta.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testSealer(t *testing.T) iam.Sealer {
	t.Helper()
	s, err := iam.NewKeySealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{store: openStore(t), clock: &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	e.svc = e.service(t, time.Second)
	e.creds = &iam.Credentials{IAM: e.svc}
	if _, err := e.svc.EnsureAccount(context.Background(), testAccountID, "main"); err != nil {
		t.Fatal(err)
	}
	return e
}

// service is another Service over the same store and clock, as another
// server process sharing the database would have.
func (e *env) service(t *testing.T, revisionCheck time.Duration) *iam.Service {
	return &iam.Service{Store: e.store, Sealer: testSealer(t), Now: e.clock.Now, RevisionCheck: revisionCheck}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := iam.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// allowDoc is an identity policy allowing action on resource.
func allowDoc(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func TestEnsureAccountIsIdempotent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t) // created testAccountID once already
	again, err := e.svc.EnsureAccount(ctx, testAccountID, "other name")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := e.store.GetAccount(ctx, testAccountID)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != testAccountID || again.Name != "main" || again.CanonicalID != stored.CanonicalID {
		t.Errorf("second EnsureAccount = %+v, want the account created first (%+v)", again, stored)
	}
	if len(stored.CanonicalID) != 64 || strings.Trim(stored.CanonicalID, "0123456789abcdef") != "" {
		t.Errorf("canonical ID %q, want 64 hex digits", stored.CanonicalID)
	}
	if list, err := e.svc.ListAccounts(ctx); err != nil || len(list) != 1 {
		t.Errorf("ListAccounts = %+v, %v; want one account", list, err)
	}
	if got := e.svc.CanonicalID(ctx, testAccountID); got != stored.CanonicalID {
		t.Errorf("CanonicalID = %q, want %q", got, stored.CanonicalID)
	}
	if got := e.svc.CanonicalID(ctx, "999999999999"); got != "" {
		t.Errorf("CanonicalID(unknown) = %q, want empty", got)
	}
}

func TestCreateAccount(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	na, err := e.svc.CreateAccount(ctx, "team a")
	if err != nil {
		t.Fatal(err)
	}
	if len(na.ID) != 12 || strings.Trim(na.ID, "0123456789") != "" || na.ID[0] == '0' || na.Name != "team a" {
		t.Errorf("CreateAccount = %+v, want a 12-digit ID without a leading zero", na.Account)
	}
	if got, err := e.svc.GetAccount(ctx, na.ID); err != nil || got != na.Account {
		t.Errorf("GetAccount = %+v, %v; want %+v", got, err, na.Account)
	}

	// The root key it returns signs as the account's root.
	cred, err := e.creds.Lookup(ctx, na.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	want := auth.Principal{AccountID: na.ID, AccessKeyID: na.AccessKeyID, ARN: "arn:aws:iam::" + na.ID + ":root"}
	if cred.SecretKey != na.SecretAccessKey || cred.Principal != want {
		t.Errorf("Lookup(root key) = %+v, want secret %q and principal %+v", cred, na.SecretAccessKey, want)
	}
	if keys, err := e.svc.ListAccessKeys(ctx, na.ID, ""); err != nil || len(keys) != 1 || keys[0].AccessKeyID != na.AccessKeyID {
		t.Errorf("root keys = %+v, %v; want the one created", keys, err)
	}

	t.Run("duplicate name", func(t *testing.T) {
		for _, name := range []string{"team a", "main"} {
			_, err := e.svc.CreateAccount(ctx, name)
			wantCode(t, err, iam.CodeEntityExists)
		}
	})
	t.Run("invalid names", func(t *testing.T) {
		for _, name := range []string{"", strings.Repeat("a", 51), "a/b", "tab\tname", "é"} {
			_, err := e.svc.CreateAccount(ctx, name)
			wantCode(t, err, iam.CodeValidation)
		}
	})
	if list, err := e.svc.ListAccounts(ctx); err != nil || len(list) != 2 {
		t.Errorf("ListAccounts = %+v, %v; want the first account and team a", list, err)
	}
}

func TestOperatorCredential(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	op := auth.Credential{AccessKeyID: "OPERATORKEY", SecretKey: "s", Principal: auth.Principal{AccountID: testAccountID, Operator: true}}
	creds := &iam.Credentials{IAM: e.svc, Operator: op}
	if got, err := creds.Lookup(ctx, "OPERATORKEY"); err != nil || got != op {
		t.Errorf("Lookup(operator) = %+v, %v; want %+v", got, err, op)
	}
	if _, err := creds.Lookup(ctx, ""); !errors.Is(err, auth.ErrInvalidAccessKeyID) {
		t.Errorf("Lookup(\"\") = %v, want ErrInvalidAccessKeyID", err)
	}
	if _, err := creds.Lookup(ctx, "AKIAUNKNOWN"); !errors.Is(err, auth.ErrInvalidAccessKeyID) {
		t.Errorf("Lookup(unknown) = %v, want ErrInvalidAccessKeyID", err)
	}
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	u, err := e.svc.CreateUser(ctx, testAccountID, "alice", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "alice" || u.Path != "/" || !strings.HasPrefix(u.ID, "AIDA") || len(u.ID) != 21 || !u.Created.Equal(e.clock.Now()) {
		t.Errorf("CreateUser = %+v, want alice at / with an AIDA… ID created now", u)
	}
	if _, err := e.svc.CreateUser(ctx, testAccountID, "bob", "/eng/", nil); err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.GetUser(ctx, testAccountID, "ALICE"); err != nil || got.ID != u.ID {
		t.Errorf("GetUser(ALICE) = %+v, %v; want alice (names are case-insensitive)", got, err)
	}
	_, err = e.svc.GetUser(ctx, testAccountID, "carol")
	wantCode(t, err, iam.CodeNoSuchEntity)
	_, err = e.svc.GetUser(ctx, "999999999999", "alice")
	if err == nil {
		t.Error("GetUser in an unknown account succeeded")
	}

	names := func(us []iam.User) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.Name)
		}
		return out
	}
	if all, err := e.svc.ListUsers(ctx, testAccountID, "/"); err != nil || !slices.Equal(names(all), []string{"alice", "bob"}) {
		t.Errorf("ListUsers(/) = %q, %v", names(all), err)
	}
	if eng, err := e.svc.ListUsers(ctx, testAccountID, "/eng/"); err != nil || !slices.Equal(names(eng), []string{"bob"}) {
		t.Errorf("ListUsers(/eng/) = %q, %v", names(eng), err)
	}

	must(t, e.svc.UpdateUser(ctx, testAccountID, "bob", "", "/ops/"))
	if got, err := e.svc.GetUser(ctx, testAccountID, "bob"); err != nil || got.Path != "/ops/" {
		t.Errorf("after the path change: %+v, %v", got, err)
	}

	must(t, e.svc.DeleteUser(ctx, testAccountID, "bob"))
	_, err = e.svc.GetUser(ctx, testAccountID, "bob")
	wantCode(t, err, iam.CodeNoSuchEntity)
	wantCode(t, e.svc.DeleteUser(ctx, testAccountID, "bob"), iam.CodeNoSuchEntity)
}

func TestCreateUserErrors(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.svc.CreateUser(ctx, testAccountID, "alice", "", nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, user, path, code string
	}{
		{"same name", "alice", "", iam.CodeEntityExists},
		{"same name in other case", "Alice", "/x/", iam.CodeEntityExists},
		{"empty name", "", "", iam.CodeValidation},
		{"space in name", "al ice", "", iam.CodeValidation},
		{"slash in name", "a/b", "", iam.CodeValidation},
		{"name too long", strings.Repeat("a", 65), "", iam.CodeValidation},
		{"path without leading slash", "p1", "eng/", iam.CodeValidation},
		{"path without trailing slash", "p2", "/eng", iam.CodeValidation},
		{"path with a space", "p3", "/a b/", iam.CodeValidation},
		{"path too long", "p4", "/" + strings.Repeat("a", 511) + "/", iam.CodeValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.CreateUser(ctx, testAccountID, tt.user, tt.path, nil)
			wantCode(t, err, tt.code)
		})
	}
	if _, err := e.svc.CreateUser(ctx, testAccountID, strings.Repeat("a", 64), "/"+strings.Repeat("b", 510)+"/", nil); err != nil {
		t.Errorf("a 64-character name and a 512-character path: %v", err)
	}
}

func TestUpdateUserRename(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for _, name := range []string{"alice", "bob"} {
		if _, err := e.svc.CreateUser(ctx, testAccountID, name, "/eng/", nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.CreateGroup(ctx, testAccountID, "devs", ""); err != nil {
		t.Fatal(err)
	}
	must(t, e.svc.AddUserToGroup(ctx, testAccountID, "devs", "alice"))
	must(t, e.svc.AddUserToGroup(ctx, testAccountID, "devs", "bob"))
	key, _, err := e.svc.CreateAccessKey(ctx, testAccountID, "alice")
	must(t, err)

	wantCode(t, e.svc.UpdateUser(ctx, testAccountID, "alice", "BOB", ""), iam.CodeEntityExists)
	wantCode(t, e.svc.UpdateUser(ctx, testAccountID, "nobody", "x", ""), iam.CodeNoSuchEntity)
	wantCode(t, e.svc.UpdateUser(ctx, testAccountID, "alice", "bad name", ""), iam.CodeValidation)
	wantCode(t, e.svc.UpdateUser(ctx, testAccountID, "alice", "", "nopath"), iam.CodeValidation)

	must(t, e.svc.UpdateUser(ctx, testAccountID, "alice", "zoe", ""))
	_, err = e.svc.GetUser(ctx, testAccountID, "alice")
	wantCode(t, err, iam.CodeNoSuchEntity)
	zoe, err := e.svc.GetUser(ctx, testAccountID, "zoe")
	if err != nil || zoe.Path != "/eng/" {
		t.Fatalf("GetUser(zoe) = %+v, %v; want the renamed user, path kept", zoe, err)
	}
	_, members, err := e.svc.GetGroup(ctx, testAccountID, "devs")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range members {
		names = append(names, m.Name)
	}
	if !slices.Equal(names, []string{"bob", "zoe"}) {
		t.Errorf("devs members after the rename = %q, want bob, zoe", names)
	}
	if gs, err := e.svc.ListGroupsForUser(ctx, testAccountID, "zoe"); err != nil || len(gs) != 1 || gs[0].Name != "devs" {
		t.Errorf("ListGroupsForUser(zoe) = %+v, %v; want devs", gs, err)
	}
	// The renamed user's key signs as the new name.
	cred, err := e.creds.Lookup(ctx, key.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	if cred.Principal.UserName != "zoe" || cred.Principal.ARN != "arn:aws:iam::"+testAccountID+":user/eng/zoe" || cred.Principal.UserID != zoe.ID {
		t.Errorf("principal after the rename = %+v", cred.Principal)
	}
	// Case-only rename.
	must(t, e.svc.UpdateUser(ctx, testAccountID, "zoe", "Zoe", ""))
	if got, err := e.svc.GetUser(ctx, testAccountID, "zoe"); err != nil || got.Name != "Zoe" {
		t.Errorf("after renaming zoe to Zoe: %+v, %v", got, err)
	}
}

func TestDeleteUserConflicts(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(t *testing.T, e *env)
		undo  func(t *testing.T, e *env)
	}{
		{
			name: "access key",
			setup: func(t *testing.T, e *env) {
				_, _, err := e.svc.CreateAccessKey(ctx, testAccountID, "alice")
				must(t, err)
			},
			undo: func(t *testing.T, e *env) {
				keys, err := e.svc.ListAccessKeys(ctx, testAccountID, "alice")
				must(t, err)
				for _, k := range keys {
					must(t, e.svc.DeleteAccessKey(ctx, testAccountID, "alice", k.AccessKeyID))
				}
			},
		},
		{
			name: "inline policy",
			setup: func(t *testing.T, e *env) {
				must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "p", allowDoc("s3:GetObject", "*")))
			},
			undo: func(t *testing.T, e *env) {
				must(t, e.svc.DeleteInlinePolicy(ctx, testAccountID, iam.KindUser, "alice", "p"))
			},
		},
		{
			name: "attached policy",
			setup: func(t *testing.T, e *env) {
				must(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindUser, "alice", readOnlyARN))
			},
			undo: func(t *testing.T, e *env) {
				must(t, e.svc.DetachPolicy(ctx, testAccountID, iam.KindUser, "alice", readOnlyARN))
			},
		},
		{
			name: "group membership",
			setup: func(t *testing.T, e *env) {
				_, err := e.svc.CreateGroup(ctx, testAccountID, "g", "")
				must(t, err)
				must(t, e.svc.AddUserToGroup(ctx, testAccountID, "g", "alice"))
			},
			undo: func(t *testing.T, e *env) {
				must(t, e.svc.RemoveUserFromGroup(ctx, testAccountID, "g", "alice"))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.svc.CreateUser(ctx, testAccountID, "alice", "", nil)
			must(t, err)
			tt.setup(t, e)
			wantCode(t, e.svc.DeleteUser(ctx, testAccountID, "alice"), iam.CodeDeleteConflict)
			if _, err := e.svc.GetUser(ctx, testAccountID, "alice"); err != nil {
				t.Fatalf("the user is gone after a refused delete: %v", err)
			}
			tt.undo(t, e)
			must(t, e.svc.DeleteUser(ctx, testAccountID, "alice"))
		})
	}
}

func TestUserTags(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.svc.CreateUser(ctx, testAccountID, "alice", "", []iam.Tag{{Key: "team", Value: "a"}, {Key: "env", Value: "prod"}})
	must(t, err)
	tags := func() []iam.Tag {
		t.Helper()
		u, err := e.svc.GetUser(ctx, testAccountID, "alice")
		must(t, err)
		return u.Tags
	}

	must(t, e.svc.TagUser(ctx, testAccountID, "alice", []iam.Tag{{Key: "team", Value: "b"}, {Key: "cost", Value: ""}}))
	if got, want := tags(), []iam.Tag{{"team", "b"}, {"env", "prod"}, {"cost", ""}}; !slices.Equal(got, want) {
		t.Errorf("tags after TagUser = %v, want %v (value replaced, new key added)", got, want)
	}
	must(t, e.svc.UntagUser(ctx, testAccountID, "alice", []string{"team", "absent"}))
	if got, want := tags(), []iam.Tag{{"env", "prod"}, {"cost", ""}}; !slices.Equal(got, want) {
		t.Errorf("tags after UntagUser = %v, want %v", got, want)
	}
	wantCode(t, e.svc.TagUser(ctx, testAccountID, "nobody", []iam.Tag{{Key: "k", Value: "v"}}), iam.CodeNoSuchEntity)
	wantCode(t, e.svc.UntagUser(ctx, testAccountID, "nobody", []string{"k"}), iam.CodeNoSuchEntity)

	t.Run("invalid", func(t *testing.T) {
		for _, tag := range []iam.Tag{
			{Key: "aws:reserved", Value: "v"},
			{Key: "", Value: "v"},
			{Key: strings.Repeat("k", 129), Value: "v"},
			{Key: "k", Value: strings.Repeat("v", 257)},
			{Key: "semi;colon", Value: "v"},
		} {
			wantCode(t, e.svc.TagUser(ctx, testAccountID, "alice", []iam.Tag{tag}), iam.CodeInvalidInput)
		}
		if got := tags(); len(got) != 2 {
			t.Errorf("tags after refused TagUser calls = %v, want them unchanged", got)
		}
	})

	t.Run("limit", func(t *testing.T) {
		var fill []iam.Tag
		for i := len(tags()); i < iam.MaxTagsPerUser; i++ {
			fill = append(fill, iam.Tag{Key: fmt.Sprintf("k%02d", i), Value: "v"})
		}
		must(t, e.svc.TagUser(ctx, testAccountID, "alice", fill))
		if n := len(tags()); n != iam.MaxTagsPerUser {
			t.Fatalf("%d tags, want %d", n, iam.MaxTagsPerUser)
		}
		wantCode(t, e.svc.TagUser(ctx, testAccountID, "alice", []iam.Tag{{Key: "one-more", Value: "v"}}), iam.CodeLimitExceeded)
		// Replacing a value at the limit is no new tag.
		must(t, e.svc.TagUser(ctx, testAccountID, "alice", []iam.Tag{{Key: "env", Value: "dev"}}))

		var many []iam.Tag
		for i := range iam.MaxTagsPerUser + 1 {
			many = append(many, iam.Tag{Key: fmt.Sprintf("k%02d", i), Value: "v"})
		}
		_, err := e.svc.CreateUser(ctx, testAccountID, "bob", "", many)
		wantCode(t, err, iam.CodeLimitExceeded)
	})
}

// TestUserTagKeysAreCaseInsensitive: IAM user tag keys are not case
// sensitive, but case is preserved (IAM User Guide, "Tagging IAM
// resources"): tagging Department=hr where department=finance exists
// replaces it, and untagging DEPARTMENT removes it.
func TestUserTagKeysAreCaseInsensitive(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.svc.CreateUser(ctx, testAccountID, "alice", "", []iam.Tag{{Key: "department", Value: "finance"}})
	must(t, err)
	var bugs []string
	must(t, e.svc.TagUser(ctx, testAccountID, "alice", []iam.Tag{{Key: "Department", Value: "hr"}}))
	u, err := e.svc.GetUser(ctx, testAccountID, "alice")
	must(t, err)
	if len(u.Tags) != 1 || u.Tags[0].Value != "hr" {
		bugs = append(bugs, fmt.Sprintf("TagUser(Department=hr) leaves %v", u.Tags))
	}
	must(t, e.svc.UntagUser(ctx, testAccountID, "alice", []string{"DEPARTMENT"}))
	u, err = e.svc.GetUser(ctx, testAccountID, "alice")
	must(t, err)
	if len(u.Tags) != 0 {
		bugs = append(bugs, fmt.Sprintf("UntagUser(DEPARTMENT) leaves %v", u.Tags))
	}
	if len(bugs) > 0 {
		t.Errorf("tag keys must compare case-insensitively: %s", strings.Join(bugs, "; "))
	}
}

func TestAccessKeys(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	if _, err := e.svc.CreateUser(ctx, testAccountID, "alice", "/eng/", nil); err != nil {
		t.Fatal(err)
	}
	alice, err := e.svc.GetUser(ctx, testAccountID, "alice")
	must(t, err)

	secrets := map[string]string{}
	for range iam.MaxAccessKeysPerUser {
		info, secret, err := e.svc.CreateAccessKey(ctx, testAccountID, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(info.AccessKeyID, "AKIA") || len(info.AccessKeyID) != 20 || len(secret) != 40 ||
			info.Status != iam.StatusActive || info.UserName != "alice" {
			t.Errorf("CreateAccessKey = %+v, secret of %d characters", info, len(secret))
		}
		secrets[info.AccessKeyID] = secret
	}
	_, _, err = e.svc.CreateAccessKey(ctx, testAccountID, "alice")
	wantCode(t, err, iam.CodeLimitExceeded)
	_, _, err = e.svc.CreateAccessKey(ctx, testAccountID, "nobody")
	wantCode(t, err, iam.CodeNoSuchEntity)
	keys, err := e.svc.ListAccessKeys(ctx, testAccountID, "alice")
	if err != nil || len(keys) != iam.MaxAccessKeysPerUser {
		t.Fatalf("ListAccessKeys = %+v, %v; want %d keys", keys, err, iam.MaxAccessKeysPerUser)
	}

	for id, secret := range secrets {
		cred, err := e.creds.Lookup(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := auth.Principal{AccountID: testAccountID, AccessKeyID: id, UserName: "alice", UserID: alice.ID,
			ARN: "arn:aws:iam::" + testAccountID + ":user/eng/alice"}
		if cred.SecretKey != secret || cred.AccessKeyID != id || cred.Principal != want {
			t.Errorf("Lookup(%s) = %+v, want secret %q and principal %+v", id, cred, secret, want)
		}
	}

	// The stored document holds no secret in any readable form.
	stored, err := e.store.GetAccount(ctx, testAccountID)
	must(t, err)
	for id, secret := range secrets {
		if !slices.Contains(stored.AccessKeys, id) {
			t.Errorf("stored access keys %q lack %s", stored.AccessKeys, id)
		}
		for _, form := range []string{secret, base64.StdEncoding.EncodeToString([]byte(secret))} {
			if bytes.Contains(stored.IAM, []byte(form)) {
				t.Errorf("the stored document contains the secret of %s: %s", id, stored.IAM)
			}
		}
	}

	first, second := keys[0].AccessKeyID, keys[1].AccessKeyID
	t.Run("inactive", func(t *testing.T) {
		must(t, e.svc.UpdateAccessKey(ctx, testAccountID, "alice", first, iam.StatusInactive))
		if _, err := e.creds.Lookup(ctx, first); !errors.Is(err, auth.ErrInvalidAccessKeyID) {
			t.Errorf("Lookup(inactive key) = %v, want ErrInvalidAccessKeyID", err)
		}
		if _, err := e.creds.Lookup(ctx, second); err != nil {
			t.Errorf("the other key: %v", err)
		}
		must(t, e.svc.UpdateAccessKey(ctx, testAccountID, "alice", first, iam.StatusActive))
		if cred, err := e.creds.Lookup(ctx, first); err != nil || cred.SecretKey != secrets[first] {
			t.Errorf("Lookup(reactivated key) = %+v, %v", cred, err)
		}
		wantCode(t, e.svc.UpdateAccessKey(ctx, testAccountID, "alice", first, "Disabled"), iam.CodeValidation)
		wantCode(t, e.svc.UpdateAccessKey(ctx, testAccountID, "alice", "AKIANONE", iam.StatusInactive), iam.CodeNoSuchEntity)
	})

	t.Run("deleted", func(t *testing.T) {
		must(t, e.svc.DeleteAccessKey(ctx, testAccountID, "alice", first))
		if _, err := e.creds.Lookup(ctx, first); !errors.Is(err, auth.ErrInvalidAccessKeyID) {
			t.Errorf("Lookup(deleted key) = %v, want ErrInvalidAccessKeyID", err)
		}
		if _, err := e.store.AccessKeyAccount(ctx, first); !errors.Is(err, meta.ErrNoSuchAccessKey) {
			t.Errorf("the deleted key is still indexed: %v", err)
		}
		wantCode(t, e.svc.DeleteAccessKey(ctx, testAccountID, "alice", first), iam.CodeNoSuchEntity)
		// Room for a new key again.
		if _, _, err := e.svc.CreateAccessKey(ctx, testAccountID, "alice"); err != nil {
			t.Errorf("a key after deleting one: %v", err)
		}
	})
}

func TestRootAccessKeys(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	info, secret, err := e.svc.CreateAccessKey(ctx, testAccountID, "")
	must(t, err)
	if info.UserName != "" {
		t.Errorf("root key user = %q, want none", info.UserName)
	}
	cred, err := e.creds.Lookup(ctx, info.AccessKeyID)
	must(t, err)
	if cred.SecretKey != secret || cred.Principal.ARN != "arn:aws:iam::"+testAccountID+":root" || cred.Principal.UserName != "" {
		t.Errorf("Lookup(root key) = %+v", cred)
	}
	// A root user has no identity policies: it holds every permission.
	if ps, err := e.svc.IdentityPolicies(ctx, cred.Principal); err != nil || ps != nil {
		t.Errorf("IdentityPolicies(root) = %v, %v; want none", ps, err)
	}
}

func TestAccessKeyLastUsed(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.svc.CreateUser(ctx, testAccountID, "alice", "", nil)
	must(t, err)
	info, _, err := e.svc.CreateAccessKey(ctx, testAccountID, "alice")
	must(t, err)
	cred, err := e.creds.Lookup(ctx, info.AccessKeyID)
	must(t, err)

	user, use, err := e.svc.AccessKeyLastUsed(ctx, testAccountID, info.AccessKeyID)
	if err != nil || user != "alice" || !use.Time.IsZero() {
		t.Fatalf("AccessKeyLastUsed before use = %q, %+v, %v", user, use, err)
	}
	first := e.clock.Now()
	e.svc.RecordUse(ctx, cred.Principal, "s3", "us-east-1")
	e.clock.Advance(time.Second)
	e.svc.RecordUse(ctx, cred.Principal, "iam", "us-west-2") // within the minute: not written
	user, use, err = e.svc.AccessKeyLastUsed(ctx, testAccountID, info.AccessKeyID)
	if err != nil || user != "alice" || !use.Time.Equal(first) || use.Service != "s3" || use.Region != "us-east-1" {
		t.Errorf("AccessKeyLastUsed = %q, %+v, %v; want alice, s3 in us-east-1 at %v", user, use, err, first)
	}
	e.clock.Advance(time.Minute)
	e.svc.RecordUse(ctx, cred.Principal, "iam", "us-west-2")
	if _, use, err := e.svc.AccessKeyLastUsed(ctx, testAccountID, info.AccessKeyID); err != nil || use.Service != "iam" || !use.Time.Equal(e.clock.Now()) {
		t.Errorf("AccessKeyLastUsed a minute later = %+v, %v; want the iam use", use, err)
	}

	// Another account's key, and an unknown one, are not found.
	other, err := e.svc.CreateAccount(ctx, "other")
	must(t, err)
	_, _, err = e.svc.AccessKeyLastUsed(ctx, testAccountID, other.AccessKeyID)
	wantCode(t, err, iam.CodeNoSuchEntity)
	_, _, err = e.svc.AccessKeyLastUsed(ctx, testAccountID, "AKIANONE")
	wantCode(t, err, iam.CodeNoSuchEntity)
}

func TestGroups(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for _, u := range []string{"alice", "bob"} {
		_, err := e.svc.CreateUser(ctx, testAccountID, u, "", nil)
		must(t, err)
	}
	g, err := e.svc.CreateGroup(ctx, testAccountID, "devs", "/eng/")
	if err != nil || !strings.HasPrefix(g.ID, "AGPA") || g.Path != "/eng/" {
		t.Fatalf("CreateGroup = %+v, %v", g, err)
	}
	_, err = e.svc.CreateGroup(ctx, testAccountID, "ops", "")
	must(t, err)
	_, err = e.svc.CreateGroup(ctx, testAccountID, "DEVS", "")
	wantCode(t, err, iam.CodeEntityExists)
	_, err = e.svc.CreateGroup(ctx, testAccountID, "bad name", "")
	wantCode(t, err, iam.CodeValidation)
	_, err = e.svc.CreateGroup(ctx, testAccountID, "x", "bad")
	wantCode(t, err, iam.CodeValidation)

	wantCode(t, e.svc.AddUserToGroup(ctx, testAccountID, "nogroup", "alice"), iam.CodeNoSuchEntity)
	wantCode(t, e.svc.AddUserToGroup(ctx, testAccountID, "devs", "nobody"), iam.CodeNoSuchEntity)
	must(t, e.svc.AddUserToGroup(ctx, testAccountID, "devs", "ALICE"))
	must(t, e.svc.AddUserToGroup(ctx, testAccountID, "devs", "alice")) // again: no change
	must(t, e.svc.AddUserToGroup(ctx, testAccountID, "ops", "alice"))
	must(t, e.svc.AddUserToGroup(ctx, testAccountID, "devs", "bob"))

	_, members, err := e.svc.GetGroup(ctx, testAccountID, "devs")
	if err != nil || len(members) != 2 || members[0].Name != "alice" || members[1].Name != "bob" {
		t.Errorf("GetGroup(devs) members = %+v, %v; want alice, bob", members, err)
	}
	groupNames := func(gs []iam.Group) []string {
		var out []string
		for _, g := range gs {
			out = append(out, g.Name)
		}
		return out
	}
	if gs, err := e.svc.ListGroupsForUser(ctx, testAccountID, "alice"); err != nil || !slices.Equal(groupNames(gs), []string{"devs", "ops"}) {
		t.Errorf("ListGroupsForUser(alice) = %q, %v", groupNames(gs), err)
	}
	if gs, err := e.svc.ListGroupsForUser(ctx, testAccountID, "bob"); err != nil || !slices.Equal(groupNames(gs), []string{"devs"}) {
		t.Errorf("ListGroupsForUser(bob) = %q, %v", groupNames(gs), err)
	}
	_, err = e.svc.ListGroupsForUser(ctx, testAccountID, "nobody")
	wantCode(t, err, iam.CodeNoSuchEntity)
	if gs, err := e.svc.ListGroups(ctx, testAccountID, "/eng/"); err != nil || !slices.Equal(groupNames(gs), []string{"devs"}) {
		t.Errorf("ListGroups(/eng/) = %q, %v", groupNames(gs), err)
	}

	wantCode(t, e.svc.DeleteGroup(ctx, testAccountID, "devs"), iam.CodeDeleteConflict)
	must(t, e.svc.RemoveUserFromGroup(ctx, testAccountID, "devs", "alice"))
	wantCode(t, e.svc.RemoveUserFromGroup(ctx, testAccountID, "devs", "alice"), iam.CodeNoSuchEntity)
	must(t, e.svc.RemoveUserFromGroup(ctx, testAccountID, "devs", "bob"))
	if gs, err := e.svc.ListGroupsForUser(ctx, testAccountID, "alice"); err != nil || !slices.Equal(groupNames(gs), []string{"ops"}) {
		t.Errorf("ListGroupsForUser(alice) after removal = %q, %v", groupNames(gs), err)
	}

	// Policies also keep a group from being deleted.
	must(t, e.svc.PutInlinePolicy(ctx, testAccountID, iam.KindGroup, "devs", "p", allowDoc("s3:GetObject", "*")))
	wantCode(t, e.svc.DeleteGroup(ctx, testAccountID, "devs"), iam.CodeDeleteConflict)
	must(t, e.svc.DeleteInlinePolicy(ctx, testAccountID, iam.KindGroup, "devs", "p"))
	must(t, e.svc.AttachPolicy(ctx, testAccountID, iam.KindGroup, "devs", readOnlyARN))
	wantCode(t, e.svc.DeleteGroup(ctx, testAccountID, "devs"), iam.CodeDeleteConflict)
	must(t, e.svc.DetachPolicy(ctx, testAccountID, iam.KindGroup, "devs", readOnlyARN))
	must(t, e.svc.DeleteGroup(ctx, testAccountID, "devs"))
	_, _, err = e.svc.GetGroup(ctx, testAccountID, "devs")
	wantCode(t, err, iam.CodeNoSuchEntity)
	wantCode(t, e.svc.DeleteGroup(ctx, testAccountID, "devs"), iam.CodeNoSuchEntity)
}

func TestGroupsPerUserLimit(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.svc.CreateUser(ctx, testAccountID, "alice", "", nil)
	must(t, err)
	for i := range iam.MaxGroupsPerUser + 1 {
		name := fmt.Sprintf("g%02d", i)
		_, err := e.svc.CreateGroup(ctx, testAccountID, name, "")
		must(t, err)
		err = e.svc.AddUserToGroup(ctx, testAccountID, name, "alice")
		if i < iam.MaxGroupsPerUser {
			must(t, err)
		} else {
			wantCode(t, err, iam.CodeLimitExceeded)
		}
	}
}

// TestSecretsStayOutOfLogs: the values that carry a secret (a new
// account's root key, temporary credentials, an MFA seed) log without it.
func TestSecretsStayOutOfLogs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("x",
		"account", iam.NewAccount{Account: iam.Account{ID: "111122223333"}, AccessKeyID: "AKIAX", SecretAccessKey: "account-secret"},
		"session", iam.TempCredentials{AccessKeyID: "ASIAX", SecretAccessKey: "session-secret", SessionToken: "session-token"},
		"mfa", iam.NewMFADevice{Serial: "arn:aws:iam::111122223333:mfa/a", Base32Seed: "SEEDSEEDSEED"})
	for _, secret := range []string{"account-secret", "session-secret", "session-token", "SEEDSEEDSEED"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("log line %s shows %q", buf.String(), secret)
		}
	}
	if !strings.Contains(buf.String(), "AKIAX") || !strings.Contains(buf.String(), "ASIAX") {
		t.Errorf("log line %s lost the key IDs", buf.String())
	}
}
