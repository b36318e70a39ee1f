package clusterbundle

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/internal/realbin"
	"kubeforge.dev/kubeforge/render/pki"
	"kubeforge.dev/kubeforge/render/staticpod"

	corev1 "k8s.io/api/core/v1"

	"kubeforge.dev/kubeforge/compiler"
)

// binDir returns the directory of the real v1.37 binaries.
func binDir(t *testing.T) string { return realbin.Dir(t) }

// kubeadmVersion returns the minor of a kubeadm binary and its full version.
func kubeadmVersion(t *testing.T, kubeadm string) (int, string) {
	t.Helper()
	out, err := exec.Command(kubeadm, "version", "-o", "short").Output()
	if err != nil {
		t.Fatalf("kubeadm version: %v", err)
	}
	s := strings.TrimSpace(string(out))
	v, _, err := compiler.ParseVersion(s)
	if err != nil {
		t.Fatalf("kubeadm version %q: %v", s, err)
	}
	return v.Minor, s
}

// kubeadmValidate runs `kubeadm config validate` on a configuration file and returns its
// combined output and error.
func kubeadmValidate(t *testing.T, kubeadm, config string) (string, error) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "kubeadm.yaml")
	if err := os.WriteFile(f, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(kubeadm, "config", "validate", "--config", f).CombinedOutput()
	return string(out), err
}

// kubeadmDocuments returns the configurations a bundle uploads, as one multi-document file
// kubeadm reads: the ClusterConfiguration, the KubeletConfiguration and, with kube-proxy, the
// KubeProxyConfiguration.
func kubeadmDocuments(t *testing.T, arts []artifact.Artifact) string {
	t.Helper()
	d := decodeBundle(t, arts)
	var docs []string
	for _, want := range []struct{ name, key string }{
		{configMapKubeadmConfig, keyClusterConfiguration},
		{configMapKubeletConfig, keyKubelet},
		{kubeProxyName, keyKubeProxyConfig},
	} {
		for _, p := range d.order {
			if cm, ok := d.objects[p].(*corev1.ConfigMap); ok && cm.Name == want.name {
				docs = append(docs, cm.Data[want.key])
			}
		}
	}
	if len(docs) < 2 {
		t.Fatalf("the bundle uploads %d kubeadm configurations, want at least 2", len(docs))
	}
	return strings.Join(docs, "---\n")
}

// TestKubeadmReadsUploadedConfiguration has the real kubeadm strictly decode and validate the
// ClusterConfiguration, KubeletConfiguration and KubeProxyConfiguration of every example, as
// kubeadm upgrade reads them from the cluster.
func TestKubeadmReadsUploadedConfiguration(t *testing.T) {
	kubeadm := filepath.Join(binDir(t), "kubeadm")
	minor, version := kubeadmVersion(t, kubeadm)
	forEachCluster(t, func(t *testing.T, c *compiler.Cluster) {
		// kubeadm refuses control planes more than one minor older than itself; field names
		// are what is checked here, so older examples are validated at the binary's version.
		if c.Version.Minor < minor-1 {
			v, rel, err := compiler.ParseVersion(version)
			if err != nil {
				t.Fatal(err)
			}
			older := *c
			c = &older
			c.Version, c.Release = v, rel
		}
		out, err := kubeadmValidate(t, kubeadm, kubeadmDocuments(t, render(t, c)))
		if err != nil {
			t.Fatalf("kubeadm config validate: %v\n%s", err, out)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "W") {
				t.Logf("kubeadm warns: %s", line)
			}
		}
	})
}

// TestKubeadmReadsRotationConfiguration: the ClusterConfiguration of a cluster whose CA is
// being rotated (the controller-manager signing with ca-signing.crt) is one kubeadm reads.
func TestKubeadmReadsRotationConfiguration(t *testing.T) {
	kubeadm := filepath.Join(binDir(t), "kubeadm")
	c := compilertest.Load(t, "../../examples/ha.yaml")
	arts, err := Artifacts(c, staticpod.Options{ClusterSigningCert: pki.ClusterSigningCertPath})
	if err != nil {
		t.Fatal(err)
	}
	docs := kubeadmDocuments(t, arts)
	if !strings.Contains(docs, "- name: cluster-signing-cert-file\n    value: "+pki.ClusterSigningCertPath+"\n") {
		t.Fatalf("no signing certificate flag in the ClusterConfiguration:\n%s", docs)
	}
	if out, err := kubeadmValidate(t, kubeadm, docs); err != nil {
		t.Fatalf("kubeadm config validate: %v\n%s", err, out)
	}
}

// TestKubeadmRejectsUnknownFields makes sure the validation above can fail: kubeadm must
// refuse a field its types do not have, in each of the documents.
func TestKubeadmRejectsUnknownFields(t *testing.T) {
	kubeadm := filepath.Join(binDir(t), "kubeadm")
	docs := strings.Split(kubeadmDocuments(t, render(t, compilertest.Load(t, "../../examples/ha.yaml"))), "---\n")
	for i := range docs {
		bad := append([]string{}, docs...)
		bad[i] += "notAKubeadmField: 1\n"
		out, err := kubeadmValidate(t, kubeadm, strings.Join(bad, "---\n"))
		if err == nil || !strings.Contains(out, "notAKubeadmField") {
			t.Errorf("document %d with an unknown field: kubeadm said %v\n%s", i, err, out)
		}
	}
}
