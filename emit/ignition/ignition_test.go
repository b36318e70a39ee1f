package ignition

import (
	"bytes"
	"compress/gzip"
	"io"
	"slices"
	"strings"
	"testing"

	v34 "github.com/coreos/ignition/v2/config/v3_4"
	"github.com/coreos/ignition/v2/config/v3_4/types"
	"github.com/vincent-petithory/dataurl"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/emit/emittest"
	"kubeforge.dev/kubeforge/render/artifact"
)

// parse checks the config with Ignition's own parser: any report entry, warnings included,
// fails the test.
func parse(t *testing.T, b artifact.Bundle) types.Config {
	t.Helper()
	raw, err := Config(b)
	if err != nil {
		t.Fatal(err)
	}
	cfg, rpt, err := v34.Parse(raw)
	if err != nil || len(rpt.Entries) > 0 {
		t.Fatalf("%s: ignition parse: %v\n%s", b.Name, err, rpt.String())
	}
	if bytes.Contains(raw, []byte("{}")) || bytes.Contains(raw, []byte("[]")) {
		t.Errorf("%s: config has empty fields:\n%s", b.Name, raw)
	}
	return cfg
}

// decode returns a resource's bytes as Ignition reads them: data URL, then decompression.
func decode(t *testing.T, r types.Resource) []byte {
	t.Helper()
	u, err := dataurl.DecodeString(*r.Source)
	if err != nil {
		t.Fatal(err)
	}
	if r.Compression == nil {
		return u.Data
	}
	if *r.Compression != "gzip" {
		t.Fatalf("compression %q", *r.Compression)
	}
	zr, err := gzip.NewReader(bytes.NewReader(u.Data))
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestRoundTrip parses every config and finds each artifact in it with its content, mode and
// owner: files and directories in storage, the kubelet unit and drop-in under systemd.
func TestRoundTrip(t *testing.T) {
	for _, b := range emittest.Bundles() {
		cfg := parse(t, b)
		if cfg.Ignition.Version != "3.4.0" {
			t.Errorf("%s: version %s", b.Name, cfg.Ignition.Version)
		}
		files := map[string]types.File{}
		for _, f := range cfg.Storage.Files {
			files[f.Path] = f
		}
		dirs := map[string]types.Directory{}
		for _, d := range cfg.Storage.Directories {
			dirs[d.Path] = d
		}
		units := map[string]types.Unit{}
		for _, u := range cfg.Systemd.Units {
			units[u.Name] = u
		}
		// containerd's drop-in names the unit it restarts but is a file of containerd's: Ignition
		// writes it before containerd first starts, so the unit needs no entry.
		if u, ok := units["containerd.service"]; ok {
			t.Errorf("%s: containerd's configuration became a unit entry: %+v", b.Name, u)
		}
		kubelet, ok := units["kubelet.service"]
		if !ok || kubelet.Enabled == nil || !*kubelet.Enabled {
			t.Fatalf("%s: kubelet.service missing or not enabled: %+v", b.Name, kubelet)
		}
		for _, a := range b.Artifacts {
			switch {
			case a.IsDir():
				d, ok := dirs[a.Path]
				if !ok || d.Mode == nil || *d.Mode != int(a.Mode.Perm()) {
					t.Errorf("%s: directory %s missing or with mode %v", b.Name, a.Path, d.Mode)
				}
			case a.Path == compiler.KubeletUnitPath:
				if kubelet.Contents == nil || *kubelet.Contents != string(a.Data) {
					t.Errorf("%s: kubelet unit contents differ", b.Name)
				}
			case strings.HasPrefix(a.Path, compiler.KubeletDropInDir+"/"):
				i := slices.IndexFunc(kubelet.Dropins, func(d types.Dropin) bool {
					return compiler.KubeletDropInDir+"/"+d.Name == a.Path
				})
				if i < 0 || *kubelet.Dropins[i].Contents != string(a.Data) {
					t.Errorf("%s: drop-in %s missing or different", b.Name, a.Path)
				}
			default:
				f, ok := files[a.Path]
				if !ok {
					t.Errorf("%s: %s missing", b.Name, a.Path)
					continue
				}
				if f.Mode == nil || *f.Mode != int(a.Mode.Perm()) {
					t.Errorf("%s: %s has mode %v, want %o", b.Name, a.Path, f.Mode, a.Mode.Perm())
				}
				if f.User.ID != nil || f.Group.ID != nil || f.Overwrite == nil || !*f.Overwrite {
					t.Errorf("%s: %s: owner %v:%v overwrite %v, want root's, overwritten", b.Name, a.Path, f.User.ID, f.Group.ID, f.Overwrite)
				}
				if got := decode(t, f.Contents); !bytes.Equal(got, a.Data) {
					t.Errorf("%s: %s content differs:\n%s", b.Name, a.Path, got)
				}
			}
		}
		if n := len(b.Artifacts); len(files)+len(dirs)+1+len(kubelet.Dropins) != n {
			t.Errorf("%s: %d files, %d directories, kubelet and %d drop-ins for %d artifacts",
				b.Name, len(files), len(dirs), len(kubelet.Dropins), n)
		}
	}
}

func TestCompression(t *testing.T) {
	b := artifact.Bundle{Name: "h"}
	b.Add(
		artifact.File("/etc/small", 0o644, []byte("x=1\n")),
		artifact.File("/etc/large", 0o644, bytes.Repeat([]byte("compressible line\n"), 100)),
	)
	cfg := parse(t, b)
	for _, f := range cfg.Storage.Files {
		compressed := f.Contents.Compression != nil
		if compressed != (f.Path == "/etc/large") {
			t.Errorf("%s: compressed %v", f.Path, compressed)
		}
	}
}

// TestOddUnits covers a unit file Ignition cannot write with its mode, and a non-root file.
func TestOddUnits(t *testing.T) {
	b := artifact.Bundle{Name: "h"}
	b.Add(
		artifact.File("/etc/systemd/system/private.service", 0o600, []byte("[Service]\nExecStart=/opt/bin/x\n[Install]\nWantedBy=multi-user.target\n")).
			OfUnit("private.service"),
		artifact.Artifact{Path: "/var/lib/app/data", Mode: 0o640, UID: 1000, GID: 1001, Data: []byte("d")},
	)
	cfg := parse(t, b)
	if len(cfg.Systemd.Units) != 1 || cfg.Systemd.Units[0].Contents != nil || !*cfg.Systemd.Units[0].Enabled {
		t.Errorf("units %+v, want private.service enabled without contents", cfg.Systemd.Units)
	}
	for _, f := range cfg.Storage.Files {
		if f.Path == "/var/lib/app/data" && (*f.User.ID != 1000 || *f.Group.ID != 1001 || *f.Mode != 0o640) {
			t.Errorf("%s: owner %d:%d mode %o", f.Path, *f.User.ID, *f.Group.ID, *f.Mode)
		}
	}
	if len(cfg.Storage.Files) != 2 {
		t.Errorf("%d files, want 2", len(cfg.Storage.Files))
	}
}

// A unit whose bytes are not UTF-8 cannot be a JSON string: it is written as a file, exactly,
// and still enabled.
func TestNonUTF8Unit(t *testing.T) {
	data := []byte("[Service]\nExecStart=/opt/bin/x caf\xe9 \"{{ x }}\"\n[Install]\nWantedBy=multi-user.target\n")
	b := artifact.Bundle{Name: "h"}
	b.Add(artifact.File("/etc/systemd/system/latin1.service", 0o644, data).OfUnit("latin1.service"))
	cfg := parse(t, b)
	if len(cfg.Systemd.Units) != 1 || cfg.Systemd.Units[0].Contents != nil || !*cfg.Systemd.Units[0].Enabled {
		t.Errorf("units %+v, want latin1.service enabled without contents", cfg.Systemd.Units)
	}
	if len(cfg.Storage.Files) != 1 || !bytes.Equal(decode(t, cfg.Storage.Files[0].Contents), data) {
		t.Errorf("files %+v, want the unit's exact bytes", cfg.Storage.Files)
	}
}

func TestDeterministic(t *testing.T) {
	for _, b := range emittest.Bundles() {
		first, err := Config(b)
		if err != nil {
			t.Fatal(err)
		}
		slices.Reverse(b.Artifacts)
		second, err := Config(b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) {
			t.Errorf("%s: two configs differ", b.Name)
		}
	}
}

func TestRejectsUsr(t *testing.T) {
	b := artifact.Bundle{Name: "h", Artifacts: []artifact.Artifact{artifact.File(compiler.KubeletBinary, 0o755, []byte("ELF"))}}
	if _, err := Config(b); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("got %v, want an error about read-only /usr", err)
	}
}
