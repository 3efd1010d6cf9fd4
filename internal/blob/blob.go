// Package blob stores immutable byte sequences under random IDs.
//
// A blob is written once (temp file → fsync → rename → fsync dir), read any
// number of times, and deleted once nothing refers to it. Blob stores know
// nothing about objects; package meta records which blobs are in use.
package blob

import (
	"context"
	"errors"
	"io"
)

// ErrNotExist is returned for a blob ID that is not stored.
var ErrNotExist = errors.New("blob does not exist")

// Store is a blob store. All methods are safe for concurrent use.
type Store interface {
	// Put streams r into a new blob and returns its ID and size once the
	// blob is durable (fsynced and renamed into place). If r returns an
	// error, or ctx is cancelled, nothing is left behind and the error is
	// returned (wrapped).
	Put(ctx context.Context, r io.Reader) (id string, size int64, err error)
	// Open returns a reader over length bytes of the blob starting at
	// offset (length < 0: to the end). Returns ErrNotExist.
	Open(ctx context.Context, id string, offset, length int64) (io.ReadCloser, error)
	// Delete removes a blob. Deleting a missing blob is not an error.
	Delete(ctx context.Context, id string) error
}

// Lister is implemented by stores that can enumerate their blobs, for the
// start-up orphan sweep.
type Lister interface {
	// Walk calls fn for every stored blob ID; an error from fn stops the
	// walk and is returned.
	Walk(ctx context.Context, fn func(id string) error) error
}

// Recoverer is implemented by stores that keep temporary files and can
// remove those left behind by a crash. Call it before serving.
type Recoverer interface {
	RemoveTemp(ctx context.Context) (removed int, err error)
}
