// Package e2e proves that a compiled bundle boots a real cluster: it compiles
// examples/e2e.yaml with the kubeforge CLI and simulates each host of it on this machine with
// its own network, mount and UTS namespaces. TestWorkloads runs each host's containerd and
// kubelet from its bundle; the kubelets run the control plane from the static pod manifests as
// containers of images built from the real binaries, then the cluster bundle's kube-proxy and
// CoreDNS, and a test pod. TestControlPlane starts every static pod as a plain process with
// the command line, files and host paths its manifest names, for the checks that need a
// control plane but no kubelet. Both check the running cluster with the real clients
// (etcdctl, kubectl, openssl).
//
// The suite needs root and the real binaries; it is built only with the e2e tag:
//
//	make e2e                                   # installs what it needs, then runs it
//	go test -tags e2e -count=1 -timeout 30m ./e2e/
package e2e
