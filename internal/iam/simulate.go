package iam

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/coffer-project/coffer/internal/policy"
)

// Simulation is the input of SimulatePrincipalPolicy and
// SimulateCustomPolicy.
type Simulation struct {
	// PolicySourceARN is the user or group whose policies are simulated
	// (SimulatePrincipalPolicy); "" for SimulateCustomPolicy.
	PolicySourceARN string
	// Policies are extra identity policy documents (PolicyInputList).
	Policies []string
	Actions  []string
	// Resources default to "*".
	Resources []string
	// ResourcePolicy is a resource-based policy document, and
	// ResourceOwner the account owning the resource (default: the caller's).
	ResourcePolicy string
	ResourceOwner  string
	// CallerARN is the user the request is simulated for, when the policy
	// source is a group or there is none.
	CallerARN string
	// Context holds condition keys (ContextEntries).
	Context map[string][]string
}

// SimulationResult is one action on one resource.
type SimulationResult struct {
	Action, Resource string
	// Decision is allowed, explicitDeny or implicitDeny, as IAM says.
	Decision string
	Matched  []MatchedStatement
	// Missing are the condition keys the policies use that the context
	// did not supply (and the principal does not), as written.
	Missing []string
}

// MatchedStatement is a statement that decided a SimulationResult.
type MatchedStatement struct {
	SourcePolicyID   string
	SourcePolicyType string // user, group, user-managed, aws-managed, resource, IAM Policy
	Sid              string
	Index            int
}

// Simulate evaluates actions on resources against a principal's policies
// (PolicySourceARN) plus the given ones, with AWS's evaluation logic (the
// same policy.Evaluate every request goes through).
func (s *Service) Simulate(ctx context.Context, account string, in Simulation) ([]SimulationResult, error) {
	if len(in.Actions) == 0 {
		return nil, errorf(CodeValidation, "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null")
	}
	var (
		srcs      []policySource
		principal = policy.Principal{Type: policy.PrincipalUser, Account: account}
	)
	if in.PolicySourceARN != "" {
		err := s.read(ctx, account, func(st *state) error {
			var err error
			srcs, principal, err = s.sourcePolicies(st, account, in.PolicySourceARN)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	if in.CallerARN != "" {
		principal.ARN = in.CallerARN
		if i := strings.LastIndexByte(in.CallerARN, '/'); i >= 0 && strings.Contains(in.CallerARN, ":user/") {
			principal.Username = in.CallerARN[i+1:]
		}
	}
	for i, doc := range in.Policies {
		p, _, err := parseIdentity(doc, 1<<20)
		if err != nil {
			return nil, err
		}
		id := "PolicyInputList." + strconv.Itoa(i+1)
		p.Name = id
		srcs = append(srcs, policySource{policy: p, id: id, typ: "IAM Policy"})
	}
	identity := policy.Set{Kind: policy.KindIdentity}
	types := map[string]string{}
	for _, src := range srcs {
		identity.Policies = append(identity.Policies, src.policy)
		types[src.id] = src.typ
	}
	sets := []policy.Set{identity}
	if in.ResourcePolicy != "" {
		rp, err := policy.Parse([]byte(in.ResourcePolicy), policy.KindResource)
		if err != nil {
			var pe *policy.ParseError
			if errors.As(err, &pe) {
				return nil, errorf(CodeMalformedPolicy, "%s", pe.Msg)
			}
			return nil, errorf(CodeMalformedPolicy, "Syntax errors in policy.")
		}
		rp.Name = "ResourcePolicy"
		types[rp.Name] = "resource"
		owner := in.ResourceOwner
		if owner == "" {
			owner = account
		}
		if a := accountOfARN(owner); a != "" {
			owner = a
		}
		sets = append(sets, policy.Set{Kind: policy.KindResource, Policies: []*policy.Policy{rp}, Owner: owner})
	}
	resources := in.Resources
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	missing := missingKeys(sets, in.Context)
	var out []SimulationResult
	for _, action := range in.Actions {
		for _, res := range resources {
			d := policy.Evaluate(policy.Request{Principal: principal, Action: action, Resource: res, Context: in.Context}, sets...)
			r := SimulationResult{Action: action, Resource: res, Decision: decisionName(d.Outcome), Missing: missing}
			for _, st := range d.Statements {
				r.Matched = append(r.Matched, MatchedStatement{SourcePolicyID: st.Policy, SourcePolicyType: types[st.Policy], Sid: st.Sid, Index: st.Index})
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// principalKeys are the condition keys the evaluator fills in from the
// principal, never missing.
var principalKeys = map[string]bool{"aws:username": true, "aws:userid": true, "aws:principalaccount": true,
	"aws:principalarn": true, "aws:principaltype": true}

// missingKeys lists, once each and in order of appearance, the condition
// keys the policies of sets name that ctx does not hold.
func missingKeys(sets []policy.Set, ctx map[string][]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, set := range sets {
		for _, p := range set.Policies {
			for _, st := range p.Statements() {
				for _, k := range st.ConditionKeys {
					lk := strings.ToLower(k)
					if seen[lk] || principalKeys[lk] || len(ctx[lk]) > 0 {
						continue
					}
					seen[lk] = true
					out = append(out, k)
				}
			}
		}
	}
	return out
}

func decisionName(o policy.Outcome) string {
	switch o {
	case policy.Allowed:
		return "allowed"
	case policy.ExplicitDeny:
		return "explicitDeny"
	}
	return "implicitDeny"
}

// sourcePolicies are the policies of the user or group an ARN names, and
// the principal simulated.
func (s *Service) sourcePolicies(st *state, account, arn string) ([]policySource, policy.Principal, error) {
	p := policy.Principal{Type: policy.PrincipalUser, Account: account, ARN: arn}
	prefix := "arn:" + s.partition() + ":iam::" + account + ":"
	rest, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		return nil, p, errorf(CodeInvalidInput, "Invalid ARN: %s", arn)
	}
	name := rest[strings.LastIndexByte(rest, '/')+1:]
	switch {
	case strings.HasPrefix(rest, "user/"):
		u := st.user(name)
		if u == nil {
			return nil, p, noSuchUser(name)
		}
		p.Username, p.UserID = u.Name, u.ID
		srcs, err := s.policySources(st, account, u)
		return srcs, p, err
	case strings.HasPrefix(rest, "group/"):
		g := st.group(name)
		if g == nil {
			return nil, p, noSuchGroup(name)
		}
		// A group's policies, as they apply to a member.
		probe := &User{Name: "\x00group-probe"}
		tmp := &state{Groups: []*Group{{Name: g.Name, Members: []string{probe.Name}, Inline: g.Inline, Attached: g.Attached}}, Policies: st.Policies}
		srcs, err := s.policySources(tmp, account, probe)
		p.ARN = ""
		return srcs, p, err
	}
	return nil, p, errorf(CodeInvalidInput, "Invalid ARN: %s: only users and groups can be simulated", arn)
}

// accountOfARN is the account ID in an IAM ARN, or the argument itself if
// it is an account ID; "" otherwise.
func accountOfARN(s string) string {
	parts := strings.Split(s, ":")
	if len(parts) >= 5 && parts[0] == "arn" {
		return parts[4]
	}
	if len(s) == 12 && strings.Trim(s, "0123456789") == "" {
		return s
	}
	return ""
}
