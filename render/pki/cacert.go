package pki

// CACert returns the cluster CA certificate (PEM), which the cluster bundle's cluster-info
// ConfigMap publishes.
func (r *Result) CACert() []byte { return r.cas[clusterCA].CertPEM }
