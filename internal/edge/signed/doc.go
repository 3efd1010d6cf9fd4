// Package signed verifies CloudFront signed URLs and signed cookies for
// `coffer edge`: a cache behaviour with trusted key groups serves a viewer
// only if the request carries a policy signed by a private key whose public
// key is in one of those groups.
//
// # Wire format (frozen: it is CloudFront's)
//
// A signed URL carries, among its own query parameters:
//
//   - Expires=N (canned policy) or Policy=B (custom policy),
//   - Signature=S,
//   - Key-Pair-Id=K (the public key ID in the key group, e.g. K2EXAMPLE),
//   - optionally Hash-Algorithm=SHA1|SHA256 (SHA1 when absent).
//
// Signed cookies carry the same values as CloudFront-Expires,
// CloudFront-Policy, CloudFront-Signature, CloudFront-Key-Pair-Id and
// CloudFront-Hash-Algorithm. A URL with any of the signing parameters is a
// signed URL and the cookies are not looked at, as on CloudFront.
//
// B and S use CloudFront's URL-safe base64: standard base64 with '+', '='
// and '/' replaced by '-', '_' and '~'. S is an RSA PKCS #1 v1.5 (or, for an
// ECDSA P-256 key, ASN.1 DER ECDSA) signature over the SHA-1 or SHA-256 hash
// of the policy JSON. For a custom policy that JSON is the decoded B; for a
// canned policy the verifier rebuilds it from the request URL and N, byte for
// byte as the signers (aws cloudfront sign, the AWS SDKs) build it:
//
//	{"Statement":[{"Resource":"URL","Condition":{"DateLessThan":{"AWS:EpochTime":N}}}]}
//
// where URL is the viewer's scheme://host/path?query with the signing
// parameters removed and the remaining parameters left in their order and
// encoding (no '?' when none remain).
//
// # Threat model
//
// The viewer is untrusted: everything in the query and the cookies is
// attacker-controlled until the signature verifies, so the policy is parsed
// before but acted upon only after verification, and its size is bounded
// before decoding. The key ID only selects a key among the trusted ones;
// an unknown ID is refused. The host in the resource URL is the Host the
// viewer sent, so a URL signed for one alias does not work on another, and
// the scheme is how the viewer reached the edge, so an http:// signature does
// not open https:// and vice versa. The client address used for IpAddress
// conditions is the caller's decision (directly connected peer or a trusted
// forwarded address); this package does not read headers. Time comes from
// the caller, never from the package.
//
// A signed URL is a bearer token: anyone holding it has access until it
// expires (within the IpAddress range, if any). Revocation is by removing the
// public key from the key group.
package signed
