package iam

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/coffer-project/coffer/internal/meta"
)

var (
	userNameRE   = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	groupNameRE  = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	policyNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	pathRE       = regexp.MustCompile(`^(/|/[\x21-\x7e]*/)$`)
	tagKeyRE     = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)
	tagValueRE   = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$`)
)

func validName(re *regexp.Regexp, param, v string) error {
	if !re.MatchString(v) {
		return errorf(CodeValidation, "The specified value for %s is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-", param)
	}
	return nil
}

func validPath(param, p string) (string, error) {
	if p == "" {
		return "/", nil
	}
	if len(p) > 512 || !pathRE.MatchString(p) {
		return "", errorf(CodeValidation, "The specified value for %s is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.", param)
	}
	return p, nil
}

// UserARN is the ARN of a user.
func (s *Service) UserARN(account string, u *User) string {
	return "arn:" + s.partition() + ":iam::" + account + ":user" + u.Path + u.Name
}

// GroupARN is the ARN of a group.
func (s *Service) GroupARN(account string, g *Group) string {
	return "arn:" + s.partition() + ":iam::" + account + ":group" + g.Path + g.Name
}

func noSuchUser(name string) error {
	return errorf(CodeNoSuchEntity, "The user with name %s cannot be found.", name)
}

func noSuchGroup(name string) error {
	return errorf(CodeNoSuchEntity, "The group with name %s cannot be found.", name)
}

// insertSorted inserts v into a slice kept in key order.
func insertSorted[T any](s []T, v T, key func(T) string) []T {
	i, _ := slices.BinarySearchFunc(s, key(v), func(e T, k string) int { return strings.Compare(key(e), k) })
	return slices.Insert(s, i, v)
}

// CreateUser creates an IAM user.
func (s *Service) CreateUser(ctx context.Context, account, name, path string, tags []Tag) (User, error) {
	if err := validName(userNameRE, "userName", name); err != nil {
		return User{}, err
	}
	path, err := validPath("path", path)
	if err != nil {
		return User{}, err
	}
	if err := validTags(tags, nil); err != nil {
		return User{}, err
	}
	id, err := s.uniqueID("AIDA", 17)
	if err != nil {
		return User{}, err
	}
	u := &User{Name: name, ID: id, Path: path, Created: s.now().Truncate(time.Second), Tags: tags}
	err = s.update(ctx, account, func(st *state) error {
		if st.user(name) != nil {
			return errorf(CodeEntityExists, "User with name %s already exists.", name)
		}
		st.Users = insertSorted(st.Users, u, func(u *User) string { return u.Name })
		return nil
	})
	if err != nil {
		return User{}, err
	}
	return *u, nil
}

// GetUser returns a user.
func (s *Service) GetUser(ctx context.Context, account, name string) (User, error) {
	var out User
	err := s.read(ctx, account, func(st *state) error {
		u := st.user(name)
		if u == nil {
			return noSuchUser(name)
		}
		out = *u
		return nil
	})
	return out, err
}

// ListUsers returns the users whose path starts with pathPrefix.
func (s *Service) ListUsers(ctx context.Context, account, pathPrefix string) ([]User, error) {
	var out []User
	err := s.read(ctx, account, func(st *state) error {
		for _, u := range st.Users {
			if strings.HasPrefix(u.Path, pathPrefix) {
				out = append(out, *u)
			}
		}
		return nil
	})
	return out, err
}

// UpdateUser renames a user or changes its path ("" keeps either).
func (s *Service) UpdateUser(ctx context.Context, account, name, newName, newPath string) error {
	if newName != "" {
		if err := validName(userNameRE, "newUserName", newName); err != nil {
			return err
		}
	}
	if newPath != "" {
		if _, err := validPath("newPath", newPath); err != nil {
			return err
		}
	}
	return s.update(ctx, account, func(st *state) error {
		u := st.user(name)
		if u == nil {
			return noSuchUser(name)
		}
		if newPath != "" {
			u.Path = newPath
		}
		if newName == "" || newName == u.Name {
			return nil
		}
		if o := st.user(newName); o != nil && o != u {
			return errorf(CodeEntityExists, "User with name %s already exists.", newName)
		}
		for _, g := range st.Groups {
			if i := slices.Index(g.Members, u.Name); i >= 0 {
				g.Members[i] = newName
				slices.Sort(g.Members)
			}
		}
		for _, d := range st.MFA {
			if d.User == u.Name {
				d.User = newName
			}
		}
		u.Name = newName
		slices.SortFunc(st.Users, func(a, b *User) int { return strings.Compare(a.Name, b.Name) })
		return nil
	})
}

// DeleteUser deletes a user that has no access keys, policies or group
// memberships left, as IAM requires.
func (s *Service) DeleteUser(ctx context.Context, account, name string) error {
	return s.update(ctx, account, func(st *state) error {
		u := st.user(name)
		if u == nil {
			return noSuchUser(name)
		}
		switch {
		case len(u.Keys) > 0:
			return errorf(CodeDeleteConflict, "Cannot delete entity, must delete access keys first.")
		case len(u.Inline) > 0:
			return errorf(CodeDeleteConflict, "Cannot delete entity, must delete policies first.")
		case len(u.Attached) > 0:
			return errorf(CodeDeleteConflict, "Cannot delete entity, must detach all policies first.")
		case len(st.groupsOf(u.Name)) > 0:
			return errorf(CodeDeleteConflict, "Cannot delete entity, must remove users from group first.")
		case slices.ContainsFunc(st.MFA, func(d *MFADevice) bool { return d.User == u.Name }):
			return errorf(CodeDeleteConflict, "Cannot delete entity, must remove MFA device first.")
		}
		st.Users = slices.DeleteFunc(st.Users, func(x *User) bool { return x == u })
		return nil
	})
}

func validTags(tags []Tag, existing []Tag) error {
	for _, t := range tags {
		if !tagKeyRE.MatchString(t.Key) || strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return errorf(CodeInvalidInput, "1 validation error detected: Value at 'tags.key' failed to satisfy constraint")
		}
		if !tagValueRE.MatchString(t.Value) {
			return errorf(CodeInvalidInput, "1 validation error detected: Value at 'tags.value' failed to satisfy constraint")
		}
	}
	n := len(existing)
	for _, t := range tags {
		if !slices.ContainsFunc(existing, func(e Tag) bool { return strings.EqualFold(e.Key, t.Key) }) {
			n++
		}
	}
	if n > MaxTagsPerUser {
		return errorf(CodeLimitExceeded, "The number of tags has reached the maximum limit.")
	}
	return nil
}

// TagUser adds or replaces tags of a user.
func (s *Service) TagUser(ctx context.Context, account, name string, tags []Tag) error {
	return s.update(ctx, account, func(st *state) error {
		u := st.user(name)
		if u == nil {
			return noSuchUser(name)
		}
		if err := validTags(tags, u.Tags); err != nil {
			return err
		}
		// Tag keys are case-insensitive (and keep the case they were
		// first given in), as IAM's are.
		for _, t := range tags {
			if i := slices.IndexFunc(u.Tags, func(e Tag) bool { return strings.EqualFold(e.Key, t.Key) }); i >= 0 {
				u.Tags[i].Value = t.Value
			} else {
				u.Tags = append(u.Tags, t)
			}
		}
		return nil
	})
}

// UntagUser removes tags of a user by key.
func (s *Service) UntagUser(ctx context.Context, account, name string, keys []string) error {
	return s.update(ctx, account, func(st *state) error {
		u := st.user(name)
		if u == nil {
			return noSuchUser(name)
		}
		u.Tags = slices.DeleteFunc(u.Tags, func(t Tag) bool {
			return slices.ContainsFunc(keys, func(k string) bool { return strings.EqualFold(k, t.Key) })
		})
		return nil
	})
}

// AccessKeyInfo is an access key without its secret.
type AccessKeyInfo struct {
	UserName    string // "" for the root user
	AccessKeyID string
	Status      string
	Created     time.Time
}

// keysOf is the key list of user name, or the root user's for "".
func keysOf(st *state, name string) (*[]*AccessKey, error) {
	if name == "" {
		return &st.RootKeys, nil
	}
	u := st.user(name)
	if u == nil {
		return nil, noSuchUser(name)
	}
	return &u.Keys, nil
}

// CreateAccessKey makes an access key for user name ("" for the account's
// root user) and returns its secret, which is never shown again.
func (s *Service) CreateAccessKey(ctx context.Context, account, name string) (AccessKeyInfo, string, error) {
	key, secret, err := s.newAccessKey(ctx, account)
	if err != nil {
		return AccessKeyInfo{}, "", err
	}
	var user string
	err = s.update(ctx, account, func(st *state) error {
		keys, err := keysOf(st, name)
		if err != nil {
			return err
		}
		if len(*keys) >= MaxAccessKeysPerUser {
			return errorf(CodeLimitExceeded, "Cannot exceed quota for AccessKeysPerUser: %d", MaxAccessKeysPerUser)
		}
		*keys = append(*keys, key)
		if u := st.user(name); u != nil {
			user = u.Name
		}
		return nil
	})
	if err != nil {
		return AccessKeyInfo{}, "", err
	}
	return AccessKeyInfo{UserName: user, AccessKeyID: key.ID, Status: key.Status, Created: key.Created}, secret, nil
}

// ListAccessKeys lists the access keys of user name ("" for root).
func (s *Service) ListAccessKeys(ctx context.Context, account, name string) ([]AccessKeyInfo, error) {
	var out []AccessKeyInfo
	err := s.read(ctx, account, func(st *state) error {
		keys, err := keysOf(st, name)
		if err != nil {
			return err
		}
		user := ""
		if u := st.user(name); u != nil {
			user = u.Name
		}
		for _, k := range *keys {
			out = append(out, AccessKeyInfo{UserName: user, AccessKeyID: k.ID, Status: k.Status, Created: k.Created})
		}
		return nil
	})
	return out, err
}

func noSuchKey(id string) error {
	return errorf(CodeNoSuchEntity, "The Access Key with id %s cannot be found.", id)
}

// UpdateAccessKey sets a key's status (Active or Inactive).
func (s *Service) UpdateAccessKey(ctx context.Context, account, name, id, status string) error {
	if status != StatusActive && status != StatusInactive {
		return errorf(CodeValidation, "1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", status)
	}
	return s.update(ctx, account, func(st *state) error {
		keys, err := keysOf(st, name)
		if err != nil {
			return err
		}
		for _, k := range *keys {
			if k.ID == id {
				k.Status = status
				return nil
			}
		}
		return noSuchKey(id)
	})
}

// DeleteAccessKey deletes a key.
func (s *Service) DeleteAccessKey(ctx context.Context, account, name, id string) error {
	return s.update(ctx, account, func(st *state) error {
		keys, err := keysOf(st, name)
		if err != nil {
			return err
		}
		n := len(*keys)
		*keys = slices.DeleteFunc(*keys, func(k *AccessKey) bool { return k.ID == id })
		if len(*keys) == n {
			return noSuchKey(id)
		}
		return nil
	})
}

// AccessKeyLastUsed reports who owns an access key of account and when it
// was last used.
func (s *Service) AccessKeyLastUsed(ctx context.Context, account, id string) (string, meta.AccessKeyUse, error) {
	owner, err := s.Store.AccessKeyAccount(ctx, id)
	if err != nil || owner != account {
		return "", meta.AccessKeyUse{}, noSuchKey(id)
	}
	var user string
	err = s.read(ctx, account, func(st *state) error {
		for _, u := range st.Users {
			for _, k := range u.Keys {
				if k.ID == id {
					user = u.Name
				}
			}
		}
		return nil
	})
	if err != nil {
		return "", meta.AccessKeyUse{}, err
	}
	use, err := s.Store.AccessKeyLastUsed(ctx, id)
	return user, use, err
}

// CreateGroup creates a group.
func (s *Service) CreateGroup(ctx context.Context, account, name, path string) (Group, error) {
	if err := validName(groupNameRE, "groupName", name); err != nil {
		return Group{}, err
	}
	path, err := validPath("path", path)
	if err != nil {
		return Group{}, err
	}
	id, err := s.uniqueID("AGPA", 17)
	if err != nil {
		return Group{}, err
	}
	g := &Group{Name: name, ID: id, Path: path, Created: s.now().Truncate(time.Second)}
	err = s.update(ctx, account, func(st *state) error {
		if st.group(name) != nil {
			return errorf(CodeEntityExists, "Group with name %s already exists.", name)
		}
		st.Groups = insertSorted(st.Groups, g, func(g *Group) string { return g.Name })
		return nil
	})
	if err != nil {
		return Group{}, err
	}
	return *g, nil
}

// GetGroup returns a group and its members.
func (s *Service) GetGroup(ctx context.Context, account, name string) (Group, []User, error) {
	var (
		g     Group
		users []User
	)
	err := s.read(ctx, account, func(st *state) error {
		p := st.group(name)
		if p == nil {
			return noSuchGroup(name)
		}
		g = *p
		for _, m := range p.Members {
			if u := st.user(m); u != nil {
				users = append(users, *u)
			}
		}
		return nil
	})
	return g, users, err
}

// ListGroups returns the groups whose path starts with pathPrefix.
func (s *Service) ListGroups(ctx context.Context, account, pathPrefix string) ([]Group, error) {
	var out []Group
	err := s.read(ctx, account, func(st *state) error {
		for _, g := range st.Groups {
			if strings.HasPrefix(g.Path, pathPrefix) {
				out = append(out, *g)
			}
		}
		return nil
	})
	return out, err
}

// DeleteGroup deletes a group without members or policies.
func (s *Service) DeleteGroup(ctx context.Context, account, name string) error {
	return s.update(ctx, account, func(st *state) error {
		g := st.group(name)
		if g == nil {
			return noSuchGroup(name)
		}
		switch {
		case len(g.Members) > 0:
			return errorf(CodeDeleteConflict, "Cannot delete entity, must remove users from group first.")
		case len(g.Inline) > 0:
			return errorf(CodeDeleteConflict, "Cannot delete entity, must delete policies first.")
		case len(g.Attached) > 0:
			return errorf(CodeDeleteConflict, "Cannot delete entity, must detach all policies first.")
		}
		st.Groups = slices.DeleteFunc(st.Groups, func(x *Group) bool { return x == g })
		return nil
	})
}

// groupAndUser finds a group and a user, or says which is missing.
func (st *state) groupAndUser(group, user string) (*Group, *User, error) {
	g := st.group(group)
	if g == nil {
		return nil, nil, noSuchGroup(group)
	}
	u := st.user(user)
	if u == nil {
		return nil, nil, noSuchUser(user)
	}
	return g, u, nil
}

// AddUserToGroup adds a member.
func (s *Service) AddUserToGroup(ctx context.Context, account, group, user string) error {
	return s.update(ctx, account, func(st *state) error {
		g, u, err := st.groupAndUser(group, user)
		if err != nil {
			return err
		}
		if slices.Contains(g.Members, u.Name) {
			return nil
		}
		if len(st.groupsOf(u.Name)) >= MaxGroupsPerUser {
			return errorf(CodeLimitExceeded, "Cannot exceed quota for GroupsPerUser: %d", MaxGroupsPerUser)
		}
		g.Members = append(g.Members, u.Name)
		slices.Sort(g.Members)
		return nil
	})
}

// RemoveUserFromGroup removes a member.
func (s *Service) RemoveUserFromGroup(ctx context.Context, account, group, user string) error {
	return s.update(ctx, account, func(st *state) error {
		g, u, err := st.groupAndUser(group, user)
		if err != nil {
			return err
		}
		i := slices.Index(g.Members, u.Name)
		if i < 0 {
			return errorf(CodeNoSuchEntity, "User %s is not in group %s.", user, group)
		}
		g.Members = slices.Delete(g.Members, i, i+1)
		return nil
	})
}

// ListGroupsForUser returns the groups a user belongs to.
func (s *Service) ListGroupsForUser(ctx context.Context, account, user string) ([]Group, error) {
	var out []Group
	err := s.read(ctx, account, func(st *state) error {
		u := st.user(user)
		if u == nil {
			return noSuchUser(user)
		}
		for _, g := range st.groupsOf(u.Name) {
			out = append(out, *g)
		}
		return nil
	})
	return out, err
}
