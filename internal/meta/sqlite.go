package meta

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// OpenSQLite opens (creating if needed) the SQLite database at path in WAL
// mode with synchronous=FULL, so a write is on disk when it returns.
func OpenSQLite(ctx context.Context, path string, opts ...Option) (*SQL, error) {
	c := newConfig(opts)
	if path == "" || strings.ContainsAny(path, "?") {
		return nil, fmt.Errorf("meta: open sqlite: unsupported path %q", path)
	}
	busy := fmt.Sprint(c.busyTimeout.Milliseconds())
	common := url.Values{}
	common.Add("_pragma", "busy_timeout("+busy+")")
	common.Add("_pragma", "foreign_keys(1)")

	w := url.Values{}
	for k, v := range common {
		w[k] = append([]string(nil), v...)
	}
	w.Add("_pragma", "journal_mode(WAL)")
	w.Add("_pragma", "synchronous(FULL)")
	wdb, err := sql.Open("sqlite", path+"?"+w.Encode())
	if err != nil {
		return nil, fmt.Errorf("meta: open sqlite %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	// Connect now, so WAL mode is set before any reader opens the file.
	if err := wdb.PingContext(ctx); err != nil {
		_ = wdb.Close()
		return nil, fmt.Errorf("meta: open sqlite %s: %w", path, err)
	}

	r := common
	r.Add("_pragma", "query_only(1)")
	rdb, err := sql.Open("sqlite", path+"?"+r.Encode())
	if err != nil {
		_ = wdb.Close()
		return nil, fmt.Errorf("meta: open sqlite %s: %w", path, err)
	}
	rdb.SetMaxOpenConns(c.readConns)
	rdb.SetMaxIdleConns(c.readConns)
	rdb.SetConnMaxIdleTime(0)
	rdb.SetConnMaxLifetime(0)

	s, err := newSQL(ctx, sqliteDialect, rdb, wdb, c)
	if err != nil {
		_ = rdb.Close()
		_ = wdb.Close()
		return nil, fmt.Errorf("meta: open sqlite %s: %w", path, err)
	}
	return s, nil
}
