package staticpod

import (
	"bytes"
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// encode returns the pod as YAML without the noise Go's zero values leave behind
// (creationTimestamp: null, status: {}, resources: {}); keys sorted, so the bytes depend on
// the pod only.
func encode(p *corev1.Pod) ([]byte, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep numbers as written, not as float64
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return yaml.Marshal(prune(doc))
}

// prunedWhenEmpty are the keys whose empty object says nothing.
var prunedWhenEmpty = map[string]bool{"status": true, "resources": true}

// prune returns v without null values and without empty objects under prunedWhenEmpty keys.
func prune(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, sub := range t {
			sub = prune(sub)
			if m, ok := sub.(map[string]any); sub == nil || ok && len(m) == 0 && prunedWhenEmpty[k] {
				delete(t, k)
				continue
			}
			t[k] = sub
		}
	case []any:
		for i := range t {
			t[i] = prune(t[i])
		}
	}
	return v
}
