// Package sse holds the primitives of coffer's encryption at rest: object
// keys, sealing them under key-encryption keys, and the chunked AEAD stream
// that object data is stored as. It is pure: no HTTP, no database, no KMS.
// Package object decides which key-encryption key an object uses and where
// the sealed key, salts and sizes are recorded.
//
// # Key hierarchy
//
//	KMS key (lives on the KMS host)          SSE-C customer key (sent with each request)
//	  └─ data key, plaintext + ciphertext      └─ KEK = DeriveKEK(customer key, per-object salt, label);
//	     blob from GenerateDataKey                the server stores the salt and
//	       │                                      CustomerKeyHMAC(salt, key), never the key
//	       ├─ SSE-KMS: KEK = the data key plaintext (one data key per object)
//	       └─ SSE-S3, and SSE-KMS with S3 Bucket Keys: the data key is a bucket key
//	          cached for a bounded time; KEK = DeriveKEK(bucket key, per-object salt, label)
//	            │
//	            └─ object key: KeySize random bytes per object version (one per
//	               multipart upload), stored only as SealKey(KEK, object key, Binding)
//	                 └─ stream key per part: HKDF-SHA256 of the object key, the
//	                    stream's random salt and the part number (0: single-part object)
//	                      └─ packages of PackageSize plaintext bytes, AES-256-GCM
//
// As package object uses them, each KEK seals one object key: the SSE-KMS
// data key is generated per object, and derived KEKs take a fresh
// per-object salt (random GCM nonces under one KEK would be safe for about
// 2^32 seals anyway). A stream key
// encrypts exactly one stream: its salt is random, so re-uploading a part,
// or re-encrypting an object under the same object key, starts a new key and
// the STREAM counters never repeat under a key. Key rotation re-seals object
// keys (SealKey under a new KEK) and never rewrites data.
//
// # Threat model
//
// An attacker who holds the disks (blob files, the metadata database, their
// backups) but none of the keys (not the KMS, its root key or data keys, not
// the customer's SSE-C keys) learns nothing about object data but its size:
// the ciphertext size gives the plaintext size exactly, and the metadata
// database shows names, sizes, part counts and the other metadata it keeps
// in the clear (this package does not protect those; in particular an
// SSE-S3 object's ETag is its plaintext MD5, as on AWS, while SSE-KMS and
// SSE-C objects get an opaque ETag). The stored SSE-C value is a salted HMAC
// under its own label, of no use for deriving the KEK.
//
// The same attacker cannot alter data undetected: every byte read back is
// authenticated before it is returned. Flipping, truncating, extending or
// reordering packages, moving packages or headers between streams, parts or
// objects, opening a stream as another part number, or moving a sealed
// object key to another bucket, key or encryption mode fails with
// ErrIntegrity. The plaintext size recorded in the metadata fixes which
// package is final, so cutting a stream at a package boundary is caught by
// the final-package flag.
//
// Out of scope: rollback. Someone who can write the metadata database can
// put back an older version record of the same key (an older sealed key
// with the blobs it refers to, all authentic); nothing here can tell which
// of two authentic versions is the newer. Also out of scope: an attacker
// holding keys (the KMS host, its root key, a customer key), the memory of
// the running server, and timing side channels beyond those crypto/aes and
// crypto/hmac already close. Plaintext keys are cleared where the package
// owns them; the AES key schedules inside crypto/cipher cannot be.
//
// # Frozen formats
//
// These byte layouts are stored on disk and never change. A new layout gets
// a new version byte, and readers keep accepting the old one. u32 and u64
// are big-endian unsigned integers; ‖ is concatenation.
//
// Sealed object key, version 0x01 (61 bytes), made by SealKey:
//
//	offset  size  field
//	0       1     version = 0x01
//	1       12    random GCM nonce
//	13      48    AES-256-GCM(KEK, object key) followed by the 16-byte tag
//
//	additional data = 0x01 ‖ u32(len Mode) ‖ Mode ‖ u32(len Bucket) ‖ Bucket ‖ u32(len Key) ‖ Key
//
// Stream, version 0x01, made by NewEncryptReader from n plaintext bytes:
//
//	offset  size  field
//	0       1     version = 0x01
//	1       32    random salt
//	33      …     N packages, N = max(1, ⌈n / PackageSize⌉)
//
//	stream key = HKDF-SHA256(secret = object key, salt = the stream's salt,
//	                         info = "coffer sse stream v1" ‖ u32(part)), 32 bytes
//
// Package i (0 ≤ i < N) holds plaintext bytes [i·PackageSize,
// min(n, (i+1)·PackageSize)) as AES-256-GCM(stream key, nonce_i, plaintext,
// no additional data), the ciphertext followed by its 16-byte tag, with
//
//	nonce_i = u64(i) ‖ u32(final), final = 1 for i = N−1 and 0 otherwise
//
// (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár,
// "Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance",
// 2015). All packages but the last hold exactly PackageSize bytes; an empty
// plaintext is one empty final package. A stream of n plaintext bytes
// therefore takes CiphertextSize(n) = 33 + n + 16·N bytes, and package i
// starts at byte 33 + i·(PackageSize+16).
//
// Key derivations (HKDF-SHA256 and HMAC-SHA256, labels frozen too):
//
//	DeriveKEK(secret, salt, label) = HKDF-SHA256(secret, salt, info = "coffer sse kek v1" ‖ 0x00 ‖ label), 32 bytes
//	CustomerKeyHMAC(salt, key)     = HMAC-SHA256(key, "coffer sse customer key check v1" ‖ 0x00 ‖ salt)
//	ETag(object key, md5)          = hex(HMAC-SHA256(object key, "coffer sse etag v1" ‖ 0x00 ‖ md5)[:16])
package sse
