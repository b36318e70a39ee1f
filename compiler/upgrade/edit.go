package upgrade

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"

	"kubeforge.dev/kubeforge/compiler"
)

// document is the user's description as a YAML node tree, which keeps the order of fields and
// the comments; a stage's description is the tree with its versions written in.
type document struct {
	root *yaml.Node // the top mapping
	doc  *yaml.Node
}

// parseDocument reads YAML or JSON (JSON is written back as YAML).
func parseDocument(data []byte) (*document, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the description is not one mapping")
	}
	return &document{root: doc.Content[0], doc: &doc}, nil
}

// versions is what a stage sets: the cluster's version and each host's, by index.
type versions struct {
	cluster compiler.Version
	hosts   []compiler.Version
}

// render writes the document with the versions: the cluster's kubernetesVersion (left as
// written while it does not change), each host's where it differs from the cluster's, and no
// group's (the hosts say it all).
func (d *document) render(v versions) ([]byte, error) {
	var out bytes.Buffer
	root := cloneNode(d.root)
	if cur, ok := value(root, "kubernetesVersion"); !ok || !sameVersion(cur.Value, v.cluster) {
		set(root, "kubernetesVersion", v.cluster.String())
	}
	if groups, ok := value(root, "groups"); ok && groups.Kind == yaml.MappingNode {
		for i := 1; i < len(groups.Content); i += 2 {
			remove(groups.Content[i], "kubernetesVersion")
		}
	}
	hosts, ok := value(root, "hosts")
	if !ok || hosts.Kind != yaml.SequenceNode || len(hosts.Content) != len(v.hosts) {
		return nil, fmt.Errorf("the description's hosts are not the list that was compiled")
	}
	for i, h := range hosts.Content {
		if h.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("hosts[%d] is not a mapping", i)
		}
		if v.hosts[i] == v.cluster {
			remove(h, "kubernetesVersion")
		} else if cur, ok := value(h, "kubernetesVersion"); !ok || !sameVersion(cur.Value, v.hosts[i]) {
			set(h, "kubernetesVersion", v.hosts[i].String())
		}
	}
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	doc := *d.doc
	doc.Content = []*yaml.Node{root}
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// sameVersion reports whether s, as written, is v.
func sameVersion(s string, v compiler.Version) bool {
	w, _, err := compiler.ParseVersion(s)
	return err == nil && w == v
}

// value returns the value of key in mapping m.
func value(m *yaml.Node, key string) (*yaml.Node, bool) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1], true
		}
	}
	return nil, false
}

// set gives key the string s: in place when the key is there, else right after "name" (where
// a reader looks first), quoted so that no YAML reader takes it for a number.
func set(m *yaml.Node, key, s string) {
	if v, ok := value(m, key); ok {
		v.Kind, v.Tag, v.Value, v.Style, v.Content = yaml.ScalarNode, "!!str", s, yaml.DoubleQuotedStyle, nil
		return
	}
	at := 0
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "name" {
			at = i + 2
		}
	}
	kv := []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Style: yaml.DoubleQuotedStyle},
	}
	m.Content = append(m.Content[:at], append(kv, m.Content[at:]...)...)
}

// remove deletes key from mapping m.
func remove(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i:i], m.Content[i+2:]...)
			return
		}
	}
}

// cloneNode copies a node tree, so that each stage edits its own.
func cloneNode(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = cloneNode(k)
	}
	if n.Alias != nil {
		c.Alias = cloneNode(n.Alias)
	}
	return &c
}
