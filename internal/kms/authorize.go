package kms

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/coffer-project/coffer/internal/policy"
)

// AuthRequest is one KMS call to authorize.
type AuthRequest struct {
	// Caller is the authenticated principal; AccessKeyID the key it signed
	// with (for the audit record; it decides nothing).
	Caller      policy.Principal
	AccessKeyID string
	// IdentityPolicies are the caller's IAM policies. The administrator
	// passes AdministratorPolicy.
	IdentityPolicies []*policy.Policy
	// Action is the IAM action, "kms:Decrypt".
	Action string
	// KeyID names the key: id, ARN, alias name or alias ARN.
	KeyID string
	// EncryptionContext is the request's context (for ReEncrypt, the one
	// of the half being authorized).
	EncryptionContext map[string]string
	// GrantTokens are the request's grant tokens (validated; grants here
	// take effect at once, so they grant nothing a grant does not).
	GrantTokens []string
	// ViaService is kms:ViaService, the service calling on the caller's
	// behalf ("s3.us-east-1.amazonaws.com"), empty for a direct call.
	ViaService string
	// For kms:CreateGrant: the grant asked for, which fills in
	// kms:GrantOperations, kms:GranteePrincipal, kms:RetiringPrincipal and
	// kms:GrantConstraintType, and bounds what a constrained grant may pass on.
	Grant *CreateGrantInput
	// Context holds further condition keys (kms:EncryptionAlgorithm,
	// kms:RequestAlias, aws:SourceIp, …).
	Context map[string][]string
}

// Decision is the outcome of Authorize.
type Decision struct {
	Allowed bool
	KeyARN  string
	// Policy is the policy evaluation; Allowed may still be true when a
	// grant allowed what the policies did not.
	Policy policy.Decision
	// GrantID is the grant that allowed the request, if one did.
	GrantID string
}

// AdministratorPolicy returns the identity policy of the KMS administrator:
// every kms: action on every key.
func AdministratorPolicy() *policy.Policy {
	p, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"Administrator","Effect":"Allow","Action":"kms:*","Resource":"*"}]}`), policy.KindIdentity)
	if err != nil {
		panic("kms: administrator policy: " + err.Error()) // a constant document
	}
	p.Name = "coffer-kms-administrator"
	return p
}

// Authorize decides whether req may proceed, as AWS KMS does: an explicit
// Deny in the key policy or an identity policy refuses; otherwise the key
// policy must allow (directly, or by naming the caller's account and an
// identity policy allowing), or a grant of the key to the caller must
// include the operation with constraints the encryption context meets.
//
// An action that uses a key (kms:GenerateDataKey, kms:Encrypt,
// kms:DescribeKey, …) by a caller of the store's account naming a managed
// key (AWSManagedS3Alias, S3OwnedAlias) for the first time creates it, as
// the operation itself would.
//
// The actions that name no key (kms:CreateKey, kms:ListKeys,
// kms:ListAliases, kms:GenerateRandom, kms:ListRetirableGrants) are
// authorized with an empty KeyID by the identity policies alone, on
// resource "*", as on AWS.
//
// It returns an error wrapping ErrAccessDenied, with AWS's message, when
// the request is refused, and ErrNotFound, ErrValidation or
// ErrInvalidGrantToken when it cannot be decided.
func (s *Store) Authorize(ctx context.Context, req AuthRequest) (Decision, error) {
	op, ok := strings.CutPrefix(req.Action, "kms:")
	if !ok || op == "" {
		return Decision{}, fmt.Errorf("kms: authorize: %q is not a kms action: %w", req.Action, ErrValidation)
	}
	if err := CheckGrantTokens(req.GrantTokens); err != nil {
		return Decision{}, err
	}
	if req.KeyID == "" && isAccountAction(req.Action) {
		preq := policy.Request{Principal: req.Caller, Action: req.Action, Resource: "*", Context: requestContext(&req)}
		d := policy.Evaluate(preq, policy.Set{Kind: policy.KindIdentity, Policies: req.IdentityPolicies})
		if d.Allowed() {
			return Decision{Allowed: true, Policy: d}, nil
		}
		return Decision{Policy: d}, fmt.Errorf("kms: %s: %w", denialMessage(req.Caller, req.Action, "*", d), ErrAccessDenied)
	}
	var k keyRow
	lookup := func() error {
		return s.read(ctx, func(r keyReader) error {
			var err error
			k, err = r.key(ctx, req.KeyID)
			return err
		})
	}
	var err error
	if usesKey(req.Action) && req.Caller.Account == s.account {
		err = s.withManagedKey(ctx, req.KeyID, lookup)
	} else {
		err = lookup()
	}
	if err != nil {
		return Decision{}, err
	}
	keyPolicy, err := s.policies.parse(k.policy)
	if err != nil {
		return Decision{}, fmt.Errorf("kms: stored policy of %s: %w", k.arn, err)
	}
	preq := policy.Request{Principal: req.Caller, Action: req.Action, Resource: k.arn, Context: requestContext(&req)}
	identity := policy.Set{Kind: policy.KindIdentity, Policies: req.IdentityPolicies}
	d := policy.Evaluate(preq, identity,
		policy.Set{Kind: policy.KindResource, Owner: k.account, Required: true, Policies: []*policy.Policy{keyPolicy}})
	dec := Decision{Allowed: d.Allowed(), KeyARN: k.arn, Policy: d}
	if dec.Allowed {
		return dec, nil
	}
	if d.Outcome != policy.ExplicitDeny {
		// Only now look for grants: most calls are allowed by policy. A
		// grant revoked in between is simply not found.
		names := principalNames(req.Caller)
		var grants []grantRow
		err := s.view(ctx, func(tx *sql.Tx) error {
			var err error
			grants, err = grantsFor(ctx, tx, k.id, append(names, accountNames(req.Caller.Account)...))
			return err
		})
		if err != nil {
			return Decision{}, err
		}
		for i := range grants {
			if grants[i].allows(op, &req, names, preq, identity) {
				dec.Allowed, dec.GrantID = true, grants[i].id
				return dec, nil
			}
		}
	}
	return dec, fmt.Errorf("kms: %s: %w", denialMessage(req.Caller, req.Action, k.arn, d), ErrAccessDenied)
}

// allows reports whether grant g lets the caller perform op in req.
func (g *grantRow) allows(op string, req *AuthRequest, names []string, preq policy.Request, identity policy.Set) bool {
	if !slices.Contains(g.operations, op) {
		return false
	}
	if !slices.Contains(names, g.grantee) {
		// A grant to an account reaches its other principals only through
		// their identity policies, as a key policy naming the account does.
		if !slices.Contains(accountNames(req.Caller.Account), g.grantee) || !policy.Evaluate(preq, identity).Allowed() {
			return false
		}
	}
	switch info, _ := grantOperationInfo(op); {
	case info.withContext:
		return g.constraints.allows(req.EncryptionContext)
	case op == GrantCreateGrant:
		return req.Grant != nil && g.constraints.atLeastAsStrict(req.Grant.Constraints) &&
			!slices.ContainsFunc(req.Grant.Operations, func(o string) bool { return !slices.Contains(g.operations, o) })
	}
	return true
}

// requestContext builds the condition keys of a KMS request with
// policy.AddKey, so that policy.Evaluate uses the map as it is rather than
// building a lower-cased copy of it. The values are shared with req, not
// copied: nothing writes to them.
func requestContext(req *AuthRequest) map[string][]string {
	// The single values share one array, each capped to its own element,
	// so that they cost one allocation between them.
	singles := make([]string, 0, 8+len(req.EncryptionContext))
	one := func(v string) []string {
		singles = append(singles, v)
		return singles[len(singles)-1 : len(singles) : len(singles)]
	}
	// The store's own keys, with the names they are looked up by. Each
	// replaces what req.Context gives under any spelling of its name: a
	// fact of the call is never widened by a caller-supplied value.
	type ownKey struct {
		name, lower string
		values      []string
	}
	var ownBuf [10]ownKey
	own := ownBuf[:0]
	set := func(name, lower string, v []string) {
		if len(v) > 0 && v[0] != "" {
			own = append(own, ownKey{name, lower, v})
		}
	}
	set("kms:CallerAccount", "kms:calleraccount", one(req.Caller.Account))
	set("kms:ViaService", "kms:viaservice", one(req.ViaService))
	set("kms:KeySpec", "kms:keyspec", one(KeySpecSymmetricDefault))
	set("kms:KeyUsage", "kms:keyusage", one(KeyUsageEncryptDecrypt))
	set("kms:KeyOrigin", "kms:keyorigin", one(OriginAWSKMS))
	var contextKeys []string
	if len(req.EncryptionContext) > 0 {
		contextKeys = sortedKeys(req.EncryptionContext)
		// Not through set: the key "" is a value too.
		own = append(own, ownKey{"kms:EncryptionContextKeys", "kms:encryptioncontextkeys", contextKeys})
	}
	if g := req.Grant; g != nil {
		set("kms:GrantOperations", "kms:grantoperations", g.Operations)
		set("kms:GranteePrincipal", "kms:granteeprincipal", one(g.GranteePrincipal))
		set("kms:RetiringPrincipal", "kms:retiringprincipal", one(g.RetiringPrincipal))
		switch {
		case g.Constraints == nil:
		case len(g.Constraints.EncryptionContextEquals) > 0:
			set("kms:GrantConstraintType", "kms:grantconstrainttype", one("EncryptionContextEquals"))
		case len(g.Constraints.EncryptionContextSubset) > 0:
			set("kms:GrantConstraintType", "kms:grantconstrainttype", one("EncryptionContextSubset"))
		}
	}

	c := make(map[string][]string, len(req.Context)+len(own)+len(contextKeys))
	for k, v := range req.Context {
		if !slices.ContainsFunc(own, func(o ownKey) bool { return strings.EqualFold(o.name, k) }) {
			policy.AddKey(c, k, v)
		}
	}
	for _, o := range own {
		policy.AddKey(c, o.lower, o.values)
	}
	for _, k := range contextKeys {
		policy.AddKey(c, "kms:encryptioncontext:"+k, one(req.EncryptionContext[k]))
	}
	return c
}

// denialMessage words a refusal as AWS does.
func denialMessage(caller policy.Principal, action, keyARN string, d policy.Decision) string {
	why := "because no resource-based policy allows the " + action + " action"
	switch {
	case d.Outcome == policy.ExplicitDeny:
		why = "with an explicit deny in an identity-based policy"
		for _, st := range d.Statements {
			if st.Kind == policy.KindResource {
				why = "with an explicit deny in a resource-based policy"
				break
			}
		}
	case strings.Contains(d.Reason, "identity polic"):
		why = "because no identity-based policy allows the " + action + " action"
	}
	return "User: " + principalName(caller) + " is not authorized to perform: " + action + " on resource: " + keyARN + " " + why
}

// accountNames are the names of an account as a grant principal: its root
// user's ARN and its bare id.
func accountNames(account string) []string {
	if account == "" {
		return nil
	}
	return []string{"arn:aws:iam::" + account + ":root", account}
}

// CiphertextKeyARN returns the ARN of the key a ciphertext blob names,
// without looking the key up or decrypting, so that a Decrypt or ReEncrypt
// without a KeyId can be authorized against the blob's key first. Errors:
// ErrInvalidCiphertext (not a blob of this service).
func (s *Store) CiphertextKeyARN(blob []byte) (string, error) {
	c, err := parseCiphertext(blob)
	if err != nil {
		return "", err
	}
	return s.keyARN(c.keyID), nil
}

// isAccountAction reports whether action names no key: IAM policies alone
// decide it.
func isAccountAction(action string) bool {
	switch strings.ToLower(action) {
	case "kms:createkey", "kms:listkeys", "kms:listaliases", "kms:generaterandom", "kms:listretirablegrants":
		return true
	}
	return false
}
