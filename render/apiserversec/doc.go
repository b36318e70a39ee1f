// Package apiserversec renders the apiserver's security files from the description's typed
// fields: the EncryptionConfiguration of apiServer.encryptionAtRest (its keys come from the
// PKI store, so render/pki places it) and the audit policy of apiServer.audit. Both are built
// as the official Go types (k8s.io/apiserver) and marshalled, never written as text, so a
// value of the description cannot add a field or a document.
package apiserversec
