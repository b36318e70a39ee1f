package kubelet

import (
	"bytes"
	"kubeforge.dev/kubeforge/render/internal/unit"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/testenv"
)

// How systemd itself reads the units, without systemd running: `systemd --test --system`
// loads a unit with its drop-ins and dumps what it parsed (Environment= assignments as stored,
// Exec command lines with specifiers resolved and quotes removed). It refuses to run as root,
// so it runs as nobody, and it finds the units through SYSTEMD_UNIT_PATH. EnvironmentFile= is
// read only when a service starts, which needs systemd as PID 1: that file is read with
// systemd's documented grammar and, for comparison, by a POSIX shell (see envFileValue).

// loadedUnit is what systemd parsed of a service.
type loadedUnit struct {
	env      map[string]string // Environment= assignments
	envFiles []string          // EnvironmentFile= paths, with a '-' prefix when optional
	exec     [][]string        // ExecStart command lines, as argv before variable substitution
}

const systemdBinary = "/lib/systemd/systemd"

// systemdLoad has systemd load the named services from the artifacts' unit files. A service
// that only gets drop-ins gets a stand-in unit, as its package would install it.
func systemdLoad(t *testing.T, arts []artifact.Artifact, services ...string) map[string]loadedUnit {
	t.Helper()
	if _, err := os.Stat(systemdBinary); err != nil {
		testenv.Missing(t, "systemd not installed: %v", err)
	}
	var asNobody []string
	if os.Geteuid() == 0 {
		testenv.Tool(t, "setpriv") // systemd --test refuses to run as root
		asNobody = []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}
	}
	dir, err := os.MkdirTemp("", "kubeforge-units-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	write := func(rel string, data []byte) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		if rel, ok := strings.CutPrefix(a.Path, compiler.SystemdUnitDir+"/"); ok {
			write(rel, a.Data)
		}
	}
	for _, svc := range services {
		if _, err := os.Stat(filepath.Join(dir, svc)); os.IsNotExist(err) {
			write(svc, []byte("[Service]\nExecStart=/usr/bin/"+strings.TrimSuffix(svc, ".service")+"\n"))
		}
	}
	// Only these units are visible, so the ones every service depends on are stand-ins.
	for _, u := range []string{"sysinit.target", "basic.target", "shutdown.target", "system.slice"} {
		write(u, []byte("[Unit]\nDescription=stand-in\n"))
	}
	// No generator runs: they would probe this machine.
	generators := filepath.Join(dir, "no-generators")
	if err := os.Mkdir(generators, 0o755); err != nil {
		t.Fatal(err)
	}
	out := map[string]loadedUnit{}
	for _, svc := range services {
		args := append(asNobody, "env", "-i", "SYSTEMD_UNIT_PATH="+dir, "SYSTEMD_GENERATOR_PATH="+generators,
			"SYSTEMD_ENVIRONMENT_GENERATOR_PATH="+generators, "SYSTEMD_LOG_LEVEL=err", systemdBinary, "--test", "--system", "--unit="+svc)
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = dir
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Fatalf("systemd --test --unit=%s: %v\n%s", svc, err, stderr.String())
		}
		u, ok := parseDump(t, stdout.String(), svc)
		if !ok {
			t.Fatalf("systemd did not dump %s:\n%s", svc, stdout.String())
		}
		out[svc] = u
	}
	return out
}

// parseDump reads a unit's block of systemd's dump.
func parseDump(t *testing.T, dump, unit string) (loadedUnit, bool) {
	t.Helper()
	_, rest, ok := strings.Cut(dump, "-> Unit "+unit+":\n")
	if !ok {
		return loadedUnit{}, false
	}
	if i := strings.Index(rest, "-> Unit "); i >= 0 {
		rest = rest[:i]
	}
	u := loadedUnit{env: map[string]string{}}
	inExecStart := false
	for line := range strings.Lines(rest) {
		line = strings.TrimSuffix(line, "\n")
		field := strings.TrimLeft(line, "\t")
		switch {
		case strings.HasPrefix(field, "Environment: "):
			k, v, _ := strings.Cut(strings.TrimPrefix(field, "Environment: "), "=")
			u.env[k] = v
		case strings.HasPrefix(field, "EnvironmentFile: "):
			u.envFiles = append(u.envFiles, strings.TrimPrefix(field, "EnvironmentFile: "))
		case strings.HasPrefix(field, "-> "):
			inExecStart = field == "-> ExecStart:"
		case inExecStart && strings.HasPrefix(field, "Command Line: "):
			u.exec = append(u.exec, dumpWords(t, strings.TrimPrefix(field, "Command Line: ")))
		}
	}
	return u, true
}

// dumpWords splits a command line as systemd's dump quotes it: words separated by spaces, a
// word needing it in double quotes with '"', '\', '`' and '$' escaped by a backslash.
func dumpWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	for s != "" {
		if s[0] != '"' {
			w, rest, _ := strings.Cut(s, " ")
			words, s = append(words, w), rest
			continue
		}
		var b strings.Builder
		i := 1
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			b.WriteByte(s[i])
		}
		if i >= len(s) {
			t.Fatalf("unterminated quote in dumped command line %q", s)
		}
		words, s = append(words, b.String()), strings.TrimPrefix(s[i+1:], " ")
	}
	return words
}

// execArgv returns the argv systemd runs for a command line, with env as the service's
// environment (systemd.service(5), "Command lines"): "$$" is a '$', "${NAME}" the variable's
// value, and a word that is exactly "$NAME" becomes the words of the value, split at
// whitespace with quotes and backslashes interpreted (systemd's EXTRACT_UNQUOTE|EXTRACT_RELAX).
func execArgv(words []string, env map[string]string) []string {
	var argv []string
	for _, w := range words {
		if name, ok := strings.CutPrefix(w, "$"); ok && unit.EnvName.MatchString(name) {
			argv = append(argv, splitUnquote(env[name])...)
			continue
		}
		var b strings.Builder
		for i := 0; i < len(w); i++ {
			switch {
			case strings.HasPrefix(w[i:], "$$"):
				b.WriteByte('$')
				i++
			case strings.HasPrefix(w[i:], "${"):
				end := strings.IndexByte(w[i:], '}')
				b.WriteString(env[w[i+2:i+end]])
				i += end
			default:
				b.WriteByte(w[i])
			}
		}
		argv = append(argv, b.String())
	}
	return argv
}

// splitUnquote splits s into words the way systemd splits an unbraced $NAME: at spaces, tabs
// and line breaks, with '...' and "..." quoting and a backslash escaping the next character.
func splitUnquote(s string) []string {
	var words []string
	var b strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote == '\'':
			b.WriteByte(c)
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
			inWord = true
		case quote == 0 && (c == '\'' || c == '"'):
			quote, inWord = c, true
		case quote == 0 && strings.IndexByte(" \t\n\r", c) >= 0:
			if inWord {
				words, inWord = append(words, b.String()), false
				b.Reset()
			}
		default:
			b.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, b.String())
	}
	return words
}

// envFileValue returns the value of name in an EnvironmentFile, read twice and required to
// agree: with systemd's grammar (systemd.exec(5), EnvironmentFile=: a double-quoted value
// keeps everything up to the closing quote, a backslash escaping '"', '\', '`' and '$' and
// kept before any other character), and by a POSIX shell sourcing the file.
func envFileValue(t *testing.T, data []byte, name string) string {
	t.Helper()
	var value string
	found := false
	for line := range strings.Lines(string(data)) {
		k, v, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
		if !ok || k != name {
			continue
		}
		if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			t.Fatalf("%s is not one double-quoted value: %q", name, line)
		}
		var b strings.Builder
		inner := v[1 : len(v)-1]
		for i := 0; i < len(inner); i++ {
			c := inner[i]
			if c == '"' {
				t.Fatalf("unescaped quote inside %s: %q", name, line)
			}
			if c == '\\' && i+1 < len(inner) && strings.IndexByte("\"\\`$", inner[i+1]) >= 0 {
				i++
				c = inner[i]
			}
			b.WriteByte(c)
		}
		value, found = b.String(), true
	}
	if !found {
		t.Fatalf("no %s in %q", name, data)
	}
	if sh, err := exec.LookPath("sh"); err == nil {
		f := filepath.Join(t.TempDir(), "env")
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("env", "-i", sh, "-c", `. "$1" && printf %s "$`+name+`"`, "sh", f)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("sh sourcing %q: %v", data, err)
		}
		if string(out) != value {
			t.Errorf("%s: the shell reads %q, systemd's grammar %q", name, out, value)
		}
	}
	return value
}
