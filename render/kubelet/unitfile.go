package kubelet

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// unitFile writes a systemd unit or drop-in, section by section. Every value reaches systemd
// as given: what one line cannot carry (control characters, invalid UTF-8, a value systemd
// would trim or continue onto the next line) is refused, and what systemd would expand ('%'
// specifiers everywhere, '$' variables on Exec lines) is escaped. The first refusal is kept
// and returned by bytes.
type unitFile struct {
	b        strings.Builder
	sections int
	err      error
}

var (
	// Section and key names as systemd's parser accepts them ("X-" sections included).
	unitSectionName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)
	unitKeyName     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)
	// envName is a variable name systemd and a POSIX shell both accept.
	envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// bareExecWord is what an Exec word may hold unquoted: nothing systemd's word splitting,
	// unquoting or unescaping would change.
	bareExecWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./$-]+$`)
)

func (u *unitFile) fail(err error) {
	if u.err == nil {
		u.err = err
	}
}

// comment writes a comment line.
func (u *unitFile) comment(s string) {
	if err := oneLine("comment", s); err != nil {
		u.fail(err)
		return
	}
	u.b.WriteString("# " + s + "\n")
}

func (u *unitFile) section(name string) {
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

// set writes key=value, value taken as one string: '%' doubled so that systemd does not read
// a specifier; surrounding whitespace, which systemd trims, and a final backslash, which would
// continue the line, are refused. An empty value resets a list setting.
func (u *unitFile) set(key, value string) {
	switch err := oneLine(key, value); {
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

// setEnv writes Environment="NAME=value": the pair as one double-quoted word, so value may hold
// spaces, quotes and backslashes. systemd does not expand '$' there.
func (u *unitFile) setEnv(name, value string) {
	if !envName.MatchString(name) {
		u.fail(fmt.Errorf("environment variable name %q", name))
		return
	}
	if err := oneLine(name, value); err != nil {
		u.fail(err)
		return
	}
	u.line("Environment", quoteWord(name+"="+value))
}

// execArg is a word of an Exec command line: a literal, which reaches the program unchanged, or
// a variable reference $NAME, which systemd replaces by the whitespace-separated words of the
// variable's value.
type execArg struct {
	text     string
	variable bool
}

func literal(s string) execArg     { return execArg{text: s} }
func splitVar(name string) execArg { return execArg{text: name, variable: true} }

// literals returns each string as a literal word.
func literals(ss ...string) []execArg {
	out := make([]execArg, len(ss))
	for i, s := range ss {
		out[i] = literal(s)
	}
	return out
}

// setExec writes an Exec setting: the program, an absolute path (no systemd prefix such as
// '-' or '+' can slip in), then its arguments, each quoted when it needs to be.
func (u *unitFile) setExec(key string, args ...execArg) {
	if len(args) == 0 || args[0].variable || !strings.HasPrefix(args[0].text, "/") || !bareExecWord.MatchString(args[0].text) {
		u.fail(fmt.Errorf("%s: the program must be an absolute path of plain characters, got %v", key, args))
		return
	}
	words := make([]string, len(args))
	for i, a := range args {
		if a.variable {
			if !envName.MatchString(a.text) {
				u.fail(fmt.Errorf("%s: environment variable name %q", key, a.text))
				return
			}
			words[i] = "$" + a.text
			continue
		}
		if err := oneLine(key, a.text); err != nil {
			u.fail(err)
			return
		}
		words[i] = execWord(a.text)
	}
	u.line(key, strings.Join(words, " "))
}

func (u *unitFile) line(key, value string) {
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

// bytes returns the file, or the first thing it refused to write.
func (u *unitFile) bytes() ([]byte, error) {
	if u.err != nil {
		return nil, fmt.Errorf("systemd unit: %w", u.err)
	}
	return []byte(u.b.String()), nil
}

// oneLine returns an error when s cannot be written on one line of a text file that systemd,
// a shell or a person reads: invalid UTF-8 (systemd skips such lines) or a control character
// (a newline would start a setting of its own).
func oneLine(what, s string) error {
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

// flagArgs returns --name=value words in the order of names.
func flagArgs(names []string, args map[string]string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, "--"+n+"="+args[n])
	}
	return out
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
