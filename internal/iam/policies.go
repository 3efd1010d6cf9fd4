package iam

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coffer-project/coffer/internal/policy"
)

// Owner kinds of inline policies and attachments.
const (
	KindUser  = "user"
	KindGroup = "group"
	KindRole  = "role"
)

// parseIdentity validates an identity policy document as IAM does on
// Put…Policy, CreatePolicy and CreatePolicyVersion. The document may
// arrive URL-encoded, as the AWS CLI and console send it.
func parseIdentity(doc string, limit int) (*policy.Policy, string, error) {
	doc = decodeDocument(doc)
	if len(stripSpace(doc)) > limit {
		return nil, "", errorf(CodeLimitExceeded, "Cannot exceed quota for PolicySize: %d", limit)
	}
	p, err := policy.Parse([]byte(doc), policy.KindIdentity)
	if err != nil {
		var pe *policy.ParseError
		if errors.As(err, &pe) {
			return nil, "", errorf(CodeMalformedPolicy, "%s", identityMessage(pe.Msg))
		}
		return nil, "", errorf(CodeMalformedPolicy, "Syntax errors in policy.")
	}
	return p, doc, nil
}

// decodeDocument undoes the URL encoding some clients apply to policy
// documents.
func decodeDocument(doc string) string {
	if strings.HasPrefix(doc, "%7B") || strings.HasPrefix(doc, "%7b") {
		if d, err := url.QueryUnescape(doc); err == nil {
			return d
		}
	}
	return doc
}

// identityMessage is IAM's wording for a rejected identity policy where it
// differs from the parser's (bucket-policy) wording.
func identityMessage(msg string) string {
	switch {
	case strings.Contains(msg, "Principal"), strings.Contains(msg, "principal"):
		return "Policy document should not specify a principal."
	case strings.HasPrefix(msg, "syntax errors"):
		return "Syntax errors in policy."
	}
	return msg
}

// stripSpace is a document without whitespace, which is how IAM counts a
// policy's size.
func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\t' || r == '\r' {
			return -1
		}
		return r
	}, s)
}

// inlineOf returns the inline list of a user or group.
func inlineOf(st *state, kind, name string) (*[]InlinePolicy, error) {
	switch kind {
	case KindUser:
		if u := st.user(name); u != nil {
			return &u.Inline, nil
		}
		return nil, noSuchUser(name)
	case KindGroup:
		if g := st.group(name); g != nil {
			return &g.Inline, nil
		}
		return nil, noSuchGroup(name)
	case KindRole:
		if r := st.role(name); r != nil {
			return &r.Inline, nil
		}
		return nil, noSuchRole(name)
	}
	return nil, errorf(CodeInvalidInput, "unknown policy owner kind %q", kind)
}

// PutInlinePolicy adds or replaces an inline policy of a user or group.
func (s *Service) PutInlinePolicy(ctx context.Context, account, kind, owner, name, doc string) error {
	if err := validName(policyNameRE, "policyName", name); err != nil {
		return err
	}
	limit := MaxUserInlineSize
	switch kind {
	case KindGroup:
		limit = MaxGroupInlineSize
	case KindRole:
		limit = MaxRoleInlineSize
	}
	_, doc, err := parseIdentity(doc, limit)
	if err != nil {
		return err
	}
	return s.update(ctx, account, func(st *state) error {
		list, err := inlineOf(st, kind, owner)
		if err != nil {
			return err
		}
		// The limit is on all of an entity's inline policies together.
		total := len(stripSpace(doc))
		for _, p := range *list {
			if p.Name != name {
				total += len(stripSpace(p.Document))
			}
		}
		if total > limit {
			return errorf(CodeLimitExceeded, "Maximum policy size of %d bytes exceeded for %s %s", limit, kind, owner)
		}
		if i := slices.IndexFunc(*list, func(p InlinePolicy) bool { return p.Name == name }); i >= 0 {
			(*list)[i].Document = doc
			return nil
		}
		*list = insertSorted(*list, InlinePolicy{Name: name, Document: doc}, func(p InlinePolicy) string { return p.Name })
		return nil
	})
}

// GetInlinePolicy returns an inline policy's document.
func (s *Service) GetInlinePolicy(ctx context.Context, account, kind, owner, name string) (string, error) {
	var doc string
	err := s.read(ctx, account, func(st *state) error {
		list, err := inlineOf(st, kind, owner)
		if err != nil {
			return err
		}
		for _, p := range *list {
			if p.Name == name {
				doc = p.Document
				return nil
			}
		}
		return errorf(CodeNoSuchEntity, "The %s policy with name %s cannot be found.", kind, name)
	})
	return doc, err
}

// DeleteInlinePolicy deletes an inline policy.
func (s *Service) DeleteInlinePolicy(ctx context.Context, account, kind, owner, name string) error {
	return s.update(ctx, account, func(st *state) error {
		list, err := inlineOf(st, kind, owner)
		if err != nil {
			return err
		}
		n := len(*list)
		*list = slices.DeleteFunc(*list, func(p InlinePolicy) bool { return p.Name == name })
		if len(*list) == n {
			return errorf(CodeNoSuchEntity, "The %s policy with name %s cannot be found.", kind, name)
		}
		return nil
	})
}

// ListInlinePolicies lists the inline policy names of a user or group.
func (s *Service) ListInlinePolicies(ctx context.Context, account, kind, owner string) ([]string, error) {
	var out []string
	err := s.read(ctx, account, func(st *state) error {
		list, err := inlineOf(st, kind, owner)
		if err != nil {
			return err
		}
		for _, p := range *list {
			out = append(out, p.Name)
		}
		return nil
	})
	return out, err
}

// PolicyInfo is a managed policy as GetPolicy and ListPolicies show it.
type PolicyInfo struct {
	Name, ID, Path, ARN, Description string
	DefaultVersion                   string
	AttachmentCount                  int
	Created, Updated                 time.Time
	AWSManaged                       bool
}

// PolicyARN is the ARN of a customer managed policy.
func (s *Service) PolicyARN(account string, p *ManagedPolicy) string {
	return "arn:" + s.partition() + ":iam::" + account + ":policy" + p.Path + p.Name
}

func noSuchPolicy(arn string) error {
	return errorf(CodeNoSuchEntity, "Policy %s does not exist or is not attachable.", arn)
}

// findPolicy resolves a policy ARN in account: a customer managed policy
// of the account, or an AWS managed policy (awsManaged).
func (s *Service) findPolicy(st *state, account, arn string) (*ManagedPolicy, error) {
	if p := awsManaged(s.partition(), arn); p != nil {
		return p, nil
	}
	prefix := "arn:" + s.partition() + ":iam::" + account + ":policy/"
	if !strings.HasPrefix(arn, prefix) {
		return nil, noSuchPolicy(arn)
	}
	rest := arn[len(prefix)-1:] // "/path/name"
	i := strings.LastIndexByte(rest, '/')
	path, name := rest[:i+1], rest[i+1:]
	p := st.policy(name)
	if p == nil || p.Path != path || p.Name != name {
		return nil, noSuchPolicy(arn)
	}
	return p, nil
}

func (s *Service) policyInfo(st *state, account string, p *ManagedPolicy) PolicyInfo {
	arn := s.PolicyARN(account, p)
	aws := isAWSManaged(p)
	if aws {
		arn = awsManagedARN(s.partition(), p.Name)
	}
	n := 0
	for _, u := range st.Users {
		if slices.Contains(u.Attached, arn) {
			n++
		}
	}
	for _, g := range st.Groups {
		if slices.Contains(g.Attached, arn) {
			n++
		}
	}
	for _, r := range st.Roles {
		if slices.Contains(r.Attached, arn) {
			n++
		}
	}
	return PolicyInfo{Name: p.Name, ID: p.ID, Path: p.Path, ARN: arn, Description: p.Description,
		DefaultVersion: p.DefaultVersion, AttachmentCount: n, Created: p.Created, Updated: p.Updated, AWSManaged: aws}
}

// CreatePolicy creates a customer managed policy with version v1.
func (s *Service) CreatePolicy(ctx context.Context, account, name, path, description, doc string) (PolicyInfo, error) {
	if err := validName(policyNameRE, "policyName", name); err != nil {
		return PolicyInfo{}, err
	}
	path, err := validPath("path", path)
	if err != nil {
		return PolicyInfo{}, err
	}
	if len(description) > 1000 {
		return PolicyInfo{}, errorf(CodeValidation, "The specified value for description is invalid. It must be at most 1000 characters.")
	}
	_, doc, err = parseIdentity(doc, MaxManagedPolicySize)
	if err != nil {
		return PolicyInfo{}, err
	}
	id, err := s.uniqueID("ANPA", 17)
	if err != nil {
		return PolicyInfo{}, err
	}
	now := s.now().Truncate(time.Second)
	p := &ManagedPolicy{Name: name, ID: id, Path: path, Description: description, Created: now, Updated: now,
		DefaultVersion: "v1", NextVersion: 2, Versions: []PolicyVersion{{ID: "v1", Document: doc, Created: now}}}
	var info PolicyInfo
	err = s.update(ctx, account, func(st *state) error {
		if st.policy(name) != nil {
			return errorf(CodeEntityExists, "A policy called %s already exists. Duplicate names are not allowed.", name)
		}
		st.Policies = insertSorted(st.Policies, p, func(p *ManagedPolicy) string { return p.Name })
		info = s.policyInfo(st, account, p)
		return nil
	})
	return info, err
}

// GetPolicy returns a managed policy.
func (s *Service) GetPolicy(ctx context.Context, account, arn string) (PolicyInfo, error) {
	var info PolicyInfo
	err := s.read(ctx, account, func(st *state) error {
		p, err := s.findPolicy(st, account, arn)
		if err != nil {
			return err
		}
		info = s.policyInfo(st, account, p)
		return nil
	})
	return info, err
}

// ListPolicies lists managed policies. scope is All, AWS or Local ("" is
// All); onlyAttached keeps those attached to some user or group.
func (s *Service) ListPolicies(ctx context.Context, account, scope, pathPrefix string, onlyAttached bool) ([]PolicyInfo, error) {
	var out []PolicyInfo
	err := s.read(ctx, account, func(st *state) error {
		var ps []*ManagedPolicy
		if scope == "" || scope == "All" || scope == "AWS" {
			ps = append(ps, awsManagedPolicies()...)
		}
		if scope == "" || scope == "All" || scope == "Local" {
			ps = append(ps, st.Policies...)
		}
		for _, p := range ps {
			info := s.policyInfo(st, account, p)
			if strings.HasPrefix(p.Path, pathPrefix) && (!onlyAttached || info.AttachmentCount > 0) {
				out = append(out, info)
			}
		}
		return nil
	})
	return out, err
}

// DeletePolicy deletes a customer managed policy that is attached to no
// one and has no versions but its default, as IAM requires.
func (s *Service) DeletePolicy(ctx context.Context, account, arn string) error {
	return s.update(ctx, account, func(st *state) error {
		p, err := s.findPolicy(st, account, arn)
		if err != nil {
			return err
		}
		if isAWSManaged(p) {
			return errorf(CodeAccessDenied, "AWS managed policies cannot be deleted.")
		}
		if s.policyInfo(st, account, p).AttachmentCount > 0 {
			return errorf(CodeDeleteConflict, "Cannot delete a policy attached to entities.")
		}
		if len(p.Versions) > 1 {
			return errorf(CodeDeleteConflict, "Cannot delete a policy with non-default versions: delete them first.")
		}
		st.Policies = slices.DeleteFunc(st.Policies, func(x *ManagedPolicy) bool { return x == p })
		return nil
	})
}

// localPolicy finds a customer managed policy for a change.
func (s *Service) localPolicy(st *state, account, arn string) (*ManagedPolicy, error) {
	p, err := s.findPolicy(st, account, arn)
	if err != nil {
		return nil, err
	}
	if isAWSManaged(p) {
		return nil, errorf(CodeAccessDenied, "AWS managed policies cannot be changed.")
	}
	return p, nil
}

// CreatePolicyVersion adds a version (at most five are kept).
func (s *Service) CreatePolicyVersion(ctx context.Context, account, arn, doc string, setDefault bool) (PolicyVersion, error) {
	_, doc, err := parseIdentity(doc, MaxManagedPolicySize)
	if err != nil {
		return PolicyVersion{}, err
	}
	var v PolicyVersion
	err = s.update(ctx, account, func(st *state) error {
		p, err := s.localPolicy(st, account, arn)
		if err != nil {
			return err
		}
		if len(p.Versions) >= MaxPolicyVersions {
			return errorf(CodeLimitExceeded, "A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", MaxPolicyVersions)
		}
		v = PolicyVersion{ID: "v" + strconv.Itoa(p.NextVersion), Document: doc, Created: s.now().Truncate(time.Second)}
		p.NextVersion++
		p.Versions = append([]PolicyVersion{v}, p.Versions...)
		p.Updated = v.Created
		if setDefault {
			p.DefaultVersion = v.ID
		}
		return nil
	})
	return v, err
}

func noSuchVersion(arn, id string) error {
	return errorf(CodeNoSuchEntity, "Policy %s version %s does not exist or is not attachable.", arn, id)
}

// GetPolicyVersion returns one version.
func (s *Service) GetPolicyVersion(ctx context.Context, account, arn, id string) (PolicyVersion, bool, error) {
	var (
		v         PolicyVersion
		isDefault bool
	)
	err := s.read(ctx, account, func(st *state) error {
		p, err := s.findPolicy(st, account, arn)
		if err != nil {
			return err
		}
		for _, x := range p.Versions {
			if x.ID == id {
				v, isDefault = x, x.ID == p.DefaultVersion
				return nil
			}
		}
		return noSuchVersion(arn, id)
	})
	return v, isDefault, err
}

// ListPolicyVersions lists the versions, newest first, and which is the
// default.
func (s *Service) ListPolicyVersions(ctx context.Context, account, arn string) ([]PolicyVersion, string, error) {
	var (
		out []PolicyVersion
		def string
	)
	err := s.read(ctx, account, func(st *state) error {
		p, err := s.findPolicy(st, account, arn)
		if err != nil {
			return err
		}
		out, def = slices.Clone(p.Versions), p.DefaultVersion
		return nil
	})
	return out, def, err
}

// SetDefaultPolicyVersion makes a version the one in effect.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, account, arn, id string) error {
	return s.update(ctx, account, func(st *state) error {
		p, err := s.localPolicy(st, account, arn)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(p.Versions, func(v PolicyVersion) bool { return v.ID == id }) {
			return noSuchVersion(arn, id)
		}
		p.DefaultVersion = id
		p.Updated = s.now().Truncate(time.Second)
		return nil
	})
}

// DeletePolicyVersion deletes a version other than the default.
func (s *Service) DeletePolicyVersion(ctx context.Context, account, arn, id string) error {
	return s.update(ctx, account, func(st *state) error {
		p, err := s.localPolicy(st, account, arn)
		if err != nil {
			return err
		}
		if id == p.DefaultVersion {
			return errorf(CodeDeleteConflict, "Cannot delete the default version of a policy.")
		}
		n := len(p.Versions)
		p.Versions = slices.DeleteFunc(p.Versions, func(v PolicyVersion) bool { return v.ID == id })
		if len(p.Versions) == n {
			return noSuchVersion(arn, id)
		}
		return nil
	})
}

// attachedOf returns the attachment list of a user or group.
func attachedOf(st *state, kind, name string) (*[]string, error) {
	switch kind {
	case KindUser:
		if u := st.user(name); u != nil {
			return &u.Attached, nil
		}
		return nil, noSuchUser(name)
	case KindGroup:
		if g := st.group(name); g != nil {
			return &g.Attached, nil
		}
		return nil, noSuchGroup(name)
	case KindRole:
		if r := st.role(name); r != nil {
			return &r.Attached, nil
		}
		return nil, noSuchRole(name)
	}
	return nil, errorf(CodeInvalidInput, "unknown policy owner kind %q", kind)
}

// AttachPolicy attaches a managed policy to a user or group.
func (s *Service) AttachPolicy(ctx context.Context, account, kind, owner, arn string) error {
	return s.update(ctx, account, func(st *state) error {
		list, err := attachedOf(st, kind, owner)
		if err != nil {
			return err
		}
		if _, err := s.findPolicy(st, account, arn); err != nil {
			return err
		}
		if slices.Contains(*list, arn) {
			return nil
		}
		if len(*list) >= MaxAttachedPolicies {
			return errorf(CodeLimitExceeded, "Cannot exceed quota for PoliciesPerUser: %d", MaxAttachedPolicies)
		}
		*list = append(*list, arn)
		return nil
	})
}

// DetachPolicy detaches a managed policy.
func (s *Service) DetachPolicy(ctx context.Context, account, kind, owner, arn string) error {
	return s.update(ctx, account, func(st *state) error {
		list, err := attachedOf(st, kind, owner)
		if err != nil {
			return err
		}
		i := slices.Index(*list, arn)
		if i < 0 {
			return errorf(CodeNoSuchEntity, "Policy %s was not found.", arn)
		}
		*list = slices.Delete(*list, i, i+1)
		return nil
	})
}

// AttachedPolicy is a policy attached to a user or group.
type AttachedPolicy struct{ Name, ARN string }

// ListAttachedPolicies lists the managed policies of a user or group.
func (s *Service) ListAttachedPolicies(ctx context.Context, account, kind, owner, pathPrefix string) ([]AttachedPolicy, error) {
	var out []AttachedPolicy
	err := s.read(ctx, account, func(st *state) error {
		list, err := attachedOf(st, kind, owner)
		if err != nil {
			return err
		}
		for _, arn := range *list {
			p, err := s.findPolicy(st, account, arn)
			if err != nil {
				continue // deleted since; DeletePolicy refuses that, so only by a race
			}
			if strings.HasPrefix(p.Path, pathPrefix) {
				out = append(out, AttachedPolicy{Name: p.Name, ARN: arn})
			}
		}
		return nil
	})
	return out, err
}

// PolicyEntities are the users, groups and roles a managed policy is
// attached to.
type PolicyEntities struct {
	Users  []User
	Groups []Group
	Roles  []Role
}

// ListEntitiesForPolicy lists who a managed policy is attached to.
func (s *Service) ListEntitiesForPolicy(ctx context.Context, account, arn string) (PolicyEntities, error) {
	var out PolicyEntities
	err := s.read(ctx, account, func(st *state) error {
		if _, err := s.findPolicy(st, account, arn); err != nil {
			return err
		}
		for _, u := range st.Users {
			if slices.Contains(u.Attached, arn) {
				out.Users = append(out.Users, *u)
			}
		}
		for _, g := range st.Groups {
			if slices.Contains(g.Attached, arn) {
				out.Groups = append(out.Groups, *g)
			}
		}
		for _, r := range st.Roles {
			if slices.Contains(r.Attached, arn) {
				out.Roles = append(out.Roles, *r)
			}
		}
		return nil
	})
	return out, err
}
