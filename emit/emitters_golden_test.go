package emit

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"

	"go.yaml.in/yaml/v3"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/compiler/untrusted"
	"kubeforge.dev/kubeforge/emit/ansible"
	"kubeforge.dev/kubeforge/emit/cloudinit"
	"kubeforge.dev/kubeforge/emit/ignition"
	"kubeforge.dev/kubeforge/render"
	"kubeforge.dev/kubeforge/render/pki"
)

var update = flag.Bool("update", false, "rewrite testdata/emitters from a fresh compile")

// emittersDir holds, per example, the Ansible project (without files/, the bundles' own
// bytes, which golden/ covers), the cloud-init user-data and the Ignition configs a seeded
// compile gives.
const emittersDir = "testdata/emitters"

// TestEmittersGolden compiles every example with a PKI made deterministic (pinned clock, seeded
// randomness, one worker) and redacted, and compares the Ansible project, the cloud-init
// user-data and the Ignition configs byte for byte with testdata/emitters: what installs the
// files and what makes them take effect (handlers, runcmd, units) must change only on purpose. Regenerate with
// `go test ./emit -run TestEmittersGolden -update` and review the diff.
func TestEmittersGolden(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, ex := range compilertest.Examples {
		name := strings.TrimSuffix(ex, filepath.Ext(ex))
		t.Run(name, func(t *testing.T) {
			got := emittersOutput(t, compilertest.Load(t, ex))
			dir := filepath.Join(emittersDir, name)
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				for rel, data := range got {
					p := filepath.Join(dir, filepath.FromSlash(rel))
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			seen := map[string]bool{}
			err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel := filepath.ToSlash(strings.TrimPrefix(p, dir+string(filepath.Separator)))
				seen[rel] = true
				want, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				if data, ok := got[rel]; !ok {
					t.Errorf("%s: no longer emitted", p)
				} else if !bytes.Equal(data, want) {
					t.Errorf("%s differs from a fresh emit; review with `go test ./emit -run TestEmittersGolden -update && git diff`", p)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for rel := range got {
				if !seen[rel] {
					t.Errorf("%s/%s: emitted but not in the golden files", dir, rel)
				}
			}
		})
	}
}

// emittersOutput returns the Ansible project (files/ aside) and every host's user-data and
// Ignition config, by path relative to the output root.
func emittersOutput(t *testing.T, c *compiler.Cluster) map[string][]byte {
	t.Helper()
	cryptotest.SetGlobalRandom(t, 1)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	res, err := render.Compile(c, render.Options{PKI: &pki.Options{Now: func() time.Time { return now }}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.Hosts {
		res.Hosts[i] = Redact(res.Hosts[i])
	}
	out := map[string][]byte{}
	project, err := ansible.Playbook(res.Hosts, inventory(c), ansible.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for rel, f := range project {
		if !strings.HasPrefix(rel, "files/") {
			out[compiler.AnsibleDir+"/"+rel] = f.Data
		}
	}
	for _, b := range res.Hosts {
		data, _, err := cloudinit.UserData(b, cloudinit.Options{})
		if err != nil {
			t.Fatal(err)
		}
		refuseKeys(t, b.Name, data)
		out[compiler.CloudInitDir+"/"+b.Name+compiler.CloudInitSuffix] = data
		ign, err := ignition.Config(b)
		if err != nil {
			t.Fatal(err)
		}
		refuseIgnitionKeys(t, b.Name, ign)
		out[compiler.IgnitionDir+"/"+b.Name+compiler.IgnitionSuffix] = ign
	}
	return out
}

// refuseKeys fails the test when user-data would put key material into the golden files: every
// file's content is compressed there, so a redaction missed would not show in a grep.
func refuseKeys(t *testing.T, host string, userData []byte) {
	t.Helper()
	var ud struct {
		WriteFiles []struct{ Path, Encoding, Content string } `yaml:"write_files"`
	}
	if err := yaml.Unmarshal(userData, &ud); err != nil {
		t.Fatalf("%s: user-data: %v", host, err)
	}
	for _, f := range ud.WriteFiles {
		if f.Encoding != "gz+b64" {
			t.Fatalf("%s: %s: encoding %q, want gz+b64", host, f.Path, f.Encoding)
		}
		gz, err := base64.StdEncoding.DecodeString(f.Content)
		if err != nil {
			t.Fatalf("%s: %s: %v", host, f.Path, err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatalf("%s: %s: %v", host, f.Path, err)
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %s: %v", host, f.Path, err)
		}
		if untrusted.ContainsPrivateKey(data) {
			t.Fatalf("%s: %s holds a private key; golden files must not", host, f.Path)
		}
	}
}

// refuseIgnitionKeys is refuseKeys for an Ignition config, whose files are base64 data URLs,
// gzipped when that saves space, and whose units are plain text.
func refuseIgnitionKeys(t *testing.T, host string, config []byte) {
	t.Helper()
	var cfg struct {
		Storage struct {
			Files []struct {
				Path     string
				Contents struct {
					Source      string
					Compression string
				}
			}
		}
		Systemd struct {
			Units []struct {
				Name     string
				Contents string
				Dropins  []struct{ Name, Contents string }
			}
		}
	}
	if err := json.Unmarshal(config, &cfg); err != nil {
		t.Fatalf("%s: ignition: %v", host, err)
	}
	for _, f := range cfg.Storage.Files {
		enc, ok := strings.CutPrefix(f.Contents.Source, "data:;base64,")
		if !ok {
			t.Fatalf("%s: %s: source %.40q, want a base64 data URL", host, f.Path, f.Contents.Source)
		}
		data, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			t.Fatalf("%s: %s: %v", host, f.Path, err)
		}
		if f.Contents.Compression == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s: %s: %v", host, f.Path, err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				t.Fatalf("%s: %s: %v", host, f.Path, err)
			}
		}
		if untrusted.ContainsPrivateKey(data) {
			t.Fatalf("%s: %s holds a private key; golden files must not", host, f.Path)
		}
	}
	for _, u := range cfg.Systemd.Units {
		texts := []string{u.Contents}
		for _, d := range u.Dropins {
			texts = append(texts, d.Contents)
		}
		for _, text := range texts {
			if untrusted.ContainsPrivateKey([]byte(text)) {
				t.Fatalf("%s: unit %s holds a private key; golden files must not", host, u.Name)
			}
		}
	}
}
