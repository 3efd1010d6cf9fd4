package kms

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/coffer-project/coffer/internal/policy"
)

// DefaultPolicyName is the name of a key's one key policy.
const DefaultPolicyName = "default"

// maxCachedPolicies bounds the parsed-policy cache; past it the cache
// starts over (key policies change rarely, so it refills at once).
const maxCachedPolicies = 256

// policyCache holds parsed key policies by document text, so Authorize
// does not parse the same document on every call.
type policyCache struct {
	mu sync.Mutex
	m  map[string]*policy.Policy
}

// parse returns the parsed form of a stored key policy.
func (c *policyCache) parse(doc string) (*policy.Policy, error) {
	c.mu.Lock()
	p, ok := c.m[doc]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := checkPolicy(doc)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedPolicies {
		c.m = make(map[string]*policy.Policy)
	}
	c.m[doc] = p
	c.mu.Unlock()
	return p, nil
}

func checkPolicyName(name string) error {
	if name != "" && name != DefaultPolicyName {
		return fmt.Errorf("kms: the only key policy is named %q, not %q: %w", DefaultPolicyName, name, ErrNotFound)
	}
	return nil
}

// GetKeyPolicy returns the key policy document of the key named by id or
// ARN. policyName must be "default" or empty. Errors: ErrNotFound (key or
// policy name), ErrValidation.
func (s *Store) GetKeyPolicy(ctx context.Context, ref, policyName string) (string, error) {
	if err := checkPolicyName(policyName); err != nil {
		return "", err
	}
	return s.KeyPolicy(ctx, ref)
}

// ListKeyPolicies returns the names of the key's policies: always
// ["default"]. Errors: ErrNotFound, ErrValidation.
func (s *Store) ListKeyPolicies(ctx context.Context, ref string) ([]string, error) {
	if _, err := s.KeyPolicy(ctx, ref); err != nil {
		return nil, err
	}
	return []string{DefaultPolicyName}, nil
}

// PutKeyPolicyInput is the input of PutKeyPolicy.
type PutKeyPolicyInput struct {
	KeyID      string // id or ARN
	PolicyName string // "default" or empty
	Policy     string
	// BypassPolicyLockoutSafetyCheck skips the check that the new policy
	// still lets Caller (with CallerPolicies) call PutKeyPolicy.
	BypassPolicyLockoutSafetyCheck bool
	Caller                         policy.Principal
	CallerPolicies                 []*policy.Policy
}

// PutKeyPolicy replaces the key policy. Unless the lockout check is
// bypassed, the new policy must still allow the caller kms:PutKeyPolicy, as
// AWS requires. Errors: ErrNotFound, ErrValidation, ErrMalformedPolicy
// (not a valid key policy, over 32 KiB, or locking the caller out),
// ErrInvalidState (pending deletion), ErrAccessDenied (an AWS managed
// key).
func (s *Store) PutKeyPolicy(ctx context.Context, in PutKeyPolicyInput) error {
	if err := checkPolicyName(in.PolicyName); err != nil {
		return err
	}
	parsed, err := checkPolicy(in.Policy)
	if err != nil {
		return err
	}
	_, err = s.mutateKey(ctx, "kms:PutKeyPolicy", in.KeyID, func(_ *sql.Tx, k *keyRow) error {
		if err := k.notPendingDeletion(); err != nil {
			return err
		}
		if !in.BypassPolicyLockoutSafetyCheck {
			if err := lockoutCheck(parsed, k.arn, k.account, in.Caller, in.CallerPolicies); err != nil {
				return err
			}
		}
		k.policy = in.Policy
		return nil
	})
	return err
}

// lockoutCheck refuses a key policy that would not let the caller change it
// again (AWS's policy lockout safety check).
func lockoutCheck(keyPolicy *policy.Policy, keyARN, owner string, caller policy.Principal, ids []*policy.Policy) error {
	req := policy.Request{Principal: caller, Action: "kms:PutKeyPolicy", Resource: keyARN,
		Context: map[string][]string{"kms:CallerAccount": {caller.Account}}}
	d := policy.Evaluate(req, policy.Set{Kind: policy.KindIdentity, Policies: ids},
		policy.Set{Kind: policy.KindResource, Owner: owner, Required: true, Policies: []*policy.Policy{keyPolicy}})
	if !d.Allowed() {
		return fmt.Errorf("kms: the new key policy will not allow you to update the key policy in the future: %w", ErrMalformedPolicy)
	}
	return nil
}
