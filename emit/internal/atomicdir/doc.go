// Package atomicdir holds the two file-system primitives kubeforge's transactions rest on:
// exchanging a staged directory with the live one in one step, and advisory locks that
// serialise the kubeforge processes writing the same output or PKI store.
package atomicdir
