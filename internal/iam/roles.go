package iam

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/coffer-project/coffer/internal/policy"
)

// Role is an IAM role: a set of permissions that principals its trust
// policy names may assume (STS AssumeRole).
type Role struct {
	Name        string         `json:"name"`
	ID          string         `json:"id"` // AROA…
	Path        string         `json:"path"`
	Description string         `json:"description,omitempty"`
	Created     time.Time      `json:"created"`
	TrustPolicy string         `json:"trust"`
	MaxSession  int            `json:"max_session"` // seconds, 3600–43200
	Inline      []InlinePolicy `json:"inline,omitempty"`
	Attached    []string       `json:"attached,omitempty"`
	Tags        []Tag          `json:"tags,omitempty"`
}

// Role session limits (seconds), as STS has them.
const (
	DefaultMaxSession = 3600
	maxRoleSession    = 43200
	minSession        = 900
)

var roleNameRE = userNameRE

// RoleARN is the ARN of a role.
func (s *Service) RoleARN(account string, r *Role) string {
	return "arn:" + s.partition() + ":iam::" + account + ":role" + r.Path + r.Name
}

func noSuchRole(name string) error {
	return errorf(CodeNoSuchEntity, "The role with name %s cannot be found.", name)
}

// parseTrust validates a role trust policy: a resource policy whose
// statements name principals and allow STS actions.
func parseTrust(doc string) (string, error) {
	doc = decodeDocument(doc)
	p, err := policy.ParseTrust([]byte(doc))
	if err != nil {
		var pe *policy.ParseError
		if errors.As(err, &pe) {
			return "", errorf(CodeMalformedPolicy, "%s", pe.Msg)
		}
		return "", errorf(CodeMalformedPolicy, "Syntax errors in policy.")
	}
	for _, st := range p.Statements() {
		if st.NotAction {
			continue
		}
		for _, a := range st.Actions {
			if !strings.HasPrefix(a, "sts:") && a != "*" {
				return "", errorf(CodeMalformedPolicy, "AssumeRole policy may only specify STS AssumeRole actions.")
			}
		}
	}
	return doc, nil
}

// CreateRole creates a role with its trust policy.
func (s *Service) CreateRole(ctx context.Context, account, name, path, description, trust string, maxSession int, tags []Tag) (Role, error) {
	if err := validName(roleNameRE, "roleName", name); err != nil {
		return Role{}, err
	}
	path, err := validPath("path", path)
	if err != nil {
		return Role{}, err
	}
	if maxSession == 0 {
		maxSession = DefaultMaxSession
	}
	if maxSession < DefaultMaxSession || maxSession > maxRoleSession {
		return Role{}, errorf(CodeValidation, "The specified value for maxSessionDuration is invalid. It must be between 3600 and 43200 seconds.")
	}
	if trust, err = parseTrust(trust); err != nil {
		return Role{}, err
	}
	if err := validTags(tags, nil); err != nil {
		return Role{}, err
	}
	id, err := s.uniqueID("AROA", 17)
	if err != nil {
		return Role{}, err
	}
	r := &Role{Name: name, ID: id, Path: path, Description: description, Created: s.now().Truncate(time.Second),
		TrustPolicy: trust, MaxSession: maxSession, Tags: tags}
	err = s.update(ctx, account, func(st *state) error {
		if st.role(name) != nil {
			return errorf(CodeEntityExists, "Role with name %s already exists.", name)
		}
		st.Roles = insertSorted(st.Roles, r, func(r *Role) string { return r.Name })
		return nil
	})
	if err != nil {
		return Role{}, err
	}
	return *r, nil
}

// GetRole returns a role.
func (s *Service) GetRole(ctx context.Context, account, name string) (Role, error) {
	var out Role
	err := s.read(ctx, account, func(st *state) error {
		r := st.role(name)
		if r == nil {
			return noSuchRole(name)
		}
		out = *r
		return nil
	})
	return out, err
}

// ListRoles returns the roles whose path starts with pathPrefix.
func (s *Service) ListRoles(ctx context.Context, account, pathPrefix string) ([]Role, error) {
	var out []Role
	err := s.read(ctx, account, func(st *state) error {
		for _, r := range st.Roles {
			if strings.HasPrefix(r.Path, pathPrefix) {
				out = append(out, *r)
			}
		}
		return nil
	})
	return out, err
}

// DeleteRole deletes a role without policies.
func (s *Service) DeleteRole(ctx context.Context, account, name string) error {
	return s.update(ctx, account, func(st *state) error {
		r := st.role(name)
		if r == nil {
			return noSuchRole(name)
		}
		switch {
		case len(r.Inline) > 0:
			return errorf(CodeDeleteConflict, "Cannot delete entity, must delete policies first.")
		case len(r.Attached) > 0:
			return errorf(CodeDeleteConflict, "Cannot delete entity, must detach all policies first.")
		}
		st.Roles = slices.DeleteFunc(st.Roles, func(x *Role) bool { return x == r })
		return nil
	})
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, account, name, trust string) error {
	trust, err := parseTrust(trust)
	if err != nil {
		return err
	}
	return s.update(ctx, account, func(st *state) error {
		r := st.role(name)
		if r == nil {
			return noSuchRole(name)
		}
		r.TrustPolicy = trust
		return nil
	})
}
