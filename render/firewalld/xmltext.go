package firewalld

import (
	"encoding/xml"
	"fmt"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"
)

// firewalld's files are XML 1.0 written by encoding/xml, which escapes markup in text and
// attributes but replaces characters XML cannot represent by U+FFFD without a word, and fails
// on a comment holding "--". So: user text reaches comments only through commentText, and
// marshal refuses any string XML 1.0 would not carry as it is.

// commentText returns s for an XML comment: a '-' after a '-' (or at the end, before "-->")
// is written as "&#45;". A comment decodes no references, so this is for the reader only; the
// text itself is in the file's <description>.
func commentText(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r == '-' && (i > 0 && s[i-1] == '-' || i == len(s)-1) {
			b.WriteString("&#45;")
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// marshal returns v as an indented XML document ending in a newline, or an error naming a
// string XML cannot hold: a control character (firewalld's names and descriptions are one
// line), a character outside XML 1.0's, invalid UTF-8, or "--" in a comment.
func marshal(v any) ([]byte, error) {
	if err := checkStrings(reflect.ValueOf(v), ""); err != nil {
		return nil, err
	}
	body, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(append([]byte(xml.Header), body...), '\n'), nil
}

// checkStrings walks every string marshal would write.
func checkStrings(v reflect.Value, tag string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return checkStrings(v.Elem(), tag)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if err := checkStrings(v.Field(i), f.Tag.Get("xml")); err != nil {
				return fmt.Errorf("%s: %w", f.Name, err)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if err := checkStrings(v.Index(i), tag); err != nil {
				return err
			}
		}
	case reflect.String:
		return checkXMLText(v.String(), strings.HasSuffix(tag, ",comment"))
	}
	return nil
}

func checkXMLText(s string, comment bool) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%q is not valid UTF-8", s)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == 0xFFFE || r == 0xFFFF {
			return fmt.Errorf("%q holds %U, which firewalld's XML cannot carry", s, r)
		}
	}
	if comment && (strings.Contains(s, "--") || strings.HasSuffix(s, "-")) {
		return fmt.Errorf("comment %q holds \"--\" or ends in '-'", s)
	}
	return nil
}
