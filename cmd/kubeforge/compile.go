package main

import (
	"fmt"
	"io"
)

func runCompile(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "kubeforge compile: not yet available")
	return exitUsage
}
