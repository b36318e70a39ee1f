package ansible

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/emit/emittest"
	"kubeforge.dev/kubeforge/render"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/testenv"
)

var testHosts = []HostInfo{
	{Name: "cp1", Address: "10.0.0.11", Roles: []string{"control-plane", "etcd"}},
	{Name: "w1", Address: "10.0.0.21", Roles: []string{"worker"}},
}

// writeProject writes the Ansible project for the bundles into a new directory and returns it.
func writeProject(t *testing.T, bundles []artifact.Bundle) string {
	t.Helper()
	files, err := Playbook(bundles, testHosts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for p, f := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, f.Data, f.Mode); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func need(t *testing.T, tools ...string) {
	t.Helper()
	testenv.Tools(t, tools...)
}

func TestDeterministic(t *testing.T) {
	first, err := Playbook(emittest.Bundles(), testHosts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	bs := emittest.Bundles()
	slices.Reverse(bs)
	for _, b := range bs {
		slices.Reverse(b.Artifacts)
	}
	hosts := slices.Clone(testHosts)
	slices.Reverse(hosts)
	second, err := Playbook(bs, hosts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("input order changed the output (-first +second):\n%s", diff)
	}
}

func TestProjectFiles(t *testing.T) {
	files, err := Playbook(append(emittest.Bundles(), artifact.Bundle{Name: artifact.ClusterBundle}), testHosts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range emittest.Bundles() {
		for _, a := range b.Artifacts {
			if a.IsDir() {
				continue
			}
			f, ok := files["files/"+b.Name+a.Path]
			if !ok || !bytes.Equal(f.Data, a.Data) {
				t.Errorf("files/%s%s missing or different", b.Name, a.Path)
			}
			// Copies of keys are private on the controller too.
			if want := fs.FileMode(0o644); a.Secret && f.Mode != 0o600 || !a.Secret && f.Mode != want {
				t.Errorf("files/%s%s written %v (secret %v)", b.Name, a.Path, f.Mode, a.Secret)
			}
		}
	}
	if _, ok := files["host_vars/cluster.yml"]; ok {
		t.Error("the cluster bundle was given host variables")
	}
	if _, err := Playbook(emittest.Bundles(), testHosts[:1], Options{}); err == nil {
		t.Error("a bundle without a host gave no error")
	}
	if _, err := Playbook(emittest.Bundles()[:1], testHosts, Options{}); err == nil {
		t.Error("a host without a bundle gave no error")
	}
}

// TestInventory reads the inventory back with the real ansible-inventory.
func TestInventory(t *testing.T) {
	need(t, "ansible-inventory")
	dir := writeProject(t, emittest.Bundles())
	cmd := exec.Command("ansible-inventory", "-i", "inventory.yml", "--list")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ansible-inventory: %v", err)
	}
	var inv struct {
		Meta struct {
			HostVars map[string]map[string]any `json:"hostvars"`
		} `json:"_meta"`
		ControlPlane struct{ Hosts []string } `json:"control_plane"`
		Etcd         struct{ Hosts []string } `json:"etcd"`
		Worker       struct{ Hosts []string } `json:"worker"`
	}
	if err := json.Unmarshal(out, &inv); err != nil {
		t.Fatal(err)
	}
	groups := map[string][]string{"control_plane": inv.ControlPlane.Hosts, "etcd": inv.Etcd.Hosts, "worker": inv.Worker.Hosts}
	want := map[string][]string{"control_plane": {"cp1"}, "etcd": {"cp1"}, "worker": {"w1"}}
	if diff := cmp.Diff(want, groups); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	// ansible-inventory shows a value marked !unsafe (never templated) as such.
	for _, h := range testHosts {
		got := inv.Meta.HostVars[h.Name]["ansible_host"]
		if !cmp.Equal(got, map[string]any{"__ansible_unsafe": h.Address}) {
			t.Errorf("%s: ansible_host %v, want %s marked unsafe", h.Name, got, h.Address)
		}
	}
}

// TestLint runs ansible-lint with the production profile, offline.
func TestLint(t *testing.T) {
	need(t, "ansible-lint")
	for _, opts := range []Options{{}, {Become: true}} {
		files, err := Playbook(emittest.Bundles(), testHosts, opts)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		for p, f := range files {
			full := filepath.Join(dir, p)
			_ = os.MkdirAll(filepath.Dir(full), 0o755)
			if err := os.WriteFile(full, f.Data, f.Mode); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command("ansible-lint", "--offline", "--profile", "production", "--nocolor")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("ansible-lint %+v: %v\n%s", opts, err, out)
		}
	}
}

// run runs ansible-playbook in the project with the local-connection inventory on top, and
// returns its output.
func run(t *testing.T, project, local string, args ...string) string {
	t.Helper()
	cmd := exec.Command("ansible-playbook", append([]string{"-i", "inventory.yml", "-i", local, "site.yml"}, args...)...)
	cmd.Dir = project
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_FORCE_COLOR=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ansible-playbook %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

var recapLine = regexp.MustCompile(`(?m)^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)`)

// recap returns each host's changed count from the PLAY RECAP, failing on unreachable or
// failed hosts.
func recap(t *testing.T, out string) map[string]int {
	t.Helper()
	_, tail, ok := strings.Cut(out, "PLAY RECAP")
	if !ok {
		t.Fatalf("no PLAY RECAP in:\n%s", out)
	}
	changed := map[string]int{}
	for _, m := range recapLine.FindAllStringSubmatch(tail, -1) {
		if m[3] != "0" || m[4] != "0" {
			t.Errorf("%s: unreachable=%s failed=%s", m[1], m[3], m[4])
		}
		changed[m[1]], _ = strconv.Atoi(m[2])
	}
	return changed
}

var (
	taskLine    = regexp.MustCompile(`^TASK \[(.*)\] \*+$`)
	changedItem = regexp.MustCompile(`^changed: \[(\S+)\] => \(item=(.*)\)$`)
)

// changedItems returns "task | host | item" for every loop item the output reports changed.
func changedItems(out string) []string {
	var items []string
	var task string
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, " \n")
		if m := taskLine.FindStringSubmatch(line); m != nil {
			task = m[1]
		} else if m := changedItem.FindStringSubmatch(line); m != nil {
			items = append(items, fmt.Sprintf("%s | %s | %s", task, m[1], m[2]))
		}
	}
	slices.Sort(items)
	return items
}

// TestInstall installs every bundle with the real ansible-playbook into a fake root per host
// (local connection), checks the trees, then that a second run changes nothing, then that
// --check --diff after a bundle change reports exactly the changed files.
func TestInstall(t *testing.T) {
	need(t, "ansible-playbook")
	if os.Geteuid() != 0 {
		testenv.Missing(t, "installing root-owned files needs root")
	}
	bundles := emittest.Bundles()
	project := writeProject(t, bundles)
	roots := t.TempDir()
	local := filepath.Join(t.TempDir(), "local.yml")
	inv := "all:\n  vars:\n    ansible_connection: local\n    ansible_python_interpreter: /usr/bin/python3\n  hosts:\n"
	for _, h := range testHosts {
		inv += fmt.Sprintf("    %s:\n      kubeforge_root: %s\n", h.Name, filepath.Join(roots, h.Name))
	}
	if err := os.WriteFile(local, []byte(inv), 0o644); err != nil {
		t.Fatal(err)
	}

	out := run(t, project, local)
	for host, n := range recap(t, out) {
		if n == 0 {
			t.Errorf("first run: %s changed nothing", host)
		}
	}
	// Handlers are notified (and skipped: a fake root is not activated).
	for _, h := range []string{"Load kernel modules", "Apply sysctls", "Reload systemd units", "Reload firewalld", "Restart container runtime", "Restart kubelet"} {
		if !strings.Contains(out, "RUNNING HANDLER ["+h+"]") {
			t.Errorf("first run did not notify %q", h)
		}
	}
	for _, b := range bundles {
		emittest.CheckTree(t, filepath.Join(roots, b.Name), b)
	}
	checkNoSecrets(t, out, bundles)
	if t.Failed() {
		t.FailNow()
	}

	out = run(t, project, local)
	if got := recap(t, out); !cmp.Equal(got, map[string]int{"cp1": 0, "w1": 0}) {
		t.Errorf("second run changed %v, want nothing:\n%s", got, out)
	}
	if strings.Contains(out, "RUNNING HANDLER") {
		t.Errorf("second run notified handlers:\n%s", out)
	}

	// Change one plain file's content, one key, and one mode.
	changed := emittest.Bundles()
	set := func(host, path string, change func(*artifact.Artifact)) { edit(t, changed, host, path, change) }
	set("cp1", compiler.KubeletConfigPath, func(a *artifact.Artifact) { a.Data = append(a.Data, "maxPods: 50\n"...) })
	set("cp1", compiler.APIServerKeyPath, func(a *artifact.Artifact) { a.Data = []byte("NEW-PRIVATE-KEY-MATERIAL\n") })
	set("w1", compiler.KubeletEnvPath, func(a *artifact.Artifact) { a.Mode = 0o640 })
	out = run(t, writeProject(t, changed), local, "--check", "--diff")
	want := []string{
		"Install kubelet files | cp1 | var/lib/kubelet/config.yaml",
		"Install kubelet files | w1 | var/lib/kubelet/kubeadm-flags.env",
		// no_log hides even the item of a key.
		"Install secret files | cp1 | None",
	}
	if diff := cmp.Diff(want, changedItems(out)); diff != "" {
		t.Errorf("--check --diff reported other changes (-want +got):\n%s\n%s", diff, out)
	}
	if !strings.Contains(out, "+maxPods: 50") {
		t.Errorf("--diff does not show the changed line:\n%s", out)
	}
	checkNoSecrets(t, out, changed)
	if strings.Contains(out, "NEW-PRIVATE-KEY-MATERIAL") {
		t.Error("--diff shows the new key")
	}
	// Check mode changed nothing.
	for _, b := range bundles {
		emittest.CheckTree(t, filepath.Join(roots, b.Name), b)
	}

	// cp1's registry hosts.toml changes (containerd reads it at every pull) and w1's containerd
	// drop-in: both installed, and only the runtime's handler runs, for w1 alone, on the unit
	// the drop-in names (skipped: a fake root is not activated).
	runtime := emittest.Bundles()
	edit(t, runtime, "cp1", compiler.ContainerdCertsDir+"/docker.io/hosts.toml", func(a *artifact.Artifact) { a.Data = append(a.Data, "# edited\n"...) })
	edit(t, runtime, "w1", compiler.ContainerdDropInPath, func(a *artifact.Artifact) { a.Data = append(a.Data, "# edited\n"...) })
	project = writeProject(t, runtime)
	out = run(t, project, local)
	if got := recap(t, out); !cmp.Equal(got, map[string]int{"cp1": 1, "w1": 1}) {
		t.Errorf("runtime files changed: changed %v, want one file on each host:\n%s", got, out)
	}
	if diff := cmp.Diff([]string{"Restart container runtime"}, handlersRun(out)); diff != "" {
		t.Errorf("runtime files changed: handlers (-want +got):\n%s\n%s", diff, out)
	}
	_, handler, _ := strings.Cut(out, "RUNNING HANDLER [Restart container runtime]")
	handler, _, _ = strings.Cut(handler, "TASK [")
	if !strings.Contains(handler, "skipping: [w1] => (item=containerd.service)") || strings.Contains(handler, "[cp1]") {
		t.Errorf("the runtime's handler was not for containerd.service on w1 alone:\n%s", out)
	}
	out = run(t, project, local)
	if got := recap(t, out); !cmp.Equal(got, map[string]int{"cp1": 0, "w1": 0}) || strings.Contains(out, "RUNNING HANDLER") {
		t.Errorf("re-applying the changed runtime files: changed %v, want nothing and no handler:\n%s", got, out)
	}
}

// edit changes the artifact at path in host's bundle.
func edit(t *testing.T, bundles []artifact.Bundle, host, path string, change func(*artifact.Artifact)) {
	t.Helper()
	for i, b := range bundles {
		for j, a := range b.Artifacts {
			if b.Name == host && a.Path == path {
				change(&bundles[i].Artifacts[j])
				return
			}
		}
	}
	t.Fatalf("%s: no %s", host, path)
}

var handlerLine = regexp.MustCompile(`(?m)^RUNNING HANDLER \[(.*)\] \*+$`)

// handlersRun returns the handlers the output shows running, in order.
func handlersRun(out string) []string {
	var names []string
	for _, m := range handlerLine.FindAllStringSubmatch(out, -1) {
		names = append(names, m[1])
	}
	return names
}

// checkNoSecrets fails if the output shows a line of any secret file.
func checkNoSecrets(t *testing.T, out string, bundles []artifact.Bundle) {
	t.Helper()
	for _, b := range bundles {
		for _, a := range b.Artifacts {
			if !a.Secret {
				continue
			}
			for line := range strings.Lines(string(a.Data)) {
				if line = strings.TrimSpace(line); len(line) > 20 && strings.Contains(out, line) {
					t.Errorf("output shows %s of %s: %q", a.Path, b.Name, line)
				}
			}
		}
	}
}

// hostileBundle returns a bundle whose paths and contents hold Jinja2 markers, quotes and
// other characters the schema never lets through, fed to the writer directly. Templated,
// {{ 6 * 7 }} would become 42, and the lookup would create the file "templated" in the
// project directory.
func hostileBundle() artifact.Bundle {
	const jinja = "{{ lookup('pipe', 'touch templated') }}{{ 6 * 7 }}"
	dir := "/etc/kubeforge/" + jinja
	b := artifact.Bundle{Name: "h1"}
	b.Add(
		artifact.Dir(dir, 0o750),
		artifact.File(dir+"/{% if true %}x{% endif %} {# c #}.conf", 0o640, []byte(jinja+"\n{% raw %}{# #}\n")),
		artifact.File("/etc/kubeforge/it's \"quoted\" %s `id` \\x ~root.conf", 0o644, []byte("$HOME\n")),
		artifact.File("/etc/kubeforge/ünïcode ✓: #x, [y] {z}.conf", 0o644, nil),
		artifact.File("/etc/systemd/system/"+jinja+".service", 0o644, []byte("[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n")),
	)
	b.Sort()
	return b
}

// TestInstallHostileValues installs a bundle of hostile paths and contents with the real
// ansible-playbook: every value reaches the target literally, and nothing is templated. The
// same project without the !unsafe tags does template them, so the check can fail.
func TestInstallHostileValues(t *testing.T) {
	need(t, "ansible-playbook")
	if os.Geteuid() != 0 {
		testenv.Missing(t, "installing root-owned files needs root")
	}
	// The hostile bundle and the apiserver manifest compiled from the hostile corpus, whose
	// flags hold Jinja2 markers, quotes and '$'.
	b := hostileBundle()
	c := compilertest.Load(t, "../../compiler/testdata/hostile/inject-ok-strings.yaml")
	res, err := render.Compile(c, render.Options{Hosts: []string{"cp1"}})
	if err != nil {
		t.Fatal(err)
	}
	compiled := res.Hosts[0]
	manifest, ok := compiled.Lookup(compiler.ManifestsDir + "/kube-apiserver.yaml")
	if !ok || !bytes.Contains(manifest.Data, []byte("{% raw %}")) {
		t.Fatalf("the compiled corpus case has no kube-apiserver manifest holding Jinja2 markers")
	}
	b.Add(manifest)
	b.Sort()

	project, root, out := installLocally(t, b, false)
	if fileExists(filepath.Join(project, "templated")) || fileExists(filepath.Join(root, "etc/kubeforge/42")) {
		t.Errorf("Ansible templated a value of the bundle:\n%s", out)
	}
	recap(t, out)
	emittest.CheckTree(t, root, b)
	if t.Failed() {
		t.Fatalf("ansible-playbook:\n%s", out)
	}

	// The control needs only the hostile bundle.
	project, root, out = installLocally(t, hostileBundle(), true)
	if !fileExists(filepath.Join(project, "templated")) && !fileExists(filepath.Join(root, "etc/kubeforge/42")) {
		t.Errorf("without !unsafe nothing was templated either: the test proves nothing\n%s", out)
	}
}

// installLocally writes the project of bundle b (host h1), with the !unsafe tags stripped if
// asked, runs it into a new root with a local connection, and returns the project, the root
// and ansible-playbook's output.
func installLocally(t *testing.T, b artifact.Bundle, strip bool) (project, root, out string) {
	t.Helper()
	files, err := Playbook([]artifact.Bundle{b}, []HostInfo{{Name: b.Name, Address: "127.0.0.1", Roles: []string{"worker"}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	project, root = t.TempDir(), t.TempDir()
	for p, f := range files {
		data := f.Data
		if strip && strings.HasPrefix(p, hostVarsDir+"/") {
			data = bytes.ReplaceAll(data, []byte("!unsafe "), nil)
		}
		full := filepath.Join(project, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, f.Mode); err != nil {
			t.Fatal(err)
		}
	}
	local := filepath.Join(t.TempDir(), "local.yml")
	inv := "all:\n  vars:\n    ansible_connection: local\n    ansible_python_interpreter: /usr/bin/python3\n  hosts:\n    " +
		b.Name + ":\n      kubeforge_root: " + root + "\n"
	if err := os.WriteFile(local, []byte(inv), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ansible-playbook", "-i", "inventory.yml", "-i", local, "site.yml")
	cmd.Dir = project
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1")
	output, _ := cmd.CombinedOutput()
	return project, root, string(output)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Ansible expands environment variables in path arguments, with no escape: such a path is
// refused rather than installed elsewhere.
func TestPlaybookRefusesDollarPaths(t *testing.T) {
	for _, a := range []artifact.Artifact{
		artifact.File("/etc/kubeforge/$HOME", 0o644, nil),
		artifact.Dir("/etc/${PATH}", 0o755),
	} {
		b := artifact.Bundle{Name: "h1", Artifacts: []artifact.Artifact{a}}
		if _, err := Playbook([]artifact.Bundle{b}, []HostInfo{{Name: "h1", Address: "10.0.0.1"}}, Options{}); err == nil {
			t.Errorf("%s: no error", a.Path)
		}
	}
}

// The inventory refuses names and groups Ansible would read as patterns or templates.
func TestInventoryRefusesHostileNames(t *testing.T) {
	for _, h := range []HostInfo{
		{Name: "{{ x }}", Address: "10.0.0.1"},
		{Name: "web[1:3]", Address: "10.0.0.1"},
		{Name: "a b", Address: "10.0.0.1"},
		{Name: "h1", Address: "10.0.0.1\nx"},
		{Name: "h1", Address: "10.0.0.1 x"},
		{Name: "h1", Address: "10.0.0.1", Roles: []string{"{{ x }}"}},
		{Name: "h1", Address: "10.0.0.1", Roles: []string{"a:b"}},
	} {
		if data, err := inventory([]HostInfo{h}); err == nil {
			t.Errorf("%+v written:\n%s", h, data)
		}
	}
}
