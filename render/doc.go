// Package render turns the compiled model into artifacts: every file a host's bundle holds,
// and the cluster-level bundle.
package render
