package emit

import (
	"bytes"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"kubeforge.dev/kubeforge/compiler/untrusted"
	"kubeforge.dev/kubeforge/render/artifact"
)

// fuzzKey is the key kept outside every fuzzed tree, which links point at.
const fuzzKey = `-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIBwO6Ym6H+PDAu64l3nTI1Qe3ltb0ReDP4bfcw/4RxyboAoGCCqGSM49
AwEHoUQDQgAEqqaJtLAK5vUl9JFUOzJBT1iE5YTqmfLQcVfodUPzD/UfAgrFEFhb
Br8Mv5NXHRBB6s2ZOfTfdMRfl2wZuQ2Plw==
-----END EC PRIVATE KEY-----
`

// fuzzBundle is what the fuzzed trees are compared with.
func fuzzBundle() artifact.Bundle {
	b := artifact.Bundle{Name: "h"}
	b.Add(
		artifact.Dir("/etc/a", 0o700),
		artifact.File("/etc/a/b", 0o600, []byte("b\n")),
		artifact.File("/etc/c", 0o644, []byte("c\nd\n")),
		artifact.Artifact{Path: "/etc/k", Mode: 0o600, Data: []byte("key"), Secret: true},
	)
	b.Sort()
	return b
}

// buildTree lays out under root what data describes, records of: a type byte, a name length,
// a name (sanitized to a relative path), a content length and content. Types: directory,
// file, link (to the outside key, to its directory, or to a name inside), FIFO, hard link to
// the outside key. Records that cannot be made are skipped. It returns what each regular file
// created by content holds.
func buildTree(t *testing.T, root, outside string, data []byte) map[string][]byte {
	written := map[string][]byte{}
	for n := 0; len(data) >= 2 && n < 32; n++ {
		kind, nameLen := data[0]%6, int(data[1]%24)
		data = data[2:]
		name := sanitize(data[:min(nameLen, len(data))])
		data = data[min(nameLen, len(data)):]
		var content []byte
		if len(data) > 0 {
			l := min(int(data[0]), len(data)-1)
			content, data = data[1:1+l], data[1+l:]
		}
		if name == "" {
			continue
		}
		p := filepath.Join(root, name)
		if os.MkdirAll(filepath.Dir(p), 0o755) != nil {
			continue
		}
		switch kind {
		case 0:
			os.Mkdir(p, 0o700)
		case 1:
			if os.WriteFile(p, content, 0o640) == nil {
				written["/"+name] = content
			}
		case 2:
			os.Symlink(filepath.Join(outside, "ca.key"), p)
		case 3:
			os.Symlink(outside, p)
		case 4:
			syscall.Mkfifo(p, 0o644)
		case 5:
			os.Link(filepath.Join(outside, "ca.key"), p)
		}
	}
	return written
}

// sanitize turns fuzz bytes into a relative path of 1 to 3 names from a small alphabet (so
// that names collide and nest), never "." or "..".
func sanitize(b []byte) string {
	var parts []string
	var cur strings.Builder
	for _, c := range b {
		if c%9 == 0 && cur.Len() > 0 {
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte("etcabk.-_"[c%9])
	}
	if cur.Len() > 0 {
		parts = append(parts, cur.String())
	}
	var out []string
	for _, p := range parts {
		if p != "." && p != ".." && len(out) < 3 {
			out = append(out, p)
		}
	}
	return path.Join(out...)
}

// FuzzReadTree builds a bundle tree from fuzz input and diffs a compile against it: nothing
// below a link is seen, links and FIFOs are reported without being opened (a FIFO would
// block), files read back as written, and nothing reported holds the outside key.
func FuzzReadTree(f *testing.F) {
	f.Add([]byte("\x01\x03etc\x02c\n\x00\x05etc.a\x00"))
	f.Add([]byte("\x02\x05etc.c\x00\x03\x03etc\x00\x04\x05etc.b\x00\x05\x05etc.k\x00"))
	f.Add([]byte("\x00\x03etc\x00\x01\x07etc\x00a\x00b\x02b\n\x01\x05etc\x00c\x03x\ny"))
	f.Fuzz(func(t *testing.T, data []byte) {
		outside := t.TempDir()
		if err := os.WriteFile(filepath.Join(outside, "ca.key"), []byte(fuzzKey), 0o600); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		root := filepath.Join(dir, "h")
		os.Mkdir(root, 0o755)
		written := buildTree(t, root, outside, data)

		tr, ok, err := readTree(root)
		if err != nil || !ok {
			t.Fatalf("readTree: %v %v", ok, err)
		}
		for p, e := range tr {
			if !strings.HasPrefix(e.Disk, root+"/") || nodePath(root, e.Disk) != p {
				t.Fatalf("%s: read from %s", p, e.Disk)
			}
			for parent := path.Dir(p); parent != "/"; parent = path.Dir(parent) {
				if pe, ok := tr[parent]; !ok || !pe.isDir() {
					t.Fatalf("%s is listed below %s, which is not a directory of the tree", p, parent)
				}
			}
			switch {
			case e.Mode&os.ModeSymlink != 0 && e.Problem != "is a symbolic link; not followed",
				e.Mode&os.ModeNamedPipe != 0 && !strings.Contains(e.Problem, "FIFO"),
				e.Mode.IsRegular() && e.Problem != "",
				e.isDir() && e.Problem != "":
				t.Fatalf("%s (%v): problem %q", p, e.Mode, e.Problem)
			}
			if want, ok := written[p]; ok && e.Mode.IsRegular() {
				got, err := e.read()
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("%s: read %q, %v; wrote %q", p, got, err, want)
				}
			}
		}

		changes, err := Diff(dir, []artifact.Bundle{fuzzBundle()})
		if err != nil {
			t.Fatalf("Diff: %v", err)
		}
		out := printed(t, changes)
		for _, l := range keyLines([]byte(fuzzKey)) {
			if strings.Contains(out, l) {
				t.Fatalf("diff reports a line of the outside key:\n%s", out)
			}
		}
		if untrusted.ContainsPrivateKey([]byte(out)) {
			t.Fatalf("diff reports key material:\n%s", out)
		}
	})
}
