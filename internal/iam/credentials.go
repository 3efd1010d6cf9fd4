package iam

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/meta"
	"github.com/coffer-project/coffer/internal/policy"
)

// Credentials answers auth.Verifier's lookups: the operator's configured
// root credential first, then the access keys stored in accounts.
type Credentials struct {
	IAM *Service
	// Operator is the first account's root credential (from the data
	// dir or the environment); its principal is marked Operator.
	Operator auth.Credential
}

var _ auth.Credentials = (*Credentials)(nil)

// Lookup implements auth.Credentials. An inactive key is as unknown as a
// deleted one (InvalidAccessKeyId), as on AWS.
func (c *Credentials) Lookup(ctx context.Context, id string) (auth.Credential, error) {
	if id == c.Operator.AccessKeyID && id != "" {
		return c.Operator, nil
	}
	s := c.IAM
	account, err := s.keyAccount(ctx, id)
	if errors.Is(err, meta.ErrNoSuchAccessKey) {
		return auth.Credential{}, fmt.Errorf("iam: access key %q: %w", id, auth.ErrInvalidAccessKeyID)
	}
	if err != nil {
		return auth.Credential{}, err
	}
	snap, err := s.account(ctx, account)
	if err != nil {
		return auth.Credential{}, err
	}
	key, user := snap.st.findKey(id)
	var origin *OriginAccess
	if key == nil {
		if origin = snap.st.originByKey(id); origin != nil {
			key = origin.Key
		}
	}
	if key == nil || key.Status != StatusActive {
		return auth.Credential{}, fmt.Errorf("iam: access key %q: %w", id, auth.ErrInvalidAccessKeyID)
	}
	secret, err := s.secret(ctx, snap, key)
	if err != nil {
		return auth.Credential{}, err
	}
	p := auth.Principal{AccountID: account, AccessKeyID: id, ARN: "arn:" + s.partition() + ":iam::" + account + ":root"}
	switch {
	case origin != nil:
		p = s.originPrincipal(account, origin)
	case user != nil:
		p.UserName, p.UserID, p.ARN = user.Name, user.ID, s.UserARN(account, user)
	}
	return auth.Credential{AccessKeyID: id, SecretKey: secret, Principal: p}, nil
}

// maxCachedKeys bounds the access key → account cache; past it, it starts
// over.
const maxCachedKeys = 1 << 16

// keyAccount is the account an access key belongs to. A key never moves
// between accounts, so the answer is cached; a deleted key is then missing
// from the account's snapshot, which Lookup checks.
func (s *Service) keyAccount(ctx context.Context, id string) (string, error) {
	s.mu.Lock()
	account, ok := s.keyAccounts[id]
	s.mu.Unlock()
	if ok {
		return account, nil
	}
	account, err := s.Store.AccessKeyAccount(ctx, id)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	if s.keyAccounts == nil || len(s.keyAccounts) >= maxCachedKeys {
		s.keyAccounts = map[string]string{}
	}
	s.keyAccounts[id] = account
	s.mu.Unlock()
	return account, nil
}

// findKey returns an access key and its user (nil for a root key).
func (st *state) findKey(id string) (*AccessKey, *User) {
	for _, k := range st.RootKeys {
		if k.ID == id {
			return k, nil
		}
	}
	for _, u := range st.Users {
		for _, k := range u.Keys {
			if k.ID == id {
				return k, u
			}
		}
	}
	return nil, nil
}

// secret unseals a key's secret once per snapshot.
func (s *Service) secret(ctx context.Context, snap *snapshot, key *AccessKey) (string, error) {
	s.mu.Lock()
	v, ok := snap.secrets[key.ID]
	s.mu.Unlock()
	if ok {
		return v, nil
	}
	b, err := s.Sealer.Open(ctx, key.Sealed, secretAAD(snap.account.ID, key.ID))
	if err != nil {
		return "", fmt.Errorf("iam: access key %s: %w", key.ID, err)
	}
	v = string(b)
	clear(b)
	s.mu.Lock()
	snap.secrets[key.ID] = v
	s.mu.Unlock()
	return v, nil
}

// RecordUse records that an access key signed a request for service in
// region (GetAccessKeyLastUsed), at most once a minute per key.
func (s *Service) RecordUse(ctx context.Context, p auth.Principal, service, region string) {
	if p.Anonymous || p.Operator || p.AccessKeyID == "" {
		return
	}
	now := s.now()
	s.mu.Lock()
	if s.lastUsed == nil {
		s.lastUsed = map[string]time.Time{}
	}
	last := s.lastUsed[p.AccessKeyID]
	due := now.Sub(last) >= lastUsedWriteInterval
	if due {
		s.lastUsed[p.AccessKeyID] = now
	}
	s.mu.Unlock()
	if !due {
		return
	}
	if err := s.Store.TouchAccessKey(ctx, p.AccessKeyID, meta.AccessKeyUse{Time: now, Service: service, Region: region}); err != nil {
		s.log().Warn("iam: recording access key use", "access_key_id", p.AccessKeyID, "err", err)
	}
}

// IdentityPolicies returns the identity policies in effect for a caller:
// for an IAM user (or a session of one) its inline and attached policies
// and those of its groups; for an assumed-role session the role's; none
// for a root user (root holds every permission of its account) or an
// anonymous caller. Policies are parsed once per change.
func (s *Service) IdentityPolicies(ctx context.Context, p auth.Principal) ([]*policy.Policy, error) {
	role := p.Session != nil && p.Session.RoleName != ""
	if p.Anonymous || p.UserName == "" && !role {
		return nil, nil
	}
	snap, err := s.account(ctx, p.AccountID)
	if err != nil {
		return nil, err
	}
	// Keyed by unique ID: a user or role deleted and created again under
	// the same name is another entity, whose policies the old one's
	// credentials must not get.
	key := "user/" + p.UserID
	if role {
		key = "role/" + p.Session.RoleID
	}
	s.mu.Lock()
	ps, ok := snap.policies[key]
	s.mu.Unlock()
	if ok {
		return ps, nil
	}
	var srcs []policySource
	switch {
	case role:
		r := snap.st.role(p.Session.RoleName)
		if r == nil || r.ID != p.Session.RoleID {
			return nil, nil // deleted since the session was looked up
		}
		srcs, err = s.collectSources(nil, snap.st, p.AccountID, r.Inline, r.Attached, "role")
	default:
		u := snap.st.user(p.UserName)
		if u == nil || u.ID != p.UserID {
			// Deleted (or deleted and created again) since the key was
			// looked up: no permissions.
			return nil, nil
		}
		srcs, err = s.policySources(snap.st, p.AccountID, u)
	}
	if err != nil {
		return nil, err
	}
	ps = make([]*policy.Policy, len(srcs))
	for i, src := range srcs {
		ps[i] = src.policy
	}
	s.mu.Lock()
	snap.policies[key] = ps
	s.mu.Unlock()
	return ps, nil
}

// policySource is an identity policy and where it comes from, as
// SimulatePrincipalPolicy reports it.
type policySource struct {
	policy *policy.Policy
	id     string // SourcePolicyId: the policy's name
	typ    string // SourcePolicyType: user, group, user-managed, aws-managed
}

// policySources parses the identity policies of user u: its own and its
// groups'.
func (s *Service) policySources(st *state, account string, u *User) ([]policySource, error) {
	out, err := s.collectSources(nil, st, account, u.Inline, u.Attached, "user")
	if err != nil {
		return nil, err
	}
	for _, g := range st.groupsOf(u.Name) {
		if out, err = s.collectSources(out, st, account, g.Inline, g.Attached, "group"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// collectSources appends the parsed inline policies (of type inlineType)
// and the default versions of the attached managed policies to out.
func (s *Service) collectSources(out []policySource, st *state, account string, inline []InlinePolicy, attached []string, inlineType string) ([]policySource, error) {
	add := func(doc, id, typ string) error {
		p, err := policy.Parse([]byte(doc), policy.KindIdentity)
		if err != nil {
			return fmt.Errorf("iam: stored policy %s (%s): %w", id, typ, err)
		}
		p.Name = id
		out = append(out, policySource{policy: p, id: id, typ: typ})
		return nil
	}
	for _, ip := range inline {
		if err := add(ip.Document, ip.Name, inlineType); err != nil {
			return nil, err
		}
	}
	for _, arn := range attached {
		mp, err := s.findPolicy(st, account, arn)
		if err != nil {
			continue // detached by a concurrent delete: grants nothing
		}
		typ := "user-managed"
		if isAWSManaged(mp) {
			typ = "aws-managed"
		}
		for _, v := range mp.Versions {
			if v.ID == mp.DefaultVersion {
				if err := add(v.Document, mp.Name, typ); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// AddPrincipalTags sets aws:PrincipalTag/<key> in condition keys c for
// each tag of the caller: an IAM user's tags, or an assumed role's.
func (s *Service) AddPrincipalTags(ctx context.Context, c map[string][]string, p auth.Principal) error {
	role := p.Session != nil && p.Session.RoleName != ""
	if p.Anonymous || p.UserName == "" && !role {
		return nil
	}
	snap, err := s.account(ctx, p.AccountID)
	if err != nil {
		return err
	}
	var tags []Tag
	if role {
		if r := snap.st.role(p.Session.RoleName); r != nil && r.ID == p.Session.RoleID {
			tags = r.Tags
		}
	} else if u := snap.st.user(p.UserName); u != nil && u.ID == p.UserID {
		tags = u.Tags
	}
	for _, t := range tags {
		c["aws:principaltag/"+strings.ToLower(t.Key)] = []string{t.Value}
	}
	return nil
}
