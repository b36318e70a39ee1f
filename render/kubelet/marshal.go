package kubelet

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sync"

	kubeletconfigv1beta1 "k8s.io/kubelet/config/v1beta1"
	"sigs.k8s.io/yaml"
)

// Marshal returns the configuration as YAML with its apiVersion and kind, keeping only the
// fields that were set: what config.yaml holds, and what the kubelet-config ConfigMap should.
func Marshal(cfg *kubeletconfigv1beta1.KubeletConfiguration) ([]byte, error) {
	out := cfg.DeepCopy()
	out.APIVersion = kubeletconfigv1beta1.SchemeGroupVersion.String()
	out.Kind = "KubeletConfiguration"
	return marshalPruned(out)
}

// marshalPruned returns cfg as YAML without the fields the typed marshal writes although
// nothing set them: every value equal to the one an empty KubeletConfiguration marshals to
// ("0s" durations, empty structs, zero logging options). Pointers that were set survive even
// when they hold a zero value (resolvConf: "", failSwapOn: false), since the empty
// configuration omits them.
func marshalPruned(cfg *kubeletconfigv1beta1.KubeletConfiguration) ([]byte, error) {
	js, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	if out, ok := marshalled.get(js); ok {
		return out, nil
	}
	obj, err := jsonTree(js)
	if err != nil {
		return nil, err
	}
	zero, err := zeroTree()
	if err != nil {
		return nil, err
	}
	out, err := yaml.Marshal(prune(obj, zero))
	if err != nil {
		return nil, err
	}
	marshalled.put(js, out)
	return out, nil
}

// marshalled remembers the YAML of the configurations marshalled lately, by their JSON: the
// hosts of a group share one configuration, and marshalling it for each of them was a fifth
// of a 5,000-host compile.
var marshalled = &yamlCache{m: map[string][]byte{}}

// yamlCache maps JSON to YAML; it is bounded (cleared when full) and hands out copies, so no
// two artifacts share their bytes.
type yamlCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

const yamlCacheSize = 256

// get returns a copy of the YAML stored for js.
func (c *yamlCache) get(js []byte) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out, ok := c.m[string(js)]
	return bytes.Clone(out), ok
}

func (c *yamlCache) put(js, out []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= yamlCacheSize {
		clear(c.m)
	}
	c.m[string(js)] = bytes.Clone(out)
}

// zeroTree returns the tree of an empty KubeletConfiguration, computed once: it is the same
// for every host, and computing it per host cost as much as the host's own tree. Callers only
// read it.
var zeroTree = sync.OnceValues(func() (map[string]any, error) {
	return toTree(&kubeletconfigv1beta1.KubeletConfiguration{})
})

// toTree returns v's JSON form as maps, slices and json.Numbers.
func toTree(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonTree(b)
}

// jsonTree returns a JSON object as maps, slices and json.Numbers.
func jsonTree(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// prune returns obj without the entries equal to zero's, recursing into objects and dropping
// objects left empty.
func prune(obj, zero map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range obj {
		z, inZero := zero[k]
		if inZero && reflect.DeepEqual(v, z) {
			continue
		}
		if m, ok := v.(map[string]any); ok {
			zm, _ := z.(map[string]any)
			m = prune(m, zm)
			if len(m) == 0 && inZero {
				continue
			}
			v = m
		}
		out[k] = v
	}
	return out
}
