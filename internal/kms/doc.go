// Package kms is coffer's key management service core: the key hierarchy,
// the keystore, and the cryptographic operations of AWS KMS (symmetric
// keys) as Go methods, with key policies, grants, tags and the
// authorization decision (Store.Authorize). The JSON wire protocol, the
// `coffer kms` command and the audit log are built on top of it elsewhere;
// this package has no net/http.
//
// # Authorization
//
// Store.Authorize decides a call as AWS KMS does: the key policy (a
// Required resource set for internal/policy, so it must grant, directly or
// by naming the caller's account, which then needs an identity policy) and
// the caller's identity policies are evaluated with the condition keys
// kms:EncryptionContext:<key>, kms:EncryptionContextKeys, kms:CallerAccount,
// kms:ViaService, kms:GrantOperations, …; an explicit Deny refuses. If no
// policy allows, a grant of the key to the caller allows the operations it
// lists, for cryptographic operations only when the encryption context meets
// its constraints (EncryptionContextEquals: the same pairs;
// EncryptionContextSubset: at least its pairs; keys compared
// case-insensitively, values exactly). Grants take effect at once, so grant
// tokens are only checked for form. RetireGrant is decided by the grant
// itself, RevokeGrant by policy (kms:RevokeGrant, through Authorize).
//
// # Managed keys
//
// Two keys of the account are created by the store, not by callers: the
// AWS managed key for S3 (AWSManagedS3Alias, used by SSE-KMS without a key
// id) and the key of SSE-S3 (S3OwnedAlias). As AWS creates an AWS managed
// key when a service first uses it, the first GenerateDataKey,
// GenerateDataKeyWithoutPlaintext, Encrypt, DescribeKey or ReEncrypt
// destination naming the alias (or Authorize for one of them) creates the
// key and its alias in one write transaction. DescribeKey reports
// KeyManager "AWS"; the key rotates every year; its key policy lets the
// account's principals use it and read it but allows no change, so
// PutKeyPolicy, DisableKey, ScheduleKeyDeletion, rotation settings,
// descriptions, tags and aliases of it are refused with
// AccessDeniedException, as on AWS (see managedKey.policy for the one
// deviation from AWS's policy).
//
// # Key hierarchy
//
//	root key (RootKey: a key file, a passphrase through argon2id, later an HSM)
//	  └─ key material, one per KMS key (CMK) and material version,
//	     32 random bytes, stored sealed under the root key
//	       └─ data keys and Encrypt plaintexts, sealed with AES-256-GCM under
//	          one material version, returned to the caller as a ciphertext blob
//
// The root key never touches the database. Key material is sealed with
// AES-256-GCM under the root key, bound (as additional data) to the key id
// and material version, so sealed material cannot be moved to another key
// or version. Rotation adds a new material version and makes it current;
// old versions are kept forever so every ciphertext ever issued still
// decrypts. A keystore remembers a sealed check value written when it was
// created, so opening it with a different root key fails at once with
// ErrWrongRootKey instead of at the first Decrypt.
//
// # Threat model
//
// An attacker who has the keystore database (disk, backup) but not the root
// key learns nothing about key material or data keys, and cannot alter a
// sealed value, swap material between keys or versions, or forge a
// ciphertext blob without detection. An attacker who has a ciphertext blob
// cannot decrypt it without calling the service, and must present the exact
// encryption context it was made with: the context is AES-GCM additional
// data in the canonical form of CanonicalContext, so no two different
// contexts authenticate alike. A blob names its key and material version in
// the clear (as AWS's do); they are authenticated too. Out of scope here:
// an attacker with the root key, with the memory of the running process, or
// allowed by policy or grant to call the service (the server must call
// Authorize before every operation).
//
// Plaintext key material and data keys are cleared from memory after use
// where Go allows it (the AES key schedule inside crypto/cipher cannot be);
// the types that carry them implement slog.LogValuer and log redacted.
// Random 96-bit GCM nonces bound one material version to about 2^32
// encryptions; rotation (automatic or on demand) starts a fresh version.
//
// # Frozen formats
//
// These byte layouts are stored and exchanged; they never change. A new
// layout gets a new version byte and the old one stays readable.
//
// Ciphertext blob, version CiphertextVersion1 (0x01):
//
//	offset  size  field
//	0       1     version = 0x01
//	1       16    key id (UUID, binary)
//	17      4     key-material version, big-endian uint32, ≥ 1
//	21      12    GCM nonce
//	33      n+16  AES-256-GCM ciphertext of the n-byte plaintext, then the tag
//
// additional data = bytes 0–32 of the blob ‖ CanonicalContext(context).
//
// Sealed key material, version sealedVersion1 (0x01), written by AESRootKey:
//
//	version (1) ‖ nonce (12) ‖ AES-256-GCM(root key, 32-byte material) with tag
//
// additional data = "coffer/kms/material/v1" ‖ 0x00 ‖ key id (16) ‖ version
// (4, big-endian).
//
// Canonical encryption context (see CanonicalContext): pairs sorted by key
// (bytewise), each as uvarint(len(key)) ‖ key ‖ uvarint(len(value)) ‖ value.
//
// Root key file: the standard base64 encoding of 32 random bytes, optional
// surrounding whitespace. Passphrase salt file: JSON, see
// DerivePassphraseRootKey.
package kms
