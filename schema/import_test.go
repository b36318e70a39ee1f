package schema_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/schema"
)

// The README tells users how to import the schema into their own CUE, write
// `kubeforge.#Cluster & {...}` and check it with `cue vet`. These tests do what it says, with
// the CUE Go API that the cue command is built on, and then load the result with kubeforge.

const userCluster = `package cluster

import "%s"

kubeforge.#Cluster & {
	name:                 "prod"
	controlPlaneEndpoint: "api.example.com"
	networking: podSubnets: ["10.244.0.0/16"]
	hosts: [
		for i in [1, 2, 3] {name: "cp\(i)", addresses: ["192.168.0.1\(i)"], roles: ["control-plane"]},
		{name: "w1", addresses: ["192.168.0.21"], roles: [%s]},
	]
}
`

// writeTree writes files (slash-separated paths) under a new directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// vet does what `cue vet` does in dir: load the package there and require it valid and
// concrete.
func vet(t *testing.T, dir string) error {
	insts := load.Instances([]string{"."}, &load.Config{Dir: dir})
	if len(insts) != 1 {
		t.Fatalf("%d instances", len(insts))
	}
	if insts[0].Err != nil {
		return insts[0].Err
	}
	v := cuecontext.New().BuildInstance(insts[0])
	if v.Err() != nil {
		return v.Err()
	}
	return v.Validate(cue.Concrete(true))
}

func TestImportSchema(t *testing.T) {
	module := "module: \"example.com/infra\"\nlanguage: version: \"v0.17.0\"\n"
	layouts := []struct {
		name       string
		schemaPath string // where `kubeforge schema >` writes
		importPath string
	}{
		// The schema in the user's own module, imported by its path in that module.
		{"module directory", "kubeforge/schema.cue", "example.com/infra/kubeforge"},
		// The schema where CUE looks for packages from outside the module.
		{"cue.mod/pkg", "cue.mod/pkg/kubeforge.dev/kubeforge/schema.cue", "kubeforge.dev/kubeforge"},
	}
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			good := writeTree(t, map[string]string{
				"cue.mod/module.cue": module,
				l.schemaPath:         string(schema.Source()),
				"cluster.cue":        sprintf(userCluster, l.importPath, `"worker"`),
			})
			if err := vet(t, good); err != nil {
				t.Fatalf("cue vet of a valid cluster fails: %v", err)
			}
			c, _, ds := compiler.Load(good)
			if ds.HasErrors() || len(c.Hosts) != 4 {
				t.Fatalf("kubeforge cannot load the package: %v", ds)
			}

			bad := writeTree(t, map[string]string{
				"cue.mod/module.cue": module,
				l.schemaPath:         string(schema.Source()),
				"cluster.cue":        sprintf(userCluster, l.importPath, `"wroker"`),
			})
			err := vet(t, bad)
			if err == nil || !strings.Contains(errors.Details(err, nil), `conflicting values "worker" and "wroker"`) {
				t.Errorf("cue vet does not reject a bad role: %v", err)
			}
			if _, _, ds := compiler.Load(bad); !strings.Contains(ds.Error(), `did you mean "worker"`) {
				t.Errorf("kubeforge does not explain the bad role: %v", ds)
			}
		})
	}
}

// sprintf fills userCluster's two %s: the import path and the worker's roles.
func sprintf(format, importPath, roles string) string {
	return strings.Replace(strings.Replace(format, "%s", importPath, 1), "%s", roles, 1)
}
