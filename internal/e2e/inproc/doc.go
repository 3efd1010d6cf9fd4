// Package inproc holds coffer's in-process end-to-end tests: a real
// server.Server behind a real HTTP listener on 127.0.0.1, driven by
// aws-sdk-go-v2 in its default configuration (checksums on) and by raw,
// hand-signed net/http requests, in path-style and virtual-hosted-style
// addressing, over plain HTTP and over TLS (where the SDK sends checksums
// as trailers). The package has no non-test code besides this comment.
package inproc
