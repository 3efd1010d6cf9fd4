package policy

import (
	"strings"
)

// PrincipalType says what kind of identity made a request. The zero value is
// the anonymous principal, so an unset Principal never gains an identity.
type PrincipalType int

const (
	PrincipalAnonymous     PrincipalType = iota // unauthenticated request
	PrincipalRoot                               // an account's root user
	PrincipalUser                               // an IAM user
	PrincipalAssumedRole                        // an STS session of a role
	PrincipalFederatedUser                      // an STS federated user
	PrincipalService                            // an AWS-style service principal
)

// String returns the aws:PrincipalType value AWS uses for t.
func (t PrincipalType) String() string {
	switch t {
	case PrincipalRoot:
		return "Account"
	case PrincipalUser:
		return "User"
	case PrincipalAssumedRole:
		return "AssumedRole"
	case PrincipalFederatedUser:
		return "FederatedUser"
	case PrincipalService:
		return "Service"
	default:
		return "Anonymous"
	}
}

// Principal is the authenticated caller of a request.
type Principal struct {
	Type PrincipalType
	// Account is the 12-digit account id (empty for anonymous and services).
	Account string
	// ARN is the caller's ARN: arn:aws:iam::ACCOUNT:root, …:user/path/name,
	// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, ….
	ARN string
	// RoleARN is, for PrincipalAssumedRole, the role's ARN including its path
	// (arn:aws:iam::ACCOUNT:role/path/NAME). When empty it is derived from the
	// session ARN, which carries no path.
	RoleARN string
	// Username is the IAM user name (aws:username); set for users only.
	Username string
	// UserID is the unique id (aws:userid): the account id for root, AIDA…
	// for users, ROLEID:SESSION for role sessions.
	UserID string
	// CanonicalUser is the account's canonical user id (a CloudFront
	// origin access identity's own, for PrincipalService), matched by
	// {"CanonicalUser": …} principals.
	CanonicalUser string
	// Service is the service principal name (cloudfront.amazonaws.com) for
	// PrincipalService.
	Service string
	// Federated is the identity provider (an ARN or a name such as
	// cognito-identity.amazonaws.com) for web-identity and SAML sessions.
	Federated string
}

func (p Principal) partition() string {
	if rest, ok := strings.CutPrefix(p.ARN, "arn:"); ok {
		if partition, _, ok := strings.Cut(rest, ":"); ok && partition != "" {
			return partition
		}
	}
	return "aws"
}

func (p Principal) rootARN() string {
	// A root user's ARN usually is this very string: reuse it rather than
	// build a copy on every evaluation.
	if p.Type == PrincipalRoot && p.hasRootARN() {
		return p.ARN
	}
	return "arn:" + p.partition() + ":iam::" + p.Account + ":root"
}

// hasRootARN reports whether p.ARN is "arn:PARTITION:iam::ACCOUNT:root"
// for p's account and a non-empty partition.
func (p Principal) hasRootARN() bool {
	rest, ok := strings.CutPrefix(p.ARN, "arn:")
	if !ok {
		return false
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if !ok || partition == "" {
		return false
	}
	rest, ok = strings.CutPrefix(rest, "iam::")
	if !ok {
		return false
	}
	account, ok := strings.CutSuffix(rest, ":root")
	return ok && account == p.Account
}

// AssumedRoleARN is the role an assumed-role session belongs to: RoleARN
// when set, else derived from the session ARN
// (arn:aws:sts::A:assumed-role/ROLE/SESSION → arn:aws:iam::A:role/ROLE);
// "" for other principals.
func (p Principal) AssumedRoleARN() string {
	if p.RoleARN != "" {
		return p.RoleARN
	}
	return p.roleARN()
}

// roleARN derives the role ARN from an assumed-role session ARN.
func (p Principal) roleARN() string {
	parts := strings.SplitN(p.ARN, ":", 6)
	if len(parts) != 6 || parts[2] != "sts" {
		return ""
	}
	rest, ok := strings.CutPrefix(parts[5], "assumed-role/")
	if !ok {
		return ""
	}
	role, _, ok := strings.Cut(rest, "/")
	if !ok || role == "" {
		return ""
	}
	return "arn:" + parts[1] + ":iam::" + parts[4] + ":role/" + role
}

// identity is one of the names a principal is known by. account marks the
// account-wide name (matching it only delegates to the account).
type identity struct {
	kind    string // "AWS", "CanonicalUser", "Service", "Federated", "" (anonymous)
	value   string
	account bool
}

// identities lists every name a policy's Principal may use for p: at most
// five, in an array so that listing them allocates nothing.
func (p Principal) identities() (ids [5]identity, n int) {
	add := func(id identity) {
		ids[n] = id
		n++
	}
	switch p.Type {
	case PrincipalAnonymous:
		add(identity{kind: ""})
		return ids, n
	case PrincipalService:
		// A service (cloudfront.amazonaws.com), or a principal of a
		// service known by an ARN and canonical user ID (a CloudFront
		// origin access identity).
		if p.Service != "" {
			add(identity{kind: "Service", value: p.Service})
		}
		if p.ARN != "" {
			add(identity{kind: "AWS", value: p.ARN})
		}
		if p.CanonicalUser != "" {
			add(identity{kind: "CanonicalUser", value: p.CanonicalUser})
		}
		return ids, n
	}
	add(identity{kind: "AWS", value: p.rootARN(), account: p.Type != PrincipalRoot})
	switch p.Type {
	case PrincipalUser, PrincipalFederatedUser:
		add(identity{kind: "AWS", value: p.ARN})
	case PrincipalAssumedRole:
		if role := p.AssumedRoleARN(); role != "" {
			add(identity{kind: "AWS", value: role})
		}
		add(identity{kind: "AWS", value: p.ARN})
	}
	if p.CanonicalUser != "" {
		add(identity{kind: "CanonicalUser", value: p.CanonicalUser, account: p.Type != PrincipalRoot})
	}
	if p.Federated != "" {
		add(identity{kind: "Federated", value: p.Federated})
	}
	return ids, n
}

// principalSpec is a parsed Principal or NotPrincipal element.
type principalSpec struct {
	all     bool                // "*" or {"AWS": "*"}
	entries map[string][]string // kind → normalised values
}

func (ps *principalSpec) has(id identity) bool {
	for _, v := range ps.entries[id.kind] {
		if v == id.value {
			return true
		}
	}
	return false
}

// matchPrincipal reports whether a Principal element names the principal
// known by ids (from [Principal.identities]). delegated is
// true when it names p only through p's account (see [Evaluate]).
func (ps *principalSpec) matchPrincipal(ids []identity) (match, delegated bool) {
	if ps.all {
		return true, false
	}
	for _, id := range ids {
		if id.kind != "" && id.value != "" && ps.has(id) {
			if !id.account {
				return true, false
			}
			match, delegated = true, true
		}
	}
	return match, delegated
}

// matchNotPrincipal reports whether a NotPrincipal statement applies to the
// principal known by ids: it does unless every name p is known by is listed, which is why AWS tells
// you to list the account as well as the user or role you exclude.
func (ps *principalSpec) matchNotPrincipal(ids []identity) bool {
	if ps.all {
		return false
	}
	for _, id := range ids {
		if id.kind == "CanonicalUser" || id.kind == "Federated" {
			continue // alternative names, not a link in the chain
		}
		if id.kind == "" || !ps.has(id) {
			return true
		}
	}
	return false
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// normaliseAWSPrincipal validates one {"AWS": …} value; an account id
// becomes its root ARN.
func normaliseAWSPrincipal(v string) (string, bool) {
	if isAccountID(v) {
		return "arn:aws:iam::" + v + ":root", true
	}
	parts := strings.SplitN(v, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[5] == "" ||
		strings.ContainsAny(v, "*?") {
		return "", false
	}
	switch parts[2] {
	case "iam":
		// arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity ID
		if !isAccountID(parts[4]) && !(parts[4] == "cloudfront" && strings.HasPrefix(parts[5], "user/")) {
			return "", false
		}
	case "sts":
		if !isAccountID(parts[4]) {
			return "", false
		}
	default:
		return "", false
	}
	return v, true
}
