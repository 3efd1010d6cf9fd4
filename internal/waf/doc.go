// Package waf evaluates AWS WAFv2 web ACLs against HTTP requests.
//
// A web ACL is loaded from the JSON document AWS's CreateWebACL takes
// (Name, DefaultAction, Rules, CustomResponseBodies, AssociationConfig), with
// the IP sets and regex pattern sets it refers to by ARN supplied by name.
// Loading is strict: unknown statement types, unknown fields and
// unsupported features (Captcha and Challenge actions, managed rule groups)
// are rejected with the path of the offending element, so a document never
// silently protects less than its author intended.
//
// Evaluation follows AWS's model: rules run in Priority order; Count rules
// add their labels and go on; the first matching Allow or Block decides;
// otherwise the DefaultAction applies. Statements inspect request
// components (FieldToMatch) after text transformations; multi-valued
// components match when any value matches; components larger than AWS
// forwards for inspection (16 KB of body by default, 8 KB or 200 headers or
// cookies) follow the rule's OversizeHandling.
//
// The engine is independent of net/http: it inspects a neutral Request and
// returns a Decision. Handler adapts it as middleware.
//
// Threat model: request content is attacker-controlled. Every per-request
// cost is bounded: inspection stops at the configured limits, regular
// expressions are RE2 (linear time) with bounded pattern size, text
// transformations grow their input by a small constant factor at most, and
// rate-based rules track a bounded number of aggregation instances, evicting
// the least recently seen. The engine keeps no package-level mutable state;
// clocks and GeoIP lookups are injected through Options.
package waf
