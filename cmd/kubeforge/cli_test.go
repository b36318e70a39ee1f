package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/compiler/untrusted"
	"kubeforge.dev/kubeforge/schema"
)

// commandPaths lists every command, as typed after kubeforge (TestCommandPathsComplete keeps
// it in step with the command tree).
var commandPaths = [][]string{
	{}, {"init"}, {"defaults"}, {"schema"}, {"validate"}, {"compile"}, {"diff"}, {"check"},
	{"pki"}, {"pki", "check"}, {"pki", "rotate-ca"}, {"upgrade"}, {"upgrade", "plan"},
	{"version"}, {"completion"}, {"completion", "bash"},
}

// TestCommandPathsComplete: every command of the tree is in commandPaths, so that the shared
// help and usage tests reach a new command without anyone remembering to list it. Cobra adds
// help and completion only when the command runs; commandPaths names those itself.
func TestCommandPathsComplete(t *testing.T) {
	var walk func(cmd *cobra.Command, path []string)
	walk = func(cmd *cobra.Command, path []string) {
		if !slices.ContainsFunc(commandPaths, func(p []string) bool { return slices.Equal(p, path) }) {
			t.Errorf("kubeforge %s is not in commandPaths", strings.Join(path, " "))
		}
		for _, sub := range cmd.Commands() {
			if !sub.Hidden && sub.Name() != "help" {
				walk(sub, append(slices.Clone(path), sub.Name()))
			}
		}
	}
	walk(NewCmdRoot(Streams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}), []string{})
}

// TestHelp: --help and -h print the command's help on standard output and exit 0; help CMD
// prints the same.
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, path := range commandPaths {
		name := strings.Join(append([]string{"kubeforge"}, path...), " ")
		t.Run(name, func(t *testing.T) {
			long := kubeforge(t, append(slices.Clone(path), "--help")...)
			if long.code != exitOK || long.stderr != "" || !strings.Contains(long.stdout, "Usage:") {
				t.Fatalf("--help: %s", long)
			}
			if !strings.Contains(long.stdout, "Exit codes:") {
				t.Errorf("help does not document the exit codes:\n%s", long.stdout)
			}
			if short := kubeforge(t, append(slices.Clone(path), "-h")...); short.code != exitOK || short.stdout != long.stdout {
				t.Errorf("-h differs from --help: %s", short)
			}
			if len(path) > 0 {
				if help := kubeforge(t, append([]string{"help"}, path...)...); help.code != exitOK || help.stdout != long.stdout {
					t.Errorf("help %s differs from --help: %s", strings.Join(path, " "), help)
				}
			}
		})
	}
}

// TestExamplesInHelp: each command that does work shows how to call it.
func TestExamplesInHelp(t *testing.T) {
	for _, cmd := range []string{"init", "defaults", "schema", "validate", "compile", "diff", "check", "version"} {
		if r := kubeforge(t, cmd, "--help"); !strings.Contains(r.stdout, "Examples:\n  kubeforge "+cmd) {
			t.Errorf("%s --help has no example:\n%s", cmd, r.stdout)
		}
	}
}

// TestUsageErrors: what kubeforge cannot run is said on standard error with a pointer to the
// help, exit 2, and nothing on standard output.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "missing command"},
		{[]string{"nosuch"}, `unknown command "nosuch"`},
		{[]string{"valdate"}, "Did you mean this?"},
		{[]string{"pki"}, "missing command"},
		{[]string{"pki", "renew"}, `unknown command "renew"`},
		{[]string{"help", "nosuch"}, `unknown help topic "nosuch"`},
		{[]string{"help", "pki", "renew"}, `unknown help topic "pki renew"`},
		{[]string{"compile", "-o"}, "flag needs an argument: 'o' in -o"},
		{[]string{"diff", "--against"}, "flag needs an argument: --against"},
		{[]string{"compile", "--format", "zip"}, `unknown format "zip"`},
		{[]string{"compile", "--output", "out"}, "compile's output directory is -o/--output-dir"},
		{[]string{"validate", "-", "../../examples/ha.yaml"}, "cannot be combined with files"},
		{[]string{"validate", "--stdin-format", "toml", "-"}, "--stdin-format must be one of"},
		{[]string{"validate", "--stdin-format", "json", "../../examples/ha.yaml"}, "applies to a description read from standard input"},
		{[]string{"diff", "--no-pki-store", "--pki-dir", "x"}, "contradict"},
		{[]string{"schema", "--format", "xsd"}, "--format must be cue or jsonschema"},
		{[]string{"version", "extra"}, `unexpected argument "extra"`},
		{[]string{"init", "--workers", "-1"}, "--workers must be 0 to"},
		{[]string{"init", "--control-planes", "x"}, `invalid argument "x"`},
	} {
		r := kubeforge(t, tc.args...)
		if r.code != exitUsage || r.stdout != "" || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("kubeforge %s: want exit 2 and %q on stderr only\n%s", strings.Join(tc.args, " "), tc.want, r)
		}
	}
}

// TestUnknownFlag: every command names an unknown flag and where its help is.
func TestUnknownFlag(t *testing.T) {
	t.Parallel()
	for _, path := range commandPaths {
		name := strings.Join(append([]string{"kubeforge"}, path...), " ")
		r := kubeforge(t, append(slices.Clone(path), "--colour")...)
		if r.code != exitUsage || r.stdout != "" || !strings.Contains(r.stderr, "unknown flag: --colour") ||
			!strings.Contains(r.stderr, "Run '"+name+" --help' for usage.") {
			t.Errorf("%s --colour:\n%s", name, r)
		}
	}
}

func TestVersion(t *testing.T) {
	r := kubeforge(t, "version")
	if r.code != exitOK || !strings.Contains(r.stdout, "kubeforge dev\n") || !strings.Contains(r.stdout, "description: "+schema.APIVersion()) {
		t.Errorf("version:\n%s", r)
	}
	r = kubeforge(t, "version", "--output", "json")
	var info VersionInfo
	if err := json.Unmarshal([]byte(r.stdout), &info); err != nil || r.code != exitOK {
		t.Fatalf("version --output json (%v):\n%s", err, r)
	}
	var minors []string
	for _, k := range info.Kubernetes {
		minors = append(minors, k.Minor)
		if !strings.HasPrefix(k.LatestPatch, "v"+k.Minor+".") {
			t.Errorf("latest patch %s of %s", k.LatestPatch, k.Minor)
		}
	}
	var want []string
	for _, m := range compiler.SupportedMinors() {
		want = append(want, newestPatch(m).MinorString())
	}
	if !slices.Equal(minors, want) || info.APIVersion != "kubeforge.dev/v1alpha1" || info.Version != "dev" {
		t.Errorf("version info %+v, want minors %v", info, want)
	}
}

// TestVersionStamp: the Makefile's -ldflags reach the version command.
func TestVersionStamp(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "kubeforge")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v1.2.3-4-gabcdef -X main.commit=abcdef0123", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "kubeforge v1.2.3-4-gabcdef\ncommit:      abcdef0123\n") {
		t.Errorf("stamped version (%v):\n%s", err, out)
	}
}

// TestCompletion: a script for every shell; bash's is valid bash; the flags complete.
func TestCompletion(t *testing.T) {
	t.Parallel()
	for shell, marker := range map[string]string{
		"bash":       "__start_kubeforge",
		"zsh":        "#compdef kubeforge",
		"fish":       "complete -c kubeforge",
		"powershell": "Register-ArgumentCompleter",
	} {
		r := kubeforge(t, "completion", shell)
		if r.code != exitOK || !strings.Contains(r.stdout, marker) {
			t.Errorf("completion %s: %s", shell, r.String()[:min(len(r.String()), 300)])
		}
		if shell == "bash" {
			script := filepath.Join(t.TempDir(), "kubeforge.bash")
			os.WriteFile(script, []byte(r.stdout), 0o644)
			if out, err := exec.Command("bash", "-n", script).CombinedOutput(); err != nil {
				t.Errorf("bash -n: %v\n%s", err, out)
			}
		}
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"compile", "--output", ""}, []string{"text", "json", "github"}},
		{[]string{"pki", "check", "--output", ""}, []string{"text", "json"}},
		{[]string{"compile", "--format", ""}, []string{"dir", "tar", "cloud-init", "ansible", "ignition"}},
		{[]string{"init", "--runtime", ""}, []string{"containerd", "cri-o", "cri-dockerd"}},
		{[]string{"validate", "--stdin-format", ""}, []string{"yaml", "json", "cue"}},
		{[]string{"schema", "--format", ""}, []string{"cue", "jsonschema"}},
		{[]string{"compile", "../../examples/ha.yaml", "--host", ""}, []string{"cp1", "cp2", "cp3", "w1", "w2", "w3"}},
	} {
		r := kubeforge(t, append([]string{"__complete"}, tc.args...)...)
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		got := slices.DeleteFunc(lines, func(l string) bool { return strings.HasPrefix(l, ":") })
		slices.Sort(got)
		slices.Sort(tc.want)
		if !slices.Equal(got, tc.want) {
			t.Errorf("completing %q: %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestStdin: "-" reads the description from standard input, YAML or JSON by content or by
// --stdin-format, with diagnostics naming "stdin".
func TestStdin(t *testing.T) {
	t.Parallel()
	yamlText, err := os.ReadFile("../../examples/ha.yaml")
	if err != nil {
		t.Fatal(err)
	}
	jsonText := `{"apiVersion": "kubeforge.dev/v1alpha1", "kind": "Cluster", "name": "j",
  "hosts": [{"name": "cp1", "addresses": ["192.168.0.11"], "roles": ["control-plane"]}]}`
	cueText := `apiVersion: "kubeforge.dev/v1alpha1", kind: "Cluster", name: "c"
hosts: [for i in [1] {name: "cp\(i)", addresses: ["192.168.0.1\(i)"], roles: ["control-plane"]}]`
	for _, tc := range []struct {
		name, input string
		args        []string
		code        int
		stdout      string
		stderr      string
	}{
		{"yaml", string(yamlText), nil, exitOK, "prod: valid (Kubernetes v1.37.2, 6 hosts)", ""},
		{"json by content", jsonText, nil, exitOK, "j: valid", ""},
		{"json named", jsonText, []string{"--stdin-format", "json"}, exitOK, "j: valid", ""},
		{"cue named", cueText, []string{"--stdin-format", "cue"}, exitOK, "c: valid", ""},
		{"invalid", "apiVersion: kubeforge.dev/v1alpha1\nkind: Cluster\nname: Bad_Name\nhosts: []\n", nil, exitInvalid, "", "stdin.yaml:3:7: error"},
		{"empty", "", nil, exitInvalid, "", "stdin.yaml:1:1: error: empty description"},
		{"too large", strings.Repeat("#", int(untrusted.DescriptionLimit)+1), nil, exitUsage, "", "stdin: error: larger than 32 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := kubeforgeIn(t, "", strings.NewReader(tc.input), append(append([]string{"validate"}, tc.args...), "-")...)
			if r.code != tc.code || !strings.Contains(r.stdout, tc.stdout) || !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("want exit %d, %q on stdout, %q on stderr\n%s", tc.code, tc.stdout, tc.stderr, r)
			}
		})
	}
	// Every command that reads a description takes it.
	out := filepath.Join(t.TempDir(), "out")
	if r := kubeforgeIn(t, "", bytes.NewReader(yamlText), "compile", "--no-pki", "-o", out, "-"); r.code != exitOK {
		t.Errorf("compile -: %s", r)
	}
	if r := kubeforgeIn(t, "", bytes.NewReader(yamlText), "diff", "--no-pki", "--against", out, "-"); r.code != exitOK {
		t.Errorf("diff -: %s", r)
	}
}

// TestEmbeddedExampleNotice: without FILE a command says it uses the embedded example, unless
// told to be quiet.
func TestEmbeddedExampleNotice(t *testing.T) {
	t.Parallel()
	const notice = "kubeforge: no FILE given: using the embedded example examples/ha.yaml\n"
	if r := kubeforge(t, "validate"); r.code != exitOK || r.stderr != notice {
		t.Errorf("validate: %s", r)
	}
	if r := kubeforge(t, "validate", "-q"); r.code != exitOK || r.stderr != "" || r.stdout != "" {
		t.Errorf("validate -q: %s", r)
	}
	if r := kubeforge(t, "validate", "../../examples/ha.yaml"); strings.Contains(r.stderr, "embedded") {
		t.Errorf("notice with a FILE: %s", r)
	}
	dir := t.TempDir()
	if r := kubeforgeIn(t, dir, nil, "compile"); r.code != exitOK || !strings.HasPrefix(r.stderr, notice) {
		t.Errorf("compile: %s", r)
	}
}

// TestStrictAndQuiet: --strict fails on warnings and writes nothing; -q prints only errors.
func TestStrictAndQuiet(t *testing.T) {
	t.Parallel()
	warns := corpus + "valid/warn-even-etcd.yaml"
	if r := kubeforge(t, "validate", warns); r.code != exitOK || !strings.Contains(r.stderr, "warning: even number of etcd members") {
		t.Errorf("validate: %s", r)
	}
	if r := kubeforge(t, "validate", "--strict", warns); r.code != exitInvalid || !strings.Contains(r.stderr, "1 warning(s) fail with --strict") || r.stdout != "" {
		t.Errorf("validate --strict: %s", r)
	}
	if r := kubeforge(t, "validate", "-q", warns); r.code != exitOK || r.stdout != "" || r.stderr != "" {
		t.Errorf("validate -q: %s", r)
	}
	if r := kubeforge(t, "validate", "-q", corpus+"invalid/errors-and-warnings.yaml"); r.code != exitInvalid ||
		strings.Contains(r.stderr, ": warning: ") || strings.Count(r.stderr, ": error: ") != 2 {
		t.Errorf("validate -q with errors: %s", r)
	}
	out := filepath.Join(t.TempDir(), "out")
	if r := kubeforge(t, "compile", "--strict", "--no-pki", "-o", out, warns); r.code != exitInvalid {
		t.Errorf("compile --strict: %s", r)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("compile --strict with warnings wrote its output")
	}
	if r := kubeforge(t, "compile", "-q", "--no-pki", "-o", out, warns); r.code != exitOK || r.stdout != "" || r.stderr != "" {
		t.Errorf("compile -q: %s", r)
	}
}

// TestCompileJSON: --output json prints one document on stdout whatever the outcome.
func TestCompileJSON(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	r := kubeforge(t, "compile", "--output", "json", "-o", out, "../../examples/single-node.yaml")
	var rep compileReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != exitOK || r.stderr != "" {
		t.Fatalf("(%v) %s", err, r)
	}
	if rep.Cluster != "lab" || !slices.Equal(rep.Hosts, []string{"lab1"}) || rep.Files == 0 || rep.OutputDir != out ||
		rep.PKI == nil || rep.PKI.Issued != 3+13+1 || rep.PKI.StoreDir != out+".pki" || len(rep.PKI.Events) != rep.PKI.Issued {
		t.Errorf("report %+v", rep)
	}
	if strings.Contains(r.stdout, "PRIVATE KEY") {
		t.Error("key material in the report")
	}

	r = kubeforge(t, "compile", "--output", "json", "-o", out, corpus+"invalid/errors-and-warnings.yaml")
	rep = compileReport{}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != exitInvalid || r.stderr != "" {
		t.Fatalf("invalid (%v): %s", err, r)
	}
	if len(rep.Diagnostics) != 4 || rep.Diagnostics[1].Severity != diag.Error || rep.Hosts != nil {
		t.Errorf("invalid report %+v", rep)
	}
	// The deprecated --diagnostics json means the same, and says so on stderr.
	r = kubeforge(t, "compile", "--diagnostics", "json", "-o", out, corpus+"invalid/errors-and-warnings.yaml")
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != exitInvalid || !strings.Contains(r.stderr, "deprecated") {
		t.Errorf("--diagnostics json (%v): %s", err, r)
	}
}

// TestDiffJSONAndGitHub: diff's machine outputs, equal and different.
func TestDiffJSONAndGitHub(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	golden := filepath.Join(dir, "golden")
	if r := kubeforge(t, "compile", "--no-pki", "-o", golden, "../../examples/ha.yaml"); r.code != exitOK {
		t.Fatal(r)
	}
	r := kubeforge(t, "diff", "--no-pki", "--output", "json", "--against", golden, "../../examples/ha.yaml")
	var doc diffJSON
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != exitOK || !doc.Equal || doc.Changes == nil || len(doc.Changes) != 0 {
		t.Fatalf("equal (%v): %s", err, r)
	}

	src, _ := os.ReadFile("../../examples/ha.yaml")
	changed := filepath.Join(dir, "ha.yaml")
	os.WriteFile(changed, bytes.Replace(src, []byte("192.168.10.22"), []byte("192.168.10.42"), 1), 0o644)
	r = kubeforge(t, "diff", "--no-pki", "--output", "json", "--against", golden, changed)
	doc = diffJSON{}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != exitInvalid || doc.Equal {
		t.Fatalf("different (%v): %s", err, r)
	}
	if len(doc.Changes) != 1 || doc.Changes[0].Bundle != "w2" || doc.Changes[0].Path != "/var/lib/kubelet/kubeadm-flags.env" ||
		doc.Changes[0].Kind != "changed" || !strings.Contains(doc.Changes[0].Detail, "192.168.10.42") {
		t.Errorf("changes %+v", doc.Changes)
	}

	r = kubeforge(t, "diff", "--no-pki", "--output", "github", "--against", golden, changed)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	want := "::error file=" + escapeProperty(filepath.Join(golden, "w2/var/lib/kubelet/kubeadm-flags.env")) + ",title=kubeforge diff%3A changed::changed w2:/var/lib/kubelet/kubeadm-flags.env%0A"
	if r.code != exitInvalid || len(lines) != 2 || !strings.HasPrefix(lines[0], want) || lines[1] != "::notice title=kubeforge diff::1 file(s) differ: 0 added, 0 removed, 1 changed" {
		t.Errorf("github:\n%s\nwant first line to start with\n%s", r, want)
	}
}

// githubCommand is the form of an annotation: no raw line break can hide in it.
var githubCommand = regexp.MustCompile(`^::(error|warning|notice)( [a-zA-Z]+=[^,:]*(,[a-zA-Z]+=[^,:]*)*)?::[^\r\n]*$`)

// TestValidateGitHub: every diagnostic becomes one annotation at its position.
func TestValidateGitHub(t *testing.T) {
	path := corpus + "invalid/errors-and-warnings.yaml"
	r := kubeforge(t, "validate", "--output", "github", path)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != exitInvalid || len(lines) != 4 || r.stderr != "" {
		t.Fatalf("%s", r)
	}
	for _, l := range lines {
		if !githubCommand.MatchString(l) {
			t.Errorf("not a workflow command: %q", l)
		}
	}
	want := "::error file=" + escapeProperty(path) + ",line=6,col=17,endLine=6,endColumn=25,title=kubeforge KF1501%3A kubelet.cgroupDriver::kubelet cgroupDriver \"cgroupfs\" disagrees with the container runtime%0A"
	if !strings.HasPrefix(lines[1], want) {
		t.Errorf("annotation:\n%s\nwant prefix:\n%s", lines[1], want)
	}
	if !strings.HasPrefix(lines[0], "::warning ") {
		t.Errorf("warning: %s", lines[0])
	}
	if r := kubeforge(t, "validate", "--output", "github", "../../examples/ha.yaml"); r.code != exitOK || r.stdout != "prod: valid (Kubernetes v1.37.2, 6 hosts)\n" {
		t.Errorf("valid: %s", r)
	}
}

// TestAnnotationEscaping: GitHub's runner unescapes %25, %0D, %0A (and %3A, %2C in
// properties); anything else in a description's text stays literal.
func TestAnnotationEscaping(t *testing.T) {
	a := annotation{Level: "error", File: "a,b:c.yaml", Line: 3, Col: 4, Title: "x: y,z%",
		Message: "100% sure\r\n::warning::injected"}
	want := "::error file=a%2Cb%3Ac.yaml,line=3,col=4,title=x%3A y%2Cz%25::100%25 sure%0D%0A::warning::injected"
	if got := a.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if !githubCommand.MatchString(a.String()) {
		t.Error("escaped annotation is not one workflow command")
	}
	if got := (annotation{Level: "notice", Message: "m"}).String(); got != "::notice::m" {
		t.Errorf("without properties: %s", got)
	}
}

// TestSchemaCommand: the CUE schema as embedded; the JSON Schema as generated.
func TestSchemaCommand(t *testing.T) {
	t.Parallel()
	if r := kubeforge(t, "schema"); r.code != exitOK || r.stdout != string(schema.Source()) {
		t.Errorf("schema: exit %d, %d bytes", r.code, len(r.stdout))
	}
	want, err := schema.JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	r := kubeforge(t, "schema", "--format", "jsonschema")
	if r.code != exitOK || r.stdout != string(want) || !json.Valid([]byte(r.stdout)) {
		t.Errorf("schema --format jsonschema: %s", r.String()[:min(300, len(r.String()))])
	}
}
