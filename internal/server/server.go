// Package server wires a coffer S3 server together from its configuration:
// metadata store, blob store, object engine, authentication and the HTTP
// layer. cmd/coffer and the end-to-end tests both build servers through it.
package server

import (
	"context"
	"log/slog"
	"net/http"
)

// Config is what New needs. Zero values get documented defaults.
type Config struct {
	DataDir string // required: metadata DB, blobs, lock and root credentials live here
	Domain  string // enables virtual-hosted-style requests for BUCKET.Domain; "" path-style only
	Region  string // "" → us-east-1
	// Root credentials of the first account. If empty, they are generated
	// once, kept in DataDir, and reused on later starts.
	RootAccessKey string
	RootSecretKey string
	Logger        *slog.Logger // nil → discard
}

// Server is a running coffer S3 server (without its listener).
type Server struct {
	cfg Config
}

// New opens the data dir (taking its lock), runs start-up recovery and
// starts background work (blob GC).
func New(ctx context.Context, cfg Config) (*Server, error) {
	panic("unimplemented")
}

// Handler serves the S3 API, /health/live, /health/ready and /metrics.
func (s *Server) Handler() http.Handler { panic("unimplemented") }

// RootCredentials returns the root account's access key and secret key.
func (s *Server) RootCredentials() (accessKey, secretKey string) { panic("unimplemented") }

// Close stops background work and releases the data dir.
func (s *Server) Close() error { panic("unimplemented") }
