package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/coffer-project/coffer/internal/config"
	"github.com/coffer-project/coffer/internal/kmsapi"
)

// runKMSPrincipal is `coffer kms principal create --name N [--account ID]`:
// it adds an access key to the keystore of a data dir no `coffer kms` is
// using (the data dir is locked while it runs) and prints the new
// credentials as JSON, the only time the secret is shown. The keystore is
// opened with the root key `coffer kms` would use: --root-key-file (or
// COFFER_KMS_ROOT_KEY_FILE), COFFER_KMS_PASSPHRASE, or DATA/root.key.
func runKMSPrincipal(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: coffer kms principal create --data DIR --name NAME [--account ID]")
	}
	fs := flag.NewFlagSet("kms principal create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFile := fs.String("config", getenv("COFFER_CONFIG"), "YAML configuration file")
	data := fs.String("data", "", "data directory of coffer kms")
	name := fs.String("name", "", "principal name: the ARN is arn:aws:iam::ACCOUNT:user/NAME")
	account := fs.String("account", "", "12-digit account id (default: the administrator's)")
	rootKeyFile := fs.String("root-key-file", getenv("COFFER_KMS_ROOT_KEY_FILE"), "file with the base64 of a 32-byte root key")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *name == "" {
		return errors.New("--name is required")
	}
	cfg, err := config.LoadServer(*cfgFile, getenv)
	if err != nil {
		return err
	}
	if *data != "" {
		cfg.Data = *data
	}
	if cfg.Data == "" {
		return errors.New("--data is required")
	}
	passphrase := getenv("COFFER_KMS_PASSPHRASE")
	if passphrase != "" && *rootKeyFile != "" {
		return errors.New("give --root-key-file or COFFER_KMS_PASSPHRASE, not both")
	}
	p, generated, err := kmsapi.CreatePrincipal(ctx, kmsapi.ServerConfig{
		DataDir:       cfg.Data,
		Region:        cfg.Region,
		RootKeyFile:   *rootKeyFile,
		Passphrase:    []byte(passphrase),
		RootAccessKey: cfg.RootAccessKey,
		RootSecretKey: cfg.RootSecretKey,
		Logger:        newLogger(stderr, cfg.LogLevel, cfg.LogFormat),
	}, *name, *account)
	if err != nil {
		return err
	}
	if generated {
		fmt.Fprintf(stderr, "coffer kms: the data dir was new; generated administrator credentials are kept in %s\n", cfg.Data)
	}
	return json.NewEncoder(stdout).Encode(struct {
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string `json:"SecretAccessKey"`
		Arn             string `json:"Arn"`
	}{p.AccessKeyID, p.SecretAccessKey, p.ARN})
}
