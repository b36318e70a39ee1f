// Package ignition turns a host's bundle into an Ignition config (spec 3.4), for Flatcar
// Container Linux and Fedora CoreOS: files and directories under storage, unit files and
// their drop-ins under systemd, so Ignition enables the units it writes. Ignition writes
// everything in the initramfs, before the system's units first start: the container runtime
// and the kubelet start with their files, so nothing is restarted or reloaded.
package ignition

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/coreos/ignition/v2/config/v3_4/types"

	"kubeforge.dev/kubeforge/emit/internal/install"
	"kubeforge.dev/kubeforge/render/artifact"
)

// Version is the Ignition spec version of the configs.
const Version = "3.4.0"

// unitMode is the mode Ignition gives units and drop-ins; a unit file of another mode or
// owner stays an ordinary file.
const unitMode = 0o644

// Config returns the host's Ignition config as indented JSON, without empty fields.
func Config(b artifact.Bundle) ([]byte, error) {
	p, err := install.New(b)
	if err != nil {
		return nil, err
	}
	cfg := types.Config{Ignition: types.Ignition{Version: Version}}
	units := map[string]*types.Unit{}
	var unitOrder []string
	unit := func(name string) *types.Unit {
		if units[name] == nil {
			units[name] = &types.Unit{Name: name}
			unitOrder = append(unitOrder, name)
		}
		return units[name]
	}
	for _, d := range p.Dirs {
		if d.Implicit {
			continue // Ignition creates missing parents 0755, root's
		}
		if err := writable(d.Path); err != nil {
			return nil, fmt.Errorf("ignition %s: %w", b.Name, err)
		}
		cfg.Storage.Directories = append(cfg.Storage.Directories, types.Directory{
			Node:               node(d.Artifact),
			DirectoryEmbedded1: types.DirectoryEmbedded1{Mode: intPtr(int(install.Bits(d.Mode)))},
		})
	}
	enabled := map[string]bool{}
	for _, u := range p.Units() {
		enabled[u.Name] = u.Enable
	}
	for _, f := range p.Files {
		if err := writable(f.Path); err != nil {
			return nil, fmt.Errorf("ignition %s: %w", b.Name, err)
		}
		// A unit's contents are a JSON string, which holds UTF-8 only (encoding/json would turn
		// other bytes into U+FFFD): such a unit goes as a file, whose base64 keeps every byte.
		asUnit := f.Mode == unitMode && f.UID == 0 && f.GID == 0 && utf8.Valid(f.Data)
		if name, ok := install.UnitFile(f); ok && asUnit {
			u := unit(name)
			u.Contents = strPtr(string(f.Data))
			if enabled[name] {
				u.Enabled = boolPtr(true)
			}
			continue
		}
		if name, ok := install.DropInUnit(f); ok && asUnit {
			u := unit(name)
			u.Dropins = append(u.Dropins, types.Dropin{Name: path.Base(f.Path), Contents: strPtr(string(f.Data))})
			continue
		}
		if name, ok := install.UnitFile(f); ok && enabled[name] {
			// The unit file is written as a file with its own mode; the unit entry only
			// enables it.
			unit(name).Enabled = boolPtr(true)
		}
		cfg.Storage.Files = append(cfg.Storage.Files, types.File{
			Node:          withOverwrite(node(f)),
			FileEmbedded1: types.FileEmbedded1{Contents: contents(f.Data), Mode: intPtr(int(install.Bits(f.Mode)))},
		})
	}
	for _, name := range unitOrder {
		cfg.Systemd.Units = append(cfg.Systemd.Units, *units[name])
	}
	return encode(cfg)
}

// writable rejects paths Ignition cannot write on both systems: /usr is read-only, /usr/local
// included on Flatcar (Fedora CoreOS links it to /var); binaries belong in /opt/bin.
func writable(p string) error {
	if p == "/usr" || strings.HasPrefix(p, "/usr/") {
		return fmt.Errorf("%s: /usr is read-only on Flatcar and Fedora CoreOS; install binaries under /opt/bin", p)
	}
	return nil
}

// node returns the path and the owner; root, Ignition's default, is left implicit.
func node(a artifact.Artifact) types.Node {
	n := types.Node{Path: a.Path}
	if a.UID != 0 {
		n.User.ID = intPtr(a.UID)
	}
	if a.GID != 0 {
		n.Group.ID = intPtr(a.GID)
	}
	return n
}

// withOverwrite makes Ignition replace a file the image already has: the bundle is the truth.
func withOverwrite(n types.Node) types.Node {
	n.Overwrite = boolPtr(true)
	return n
}

// contents returns the data as a base64 data URL, gzip-compressed when that saves a tenth.
func contents(data []byte) types.Resource {
	r := types.Resource{}
	if gz := install.Gzip(data); len(gz)*10 < len(data)*9 {
		data = gz
		r.Compression = strPtr("gzip")
	}
	r.Source = strPtr("data:;base64," + base64.StdEncoding.EncodeToString(data))
	return r
}

// encode returns the config as indented JSON, ending in a newline. Ignition's types mark nested structs omitempty,
// which encoding/json ignores for structs, so empty objects are pruned after marshaling; map
// keys come out sorted, so the output is deterministic.
func encode(cfg types.Config) ([]byte, error) {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	var tree any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // unit files and XML stay readable: "<" is not "\u003c"
	if err := enc.Encode(prune(tree)); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// prune returns v without empty objects and arrays, at any depth.
func prune(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			x = prune(x)
			if isEmpty(x) {
				delete(v, k)
			} else {
				v[k] = x
			}
		}
	case []any:
		for i, x := range v {
			v[i] = prune(x)
		}
	}
	return v
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
}

func intPtr(i int) *int       { return &i }
func strPtr(s string) *string { return &s }
func boolPtr(b bool) *bool    { return &b }
