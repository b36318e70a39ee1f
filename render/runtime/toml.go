package runtime

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// tomlDoc writes a TOML document: tables, arrays of tables and key/value pairs whose strings
// are always escaped here, whatever checked them before. The first problem (a string that is
// not UTF-8) is kept and returned by bytes.
type tomlDoc struct {
	b   bytes.Buffer
	err error
}

// bareKeyRE matches the keys TOML allows unquoted.
var bareKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// tomlKey returns a key bare when TOML allows it, quoted otherwise.
func tomlKey(k string) (string, error) {
	if bareKeyRE.MatchString(k) {
		return k, nil
	}
	return tomlString(k)
}

// tomlString returns s as a TOML basic string: quotes and backslashes escaped, and every
// control character (C0, DEL) escaped, so that no value can end its line or its string.
func tomlString(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("TOML string %q is not UTF-8", s)
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

func (d *tomlDoc) fail(err error) bool {
	if err != nil && d.err == nil {
		d.err = err
	}
	return d.err != nil
}

func (d *tomlDoc) comment(text string) {
	for _, l := range strings.Split(text, "\n") {
		d.b.WriteString(strings.TrimRight("# "+l, " ") + "\n")
	}
}

func (d *tomlDoc) header(open, close string, keys []string) {
	parts := make([]string, len(keys))
	for i, k := range keys {
		q, err := tomlKey(k)
		if d.fail(err) {
			return
		}
		parts[i] = q
	}
	if d.b.Len() > 0 {
		d.b.WriteByte('\n')
	}
	d.b.WriteString(open + strings.Join(parts, ".") + close + "\n")
}

// table starts the table [keys...].
func (d *tomlDoc) table(keys ...string) { d.header("[", "]", keys) }

// arrayTable starts a new element of the array of tables [[keys...]].
func (d *tomlDoc) arrayTable(keys ...string) { d.header("[[", "]]", keys) }

func (d *tomlDoc) set(key, value string) {
	k, err := tomlKey(key)
	if d.fail(err) {
		return
	}
	d.b.WriteString(k + " = " + value + "\n")
}

func (d *tomlDoc) str(key, v string) {
	q, err := tomlString(v)
	if d.fail(err) {
		return
	}
	d.set(key, q)
}

func (d *tomlDoc) strs(key string, vs []string) {
	qs := make([]string, len(vs))
	for i, v := range vs {
		q, err := tomlString(v)
		if d.fail(err) {
			return
		}
		qs[i] = q
	}
	d.set(key, "["+strings.Join(qs, ", ")+"]")
}

func (d *tomlDoc) boolean(key string, v bool) { d.set(key, strconv.FormatBool(v)) }

func (d *tomlDoc) integer(key string, v int) { d.set(key, strconv.Itoa(v)) }

func (d *tomlDoc) bytes() ([]byte, error) {
	if d.err != nil {
		return nil, d.err
	}
	return d.b.Bytes(), nil
}
