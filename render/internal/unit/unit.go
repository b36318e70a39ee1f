// Package unit writes systemd unit files and drop-ins from untrusted values: refused where a
// value cannot be one line or one word, escaped where systemd would expand it. Every renderer
// that writes a unit or drop-in (the kubelet's, the slices, the runtime's) goes through it.
package unit

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// File writes a systemd unit or drop-in, section by section. Every value reaches systemd
// as given: what one line cannot carry (control characters, invalid UTF-8, a value systemd
// would trim or continue onto the next line) is refused, and what systemd would expand ('%'
// specifiers everywhere, '$' variables on Exec lines) is escaped. The first refusal is kept
// and returned by bytes.
type File struct {
	b        strings.Builder
	sections int
	err      error
}

var (
	// Section and key names as systemd's parser accepts them ("X-" sections included).
	unitSectionName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)
	unitKeyName     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)
	// EnvName is a variable name systemd and a POSIX shell both accept.
	EnvName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// bareExecWord is what an Exec word may hold unquoted: nothing systemd's word splitting,
	// unquoting or unescaping would change.
	bareExecWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./$-]+$`)
)

func (u *File) fail(err error) {
	if u.err == nil {
		u.err = err
	}
}

// Comment writes a comment line.
func (u *File) Comment(s string) {
	if err := OneLine("comment", s); err != nil {
		u.fail(err)
		return
	}
	u.b.WriteString("# " + s + "\n")
}

func (u *File) Section(name string) {
	if !unitSectionName.MatchString(name) {
		u.fail(fmt.Errorf("systemd section name %q", name))
		return
	}
	if u.sections > 0 {
		u.b.WriteString("\n")
	}
	u.sections++
	u.b.WriteString("[" + name + "]\n")
}

// Set writes key=value, value taken as one string: '%' doubled so that systemd does not read
// a specifier; surrounding whitespace, which systemd trims, and a final backslash, which would
// continue the line, are refused. An empty value resets a list setting.
func (u *File) Set(key, value string) {
	switch err := OneLine(key, value); {
	case err != nil:
		u.fail(err)
	case strings.TrimSpace(value) != value:
		u.fail(fmt.Errorf("%s: systemd trims the whitespace around %q", key, value))
	case strings.HasSuffix(value, `\`):
		u.fail(fmt.Errorf("%s: a final backslash continues the line: %q", key, value))
	default:
		u.line(key, escapeSpecifiers(value))
	}
}

// SetEnv writes Environment="NAME=value": the pair as one double-quoted word, so value may hold
// spaces, quotes and backslashes. systemd does not expand '$' there.
func (u *File) SetEnv(name, value string) {
	if !EnvName.MatchString(name) {
		u.fail(fmt.Errorf("environment variable name %q", name))
		return
	}
	if err := OneLine(name, value); err != nil {
		u.fail(err)
		return
	}
	u.line("Environment", quoteWord(name+"="+value))
}

// Arg is a word of an Exec command line: a literal, which reaches the program unchanged, or
// a variable reference $NAME, which systemd replaces by the whitespace-separated words of the
// variable's value.
type Arg struct {
	text     string
	variable bool
}

func Literal(s string) Arg { return Arg{text: s} }
func Var(name string) Arg  { return Arg{text: name, variable: true} }

// Literals returns each string as a literal word.
func Literals(ss ...string) []Arg {
	out := make([]Arg, len(ss))
	for i, s := range ss {
		out[i] = Literal(s)
	}
	return out
}

// SetExec writes an Exec setting: the program, an absolute path (no systemd prefix such as
// '-' or '+' can slip in), then its arguments, each quoted when it needs to be.
func (u *File) SetExec(key string, args ...Arg) {
	if len(args) == 0 || args[0].variable || !strings.HasPrefix(args[0].text, "/") || !bareExecWord.MatchString(args[0].text) {
		u.fail(fmt.Errorf("%s: the program must be an absolute path of plain characters, got %v", key, args))
		return
	}
	words := make([]string, len(args))
	for i, a := range args {
		if a.variable {
			if !EnvName.MatchString(a.text) {
				u.fail(fmt.Errorf("%s: environment variable name %q", key, a.text))
				return
			}
			words[i] = "$" + a.text
			continue
		}
		if err := OneLine(key, a.text); err != nil {
			u.fail(err)
			return
		}
		words[i] = execWord(a.text)
	}
	u.line(key, strings.Join(words, " "))
}

func (u *File) line(key, value string) {
	if !unitKeyName.MatchString(key) {
		u.fail(fmt.Errorf("systemd setting name %q", key))
		return
	}
	if u.sections == 0 {
		u.fail(errors.New(key + " outside a section"))
		return
	}
	u.b.WriteString(key + "=" + value + "\n")
}

// Bytes returns the file, or the first thing it refused to write.
func (u *File) Bytes() ([]byte, error) {
	if u.err != nil {
		return nil, fmt.Errorf("systemd unit: %w", u.err)
	}
	return []byte(u.b.String()), nil
}

// OneLine returns an error when s cannot be written on one line of a text file that systemd,
// a shell or a person reads: invalid UTF-8 (systemd skips such lines) or a control character
// (a newline would start a setting of its own).
func OneLine(what, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s: %q is not valid UTF-8", what, s)
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return fmt.Errorf("%s: control character %U in %q", what, r, s)
	}
	return nil
}

func escapeSpecifiers(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// quoteWord returns s as one double-quoted systemd word: backslashes and quotes escaped (systemd
// unescapes C-style inside quotes), and '%' doubled.
func quoteWord(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "%", "%%")
	return `"` + r.Replace(s) + `"`
}

// execWord returns an Exec argument that systemd passes to the program as s: bare when nothing
// in it is special, else double-quoted; '$' doubled either way, since systemd substitutes
// variables inside quotes too.
func execWord(s string) string {
	if s == "" || !bareExecWord.MatchString(s) {
		s = quoteWord(s)
	} else {
		s = escapeSpecifiers(s)
	}
	return strings.ReplaceAll(s, "$", "$$")
}
