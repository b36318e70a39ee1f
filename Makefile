# kubeforge: `make test` is what CI runs (through .ci/run); `make e2e` starts the real
# Kubernetes programs from a compiled bundle; `make bench` measures.
GO ?= go
BIN := bin/kubeforge

.PHONY: all build test test-deps e2e bench golden fmt vet clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/kubeforge

# Tools the tests validate our files with (systemd-analyze, firewalld, cloud-init, ansible,
# openssl); installed once, idempotently.
test-deps:
	@scripts/install-test-deps.sh

test: test-deps
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# Regenerates golden files; review the diff before committing.
golden:
	$(GO) test ./... -run 'Golden' -update

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
