package description

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// printed loads and decodes a description and returns its diagnostics as the CLI prints them.
func printed(t *testing.T, paths ...string) (string, diag.List) {
	t.Helper()
	src, ds := Load(paths...)
	if !ds.HasErrors() {
		_, ds = Decode(src)
	}
	var b bytes.Buffer
	if err := diag.WriteText(&b, ds, src.Files); err != nil {
		t.Fatal(err)
	}
	return b.String(), ds
}

// terminalSafe reports the first character of printed text a terminal would act on or that
// would hide text.
func terminalSafe(out string) (rune, bool) {
	for _, r := range out {
		if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0x2028 || r == 0x2029 || isBidiControl(r) || r == utf8.RuneError {
			return r, false
		}
	}
	return 0, true
}

// TestHostileCorpusPrintsSafely prints the diagnostics of every hostile description as the
// CLI does: nothing a terminal acts on, and no line longer than an excerpt.
func TestHostileCorpusPrintsSafely(t *testing.T) {
	paths, err := filepath.Glob("../testdata/hostile/*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range paths {
		if strings.HasSuffix(p, ".want") {
			continue
		}
		n++
		out, _ := printed(t, p)
		if r, ok := terminalSafe(out); !ok {
			t.Errorf("%s: output holds %U:\n%s", p, r, out)
		}
		for _, l := range strings.Split(out, "\n") {
			if utf8.RuneCountInString(l) > 700 {
				t.Errorf("%s: a line of %d characters:\n%.300s", p, len(l), l)
			}
		}
	}
	if n < 35 {
		t.Errorf("only %d hostile descriptions", n)
	}
}

// TestKeyFileNeverQuoted loads a description that is a link to a private key, and one holding
// a key in a value: no line of either is printed.
func TestKeyFileNeverQuoted(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalECPrivateKey(k)
	key := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
	dir := t.TempDir()
	write(t, filepath.Join(dir, "ca.key"), string(key))
	if err := os.Symlink(filepath.Join(dir, "ca.key"), filepath.Join(dir, "cluster.yaml")); err != nil {
		t.Fatal(err)
	}
	inline := strings.Replace(yamlHead, "name: t\n", "name: |\n  "+strings.ReplaceAll(string(key), "\n", "\n  ")+"\n", 1)
	write(t, filepath.Join(dir, "inline.yaml"), inline)
	for _, f := range []string{"cluster.yaml", "inline.yaml"} {
		out, ds := printed(t, filepath.Join(dir, f))
		if !ds.HasErrors() {
			t.Fatalf("%s: no errors", f)
		}
		for _, l := range strings.Split(string(key), "\n")[:3] {
			if strings.Contains(out, l[:16]) {
				t.Errorf("%s: key material printed:\n%s", f, out)
			}
		}
		if !strings.Contains(out, "private key material") {
			t.Errorf("%s: no note that lines are withheld:\n%s", f, out)
		}
	}
}
