package runtime

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/testenv"
)

// The files are checked by what reads them: containerd's own configuration loader
// (`containerd config dump`, Debian 12's containerd 1.6) for configuration version 2, and for
// version 3, which that containerd cannot load, and for hosts.toml, go-toml v2 (the parser
// containerd itself uses) decoding strictly into the fields containerd reads.

// containerdBinary returns the path of containerd, ending the test as testenv.Missing does
// without it (CI installs it: apt-get install containerd).
func containerdBinary(t *testing.T) string {
	t.Helper()
	return testenv.Tool(t, "containerd")
}

// debianStock is Debian 12's /etc/containerd/config.toml, with the imports line an
// administrator adds for drop-ins (containerd before 2.2 has none).
const debianStock = `version = 2

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "/etc/cni/net.d"
  [plugins."io.containerd.internal.v1.opt"]
    path = "/var/lib/containerd/opt"
`

// dump runs `containerd --config main config dump` and returns its CRI plugin section.
func dump(t *testing.T, bin, main string) map[string]any {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "--config", main, "config", "dump")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("containerd config dump: %v\n%s", err, stderr.String())
	}
	var cfg map[string]any
	if err := toml.Unmarshal(out, &cfg); err != nil {
		t.Fatalf("parsing the dump: %v\n%s", err, out)
	}
	cri, _ := dig(cfg, "plugins", "io.containerd.grpc.v1.cri").(map[string]any)
	if cri == nil {
		t.Fatalf("no CRI plugin in the dump:\n%s", out)
	}
	return cri
}

// dig returns the value at keys in nested maps, nil when absent.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func TestContainerdLoadsConfig(t *testing.T) {
	bin := containerdBinary(t)
	cases := []struct {
		name, desc string
		systemd    bool
	}{
		{"drop-in 1.6 systemd", "containerRuntime: {containerd: {version: \"1.6\"}}\n", true},
		{"drop-in 1.7 cgroupfs", "containerRuntime: {cgroupDriver: cgroupfs, containerd: {version: \"1.7\"}}\n", false},
		{"complete 1.7", "containerRuntime: {containerd: {version: \"1.7\", config: complete}}\nkubernetesVersion: \"1.35\"\n", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := compile(t, tc.desc)
			fs := files(t, c)
			dir := t.TempDir()
			main := filepath.Join(dir, "config.toml")
			if c.Runtime.Containerd.Complete {
				write(t, main, file(t, fs, compiler.ContainerdConfigPath))
			} else {
				write(t, filepath.Join(dir, "conf.d", filepath.Base(compiler.ContainerdDropInPath)), file(t, fs, compiler.ContainerdDropInPath))
				write(t, main, []byte("imports = ["+q(filepath.Join(dir, "conf.d", "*.toml"))+"]\n"+debianStock))
			}
			cri := dump(t, bin, main)
			if got, want := dig(cri, "sandbox_image"), c.PauseImage(); got != want {
				t.Errorf("sandbox_image = %v, want %s (the pause image of %s)", got, want, c.Version.MinorString())
			}
			if got := dig(cri, "containerd", "runtimes", "runc", "options", "SystemdCgroup"); got != tc.systemd {
				t.Errorf("runc SystemdCgroup = %v, want %v", got, tc.systemd)
			}
			if got := dig(cri, "containerd", "runtimes", "runc", "runtime_type"); got != "io.containerd.runc.v2" {
				t.Errorf("runc runtime_type = %v", got)
			}
			if got := dig(cri, "registry", "config_path"); got != compiler.ContainerdCertsDir {
				t.Errorf("registry config_path = %v, want %s", got, compiler.ContainerdCertsDir)
			}
			if !c.Runtime.Containerd.Complete {
				// containerd 1.x replaces a plugin's whole section with an import's, it does not
				// merge keys: the stock CNI directory is back at its default. The compiler
				// warns about drop-ins for 1.x; this keeps the reason true.
				if got := dig(cri, "cni", "bin_dir"); got != "/opt/cni/bin" {
					t.Errorf("cni bin_dir = %v: containerd merged the stock CRI section with the drop-in; update the compiler's warning", got)
				}
			}
		})
	}
}

func q(s string) string { out, _ := tomlString(s); return out }

func write(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// containerdV3 holds what kubeforge sets in a version 3 configuration (containerd 2.x), as
// containerd 2's CRI image and runtime plugins read it.
type containerdV3 struct {
	Version int `toml:"version"`
	Plugins struct {
		Images struct {
			PinnedImages struct {
				Sandbox string `toml:"sandbox"`
			} `toml:"pinned_images"`
			Registry struct {
				ConfigPath string `toml:"config_path"`
			} `toml:"registry"`
		} `toml:"io.containerd.cri.v1.images"`
		Runtime struct {
			Containerd struct {
				Runtimes struct {
					Runc struct {
						RuntimeType string `toml:"runtime_type"`
						Options     struct {
							SystemdCgroup bool
						} `toml:"options"`
					} `toml:"runc"`
				} `toml:"runtimes"`
			} `toml:"containerd"`
		} `toml:"io.containerd.cri.v1.runtime"`
	} `toml:"plugins"`
}

func TestContainerdV3Layout(t *testing.T) {
	for _, mode := range []string{"drop-in", "complete"} {
		for _, driver := range []string{"systemd", "cgroupfs"} {
			c := compile(t, "containerRuntime: {cgroupDriver: "+driver+", containerd: {version: \"2.1\", config: "+mode+"}}\n")
			p := compiler.ContainerdDropInPath
			if mode == "complete" {
				p = compiler.ContainerdConfigPath
			}
			var cfg containerdV3
			dec := toml.NewDecoder(bytes.NewReader(file(t, files(t, c), p)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&cfg); err != nil {
				t.Fatalf("%s %s: %v", mode, driver, err)
			}
			im, rc := cfg.Plugins.Images, cfg.Plugins.Runtime.Containerd.Runtimes.Runc
			if cfg.Version != 3 || im.PinnedImages.Sandbox != c.PauseImage() || im.Registry.ConfigPath != compiler.ContainerdCertsDir ||
				rc.RuntimeType != "io.containerd.runc.v2" || rc.Options.SystemdCgroup != (driver == "systemd") {
				t.Errorf("%s %s: %+v", mode, driver, cfg)
			}
		}
	}
}

// hostsFileConfig holds the fields of a hosts.toml containerd reads.
type hostsFileConfig struct {
	Server string `toml:"server"`
	Host   map[string]struct {
		Capabilities []string `toml:"capabilities"`
		CA           string   `toml:"ca"`
		SkipVerify   bool     `toml:"skip_verify"`
	} `toml:"host"`
}

func TestHostsTOML(t *testing.T) {
	c := compile(t, `containerRuntime:
  registryMirrors:
    docker.io: ["https://b.example.com", {url: "https://a.example.com:5000/", caFile: /etc/pki/mirror.pem}, {url: "http://[fd00::1]:5000", plainHTTP: true, skipVerify: true}]
    "registry.example.com:5000": ["https://m.example.com"]
`)
	fs := files(t, c)
	for _, tc := range []struct {
		registry, server string
		mirrors          []string
	}{
		{"docker.io", "https://registry-1.docker.io", []string{"https://b.example.com", "https://a.example.com:5000", "http://[fd00::1]:5000"}},
		{"registry.example.com:5000", "https://registry.example.com:5000", []string{"https://m.example.com"}},
	} {
		data := file(t, fs, filepath.Join(compiler.ContainerdCertsDir, tc.registry, "hosts.toml"))
		var h hostsFileConfig
		dec := toml.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&h); err != nil {
			t.Fatalf("%s: %v\n%s", tc.registry, err, data)
		}
		if h.Server != tc.server || len(h.Host) != len(tc.mirrors) {
			t.Errorf("%s: server %q, %d hosts:\n%s", tc.registry, h.Server, len(h.Host), data)
		}
		// containerd tries hosts in the order of the file.
		last := -1
		for _, m := range tc.mirrors {
			i := bytes.Index(data, []byte("[host."+q(m)+"]"))
			if i <= last {
				t.Errorf("%s: mirror %s missing or out of order:\n%s", tc.registry, m, data)
			}
			last = i
			if caps := h.Host[m].Capabilities; strings.Join(caps, ",") != "pull,resolve" {
				t.Errorf("%s: %s capabilities %v", tc.registry, m, caps)
			}
		}
	}
	var dh hostsFileConfig
	if err := toml.Unmarshal(file(t, fs, filepath.Join(compiler.ContainerdCertsDir, "docker.io", "hosts.toml")), &dh); err != nil {
		t.Fatal(err)
	}
	if m := dh.Host["https://a.example.com:5000"]; m.CA != "/etc/pki/mirror.pem" || m.SkipVerify {
		t.Errorf("CA mirror: %+v", m)
	}
	if m := dh.Host["http://[fd00::1]:5000"]; !m.SkipVerify {
		t.Errorf("skip-verify mirror: %+v", m)
	}
}
