package render

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/pki"
)

// signingCertFlag is the controller-manager's --cluster-signing-cert-file as a host's static
// pod names it and as the cluster bundle's kubeadm-config names it (kubeadm's default, ca.crt,
// when the ClusterConfiguration has no such extra flag).
type signingCertFlag struct{ pod, kubeadm string }

// signingCertFlags returns the flag of every control-plane host of a compile.
func signingCertFlags(t *testing.T, res *Result) map[string]signingCertFlag {
	t.Helper()
	kubeadm := compiler.CACertPath
	cm, ok := res.Cluster.Lookup("/10-config/6-configmap-kubeadm-config.yaml")
	if !ok {
		var paths []string
		for _, a := range res.Cluster.Artifacts {
			paths = append(paths, a.Path)
		}
		t.Fatalf("no kubeadm-config in the cluster bundle: %v", paths)
	}
	var obj corev1.ConfigMap
	if err := yaml.UnmarshalStrict(cm.Data, &obj); err != nil {
		t.Fatal(err)
	}
	var cc struct {
		ControllerManager struct {
			ExtraArgs []struct{ Name, Value string } `json:"extraArgs"`
		} `json:"controllerManager"`
	}
	if err := yaml.Unmarshal([]byte(obj.Data["ClusterConfiguration"]), &cc); err != nil {
		t.Fatal(err)
	}
	for _, a := range cc.ControllerManager.ExtraArgs {
		if a.Name == "cluster-signing-cert-file" {
			kubeadm = a.Value
		}
	}
	out := map[string]signingCertFlag{}
	for _, b := range res.Hosts {
		m, ok := b.Lookup(compiler.ManifestsDir + "/kube-controller-manager.yaml")
		if !ok {
			continue
		}
		out[b.Name] = signingCertFlag{pod: podFlag(t, m, "cluster-signing-cert-file"), kubeadm: kubeadm}
	}
	return out
}

// podFlag returns the value of a --name=value flag of a static pod's first container.
func podFlag(t *testing.T, m artifact.Artifact, name string) string {
	t.Helper()
	var p corev1.Pod
	if err := yaml.Unmarshal(m.Data, &p); err != nil {
		t.Fatal(err)
	}
	for _, arg := range p.Spec.Containers[0].Command {
		if v, ok := strings.CutPrefix(arg, "--"+name+"="); ok {
			return v
		}
	}
	t.Fatalf("%s has no --%s", m.Path, name)
	return ""
}

// TestKubeadmConfigSigningCertFollowsRotation: at every stage of a cluster CA rotation the
// kubeadm-config the cluster bundle uploads names the controller-manager's signing certificate
// its static pods have, so that `kubeadm upgrade` during stages 1-2 regenerates a
// controller-manager that can still start (it takes exactly one certificate there, and ca.crt
// then holds two).
func TestKubeadmConfigSigningCertFollowsRotation(t *testing.T) {
	c, _, ds := compiler.Load("../examples/ha.yaml")
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	now := time.Now()
	res, err := Compile(c, Options{PKI: &pki.Options{Now: func() time.Time { return now }}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{compiler.CACertPath, pki.ClusterSigningCertPath, pki.ClusterSigningCertPath, compiler.CACertPath}
	for stage, step := range []string{"", pki.RotateStart, pki.RotateAdvance, pki.RotateFinish} {
		store := res.PKI.Store()
		if step != "" {
			if store, _, err = pki.Rotate(store, "ca", step, c, now); err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			if res, err = Compile(c, Options{PKI: &pki.Options{Store: store, Now: func() time.Time { return now }}}); err != nil {
				t.Fatalf("compile after %s: %v", step, err)
			}
		}
		flags := signingCertFlags(t, res)
		if len(flags) == 0 {
			t.Fatal("no controller-manager in the compile")
		}
		for host, f := range flags {
			if f.pod != want[stage] || f.kubeadm != f.pod {
				t.Errorf("stage %d (after %q) %s: the static pod signs with %s, kubeadm-config names %s; want both %s",
					stage, step, host, f.pod, f.kubeadm, want[stage])
			}
		}
	}
}
