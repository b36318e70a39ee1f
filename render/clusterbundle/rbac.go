package clusterbundle

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Subjects and roles kubeadm's RBAC refers to.
const (
	// groupClusterAdmins is admin.conf's group; it has no rights until bound.
	groupClusterAdmins = "kubeadm:cluster-admins"
	groupNodes         = "system:nodes"
	// groupBootstrapTokens is where kubeadm's bootstrap tokens authenticate. kubeforge creates
	// no token, so bindings to it grant nothing until an operator creates one.
	groupBootstrapTokens = "system:bootstrappers:kubeadm:default-node-token"
	userAnonymous        = "system:anonymous"
	// userAPIServerKubeletClient is the CN of apiserver-kubelet-client.crt, which carries no
	// organization: it reaches the kubelets' API only through this user's binding.
	userAPIServerKubeletClient = "kube-apiserver-kubelet-client"

	configMapKubeadmConfig = "kubeadm-config"
	configMapKubeletConfig = "kubelet-config"
	configMapClusterInfo   = "cluster-info"
)

// rbacManifests returns the RBAC kubeadm init creates for a running cluster, outside the
// addons: admin access, node certificate renewal, the apiserver's access to kubelets, reading
// the uploaded configuration, and the bootstrap-token bindings (inert without a token).
func rbacManifests() []manifest {
	var ms []manifest
	add := func(objs ...object) {
		for _, o := range objs {
			ms = append(ms, manifest{section: sectionRBAC, obj: o})
		}
	}
	add(clusterRoleBinding("kubeadm:cluster-admins", "cluster-admin", group(groupClusterAdmins)))
	// Lets the controller-manager approve a kubelet's CSR renewing its own client certificate,
	// so rotateCertificates keeps nodes in the cluster past their first certificate's expiry.
	add(clusterRoleBinding("kubeadm:node-autoapprove-certificate-rotation",
		"system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", group(groupNodes)))
	add(clusterRoleBinding("kubeadm:apiserver-kubelet-client", "system:kubelet-api-admin", user(userAPIServerKubeletClient)))

	// What kubeadm join and kubeadm upgrade read with a node's or a bootstrap token's identity.
	add(configMapReader(nsSystem, "kubeadm:nodes-kubeadm-config", configMapKubeadmConfig))
	add(roleBinding(nsSystem, "kubeadm:nodes-kubeadm-config", group(groupBootstrapTokens), group(groupNodes)))
	add(configMapReader(nsSystem, "kubeadm:kubelet-config", configMapKubeletConfig))
	add(roleBinding(nsSystem, "kubeadm:kubelet-config", group(groupNodes), group(groupBootstrapTokens)))
	add(configMapReader(nsPublic, "kubeadm:bootstrap-signer-clusterinfo", configMapClusterInfo))
	add(roleBinding(nsPublic, "kubeadm:bootstrap-signer-clusterinfo", user(userAnonymous)))

	// Bootstrap-token bindings, as kubeadm init and kubeadm upgrade apply create them: they let
	// a token made later with `kubeadm token create` join a node with `kubeadm join`.
	add(&rbacv1.ClusterRole{
		TypeMeta:   rbacType("ClusterRole"),
		ObjectMeta: metav1.ObjectMeta{Name: "kubeadm:get-nodes"},
		Rules:      []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"nodes"}}},
	})
	add(clusterRoleBinding("kubeadm:get-nodes", "kubeadm:get-nodes", group(groupBootstrapTokens)))
	add(clusterRoleBinding("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", group(groupBootstrapTokens)))
	add(clusterRoleBinding("kubeadm:node-autoapprove-bootstrap",
		"system:certificates.k8s.io:certificatesigningrequests:nodeclient", group(groupBootstrapTokens)))
	return ms
}

func group(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: name}
}

func user(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}

func serviceAccountSubject(ns, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
}

// clusterRoleBinding returns a binding of a ClusterRole to subjects.
func clusterRoleBinding(name, role string, subjects ...rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		TypeMeta:   rbacType("ClusterRoleBinding"),
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   subjects,
	}
}

// roleBinding returns a binding of the Role of the same name to subjects.
func roleBinding(ns, name string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		TypeMeta:   rbacType("RoleBinding"),
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects:   subjects,
	}
}

// configMapReader returns a Role allowing to get one ConfigMap.
func configMapReader(ns, name, configMap string) *rbacv1.Role {
	return &rbacv1.Role{
		TypeMeta:   rbacType("Role"),
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Rules: []rbacv1.PolicyRule{{
			Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{configMap},
		}},
	}
}
