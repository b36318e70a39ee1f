package cloudinit

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/emit/emittest"
	"kubeforge.dev/kubeforge/render"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/testenv"
)

// testBundles returns the shared bundles and one whose names need quoting in YAML and whose
// contents are binary or empty.
func testBundles() []artifact.Bundle {
	odd := artifact.Bundle{Name: "odd"}
	dir := "/etc/kubeforge test/odd, [dir]: {x}"
	odd.Add(
		artifact.Dir(dir, 0o750),
		artifact.File(dir+"/#a: b.conf", 0o640, []byte("caf\xc3\xa9 \x00\x01\xff binary\n")),
		artifact.File(dir+"/- empty", 0o600, nil),
	)
	// Paths a shell, YAML or a template engine would read as syntax, and a file whose content
	// is user-data of its own: all must reach the node as data.
	evil := artifact.Bundle{Name: "evil"}
	evilDir := "/etc/kubeforge/it's {{ x }} $HOME `id`; #cloud-config"
	evil.Add(
		artifact.Dir(evilDir, 0o700),
		artifact.File(evilDir+"/--- ... \" \\ ünï: x.conf", 0o644, []byte(userDataInside)),
		artifact.File(evilDir+"/$(touch /kubeforge-escaped)", 0o600, nil),
	)
	return append(emittest.Bundles(), odd, evil)
}

// userDataInside would, if cloud-init read it as user-data, create /kubeforge-escaped.
const userDataInside = "#cloud-config\nruncmd:\n  - [touch, /kubeforge-escaped]\nbootcmd:\n  - touch /kubeforge-escaped\n"

// compiledHostile returns a host compiled from the hostile corpus: static pods whose flags
// hold quotes, '$', '%', backslashes and Jinja2 markers, a kubeadm-flags.env with '$'.
func compiledHostile(t *testing.T) artifact.Bundle {
	t.Helper()
	c := compilertest.Load(t, "../../compiler/testdata/hostile/inject-ok-strings.yaml")
	res, err := render.Compile(c, render.Options{Hosts: []string{"cp1"}})
	if err != nil {
		t.Fatal(err)
	}
	b := res.Hosts[0]
	b.Sort()
	return b
}

// A bundle name or path that would end the header comment or a YAML line is refused.
func TestRefusesLineBreaks(t *testing.T) {
	for _, b := range []artifact.Bundle{
		{Name: "h1\nruncmd: [[touch, /x]]"},
		{Name: "h1", Artifacts: []artifact.Artifact{artifact.File("/etc/x\nruncmd: [[touch, /x]]", 0o644, nil)}},
		{Name: "h1", Artifacts: []artifact.Artifact{artifact.File("/etc/x\u2028y", 0o644, nil)}},
	} {
		if ud, _, err := UserData(b, Options{}); err == nil {
			t.Errorf("%q written:\n%s", b.Name, ud)
		}
	}
}

func userData(t *testing.T, b artifact.Bundle) ([]byte, Report) {
	t.Helper()
	ud, r, err := UserData(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ud, r
}

// parse decodes user-data as cloud-init would, after checking its header line.
func parse(t *testing.T, ud []byte) config {
	t.Helper()
	if !bytes.HasPrefix(ud, []byte("#cloud-config\n")) {
		t.Fatalf("user-data does not start with #cloud-config: %.40q", ud)
	}
	var c config
	dec := yaml.NewDecoder(bytes.NewReader(ud))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDeterministic(t *testing.T) {
	for _, b := range testBundles() {
		first, _ := userData(t, b)
		slices.Reverse(b.Artifacts)
		if second, _ := userData(t, b); !bytes.Equal(first, second) {
			t.Errorf("%s: two user-data differ", b.Name)
		}
	}
}

// TestContent decodes every write_files entry and compares it with the bundle; the gzip
// header must carry no time and no name, or user-data would change from run to run.
func TestContent(t *testing.T) {
	for _, b := range testBundles() {
		ud, _ := userData(t, b)
		files := map[string]writeFile{}
		for _, f := range parse(t, ud).WriteFiles {
			files[f.Path] = f
		}
		for _, a := range b.Artifacts {
			f, ok := files[a.Path]
			if a.IsDir() {
				if ok {
					t.Errorf("%s: directory %s written as a file", b.Name, a.Path)
				}
				continue
			}
			delete(files, a.Path)
			if !ok {
				t.Errorf("%s: %s missing", b.Name, a.Path)
				continue
			}
			if f.Encoding != "gz+b64" || f.Owner != "root:root" || !f.Defer {
				t.Errorf("%s: %s: encoding %q owner %q defer %v", b.Name, a.Path, f.Encoding, f.Owner, f.Defer)
			}
			if want := fmt.Sprintf("%04o", a.Mode.Perm()); f.Permissions != want {
				t.Errorf("%s: %s: permissions %q, want %q", b.Name, a.Path, f.Permissions, want)
			}
			gz, err := base64.StdEncoding.DecodeString(f.Content)
			if err != nil {
				t.Fatal(err)
			}
			zr, err := gzip.NewReader(bytes.NewReader(gz))
			if err != nil {
				t.Fatal(err)
			}
			if !zr.ModTime.IsZero() || zr.Name != "" || zr.Comment != "" {
				t.Errorf("%s: %s: gzip header has time %v name %q", b.Name, a.Path, zr.ModTime, zr.Name)
			}
			data, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(data, a.Data) {
				t.Errorf("%s: %s: content differs (%v)", b.Name, a.Path, err)
			}
		}
		for p := range files {
			t.Errorf("%s: %s written but not in the bundle", b.Name, p)
		}
	}
}

func TestCommands(t *testing.T) {
	bs := emittest.Bundles()
	c := parse(t, must(UserData(bs[0], Options{})))
	wantBoot := []command{
		{"install", "-d", "-m", "0755", "-o", "0", "-g", "0", "/etc/kubernetes"},
		{"install", "-d", "-m", "0700", "-o", "0", "-g", "0", "/etc/kubernetes/manifests"},
		{"install", "-d", "-m", "0755", "-o", "0", "-g", "0", "/etc/kubernetes/pki"},
		{"install", "-d", "-m", "0755", "-o", "0", "-g", "0", "/etc/systemd/system/kubelet.service.d"},
		{"install", "-d", "-m", "0700", "-o", "0", "-g", "0", "/var/lib/kubelet"},
	}
	if diff := cmp.Diff(wantBoot, c.BootCmd); diff != "" {
		t.Errorf("bootcmd (-want +got):\n%s", diff)
	}
	wantRun := []command{
		{"modprobe", "overlay"},
		{"modprobe", "br_netfilter"},
		{"sysctl", "--system"},
		{"systemctl", "daemon-reload"},
		{"sh", "-c", firewalldReload},
		{"systemctl", "try-restart", "containerd.service"},
		{"systemctl", "enable", "kubelet.service"},
		{"systemctl", "restart", "kubelet.service"},
	}
	if diff := cmp.Diff(wantRun, c.RunCmd); diff != "" {
		t.Errorf("runcmd (-want +got):\n%s", diff)
	}

	// Only what the bundle needs: no firewall, no modules; a file cloud-init cannot own.
	b := artifact.Bundle{Name: "h"}
	b.Add(artifact.File("/etc/sysctl.d/99-kubernetes.conf", 0o644, []byte("net.ipv4.ip_forward = 1\n")).Affecting(artifact.ApplySysctls),
		artifact.Artifact{Path: "/var/lib/etcd-user/x", Mode: 0o600, UID: 1000, GID: 1001})
	c = parse(t, must(UserData(b, Options{})))
	wantRun = []command{{"chown", "1000:1001", "/var/lib/etcd-user/x"}, {"sysctl", "--system"}}
	if diff := cmp.Diff(wantRun, c.RunCmd); diff != "" {
		t.Errorf("runcmd (-want +got):\n%s", diff)
	}
	if c.BootCmd != nil {
		t.Errorf("bootcmd for implicit directories only: %q", c.BootCmd)
	}
}

func must(ud []byte, _ Report, err error) []byte {
	if err != nil {
		panic(err)
	}
	return ud
}

func TestSizeReport(t *testing.T) {
	// Random bytes do not compress: each file's room is known in advance.
	noise := func(n int) []byte {
		r := rand.New(rand.NewPCG(1, 2))
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	for _, tc := range []struct {
		name     string
		extra    int
		warnings int // limit warnings
	}{
		{"small", 0, 0},
		{"over 16 KiB", 20 << 10, 1},
		{"over 64 KiB", 70 << 10, 2},
	} {
		b := emittest.Bundles()[0]
		if tc.extra > 0 {
			b.Add(artifact.File("/opt/kubeforge/big.bin", 0o644, noise(tc.extra)))
		}
		ud, r := userData(t, b)
		if r.Size != len(ud) || r.Host != "cp1" {
			t.Errorf("%s: report %+v for %d bytes", tc.name, r, len(ud))
		}
		if r.Secrets != 4 {
			t.Errorf("%s: %d secrets, want 4", tc.name, r.Secrets)
		}
		var limitWarnings []string
		for _, w := range r.Warnings {
			if strings.Contains(w, "limit") {
				limitWarnings = append(limitWarnings, w)
			}
		}
		if len(limitWarnings) != tc.warnings {
			t.Errorf("%s: %d bytes gave warnings %q", tc.name, r.Size, r.Warnings)
		}
		for _, w := range limitWarnings {
			if !strings.Contains(w, "biggest files: /opt/kubeforge/big.bin (") {
				t.Errorf("%s: warning does not name the biggest file first: %s", tc.name, w)
			}
		}
		if len(r.Biggest) != 3 || r.Biggest[0].Bytes < r.Biggest[1].Bytes || r.Biggest[1].Bytes < r.Biggest[2].Bytes {
			t.Errorf("%s: biggest files %+v", tc.name, r.Biggest)
		}
	}
}

// TestSchema checks every user-data with cloud-init's own schema validator.
func TestSchema(t *testing.T) {
	bin := testenv.Tool(t, "cloud-init")
	for _, b := range append(testBundles(), compiledHostile(t)) {
		ud, _ := userData(t, b)
		f := filepath.Join(t.TempDir(), "user-data")
		if err := os.WriteFile(f, ud, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "schema", "--config-file", f).CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("Valid cloud-config")) {
			t.Errorf("%s: cloud-init schema: %v\n%s", b.Name, err, out)
		}
	}
}

// TestApply runs the real cloud-init on each user-data against a throwaway overlay of / (see
// testdata/apply.sh) and compares what it wrote with the bundle.
func TestApply(t *testing.T) {
	testenv.Tools(t, "cloud-init", "unshare", "chroot")
	if os.Geteuid() != 0 {
		testenv.Missing(t, "applying cloud-init to an overlay root needs root (mount namespaces, overlayfs, chroot)")
	}
	for _, b := range append(testBundles(), compiledHostile(t)) {
		work := t.TempDir()
		ud, _ := userData(t, b)
		f := filepath.Join(work, "user-data")
		if err := os.WriteFile(f, ud, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("testdata/apply.sh", f, work).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: apply.sh: %v\n%s", b.Name, err, out)
		}
		emittest.CheckTree(t, filepath.Join(work, "upper"), b)
		if _, err := os.Stat(filepath.Join(work, "upper/kubeforge-escaped")); err == nil {
			t.Errorf("%s: a file's content or path ran as a command", b.Name)
		}
	}
}
