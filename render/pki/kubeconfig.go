package pki

import "kubeforge.dev/kubeforge/render/kubeconfig"

// buildKubeconfig returns a kubeconfig for user (the certificate's CN) of cluster at server,
// trusting caPEM and authenticating with the embedded certificate and key, with kubeadm's
// names: the context is "<user>@<cluster>".
func buildKubeconfig(cluster, server, user string, caPEM, certPEM, keyPEM []byte) ([]byte, error) {
	ctx := user + "@" + cluster
	kc := kubeconfig.New()
	kc.Clusters = []kubeconfig.NamedCluster{{Name: cluster, Cluster: kubeconfig.Cluster{Server: server, CertificateAuthorityData: caPEM}}}
	kc.Contexts = []kubeconfig.NamedContext{{Name: ctx, Context: kubeconfig.Context{Cluster: cluster, User: user}}}
	kc.CurrentContext = ctx
	kc.Users = []kubeconfig.NamedUser{{Name: user, User: kubeconfig.User{ClientCertificateData: certPEM, ClientKeyData: keyPEM}}}
	return kc.Marshal()
}
