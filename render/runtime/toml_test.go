package runtime

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"

	"kubeforge.dev/kubeforge/compiler"
)

// The writer escapes whatever reaches it, so that a string the checks let through by mistake
// still reads back as one value: every hostile string round-trips through a TOML parser, as a
// value and as a key, and adds no key or table.
func TestTOMLStringsRoundTrip(t *testing.T) {
	hostile := []string{
		`plain`, ``, `a"b`, `a\b`, `\`, `"`, "line\nnext = 1", "cr\rlf", "tab\there",
		"\x00nul", "\x1bescape", "del\x7f", `"]` + "\n[host.\"https://evil\"]\nx = \"", `''' `, `\u0041`,
		"bidi\u202eevil", "emoji \U0001F600", "sep\u2028",
	}
	for _, s := range hostile {
		var d tomlDoc
		d.table("host", s)
		d.str("v", s)
		data, err := d.bytes()
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		var got map[string]any
		if err := toml.Unmarshal(data, &got); err != nil {
			t.Fatalf("%q: does not parse: %v\n%s", s, err, data)
		}
		host, _ := got["host"].(map[string]any)
		table, _ := host[s].(map[string]any)
		if len(got) != 1 || len(host) != 1 || len(table) != 1 || table["v"] != s {
			t.Errorf("%q: read back as %#v\n%s", s, got, data)
		}
	}
	var d tomlDoc
	d.str("v", "bad \xff utf-8")
	if _, err := d.bytes(); err == nil {
		t.Error("a string that is not UTF-8 was written")
	}
}

func TestHostsPathStaysInCertsDir(t *testing.T) {
	for _, name := range []string{"", ".", "..", "../etc", "a/b", "a/../../etc", `a\b`, "a\x00b", "/etc"} {
		if p, err := hostsPath(name); err == nil {
			t.Errorf("registry %q gave %s", name, p)
		}
	}
	for _, name := range []string{"docker.io", "registry.example.com:5000", "[fd00::1]:5000", "localhost"} {
		p, err := hostsPath(name)
		if err != nil || p != compiler.ContainerdCertsDir+"/"+name+"/hosts.toml" {
			t.Errorf("registry %q: %s, %v", name, p, err)
		}
	}
	// The renderer refuses, whatever the compiler let through.
	if _, err := hostsFile(compiler.Registry{Name: "../../etc/systemd/system", Mirrors: []compiler.Mirror{{URL: "https://m.example.com"}}}); err == nil {
		t.Error("a registry name leaving certs.d was rendered")
	}
}

func TestCRIDockerdRefusesUnsafeImage(t *testing.T) {
	c := compile(t, "containerRuntime: {kind: cri-dockerd}\n")
	data := file(t, files(t, c), compiler.CRIDockerdDropInPath)
	if !bytes.Contains(data, []byte("\nExecStart=\nExecStart=/usr/bin/cri-dockerd --container-runtime-endpoint fd:// --pod-infra-container-image="+c.PauseImage()+"\n")) {
		t.Errorf("drop-in:\n%s", data)
	}
	for _, repo := range []string{"registry.example.com/k8s%n", "registry.example.com/k8s x", `registry.example.com/"k8s`} {
		c.ImageRepository = repo
		if _, err := criDockerdArtifacts(c, c.Hosts[0]); err == nil {
			t.Errorf("image repository %q written on a command line", repo)
		}
	}
}

// crioConfig holds what kubeforge sets in CRI-O's drop-in and registries.conf.
type crioConfig struct {
	Crio struct {
		Runtime struct {
			CgroupManager string `toml:"cgroup_manager"`
			ConmonCgroup  string `toml:"conmon_cgroup"`
		} `toml:"runtime"`
		Image struct {
			PauseImage string `toml:"pause_image"`
		} `toml:"image"`
	} `toml:"crio"`
}

type registriesConfig struct {
	Registry []struct {
		Prefix   string `toml:"prefix"`
		Location string `toml:"location"`
		Mirror   []struct {
			Location string `toml:"location"`
			Insecure bool   `toml:"insecure"`
		} `toml:"mirror"`
	} `toml:"registry"`
}

func strict(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
}

func TestCRIO(t *testing.T) {
	for _, driver := range []string{"systemd", "cgroupfs"} {
		c := compile(t, "containerRuntime: {kind: cri-o, cgroupDriver: "+driver+`, registryMirrors: {"docker.io": ["https://a.example.com", {url: "http://b.example.com:5000", plainHTTP: true}], "quay.io": [{url: "https://q.example.com", skipVerify: true}]}}`+"\n")
		fs := files(t, c)
		var cfg crioConfig
		strict(t, file(t, fs, compiler.CRIODropInPath), &cfg)
		wantConmon := map[string]string{"systemd": "", "cgroupfs": "pod"}[driver]
		if r := cfg.Crio.Runtime; r.CgroupManager != driver || r.ConmonCgroup != wantConmon || cfg.Crio.Image.PauseImage != c.PauseImage() {
			t.Errorf("%s: %+v", driver, cfg)
		}
		var reg registriesConfig
		strict(t, file(t, fs, compiler.RegistriesDropInPath), &reg)
		var got []string
		for _, r := range reg.Registry {
			got = append(got, r.Prefix+"="+r.Location)
			for _, m := range r.Mirror {
				got = append(got, "  "+m.Location+map[bool]string{true: " insecure"}[m.Insecure])
			}
		}
		want := "docker.io=docker.io|  a.example.com|  b.example.com:5000 insecure|quay.io=quay.io|  q.example.com insecure"
		if strings.Join(got, "|") != want {
			t.Errorf("%s: registries\n%s\nwant\n%s", driver, strings.Join(got, "|"), want)
		}
	}
	if _, ok := files(t, compile(t, "containerRuntime: {kind: cri-o}\n"))[compiler.RegistriesDropInPath]; ok {
		t.Error("registries.conf drop-in without mirrors")
	}
}
