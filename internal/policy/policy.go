package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Policy language versions.
const (
	Version2012 = "2012-10-17" // current; policy variables are substituted
	Version2008 = "2008-10-17" // legacy; "${…}" is literal text
)

// Kind is the role a policy plays in an evaluation.
type Kind int

const (
	// KindIdentity policies are attached to the caller (user, group or role,
	// inline or managed). They must not name a Principal.
	KindIdentity Kind = iota + 1
	// KindResource policies are attached to the resource (a bucket policy, a
	// KMS key policy). They must name a Principal or NotPrincipal.
	KindResource
	// KindBoundary policies only limit what identity policies grant
	// (permissions boundaries, SCPs, session policies); they grant nothing.
	KindBoundary
)

func (k Kind) String() string {
	switch k {
	case KindIdentity:
		return "identity"
	case KindResource:
		return "resource"
	case KindBoundary:
		return "boundary"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Effect is a statement's Effect.
type Effect string

const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Policy is a parsed, validated policy document. Create it with [Parse].
type Policy struct {
	// Version is Version2012 or Version2008 (the default when absent).
	Version string
	// ID is the document's optional Id element.
	ID string
	// Name is the caller's label for the policy (for example
	// "user/alice/inline/home"); decisions report it, or ID when it is empty.
	Name string

	kind       Kind
	statements []statement
}

// Kind reports the kind the policy was parsed as.
func (p *Policy) Kind() Kind { return p.kind }

func (p *Policy) label() string {
	if p.Name != "" {
		return p.Name
	}
	return p.ID
}

type statement struct {
	sid    string
	effect Effect

	principal    *principalSpec // Principal, or nil
	notPrincipal *principalSpec // NotPrincipal, or nil

	actions    []pattern // lower-cased
	notAction  bool
	resources  []template
	resText    []string // Resource or NotResource as written
	notRes     bool
	conditions []clause
}

// StatementInfo is a read-only summary of a statement, for callers that
// validate policies against their resources (a bucket policy's Resource must
// lie inside the bucket).
type StatementInfo struct {
	Sid         string
	Effect      Effect
	Actions     []string // lower-cased; the NotAction list if NotAction
	NotAction   bool
	Resources   []string // the NotResource list if NotResource
	NotResource bool
	Conditions  []string // "Operator key" pairs, the key lower-cased
	// ConditionKeys are the condition keys as written, in the order of
	// Conditions.
	ConditionKeys []string
	// Everyone is true when the statement names every principal: Principal
	// "*" or {"AWS": "*"}, or a NotPrincipal (everyone but those listed).
	Everyone bool
}

// Statements summarises p's statements in document order.
func (p *Policy) Statements() []StatementInfo {
	out := make([]StatementInfo, len(p.statements))
	for i, st := range p.statements {
		info := StatementInfo{Sid: st.sid, Effect: st.effect, NotAction: st.notAction, NotResource: st.notRes,
			Everyone: st.principal != nil && st.principal.all || st.notPrincipal != nil}
		for _, a := range st.actions {
			info.Actions = append(info.Actions, a.String())
		}
		info.Resources = append(info.Resources, st.resText...)
		for _, c := range st.conditions {
			info.Conditions = append(info.Conditions, c.operator+" "+c.key)
			info.ConditionKeys = append(info.ConditionKeys, c.keyText)
		}
		out[i] = info
	}
	return out
}

// ParseError describes why a policy document was rejected, in the words of
// AWS's MalformedPolicy messages.
type ParseError struct {
	// Statement is the 0-based statement index, or -1 for the document.
	Statement int
	Sid       string
	Msg       string
}

func (e *ParseError) Error() string {
	switch {
	case e.Statement < 0:
		return "policy: " + e.Msg
	case e.Sid != "":
		return fmt.Sprintf("policy: statement %d (Sid %q): %s", e.Statement, e.Sid, e.Msg)
	}
	return fmt.Sprintf("policy: statement %d: %s", e.Statement, e.Msg)
}

func docError(format string, args ...any) error {
	return &ParseError{Statement: -1, Msg: fmt.Sprintf(format, args...)}
}

// Parse decodes and validates a policy document of the given kind. Errors
// are *ParseError. Decoding is strict: unknown or misspelt elements, wrong
// JSON types, conflicting elements (Action with NotAction, …), unknown
// condition operators, malformed actions, resources, principals, variables
// and values all reject the document.
func Parse(data []byte, kind Kind) (*Policy, error) {
	return parse(data, kind, false)
}

// ParseTrust parses a role trust policy (AssumeRolePolicyDocument): a
// KindResource policy whose statements name no Resource (IAM refuses one):
// the resource is the role itself.
func ParseTrust(data []byte) (*Policy, error) {
	return parse(data, KindResource, true)
}

func parse(data []byte, kind Kind, trust bool) (*Policy, error) {
	if kind != KindIdentity && kind != KindResource && kind != KindBoundary {
		return nil, docError("unknown policy kind %d", int(kind))
	}
	top, err := decodeObject(data)
	if err != nil {
		return nil, docError("syntax errors in policy: %v", err)
	}
	p := &Policy{Version: Version2008, kind: kind}
	for name := range top {
		switch name {
		case "Version", "Id", "Statement":
		default:
			return nil, docError("unknown field %s", name)
		}
	}
	if raw, ok := top["Version"]; ok {
		if err := json.Unmarshal(raw, &p.Version); err != nil || (p.Version != Version2012 && p.Version != Version2008) {
			return nil, docError("the policy must contain a valid version string")
		}
	}
	if raw, ok := top["Id"]; ok {
		if err := json.Unmarshal(raw, &p.ID); err != nil {
			return nil, docError("Id must be a string")
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, docError("missing required field Statement")
	}
	var stmts []json.RawMessage
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && trimmed[0] == '{' {
		stmts = []json.RawMessage{raw}
	} else if err := json.Unmarshal(raw, &stmts); err != nil {
		return nil, docError("Statement must be an object or a list of objects")
	}
	if len(stmts) == 0 {
		return nil, docError("Statement must not be empty")
	}
	sids := map[string]bool{}
	for i, rs := range stmts {
		st, err := parseStatement(rs, kind, p.Version == Version2012, trust)
		if err != nil {
			err.Statement = i
			return nil, err
		}
		if st.sid != "" {
			if sids[st.sid] {
				return nil, &ParseError{Statement: i, Sid: st.sid, Msg: "statement IDs (SID) in a single policy must be unique"}
			}
			sids[st.sid] = true
		}
		p.statements = append(p.statements, st)
	}
	return p, nil
}

// decodeObject decodes one JSON object into its members, rejecting
// duplicate member names and trailing data.
func decodeObject(data []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("expected a JSON object")
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("duplicate field %s", name)
		}
		if string(v) == "null" {
			return nil, fmt.Errorf("field %s must not be null", name)
		}
		out[name] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the policy")
	}
	return out, nil
}

func parseStatement(raw json.RawMessage, kind Kind, vars, trust bool) (statement, *ParseError) {
	var st statement
	fail := func(format string, args ...any) (statement, *ParseError) {
		return statement{}, &ParseError{Sid: st.sid, Msg: fmt.Sprintf(format, args...)}
	}
	el, err := decodeObject(raw)
	if err != nil {
		return fail("statement must be a JSON object: %v", err)
	}
	for name := range el {
		switch name {
		case "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition":
		default:
			return fail("unknown field %s", name)
		}
	}
	if raw, ok := el["Sid"]; ok {
		if err := json.Unmarshal(raw, &st.sid); err != nil {
			return fail("Sid must be a string")
		}
	}
	var effect string
	if raw, ok := el["Effect"]; !ok {
		return fail("missing required field Effect")
	} else if err := json.Unmarshal(raw, &effect); err != nil || (effect != "Allow" && effect != "Deny") {
		return fail("invalid effect: Effect must be \"Allow\" or \"Deny\"")
	}
	st.effect = Effect(effect)

	rawP, hasP := el["Principal"]
	rawNP, hasNP := el["NotPrincipal"]
	switch {
	case hasP && hasNP:
		return fail("a statement cannot have both Principal and NotPrincipal")
	case (hasP || hasNP) && kind != KindResource:
		return fail("has prohibited field Principal: %s policies must not name a principal", kind)
	case !hasP && !hasNP && kind == KindResource:
		return fail("missing required field Principal")
	case hasP:
		ps, msg := parsePrincipal(rawP)
		if msg != "" {
			return fail("%s", msg)
		}
		st.principal = ps
	case hasNP:
		ps, msg := parsePrincipal(rawNP)
		if msg != "" {
			return fail("%s", msg)
		}
		st.notPrincipal = ps
	}

	actions, notAction, msg := pickElement(el, "Action", "NotAction")
	if msg != "" {
		return fail("%s", msg)
	}
	st.notAction = notAction
	for _, a := range actions {
		if !validAction(a) {
			return fail("policy has invalid action: %q", a)
		}
		t, _ := parseTemplate(strings.ToLower(a), false)
		p, _ := t.resolve(nil)
		st.actions = append(st.actions, p)
	}

	resources, notRes, msg := pickElement(el, "Resource", "NotResource")
	_, hasRes := el["Resource"]
	_, hasNotRes := el["NotResource"]
	switch {
	case trust && (hasRes || hasNotRes):
		return fail("Has prohibited field Resource")
	case trust:
		resources, msg = []string{"*"}, ""
	}
	if msg != "" {
		return fail("%s", msg)
	}
	st.notRes = notRes
	for _, r := range resources {
		t, err := parseTemplate(r, vars)
		if err != nil {
			return fail("policy has invalid resource: %q: %v", r, err)
		}
		if !validResource(r) {
			return fail("policy has invalid resource: %q", r)
		}
		st.resources = append(st.resources, t)
		st.resText = append(st.resText, r)
	}

	if raw, ok := el["Condition"]; ok {
		conds, msg := parseConditions(raw, vars)
		if msg != "" {
			return fail("%s", msg)
		}
		st.conditions = conds
	}
	return st, nil
}

// pickElement reads exactly one of an element and its Not form, each a
// string or a non-empty list of strings.
func pickElement(el map[string]json.RawMessage, name, notName string) ([]string, bool, string) {
	raw, has := el[name]
	rawNot, hasNot := el[notName]
	switch {
	case has && hasNot:
		return nil, false, fmt.Sprintf("a statement cannot have both %s and %s", name, notName)
	case !has && !hasNot:
		return nil, false, fmt.Sprintf("missing required field %s", name)
	case hasNot:
		name, raw = notName, rawNot
	}
	vals, ok := stringOrList(raw)
	if !ok || len(vals) == 0 {
		return nil, false, fmt.Sprintf("%s must be a string or a non-empty list of strings", name)
	}
	return vals, hasNot, ""
}

func stringOrList(raw json.RawMessage) ([]string, bool) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, true
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil || many == nil {
		return nil, false
	}
	return many, true
}

// validResource accepts "*" and ARNs "arn:PARTITION:SERVICE:…" whose
// service is spelt out (AWS: "Resource vendor must be fully qualified").
func validResource(r string) bool {
	if r == "*" {
		return true
	}
	parts := strings.SplitN(r, ":", 4)
	return len(parts) >= 3 && parts[0] == "arn" && parts[1] != "" && parts[2] != "" &&
		!strings.ContainsAny(parts[2], "*?$")
}

// validAction accepts "*" and "service:ActionPattern".
func validAction(a string) bool {
	if a == "*" {
		return true
	}
	svc, name, ok := strings.Cut(a, ":")
	if !ok || svc == "" || name == "" {
		return false
	}
	for _, r := range svc {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '*' || r == '?') {
			return false
		}
	}
	return true
}

func parsePrincipal(raw json.RawMessage) (*principalSpec, string) {
	const invalid = "invalid principal in policy"
	var star string
	if err := json.Unmarshal(raw, &star); err == nil {
		if star != "*" {
			return nil, invalid + `: a string Principal must be "*"`
		}
		return &principalSpec{all: true}, ""
	}
	obj, err := decodeObject(raw)
	if err != nil || len(obj) == 0 {
		return nil, invalid
	}
	ps := &principalSpec{entries: map[string][]string{}}
	for kind, rv := range obj {
		vals, ok := stringOrList(rv)
		if !ok || len(vals) == 0 {
			return nil, fmt.Sprintf("%s: %s must be a string or a non-empty list of strings", invalid, kind)
		}
		for _, v := range vals {
			switch kind {
			case "AWS":
				if v == "*" {
					ps.all = true
					continue
				}
				n, ok := normaliseAWSPrincipal(v)
				if !ok {
					return nil, fmt.Sprintf("%s: %q", invalid, v)
				}
				v = n
			case "CanonicalUser", "Service", "Federated":
				if v == "" || strings.ContainsAny(v, "*?") {
					return nil, fmt.Sprintf("%s: %q", invalid, v)
				}
			default:
				return nil, fmt.Sprintf("%s: unknown principal type %s", invalid, kind)
			}
			ps.entries[kind] = append(ps.entries[kind], v)
		}
	}
	return ps, ""
}

func parseConditions(raw json.RawMessage, vars bool) ([]clause, string) {
	ops, err := decodeObject(raw)
	if err != nil {
		return nil, "Condition must be an object of operators"
	}
	names := make([]string, 0, len(ops))
	for name := range ops {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []clause
	for _, name := range names {
		base, ok := parseOperator(name)
		if !ok {
			return nil, "invalid Condition type : " + name
		}
		keys, err := decodeObject(ops[name])
		if err != nil {
			return nil, fmt.Sprintf("condition %s must map keys to values: %v", name, err)
		}
		if len(keys) == 0 {
			return nil, fmt.Sprintf("condition %s must map keys to values", name)
		}
		keyNames := make([]string, 0, len(keys))
		for k := range keys {
			keyNames = append(keyNames, k)
		}
		sort.Strings(keyNames)
		seen := map[string]bool{}
		for _, k := range keyNames {
			if k == "" || strings.TrimSpace(k) != k {
				return nil, fmt.Sprintf("policy has an invalid condition key: %q", k)
			}
			lk := strings.ToLower(k)
			if seen[lk] {
				return nil, fmt.Sprintf("condition %s repeats key %s", name, k)
			}
			seen[lk] = true
			vals, ok := conditionValues(keys[k])
			if !ok {
				return nil, fmt.Sprintf("condition %s %s: values must be a string, number, boolean or a non-empty list of them", name, k)
			}
			c := base
			c.key, c.keyText = lk, k
			for _, v := range vals {
				t, err := parseTemplate(v, vars)
				if err != nil {
					return nil, fmt.Sprintf("condition %s %s: %v in %q", name, k, err, v)
				}
				if !t.hasVariables() && !validateValue(c.op, t.literal()) {
					return nil, fmt.Sprintf("condition %s %s: invalid value %q", name, k, v)
				}
				c.values = append(c.values, t)
			}
			c.compile()
			out = append(out, c)
		}
	}
	return out, ""
}

// conditionValues accepts a scalar (string, number, boolean) or a non-empty
// list of scalars; numbers keep their JSON spelling.
func conditionValues(raw json.RawMessage) ([]string, bool) {
	scalar := func(r json.RawMessage) (string, bool) {
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return "", false
		}
		switch v := v.(type) {
		case string:
			return v, true
		case json.Number:
			return v.String(), true
		case bool:
			if v {
				return "true", true
			}
			return "false", true
		}
		return "", false
	}
	if s, ok := scalar(raw); ok {
		return []string{s}, true
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 {
		return nil, false
	}
	out := make([]string, len(list))
	for i, r := range list {
		s, ok := scalar(r)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}
