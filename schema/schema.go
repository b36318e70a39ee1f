// Package schema holds the CUE schema of the cluster description, embedded in the binary.
package schema

import _ "embed"

// Filename is the name the embedded schema carries in positions, so that diagnostics can tell
// the schema's positions from the user's.
const Filename = "kubeforge-schema.cue"

//go:embed cluster.cue
var source []byte

// Source returns the schema's CUE text.
func Source() []byte { return source }
