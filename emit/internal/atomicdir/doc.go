// Package atomicdir holds the file-system primitives kubeforge's transactions rest on:
// exchanging a staged directory with the live one in one step, flushing a staged tree to disk
// with one syncfs, and advisory locks that serialise the kubeforge processes writing the same
// output or PKI store.
package atomicdir
