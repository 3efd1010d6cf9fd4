package cache

import (
	"net/http"
	"testing"
)

// The origin's Cache-Control and Content-Range fields reach these parsers
// as the origin sent them.

func FuzzParseCacheControl(f *testing.F) {
	for _, s := range []string{"max-age=60", "s-maxage=10, no-cache", `private="x", max-age=-1`, "max-age=99999999999999999999",
		"stale-if-error=30,must-revalidate", "NO-STORE", ",,=,", `no-cache="a, b", max-age="5"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d := parseCacheControl(http.Header{"Cache-Control": {v}})
		if d.maxAge < 0 || d.sMaxAge < 0 || d.staleIfError < 0 {
			t.Errorf("Cache-Control %q: negative lifetime %+v", v, d)
		}
	})
}

func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-1023/4096", "bytes 10-9/20", "bytes */100", "bytes 0-0/1", "bytes 1-2/*", "bytes 5-99999999999999999999/3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		first, last, total, ok := parseContentRange(v)
		if !ok {
			return
		}
		if first < 0 || last < first || total <= last {
			t.Errorf("Content-Range %q accepted as %d-%d/%d", v, first, last, total)
		}
	})
}
