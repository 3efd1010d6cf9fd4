package iam

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/policy"
)

// state is an account's IAM document, as stored (meta.Account.IAM). Lists
// are kept sorted by name (IDs for keys) so listings page in AWS's order.
type state struct {
	// RootKeys are the root user's access keys of accounts created by
	// CreateAccount. The first account's root key is the server's
	// configured credential and is not stored here.
	RootKeys []*AccessKey     `json:"root_keys,omitempty"`
	Users    []*User          `json:"users,omitempty"`
	Groups   []*Group         `json:"groups,omitempty"`
	Policies []*ManagedPolicy `json:"policies,omitempty"`
	Roles    []*Role          `json:"roles,omitempty"`
	MFA      []*MFADevice     `json:"mfa,omitempty"`
	// PublicAccessBlock is the account's Block Public Access (S3
	// Control); nil when none is set.
	PublicAccessBlock *meta.PublicAccessBlock `json:"public_access_block,omitempty"`
	// Origins are the account's origin access identities and controls,
	// in ID order (origin.go).
	Origins []*OriginAccess `json:"origins,omitempty"`
}

// User is an IAM user.
type User struct {
	Name     string         `json:"name"`
	ID       string         `json:"id"` // AIDA…
	Path     string         `json:"path"`
	Created  time.Time      `json:"created"`
	Tags     []Tag          `json:"tags,omitempty"`
	Inline   []InlinePolicy `json:"inline,omitempty"`
	Attached []string       `json:"attached,omitempty"` // policy ARNs
	Keys     []*AccessKey   `json:"keys,omitempty"`
}

// Group is an IAM group.
type Group struct {
	Name     string         `json:"name"`
	ID       string         `json:"id"` // AGPA…
	Path     string         `json:"path"`
	Created  time.Time      `json:"created"`
	Members  []string       `json:"members,omitempty"` // user names, sorted
	Inline   []InlinePolicy `json:"inline,omitempty"`
	Attached []string       `json:"attached,omitempty"`
}

// InlinePolicy is a policy embedded in a user or group.
type InlinePolicy struct {
	Name     string `json:"name"`
	Document string `json:"document"`
}

// ManagedPolicy is a customer managed policy and its versions.
type ManagedPolicy struct {
	Name           string          `json:"name"`
	ID             string          `json:"id"` // ANPA…
	Path           string          `json:"path"`
	Description    string          `json:"description,omitempty"`
	Created        time.Time       `json:"created"`
	Updated        time.Time       `json:"updated"`
	DefaultVersion string          `json:"default_version"`
	NextVersion    int             `json:"next_version"`
	Versions       []PolicyVersion `json:"versions"` // newest first
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	ID       string    `json:"id"` // v1, v2, …
	Document string    `json:"document"`
	Created  time.Time `json:"created"`
}

// Tag is a user tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// AccessKey is an access key pair; the secret is sealed.
type AccessKey struct {
	ID      string    `json:"id"`
	Sealed  []byte    `json:"sealed"`
	Status  string    `json:"status"` // Active | Inactive
	Created time.Time `json:"created"`
}

// Access key statuses.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

func decodeState(b []byte) (*state, error) {
	st := &state{}
	if len(b) == 0 {
		return st, nil
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("iam: decode account state: %w", err)
	}
	return st, nil
}

func (st *state) encode() ([]byte, error) { return json.Marshal(st) }

// accessKeyIDs are every access key the state holds.
func (st *state) accessKeyIDs() []string {
	var ids []string
	for _, k := range st.RootKeys {
		ids = append(ids, k.ID)
	}
	for _, u := range st.Users {
		for _, k := range u.Keys {
			ids = append(ids, k.ID)
		}
	}
	for _, o := range st.Origins {
		ids = append(ids, o.Key.ID)
	}
	slices.Sort(ids)
	return ids
}

func (st *state) user(name string) *User {
	for _, u := range st.Users {
		if equalFold(u.Name, name) {
			return u
		}
	}
	return nil
}

func (st *state) group(name string) *Group {
	for _, g := range st.Groups {
		if equalFold(g.Name, name) {
			return g
		}
	}
	return nil
}

func (st *state) role(name string) *Role {
	for _, r := range st.Roles {
		if equalFold(r.Name, name) {
			return r
		}
	}
	return nil
}

// policy finds a managed policy by name, which IAM compares without case.
func (st *state) policy(name string) *ManagedPolicy {
	for _, p := range st.Policies {
		if equalFold(p.Name, name) {
			return p
		}
	}
	return nil
}

// groupsOf are the groups user name belongs to, in name order.
func (st *state) groupsOf(name string) []*Group {
	var out []*Group
	for _, g := range st.Groups {
		if slices.Contains(g.Members, name) {
			out = append(out, g)
		}
	}
	return out
}

// equalFold: IAM names are unique case-insensitively.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// snapshot is what requests read of an account: its state as of revision,
// with secrets unsealed and identity policies parsed.
type snapshot struct {
	account meta.Account
	st      *state
	checked time.Time // when revision was last confirmed current
	// secrets by access key ID (unsealed lazily; guarded by Service.mu).
	secrets map[string]string
	// policies by user name (built lazily; guarded by Service.mu).
	policies map[string][]*policy.Policy
}

// account returns the current snapshot of an account.
func (s *Service) account(ctx context.Context, id string) (*snapshot, error) {
	now := s.now()
	s.mu.Lock()
	snap := s.snapshots[id]
	fresh := snap != nil && now.Sub(snap.checked) < s.revisionCheck()
	s.mu.Unlock()
	if fresh {
		return snap, nil
	}
	if snap != nil {
		rev, err := s.Store.AccountRevision(ctx, id)
		if err != nil {
			return nil, err
		}
		if rev == snap.account.Revision {
			s.mu.Lock()
			snap.checked = now
			s.mu.Unlock()
			return snap, nil
		}
	}
	a, err := s.Store.GetAccount(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.install(a, now)
}

// install decodes a stored account and makes it the cached snapshot.
func (s *Service) install(a meta.Account, now time.Time) (*snapshot, error) {
	st, err := decodeState(a.IAM)
	if err != nil {
		return nil, err
	}
	snap := &snapshot{account: a, st: st, checked: now, secrets: map[string]string{}, policies: map[string][]*policy.Policy{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.snapshots == nil {
		s.snapshots = map[string]*snapshot{}
	}
	if old := s.snapshots[a.ID]; old == nil || old.account.Revision <= a.Revision {
		s.snapshots[a.ID] = snap
	}
	return snap, nil
}

// update changes an account's state in one transaction and installs the
// result. fn sees a private copy of the state.
func (s *Service) update(ctx context.Context, accountID string, fn func(st *state) error) error {
	a, err := s.Store.UpdateAccount(ctx, accountID, func(a *meta.Account) error {
		st, err := decodeState(a.IAM)
		if err != nil {
			return err
		}
		if err := fn(st); err != nil {
			return err
		}
		if a.IAM, err = st.encode(); err != nil {
			return err
		}
		a.AccessKeys = st.accessKeyIDs()
		return nil
	})
	if err != nil {
		return err
	}
	_, err = s.install(a, s.now())
	return err
}

// read runs fn on the account's current state (read-only).
func (s *Service) read(ctx context.Context, accountID string, fn func(st *state) error) error {
	snap, err := s.account(ctx, accountID)
	if err != nil {
		return err
	}
	return fn(snap.st)
}
