package edge

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oschwald/geoip2-golang"
)

// geoCheckEvery is how often the database file is checked for a change.
const geoCheckEvery = 5 * time.Second

// geoDB answers the country of an address from a MaxMind country
// database, reopening the file when it changes (a new mtime or size).
type geoDB struct {
	file string

	// mu guards db: lookups share it, a reload swaps it.
	mu    sync.RWMutex
	db    *geoip2.Reader
	stamp string // mtime and size of the file db was opened from
	// checked is when the file was last looked at (Unix nanoseconds).
	checked atomic.Int64
}

func openGeo(file string) (*geoDB, error) {
	g := &geoDB{file: file}
	if err := g.reload(); err != nil {
		return nil, err
	}
	return g, nil
}

func fileStamp(file string) (string, error) {
	fi, err := os.Stat(file)
	if err != nil {
		return "", err
	}
	return fmt.Sprint(fi.ModTime().UnixNano(), fi.Size()), nil
}

// reload opens the file if it changed since it was last opened. The
// caller holds mu for writing, or is the constructor.
func (g *geoDB) reload() error {
	stamp, err := fileStamp(g.file)
	if err != nil {
		return fmt.Errorf("edge: geoip_db: %w", err)
	}
	if stamp == g.stamp {
		return nil
	}
	db, err := geoip2.Open(g.file)
	if err != nil {
		return fmt.Errorf("edge: geoip_db %s: %w", g.file, err)
	}
	if g.db != nil {
		g.db.Close()
	}
	g.db, g.stamp = db, stamp
	return nil
}

// Country returns the ISO 3166-1 alpha-2 code of addr's country, "" when
// the database does not know it.
func (g *geoDB) Country(addr netip.Addr) string {
	if now, last := time.Now().UnixNano(), g.checked.Load(); now-last >= int64(geoCheckEvery) && g.checked.CompareAndSwap(last, now) {
		g.mu.Lock()
		_ = g.reload() // keep the open database if the new file is bad
		g.mu.Unlock()
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	rec, err := g.db.Country(net.IP(addr.Unmap().AsSlice()))
	if err != nil {
		return ""
	}
	return rec.Country.IsoCode
}

func (g *geoDB) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.db == nil {
		return nil
	}
	return g.db.Close()
}
