// Package examples holds example cluster descriptions; the HA one is kubeforge's default when
// no description is named.
package examples

import (
	"embed"
	"io/fs"
)

//go:embed *.yaml large/*.cue
var files embed.FS

// DefaultName is the example used when no description is named.
const DefaultName = "ha.yaml"

// Default returns the default example's name and text.
func Default() (string, []byte) {
	data, err := files.ReadFile(DefaultName)
	if err != nil {
		panic(err)
	}
	return "examples/" + DefaultName, data
}

// FS returns the embedded examples.
func FS() fs.FS { return files }
