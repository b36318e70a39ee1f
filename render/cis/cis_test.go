package cis

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/cisids"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/compiler/untrusted"
	"kubeforge.dev/kubeforge/render"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/pki"
)

// hardened sets everything the description can set for the benchmark to pass (with
// --anonymous-auth=false, which examples/hardened.yaml replaces by anonymous access to the
// health endpoints alone).
const hardened = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
apiServer:
  extraArgs:
    anonymous-auth: "false"
    enable-admission-plugins: NodeRestriction,DenyServiceExternalIPs,AlwaysPullImages,EventRateLimit
    kubelet-certificate-authority: /etc/kubernetes/pki/ca.crt
    profiling: "false"
    tls-cipher-suites: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    service-account-extend-token-expiration: "false"
  encryptionAtRest: {provider: secretbox}
  audit: {maxAge: 30, maxBackup: 10, maxSize: 100}
controllerManager:
  extraArgs: {terminated-pod-gc-threshold: "1000", profiling: "false"}
scheduler:
  extraArgs: {profiling: "false"}
kubelet:
  extraArgs:
    tls-cipher-suites: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    pod-max-pids: "4096"
    seccomp-default: "true"
hosts:
  - {name: cp1, addresses: [192.168.0.11], roles: [control-plane]}
  - {name: w1, addresses: [192.168.0.21], roles: [worker]}
`

// mutation breaks a compile: the description's text (old → new), or the rendered artifacts.
type mutation struct {
	// edits are pairs of old and new text.
	edits []string
	arts  func(*render.Result)
}

func edit(oldNew ...string) mutation { return mutation{edits: oldNew} }

// withAPIArg adds a line to apiServer.extraArgs, withKubeletArg one to kubelet.extraArgs and
// withKubelet lines to kubelet.
func withAPIArg(line string) mutation {
	return edit(`anonymous-auth: "false"`, `anonymous-auth: "false"`+"\n    "+line)
}
func withKubeletArg(line string) mutation {
	return edit(`seccomp-default: "true"`, `seccomp-default: "true"`+"\n    "+line)
}
func withKubelet(lines string) mutation { return edit("kubelet:\n", "kubelet:\n  "+lines) }

// onArtifact changes the artifact at path in every bundle holding it.
func onArtifact(path string, change func(*artifact.Artifact)) mutation {
	return mutation{arts: func(r *render.Result) {
		for i := range r.Hosts {
			for j := range r.Hosts[i].Artifacts {
				if a := &r.Hosts[i].Artifacts[j]; a.Path == path {
					change(a)
				}
			}
		}
	}}
}

func chmod(path string, mode fs.FileMode) mutation {
	return onArtifact(path, func(a *artifact.Artifact) { a.Mode = a.Mode&fs.ModeDir | mode })
}

func chown(path string) mutation {
	return onArtifact(path, func(a *artifact.Artifact) { a.UID = 1000 })
}

// dropArg removes a flag from a static pod, as no description can (kubeforge manages it).
func dropArg(t Target, flag string) mutation {
	re := regexp.MustCompile(`(?m)^\s*- --` + regexp.QuoteMeta(flag) + `=.*\n`)
	return onArtifact(manifestPath(t), func(a *artifact.Artifact) { a.Data = re.ReplaceAll(a.Data, nil) })
}

// addArg adds a flag to a static pod.
func addArg(t Target, flag string) mutation {
	return onArtifact(manifestPath(t), func(a *artifact.Artifact) {
		a.Data = bytes.Replace(a.Data, []byte("    - "+string(t)+"\n"), []byte("    - "+string(t)+"\n    - --"+flag+"\n"), 1)
	})
}

// compileChecked compiles a description with a fresh in-memory PKI, applies m and checks it.
func compileChecked(t *testing.T, m mutation) *Report {
	t.Helper()
	src := hardened
	for i := 0; i+1 < len(m.edits); i += 2 {
		if !strings.Contains(src, m.edits[i]) {
			t.Fatalf("the description has no %q", m.edits[i])
		}
		src = strings.Replace(src, m.edits[i], m.edits[i+1], 1)
	}
	c := compilertest.LoadYAML(t, src)
	res, err := render.Compile(c, render.Options{PKI: &pki.Options{}})
	if err != nil {
		t.Fatal(err)
	}
	if m.arts != nil {
		m.arts(res)
	}
	rep, err := Check(c, res)
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, res, rep)
	return rep
}

// assertNoSecret fails when the report, as text or JSON, holds a line of a private key, a
// kubeconfig with one or the encryption configuration of the compile: kubeforge check
// --output json goes to CI logs.
func assertNoSecret(t *testing.T, res *render.Result, rep *Report) {
	t.Helper()
	var out bytes.Buffer
	if err := WriteText(&out, rep); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&out, rep); err != nil {
		t.Fatal(err)
	}
	if untrusted.ContainsPrivateKey(out.Bytes()) {
		t.Fatal("the report holds a private key")
	}
	for _, b := range append(slices.Clone(res.Hosts), *res.Cluster) {
		for _, a := range b.Artifacts {
			if a.Path != compiler.EncryptionConfigPath && !untrusted.ContainsPrivateKey(a.Data) {
				continue
			}
			for line := range strings.Lines(string(a.Data)) {
				if line = strings.TrimSpace(line); len(line) >= 40 && bytes.Contains(out.Bytes(), []byte(line)) {
					t.Fatalf("the report holds a line of %s (%s): %q", a.Path, b.Name, line)
				}
			}
		}
	}
}

func statusOf(r *Report, id string) Result {
	for _, c := range r.Controls {
		if c.ID == id {
			return c
		}
	}
	return Result{}
}

// breaks has one row per control that files decide: the change that makes it fail.
var breaks = map[string]mutation{
	"1.1.1":  chmod(manifestPath(APIServer), 0o644),
	"1.1.2":  chown(manifestPath(APIServer)),
	"1.1.3":  chmod(manifestPath(ControllerManager), 0o640),
	"1.1.4":  chown(manifestPath(ControllerManager)),
	"1.1.5":  chmod(manifestPath(Scheduler), 0o604),
	"1.1.6":  chown(manifestPath(Scheduler)),
	"1.1.7":  chmod(manifestPath(Etcd), 0o700),
	"1.1.8":  chown(manifestPath(Etcd)),
	"1.1.11": chmod("/var/lib/etcd", 0o755),
	"1.1.12": chown("/var/lib/etcd"),
	"1.1.13": chmod(compiler.SuperAdminConfPath, 0o644),
	"1.1.14": chown(compiler.AdminConfPath),
	"1.1.15": chmod(compiler.SchedulerConfPath, 0o644),
	"1.1.16": chown(compiler.SchedulerConfPath),
	"1.1.17": chmod(compiler.ControllerManagerConfPath, 0o644),
	"1.1.18": chown(compiler.ControllerManagerConfPath),
	"1.1.19": chown(compiler.EtcdPKIDir),
	"1.1.20": chmod(compiler.APIServerCertPath, 0o666),
	"1.1.21": chmod(compiler.ServiceAccountKeyPath, 0o640),

	"1.2.1":  edit(`anonymous-auth: "false"`, `anonymous-auth: "true"`),
	"1.2.2":  edit(`profiling: "false"`+"\n    tls", `profiling: "false"`+"\n    token-auth-file: /etc/kubernetes/tokens.csv\n    tls"),
	"1.2.3":  edit(",DenyServiceExternalIPs", ""),
	"1.2.4":  dropArg(APIServer, "kubelet-client-key"),
	"1.2.5":  edit("    kubelet-certificate-authority: /etc/kubernetes/pki/ca.crt\n", ""),
	"1.2.6":  withAPIArg("authorization-mode: Node,RBAC,AlwaysAllow"),
	"1.2.7":  withAPIArg("authorization-mode: RBAC"),
	"1.2.8":  withAPIArg("authorization-mode: Node"),
	"1.2.9":  edit(",EventRateLimit", ""),
	"1.2.10": edit(",EventRateLimit", ",EventRateLimit,AlwaysAdmit"),
	"1.2.11": edit(",AlwaysPullImages", ""),
	"1.2.12": withAPIArg("disable-admission-plugins: ServiceAccount"),
	"1.2.13": withAPIArg("disable-admission-plugins: NamespaceLifecycle"),
	"1.2.14": edit("NodeRestriction,", ""),
	"1.2.15": edit(`profiling: "false"`+"\n    tls", `profiling: "true"`+"\n    tls"),
	"1.2.16": dropArg(APIServer, "audit-log-path"),
	"1.2.17": edit("maxAge: 30", "maxAge: 7"),
	"1.2.18": edit("maxBackup: 10", "maxBackup: 3"),
	"1.2.19": edit("maxSize: 100", "maxSize: 10"),
	"1.2.21": withAPIArg("service-account-lookup: \"false\""),
	"1.2.22": dropArg(APIServer, "service-account-key-file"),
	"1.2.23": dropArg(APIServer, "etcd-keyfile"),
	"1.2.24": dropArg(APIServer, "tls-private-key-file"),
	"1.2.25": dropArg(APIServer, "client-ca-file"),
	"1.2.26": dropArg(APIServer, "etcd-cafile"),
	"1.2.27": edit("  encryptionAtRest: {provider: secretbox}\n", ""),
	"1.2.28": edit("provider: secretbox", "provider: aesgcm"),
	"1.2.29": edit("tls-cipher-suites: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "tls-cipher-suites: TLS_RSA_WITH_RC4_128_SHA,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
	"1.2.30": edit(`service-account-extend-token-expiration: "false"`, `service-account-extend-token-expiration: "true"`),

	"1.3.1": edit(`terminated-pod-gc-threshold: "1000", `, ""),
	"1.3.2": edit(`terminated-pod-gc-threshold: "1000", profiling: "false"`, `terminated-pod-gc-threshold: "1000"`),
	"1.3.3": edit(`terminated-pod-gc-threshold: "1000", `, `terminated-pod-gc-threshold: "1000", use-service-account-credentials: "false", `),
	"1.3.4": dropArg(ControllerManager, "service-account-private-key-file"),
	"1.3.5": dropArg(ControllerManager, "root-ca-file"),
	"1.3.6": edit(`terminated-pod-gc-threshold: "1000", `, `terminated-pod-gc-threshold: "1000", feature-gates: "RotateKubeletServerCertificate=false", `),
	"1.3.7": edit(`terminated-pod-gc-threshold: "1000", `, `terminated-pod-gc-threshold: "1000", bind-address: 0.0.0.0, `),
	"1.4.1": edit(`extraArgs: {profiling: "false"}`, `extraArgs: {}`),
	"1.4.2": edit(`extraArgs: {profiling: "false"}`, `extraArgs: {profiling: "false", bind-address: 0.0.0.0}`),

	"2.1": dropArg(Etcd, "cert-file"),
	"2.2": edit("controllerManager:", "etcd: {extraArgs: {client-cert-auth: \"false\"}}\ncontrollerManager:"),
	"2.3": addArg(Etcd, "auto-tls=true"),
	"2.4": dropArg(Etcd, "peer-key-file"),
	"2.5": edit("controllerManager:", "etcd: {extraArgs: {peer-client-cert-auth: \"false\"}}\ncontrollerManager:"),
	"2.6": addArg(Etcd, "peer-auto-tls=true"),

	"3.2.1": dropArg(APIServer, "audit-policy-file"),

	"4.1.1":  chmod(compiler.KubeletUnitPath, 0o644),
	"4.1.2":  chown(compiler.KubeletUnitPath),
	"4.1.3":  onArtifact(compiler.KubeletConfPath, func(a *artifact.Artifact) { a.Path, a.Mode = "/var/lib/kube-proxy/kubeconfig.conf", 0o644 }),
	"4.1.4":  onArtifact(compiler.KubeletConfPath, func(a *artifact.Artifact) { a.Path, a.UID = "/var/lib/kube-proxy/kubeconfig.conf", 1000 }),
	"4.1.5":  chmod(compiler.KubeletConfPath, 0o640),
	"4.1.6":  chown(compiler.KubeletConfPath),
	"4.1.7":  chmod(compiler.CACertPath, 0o664),
	"4.1.8":  chown(compiler.CACertPath),
	"4.1.9":  chmod(compiler.KubeletConfigPath, 0o644),
	"4.1.10": chown(compiler.KubeletConfigPath),

	"4.2.1": withKubelet("anonymousAuth: true\n"),
	"4.2.2": withKubelet("authorizationMode: AlwaysAllow\n  webhookAuthentication: false\n"),
	"4.2.3": withKubelet("clientCAFile: \"\"\n  webhookAuthentication: false\n  authorizationMode: AlwaysAllow\n"),
	"4.2.4": withKubelet("readOnlyPort: 10255\n"),
	"4.2.5": withKubeletArg("streaming-connection-idle-timeout: \"0\""),
	"4.2.6": withKubeletArg("make-iptables-util-chains: \"false\""),
	"4.2.7": edit("{name: w1,", "{name: w1, nodeName: worker-1,"),
	"4.2.9": onArtifact(compiler.KubeletConfigPath, func(a *artifact.Artifact) {
		a.Data = regexp.MustCompile(`(?m)^tlsCertFile:.*\n`).ReplaceAll(a.Data, nil)
	}),
	"4.2.10": withKubelet("rotateCertificates: false\n"),
	"4.2.11": withKubelet("featureGates: {RotateKubeletServerCertificate: false}\n"),
	"4.2.12": edit("kubelet:\n  extraArgs:\n    tls-cipher-suites: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "kubelet:\n  extraArgs:\n    tls-cipher-suites: TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"),
	"4.2.13": edit(`pod-max-pids: "4096"`, `pod-max-pids: "-1"`),
	"4.2.14": edit(`seccomp-default: "true"`, `seccomp-default: "false"`),

	"NSA-AUTHN-ANONYMOUS":   edit(`anonymous-auth: "false"`, `anonymous-auth: "true"`),
	"NSA-AUTHZ-RBAC":        withAPIArg("authorization-mode: Node"),
	"NSA-SECRETS-ENCRYPTED": edit("  encryptionAtRest: {provider: secretbox}\n", ""),
	"NSA-AUDIT-LOG":         edit("  audit: {maxAge: 30, maxBackup: 10, maxSize: 100}\n", ""),
	"NSA-ETCD-TLS":          edit("controllerManager:", "etcd: {extraArgs: {client-cert-auth: \"false\"}}\ncontrollerManager:"),
	"NSA-APISERVER-ETCD-TLS": onArtifact(manifestPath(APIServer), func(a *artifact.Artifact) {
		a.Data = bytes.ReplaceAll(a.Data, []byte("https://127.0.0.1:2379"), []byte("http://127.0.0.1:2379"))
	}),
	"NSA-KUBELET-AUTH":                 withKubelet("anonymousAuth: true\n"),
	"NSA-KUBELET-READONLY-PORT":        withKubelet("readOnlyPort: 10255\n"),
	"NSA-CONTROLLER-MANAGER-LOCALHOST": edit(`terminated-pod-gc-threshold: "1000", `, `terminated-pod-gc-threshold: "1000", bind-address: 0.0.0.0, `),
	"NSA-SCHEDULER-LOCALHOST":          edit(`extraArgs: {profiling: "false"}`, `extraArgs: {profiling: "false", bind-address: 0.0.0.0}`),
	"NSA-HOST-FIREWALL":                edit("controllerManager:", "firewall: {enabled: false}\ncontrollerManager:"),
	"NSA-SECCOMP-DEFAULT":              edit(`seccomp-default: "true"`, `seccomp-default: "false"`),
}

// neverFail are controls with a Check that only ever reports pass or manual: the benchmark
// leaves the threshold to the site, and the finding shows the value.
var neverFail = []string{"4.2.8"}

func init() {
	// 2.7: etcd's CA made the cluster CA's twin; 4.3.1: kube-proxy's metrics on every address.
	breaks["2.7"] = mutation{arts: func(r *render.Result) {
		for i := range r.Hosts {
			if ca, ok := r.Hosts[i].Lookup(compiler.CACertPath); ok {
				onArtifact(compiler.EtcdCACertPath, func(a *artifact.Artifact) { a.Data = ca.Data }).arts(r)
			}
		}
	}}
	breaks["4.3.1"] = mutation{arts: func(r *render.Result) {
		for j := range r.Cluster.Artifacts {
			if a := &r.Cluster.Artifacts[j]; strings.HasSuffix(a.Path, "-configmap-kube-proxy.yaml") {
				a.Data = bytes.Replace(a.Data, []byte("    kind: KubeProxyConfiguration\n"), []byte("    kind: KubeProxyConfiguration\n    metricsBindAddress: 0.0.0.0:10249\n"), 1)
			}
		}
	}}
}

// TestHardenedPasses: with every setting the description offers, no control fails; the rows
// below start from this base.
func TestHardenedPasses(t *testing.T) {
	rep := compileChecked(t, mutation{})
	for _, c := range rep.Controls {
		if c.Status == Fail {
			t.Errorf("%s fails on the hardened base: %s", c.ID, c.Detail)
		}
	}
}

// TestEveryControlCanFail breaks each control on the hardened base, one row per control.
func TestEveryControlCanFail(t *testing.T) {
	for _, ctl := range Controls() {
		if ctl.Check == nil || slices.Contains(neverFail, ctl.ID) {
			continue
		}
		m, ok := breaks[ctl.ID]
		if !ok {
			t.Errorf("%s: no row breaks it", ctl.ID)
			continue
		}
		t.Run(ctl.ID, func(t *testing.T) {
			rep := compileChecked(t, m)
			if r := statusOf(rep, ctl.ID); r.Status != Fail || r.Detail == "" || len(r.Hosts) == 0 {
				t.Errorf("%s: %s (%q), want a failure with its detail and hosts", ctl.ID, r.Status, r.Detail)
			}
		})
	}
}

// TestTableMatchesIDs: the tables hold exactly the IDs the compiler accepts in waivers, each
// once, with a title and a section, and a manual row says why.
func TestTableMatchesIDs(t *testing.T) {
	var ids []string
	for _, c := range Controls() {
		ids = append(ids, c.ID)
		if c.Title == "" || c.Section == "" || (c.Check == nil && c.Manual == "") || (c.Check != nil && c.Target == "") {
			t.Errorf("%s: incomplete row", c.ID)
		}
	}
	if want := append(slices.Clone(cisids.CIS), cisids.NSA...); !slices.Equal(ids, want) {
		t.Errorf("control IDs differ from compiler/cisids:\n got %v\nwant %v", ids, want)
	}
}

// TestWaiver: a failing control that the description waives is waived with its reason and no
// longer fails the report; a waiver of a passing control is reported as unused.
func TestWaiver(t *testing.T) {
	rep := compileChecked(t, edit("hosts:\n", "checks:\n  waive:\n    \"1.2.15\": \"the perf team profiles\"\n    \"1.2.16\": \"never fails here\"\nhosts:\n"))
	if r := statusOf(rep, "1.2.16"); r.Status != Pass {
		t.Errorf("1.2.16: %s", r.Status)
	}
	if !slices.Equal(rep.UnusedWaivers, []string{"1.2.15", "1.2.16"}) {
		t.Errorf("unused waivers %v", rep.UnusedWaivers)
	}
	rep = compileChecked(t, edit(`profiling: "false"`+"\n    tls", `profiling: "true"`+"\n    tls"))
	if !rep.Failed() {
		t.Fatal("profiling on does not fail")
	}
	rep = compileChecked(t, edit(`profiling: "false"`+"\n    tls", `profiling: "true"`+"\n    tls",
		"hosts:\n", "checks: {waive: {\"1.2.15\": \"the perf team profiles\"}}\nhosts:\n"))
	r := statusOf(rep, "1.2.15")
	if r.Status != Waived || r.Waiver != "the perf team profiles" || rep.Failed() || rep.Summary.Waived != 1 {
		t.Errorf("1.2.15 %s %q, report failed %v, summary %+v", r.Status, r.Waiver, rep.Failed(), rep.Summary)
	}
}

// TestJSON: the JSON report decodes into the documented shape.
func TestJSON(t *testing.T) {
	rep := compileChecked(t, edit(`seccomp-default: "true"`, `seccomp-default: "false"`))
	var buf bytes.Buffer
	if err := WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Cluster, Benchmark string
		Controls           []struct {
			ID, Title, Section, Status, Field, Detail, Waiver string
			Hosts                                             []string
			Findings                                          []struct{ Host, Detail string }
		}
		Summary       map[string]int
		UnusedWaivers []string
	}
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Cluster != "t" || len(got.Controls) != len(Controls()) || got.Summary["fail"] != 2 {
		t.Errorf("cluster %q, %d controls, summary %v", got.Cluster, len(got.Controls), got.Summary)
	}
}
