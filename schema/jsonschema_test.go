package schema_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/schema"
)

// compiledJSONSchema generates the JSON Schema and compiles it as draft-07, which also checks
// it against draft-07's meta-schema.
func compiledJSONSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	generated, err := schema.JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(generated))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if got := doc.(map[string]any)["$schema"]; got != schema.JSONSchemaDraft {
		t.Fatalf("$schema is %v", got)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	if err := c.AddResource("kubeforge.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("kubeforge.schema.json")
	if err != nil {
		t.Fatalf("the generated schema does not compile as draft-07: %v", err)
	}
	return s
}

// instance reads a YAML or JSON description as a JSON Schema instance.
func instance(t *testing.T, path string) any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestJSONSchemaAcceptsEveryExample: what kubeforge accepts, editors must not underline.
func TestJSONSchemaAcceptsEveryExample(t *testing.T) {
	s := compiledJSONSchema(t)
	examples, _ := filepath.Glob("../examples/*.yaml")
	valid, _ := filepath.Glob("../compiler/testdata/valid/*.yaml")
	paths := append(examples, valid...)
	if len(examples) < 5 {
		t.Fatalf("found %d examples", len(examples))
	}
	for _, p := range paths {
		if err := s.Validate(instance(t, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// TestJSONSchemaRejects: descriptions the CUE schema refuses, one constraint kind each (closed
// structs, enums, patterns, bounds, constants, required fields, list lengths).
func TestJSONSchemaRejects(t *testing.T) {
	s := compiledJSONSchema(t)
	for _, name := range []string{
		"typo-nested", "bad-api-version", "bad-kind", "bad-cluster-name", "bad-host-name",
		"bad-enum-runtime", "bad-enum-role", "bad-taint-effect", "bad-port", "bad-duration",
		"bad-cri-socket", "missing-name", "empty-hosts",
	} {
		t.Run(name, func(t *testing.T) {
			path := "../compiler/testdata/invalid/" + name + ".yaml"
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("corpus case missing: %v", err)
			}
			if err := s.Validate(instance(t, path)); err == nil {
				t.Errorf("%s passes the JSON Schema", path)
			}
		})
	}
}

// TestJSONSchemaDefaults: the defaults editors show are the CUE schema's.
func TestJSONSchemaDefaults(t *testing.T) {
	generated, err := schema.JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(generated, &root); err != nil {
		t.Fatal(err)
	}
	props := root["properties"].(map[string]any)
	if got := props["kubernetesVersion"].(map[string]any)["default"]; got != "1.37" {
		t.Errorf("kubernetesVersion default %v", got)
	}
	defs := root["definitions"].(map[string]any)
	kubelet := defs["Kubelet"].(map[string]any)["properties"].(map[string]any)
	if got := kubelet["maxPods"].(map[string]any)["default"]; got != 110.0 {
		t.Errorf("kubelet.maxPods default %v", got)
	}
	if strings.Contains(string(generated), "$defs") || strings.Contains(string(generated), "prefixItems") {
		t.Error("draft 2020-12 keywords left in a draft-07 schema")
	}
}
