package diag

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Escape returns s with every character a terminal would act on, or that would hide or
// reorder text, written as a Go escape: C0 and C1 controls (\n, \x1b, \u0085), DEL,
// bidirectional controls (\u202e), line and paragraph separators, other invisible format
// characters, and bytes that are not UTF-8 (\xff). Printable text, including letters of any
// script, is left alone; backslashes are not doubled, so the result is for reading, not for
// parsing back.
func Escape(s string) string {
	return escape(s, false)
}

func escape(s string, tabAsSpace bool) string {
	if isSafe(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t' && tabAsSpace:
			b.WriteByte(' ')
		case r == ' ' || strconv.IsPrint(r):
			b.WriteString(s[i : i+n])
		default:
			b.WriteString(escapeRune(r))
		}
		i += n
	}
	return b.String()
}

// isSafe reports whether s needs no escaping (the common case: plain ASCII text).
func isSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

func escapeRune(r rune) string {
	switch r {
	case '\a':
		return `\a`
	case '\b':
		return `\b`
	case '\f':
		return `\f`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	case '\v':
		return `\v`
	}
	switch {
	case r < 0x80:
		return fmt.Sprintf(`\x%02x`, r)
	case r <= 0xffff:
		return fmt.Sprintf(`\u%04x`, r)
	}
	return fmt.Sprintf(`\U%08x`, r)
}

// Excerpt bounds: a line longer than excerptWidth bytes is shown as a window of that many
// bytes, starting excerptBefore bytes before the column.
const (
	excerptWidth  = 120
	excerptBefore = 40
)

// excerpt returns what to show of a source line for a diagnostic at column col (a byte
// column from 1, 0 when unknown), escaped, and how many characters precede the caret in it.
// Tabs show as spaces, so the caret stays under its column.
func excerpt(line string, col int) (string, int) {
	at := min(max(col-1, 0), len(line))
	start, end := 0, len(line)
	if len(line) > excerptWidth {
		start = runeStart(line, max(0, at-excerptBefore))
		end = runeStart(line, min(len(line), start+excerptWidth))
		if end == len(line) {
			start = runeStart(line, end-excerptWidth)
		}
	}
	at = max(at, start)
	var prefix, suffix string
	if start > 0 {
		prefix = "…"
	}
	if end < len(line) {
		suffix = "…"
	}
	before := prefix + escape(line[start:runeStart(line, at)], true)
	return before + escape(line[runeStart(line, at):end], true) + suffix, utf8.RuneCountInString(before)
}

// runeStart moves offset i back to the start of the UTF-8 sequence it falls in (at most 3
// bytes: invalid bytes are their own start).
func runeStart(s string, i int) int {
	for j := 0; j < utf8.UTFMax-1 && i > 0 && i < len(s) && !utf8.RuneStart(s[i]); j++ {
		i--
	}
	return i
}
