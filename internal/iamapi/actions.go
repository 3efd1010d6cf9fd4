package iamapi

import (
	"context"
	"encoding/base64"
	"maps"
	"net/url"
	"strconv"
	"strings"

	"github.com/coffer-project/coffer/internal/iam"
)

// Markers are opaque to clients: the offset of the next item.
func encodeMarker(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset)))
}

func decodeMarker(m string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(string(b))
	if err == nil && n < 0 {
		err = strconv.ErrRange
	}
	return n, err
}

// XML shapes of IAM's results.
type (
	tagXML struct {
		Key   string
		Value string
	}
	userXML struct {
		Path       string
		UserName   string
		UserID     string `xml:"UserId"`
		Arn        string
		CreateDate string
		Tags       *[]tagXML `xml:"Tags>member,omitempty"`
	}
	groupXML struct {
		Path       string
		GroupName  string
		GroupID    string `xml:"GroupId"`
		Arn        string
		CreateDate string
	}
	accessKeyXML struct {
		UserName        string `xml:",omitempty"`
		AccessKeyID     string `xml:"AccessKeyId"`
		Status          string
		SecretAccessKey string `xml:",omitempty"`
		CreateDate      string
	}
	policyXML struct {
		PolicyName                    string
		PolicyID                      string `xml:"PolicyId"`
		Arn                           string
		Path                          string
		DefaultVersionID              string `xml:"DefaultVersionId"`
		AttachmentCount               int
		PermissionsBoundaryUsageCount int
		IsAttachable                  bool
		Description                   string `xml:",omitempty"`
		CreateDate                    string
		UpdateDate                    string
	}
	policyVersionXML struct {
		Document         string `xml:",omitempty"`
		VersionID        string `xml:"VersionId"`
		IsDefaultVersion bool
		CreateDate       string
	}
	attachedXML struct {
		PolicyName string
		PolicyArn  string
	}
	truncation struct {
		IsTruncated bool
		Marker      string `xml:",omitempty"`
	}
)

func (h *Handler) userXML(account string, u iam.User, withTags bool) userXML {
	x := userXML{Path: u.Path, UserName: u.Name, UserID: u.ID, Arn: h.IAM.UserARN(account, &u), CreateDate: isoTime(u.Created)}
	if withTags && len(u.Tags) > 0 {
		tags := make([]tagXML, len(u.Tags))
		for i, t := range u.Tags {
			tags[i] = tagXML{t.Key, t.Value}
		}
		x.Tags = &tags
	}
	return x
}

func (h *Handler) groupXML(account string, g iam.Group) groupXML {
	return groupXML{Path: g.Path, GroupName: g.Name, GroupID: g.ID, Arn: h.IAM.GroupARN(account, &g), CreateDate: isoTime(g.Created)}
}

func policyInfoXML(p iam.PolicyInfo) policyXML {
	return policyXML{PolicyName: p.Name, PolicyID: p.ID, Arn: p.ARN, Path: p.Path, DefaultVersionID: p.DefaultVersion,
		AttachmentCount: p.AttachmentCount, IsAttachable: true, Description: p.Description,
		CreateDate: isoTime(p.Created), UpdateDate: isoTime(p.Updated)}
}

func versionXML(v iam.PolicyVersion, isDefault, withDoc bool) policyVersionXML {
	x := policyVersionXML{VersionID: v.ID, IsDefaultVersion: isDefault, CreateDate: isoTime(v.Created)}
	if withDoc {
		x.Document = escapeDocument(v.Document)
	}
	return x
}

// escapeDocument is a policy document as IAM returns it: URL-encoded as
// RFC 3986 says (a space is %20, not '+'), which the AWS CLI and SDKs
// decode.
func escapeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

// Resources of the actions, for authorization.

func (h *Handler) userResource(q *request) string {
	name := q.get("UserName")
	if name == "" {
		return q.caller.ARN
	}
	if u, err := h.IAM.GetUser(q.r.Context(), q.account, name); err == nil {
		return h.IAM.UserARN(q.account, &u)
	}
	return q.newARN("user", name)
}

func (h *Handler) groupResource(q *request) string {
	name := q.get("GroupName")
	if g, _, err := h.IAM.GetGroup(q.r.Context(), q.account, name); err == nil {
		return h.IAM.GroupARN(q.account, &g)
	}
	return q.newARN("group", name)
}

// newARN is the ARN of the kind of entity (user, group, policy, role,
// mfa) named name that a request creates or names without it existing:
// in the request's Path, "/" by default.
func (q *request) newARN(kind, name string) string {
	path := q.get("Path")
	if path == "" {
		path = "/"
	}
	return "arn:aws:iam::" + q.account + ":" + kind + path + name
}

func policyResource(_ *Handler, q *request) string {
	if arn := q.get("PolicyArn"); arn != "" {
		return arn
	}
	return q.newARN("policy", q.get("PolicyName"))
}

func sourceResource(_ *Handler, q *request) string {
	if arn := q.get("PolicySourceArn"); arn != "" {
		return arn
	}
	return "*"
}

func listResource(kind string) func(*Handler, *request) string {
	return func(_ *Handler, q *request) string { return "arn:aws:iam::" + q.account + ":" + kind + "/*" }
}

var (
	userRes  = (*Handler).userResource
	groupRes = (*Handler).groupResource
)

// actions maps each Action to its handler.
var actions map[string]action

func init() {
	actions = map[string]action{
		"CreateUser": {serve: (*Handler).createUser, resource: userRes},
		"GetUser":    {serve: (*Handler).getUser, resource: userRes},
		"ListUsers":  {serve: (*Handler).listUsers, resource: listResource("user")},
		"UpdateUser": {serve: noResult(func(h *Handler, q *request, p []string) error {
			return h.IAM.UpdateUser(q.r.Context(), q.account, p[0], q.get("NewUserName"), q.get("NewPath"))
		}, "UserName"), resource: userRes},
		"DeleteUser": {serve: noResult(func(h *Handler, q *request, p []string) error {
			return h.IAM.DeleteUser(q.r.Context(), q.account, p[0])
		}, "UserName"), resource: userRes},
		"TagUser": {serve: noResult(func(h *Handler, q *request, p []string) error {
			return h.IAM.TagUser(q.r.Context(), q.account, p[0], q.tagsParam())
		}, "UserName"), resource: userRes},
		"UntagUser": {serve: noResult(func(h *Handler, q *request, p []string) error {
			return h.IAM.UntagUser(q.r.Context(), q.account, p[0], q.list("TagKeys"))
		}, "UserName"), resource: userRes},
		"ListUserTags":    {serve: (*Handler).listUserTags, resource: userRes},
		"CreateAccessKey": {serve: (*Handler).createAccessKey, resource: userRes},
		"ListAccessKeys":  {serve: (*Handler).listAccessKeys, resource: userRes},
		"UpdateAccessKey": {serve: noResult(func(h *Handler, q *request, p []string) error {
			return h.IAM.UpdateAccessKey(q.r.Context(), q.account, q.userName(), p[0], p[1])
		}, "AccessKeyId", "Status"), resource: userRes},
		"DeleteAccessKey": {serve: noResult(func(h *Handler, q *request, p []string) error {
			return h.IAM.DeleteAccessKey(q.r.Context(), q.account, q.userName(), p[0])
		}, "AccessKeyId"), resource: userRes},
		"GetAccessKeyLastUsed": {serve: (*Handler).getAccessKeyLastUsed},
		"CreateGroup":          {serve: (*Handler).createGroup, resource: groupRes},
		"GetGroup":             {serve: (*Handler).getGroup, resource: groupRes},
		"ListGroups":           {serve: (*Handler).listGroups, resource: listResource("group")},
		"DeleteGroup": {serve: noResult(func(h *Handler, q *request, p []string) error {
			return h.IAM.DeleteGroup(q.r.Context(), q.account, p[0])
		}, "GroupName"), resource: groupRes},
		"AddUserToGroup": {serve: noResult(func(h *Handler, q *request, p []string) error {
			return h.IAM.AddUserToGroup(q.r.Context(), q.account, p[0], p[1])
		}, "GroupName", "UserName"), resource: groupRes},
		"RemoveUserFromGroup": {serve: noResult(func(h *Handler, q *request, p []string) error {
			return h.IAM.RemoveUserFromGroup(q.r.Context(), q.account, p[0], p[1])
		}, "GroupName", "UserName"), resource: groupRes},
		"ListGroupsForUser": {serve: (*Handler).listGroupsForUser, resource: userRes},
		"PutUserPolicy":     {serve: inline(iam.KindUser, "put"), resource: userRes},
		"GetUserPolicy":     {serve: inline(iam.KindUser, "get"), resource: userRes},
		"DeleteUserPolicy":  {serve: inline(iam.KindUser, "delete"), resource: userRes},
		"ListUserPolicies":  {serve: inline(iam.KindUser, "list"), resource: userRes},
		"PutGroupPolicy":    {serve: inline(iam.KindGroup, "put"), resource: groupRes},
		"GetGroupPolicy":    {serve: inline(iam.KindGroup, "get"), resource: groupRes},
		"DeleteGroupPolicy": {serve: inline(iam.KindGroup, "delete"), resource: groupRes},
		"ListGroupPolicies": {serve: inline(iam.KindGroup, "list"), resource: groupRes},
		"CreatePolicy":      {serve: (*Handler).createPolicy, resource: policyResource},
		"GetPolicy":         {serve: (*Handler).getPolicy, resource: policyResource},
		"ListPolicies":      {serve: (*Handler).listPolicies, resource: listResource("policy")},
		"DeletePolicy": {serve: noResult(func(h *Handler, q *request, p []string) error {
			return h.IAM.DeletePolicy(q.r.Context(), q.account, p[0])
		}, "PolicyArn"), resource: policyResource},
		"CreatePolicyVersion": {serve: (*Handler).createPolicyVersion, resource: policyResource},
		"GetPolicyVersion":    {serve: (*Handler).getPolicyVersion, resource: policyResource},
		"ListPolicyVersions":  {serve: (*Handler).listPolicyVersions, resource: policyResource},
		"SetDefaultPolicyVersion": {serve: noResult(func(h *Handler, q *request, p []string) error {
			return h.IAM.SetDefaultPolicyVersion(q.r.Context(), q.account, p[0], p[1])
		}, "PolicyArn", "VersionId"), resource: policyResource},
		"DeletePolicyVersion": {serve: noResult(func(h *Handler, q *request, p []string) error {
			return h.IAM.DeletePolicyVersion(q.r.Context(), q.account, p[0], p[1])
		}, "PolicyArn", "VersionId"), resource: policyResource},
		"AttachUserPolicy":          {serve: noResult(attach(iam.KindUser, (*iam.Service).AttachPolicy), "UserName", "PolicyArn"), resource: userRes},
		"DetachUserPolicy":          {serve: noResult(attach(iam.KindUser, (*iam.Service).DetachPolicy), "UserName", "PolicyArn"), resource: userRes},
		"AttachGroupPolicy":         {serve: noResult(attach(iam.KindGroup, (*iam.Service).AttachPolicy), "GroupName", "PolicyArn"), resource: groupRes},
		"DetachGroupPolicy":         {serve: noResult(attach(iam.KindGroup, (*iam.Service).DetachPolicy), "GroupName", "PolicyArn"), resource: groupRes},
		"ListAttachedUserPolicies":  {serve: listAttached(iam.KindUser), resource: userRes},
		"ListAttachedGroupPolicies": {serve: listAttached(iam.KindGroup), resource: groupRes},
		"ListEntitiesForPolicy":     {serve: (*Handler).listEntitiesForPolicy, resource: policyResource},
		"SimulatePrincipalPolicy":   {serve: (*Handler).simulatePrincipalPolicy, resource: sourceResource},
		"SimulateCustomPolicy":      {serve: (*Handler).simulateCustomPolicy},
		"CreateRole":                {serve: (*Handler).createRole, resource: roleRes},
		"GetRole":                   {serve: (*Handler).getRole, resource: roleRes},
		"ListRoles":                 {serve: (*Handler).listRoles, resource: listResource("role")},
		"DeleteRole": {serve: noResult(func(h *Handler, q *request, p []string) error {
			return h.IAM.DeleteRole(q.r.Context(), q.account, p[0])
		}, "RoleName"), resource: roleRes},
		"UpdateAssumeRolePolicy": {serve: noResult(func(h *Handler, q *request, p []string) error {
			return h.IAM.UpdateAssumeRolePolicy(q.r.Context(), q.account, p[0], p[1])
		}, "RoleName", "PolicyDocument"), resource: roleRes},
		"PutRolePolicy":            {serve: inline(iam.KindRole, "put"), resource: roleRes},
		"GetRolePolicy":            {serve: inline(iam.KindRole, "get"), resource: roleRes},
		"DeleteRolePolicy":         {serve: inline(iam.KindRole, "delete"), resource: roleRes},
		"ListRolePolicies":         {serve: inline(iam.KindRole, "list"), resource: roleRes},
		"AttachRolePolicy":         {serve: noResult(attach(iam.KindRole, (*iam.Service).AttachPolicy), "RoleName", "PolicyArn"), resource: roleRes},
		"DetachRolePolicy":         {serve: noResult(attach(iam.KindRole, (*iam.Service).DetachPolicy), "RoleName", "PolicyArn"), resource: roleRes},
		"ListAttachedRolePolicies": {serve: listAttached(iam.KindRole), resource: roleRes},
		"CreateVirtualMFADevice":   {serve: (*Handler).createVirtualMFADevice, resource: mfaResource},
		"DeleteVirtualMFADevice": {serve: noResult(func(h *Handler, q *request, p []string) error {
			return h.IAM.DeleteVirtualMFADevice(q.r.Context(), q.account, p[0])
		}, "SerialNumber"), resource: mfaResource},
		"EnableMFADevice": {serve: noResult(func(h *Handler, q *request, p []string) error {
			return h.IAM.EnableMFADevice(q.r.Context(), q.account, q.userName(), p[0], p[1], p[2])
		}, "SerialNumber", "AuthenticationCode1", "AuthenticationCode2"), resource: userRes},
		"ResyncMFADevice": {serve: noResult(func(h *Handler, q *request, p []string) error {
			return h.IAM.ResyncMFADevice(q.r.Context(), q.account, q.userName(), p[0], p[1], p[2])
		}, "SerialNumber", "AuthenticationCode1", "AuthenticationCode2"), resource: userRes},
		"DeactivateMFADevice": {serve: noResult(func(h *Handler, q *request, p []string) error {
			return h.IAM.DeactivateMFADevice(q.r.Context(), q.account, q.userName(), p[0])
		}, "SerialNumber"), resource: userRes},
		"ListMFADevices":        {serve: (*Handler).listMFADevices, resource: userRes},
		"ListVirtualMFADevices": {serve: (*Handler).listVirtualMFADevices, resource: listResource("mfa")},
		"CreateAccount":         {serve: (*Handler).createAccount, operator: true},
		"ListAccounts":          {serve: (*Handler).listAccounts, operator: true},
		"GetUsage":              {serve: (*Handler).getUsage, resource: usageResource},
	}
	maps.Copy(actions, originActions)
}

// noResult serves an action that answers nothing but success: the named
// parameters are required and handed to fn in order.
func noResult(fn func(h *Handler, q *request, p []string) error, params ...string) func(*Handler, *request) error {
	return func(h *Handler, q *request) error {
		p, err := q.required(params...)
		if err != nil {
			return err
		}
		if err := fn(h, q, p); err != nil {
			return err
		}
		return h.write(q, nil)
	}
}

// attach adapts AttachPolicy or DetachPolicy for kind to noResult's
// parameters (owner name, policy ARN).
func attach(kind string, op func(s *iam.Service, ctx context.Context, account, kind, owner, arn string) error) func(*Handler, *request, []string) error {
	return func(h *Handler, q *request, p []string) error {
		return op(h.IAM, q.r.Context(), q.account, kind, p[0], p[1])
	}
}

// tagsParam reads Tags.member.N.Key/Value.
func (q *request) tagsParam() []iam.Tag {
	var out []iam.Tag
	for i := 1; ; i++ {
		p := "Tags.member." + strconv.Itoa(i)
		k, ok := q.form[p+".Key"]
		if !ok {
			return out
		}
		out = append(out, iam.Tag{Key: k[0], Value: q.get(p + ".Value")})
	}
}

func (h *Handler) createUser(q *request) error {
	p, err := q.required("UserName")
	if err != nil {
		return err
	}
	u, err := h.IAM.CreateUser(q.r.Context(), q.account, p[0], q.get("Path"), q.tagsParam())
	if err != nil {
		return err
	}
	return h.write(q, struct{ User userXML }{h.userXML(q.account, u, true)})
}

// userName is the UserName parameter, or the caller's own name for the
// actions where IAM defaults to the caller.
func (q *request) userName() string {
	if n := q.get("UserName"); n != "" {
		return n
	}
	return q.caller.UserName
}

func (h *Handler) getUser(q *request) error {
	name := q.userName()
	if name == "" {
		// The root user: IAM describes the account's root, created with
		// the account.
		a, err := h.IAM.GetAccount(q.r.Context(), q.account)
		if err != nil {
			return err
		}
		type rootXML struct {
			UserID     string `xml:"UserId"`
			Arn        string
			CreateDate string
		}
		return h.write(q, struct{ User rootXML }{rootXML{q.account, "arn:aws:iam::" + q.account + ":root", isoTime(a.Created)}})
	}
	u, err := h.IAM.GetUser(q.r.Context(), q.account, name)
	if err != nil {
		return err
	}
	return h.write(q, struct{ User userXML }{h.userXML(q.account, u, true)})
}

func (h *Handler) listUsers(q *request) error {
	users, err := h.IAM.ListUsers(q.r.Context(), q.account, q.get("PathPrefix"))
	if err != nil {
		return err
	}
	pg, more, marker, err := page(q, users)
	if err != nil {
		return err
	}
	out := struct {
		Users []userXML `xml:"Users>member"`
		truncation
	}{truncation: truncation{more, marker}}
	out.Users = []userXML{}
	for _, u := range pg {
		out.Users = append(out.Users, h.userXML(q.account, u, false))
	}
	return h.write(q, out)
}

func (h *Handler) listUserTags(q *request) error {
	p, err := q.required("UserName")
	if err != nil {
		return err
	}
	u, err := h.IAM.GetUser(q.r.Context(), q.account, p[0])
	if err != nil {
		return err
	}
	pg, more, marker, err := page(q, u.Tags)
	if err != nil {
		return err
	}
	out := struct {
		Tags []tagXML `xml:"Tags>member"`
		truncation
	}{Tags: []tagXML{}, truncation: truncation{more, marker}}
	for _, t := range pg {
		out.Tags = append(out.Tags, tagXML{t.Key, t.Value})
	}
	return h.write(q, out)
}

func (h *Handler) createAccessKey(q *request) error {
	k, secret, err := h.IAM.CreateAccessKey(q.r.Context(), q.account, q.userName())
	if err != nil {
		return err
	}
	return h.write(q, struct{ AccessKey accessKeyXML }{accessKeyXML{UserName: k.UserName, AccessKeyID: k.AccessKeyID,
		Status: k.Status, SecretAccessKey: secret, CreateDate: isoTime(k.Created)}})
}

func (h *Handler) listAccessKeys(q *request) error {
	keys, err := h.IAM.ListAccessKeys(q.r.Context(), q.account, q.userName())
	if err != nil {
		return err
	}
	pg, more, marker, err := page(q, keys)
	if err != nil {
		return err
	}
	out := struct {
		UserName string         `xml:",omitempty"`
		Keys     []accessKeyXML `xml:"AccessKeyMetadata>member"`
		truncation
	}{UserName: q.userName(), Keys: []accessKeyXML{}, truncation: truncation{more, marker}}
	for _, k := range pg {
		out.Keys = append(out.Keys, accessKeyXML{UserName: k.UserName, AccessKeyID: k.AccessKeyID, Status: k.Status, CreateDate: isoTime(k.Created)})
	}
	return h.write(q, out)
}

func (h *Handler) getAccessKeyLastUsed(q *request) error {
	p, err := q.required("AccessKeyId")
	if err != nil {
		return err
	}
	user, use, err := h.IAM.AccessKeyLastUsed(q.r.Context(), q.account, p[0])
	if err != nil {
		return err
	}
	type lastUsed struct {
		LastUsedDate string `xml:",omitempty"`
		ServiceName  string
		Region       string
	}
	lu := lastUsed{ServiceName: "N/A", Region: "N/A"}
	if !use.Time.IsZero() {
		lu = lastUsed{isoTime(use.Time), use.Service, use.Region}
	}
	return h.write(q, struct {
		UserName          string `xml:",omitempty"`
		AccessKeyLastUsed lastUsed
	}{user, lu})
}

func (h *Handler) createGroup(q *request) error {
	p, err := q.required("GroupName")
	if err != nil {
		return err
	}
	g, err := h.IAM.CreateGroup(q.r.Context(), q.account, p[0], q.get("Path"))
	if err != nil {
		return err
	}
	return h.write(q, struct{ Group groupXML }{h.groupXML(q.account, g)})
}

func (h *Handler) getGroup(q *request) error {
	p, err := q.required("GroupName")
	if err != nil {
		return err
	}
	g, users, err := h.IAM.GetGroup(q.r.Context(), q.account, p[0])
	if err != nil {
		return err
	}
	pg, more, marker, err := page(q, users)
	if err != nil {
		return err
	}
	out := struct {
		Group groupXML
		Users []userXML `xml:"Users>member"`
		truncation
	}{Group: h.groupXML(q.account, g), Users: []userXML{}, truncation: truncation{more, marker}}
	for _, u := range pg {
		out.Users = append(out.Users, h.userXML(q.account, u, false))
	}
	return h.write(q, out)
}

func (h *Handler) writeGroups(q *request, groups []iam.Group) error {
	pg, more, marker, err := page(q, groups)
	if err != nil {
		return err
	}
	out := struct {
		Groups []groupXML `xml:"Groups>member"`
		truncation
	}{Groups: []groupXML{}, truncation: truncation{more, marker}}
	for _, g := range pg {
		out.Groups = append(out.Groups, h.groupXML(q.account, g))
	}
	return h.write(q, out)
}

func (h *Handler) listGroups(q *request) error {
	groups, err := h.IAM.ListGroups(q.r.Context(), q.account, q.get("PathPrefix"))
	if err != nil {
		return err
	}
	return h.writeGroups(q, groups)
}

func (h *Handler) listGroupsForUser(q *request) error {
	p, err := q.required("UserName")
	if err != nil {
		return err
	}
	groups, err := h.IAM.ListGroupsForUser(q.r.Context(), q.account, p[0])
	if err != nil {
		return err
	}
	return h.writeGroups(q, groups)
}

// ownerParamOf is the parameter naming the owner of an inline policy or
// attachment of kind.
func ownerParamOf(kind string) string {
	switch kind {
	case iam.KindGroup:
		return "GroupName"
	case iam.KindRole:
		return "RoleName"
	}
	return "UserName"
}

// inline serves Put/Get/Delete/List{User,Group}Policy{,ies}.
func inline(kind, verb string) func(*Handler, *request) error {
	ownerParam := ownerParamOf(kind)
	return func(h *Handler, q *request) error {
		ctx := q.r.Context()
		switch verb {
		case "put":
			p, err := q.required(ownerParam, "PolicyName", "PolicyDocument")
			if err != nil {
				return err
			}
			if err := h.IAM.PutInlinePolicy(ctx, q.account, kind, p[0], p[1], p[2]); err != nil {
				return err
			}
			return h.write(q, nil)
		case "get":
			p, err := q.required(ownerParam, "PolicyName")
			if err != nil {
				return err
			}
			doc, err := h.IAM.GetInlinePolicy(ctx, q.account, kind, p[0], p[1])
			if err != nil {
				return err
			}
			type result struct {
				UserName       string `xml:",omitempty"`
				GroupName      string `xml:",omitempty"`
				RoleName       string `xml:",omitempty"`
				PolicyName     string
				PolicyDocument string
			}
			out := result{PolicyName: p[1], PolicyDocument: escapeDocument(doc)}
			switch kind {
			case iam.KindUser:
				out.UserName = p[0]
			case iam.KindGroup:
				out.GroupName = p[0]
			default:
				out.RoleName = p[0]
			}
			return h.write(q, out)
		case "delete":
			p, err := q.required(ownerParam, "PolicyName")
			if err != nil {
				return err
			}
			if err := h.IAM.DeleteInlinePolicy(ctx, q.account, kind, p[0], p[1]); err != nil {
				return err
			}
			return h.write(q, nil)
		}
		p, err := q.required(ownerParam)
		if err != nil {
			return err
		}
		names, err := h.IAM.ListInlinePolicies(ctx, q.account, kind, p[0])
		if err != nil {
			return err
		}
		pg, more, marker, err := page(q, names)
		if err != nil {
			return err
		}
		return h.write(q, struct {
			PolicyNames []string `xml:"PolicyNames>member"`
			truncation
		}{append([]string{}, pg...), truncation{more, marker}})
	}
}

func (h *Handler) createPolicy(q *request) error {
	p, err := q.required("PolicyName", "PolicyDocument")
	if err != nil {
		return err
	}
	info, err := h.IAM.CreatePolicy(q.r.Context(), q.account, p[0], q.get("Path"), q.get("Description"), p[1])
	if err != nil {
		return err
	}
	return h.write(q, struct{ Policy policyXML }{policyInfoXML(info)})
}

func (h *Handler) getPolicy(q *request) error {
	p, err := q.required("PolicyArn")
	if err != nil {
		return err
	}
	info, err := h.IAM.GetPolicy(q.r.Context(), q.account, p[0])
	if err != nil {
		return err
	}
	return h.write(q, struct{ Policy policyXML }{policyInfoXML(info)})
}

func (h *Handler) listPolicies(q *request) error {
	scope := q.get("Scope")
	switch scope {
	case "", "All", "AWS", "Local":
	default:
		return &iam.Error{Code: iam.CodeValidation, Message: "1 validation error detected: Value '" + scope + "' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"}
	}
	ps, err := h.IAM.ListPolicies(q.r.Context(), q.account, scope, q.get("PathPrefix"), q.get("OnlyAttached") == "true")
	if err != nil {
		return err
	}
	pg, more, marker, err := page(q, ps)
	if err != nil {
		return err
	}
	out := struct {
		Policies []policyXML `xml:"Policies>member"`
		truncation
	}{Policies: []policyXML{}, truncation: truncation{more, marker}}
	for _, p := range pg {
		out.Policies = append(out.Policies, policyInfoXML(p))
	}
	return h.write(q, out)
}

func (h *Handler) createPolicyVersion(q *request) error {
	p, err := q.required("PolicyArn", "PolicyDocument")
	if err != nil {
		return err
	}
	setDefault := q.get("SetAsDefault") == "true"
	v, err := h.IAM.CreatePolicyVersion(q.r.Context(), q.account, p[0], p[1], setDefault)
	if err != nil {
		return err
	}
	return h.write(q, struct{ PolicyVersion policyVersionXML }{versionXML(v, setDefault, false)})
}

func (h *Handler) getPolicyVersion(q *request) error {
	p, err := q.required("PolicyArn", "VersionId")
	if err != nil {
		return err
	}
	v, isDefault, err := h.IAM.GetPolicyVersion(q.r.Context(), q.account, p[0], p[1])
	if err != nil {
		return err
	}
	return h.write(q, struct{ PolicyVersion policyVersionXML }{versionXML(v, isDefault, true)})
}

func (h *Handler) listPolicyVersions(q *request) error {
	p, err := q.required("PolicyArn")
	if err != nil {
		return err
	}
	vs, def, err := h.IAM.ListPolicyVersions(q.r.Context(), q.account, p[0])
	if err != nil {
		return err
	}
	pg, more, marker, err := page(q, vs)
	if err != nil {
		return err
	}
	out := struct {
		Versions []policyVersionXML `xml:"Versions>member"`
		truncation
	}{Versions: []policyVersionXML{}, truncation: truncation{more, marker}}
	for _, v := range pg {
		out.Versions = append(out.Versions, versionXML(v, v.ID == def, false))
	}
	return h.write(q, out)
}

func listAttached(kind string) func(*Handler, *request) error {
	ownerParam := ownerParamOf(kind)
	return func(h *Handler, q *request) error {
		p, err := q.required(ownerParam)
		if err != nil {
			return err
		}
		ps, err := h.IAM.ListAttachedPolicies(q.r.Context(), q.account, kind, p[0], q.get("PathPrefix"))
		if err != nil {
			return err
		}
		pg, more, marker, err := page(q, ps)
		if err != nil {
			return err
		}
		out := struct {
			AttachedPolicies []attachedXML `xml:"AttachedPolicies>member"`
			truncation
		}{AttachedPolicies: []attachedXML{}, truncation: truncation{more, marker}}
		for _, a := range pg {
			out.AttachedPolicies = append(out.AttachedPolicies, attachedXML{a.Name, a.ARN})
		}
		return h.write(q, out)
	}
}

func (h *Handler) listEntitiesForPolicy(q *request) error {
	p, err := q.required("PolicyArn")
	if err != nil {
		return err
	}
	ents, err := h.IAM.ListEntitiesForPolicy(q.r.Context(), q.account, p[0])
	if err != nil {
		return err
	}
	type userRef struct {
		UserName string
		UserID   string `xml:"UserId"`
	}
	type groupRef struct {
		GroupName string
		GroupID   string `xml:"GroupId"`
	}
	type roleRef struct {
		RoleName string
		RoleID   string `xml:"RoleId"`
	}
	filter := q.get("EntityFilter")
	out := struct {
		PolicyGroups []groupRef `xml:"PolicyGroups>member"`
		PolicyUsers  []userRef  `xml:"PolicyUsers>member"`
		PolicyRoles  []roleRef  `xml:"PolicyRoles>member"`
		truncation
	}{PolicyGroups: []groupRef{}, PolicyUsers: []userRef{}, PolicyRoles: []roleRef{}}
	if filter == "" || filter == "Role" {
		for _, r := range ents.Roles {
			out.PolicyRoles = append(out.PolicyRoles, roleRef{r.Name, r.ID})
		}
	}
	if filter == "" || filter == "User" {
		for _, u := range ents.Users {
			out.PolicyUsers = append(out.PolicyUsers, userRef{u.Name, u.ID})
		}
	}
	if filter == "" || filter == "Group" {
		for _, g := range ents.Groups {
			out.PolicyGroups = append(out.PolicyGroups, groupRef{g.Name, g.ID})
		}
	}
	return h.write(q, out)
}

// simulation reads the parameters the two Simulate actions share.
func (q *request) simulation() (iam.Simulation, error) {
	in := iam.Simulation{
		Policies:       q.list("PolicyInputList"),
		Actions:        q.list("ActionNames"),
		Resources:      q.list("ResourceArns"),
		ResourcePolicy: q.get("ResourcePolicy"),
		ResourceOwner:  q.get("ResourceOwner"),
		CallerARN:      q.get("CallerArn"),
		Context:        map[string][]string{},
	}
	for i := 1; ; i++ {
		p := "ContextEntries.member." + strconv.Itoa(i)
		name, ok := q.form[p+".ContextKeyName"]
		if !ok {
			break
		}
		k := strings.ToLower(name[0])
		in.Context[k] = append(in.Context[k], q.list(p+".ContextKeyValues")...)
	}
	if len(in.Actions) == 0 {
		return in, missing("ActionNames")
	}
	return in, nil
}

func (h *Handler) writeSimulation(q *request, results []iam.SimulationResult) error {
	type position struct {
		Line   int
		Column int
	}
	type matched struct {
		SourcePolicyID   string `xml:"SourcePolicyId"`
		SourcePolicyType string
		StartPosition    position
		EndPosition      position
	}
	type evalResult struct {
		EvalActionName       string
		EvalResourceName     string
		EvalDecision         string
		MatchedStatements    []matched `xml:"MatchedStatements>member"`
		MissingContextValues []string  `xml:"MissingContextValues>member"`
	}
	pg, more, marker, err := page(q, results)
	if err != nil {
		return err
	}
	out := struct {
		EvaluationResults []evalResult `xml:"EvaluationResults>member"`
		truncation
	}{EvaluationResults: []evalResult{}, truncation: truncation{more, marker}}
	for _, r := range pg {
		e := evalResult{EvalActionName: r.Action, EvalResourceName: r.Resource, EvalDecision: r.Decision,
			MatchedStatements: []matched{}, MissingContextValues: append([]string{}, r.Missing...)}
		for _, m := range r.Matched {
			// Positions are not tracked; the statement index stands in
			// as the line so that tools can tell statements apart.
			e.MatchedStatements = append(e.MatchedStatements, matched{SourcePolicyID: m.SourcePolicyID, SourcePolicyType: m.SourcePolicyType,
				StartPosition: position{m.Index + 1, 1}, EndPosition: position{m.Index + 1, 1}})
		}
		out.EvaluationResults = append(out.EvaluationResults, e)
	}
	return h.write(q, out)
}

func (h *Handler) simulatePrincipalPolicy(q *request) error {
	p, err := q.required("PolicySourceArn")
	if err != nil {
		return err
	}
	in, err := q.simulation()
	if err != nil {
		return err
	}
	in.PolicySourceARN = p[0]
	results, err := h.IAM.Simulate(q.r.Context(), q.account, in)
	if err != nil {
		return err
	}
	return h.writeSimulation(q, results)
}

func (h *Handler) simulateCustomPolicy(q *request) error {
	in, err := q.simulation()
	if err != nil {
		return err
	}
	if len(in.Policies) == 0 {
		return missing("PolicyInputList")
	}
	results, err := h.IAM.Simulate(q.r.Context(), q.account, in)
	if err != nil {
		return err
	}
	return h.writeSimulation(q, results)
}

type accountXML struct {
	AccountID       string `xml:"AccountId"`
	AccountName     string
	CanonicalUserID string `xml:"CanonicalUserId"`
	AccessKeyID     string `xml:"AccessKeyId,omitempty"`
	SecretAccessKey string `xml:",omitempty"`
}

func (h *Handler) createAccount(q *request) error {
	p, err := q.required("AccountName")
	if err != nil {
		return err
	}
	a, err := h.IAM.CreateAccount(q.r.Context(), p[0])
	if err != nil {
		return err
	}
	return h.write(q, struct{ Account accountXML }{accountXML{a.ID, a.Name, a.CanonicalID, a.AccessKeyID, a.SecretAccessKey}})
}

func (h *Handler) listAccounts(q *request) error {
	as, err := h.IAM.ListAccounts(q.r.Context())
	if err != nil {
		return err
	}
	out := struct {
		Accounts []accountXML `xml:"Accounts>member"`
	}{Accounts: []accountXML{}}
	for _, a := range as {
		out.Accounts = append(out.Accounts, accountXML{AccountID: a.ID, AccountName: a.Name, CanonicalUserID: a.CanonicalID})
	}
	return h.write(q, out)
}

func (h *Handler) roleResource(q *request) string {
	name := q.get("RoleName")
	if r, err := h.IAM.GetRole(q.r.Context(), q.account, name); err == nil {
		return h.IAM.RoleARN(q.account, &r)
	}
	return q.newARN("role", name)
}

var roleRes = (*Handler).roleResource

func mfaResource(_ *Handler, q *request) string {
	if serial := q.get("SerialNumber"); serial != "" {
		return serial
	}
	return q.newARN("mfa", q.get("VirtualMFADeviceName"))
}

type roleXML struct {
	Path                     string
	RoleName                 string
	RoleID                   string `xml:"RoleId"`
	Arn                      string
	CreateDate               string
	AssumeRolePolicyDocument string
	Description              string `xml:",omitempty"`
	MaxSessionDuration       int
}

func (h *Handler) roleXML(account string, r iam.Role) roleXML {
	return roleXML{Path: r.Path, RoleName: r.Name, RoleID: r.ID, Arn: h.IAM.RoleARN(account, &r), CreateDate: isoTime(r.Created),
		AssumeRolePolicyDocument: escapeDocument(r.TrustPolicy), Description: r.Description, MaxSessionDuration: r.MaxSession}
}

func (h *Handler) createRole(q *request) error {
	p, err := q.required("RoleName", "AssumeRolePolicyDocument")
	if err != nil {
		return err
	}
	maxSession := 0
	if v := q.get("MaxSessionDuration"); v != "" {
		if maxSession, err = strconv.Atoi(v); err != nil {
			return &iam.Error{Code: iam.CodeValidation, Message: "MaxSessionDuration must be a number of seconds."}
		}
	}
	r, err := h.IAM.CreateRole(q.r.Context(), q.account, p[0], q.get("Path"), q.get("Description"), p[1], maxSession, q.tagsParam())
	if err != nil {
		return err
	}
	return h.write(q, struct{ Role roleXML }{h.roleXML(q.account, r)})
}

func (h *Handler) getRole(q *request) error {
	p, err := q.required("RoleName")
	if err != nil {
		return err
	}
	r, err := h.IAM.GetRole(q.r.Context(), q.account, p[0])
	if err != nil {
		return err
	}
	return h.write(q, struct{ Role roleXML }{h.roleXML(q.account, r)})
}

func (h *Handler) listRoles(q *request) error {
	roles, err := h.IAM.ListRoles(q.r.Context(), q.account, q.get("PathPrefix"))
	if err != nil {
		return err
	}
	pg, more, marker, err := page(q, roles)
	if err != nil {
		return err
	}
	out := struct {
		Roles []roleXML `xml:"Roles>member"`
		truncation
	}{Roles: []roleXML{}, truncation: truncation{more, marker}}
	for _, r := range pg {
		out.Roles = append(out.Roles, h.roleXML(q.account, r))
	}
	return h.write(q, out)
}

func (h *Handler) createVirtualMFADevice(q *request) error {
	p, err := q.required("VirtualMFADeviceName")
	if err != nil {
		return err
	}
	d, err := h.IAM.CreateVirtualMFADevice(q.r.Context(), q.account, p[0], q.get("Path"))
	if err != nil {
		return err
	}
	// Both blobs are base64 on the wire, as IAM sends them (the seed is
	// the base64 of its Base32 text).
	return h.write(q, struct {
		VirtualMFADevice struct {
			SerialNumber     string
			Base32StringSeed string
			QRCodePNG        string
		}
	}{struct {
		SerialNumber     string
		Base32StringSeed string
		QRCodePNG        string
	}{d.Serial, base64.StdEncoding.EncodeToString([]byte(d.Base32Seed)), base64.StdEncoding.EncodeToString(d.QRCodePNG)}})
}

type mfaDeviceXML struct {
	UserName     string `xml:",omitempty"` // ListMFADevices
	SerialNumber string
	User         *userXML `xml:",omitempty"` // ListVirtualMFADevices: the assigned user
	EnableDate   string   `xml:",omitempty"`
}

// writeMFADevices answers a device listing in element; virtual says it is
// ListVirtualMFADevices, which describes each assigned user in a <User>.
func (h *Handler) writeMFADevices(q *request, ds []iam.MFADeviceInfo, element string, virtual bool) error {
	pg, more, marker, err := page(q, ds)
	if err != nil {
		return err
	}
	items := []mfaDeviceXML{}
	for _, d := range pg {
		x := mfaDeviceXML{SerialNumber: d.Serial}
		if !d.Enabled.IsZero() {
			x.EnableDate = isoTime(d.Enabled)
		}
		switch {
		case !virtual:
			x.UserName = d.User
		case d.User != "":
			u, err := h.IAM.GetUser(q.r.Context(), q.account, d.User)
			if err != nil {
				return err
			}
			ux := h.userXML(q.account, u, false)
			x.User = &ux
		case d.Root:
			x.User = &userXML{Path: "/", UserID: q.account, Arn: "arn:aws:iam::" + q.account + ":root"}
		}
		items = append(items, x)
	}
	return h.write(q, struct {
		Devices named
		truncation
	}{named{element, struct {
		Members []mfaDeviceXML `xml:"member"`
	}{items}}, truncation{more, marker}})
}

func (h *Handler) listMFADevices(q *request) error {
	ds, err := h.IAM.ListMFADevices(q.r.Context(), q.account, q.userName())
	if err != nil {
		return err
	}
	return h.writeMFADevices(q, ds, "MFADevices", false)
}

func (h *Handler) listVirtualMFADevices(q *request) error {
	status := q.get("AssignmentStatus")
	switch status {
	case "", "Any", "Assigned", "Unassigned":
	default:
		return &iam.Error{Code: iam.CodeValidation, Message: "AssignmentStatus must be Assigned, Unassigned or Any."}
	}
	ds, err := h.IAM.ListVirtualMFADevices(q.r.Context(), q.account, status)
	if err != nil {
		return err
	}
	return h.writeMFADevices(q, ds, "VirtualMFADevices", true)
}
