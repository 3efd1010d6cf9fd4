package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// ErrInjected is the error a Fault returns when it names none.
var ErrInjected = errors.New("blob: injected fault")

// Op names a Store method for fault injection.
type Op int

// The Store methods Faulty can fail.
const (
	OpPut Op = iota + 1
	OpOpen
	OpDelete
)

func (o Op) String() string {
	switch o {
	case OpPut:
		return "Put"
	case OpOpen:
		return "Open"
	case OpDelete:
		return "Delete"
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// Fault says when and how a Faulty store fails.
type Fault struct {
	Op Op
	// AfterBytes, if > 0, lets that many bytes through before failing:
	// for Put, bytes consumed from the caller's reader (the wrapped store
	// then sees a reader error and must clean up); for Open, bytes read
	// from the returned reader. 0 fails the call itself.
	AfterBytes int64
	// AfterCall runs the wrapped call to completion and then returns the
	// error anyway: a Put leaves a blob nobody knows about, a Delete
	// deletes. Ignored when AfterBytes > 0.
	AfterCall bool
	// Match, if set, limits the fault to calls for which it returns true.
	// It gets the blob ID ("" for Put).
	Match func(id string) bool
	// Times is how many calls the fault fails; 0 means all of them.
	Times int
	// Err is the injected error; nil means ErrInjected.
	Err error
}

// Faulty wraps a Store and fails calls on demand, for tests of the
// packages that use blob stores. Without faults it passes every call
// through unchanged.
type Faulty struct {
	store Store

	mu     sync.Mutex
	faults []*faultState
	calls  map[Op]int
}

var _ Store = (*Faulty)(nil)

type faultState struct {
	Fault
	fired int
}

// NewFaulty wraps s.
func NewFaulty(s Store) *Faulty {
	return &Faulty{store: s, calls: make(map[Op]int)}
}

// Unwrap returns the wrapped store.
func (f *Faulty) Unwrap() Store { return f.store }

// Inject adds a fault. Faults are tried in the order added; the first that
// matches a call fails it.
func (f *Faulty) Inject(ft Fault) {
	if ft.Err == nil {
		ft.Err = ErrInjected
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &faultState{Fault: ft})
}

// Reset removes all faults and call counts.
func (f *Faulty) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
	f.calls = make(map[Op]int)
}

// Calls reports how many times op has been called.
func (f *Faulty) Calls(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// pick counts the call and returns the fault that fails it, if any.
func (f *Faulty) pick(op Op, id string) *Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	for _, s := range f.faults {
		if s.Op != op || (s.Times > 0 && s.fired >= s.Times) {
			continue
		}
		if s.Match != nil && !s.Match(id) {
			continue
		}
		s.fired++
		ft := s.Fault
		return &ft
	}
	return nil
}

// Put implements Store.
func (f *Faulty) Put(ctx context.Context, r io.Reader) (string, int64, error) {
	ft := f.pick(OpPut, "")
	switch {
	case ft == nil:
		return f.store.Put(ctx, r)
	case ft.AfterBytes > 0:
		return f.store.Put(ctx, &failingReader{r: r, left: ft.AfterBytes, err: ft.Err})
	case ft.AfterCall:
		id, _, err := f.store.Put(ctx, r)
		if err != nil {
			return "", 0, err
		}
		return "", 0, fmt.Errorf("blob: put (stored %s): %w", id, ft.Err)
	}
	return "", 0, fmt.Errorf("blob: put: %w", ft.Err)
}

// Open implements Store.
func (f *Faulty) Open(ctx context.Context, id string, offset, length int64) (io.ReadCloser, error) {
	ft := f.pick(OpOpen, id)
	if ft == nil {
		return f.store.Open(ctx, id, offset, length)
	}
	if ft.AfterBytes <= 0 && !ft.AfterCall {
		return nil, fmt.Errorf("blob: open %s: %w", id, ft.Err)
	}
	rc, err := f.store.Open(ctx, id, offset, length)
	if err != nil {
		return nil, err
	}
	if ft.AfterBytes <= 0 {
		_ = rc.Close()
		return nil, fmt.Errorf("blob: open %s: %w", id, ft.Err)
	}
	return &failingReadCloser{
		failingReader: failingReader{r: rc, left: ft.AfterBytes, err: fmt.Errorf("blob: read %s: %w", id, ft.Err)},
		c:             rc,
	}, nil
}

// Delete implements Store.
func (f *Faulty) Delete(ctx context.Context, id string) error {
	ft := f.pick(OpDelete, id)
	if ft == nil {
		return f.store.Delete(ctx, id)
	}
	if ft.AfterCall {
		if err := f.store.Delete(ctx, id); err != nil {
			return err
		}
	}
	return fmt.Errorf("blob: delete %s: %w", id, ft.Err)
}

// failingReader passes left bytes through and then returns err.
type failingReader struct {
	r    io.Reader
	left int64
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, r.err
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.r.Read(p)
	r.left -= int64(n)
	if err == io.EOF {
		// The data ended before the fault point: the fault never fires.
		return n, io.EOF
	}
	return n, err
}

type failingReadCloser struct {
	failingReader
	c io.Closer
}

func (r *failingReadCloser) Close() error { return r.c.Close() }
