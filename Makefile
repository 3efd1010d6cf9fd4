# coffer — build, test, fuzz and benchmark.
#
#   make build   build ./coffer
#   make test    install missing real clients, vet, gofmt, staticcheck, go test -race ./...
#   make fuzz    run every fuzz target for $(FUZZTIME) each
#   make bench   machine limits (AES-GCM, MD5, SHA-256, dd) + load generator against a local server

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

.PHONY: build test clients vet fmt-check staticcheck gotest fuzz bench

build:
	$(GO) build -o coffer ./cmd/coffer

test: clients vet fmt-check staticcheck gotest

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
