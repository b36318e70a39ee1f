//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// unitCommand returns the command line systemd would run for a unit of a host: the unit file
// and its drop-ins (in name order) read from the host's bundle; the last ExecStart after the
// last reset; Environment= and EnvironmentFile= (read at their node paths in the bundle, or
// from this machine, the node's operating system; '-' files may be absent); $VAR expanded to
// words and ${VAR} to one word, as systemd.service(5) says. Only what kubelet units use is
// supported; anything else is an error rather than a guess.
func unitCommand(h *simHost, unitPath string) ([]string, error) {
	files := []string{h.path(unitPath)}
	dropIns, _ := filepath.Glob(h.path(unitPath + ".d/*.conf"))
	files = append(files, dropIns...) // Glob sorts
	env := map[string]string{}
	var exec string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		section := ""
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || line[0] == '#' || line[0] == ';' {
				continue
			}
			if strings.HasSuffix(line, `\`) {
				return nil, fmt.Errorf("%s: line continuations are not supported: %s", f, line)
			}
			if line[0] == '[' {
				section = strings.Trim(line, "[]")
				continue
			}
			key, value, ok := strings.Cut(line, "=")
			if !ok || section != "Service" {
				continue
			}
			switch strings.TrimSpace(key) {
			case "Environment":
				words, err := unitWords(value)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", f, err)
				}
				for _, w := range words {
					k, v, _ := strings.Cut(w, "=")
					env[k] = v
				}
			case "EnvironmentFile":
				if err := readEnvironmentFile(h, value, env); err != nil {
					return nil, fmt.Errorf("%s: %w", f, err)
				}
			case "ExecStart":
				exec = value // an empty value resets
			}
		}
	}
	if exec == "" {
		return nil, fmt.Errorf("%s: no ExecStart", unitPath)
	}
	return expandExec(exec, env)
}

// readEnvironmentFile adds the assignments of an EnvironmentFile= value to env.
func readEnvironmentFile(h *simHost, value string, env map[string]string) error {
	optional := strings.HasPrefix(value, "-")
	path := strings.TrimPrefix(value, "-")
	data, err := os.ReadFile(h.path(path))
	if os.IsNotExist(err) {
		data, err = os.ReadFile(path)
	}
	if os.IsNotExist(err) && optional {
		return nil
	}
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return fmt.Errorf("%s: not an assignment: %s", path, line)
		}
		words, err := unitWords(v)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		env[strings.TrimSpace(k)] = strings.Join(words, " ")
	}
	return nil
}

var unitVar = regexp.MustCompile(`^\$([A-Za-z_][A-Za-z0-9_]*)$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandExec splits an ExecStart value into argv, expanding variables.
func expandExec(exec string, env map[string]string) ([]string, error) {
	if strings.ContainsAny(exec[:1], "-@:+!") {
		return nil, fmt.Errorf("ExecStart prefixes are not supported: %s", exec)
	}
	words, err := unitWords(exec)
	if err != nil {
		return nil, err
	}
	var argv []string
	for _, w := range words {
		if m := unitVar.FindStringSubmatch(w); m != nil && m[1] != "" {
			argv = append(argv, strings.Fields(env[m[1]])...) // $VAR: split into words
			continue
		}
		w = unitVar.ReplaceAllStringFunc(w, func(v string) string {
			return env[unitVar.FindStringSubmatch(v)[2]]
		})
		argv = append(argv, strings.ReplaceAll(w, "$$", "$"))
	}
	return argv, nil
}

// unitWords splits a unit value into words: double or single quotes group, backslash escapes
// inside double quotes; "%%" is a literal '%'.
func unitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote == '"' && c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case quote != 0:
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote in %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	for i, w := range words {
		words[i] = strings.ReplaceAll(w, "%%", "%")
	}
	return words, nil
}
