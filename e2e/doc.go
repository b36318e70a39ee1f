// Package e2e proves that a compiled bundle boots a real cluster: it compiles
// examples/e2e.yaml with the kubeforge CLI, simulates each host of it on this machine with its
// own network, mount and UTS namespaces, starts every static pod of every bundle as a plain
// process with the command line, files and host paths its manifest names, and checks the
// running control plane with the real clients (etcdctl, kubectl, openssl).
//
// The suite needs root and the real binaries; it is built only with the e2e tag:
//
//	make e2e                                   # installs what it needs, then runs it
//	go test -tags e2e -count=1 -timeout 30m ./e2e/
package e2e
