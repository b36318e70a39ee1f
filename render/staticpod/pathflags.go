package staticpod

// pathUse says how a component uses the host path a flag names, and so how to mount it.
type pathUse int

const (
	readsFile  pathUse = iota // an input: the file, read-only
	writesFile                // an output file or socket: its directory, writable
	writesDir                 // an output directory: itself, writable
)

// Flags naming host paths, per component. Paths kubeforge sets itself are already under a
// mounted directory; these tables matter for the user's extra args.
var (
	apiServerPathFlags = map[string]pathUse{
		"admission-control-config-file":            readsFile,
		"audit-log-path":                           writesFile,
		"audit-policy-file":                        readsFile,
		"audit-webhook-config-file":                readsFile,
		"authentication-config":                    readsFile,
		"authentication-token-webhook-config-file": readsFile,
		"authorization-config":                     readsFile,
		"authorization-policy-file":                readsFile,
		"authorization-webhook-config-file":        readsFile,
		"cert-dir":                                 writesDir,
		"client-ca-file":                           readsFile,
		"egress-selector-config-file":              readsFile,
		"encryption-provider-config":               readsFile,
		"etcd-cafile":                              readsFile,
		"etcd-certfile":                            readsFile,
		"etcd-keyfile":                             readsFile,
		"kubelet-certificate-authority":            readsFile,
		"kubelet-client-certificate":               readsFile,
		"kubelet-client-key":                       readsFile,
		"oidc-ca-file":                             readsFile,
		"peer-ca-file":                             readsFile,
		"proxy-client-cert-file":                   readsFile,
		"proxy-client-key-file":                    readsFile,
		"requestheader-client-ca-file":             readsFile,
		"service-account-key-file":                 readsFile,
		"service-account-signing-endpoint":         writesFile,
		"service-account-signing-key-file":         readsFile,
		"tls-cert-file":                            readsFile,
		"tls-private-key-file":                     readsFile,
		"token-auth-file":                          readsFile,
		"tracing-config-file":                      readsFile,
	}
	controllerManagerPathFlags = map[string]pathUse{
		"authentication-kubeconfig": readsFile,
		"authorization-kubeconfig":  readsFile,
		"cert-dir":                  writesDir,
		"client-ca-file":            readsFile,
		"cloud-config":              readsFile,
		"cluster-signing-cert-file": readsFile,
		"cluster-signing-key-file":  readsFile,
		"cluster-signing-kube-apiserver-client-cert-file": readsFile,
		"cluster-signing-kube-apiserver-client-key-file":  readsFile,
		"cluster-signing-kubelet-client-cert-file":        readsFile,
		"cluster-signing-kubelet-client-key-file":         readsFile,
		"cluster-signing-kubelet-serving-cert-file":       readsFile,
		"cluster-signing-kubelet-serving-key-file":        readsFile,
		"cluster-signing-legacy-unknown-cert-file":        readsFile,
		"cluster-signing-legacy-unknown-key-file":         readsFile,
		"flex-volume-plugin-dir":                          writesDir,
		"kubeconfig":                                      readsFile,
		"leader-migration-config":                         readsFile,
		"pv-recycler-pod-template-filepath-hostpath":      readsFile,
		"pv-recycler-pod-template-filepath-nfs":           readsFile,
		"requestheader-client-ca-file":                    readsFile,
		"root-ca-file":                                    readsFile,
		"service-account-private-key-file":                readsFile,
		"tls-cert-file":                                   readsFile,
		"tls-private-key-file":                            readsFile,
	}
	schedulerPathFlags = map[string]pathUse{
		"authentication-kubeconfig":    readsFile,
		"authorization-kubeconfig":     readsFile,
		"cert-dir":                     writesDir,
		"client-ca-file":               readsFile,
		"config":                       readsFile,
		"kubeconfig":                   readsFile,
		"requestheader-client-ca-file": readsFile,
		"tls-cert-file":                readsFile,
		"tls-private-key-file":         readsFile,
	}
	etcdPathFlags = map[string]pathUse{
		"cert-file":             readsFile,
		"client-cert-file":      readsFile,
		"client-crl-file":       readsFile,
		"client-key-file":       readsFile,
		"data-dir":              writesDir,
		"key-file":              readsFile,
		"peer-cert-file":        readsFile,
		"peer-client-cert-file": readsFile,
		"peer-client-key-file":  readsFile,
		"peer-crl-file":         readsFile,
		"peer-key-file":         readsFile,
		"peer-trusted-ca-file":  readsFile,
		"trusted-ca-file":       readsFile,
		"wal-dir":               writesDir,
	}
)
