package auth

import (
	"context"
	"fmt"
)

// StaticCredentials is a fixed set of credentials keyed by access key ID:
// the root account of a fresh server, and tests. Build it with
// NewStaticCredentials and do not modify it while in use.
type StaticCredentials map[string]Credential

var _ Credentials = StaticCredentials(nil)

// NewStaticCredentials indexes creds by their AccessKeyID. A credential
// whose Principal.AccessKeyID is empty gets its own key ID there.
func NewStaticCredentials(creds ...Credential) StaticCredentials {
	s := make(StaticCredentials, len(creds))
	for _, c := range creds {
		if c.Principal.AccessKeyID == "" {
			c.Principal.AccessKeyID = c.AccessKeyID
		}
		s[c.AccessKeyID] = c
	}
	return s
}

// Lookup returns the credential for accessKeyID, or an error wrapping
// ErrInvalidAccessKeyID if there is none.
func (s StaticCredentials) Lookup(_ context.Context, accessKeyID string) (Credential, error) {
	c, ok := s[accessKeyID]
	if !ok {
		return Credential{}, fmt.Errorf("auth: access key %q: %w", accessKeyID, ErrInvalidAccessKeyID)
	}
	return c, nil
}
