// Package atomicdir holds the file-system primitives kubeforge's transactions rest on:
// flushing a staged directory and exchanging it with the live one in one step, and advisory
// locks that serialise the kubeforge processes writing the same output or PKI store.
package atomicdir
