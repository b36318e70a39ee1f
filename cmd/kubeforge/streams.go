package main

import (
	"io"
	"os"
)

// Streams are what a command reads and writes; tests give buffers.
type Streams struct {
	In io.Reader
	// Out is for results (JSON documents, GitHub annotations, tables); ErrOut for diagnostics,
	// notices and errors. main wraps both so that no private key reaches them.
	Out, ErrOut io.Writer
	// Terminal is standard error when it is a terminal, for a progress line (written
	// unfiltered: it only holds counts); nil otherwise.
	Terminal *os.File
}
