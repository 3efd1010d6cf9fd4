package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// floor serves the benchmark objects from memory with Go's net/http
// server, configured as `coffer edge` configures its viewer listener, and
// with the headers of an edge cache hit, but with no cache, no
// distribution logic and one Write per response: what net/http itself
// costs per hit on this machine, the floor under the edge's figures. It
// serves until SIGTERM or SIGINT.
func floor(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to serve on")
	sizes := fs.String("sizes", "1024,1048576", "comma-separated object sizes in bytes, served at /obj-SIZE")
	if err := fs.Parse(args); err != nil {
		return err
	}
	objectSizes, err := parseSizes(*sizes)
	if err != nil {
		return err
	}
	h := floorHandler(objectSizes, time.Now())
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Printf("floor serving http://%s\n", ln.Addr())
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// floorHandler answers GET /obj-SIZE with the object's bytes and the
// headers of an edge hit, in one Write.
func floorHandler(sizes []int64, modified time.Time) http.Handler {
	type object struct {
		data []byte
		etag string
	}
	objects := map[string]object{}
	for _, size := range sizes {
		data := objectData(size)
		sum := md5.Sum(data)
		objects["/"+objectKey(size)] = object{data, `"` + hex.EncodeToString(sum[:]) + `"`}
	}
	lastModified := modified.UTC().Format(http.TimeFormat)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		obj, ok := objects[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		hdr := w.Header()
		hdr.Set("Accept-Ranges", "bytes")
		hdr.Set("Age", "0")
		hdr.Set("Content-Length", strconv.Itoa(len(obj.data)))
		hdr.Set("Content-Type", "application/octet-stream")
		hdr.Set("Etag", obj.etag)
		hdr.Set("Last-Modified", lastModified)
		hdr.Set("Via", "1.1 coffer-edge")
		hdr.Set("X-Amz-Server-Side-Encryption", "AES256")
		hdr.Set("X-Cache", "Hit from coffer-edge")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(obj.data)
	})
}
