# kubeforge: `make test` is what CI runs (through .ci/run); `make e2e` starts the real
# Kubernetes programs from a compiled bundle; `make bench` measures.
GO ?= go
BIN := bin/kubeforge
PREFIX ?= /usr/local

# Stamped into the binary (kubeforge version): the nearest tag and the commit, or "dev" outside
# a git clone.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: all build install binaries test test-deps e2e conformance bench golden fmt vet clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kubeforge

# Installs the binary as $(DESTDIR)$(PREFIX)/bin/kubeforge (make install PREFIX=$$HOME/.local).
install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/kubeforge

# Tools the tests validate our files with (systemd-analyze, firewalld, cloud-init, ansible,
# openssl); installed once, idempotently.
test-deps:
	@scripts/install-test-deps.sh

# The real Kubernetes binaries some tests check flags and configs against; cached by version,
# so only a cold machine pays the build (about 8 minutes on 2 cores).
binaries:
	@e2e/tools/build-binaries.sh >/dev/null

test: test-deps binaries
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

# Regenerates every golden set (golden/ trees, the corpus' .want files): the packages whose
# tests define -update, found by that definition, and only those. Review the diff before
# committing; a second run changes nothing.
GOLDEN_PKGS = $(shell grep -rlE --include='*_test.go' 'flag\.Bool."update"' . | xargs -r -n1 dirname | sort -u)
golden:
	$(GO) test -count=1 $(GOLDEN_PKGS) -update

# Boots a compiled cluster from its bundles with the real etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and kubelet (see e2e/README.md). Needs root.
e2e:
	e2e/run.sh

# Boots the same cluster and runs the Kubernetes conformance specs of its release against it
# with the real e2e.test and kubectl (see e2e/README.md); CONFORMANCE=NAME picks a selection.
# Needs root; not part of make e2e.
conformance:
	KUBEFORGE_CONFORMANCE=$(CONFORMANCE) e2e/run.sh conformance

# Measures validate/compile against cluster size and against kubeadm's per-node loop; writes
# bench/results/report.md and chart.png (~15 min on 2 cores; BENCH_QUICK=1 for a 1-min smoke
# test). Not part of make test.
bench:
	bench/run.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
