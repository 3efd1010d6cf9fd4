package object

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// DefaultKeyCacheTTL is the default Service.KeyCacheTTL.
const DefaultKeyCacheTTL = 5 * time.Minute

// maxOpenedKeys bounds the cache of decrypted bucket keys.
const maxOpenedKeys = 4096

// keyCache holds S3 Bucket Keys: one KMS data key per (KMS key, bucket),
// generated once and used to derive the key-encryption key of every new
// object in the bucket for a bounded time, and the plaintext of bucket keys
// decrypted for reads, for the same time. KMS calls thus do not grow with
// the number of objects. Entries expire after ttl; then the KMS is asked
// again, so a disabled key or a KMS outage takes effect within ttl.
//
// Callers get copies of the plaintext, which they clear; the cache clears
// its own copy when an entry expires or is evicted.
type keyCache struct {
	ttl time.Duration
	now func() time.Time

	mu        sync.Mutex
	generated map[[2]string]*cachedKey // (KMS key id as requested, bucket)
	opened    map[string]*cachedKey    // ciphertext blob → plaintext
	flight    singleflight.Group
}

type cachedKey struct {
	plaintext, ciphertext []byte
	arn                   string
	expires               time.Time
}

// bucketKeyCopy is a cached bucket key handed to one request.
type bucketKeyCopy struct {
	plaintext, ciphertext []byte
	arn                   string
}

func (s *Service) keys() *keyCache {
	s.keyOnce.Do(func() {
		ttl := s.KeyCacheTTL
		if ttl <= 0 {
			ttl = DefaultKeyCacheTTL
		}
		s.keyCache = &keyCache{ttl: ttl, now: time.Now,
			generated: map[[2]string]*cachedKey{}, opened: map[string]*cachedKey{}}
	})
	return s.keyCache
}

// bucketKey returns the current bucket key of bucket under keyID,
// generating one with the KMS (context: the bucket's ARN) when there is
// none or it expired. Concurrent misses make one KMS call.
func (c *keyCache) bucketKey(ctx context.Context, k KMS, keyID, bucket string) (bucketKeyCopy, error) {
	id := [2]string{keyID, bucket}
	if bk, ok := c.lookup(func() *cachedKey { return c.generated[id] }); ok {
		return bk, nil
	}
	v, err, _ := c.flight.Do("g\x00"+keyID+"\x00"+bucket, func() (any, error) {
		if bk, ok := c.lookup(func() *cachedKey { return c.generated[id] }); ok {
			return bk, nil
		}
		dk, err := k.GenerateDataKey(context.WithoutCancel(ctx), keyID, map[string]string{"aws:s3:arn": objectARN(bucket, "")})
		if err != nil {
			return nil, kmsError(err)
		}
		e := &cachedKey{plaintext: dk.Plaintext, ciphertext: dk.Ciphertext, arn: dk.KeyARN, expires: c.now().Add(c.ttl)}
		c.mu.Lock()
		if old := c.generated[id]; old != nil {
			clear(old.plaintext)
		}
		c.generated[id] = e
		// The key just made also opens what it seals.
		c.putOpened(string(dk.Ciphertext), &cachedKey{plaintext: clone(dk.Plaintext), arn: dk.KeyARN, expires: e.expires})
		bk := e.copy()
		c.mu.Unlock()
		return bk, nil
	})
	if err != nil {
		return bucketKeyCopy{}, err
	}
	bk := v.(bucketKeyCopy)
	// Every waiter gets its own copy to clear.
	bk.plaintext = clone(bk.plaintext)
	return bk, nil
}

// openBucketKey returns the plaintext of a bucket key ciphertext, from
// the cache or from the KMS. The caller clears it.
func (c *keyCache) openBucketKey(ctx context.Context, k KMS, ciphertext []byte, bucket string) ([]byte, error) {
	id := string(ciphertext)
	if bk, ok := c.lookup(func() *cachedKey { return c.opened[id] }); ok {
		return bk.plaintext, nil
	}
	v, err, _ := c.flight.Do("o\x00"+id, func() (any, error) {
		if bk, ok := c.lookup(func() *cachedKey { return c.opened[id] }); ok {
			return bk, nil
		}
		pt, err := k.Decrypt(context.WithoutCancel(ctx), ciphertext, map[string]string{"aws:s3:arn": objectARN(bucket, "")})
		if err != nil {
			return nil, kmsError(err)
		}
		e := &cachedKey{plaintext: pt, expires: c.now().Add(c.ttl)}
		c.mu.Lock()
		c.putOpened(id, e)
		bk := e.copy()
		c.mu.Unlock()
		return bk, nil
	})
	if err != nil {
		return nil, err
	}
	return clone(v.(bucketKeyCopy).plaintext), nil
}

// lookup returns a copy of a live entry; an expired one is cleared and
// dropped.
func (c *keyCache) lookup(get func() *cachedKey) (bucketKeyCopy, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := get()
	if e == nil {
		return bucketKeyCopy{}, false
	}
	if !c.now().Before(e.expires) {
		c.dropExpired()
		return bucketKeyCopy{}, false
	}
	return e.copy(), true
}

// putOpened adds an opened key, making room by dropping expired entries
// and, if still full, arbitrary ones. c.mu is held.
func (c *keyCache) putOpened(id string, e *cachedKey) {
	if old := c.opened[id]; old != nil {
		clear(old.plaintext)
	}
	if len(c.opened) >= maxOpenedKeys {
		c.dropExpired()
		for k, old := range c.opened {
			if len(c.opened) < maxOpenedKeys {
				break
			}
			clear(old.plaintext)
			delete(c.opened, k)
		}
	}
	c.opened[id] = e
}

// dropExpired clears and removes expired entries. c.mu is held.
func (c *keyCache) dropExpired() {
	now := c.now()
	for k, e := range c.generated {
		if !now.Before(e.expires) {
			clear(e.plaintext)
			delete(c.generated, k)
		}
	}
	for k, e := range c.opened {
		if !now.Before(e.expires) {
			clear(e.plaintext)
			delete(c.opened, k)
		}
	}
}

func (e *cachedKey) copy() bucketKeyCopy {
	return bucketKeyCopy{plaintext: clone(e.plaintext), ciphertext: e.ciphertext, arn: e.arn}
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
