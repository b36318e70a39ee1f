package main

import "fmt"

// Exit codes, the same for every command.
const (
	exitOK      = 0
	exitInvalid = 1
	exitUsage   = 2
)

// exitCodesHelp documents the exit codes once; every command's help ends with it.
const exitCodesHelp = `Exit codes:
  0  success (diff: no difference)
  1  invalid description, warnings with --strict, differences (diff), expired
     certificates (pki check)
  2  usage error (unknown command or flag, missing value, bad argument) or I/O error
`

// exitError ends a command with a code. err, when set, is printed; outcomes already shown
// (diagnostics, differences) carry none.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// exitWith ends a command with code, printing nothing more.
func exitWith(code int) error { return &exitError{code: code} }

// failf ends a command with code and a message.
func failf(code int, format string, args ...any) error {
	return &exitError{code: code, err: fmt.Errorf(format, args...)}
}

// usageError is a command line kubeforge cannot run; it is printed with a pointer to --help.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }

func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}
