# coffer — build, test, fuzz and benchmark.
#
#   make build   build ./coffer
#   make test    install missing real clients, vet, gofmt, staticcheck, go test -race ./...,
#                then the PKCS#11 root key (-tags pkcs11, cgo) against SoftHSM2
#   make fuzz    run every fuzz target for $(FUZZTIME) each
#   make bench   machine limits (AES-GCM, MD5, SHA-256, dd) + load generator against a local server
#   make bench-edge  coffer edge against nginx proxy_cache, cache hits (installs nginx if missing)

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

GO          ?= go
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s
TESTTIMEOUT ?= 25m

# In CI a missing real client (aws, boto3, rclone, s3cmd, curl) fails the
# end-to-end tests instead of skipping them.
ifeq ($(CI),true)
export COFFER_E2E_REQUIRE_CLIENTS := 1
endif

.PHONY: build test clients vet fmt-check staticcheck gotest pkcs11 fuzz bench bench-edge

build:
	$(GO) build -o coffer ./cmd/coffer

test: clients vet fmt-check staticcheck gotest pkcs11

clients:
	.ci/install-clients.sh

vet:
	$(GO) vet ./...

fmt-check:
	@unformatted="$$(gofmt -l .)"; \
	if [ -n "$$unformatted" ]; then echo "gofmt: unformatted files:"; echo "$$unformatted"; exit 1; fi

staticcheck:
	$(STATICCHECK) ./...

gotest:
	$(GO) test -race -count=1 -timeout $(TESTTIMEOUT) ./...

# The PKCS#11 root key is built only with -tags pkcs11 (cgo); its tests
# make a SoftHSM2 token in a temp dir and skip without SoftHSM2 (fail in CI).
pkcs11:
	@if [ "$$($(GO) env CGO_ENABLED)" != 1 ]; then \
		echo "pkcs11: cgo is disabled (no C compiler?); PKCS#11 root key not built or tested" >&2; \
		if [ "$${COFFER_E2E_REQUIRE_CLIENTS:-}" = 1 ]; then exit 1; fi; exit 0; \
	fi; \
	set -x; \
	$(GO) vet -tags pkcs11 ./internal/kms/...; \
	$(STATICCHECK) -tags pkcs11 ./internal/kms/...; \
	$(GO) test -race -count=1 -timeout $(TESTTIMEOUT) -tags pkcs11 -run PKCS11 ./internal/kms/... ./cmd/coffer/...

# Discover fuzz targets with `go test -list`, which prints a package's
# matching names followed by its "ok <pkg>" line; run each in turn and
# report every failing target at the end.
fuzz:
	@$(GO) test -list '^Fuzz' ./... \
	| awk '/^Fuzz/ { f[n++] = $$1; next } /^ok/ { for (i = 0; i < n; i++) print $$2, f[i]; n = 0 }' \
	| { failed=""; while read -r pkg name; do \
		echo "== fuzz $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$pkg" </dev/null || failed="$$failed $$pkg.$$name"; \
	done; if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed"; exit 1; fi; }

bench:
	bench/run.sh

bench-edge:
	bench/edge.sh
