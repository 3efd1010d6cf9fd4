package waf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// A Problem is one defect found while loading a web ACL document.
type Problem struct {
	// Path locates the offending element in the document, for example
	// Rules[2].Statement.AndStatement.Statements[0].ByteMatchStatement.FieldToMatch.
	// It is empty for problems with the document as a whole.
	Path    string
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// LoadError lists every problem found in a web ACL document, so an operator
// can fix them all at once.
type LoadError struct {
	Problems []Problem
}

func (e *LoadError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "waf: invalid web ACL: " + strings.Join(parts, "; ")
}

// maxProblems bounds the error report for hostile documents.
const maxProblems = 50

// decoder walks a JSON document strictly: every object records which keys
// were read, and finish reports the rest as unknown fields, naming the path.
type decoder struct {
	problems []Problem
}

func (d *decoder) fail(path, format string, args ...any) {
	if len(d.problems) < maxProblems {
		d.problems = append(d.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
}

func (d *decoder) err() error {
	if len(d.problems) == 0 {
		return nil
	}
	return &LoadError{Problems: d.problems}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func indexPath(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

type object struct {
	d    *decoder
	path string
	m    map[string]json.RawMessage
	seen map[string]bool
}

// object decodes raw as a JSON object; it returns nil (after recording a
// problem) if raw is anything else.
func (d *decoder) object(path string, raw json.RawMessage) *object {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		d.fail(path, "expected an object")
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		d.fail(path, "expected an object: %v", err)
		return nil
	}
	return &object{d: d, path: path, m: m, seen: make(map[string]bool, len(m))}
}

func (o *object) child(key string) string { return joinPath(o.path, key) }

func (o *object) has(key string) bool {
	_, ok := o.m[key]
	return ok
}

func (o *object) raw(key string) (json.RawMessage, bool) {
	v, ok := o.m[key]
	o.seen[key] = true
	if ok && string(bytes.TrimSpace(v)) == "null" {
		return nil, false
	}
	return v, ok
}

// ignore marks keys as known without inspecting them (informational fields
// such as Description or Tags).
func (o *object) ignore(keys ...string) {
	for _, k := range keys {
		o.seen[k] = true
	}
}

func (o *object) str(key string, required bool) string {
	v, ok := o.raw(key)
	if !ok {
		if required {
			o.d.fail(o.child(key), "required field is missing")
		}
		return ""
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		o.d.fail(o.child(key), "expected a string")
		return ""
	}
	return s
}

func (o *object) integer(key string, required bool) (int64, bool) {
	v, ok := o.raw(key)
	if !ok {
		if required {
			o.d.fail(o.child(key), "required field is missing")
		}
		return 0, false
	}
	var n int64
	if err := json.Unmarshal(v, &n); err != nil {
		o.d.fail(o.child(key), "expected an integer")
		return 0, false
	}
	return n, true
}

func (o *object) boolean(key string) bool {
	v, ok := o.raw(key)
	if !ok {
		return false
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		o.d.fail(o.child(key), "expected a boolean")
	}
	return b
}

func (o *object) obj(key string, required bool) *object {
	v, ok := o.raw(key)
	if !ok {
		if required {
			o.d.fail(o.child(key), "required field is missing")
		}
		return nil
	}
	return o.d.object(o.child(key), v)
}

// array decodes key as a JSON array of raw elements.
func (o *object) array(key string, required bool) []json.RawMessage {
	v, ok := o.raw(key)
	if !ok {
		if required {
			o.d.fail(o.child(key), "required field is missing")
		}
		return nil
	}
	var a []json.RawMessage
	if err := json.Unmarshal(v, &a); err != nil {
		o.d.fail(o.child(key), "expected an array")
		return nil
	}
	return a
}

func (o *object) strings(key string, required bool) []string {
	elems := o.array(key, required)
	out := make([]string, 0, len(elems))
	for i, e := range elems {
		var s string
		if err := json.Unmarshal(e, &s); err != nil {
			o.d.fail(indexPath(o.child(key), i), "expected a string")
			continue
		}
		out = append(out, s)
	}
	return out
}

// enum reads a string that must be one of allowed; def is returned when the
// field is absent and not required.
func (o *object) enum(key string, required bool, def string, allowed ...string) string {
	s := o.str(key, required)
	if s == "" {
		if o.has(key) {
			o.d.fail(o.child(key), "must be one of %s", strings.Join(allowed, ", "))
		}
		return def
	}
	if !slices.Contains(allowed, s) {
		o.d.fail(o.child(key), "invalid value %q: must be one of %s", s, strings.Join(allowed, ", "))
		return def
	}
	return s
}

// only returns the single key of a one-of object such as a Statement, an
// Action or a FieldToMatch. Keys outside known are reported as unknown
// fields; if exactly one known key remains it is used, so one stray field
// yields one precise problem.
func (o *object) only(what string, known ...string) (string, bool) {
	var keys []string
	for k := range o.m {
		o.seen[k] = true
		if len(known) > 0 && !slices.Contains(known, k) && len(o.m) > 1 {
			o.d.fail(o.path, "unknown field %q", k)
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) != 1 {
		if len(keys) > 1 || len(o.m) == 0 {
			o.d.fail(o.path, "%s must have exactly one member, found %d (%s)", what, len(keys), strings.Join(keys, ", "))
		}
		return "", false
	}
	return keys[0], true
}

// finish reports every key that no accessor asked for.
func (o *object) finish() {
	if o == nil {
		return
	}
	var unknown []string
	for k := range o.m {
		if !o.seen[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		o.d.fail(o.path, "unknown field %q", k)
	}
}

// empty checks that a marker object such as "UriPath": {} has no members.
func (d *decoder) empty(path string, raw json.RawMessage) {
	if o := d.object(path, raw); o != nil {
		o.finish()
	}
}
