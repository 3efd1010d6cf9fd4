package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Tiered is a blob store made of a default store and one store per storage
// class that has a tier of its own (`--tier GLACIER=DIR`). Classes without
// a tier share the default store.
//
// Which store holds a blob is part of its ID, so that every reader, the
// deletion queue and the orphan sweep find it without knowing the object
// it belongs to: a blob in a class's tier has the ID "<class>.<id>" (for
// example "GLACIER.3f2a…"), a blob in the default store has its store's
// plain ID, as before tiers existed. IDs therefore keep naming the right
// file when an object changes class: a transition writes a new blob (with
// a new ID) and swaps the reference (see package object).
//
// A blob whose ID names a class that has no tier any more (the flag was
// dropped) cannot be opened: Open returns an error naming the class
// rather than ErrNotExist, so that the loss of a whole tier directory is
// not mistaken for one missing blob.
type Tiered struct {
	def   Store
	tiers map[string]Store // by storage class
}

// ClassStore is implemented by stores that keep storage classes apart.
type ClassStore interface {
	Store
	// PutClass stores r where class's blobs belong.
	PutClass(ctx context.Context, class string, r io.Reader) (id string, size int64, err error)
	// InTier reports whether blob id is where class's blobs belong.
	InTier(id, class string) bool
}

var (
	_ ClassStore = (*Tiered)(nil)
	_ Store      = (*Tiered)(nil)
	_ Lister     = (*Tiered)(nil)
	_ Recoverer  = (*Tiered)(nil)
)

// tierSep separates a class from the blob ID in its tier's store.
const tierSep = "."

// ErrNoTier is returned for a blob ID naming a class that has no tier.
var ErrNoTier = errors.New("blob: the storage class has no tier")

// NewTiered returns a store over def and the tiers (by storage class).
// Class names must not contain tierSep.
func NewTiered(def Store, tiers map[string]Store) (*Tiered, error) {
	for class := range tiers {
		if class == "" || strings.Contains(class, tierSep) {
			return nil, fmt.Errorf("blob: invalid tier name %q", class)
		}
	}
	return &Tiered{def: def, tiers: maps.Clone(tiers)}, nil
}

// Put implements Store: the blob goes to the default store.
func (t *Tiered) Put(ctx context.Context, r io.Reader) (string, int64, error) {
	return t.def.Put(ctx, r)
}

// PutClass stores r in the tier of class (the default store when class has
// none) and returns an ID that names that tier.
func (t *Tiered) PutClass(ctx context.Context, class string, r io.Reader) (string, int64, error) {
	s, ok := t.tiers[class]
	if !ok {
		return t.def.Put(ctx, r)
	}
	id, n, err := s.Put(ctx, r)
	if err != nil {
		return "", 0, err
	}
	return class + tierSep + id, n, nil
}

// InTier reports whether blob id is where class's blobs belong: in class's
// tier, or in the default store when class has none.
func (t *Tiered) InTier(id, class string) bool {
	tier, _ := splitTier(id)
	if _, ok := t.tiers[class]; !ok {
		class = ""
	}
	return tier == class
}

// splitTier splits an ID into its tier's class ("" for the default store)
// and the ID within that store.
func splitTier(id string) (class, inner string) {
	class, inner, ok := strings.Cut(id, tierSep)
	if !ok {
		return "", id
	}
	return class, inner
}

// store returns the store holding id and the ID within it.
func (t *Tiered) store(id string) (Store, string, error) {
	class, inner := splitTier(id)
	if class == "" {
		return t.def, inner, nil
	}
	s, ok := t.tiers[class]
	if !ok {
		return nil, "", fmt.Errorf("%w: blob %s is in tier %s, which is not configured", ErrNoTier, id, class)
	}
	return s, inner, nil
}

// Open implements Store.
func (t *Tiered) Open(ctx context.Context, id string, offset, length int64) (io.ReadCloser, error) {
	s, inner, err := t.store(id)
	if err != nil {
		return nil, err
	}
	return s.Open(ctx, inner, offset, length)
}

// Delete implements Store. Deleting a blob of a tier that is not
// configured fails (the blob stays queued until the tier is back).
func (t *Tiered) Delete(ctx context.Context, id string) error {
	s, inner, err := t.store(id)
	if err != nil {
		return err
	}
	return s.Delete(ctx, inner)
}

// Walk implements Lister: the default store's blobs, then each tier's in
// class order, with the IDs Tiered gives them. Stores that cannot list are
// skipped.
func (t *Tiered) Walk(ctx context.Context, fn func(id string) error) error {
	if l, ok := t.def.(Lister); ok {
		if err := l.Walk(ctx, fn); err != nil {
			return err
		}
	}
	for _, class := range slices.Sorted(maps.Keys(t.tiers)) {
		l, ok := t.tiers[class].(Lister)
		if !ok {
			continue
		}
		err := l.Walk(ctx, func(id string) error { return fn(class + tierSep + id) })
		if err != nil {
			return err
		}
	}
	return nil
}

// RemoveTemp implements Recoverer over every store that keeps temporary
// files.
func (t *Tiered) RemoveTemp(ctx context.Context) (int, error) {
	total := 0
	for _, s := range append([]Store{t.def}, slices.Collect(maps.Values(t.tiers))...) {
		r, ok := s.(Recoverer)
		if !ok {
			continue
		}
		n, err := r.RemoveTemp(ctx)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
