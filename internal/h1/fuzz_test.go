package h1

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"
)

// FuzzParse: whatever the bytes, parse does not panic, and a head it
// accepts is one net/http reads to the same request.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"HEAD /x?y=1 HTTP/1.1\r\nHost: a:80\r\nAccept: */*\r\n\r\n",
		"GET /a%2Fb HTTP/1.1\r\nhost: a\r\nconnection: close\r\npragma: no-cache\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nCookie: a=1\r\ncookie: b=2\r\nX:  v \t\r\n\r\n",
		"GET //x HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		end := bytes.Index(head, []byte("\r\n\r\n"))
		if end < 0 || bytes.Contains(head[:end], []byte("\n\n")) {
			return
		}
		head = head[:end+4]
		c := &conn{remote: "127.0.0.1:1", ctx: context.Background()}
		got, ok := c.parse(head)
		if !ok {
			return
		}
		want, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if err != nil {
			t.Fatalf("h1 accepted %q, net/http refuses it: %v", head, err)
		}
		// net/http keeps Host in the header map on ReadRequest; its
		// server deletes it, as h1 does.
		delete(want.Header, "Host")
		if g, w := describe(got), describe(want); g != w {
			t.Fatalf("%q:\n  h1:       %s\n  net/http: %s", head, g, w)
		}
		if got.ContentLength != 0 || got.Body != http.NoBody {
			t.Fatalf("%q: a request with a body", head)
		}
	})
}

func describe(r *http.Request) string {
	return fmt.Sprintf("%s %q %q %q %q %q %s %v %v", r.Method, r.RequestURI, r.URL.Path, r.URL.RawPath, r.URL.RawQuery,
		r.Host, r.Proto, r.Close, r.Header)
}
