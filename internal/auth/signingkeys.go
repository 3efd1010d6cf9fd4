package auth

import (
	"crypto/sha256"
	"log/slog"
	"sync"
)

// maxSigningKeys bounds the signing keys a Verifier keeps: enough for
// thousands of access keys signing for a few regions and services, each
// entry about 200 bytes.
const maxSigningKeys = 4096

// signingKeyID names one derived signing key. The secret enters only as
// its SHA-256, so the cache never holds a secret key itself, and a changed
// secret (a rotated access key) misses instead of finding its predecessor's
// key.
type signingKeyID struct {
	secret  [sha256.Size]byte
	date    string // YYYYMMDD
	region  string
	service string
}

func newSigningKeyID(secret string, scope credentialScope) signingKeyID {
	return signingKeyID{secret: sha256.Sum256([]byte(secret)), date: scope.date, region: scope.region, service: scope.service}
}

// signingKeys caches derived SigV4 signing keys. A client signs every
// request of a day with the same key, and deriving it takes four
// HMAC-SHA256s, most of the server's signature work on a small request.
//
// It keeps two generations of at most limit/2 entries each: lookups
// promote entries from the old generation, and when the current one is
// full the old one is dropped, so keys in use stay and yesterday's age
// out. The zero value is not usable; see newSigningKeys. Safe for
// concurrent use.
type signingKeys struct {
	mu       sync.Mutex
	cur, old map[signingKeyID][sha256.Size]byte
	limit    int
}

func newSigningKeys(limit int) *signingKeys {
	return &signingKeys{cur: make(map[signingKeyID][sha256.Size]byte), limit: max(2, limit)}
}

// get returns the cached key of id.
func (c *signingKeys) get(id signingKeyID) ([sha256.Size]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.cur[id]; ok {
		return k, true
	}
	k, ok := c.old[id]
	if ok {
		delete(c.old, id)
		c.putLocked(id, k)
	}
	return k, ok
}

// put caches key as the signing key of id. Callers put a key only after it
// verified a signature, so requests with a known access key but without
// its secret cannot fill the cache.
func (c *signingKeys) put(id signingKeyID, key [sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(id, key)
}

func (c *signingKeys) putLocked(id signingKeyID, key [sha256.Size]byte) {
	if _, ok := c.cur[id]; !ok && len(c.cur) >= c.limit/2 {
		c.old, c.cur = c.cur, make(map[signingKeyID][sha256.Size]byte, len(c.cur))
	}
	c.cur[id] = key
}

// len returns the number of cached keys.
func (c *signingKeys) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.old)
}

// LogValue keeps the keys out of logs.
func (c *signingKeys) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("signing_keys", c.len()))
}

// String keeps the keys out of fmt output.
func (c *signingKeys) String() string { return "auth.signingKeys(REDACTED)" }
