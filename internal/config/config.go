// Package config is the typed configuration of coffer's processes: loaded
// from a YAML file, then overridden by COFFER_* environment variables, then
// by command-line flags (applied by cmd/coffer).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Server configures `coffer server`. Zero values mean the documented
// defaults, applied by Defaults.
type Server struct {
	Data   string `yaml:"data"`   // data dir; required (dev: ./coffer-data)
	Listen string `yaml:"listen"` // default ":9000"
	Domain string `yaml:"domain"` // virtual-hosted-style base domain; "" disables
	Region string `yaml:"region"` // default "us-east-1"

	RootAccessKey string `yaml:"root_access_key"` // default: generated and kept in the data dir
	RootSecretKey string `yaml:"root_secret_key"`

	LogLevel  string `yaml:"log_level"`  // debug, info (default), warn, error
	LogFormat string `yaml:"log_format"` // json (default) or text

	// ShutdownGrace is how long in-flight requests may run after SIGTERM.
	ShutdownGrace time.Duration `yaml:"shutdown_grace"` // default 30s
	// ReadHeaderTimeout bounds slow clients sending headers.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"` // default 30s
	// IdleTimeout closes idle keep-alive connections.
	IdleTimeout time.Duration `yaml:"idle_timeout"` // default 120s
}

// Defaults fills zero values.
func (c *Server) Defaults() {
	if c.Listen == "" {
		c.Listen = ":9000"
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.LogFormat == "" {
		c.LogFormat = "json"
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = 30 * time.Second
	}
	if c.ReadHeaderTimeout == 0 {
		c.ReadHeaderTimeout = 30 * time.Second
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 120 * time.Second
	}
}

// Validate reports every problem at once.
func (c *Server) Validate() error {
	var errs []error
	if c.Data == "" {
		errs = append(errs, errors.New("data: a data directory is required (--data)"))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen: %q is not host:port", c.Listen))
	}
	if (c.RootAccessKey == "") != (c.RootSecretKey == "") {
		errs = append(errs, errors.New("root credentials: set both COFFER_ROOT_ACCESS_KEY and COFFER_ROOT_SECRET_KEY, or neither"))
	}
	if c.RootAccessKey != "" && (len(c.RootAccessKey) < 3 || len(c.RootAccessKey) > 128) {
		errs = append(errs, errors.New("root_access_key: must be 3 to 128 characters"))
	}
	if c.RootSecretKey != "" && len(c.RootSecretKey) < 8 {
		errs = append(errs, errors.New("root_secret_key: must be at least 8 characters"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level: %q is not debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		errs = append(errs, fmt.Errorf("log_format: %q is not json or text", c.LogFormat))
	}
	if strings.HasPrefix(c.Domain, ".") || strings.Contains(c.Domain, "/") {
		errs = append(errs, fmt.Errorf("domain: %q is not a host name", c.Domain))
	}
	return errors.Join(errs...)
}

// LoadServer reads the YAML file at path ("" for none; unknown fields are
// errors) and applies COFFER_* variables from getenv over it.
func LoadServer(path string, getenv func(string) string) (Server, error) {
	var c Server
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	env := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	env("COFFER_DATA", &c.Data)
	env("COFFER_LISTEN", &c.Listen)
	env("COFFER_DOMAIN", &c.Domain)
	env("COFFER_REGION", &c.Region)
	env("COFFER_ROOT_ACCESS_KEY", &c.RootAccessKey)
	env("COFFER_ROOT_SECRET_KEY", &c.RootSecretKey)
	env("COFFER_LOG_LEVEL", &c.LogLevel)
	env("COFFER_LOG_FORMAT", &c.LogFormat)
	var errs []error
	dur := func(name string, dst *time.Duration) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			*dst = d
		}
	}
	dur("COFFER_SHUTDOWN_GRACE", &c.ShutdownGrace)
	dur("COFFER_READ_HEADER_TIMEOUT", &c.ReadHeaderTimeout)
	dur("COFFER_IDLE_TIMEOUT", &c.IdleTimeout)
	return c, errors.Join(errs...)
}
