package clusterbundle

import (
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler/compilertest"

	rbacv1 "k8s.io/api/rbac/v1"
)

// binding is what a ClusterRoleBinding or RoleBinding grants, written as kubeadm's source
// reads: "Kind/Role" to "SubjectKind:name" subjects.
type binding struct {
	role     string
	subjects []string
}

// kubeadmBindings are the bindings kubeadm 1.35 to 1.37 create at init for a running cluster,
// by namespace/name ("" namespace: cluster-wide).
var kubeadmBindings = map[string]binding{
	"/kubeadm:cluster-admins":                          {"ClusterRole/cluster-admin", []string{"Group:kubeadm:cluster-admins"}},
	"/kubeadm:node-autoapprove-certificate-rotation":   {"ClusterRole/system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", []string{"Group:system:nodes"}},
	"/kubeadm:apiserver-kubelet-client":                {"ClusterRole/system:kubelet-api-admin", []string{"User:kube-apiserver-kubelet-client"}},
	"/kubeadm:get-nodes":                               {"ClusterRole/kubeadm:get-nodes", []string{"Group:system:bootstrappers:kubeadm:default-node-token"}},
	"/kubeadm:kubelet-bootstrap":                       {"ClusterRole/system:node-bootstrapper", []string{"Group:system:bootstrappers:kubeadm:default-node-token"}},
	"/kubeadm:node-autoapprove-bootstrap":              {"ClusterRole/system:certificates.k8s.io:certificatesigningrequests:nodeclient", []string{"Group:system:bootstrappers:kubeadm:default-node-token"}},
	"kube-system/kubeadm:nodes-kubeadm-config":         {"Role/kubeadm:nodes-kubeadm-config", []string{"Group:system:bootstrappers:kubeadm:default-node-token", "Group:system:nodes"}},
	"kube-system/kubeadm:kubelet-config":               {"Role/kubeadm:kubelet-config", []string{"Group:system:bootstrappers:kubeadm:default-node-token", "Group:system:nodes"}},
	"kube-public/kubeadm:bootstrap-signer-clusterinfo": {"Role/kubeadm:bootstrap-signer-clusterinfo", []string{"User:system:anonymous"}},
	"/kubeadm:node-proxier":                            {"ClusterRole/system:node-proxier", []string{"ServiceAccount:kube-system/kube-proxy"}},
	"kube-system/kube-proxy":                           {"Role/kube-proxy", []string{"Group:system:bootstrappers:kubeadm:default-node-token"}},
	"/system:coredns":                                  {"ClusterRole/system:coredns", []string{"ServiceAccount:kube-system/coredns"}},
}

func subjectStrings(ss []rbacv1.Subject) []string {
	var out []string
	for _, s := range ss {
		name := s.Name
		if s.Namespace != "" {
			name = s.Namespace + "/" + name
		}
		out = append(out, s.Kind+":"+name)
	}
	slices.Sort(out)
	return out
}

func TestRBACIsKubeadms(t *testing.T) {
	d := decodeBundle(t, render(t, compilertest.Load(t, "../../examples/ha.yaml")))
	got := map[string]binding{}
	for _, b := range find[*rbacv1.ClusterRoleBinding](d, nil) {
		got["/"+b.Name] = binding{b.RoleRef.Kind + "/" + b.RoleRef.Name, subjectStrings(b.Subjects)}
	}
	for _, b := range find[*rbacv1.RoleBinding](d, nil) {
		got[b.Namespace+"/"+b.Name] = binding{b.RoleRef.Kind + "/" + b.RoleRef.Name, subjectStrings(b.Subjects)}
	}
	for name, want := range kubeadmBindings {
		g, ok := got[name]
		if !ok {
			t.Errorf("binding %s missing", name)
			continue
		}
		if g.role != want.role || !slices.Equal(g.subjects, want.subjects) {
			t.Errorf("binding %s: %s to %v, want %s to %v", name, g.role, g.subjects, want.role, want.subjects)
		}
	}
	for name := range got {
		if _, ok := kubeadmBindings[name]; !ok {
			t.Errorf("binding %s is not kubeadm's", name)
		}
	}
	// Every Role a binding names is in the bundle or built into the apiserver.
	roles := map[string]bool{}
	for _, r := range find[*rbacv1.ClusterRole](d, nil) {
		roles["ClusterRole/"+r.Name] = true
	}
	for _, r := range find[*rbacv1.Role](d, nil) {
		roles["Role/"+r.Name] = true
		if len(r.Rules) != 1 || !slices.Equal(r.Rules[0].Verbs, []string{"get"}) || len(r.Rules[0].ResourceNames) != 1 {
			t.Errorf("Role %s/%s grants more than getting one ConfigMap: %+v", r.Namespace, r.Name, r.Rules)
		}
	}
	for name, b := range got {
		builtIn := strings.HasPrefix(b.role, "ClusterRole/system:") && b.role != "ClusterRole/system:coredns" || b.role == "ClusterRole/cluster-admin"
		if !builtIn && !roles[b.role] {
			t.Errorf("binding %s names %s, which the bundle does not create", name, b.role)
		}
	}
}
