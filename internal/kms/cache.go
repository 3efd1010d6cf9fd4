package kms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// maxCachedEntries bounds the read cache; past it the cache starts over.
const maxCachedEntries = 10000

// errCacheMiss is returned by a cacheReader for anything it does not hold.
// It never leaves this package's read path.
var errCacheMiss = errors.New("kms: not cached")

// keyReader is what the cryptographic read paths need from the keystore:
// keys resolved by reference and sealed material by version.
type keyReader interface {
	// key resolves ref like resolveKeyOrAlias.
	key(ctx context.Context, ref string) (keyRow, error)
	// sealed returns material version v of key id, still sealed under the
	// root key; the caller must not modify it. A missing version wraps
	// ErrInvalidCiphertext.
	sealed(ctx context.Context, id keyID, v uint32) ([]byte, error)
}

type materialRef struct {
	id keyID
	v  uint32
}

// readCache holds key rows by the exact reference string they were
// resolved from, and SEALED key material by key id and version. Plaintext
// material is never cached: it is unsealed per use and cleared after.
//
// Invalidation: everything at once, on every write. Store.update calls
// invalidate just before its transaction commits and again after it
// (deferred, so also when Commit fails). The maps always belong to the
// current generation: invalidate increments the generation and drops them,
// and add stores only results read under a generation that is still
// current when they are added.
//
// Why no stale row survives a write W: a reader loads the generation g
// before it begins its SQLite transaction, whose snapshot starts at its
// first read, later still. If the snapshot includes W's commit, the results
// are current. If it does not, W's commit had not completed when the
// snapshot started, so the increment after W's commit happens after the
// reader loaded g: from then on the generation is not g, so add drops the
// results, and if they were added before, they were dropped with the maps.
// Until that increment W has not returned, so serving the state before W
// is still correct. The increment before the commit is therefore not what
// the argument rests on (on its own it would be wrong: a reader loading
// the new generation could still read the old snapshot); it only stops the
// use of pre-write entries as soon as W starts to commit.
//
// Key state changes only through writes (DeleteDueKeys and rotation
// included) and usable() does not look at the clock, so a cached row is
// never wrong for lack of a time check.
type readCache struct {
	mu       sync.RWMutex
	gen      uint64
	keys     map[string]keyRow
	material map[materialRef][]byte
}

// generation returns the current generation, to be loaded before reading.
func (c *readCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// invalidate drops everything and starts a new generation.
func (c *readCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.keys, c.material = nil, nil
}

// add stores what r read from SQLite, if r's generation is still current.
func (c *readCache) add(r *dbReader) {
	if len(r.keys) == 0 && len(r.material) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.gen != c.gen {
		return // a write committed (or was committing) meanwhile
	}
	if c.keys == nil || len(c.keys)+len(c.material)+len(r.keys)+len(r.material) > maxCachedEntries {
		c.keys, c.material = make(map[string]keyRow), make(map[materialRef][]byte)
	}
	for ref, k := range r.keys {
		c.keys[ref] = k
	}
	for m, sealed := range r.material {
		c.material[m] = sealed
	}
}

// cacheReader reads from the cache; its caller holds c.mu for reading, so
// everything fn sees belongs to one generation: one consistent state.
type cacheReader struct{ c *readCache }

func (r cacheReader) key(_ context.Context, ref string) (keyRow, error) {
	if k, ok := r.c.keys[ref]; ok {
		return k, nil
	}
	return keyRow{}, errCacheMiss
}

func (r cacheReader) sealed(_ context.Context, id keyID, v uint32) ([]byte, error) {
	if s, ok := r.c.material[materialRef{id, v}]; ok {
		return s, nil
	}
	return nil, errCacheMiss
}

// dbReader reads from one SQLite read transaction and remembers what it
// found (never errors, which are not cached) for readCache.add.
type dbReader struct {
	s        *Store
	tx       *sql.Tx
	gen      uint64
	keys     map[string]keyRow
	material map[materialRef][]byte
}

func (r *dbReader) key(ctx context.Context, ref string) (keyRow, error) {
	k, err := r.s.resolveKeyOrAlias(ctx, r.tx, ref)
	if err != nil {
		return k, err
	}
	if r.keys == nil {
		r.keys = make(map[string]keyRow)
	}
	r.keys[ref] = k
	return k, nil
}

func (r *dbReader) sealed(ctx context.Context, id keyID, v uint32) ([]byte, error) {
	var sealed []byte
	err := r.tx.QueryRowContext(ctx, `SELECT sealed FROM key_material WHERE key_id = ? AND version = ?`, id.String(), int64(v)).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("kms: key %s has no material version %d: %w", id, v, ErrInvalidCiphertext)
	}
	if err != nil {
		return nil, fmt.Errorf("kms: load key material: %w", err)
	}
	if r.material == nil {
		r.material = make(map[materialRef][]byte)
	}
	r.material[materialRef{id, v}] = sealed
	return sealed, nil
}

// read runs fn against one consistent state of the keystore: the cache if
// it holds everything fn asks for, else a fresh SQLite snapshot, whose
// results are then cached. fn may run twice, so it must only read; it
// must not hold on to the reader.
func (s *Store) read(ctx context.Context, fn func(keyReader) error) error {
	s.cache.mu.RLock()
	err := fn(cacheReader{&s.cache})
	s.cache.mu.RUnlock()
	if !errors.Is(err, errCacheMiss) {
		return err
	}
	r := &dbReader{s: s, gen: s.cache.generation()}
	err = s.view(ctx, func(tx *sql.Tx) error {
		r.tx = tx
		return fn(r)
	})
	r.tx = nil
	s.cache.add(r)
	return err
}
