package s3api

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/coffer-project/coffer/internal/kms"
	"github.com/coffer-project/coffer/internal/policy"
)

// KeyPolicies reads KMS key policies, for KeyUseAuthorizer.
type KeyPolicies interface {
	// KeyPolicy returns the policy document of the key keyARN. Errors
	// wrap the KMS's exception (kms.ErrNotFound, kms.ErrAccessDenied, …)
	// or kms.ErrUnavailable when it gave no answer.
	KeyPolicy(ctx context.Context, keyARN string) (string, error)
}

var _ KeyPolicies = (*kms.Client)(nil)

// keyPolicyTTL is how long a key policy read from the KMS is used: a
// changed key policy takes effect for service principals within it (AWS
// documents key policy changes as eventually consistent too).
const keyPolicyTTL = 30 * time.Second

// maxCachedKeyPolicies bounds the cache; past it, it starts over.
const maxCachedKeyPolicies = 1024

// keyPolicyCache keeps parsed key policies for keyPolicyTTL, so that a
// service principal's reads do not each cost a KMS round trip.
type keyPolicyCache struct {
	src KeyPolicies
	now func() time.Time // nil: time.Now

	mu sync.Mutex
	m  map[string]cachedKeyPolicy
}

type cachedKeyPolicy struct {
	p       *policy.Policy
	fetched time.Time
}

var errNoKeyPolicies = errors.New("s3api: no source of KMS key policies configured")

// get returns the parsed policy of key keyARN. Failures are not cached.
func (c *keyPolicyCache) get(ctx context.Context, keyARN string) (*policy.Policy, error) {
	if c.src == nil {
		return nil, errNoKeyPolicies
	}
	now := time.Now()
	if c.now != nil {
		now = c.now()
	}
	c.mu.Lock()
	e, ok := c.m[keyARN]
	c.mu.Unlock()
	if ok && now.Sub(e.fetched) < keyPolicyTTL {
		return e.p, nil
	}
	doc, err := c.src.KeyPolicy(ctx, keyARN)
	if err != nil {
		return nil, err
	}
	p, err := policy.Parse([]byte(doc), policy.KindResource)
	if err != nil {
		return nil, err
	}
	p.Name = "KeyPolicy"
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedKeyPolicies {
		c.m = make(map[string]cachedKeyPolicy)
	}
	c.m[keyARN] = cachedKeyPolicy{p: p, fetched: now}
	return p, nil
}
