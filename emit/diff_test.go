package emit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/render/artifact"
)

func TestDiffEqualOutputHasNoChanges(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	out := sampleOutput("1", 2)
	if err := Write(dir, out); err != nil {
		t.Fatal(err)
	}
	changes, err := Diff(dir, out.Hosts)
	if err != nil || len(changes) != 0 {
		t.Fatalf("changes = %v, err = %v", changes, err)
	}
}

func TestDiffNamesExactlyWhatChanged(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	out := sampleOutput("1", 2)
	if err := Write(dir, out); err != nil {
		t.Fatal(err)
	}
	next := sampleOutput("1", 2)
	h1 := &next.Hosts[1]
	for i, a := range h1.Artifacts {
		switch a.Path {
		case "/etc/kubernetes/manifests/etcd.yaml":
			h1.Artifacts[i].Data = []byte("gen 2\n")
		case "/etc/kubernetes/pki/ca.key":
			h1.Artifacts[i].Data = []byte("another key")
		case "/var/lib/kubelet/config.yaml":
			h1.Artifacts[i].Mode = 0o640
		}
	}
	h1.Add(artifact.File("/etc/new.conf", 0o644, []byte("new\n")))
	h1.Sort()
	os.WriteFile(filepath.Join(dir, "h1/etc/stray.conf"), []byte("stray"), 0o644)

	changes, err := Diff(dir, next.Hosts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range changes {
		got = append(got, c.String())
	}
	want := []string{
		"added h1:/etc/new.conf",
		"changed h1:/etc/kubernetes/manifests/etcd.yaml",
		"changed h1:/etc/kubernetes/pki/ca.key",
		"changed h1:/var/lib/kubelet/config.yaml",
		"removed h1:/etc/stray.conf",
	}
	if !sameSet(got, want) {
		t.Fatalf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range changes {
		switch c.Path {
		case "/etc/kubernetes/manifests/etcd.yaml":
			if !strings.Contains(c.Detail, "-gen 1\n+gen 2\n") {
				t.Errorf("text change detail:\n%s", c.Detail)
			}
		case "/etc/kubernetes/pki/ca.key":
			if strings.Contains(c.Detail, "another key") || strings.Contains(c.Detail, "key 1") || !strings.Contains(c.Detail, "secret sha256:") {
				t.Errorf("secret change must show fingerprints only: %s", c.Detail)
			}
		case "/var/lib/kubelet/config.yaml":
			if c.Detail != "mode 0644 -> 0640" {
				t.Errorf("mode change detail: %q", c.Detail)
			}
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestRedactedTreeDiffsByFingerprint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "golden")
	out := sampleOutput("1", 1)
	red := Output{Hosts: []artifact.Bundle{Redact(out.Hosts[0])}}
	if err := Write(dir, red); err != nil {
		t.Fatal(err)
	}
	key, _ := os.ReadFile(filepath.Join(dir, "h0/etc/kubernetes/pki/ca.key"))
	if strings.Contains(string(key), "key 1") || !strings.HasPrefix(string(key), redactedPrefix) {
		t.Fatalf("redacted key file holds %q", key)
	}
	if changes, err := Diff(dir, out.Hosts); err != nil || len(changes) != 0 {
		t.Fatalf("unredacted compile against redacted tree: %v %v", changes, err)
	}
	other := sampleOutput("2", 1)
	changes, _ := Diff(dir, other.Hosts)
	found := false
	for _, c := range changes {
		if c.Path == "/etc/kubernetes/pki/ca.key" {
			found = true
		}
	}
	if !found {
		t.Fatalf("a different key was not reported against the redacted tree: %v", changes)
	}
}
