package policy

import "strconv"

// Request is what a decision is about.
type Request struct {
	Principal Principal
	// Action is the IAM action, "s3:GetObject"; matched case-insensitively.
	Action string
	// Resource is the ARN acted on, "arn:aws:s3:::bucket/key"; matched
	// case-sensitively.
	Resource string
	// Context holds the condition keys (aws:SourceIp, s3:prefix, …); key
	// lookup is case-insensitive, values are case-sensitive. A key with no
	// values is absent. aws:username, aws:userid, aws:PrincipalAccount,
	// aws:PrincipalArn and aws:PrincipalType are filled in from Principal
	// unless present. Evaluate does not modify the map or its values; it
	// uses a map whose keys are all lower-case (see [AddKey]) as it is, and
	// merges the keys of any other that differ only in case into a copy.
	Context map[string][]string
}

// AddKey adds a condition key's values to c under the name Evaluate looks
// key up by (lower-cased rune by rune, as strings.ToLower does, except that
// invalid UTF-8 bytes stay as they are), after any values already there.
// Keys without values are left out. values is kept, not copied; a merge
// appends to a copy, so that no slice AddKey is given is ever written to.
func AddKey(c map[string][]string, key string, values []string) {
	if len(values) == 0 {
		return
	}
	key = toLower(key)
	if have := c[key]; len(have) > 0 {
		values = append(have[:len(have):len(have)], values...)
	}
	c[key] = values
}

// Set is a group of policies of one kind, evaluated together.
type Set struct {
	Kind     Kind
	Policies []*Policy
	// Owner is the account owning the resource of a KindResource set. Empty
	// means the caller's own account. When it differs from the caller's
	// account, the caller's identity policies must allow too.
	Owner string
	// Required marks a KindResource set that must itself grant access, as a
	// KMS key policy must: identity policies count only when the set
	// delegates to the caller's account (names its root). Without Required
	// (a bucket policy) same-account identity policies are enough.
	Required bool
}

// Outcome is the result of an evaluation.
type Outcome int

const (
	ImplicitDeny Outcome = iota // nothing allowed the request
	Allowed                     // an Allow applied and no Deny did
	ExplicitDeny                // a Deny statement applied
)

func (o Outcome) String() string {
	switch o {
	case Allowed:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "ImplicitDeny"
}

// StatementRef identifies a statement that decided an evaluation.
type StatementRef struct {
	Kind   Kind
	Policy string // the policy's Name, or its Id
	Sid    string
	Index  int // 0-based position in the policy's Statement list
	Effect Effect
}

// Decision is the answer to a request, with the statements that decided it:
// the applicable Deny statements for ExplicitDeny, the Allow statements that
// granted for Allowed, none for ImplicitDeny (Reason says what was missing).
type Decision struct {
	Outcome    Outcome
	Statements []StatementRef
	Reason     string
}

// Allowed reports whether the request may proceed.
func (d Decision) Allowed() bool { return d.Outcome == Allowed }

// Decider names, for audit records, the statement that refused a request:
// the first applicable Deny's Sid (or "POLICY#INDEX" when it has none),
// or "implicit" when nothing allowed it.
func (d Decision) Decider() string {
	if d.Outcome != ExplicitDeny || len(d.Statements) == 0 {
		return "implicit"
	}
	st := d.Statements[0]
	if st.Sid != "" {
		return st.Sid
	}
	return st.Policy + "#" + strconv.Itoa(st.Index)
}

// Evaluate decides req against the policy sets, following AWS's evaluation
// logic:
//
//  1. A Deny statement that applies, in any set, decides: ExplicitDeny.
//  2. Each KindBoundary set must contain an applicable Allow.
//  3. The identity side allows if some KindIdentity policy allows, or if the
//     caller is an account's root user (root holds every permission of its
//     account unless denied).
//  4. A KindResource set grants if an Allow names the caller directly ("*",
//     the user, role or session ARN, the service) or names the caller's
//     account while the identity side allows. Naming the account is a
//     delegation: it grants the root user directly, anyone else only through
//     identity policies.
//  5. Without resource sets, the identity side decides. A Required resource
//     set must grant (and, across accounts, the identity side must allow).
//     Otherwise a same-account resource set is a union with the identity side,
//     a cross-account one needs both. Anonymous and service callers have no
//     identity side: only resource policies grant them anything.
func Evaluate(req Request, sets ...Set) Decision {
	var ctx evalContext
	ctx.init(req)
	p := req.Principal

	// grant is what the Allows of resource set sets[set] give. It names the
	// set by index, not by a copy, so that the caller's sets need not move
	// to the heap with resources.
	type grant struct {
		set       int
		direct    []StatementRef
		delegated []StatementRef
	}
	// The lists start in arrays on the stack, large enough for most
	// requests, and the Decision gets its own copy of the statements it
	// reports. (A grant's lists are on the heap: a stack array they pointed
	// to would escape with resources if that outgrew its array.)
	var denyBuf, identityBuf, refBuf [4]StatementRef
	var resourceBuf [2]grant
	denies, identityAllows, resources := denyBuf[:0], identityBuf[:0], resourceBuf[:0]
	boundaryDenied := false
	for n, set := range sets {
		g := grant{set: n}
		for _, pol := range set.Policies {
			if pol == nil {
				continue
			}
			// A resource policy in an identity or boundary set (or the reverse)
			// is a caller's mistake: its Allows must not grant, while its
			// Denies still deny.
			misplaced := (pol.kind == KindResource) != (set.Kind == KindResource)
			for i := range pol.statements {
				st := &pol.statements[i]
				if misplaced && st.effect == Allow {
					continue
				}
				applies, delegated := st.applies(set.Kind, &ctx)
				if !applies {
					continue
				}
				ref := StatementRef{Kind: set.Kind, Policy: pol.label(), Sid: st.sid, Index: i, Effect: st.effect}
				switch {
				case st.effect == Deny:
					denies = append(denies, ref)
				case set.Kind == KindIdentity:
					if p.Type != PrincipalAnonymous && p.Type != PrincipalService {
						identityAllows = append(identityAllows, ref)
					}
				case set.Kind == KindResource && delegated:
					g.delegated = append(g.delegated, ref)
				default:
					g.direct = append(g.direct, ref)
				}
			}
		}
		switch set.Kind {
		case KindResource:
			resources = append(resources, g)
		case KindBoundary:
			if len(g.direct) == 0 {
				boundaryDenied = true
			}
		}
	}
	if len(denies) > 0 {
		return Decision{Outcome: ExplicitDeny, Statements: statements(denies), Reason: "explicit deny"}
	}
	if boundaryDenied {
		return Decision{Reason: "no permissions boundary allows the request"}
	}
	identityAllow := len(identityAllows) > 0 || p.Type == PrincipalRoot
	grants := func(g grant) bool {
		return len(g.direct) > 0 || identityAllow && len(g.delegated) > 0
	}
	appendGranted := func(refs []StatementRef, g grant) []StatementRef {
		refs = append(refs, g.direct...)
		if identityAllow {
			refs = append(refs, g.delegated...)
		}
		return refs
	}
	sameAccount := func(s Set) bool {
		return s.Owner == "" || s.Owner == p.Account || p.Type == PrincipalAnonymous || p.Type == PrincipalService
	}
	allowed := func(refs []StatementRef) Decision {
		d := Decision{Outcome: Allowed, Statements: statements(refs)}
		if len(identityAllows) == 0 && p.Type == PrincipalRoot {
			d.Reason = "the account's root user holds every permission of its account"
		}
		return d
	}
	if len(resources) == 0 {
		if identityAllow {
			return allowed(identityAllows)
		}
		return Decision{Reason: "no identity policy allows the request"}
	}

	refs := refBuf[:0]
	if identityAllow {
		refs = append(refs, identityAllows...)
	}
	required, optional, optionalOK := false, false, false
	reason := "no identity or resource policy allows the request"
	for _, g := range resources {
		ok := grants(g)
		same := sameAccount(sets[g.set])
		named := len(g.direct)+len(g.delegated) > 0
		if sets[g.set].Required {
			required = true
			switch {
			case !ok && len(g.delegated) > 0:
				return Decision{Reason: "the resource policy delegates to the caller's account but no identity policy allows the request"}
			case !ok:
				return Decision{Reason: "the resource policy does not allow the request"}
			case !same && !identityAllow:
				return Decision{Reason: "cross-account request: the caller's identity policies do not allow it"}
			}
			refs = appendGranted(refs, g)
			continue
		}
		optional = true
		switch {
		case same && (ok || identityAllow), !same && ok && identityAllow:
			optionalOK = true
			refs = appendGranted(refs, g)
		case !same && named && !identityAllow:
			reason = "cross-account request: the caller's identity policies do not allow it"
		case !same && identityAllow:
			reason = "cross-account request: the resource policy does not allow it"
		case named:
			reason = "the resource policy delegates to the caller's account but no identity policy allows the request"
		}
	}
	if optional && !optionalOK {
		return Decision{Reason: reason}
	}
	if !required && !optional {
		return Decision{Reason: "no policy allows the request"}
	}
	return allowed(refs)
}

// statements returns a Decision's own copy of refs, nil when there are
// none: Evaluate builds its lists in arrays on its stack.
func statements(refs []StatementRef) []StatementRef {
	if len(refs) == 0 {
		return nil
	}
	return append([]StatementRef(nil), refs...)
}

// applies reports whether a statement matches the request, ignoring its
// effect. delegated is set when a resource statement names the caller only
// through its account.
func (st *statement) applies(kind Kind, ctx *evalContext) (applies, delegated bool) {
	if st.matchActions(ctx.action) == st.notAction {
		return false, false
	}
	if kind == KindResource {
		switch {
		case st.principal != nil:
			var ok bool
			if ok, delegated = st.principal.matchPrincipal(ctx.identities()); !ok {
				return false, false
			}
		case st.notPrincipal != nil:
			if !st.notPrincipal.matchNotPrincipal(ctx.identities()) {
				return false, false
			}
		default:
			return false, false
		}
	}
	matched, resolved := st.matchResources(ctx.resource, ctx)
	if !resolved && st.notRes {
		// AWS: a variable that cannot be resolved may invalidate the whole
		// statement; an unresolvable NotResource must not widen it.
		return false, false
	}
	if matched == st.notRes {
		return false, false
	}
	for i := range st.conditions {
		result, ok := st.conditions[i].eval(ctx)
		if !ok {
			// Fail closed: an operator we cannot evaluate keeps an Allow
			// from granting and lets a Deny deny.
			return st.effect == Deny, delegated
		}
		if !result {
			return false, false
		}
	}
	return true, delegated
}

func (st *statement) matchActions(action chars) bool {
	for _, p := range st.actions {
		if p.matchChars(action, matchPlain) {
			return true
		}
	}
	return false
}

// matchResources reports whether any Resource pattern matches and whether
// every pattern's variables resolved.
func (st *statement) matchResources(resource chars, ctx *evalContext) (matched, resolved bool) {
	resolved = true
	for _, t := range st.resources {
		p, ok := t.resolve(ctx)
		if !ok {
			resolved = false
			continue
		}
		if len(p) == 1 && p[0].kind == pStar || p.matchChars(resource, matchARNSegments) {
			matched = true
		}
	}
	return matched, resolved
}

// evalContext is a request prepared for evaluation: the action
// lower-cased, the condition keys indexed by their lower-cased names (the
// request's own map when its keys already are) and the principal's names
// listed once. Evaluate keeps it on its stack.
type evalContext struct {
	req      Request
	keys     map[string][]string
	action   chars
	resource chars
	// ids[:nids] are the principal's names; principalKeys backs the
	// principal's condition keys (aws:username, …). Both are arrays, not
	// slices of the context's own memory, so that it can stay on the
	// stack, and neither allocates.
	ids           [5]identity
	nids          int
	principalKeys [5][1]string
}

func (ctx *evalContext) init(req Request) {
	ctx.req, ctx.keys = req, req.Context
	ctx.action, ctx.resource = charsOf(toLower(req.Action)), charsOf(req.Resource)
	ctx.ids, ctx.nids = req.Principal.identities()
	for k := range req.Context {
		if lowerPrefix(k) != len(k) {
			ctx.keys = lowerKeys(req.Context)
			break
		}
	}
}

// identities are the names the principal is known by.
func (ctx *evalContext) identities() []identity { return ctx.ids[:ctx.nids] }

// lowerKeys merges the keys that differ only in case, without the empty
// ones.
func lowerKeys(c map[string][]string) map[string][]string {
	keys := make(map[string][]string, len(c))
	for k, v := range c {
		AddKey(keys, k, v)
	}
	return keys
}

// lookup returns a condition key's values (key lower-cased); present is
// false for absent keys. The principal's keys come from Principal unless
// the request sets them.
func (ctx *evalContext) lookup(key string) (values []string, present bool) {
	if v := ctx.keys[key]; len(v) > 0 {
		return v, true
	}
	p := ctx.req.Principal
	var i int
	var v string
	switch key {
	case "aws:username":
		if p.Type == PrincipalUser {
			i, v = 0, p.Username
		}
	case "aws:userid":
		i, v = 1, p.UserID
	case "aws:principalaccount":
		i, v = 2, p.Account
	case "aws:principalarn":
		i, v = 3, p.ARN
	case "aws:principaltype":
		i, v = 4, p.Type.String()
	}
	if v == "" {
		return nil, false
	}
	ctx.principalKeys[i][0] = v
	return ctx.principalKeys[i][:], true
}

// variable returns the value a policy variable stands for: the key must have
// exactly one value (multi-valued keys cannot be variables).
func (ctx *evalContext) variable(key string) (string, bool) {
	if ctx == nil {
		return "", false
	}
	v, _ := ctx.lookup(key)
	if len(v) != 1 {
		return "", false
	}
	return v[0], true
}
