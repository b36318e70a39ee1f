package staticpod

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/testenv"

	corev1 "k8s.io/api/core/v1"

	"kubeforge.dev/kubeforge/compiler"
)

// Where kubeforge departs from kubeadm on purpose; everything else must be equal.
var intendedAdditions = map[string][]string{
	// All members start together from one --initial-cluster; kubeadm adds members one by one.
	"etcd": {"initial-cluster-state"},
	// The description's node CIDR masks are always passed, so they hold whatever the default.
	"kube-controller-manager": {"node-cidr-mask-size-ipv4", "node-cidr-mask-size-ipv6"},
}

// TestMatchesKubeadm has the real kubeadm (v1.37.1) write the manifests of the same
// single-control-plane clusters, on a root holding the CA directories of the host's OS family,
// and compares them with ours, pod by pod.
func TestMatchesKubeadm(t *testing.T) {
	dir := binDir(t)
	kubeadm := filepath.Join(dir, "kubeadm")
	if _, err := os.Stat(kubeadm); err != nil {
		testenv.Missing(t, "no kubeadm binary in %s", dir)
	}
	if os.Geteuid() != 0 {
		testenv.Missing(t, "kubeadm --rootfs chroots: needs root")
	}
	v, rel, err := compiler.ParseVersion("1.37.1")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]*compiler.Cluster{
		"single-node": compilertest.Load(t, "../../examples/single-node.yaml"),
		"dual-stack":  compilertest.Load(t, "../../examples/dual-stack.yaml"),
		"ipv6-8443": compilertest.LoadYAML(t, `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: six
apiServer: {bindPort: 8443}
networking: {serviceSubnets: ["fd00:96::/112"], dnsDomain: six.internal}
etcd: {dataDir: /srv/etcd}
hosts:
  - {name: cp1, nodeName: node-one, addresses: ["fd00:10::11"], roles: [control-plane]}
`),
		// kubeadm on a RHEL or Flatcar root finds only that family's CA directories.
		"rhel": compilertest.LoadYAML(t, `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: red
hostDefaults: {os: debian}
groups: {el: {os: rhel}}
hosts:
  - {name: cp1, group: el, addresses: [10.0.0.11], roles: [control-plane]}
`),
		"flatcar": compilertest.LoadYAML(t, `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: car
hosts:
  - {name: cp1, os: flatcar, addresses: [10.0.0.11], roles: [control-plane]}
`),
	}
	dec := strictDecoder(t)
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			h := c.HostsWith(compiler.RoleControlPlane)[0]
			c.Version, c.Release = v, rel
			h.Version, h.Release = v, rel
			theirs := runKubeadm(t, kubeadm, c, h)
			if len(theirs) != 4 {
				t.Fatalf("kubeadm wrote %d manifests, want 4", len(theirs))
			}
			for _, a := range manifests(t, c, h) {
				if a.IsDir() {
					continue
				}
				ours := decodePod(t, dec, a.Path, a.Data)
				data, ok := theirs[filepath.Base(a.Path)]
				if !ok {
					t.Errorf("kubeadm wrote no %s", filepath.Base(a.Path))
					continue
				}
				kpod := decodePod(t, dec, "kubeadm "+a.Path, data)
				dropFlags(ours, intendedAdditions[ours.Name])
				// kubeadm lists etcd's two mounts unsorted; the order means nothing.
				slices.SortFunc(kpod.Spec.Containers[0].VolumeMounts, func(a, b corev1.VolumeMount) int { return strings.Compare(a.Name, b.Name) })
				want, _ := encode(kpod)
				got, _ := encode(ours)
				if string(got) != string(want) {
					t.Errorf("%s differs from kubeadm's:\n%s", a.Path, lineDiff(string(want), string(got)))
				}
			}
		})
	}
}

// runKubeadm has kubeadm write h's control-plane and etcd manifests into a throwaway root
// holding the CA directories of h's OS family, which kubeadm mounts where it finds them, and
// returns them by file name.
func runKubeadm(t *testing.T, kubeadm string, c *compiler.Cluster, h *compiler.Host) map[string][]byte {
	t.Helper()
	root := t.TempDir()
	for _, d := range h.CATrustDirs() {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg := fmt.Sprintf(`apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint: {advertiseAddress: %q, bindPort: %d}
nodeRegistration: {name: %q}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: %s
clusterName: %s
imageRepository: %s
networking: {podSubnet: %q, serviceSubnet: %q, dnsDomain: %s}
etcd: {local: {dataDir: %s}}
`, h.AdvertiseAddress(), c.APIServer.BindPort, h.NodeName, c.Version, c.Name, c.ImageRepository,
		compiler.JoinPrefixes(c.Network.PodSubnets), compiler.JoinPrefixes(c.Network.ServiceSubnets), c.Network.DNSDomain, c.Etcd.DataDir)
	if err := os.WriteFile(filepath.Join(root, "kubeadm.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, phase := range [][]string{{"control-plane", "all"}, {"etcd", "local"}} {
		args := append([]string{"init", "phase"}, phase...)
		cmd := exec.Command(kubeadm, append(args, "--config", "/kubeadm.yaml", "--rootfs", root)...)
		// kubeadm copies *_proxy variables of its environment into the pods.
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kubeadm %v: %v\n%s", phase, err, out)
		}
	}
	out := map[string][]byte{}
	files, _ := filepath.Glob(filepath.Join(root, compiler.ManifestsDir, "*.yaml"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = data
	}
	return out
}

// dropFlags removes the named flags from the pod's command.
func dropFlags(p *corev1.Pod, names []string) {
	ctr := &p.Spec.Containers[0]
	ctr.Command = slices.DeleteFunc(ctr.Command, func(arg string) bool {
		name, _, _ := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		return strings.HasPrefix(arg, "--") && slices.Contains(names, name)
	})
}

// lineDiff returns the lines only in want (-) or only in got (+), enough to see a difference.
func lineDiff(want, got string) string {
	count := func(s string) map[string]int {
		m := map[string]int{}
		sc := bufio.NewScanner(strings.NewReader(s))
		for sc.Scan() {
			m[sc.Text()]++
		}
		return m
	}
	w, g := count(want), count(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if w[l] > g[l] {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if g[l] > w[l] {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	return b.String()
}
