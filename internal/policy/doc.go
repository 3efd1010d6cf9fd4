// Package policy is coffer's IAM policy language: it parses and validates
// policy documents (identity policies, bucket policies, KMS key policies) and
// evaluates requests against them following AWS's published evaluation logic.
//
// The package is pure: no I/O, no clocks, no package-level mutable state.
// Everything a decision depends on travels in a [Request].
//
// Evaluation in brief (see [Evaluate]):
//
//   - An applicable Deny statement in any policy wins (ExplicitDeny).
//   - Every [KindBoundary] set (permissions boundary, SCP, session policy) must
//     contain an applicable Allow.
//   - Identity policies and a same-account resource policy are a union; across
//     accounts both the caller's identity policies and the resource policy must
//     allow. A [Set] marked Required (a KMS key policy) must itself grant.
//   - A resource policy naming an account (its id or arn:…:iam::ID:root)
//     delegates to that account: it grants its root user directly, and any other
//     principal of the account only together with an identity-policy Allow.
//   - Anything else is an ImplicitDeny.
//
// Fail-closed rules: unknown condition operators are rejected by [Parse]; if
// one ever reached evaluation it would make an Allow statement inapplicable and
// a Deny statement applicable. The zero [Principal] is the anonymous principal.
package policy
