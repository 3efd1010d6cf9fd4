package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadServerPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "coffer.yaml")
	if err := os.WriteFile(file, []byte("data: /from/file\nlisten: 127.0.0.1:1\nregion: eu-west-1\nshutdown_grace: 5s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"COFFER_LISTEN": "127.0.0.1:2", "COFFER_IDLE_TIMEOUT": "7s"}
	c, err := LoadServer(file, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	c.Defaults()
	tests := []struct {
		name, got, want string
	}{
		{"file value kept", c.Data, "/from/file"},
		{"env overrides file", c.Listen, "127.0.0.1:2"},
		{"file region", c.Region, "eu-west-1"},
		{"default log format", c.LogFormat, "json"},
		{"file duration", c.ShutdownGrace.String(), (5 * time.Second).String()},
		{"env duration", c.IdleTimeout.String(), (7 * time.Second).String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestLoadServerRejectsUnknownField(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(file, []byte("dta: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadServer(file, func(string) string { return "" }); err == nil {
		t.Fatal("unknown field accepted")
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Server{Listen: "nonsense", RootAccessKey: "AK", LogLevel: "loud"}
	c.Defaults()
	err := c.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"data:", "listen:", "root credentials", "log_level"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	ok := Server{Data: "/d"}
	ok.Defaults()
	if err := ok.Validate(); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
}
