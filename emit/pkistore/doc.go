// Package pkistore is the PKI store on disk: the directory that keeps a cluster's CAs and
// issued certificates across compiles. Open locks it, removes what a killed run left beside
// it, refuses a store whose keys others could have read, and reads it as untrusted input
// (regular files of bounded size, no symbolic links inside); the PKI step (render/pki) works on
// its content only. An Update writes the next content beside the store and swaps it in, as part
// of the output's transaction (emit.Write), so that a failed compile leaves the store exactly
// as it was.
package pkistore
