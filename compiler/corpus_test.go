package compiler

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler/diag"
)

var update = flag.Bool("update", false, "rewrite the .want files of testdata/ from the current diagnostics")

// corpusCase is one description of testdata/valid or testdata/invalid: a file, or a directory
// whose files load together.
type corpusCase struct {
	name  string   // relative to testdata, e.g. "invalid/bad-cidr.yaml"
	paths []string // what Load is given
	want  string   // the .want file
}

// corpusCases lists the cases of testdata/<kind>.
func corpusCases(t testing.TB, kind string) []corpusCase {
	entries, err := os.ReadDir(filepath.Join("testdata", kind))
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusCase
	for _, e := range entries {
		name := e.Name()
		p := filepath.Join("testdata", kind, name)
		if e.IsDir() {
			out = append(out, corpusCase{name: kind + "/" + name, paths: dirPaths(t, p), want: p + ".want"})
			continue
		}
		ext := filepath.Ext(name)
		if ext == ".want" {
			continue
		}
		out = append(out, corpusCase{name: kind + "/" + name, paths: []string{p}, want: strings.TrimSuffix(p, ext) + ".want"})
	}
	return out
}

// load returns the case's diagnostics: Load's, then, for a case directory holding a store/
// (the PKI store's encryption/ names and record, no key material), the rotation check a
// compile makes against that store.
func (tc corpusCase) load(t testing.TB) diag.List {
	c, _, ds := Load(tc.paths...)
	dir := strings.TrimSuffix(tc.want, ".want")
	entries, err := os.ReadDir(filepath.Join(dir, "store", EncryptionStoreDir))
	if c == nil || errors.Is(err, fs.ErrNotExist) {
		return ds
	}
	if err != nil {
		t.Fatal(err)
	}
	var stored StoredEncryptionKeys
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), EncryptionKeySuffix); ok {
			stored.Names = append(stored.Names, name)
		}
	}
	if data, err := os.ReadFile(filepath.Join(dir, "store", EncryptionStoreDir, EncryptionRecordFile)); err == nil {
		if stored.Record, err = ParseEncryptionKeyRecord(data); err != nil {
			t.Fatal(err)
		}
	}
	return append(ds, CheckEncryptionRotation(c.APIServer.EncryptionAtRest, stored)...)
}

// dirPaths returns how a case directory is loaded: as a CUE package when it holds only .cue
// files, else file by file in name order (several files unify into one description).
// Subdirectories hold files a description names (external etcd certificates), not parts of it.
func dirPaths(t testing.TB, dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	onlyCUE := true
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		files = append(files, filepath.Join(dir, e.Name()))
		onlyCUE = onlyCUE && filepath.Ext(e.Name()) == ".cue"
	}
	if onlyCUE {
		return []string{dir}
	}
	return files
}

// corpusLines renders diagnostics one per line, file names relative to testdata/: the code,
// the position with the end of the range (as "-COL" on the same line), then the diagnostic.
func corpusLines(t testing.TB, ds diag.List) []string {
	abs, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range ds.Sorted() {
		if d.Pos.File != "" {
			f, err := filepath.Abs(d.Pos.File)
			if err == nil {
				if rel, err := filepath.Rel(abs, f); err == nil && !strings.HasPrefix(rel, "..") {
					d.Pos.File = filepath.ToSlash(rel)
				}
			}
		}
		line := d.String()
		if end := d.End; end.Line != 0 {
			at := d.Pos.String()
			rng := fmt.Sprintf("%s-%d:%d", at, end.Line, end.Column)
			if end.Line == d.Pos.Line {
				rng = fmt.Sprintf("%s-%d", at, end.Column)
			}
			line = rng + strings.TrimPrefix(line, at)
		}
		out = append(out, string(d.Code)+" "+line)
	}
	return out
}

func readWant(t *testing.T, path string) []string {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// corpusKinds are the folders of testdata/: invalid descriptions must have an error, valid ones
// none (their .want lists the warnings they must give), and hostile ones, strings and shapes an
// attacker or a careless user would write, may be either: their .want says which.
var corpusKinds = []string{"invalid", "valid", "hostile"}

// TestCorpus loads every description of testdata/ and compares its diagnostics, exactly, with
// the .want file beside it.
func TestCorpus(t *testing.T) {
	for _, kind := range corpusKinds {
		cases := corpusCases(t, kind)
		if kind == "invalid" && len(cases) < 45 {
			t.Errorf("only %d invalid descriptions in the corpus", len(cases))
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ds := tc.load(t)
				got := corpusLines(t, ds)
				if *update {
					text := strings.Join(got, "\n")
					if text != "" {
						text += "\n"
					}
					if err := os.WriteFile(tc.want, []byte(text), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				if want := readWant(t, tc.want); !slices.Equal(want, got) {
					t.Errorf("diagnostics differ from %s\nwant:\n%s\ngot:\n%s", tc.want, strings.Join(want, "\n"), strings.Join(got, "\n"))
				}
				switch {
				case kind == "invalid" && !ds.HasErrors():
					t.Errorf("an invalid description loaded without errors")
				case kind == "valid" && ds.HasErrors():
					t.Errorf("a valid description has errors")
				}
				for _, d := range ds {
					if info, ok := diag.InfoOf(d.Code); !ok || info.Retired || info.Severity != d.Severity {
						t.Errorf("diagnostic without a code of the table, of its severity: %s %s", d.Code, d)
					}
					if d.Pos.File == "" || d.Pos.Line == 0 {
						t.Errorf("diagnostic without a position: %s", d)
					}
					if strings.Contains(d.String(), "kubeforge-schema.cue") {
						t.Errorf("diagnostic names the embedded schema: %s", d)
					}
				}
			})
		}
	}
}

// TestExamplesValid checks that every example loads without any diagnostic.
func TestExamplesValid(t *testing.T) {
	paths, err := filepath.Glob("../examples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, "../examples/large")
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			c, _, ds := Load(p)
			if len(ds) > 0 || c == nil {
				t.Errorf("diagnostics:\n%s", strings.Join(corpusLines(t, ds), "\n"))
			}
		})
	}
}

// codesNotInCorpus are the codes no corpus description produces, with the test that does.
var codesNotInCorpus = map[diag.Code]string{
	diag.CodeExternalEtcdCA:          "TestExternalEtcdFiles (the corpus holds no key material)",
	diag.CodeExternalEtcdCert:        "TestExternalEtcdFiles",
	diag.CodeExternalEtcdKey:         "TestExternalEtcdFiles",
	diag.CodeExternalEtcdKeyMismatch: "TestExternalEtcdFiles",
	diag.CodeNoDescription:           "description.TestLoadCodes (Load without a path)",
	diag.CodeUnknownFileType:         "description.TestLoadCodes (a corpus case is a description)",
	diag.CodeCUEPackages:             "description.TestLoadCodes (two CUE packages given)",
	diag.CodeMappingTooLarge:         "description.TestShapeLimits (more than 1000 keys)",
	diag.CodeInternal:                "a broken embedded schema, which no description makes",
	diag.CodeSchemaMismatch:          "a decoding the schema's types cannot take, which the schema refuses first",
	// The supported minors (1.35 to 1.37) are two apart at most, and a controller-manager
	// dials its own host's apiserver: these skew rules need minors or layouts the schema
	// cannot write.
	diag.CodeSkewControllersNewer:  "TestSkewRules",
	diag.CodeSkewKubeletTooOld:     "TestSkewRules",
	diag.CodeSkewKubeletThreeOlder: "TestSkewRules",
	diag.CodeSkewKubeProxyTooOld:   "TestSkewRules",
	diag.CodeSkewKubeProxyKubelet:  "TestSkewRules",
}

// TestCorpusCoversEveryReport checks that each diagnostic the builder and the checks can
// report (each call with its own format), and each code of the table, is produced by at
// least one corpus description; and that every report has the severity its code's row gives.
func TestCorpusCoversEveryReport(t *testing.T) {
	if *update {
		t.Skip("updating")
	}
	formats := reportFormats(t, "build.go", "checks.go", "checks_*.go")
	seen := map[string]bool{}
	reportHook = func(code diag.Code, sev diag.Severity, format string) {
		seen[format] = true
		if diag.SeverityOf(code) != sev {
			t.Errorf("%s is reported as %s, its row says %s: %q", code, sev, diag.SeverityOf(code), format)
		}
	}
	defer func() { reportHook = nil }()
	codes := map[diag.Code]bool{}
	for _, kind := range corpusKinds {
		for _, tc := range corpusCases(t, kind) {
			ds := tc.load(t)
			for _, d := range ds {
				codes[d.Code] = true
			}
		}
	}
	var missing []string
	for _, f := range formats {
		if !seen[f] {
			missing = append(missing, f)
		}
	}
	for _, info := range diag.Codes {
		_, exempt := codesNotInCorpus[info.Code]
		switch {
		case info.Retired:
		case codes[info.Code] && exempt:
			t.Errorf("%s is produced by the corpus: remove it from codesNotInCorpus", info.Code)
		case !codes[info.Code] && !exempt:
			missing = append(missing, string(info.Code)+" "+info.Title)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("no corpus description produces these diagnostics:\n%s", strings.Join(missing, "\n"))
	}
}
