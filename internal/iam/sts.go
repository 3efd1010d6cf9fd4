package iam

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/coffer-project/coffer/internal/auth"
	"github.com/coffer-project/coffer/internal/policy"
)

// TempCredentials are temporary credentials (STS).
type TempCredentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
}

// Session durations (seconds), as STS has them.
const (
	defaultSessionTokenDuration = 43200
	maxSessionTokenDuration     = 129600
	maxRootSessionDuration      = 3600
	maxChainedRoleDuration      = 3600
)

// sessionClaims are what a session token carries, sealed: the token is
// its own record, so no store is written per session, and any change to
// it fails authentication.
type sessionClaims struct {
	AccessKeyID    string `json:"k"`
	Secret         string `json:"s"`
	Account        string `json:"a"`
	User           string `json:"u,omitempty"`
	UserID         string `json:"ui,omitempty"`
	RoleName       string `json:"r,omitempty"`
	RoleID         string `json:"ri,omitempty"`
	Name           string `json:"n,omitempty"`
	Expires        int64  `json:"e"`
	MFA            int64  `json:"m,omitempty"` // unix seconds
	Policy         string `json:"p,omitempty"`
	SourceIdentity string `json:"si,omitempty"`
}

// tokenPrefix starts every session token (format version 1).
const tokenPrefix = "CFR1"

func tokenAAD(accessKeyID string) []byte {
	return []byte("coffer sts session v1\x00" + accessKeyID)
}

// issue makes temporary credentials carrying c.
func (s *Service) issue(ctx context.Context, c sessionClaims) (TempCredentials, error) {
	id, err := s.uniqueID("ASIA", 16)
	if err != nil {
		return TempCredentials{}, err
	}
	b := make([]byte, 40)
	if _, err := io.ReadFull(s.rand(), b); err != nil {
		return TempCredentials{}, err
	}
	for i := range b {
		b[i] = secretAlphabet[b[i]&63]
	}
	c.AccessKeyID, c.Secret = id, string(b)
	clear(b)
	plain, err := json.Marshal(c)
	if err != nil {
		return TempCredentials{}, err
	}
	sealed, err := s.Sealer.Seal(ctx, plain, tokenAAD(id))
	clear(plain)
	if err != nil {
		return TempCredentials{}, err
	}
	return TempCredentials{AccessKeyID: id, SecretAccessKey: c.Secret,
		SessionToken: tokenPrefix + base64.RawURLEncoding.EncodeToString(sealed), Expiration: time.Unix(c.Expires, 0).UTC()}, nil
}

// LookupSession implements auth.SessionCredentials: the token is opened
// and checked (its key ID, its expiry, that the user or role it was issued
// for still exists), and the credential it carries returned.
func (c *Credentials) LookupSession(ctx context.Context, accessKeyID, token string) (auth.Credential, error) {
	s := c.IAM
	invalid := fmt.Errorf("iam: session token for %q: %w", accessKeyID, auth.ErrInvalidToken)
	raw, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok {
		return auth.Credential{}, invalid
	}
	sealed, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return auth.Credential{}, invalid
	}
	plain, err := s.Sealer.Open(ctx, sealed, tokenAAD(accessKeyID))
	if err != nil {
		return auth.Credential{}, invalid
	}
	var cl sessionClaims
	err = json.Unmarshal(plain, &cl)
	clear(plain)
	if err != nil || cl.AccessKeyID != accessKeyID {
		return auth.Credential{}, invalid
	}
	if s.now().Unix() >= cl.Expires {
		return auth.Credential{}, fmt.Errorf("iam: session %s: %w", accessKeyID, auth.ErrExpiredToken)
	}
	p, err := s.sessionPrincipal(ctx, cl)
	if err != nil {
		return auth.Credential{}, err
	}
	return auth.Credential{AccessKeyID: accessKeyID, SecretKey: cl.Secret, Principal: p}, nil
}

// sessionPrincipal is who a session acts as; the user or role must still
// exist (deleting it revokes its sessions).
func (s *Service) sessionPrincipal(ctx context.Context, cl sessionClaims) (auth.Principal, error) {
	snap, err := s.account(ctx, cl.Account)
	if err != nil {
		return auth.Principal{}, fmt.Errorf("iam: session account: %w", auth.ErrInvalidToken)
	}
	sess := &auth.Session{Expires: time.Unix(cl.Expires, 0).UTC(), Policy: cl.Policy, SourceIdentity: cl.SourceIdentity}
	if cl.MFA != 0 {
		sess.MFATime = time.Unix(cl.MFA, 0).UTC()
	}
	p := auth.Principal{AccountID: cl.Account, AccessKeyID: cl.AccessKeyID, Session: sess,
		ARN: "arn:" + s.partition() + ":iam::" + cl.Account + ":root"}
	switch {
	case cl.RoleName != "":
		r := snap.st.role(cl.RoleName)
		if r == nil || r.ID != cl.RoleID {
			return auth.Principal{}, fmt.Errorf("iam: role %s is gone: %w", cl.RoleName, auth.ErrInvalidToken)
		}
		sess.RoleARN, sess.RoleID, sess.RoleName, sess.Name = s.RoleARN(cl.Account, r), r.ID, r.Name, cl.Name
		p.ARN = "arn:" + s.partition() + ":sts::" + cl.Account + ":assumed-role/" + r.Name + "/" + cl.Name
		p.UserID = r.ID + ":" + cl.Name
	case cl.User != "":
		u := snap.st.user(cl.User)
		if u == nil || u.ID != cl.UserID {
			return auth.Principal{}, fmt.Errorf("iam: user %s is gone: %w", cl.User, auth.ErrInvalidToken)
		}
		p.UserName, p.UserID, p.ARN = u.Name, u.ID, s.UserARN(cl.Account, u)
	}
	return p, nil
}

// durationParam checks DurationSeconds against [minSession, max]; 0 is def.
func durationParam(d, def, max int) (int, error) {
	if d == 0 {
		return min(def, max), nil
	}
	if d < minSession || d > max {
		return 0, errorf(CodeValidation, "1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value between %d and %d", d, minSession, max)
	}
	return d, nil
}

// GetSessionToken issues temporary credentials to a user or root with
// long-term keys; with serial and code (a TOTP code of the caller's MFA
// device), the session carries MFA.
func (s *Service) GetSessionToken(ctx context.Context, caller auth.Principal, duration int, serial, code string) (TempCredentials, error) {
	if caller.Session != nil {
		return TempCredentials{}, errorf(CodeAccessDenied, "Cannot call GetSessionToken with session credentials")
	}
	max := maxSessionTokenDuration
	if caller.UserName == "" {
		max = maxRootSessionDuration
	}
	d, err := durationParam(duration, defaultSessionTokenDuration, max)
	if err != nil {
		return TempCredentials{}, err
	}
	cl := sessionClaims{Account: caller.AccountID, User: caller.UserName, UserID: caller.UserID, Expires: s.now().Unix() + int64(d)}
	if serial != "" || code != "" {
		if serial == "" || code == "" {
			return TempCredentials{}, errorf(CodeValidation, "SerialNumber and TokenCode must be given together.")
		}
		t, err := s.CheckMFA(ctx, caller.AccountID, caller.UserName, serial, code)
		if err != nil {
			return TempCredentials{}, err
		}
		cl.MFA = t.Unix()
	}
	return s.issue(ctx, cl)
}

// AssumeRoleInput is an AssumeRole request.
type AssumeRoleInput struct {
	RoleARN, SessionName string
	Duration             int
	ExternalID           string
	// Policy is an optional session policy (limits the role's permissions).
	Policy string
	// SerialNumber and TokenCode prove MFA in this call.
	SerialNumber, TokenCode string
	SourceIdentity          string
	// Context holds the request's condition keys (aws:SourceIp, …),
	// lower-cased; AssumeRole adds the STS and MFA ones.
	Context map[string][]string
}

// AssumedRole is AssumeRole's answer.
type AssumedRole struct {
	Credentials    TempCredentials
	ARN, ID        string // the assumed-role ARN and ROLEID:SESSION
	SourceIdentity string
}

var sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// AssumeRole issues credentials for a role to a caller its trust policy
// allows, with AWS's evaluation: the trust policy must grant sts:AssumeRole
// (naming the caller, or its account together with the caller's identity
// policies), and across accounts the caller's identity policies must
// allow it too.
func (s *Service) AssumeRole(ctx context.Context, caller auth.Principal, in AssumeRoleInput) (AssumedRole, error) {
	if !sessionNameRE.MatchString(in.SessionName) {
		return AssumedRole{}, errorf(CodeValidation, "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", in.SessionName)
	}
	if in.SourceIdentity != "" && !sessionNameRE.MatchString(in.SourceIdentity) {
		return AssumedRole{}, errorf(CodeValidation, "Invalid SourceIdentity.")
	}
	account, roleName, ok := parseRoleARN(in.RoleARN)
	if !ok {
		return AssumedRole{}, errorf(CodeValidation, "%s is invalid", in.RoleARN)
	}
	var sessionPolicy string
	if in.Policy != "" {
		var err error
		if _, sessionPolicy, err = parseIdentity(in.Policy, 2048); err != nil {
			return AssumedRole{}, err
		}
	}
	denied := errorf(CodeAccessDenied, "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.ARN, in.RoleARN)
	snap, err := s.account(ctx, account)
	if err != nil {
		return AssumedRole{}, denied
	}
	role := snap.st.role(roleName)
	if role == nil || s.RoleARN(account, role) != in.RoleARN {
		return AssumedRole{}, denied
	}
	maxDuration := role.MaxSession
	if caller.Session != nil && caller.Session.RoleARN != "" {
		maxDuration = maxChainedRoleDuration // role chaining
	}
	d, err := durationParam(in.Duration, DefaultMaxSession, maxDuration)
	if err != nil {
		return AssumedRole{}, err
	}
	cl := sessionClaims{Account: account, RoleName: role.Name, RoleID: role.ID, Name: in.SessionName,
		Expires: s.now().Unix() + int64(d), Policy: sessionPolicy, SourceIdentity: in.SourceIdentity}
	setsSourceIdentity := in.SourceIdentity != ""
	if caller.Session != nil {
		if !caller.Session.MFATime.IsZero() {
			cl.MFA = caller.Session.MFATime.Unix()
		}
		if prev := caller.Session.SourceIdentity; prev != "" {
			// A source identity, once set, stays for the chain.
			if in.SourceIdentity != "" && in.SourceIdentity != prev {
				return AssumedRole{}, errorf(CodeAccessDenied, "The source identity cannot be changed in a role chain (it is %s).", prev)
			}
			cl.SourceIdentity, setsSourceIdentity = prev, false
		}
	}
	if in.SerialNumber != "" || in.TokenCode != "" {
		t, err := s.CheckMFA(ctx, caller.AccountID, caller.UserName, in.SerialNumber, in.TokenCode)
		if err != nil {
			return AssumedRole{}, err
		}
		cl.MFA = t.Unix()
	}
	keys := in.Context
	if keys == nil {
		keys = map[string][]string{}
	}
	setMFAKeys(keys, cl.MFA, s.now())
	if in.ExternalID != "" {
		keys["sts:externalid"] = []string{in.ExternalID}
	}
	keys["sts:rolesessionname"] = []string{in.SessionName}
	if cl.SourceIdentity != "" {
		keys["sts:sourceidentity"] = []string{cl.SourceIdentity}
	}
	trust, err := policy.ParseTrust([]byte(role.TrustPolicy))
	if err != nil {
		return AssumedRole{}, fmt.Errorf("iam: stored trust policy of role %s: %w", role.Name, err)
	}
	trust.Name = "TrustPolicy"
	identity, err := s.IdentityPolicies(ctx, caller)
	if err != nil {
		return AssumedRole{}, err
	}
	sets := []policy.Set{{Kind: policy.KindIdentity, Policies: identity},
		{Kind: policy.KindResource, Policies: []*policy.Policy{trust}, Owner: account, Required: true}}
	if b := s.SessionBoundary(caller); b != nil {
		sets = append(sets, policy.Set{Kind: policy.KindBoundary, Policies: []*policy.Policy{b}})
	}
	// Setting a source identity needs sts:SetSourceIdentity too, from the
	// same policies.
	actions := []string{"sts:AssumeRole"}
	if setsSourceIdentity {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	for _, action := range actions {
		req := policy.Request{Principal: PolicyPrincipal(caller), Action: action, Resource: in.RoleARN, Context: keys}
		if d := policy.Evaluate(req, sets...); !d.Allowed() {
			s.log().LogAttrs(ctx, slog.LevelInfo, "access denied", slog.String("principal", req.Principal.ARN),
				slog.String("action", req.Action), slog.String("resource", req.Resource),
				slog.String("statement", d.Decider()), slog.String("reason", d.Reason))
			return AssumedRole{}, errorf(CodeAccessDenied, "User: %s is not authorized to perform: %s on resource: %s", caller.ARN, action, in.RoleARN)
		}
	}
	creds, err := s.issue(ctx, cl)
	if err != nil {
		return AssumedRole{}, err
	}
	return AssumedRole{Credentials: creds, ARN: "arn:" + s.partition() + ":sts::" + account + ":assumed-role/" + role.Name + "/" + in.SessionName,
		ID: role.ID + ":" + in.SessionName, SourceIdentity: cl.SourceIdentity}, nil
}

// parseRoleARN splits arn:aws:iam::ACCOUNT:role/PATH/NAME.
func parseRoleARN(arn string) (account, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || len(parts[4]) != 12 || !strings.HasPrefix(parts[5], "role/") {
		return "", "", false
	}
	rest := parts[5]
	return parts[4], rest[strings.LastIndexByte(rest, '/')+1:], true
}

// setMFAKeys sets aws:MultiFactorAuthPresent (and, with MFA at unix time
// mfa, aws:MultiFactorAuthAge) in condition keys c. Without MFA the key
// is "false", for long-term keys too, as the IAM issue asks.
func setMFAKeys(c map[string][]string, mfa int64, now time.Time) {
	if mfa == 0 {
		c["aws:multifactorauthpresent"] = []string{"false"}
		return
	}
	c["aws:multifactorauthpresent"] = []string{"true"}
	c["aws:multifactorauthage"] = []string{strconv.FormatInt(max(0, now.Unix()-mfa), 10)}
}

// MFAKeys sets the MFA condition keys of a caller in c.
func MFAKeys(c map[string][]string, p auth.Principal, now time.Time) {
	var mfa int64
	if p.Session != nil && !p.Session.MFATime.IsZero() {
		mfa = p.Session.MFATime.Unix()
	}
	setMFAKeys(c, mfa, now)
}

// PolicyPrincipal is the policy principal of an authenticated caller. An
// origin access credential is a service principal (no identity side, no
// account): an OAI known by its ARN and canonical user ID, an OAC as
// cloudfront.amazonaws.com.
func PolicyPrincipal(p auth.Principal) policy.Principal {
	switch {
	case p.Anonymous:
		return policy.Principal{}
	case p.Origin != nil && p.Origin.SourceARN != "":
		return policy.Principal{Type: policy.PrincipalService, Service: CloudFrontService}
	case p.Origin != nil:
		return policy.Principal{Type: policy.PrincipalService, ARN: p.ARN, CanonicalUser: p.Origin.CanonicalUser}
	case p.Session != nil && p.Session.RoleARN != "":
		return policy.Principal{Type: policy.PrincipalAssumedRole, Account: p.AccountID, ARN: p.ARN, RoleARN: p.Session.RoleARN, UserID: p.UserID}
	case p.UserName == "":
		return policy.Principal{Type: policy.PrincipalRoot, Account: p.AccountID, ARN: p.ARN, UserID: p.AccountID}
	}
	return policy.Principal{Type: policy.PrincipalUser, Account: p.AccountID, ARN: p.ARN, Username: p.UserName, UserID: p.UserID}
}

// SessionBoundary is the session policy of an assumed-role session,
// parsed, or nil.
func (s *Service) SessionBoundary(p auth.Principal) *policy.Policy {
	if p.Session == nil || p.Session.Policy == "" {
		return nil
	}
	b, err := policy.Parse([]byte(p.Session.Policy), policy.KindBoundary)
	if err != nil {
		// Validated when issued; a token cannot be altered. Grant
		// nothing rather than fail open.
		b, _ = policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`), policy.KindBoundary)
	}
	b.Name = "SessionPolicy"
	return b
}

// LogValue keeps the secret and the session token out of logs.
func (c TempCredentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_key_id", c.AccessKeyID), slog.Time("expiration", c.Expiration))
}
