// Package untrusted holds the rules for bytes kubeforge did not write: files it reads (a
// description, an external etcd certificate, a PKI store, a tree to diff against) must be
// regular files of bounded size, so a FIFO or /dev/zero is an error rather than a hang; and
// private key material found in them must never reach an output stream.
package untrusted
