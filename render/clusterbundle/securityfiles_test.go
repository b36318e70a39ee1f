package clusterbundle

import (
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/staticpod"
)

// TestKubeadmConfigKeepsSecurityFiles checks that kubeadm's ClusterConfiguration names the
// encryption, audit, admission and authentication flags and mounts the static pod has:
// `kubeadm upgrade` regenerates the apiserver from it, and without them an upgraded apiserver
// would stop encrypting Secrets, auditing, enforcing Pod Security and accepting the JWT
// issuers. The user's own extra flags stay beside them, and the plugin list the user gave
// gains EventRateLimit.
func TestKubeadmConfigKeepsSecurityFiles(t *testing.T) {
	for _, tc := range []struct {
		desc        string
		wantArgs    map[string]string
		wantVolumes []string
	}{
		{`apiServer: {encryptionAtRest: {}, audit: {maxAge: 7}, extraArgs: {v: "2"}}`,
			map[string]string{"v": "2", "encryption-provider-config": compiler.EncryptionConfigPath,
				"audit-policy-file": compiler.AuditPolicyPath, "audit-log-path": compiler.AuditLogPath, "audit-log-maxage": "7"},
			[]string{compiler.EncryptionConfigDir, compiler.AuditPolicyDir, compiler.AuditLogDir}},
		{`apiServer: {admission: {eventRateLimit: {limits: [{type: Server, qps: 1, burst: 1}]}}, extraArgs: {enable-admission-plugins: "NodeRestriction,AlwaysPullImages"},
			authentication: {jwt: [{issuer: {url: "https://issuer.example.com", audiences: [k8s]}, claimMappings: {username: {claim: sub, prefix: "oidc:"}}}]}}`,
			map[string]string{"admission-control-config-file": compiler.AdmissionConfigPath, "authentication-config": compiler.AuthenticationConfigPath,
				"enable-admission-plugins": "NodeRestriction,AlwaysPullImages,EventRateLimit"},
			[]string{compiler.AdmissionConfigDir, compiler.AuthenticationConfigDir}},
		{`apiServer: {extraArgs: {v: "2"}}`, map[string]string{"v": "2"}, nil},
	} {
		c := compilertest.LoadYAML(t, "apiVersion: kubeforge.dev/v1alpha1\nkind: Cluster\nname: s\n"+tc.desc+
			"\nhosts:\n  - {name: cp1, addresses: [10.0.0.1], roles: [control-plane]}\n")
		cc, err := clusterConfig(c, staticpod.Options{})
		if err != nil {
			t.Fatal(err)
		}
		args := map[string]string{}
		for _, a := range cc.APIServer.ExtraArgs {
			args[a.Name] = a.Value
		}
		for k, v := range tc.wantArgs {
			if args[k] != v {
				t.Errorf("%s: extraArgs %s=%q, want %q", tc.desc, k, args[k], v)
			}
		}
		if tc.wantVolumes == nil && len(args) != len(tc.wantArgs) {
			t.Errorf("%s: extraArgs %v, want only %v", tc.desc, args, tc.wantArgs)
		}
		var vols []string
		for _, v := range cc.APIServer.ExtraVolumes {
			if v.HostPath != v.MountPath {
				t.Errorf("%s: volume %s mounts %s at %s", tc.desc, v.Name, v.HostPath, v.MountPath)
			}
			vols = append(vols, v.HostPath)
			if v.ReadOnly != (v.HostPath != compiler.AuditLogDir) {
				t.Errorf("%s: volume %s readOnly %v", tc.desc, v.Name, v.ReadOnly)
			}
		}
		if len(vols) != len(tc.wantVolumes) {
			t.Errorf("%s: extraVolumes %v, want %v", tc.desc, vols, tc.wantVolumes)
		}
		for i := range min(len(vols), len(tc.wantVolumes)) {
			if vols[i] != tc.wantVolumes[i] {
				t.Errorf("%s: extraVolumes %v, want %v", tc.desc, vols, tc.wantVolumes)
			}
		}
	}
}
