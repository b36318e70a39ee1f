package clusterbundle

// Test descriptions beside the examples: every ClusterConfiguration field kubeforge fills,
// external etcd, addons switched off, custom taints and an IPv6-only cluster.

const everythingYAML = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: everything
kubernetesVersion: "1.37"
controlPlaneEndpoint: api.everything.example.com:8443
apiServer:
  bindPort: 8443
  certSANs: [api.example.org, 203.0.113.7]
  extraArgs: {audit-log-maxage: "30", profiling: "false"}
controllerManager:
  extraArgs: {node-monitor-grace-period: 50s}
scheduler:
  extraArgs: {profiling: "false"}
etcd:
  dataDir: /data/etcd
  extraArgs: {quota-backend-bytes: "8589934592"}
networking:
  podSubnets: [10.244.0.0/16]
  serviceSubnets: [10.100.0.0/16]
  dnsDomain: k8s.example.internal
pki: {keyAlgorithm: RSA-3072, caValidity: 175200h, certValidity: 4380h}
addons:
  kubeProxy: {mode: nftables}
hosts:
  - {name: cp1, addresses: [10.0.0.1], roles: [control-plane]}
  - name: w1
    addresses: [10.0.1.1]
    roles: [worker]
    taints: [{key: dedicated, value: gpu, effect: NoSchedule}]
`

const noAddonsYAML = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: bare
networking:
  podSubnets: [10.244.0.0/16]
addons:
  kubeProxy: {enabled: false}
  coreDNS: {enabled: false}
hosts:
  - {name: cp1, addresses: [10.0.0.1], roles: [control-plane]}
  - {name: w1, addresses: [10.0.1.1], roles: [worker]}
`

const externalEtcdYAML = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: ext
etcd:
  topology: external
  external:
    endpoints: [https://10.9.0.1:2379, https://10.9.0.2:2379]
    caFile: etcd/ca.crt
    certFile: etcd/client.crt
    keyFile: etcd/client.key
networking:
  podSubnets: [10.244.0.0/16]
hosts:
  - {name: cp1, addresses: [10.0.0.1], roles: [control-plane]}
`

const ipv6YAML = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: six
networking:
  podSubnets: ["fd00:244::/56"]
  serviceSubnets: ["fd00:96::/112"]
hosts:
  - {name: cp1, addresses: ["fd00:10::11"], roles: [control-plane]}
  - {name: w1, addresses: ["fd00:10::21"], roles: [worker]}
`

// testDescriptions are the descriptions above, by name.
var testDescriptions = map[string]string{
	"everything":    everythingYAML,
	"no-addons":     noAddonsYAML,
	"external-etcd": externalEtcdYAML,
	"ipv6":          ipv6YAML,
}
