package meta

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// SQL is the Store on a SQL database.
//
// Reads run on a small pool of pinned connections, each read in its own
// transaction (a consistent snapshot). Writes never run on the caller's
// goroutine: they are queued to one committer goroutine that owns the only
// write connection. The committer takes everything queued, runs each item
// inside its own SAVEPOINT of one shared transaction, and commits once, so
// a burst of concurrent writes costs one fsync instead of one each (group
// commit). An item that fails is rolled back to its savepoint and fails
// alone; if the COMMIT fails, every item that had succeeded gets that
// error. Items run in arrival order, so a later write to a key sees an
// earlier one of the same group as current.
//
// Callbacks passed to write methods (Precondition, the fn of UpdateBucket
// and UpdateVersion) run on the committer goroutine inside the
// transaction: they must be quick and must not call the Store. A panic in
// one is re-raised on the caller's goroutine.
//
// A ListPage.Limit ≤ 0 means no limit.
type SQL struct {
	d   dialect
	rdb *sql.DB
	wdb *sql.DB
	now func() time.Time

	rpool chan *conn // nil entries are free slots without a connection yet
	w     *conn      // committer goroutine only

	queue    chan *writeOp // unbuffered: a completed send means the committer owns the op
	quit     chan struct{} // closed to stop the committer
	stopped  chan struct{} // closed when the committer has stopped
	closing  chan struct{} // closed by Close; new reads fail
	maxBatch int

	stopOnce  sync.Once
	closeOnce sync.Once
	closeErr  error

	batches atomic.Int64
	items   atomic.Int64
}

var _ Store = (*SQL)(nil)

// Option configures OpenSQLite.
type Option func(*config)

type config struct {
	readConns   int
	maxBatch    int
	busyTimeout time.Duration
	now         func() time.Time
}

// WithReadConns sets the size of the read connection pool (default 8).
func WithReadConns(n int) Option { return func(c *config) { c.readConns = n } }

// WithMaxBatch bounds how many writes one group commit takes (default 256).
func WithMaxBatch(n int) Option { return func(c *config) { c.maxBatch = n } }

// WithBusyTimeout sets how long a connection waits for a lock another
// process holds (default 10s).
func WithBusyTimeout(d time.Duration) Option { return func(c *config) { c.busyTimeout = d } }

// WithClock sets the clock that stamps queued tasks (default time.Now).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

func newConfig(opts []Option) config {
	c := config{readConns: 8, maxBatch: 256, busyTimeout: 10 * time.Second, now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	c.readConns = max(c.readConns, 1)
	c.maxBatch = max(c.maxBatch, 1)
	return c
}

// errClosed is returned by writes after Close.
var errClosed = errors.New("meta: store closed")

// newSQL wraps opened databases, creates the schema and starts the
// committer. wdb must allow one connection; rdb at least readConns.
func newSQL(ctx context.Context, d dialect, rdb, wdb *sql.DB, c config) (*SQL, error) {
	s := &SQL{
		d:        d,
		rdb:      rdb,
		wdb:      wdb,
		now:      c.now,
		rpool:    make(chan *conn, c.readConns),
		queue:    make(chan *writeOp),
		quit:     make(chan struct{}),
		stopped:  make(chan struct{}),
		closing:  make(chan struct{}),
		maxBatch: c.maxBatch,
	}
	for range c.readConns {
		s.rpool <- nil
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	w, err := openConn(ctx, wdb)
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	s.w = w
	go s.commitLoop()
	return s, nil
}

func (s *SQL) migrate(ctx context.Context) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("meta: schema: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	for _, ddl := range s.d.schema {
		if _, err := tx.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("meta: schema: %w", err)
		}
	}
	var v int
	err = tx.QueryRowContext(ctx, s.d.rebind(`SELECT version FROM schema_version`)).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO schema_version (version) VALUES (?)`), schemaVersion); err != nil {
			return fmt.Errorf("meta: schema: %w", err)
		}
	case err != nil:
		return fmt.Errorf("meta: schema: %w", err)
	case v > schemaVersion:
		return fmt.Errorf("meta: database schema version %d is newer than this program's %d", v, schemaVersion)
	case v < schemaVersion:
		for ; v < schemaVersion; v++ {
			for _, stmt := range s.d.migrations[v] {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("meta: schema: migrate from version %d: %w", v, err)
				}
			}
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE schema_version SET version = ?`), schemaVersion); err != nil {
			return fmt.Errorf("meta: schema: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("meta: schema: %w", err)
	}
	return nil
}

// Close stops the committer (after the group in progress), waits for
// reads in progress, and closes the databases. Writes after Close fail.
func (s *SQL) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.stopCommitter()
		s.resetWriter()
		for range cap(s.rpool) {
			if c := <-s.rpool; c != nil {
				c.close()
			}
		}
		s.closeErr = errors.Join(s.rdb.Close(), s.wdb.Close())
	})
	return s.closeErr
}

// stopCommitter makes new writes fail and waits for the group in
// progress.
func (s *SQL) stopCommitter() {
	s.stopOnce.Do(func() {
		close(s.quit)
		<-s.stopped
	})
}

// CommitStats reports how many write transactions the committer has
// committed and how many writes they carried; items/batches is the mean
// group size.
func (s *SQL) CommitStats() (batches, items int64) {
	return s.batches.Load(), s.items.Load()
}

// conn is a connection pinned out of a pool, with its own statement
// cache. Transactions on it are plain BEGIN/COMMIT statements, so cached
// statements serve every transaction without re-preparing.
type conn struct {
	c     *sql.Conn
	stmts map[string]*sql.Stmt
}

func openConn(ctx context.Context, db *sql.DB) (*conn, error) {
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, stmts: make(map[string]*sql.Stmt)}, nil
}

func (c *conn) stmt(ctx context.Context, d dialect, q string) (*sql.Stmt, error) {
	if st, ok := c.stmts[q]; ok {
		return st, nil
	}
	st, err := c.c.PrepareContext(ctx, d.rebind(q))
	if err != nil {
		return nil, err
	}
	c.stmts[q] = st
	return st, nil
}

// close releases the connection. Used also to drop a connection whose
// transaction state is unknown after an error.
func (c *conn) close() {
	for _, st := range c.stmts {
		_ = st.Close()
	}
	_ = c.c.Raw(func(any) error { return driver.ErrBadConn }) // never reuse it
	_ = c.c.Close()
}

// txn is the view of one operation on a connection inside a transaction.
type txn struct {
	ctx context.Context
	c   *conn
	d   dialect
	now time.Time
}

func (t *txn) prepare(q string) (*sql.Stmt, error) {
	return t.c.stmt(t.ctx, t.d, q)
}

func (t *txn) exec(q string, args ...any) (sql.Result, error) {
	st, err := t.prepare(q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(t.ctx, args...)
}

func (t *txn) query(q string, args ...any) (*sql.Rows, error) {
	st, err := t.prepare(q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(t.ctx, args...)
}

// scanOne runs a query expected to return at most one row and scans it
// into dest; it returns sql.ErrNoRows if there is none.
func (t *txn) scanOne(q string, args []any, dest ...any) error {
	st, err := t.prepare(q)
	if err != nil {
		return err
	}
	return st.QueryRowContext(t.ctx, args...).Scan(dest...)
}

// exists reports whether q returns any row.
func (t *txn) exists(q string, args ...any) (bool, error) {
	var one int
	err := t.scanOne(q, args, &one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// read runs fn in a read transaction on a pooled connection.
func (s *SQL) read(ctx context.Context, fn func(t *txn) error) (err error) {
	var c *conn
	select {
	case c = <-s.rpool:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closing:
		return errClosed
	}
	if c == nil {
		if c, err = openConn(ctx, s.rdb); err != nil {
			s.rpool <- nil
			return err
		}
	}
	clean := false
	defer func() {
		if clean {
			s.rpool <- c
			return
		}
		c.close()
		s.rpool <- nil
	}()
	t := &txn{ctx: ctx, c: c, d: s.d, now: s.now()}
	if _, err := t.exec(s.d.beginRead); err != nil {
		return err
	}
	err = fn(t)
	// A cancelled ctx may have interrupted fn; end the transaction
	// regardless.
	t.ctx = context.Background()
	_, rerr := t.exec(`ROLLBACK`)
	clean = rerr == nil
	return err
}

// States of a writeOp, so that a caller whose context ends can withdraw an
// op the committer has not started, but never walks away from one whose
// outcome is not yet known.
const (
	opQueued int32 = iota
	opRunning
	opWithdrawn
)

type writeOp struct {
	ctx   context.Context
	fn    func(t *txn) error
	state atomic.Int32
	done  chan struct{}
	err   error
	// panicked holds a panic value from fn, re-raised by the caller.
	panicked any
	ok       bool // fn succeeded; the outcome now depends on COMMIT
}

// write runs fn in the committer's transaction and waits until the result
// is durable (or has failed). fn's writes are kept only if it returns nil
// and the group's COMMIT succeeds.
func (s *SQL) write(ctx context.Context, fn func(t *txn) error) error {
	op := &writeOp{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case s.queue <- op:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.quit:
		return errClosed
	}
	select {
	case <-op.done:
	case <-ctx.Done():
		if op.state.CompareAndSwap(opQueued, opWithdrawn) {
			return ctx.Err()
		}
		<-op.done
	}
	if op.panicked != nil {
		panic(op.panicked)
	}
	return op.err
}

func (s *SQL) commitLoop() {
	defer close(s.stopped)
	batch := make([]*writeOp, 0, s.maxBatch)
	for {
		select {
		case op := <-s.queue:
			batch = append(batch[:0], op)
		case <-s.quit:
			return
		}
		// Everyone already waiting joins this group. There is no timer:
		// while one group commits, the next one forms by itself.
	fill:
		for len(batch) < s.maxBatch {
			select {
			case op := <-s.queue:
				batch = append(batch, op)
			default:
				break fill
			}
		}
		s.commitBatch(batch)
		for i := range batch {
			batch[i] = nil
		}
	}
}

// commitBatch runs a group of writes in one transaction and reports to
// every op.
func (s *SQL) commitBatch(batch []*writeOp) {
	defer func() {
		for _, op := range batch {
			close(op.done)
		}
	}()
	// Statements run under a context of their own: cancelling one
	// caller's context must not interrupt a transaction that carries
	// other callers' writes.
	ctx := context.Background()
	if s.w == nil {
		w, err := openConn(ctx, s.wdb)
		if err != nil {
			for _, op := range batch {
				op.err = fmt.Errorf("meta: write connection: %w", err)
			}
			return
		}
		s.w = w
	}
	t := &txn{ctx: ctx, c: s.w, d: s.d, now: s.now()}
	if _, err := t.exec(s.d.beginWrite); err != nil {
		for _, op := range batch {
			op.err = fmt.Errorf("meta: begin: %w", err)
		}
		s.resetWriter()
		return
	}
	succeeded := 0
	for _, op := range batch {
		if !op.state.CompareAndSwap(opQueued, opRunning) {
			continue // the caller gave up and returned ctx.Err()
		}
		if err := op.ctx.Err(); err != nil {
			op.err = err
			continue
		}
		if err := s.runItem(t, op); err != nil {
			// The transaction is unusable: nothing in it can commit.
			s.rollbackWriter(t)
			for _, o := range batch {
				if o.ok || o.err == nil && o.panicked == nil {
					o.ok = false
					o.err = fmt.Errorf("meta: write group aborted: %w", err)
				}
			}
			return
		}
		if op.ok {
			succeeded++
		}
	}
	if succeeded == 0 {
		s.rollbackWriter(t)
		return
	}
	if _, err := t.exec(`COMMIT`); err != nil {
		for _, op := range batch {
			if op.ok {
				op.ok = false
				op.err = fmt.Errorf("meta: commit: %w", err)
			}
		}
		s.rollbackWriter(t)
		return
	}
	s.batches.Add(1)
	s.items.Add(int64(succeeded))
}

// rollbackWriter ends the writer's transaction; if even that fails, the
// connection is replaced.
func (s *SQL) rollbackWriter(t *txn) {
	if _, err := t.exec(`ROLLBACK`); err != nil {
		s.resetWriter()
	}
}

// resetWriter drops the write connection, whose state is unknown; the
// next group opens a new one.
func (s *SQL) resetWriter() {
	if s.w != nil {
		s.w.close()
		s.w = nil
	}
}

// runItem runs one op inside a savepoint, recording its outcome in op. It
// returns an error only if the savepoint machinery itself failed.
func (s *SQL) runItem(t *txn, op *writeOp) error {
	if _, err := t.exec(`SAVEPOINT item`); err != nil {
		return err
	}
	op.panicked, op.err = callItem(t, op.fn)
	if op.err == nil && op.panicked == nil {
		op.ok = true
		_, err := t.exec(`RELEASE SAVEPOINT item`)
		return err
	}
	if _, err := t.exec(`ROLLBACK TO SAVEPOINT item`); err != nil {
		return err
	}
	_, err := t.exec(`RELEASE SAVEPOINT item`)
	return err
}

func callItem(t *txn, fn func(*txn) error) (panicked any, err error) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return nil, fn(t)
}
