package pki

import (
	"bytes"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/compiler/untrusted"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/kubeconfig"
)

// rotationRun is one compile of a rotation: the stage's store (before the compile) and what
// the compile issued.
type rotationRun struct {
	before *Store
	r      *Result
}

// rotateThrough compiles c at stage 0 and after each rotation step of the names given (all
// rotated in step), returning the four compiles.
func rotateThrough(t *testing.T, c *compiler.Cluster, names ...string) []rotationRun {
	t.Helper()
	st, r := issuedStore(t, c)
	runs := []rotationRun{{&Store{Dir: "pki"}, r}}
	for _, step := range []string{RotateStart, RotateAdvance, RotateFinish} {
		for _, name := range names {
			next, _, err := Rotate(st, name, step, c, t0)
			if err != nil {
				t.Fatalf("%s %s: %v", step, name, err)
			}
			st = next
		}
		r := issue(t, c, Options{Store: st})
		runs = append(runs, rotationRun{st, r})
		st = r.Store()
	}
	return runs
}

// changedFiles returns "host:path" of every PKI file added, removed or changed between two
// compiles.
func changedFiles(c *compiler.Cluster, a, b *Result) []string {
	var out []string
	for _, h := range c.Hosts {
		before := map[string]artifact.Artifact{}
		for _, x := range a.HostArtifacts(h) {
			before[x.Path] = x
		}
		for _, y := range b.HostArtifacts(h) {
			x, ok := before[y.Path]
			delete(before, y.Path)
			if !ok || x.Mode != y.Mode || !bytes.Equal(x.Data, y.Data) {
				out = append(out, h.Name+":"+y.Path)
			}
		}
		for p := range before {
			out = append(out, h.Name+":"+p)
		}
	}
	slices.Sort(out)
	return out
}

// rotationExpectations says, by rules written from what each file is rather than from the
// tables, which files a stage changes for each rotatable name: trust lists the files that
// carry the CA (or the public keys), issued the files a stage-2 re-issue changes.
var rotationExpectations = map[string]struct {
	trust func(c *compiler.Cluster, h *compiler.Host, a artifact.Artifact) bool
	// issued is given the incoming CA and the "host:path" of the keys of what it signed.
	issued func(h *compiler.Host, a artifact.Artifact, newCA []byte, newKeys map[string]bool) bool
}{
	"ca": {
		trust: func(_ *compiler.Cluster, h *compiler.Host, a artifact.Artifact) bool {
			return a.Path == compiler.CACertPath || isKubeconfigPath(a.Path) ||
				(h.Has(compiler.RoleControlPlane) && a.Path == ClusterSigningCertPath)
		},
		issued: func(h *compiler.Host, a artifact.Artifact, newCA []byte, newKeys map[string]bool) bool {
			return isKubeconfigPath(a.Path) || a.Path == compiler.CAKeyPath || a.Path == ClusterSigningCertPath ||
				issuedBy(a, newCA) || newKeys[h.Name+":"+a.Path]
		},
	},
	"front-proxy-ca": {
		trust: func(_ *compiler.Cluster, _ *compiler.Host, a artifact.Artifact) bool {
			return a.Path == compiler.FrontProxyCACertPath
		},
		issued: func(_ *compiler.Host, a artifact.Artifact, _ []byte, _ map[string]bool) bool {
			return a.Path == compiler.FrontProxyClientCert || a.Path == compiler.FrontProxyClientKey
		},
	},
	"etcd-ca": {
		trust: func(_ *compiler.Cluster, _ *compiler.Host, a artifact.Artifact) bool {
			return a.Path == compiler.EtcdCACertPath
		},
		issued: func(h *compiler.Host, a artifact.Artifact, newCA []byte, newKeys map[string]bool) bool {
			return issuedBy(a, newCA) || newKeys[h.Name+":"+a.Path]
		},
	},
	"sa": {
		trust: func(_ *compiler.Cluster, _ *compiler.Host, a artifact.Artifact) bool {
			return a.Path == compiler.ServiceAccountPubPath
		},
		issued: func(_ *compiler.Host, a artifact.Artifact, _ []byte, _ map[string]bool) bool {
			return a.Path == compiler.ServiceAccountKeyPath
		},
	},
}

func isKubeconfigPath(p string) bool {
	return filepath.Dir(p) == "/etc/kubernetes" && strings.HasSuffix(p, ".conf")
}

// issuedBy reports whether an artifact's certificate (or kubeconfig client certificate) is
// signed by the CA certificate caPEM.
func issuedBy(a artifact.Artifact, caPEM []byte) bool {
	data := a.Data
	if k, ok := kubeconfig.Parse(a.Data); ok {
		data = k.Users[0].User.ClientCertificateData
	}
	cert, err := parseCert(data)
	ca, err2 := parseCert(caPEM)
	return err == nil && err2 == nil && !cert.IsCA && cert.CheckSignatureFrom(ca) == nil
}

// expectedChanges lists "host:path" of the files of compile r (or of before, for files r no
// longer has) that match.
func expectedChanges(c *compiler.Cluster, rs []*Result, match func(h *compiler.Host, a artifact.Artifact) bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rs {
		for _, h := range c.Hosts {
			for _, a := range r.HostArtifacts(h) {
				k := h.Name + ":" + a.Path
				if !a.IsDir() && match(h, a) && !seen[k] {
					seen[k] = true
					out = append(out, k)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestCARotationStages rotates each CA and the service-account key of the HA example through
// its stages and checks that each compile changes exactly the files the stage is about:
// 0→1 the files carrying the CA, 1→2 what the incoming CA re-issues, 2→3 the carrying files
// again; that bundles hold both certificates (or keys) in stages 1 and 2 and one before and
// after; that no host holds a key it must not at any stage; and that the store keeps no key of
// the outgoing CA after finish.
func TestCARotationStages(t *testing.T) {
	c := compilertest.Load(t, "ha.yaml")
	for _, name := range RotatableNames() {
		t.Run(name, func(t *testing.T) {
			runs := rotateThrough(t, c, name)
			exp := rotationExpectations[name]
			oldCA, newCA := runs[0].r.trust(clusterCA), runs[3].r.trust(clusterCA)
			if a, _ := rotationTarget(name); a != nil {
				oldCA, newCA = runs[0].r.cas[a.ID].CertPEM, runs[3].r.cas[a.ID].CertPEM
				if bytes.Equal(oldCA, newCA) {
					t.Fatal("the CA did not change")
				}
			}
			newKeys := map[string]bool{}
			for _, h := range c.Hosts {
				for _, a := range runs[2].r.HostArtifacts(h) {
					if strings.HasSuffix(a.Path, ".crt") && issuedBy(a, newCA) {
						newKeys[h.Name+":"+strings.TrimSuffix(a.Path, ".crt")+".key"] = true
					}
				}
			}
			trust := func(h *compiler.Host, a artifact.Artifact) bool { return exp.trust(c, h, a) }
			issued := func(h *compiler.Host, a artifact.Artifact) bool { return exp.issued(h, a, newCA, newKeys) }
			for i, want := range [][]string{
				expectedChanges(c, []*Result{runs[0].r, runs[1].r}, trust),
				expectedChanges(c, []*Result{runs[1].r, runs[2].r}, issued),
				expectedChanges(c, []*Result{runs[2].r, runs[3].r}, trust),
			} {
				got := changedFiles(c, runs[i].r, runs[i+1].r)
				if len(want) == 0 || !slices.Equal(got, want) {
					t.Errorf("stage %d→%d changes\n  %s\nwant\n  %s", i, i+1, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
				}
			}
			for i, run := range runs {
				for _, v := range privilegeViolations(t, c, bundlesOf(c, run.r)) {
					t.Errorf("stage %d: %s", i, v)
				}
				for _, v := range foreignKeys(t, c, run) {
					t.Errorf("stage %d: %s", i, v)
				}
				wantBlocks := map[int]int{0: 1, 1: 2, 2: 2, 3: 1}[i]
				for _, h := range c.Hosts {
					for _, a := range run.r.HostArtifacts(h) {
						if trust(h, a) && !isKubeconfigPath(a.Path) && a.Path != ClusterSigningCertPath {
							if n := bytes.Count(a.Data, []byte("-----BEGIN ")); n != wantBlocks {
								t.Errorf("stage %d: %s:%s holds %d PEM blocks, want %d", i, h.Name, a.Path, n, wantBlocks)
							}
						}
					}
				}
			}
			for rel := range runs[3].r.Store().Files {
				if strings.Contains(rel, nextSuffix) || strings.Contains(rel, prevSuffix) ||
					(strings.HasPrefix(rel, historyDir+"/") && strings.HasSuffix(rel, ".key")) {
					t.Errorf("after finish the store still holds %s", rel)
				}
			}
			// history/ keeps the outgoing certificate (or public key), and at no stage a key.
			outgoing := saBase + ".pub"
			if a, _ := rotationTarget(name); a != nil {
				outgoing = a.Store + ".crt"
			}
			var history []string
			for i, run := range runs {
				for rel, f := range run.r.Store().Files {
					if !strings.HasPrefix(rel, historyDir+"/") {
						continue
					}
					if untrusted.ContainsPrivateKey(f.Data) {
						t.Errorf("stage %d: the store's %s holds a private key", i, rel)
					}
					if i == 3 {
						history = append(history, rel)
						if !bytes.Equal(f.Data, runs[0].r.Store().Files[outgoing].Data) {
							t.Errorf("after finish %s is not the outgoing %s", rel, outgoing)
						}
					}
				}
			}
			if len(history) != 1 {
				t.Errorf("after finish history/ holds %v, want the outgoing %s alone", history, outgoing)
			}
			if states, err := RotationStates(runs[3].r.Store()); err != nil || slices.ContainsFunc(states, func(s RotationState) bool { return s.Stage != RotationNone }) {
				t.Errorf("after finish: %v %v", states, err)
			}
		})
	}
}

// foreignKeys returns the private keys a stage's bundles hold that no host may hold at that
// stage: the incoming CA's or service-account key in stage 1, the outgoing one in stage 2.
func foreignKeys(t *testing.T, c *compiler.Cluster, run rotationRun) []string {
	var forbidden []string
	for rel, f := range run.before.Files {
		if (strings.Contains(rel, nextSuffix) || strings.Contains(rel, prevSuffix)) && strings.HasSuffix(rel, ".key") {
			key, err := parseKey(f.Data)
			if err != nil {
				t.Fatal(err)
			}
			der, _ := x509.MarshalPKIXPublicKey(key.Public())
			forbidden = append(forbidden, string(der))
		}
	}
	var out []string
	for _, h := range c.Hosts {
		for _, a := range run.r.HostArtifacts(h) {
			for _, k := range privateKeys(t, a) {
				if slices.Contains(forbidden, k) {
					out = append(out, h.Name+":"+a.Path+" holds the key of a CA not signing at this stage")
				}
			}
		}
	}
	return out
}

// TestCARotationOpenSSL verifies with openssl every certificate of the cluster and etcd CAs
// against the CA file of its host at each stage: stage-1 (outgoing) certificates against the
// stage-1 bundle, stage-2 ones against the stage-2 and stage-3 bundles, and the outgoing ones
// must not verify against stage 3's.
func TestCARotationOpenSSL(t *testing.T) {
	openssl := needOpenSSL(t)
	c := compilertest.Load(t, "ha.yaml")
	runs := rotateThrough(t, c, "ca", "etcd-ca")
	dir := t.TempDir()
	cp1 := compilertest.Host(t, c, "cp1")
	caFile := func(stage int, p string) string {
		a, ok := lookup(runs[stage].r.HostArtifacts(cp1), p)
		if !ok {
			t.Fatalf("stage %d: cp1 has no %s", stage, p)
		}
		f := filepath.Join(dir, strings.ReplaceAll(p, "/", "_")+string(rune('0'+stage)))
		os.WriteFile(f, a.Data, 0o644)
		return f
	}
	verify := func(stage int, leafStage int) (ok, bad []string) {
		for _, h := range c.Hosts {
			for _, a := range runs[leafStage].r.HostArtifacts(h) {
				if a.IsDir() || !isCertArtifact(a) || a.Path == ClusterSigningCertPath {
					continue
				}
				cert := certOf(t, a)
				if cert.IsCA {
					continue
				}
				ca := compiler.CACertPath
				if strings.HasPrefix(a.Path, compiler.EtcdPKIDir) || a.Path == compiler.APIServerEtcdClientCert {
					ca = compiler.EtcdCACertPath
				}
				if a.Path == compiler.FrontProxyClientCert {
					ca = compiler.FrontProxyCACertPath
				}
				leaf := filepath.Join(dir, "leaf.pem")
				os.WriteFile(leaf, encodeCert(cert.Raw), 0o644)
				out, err := exec.Command(openssl, "verify", "-x509_strict", "-CAfile", caFile(stage, ca), leaf).CombinedOutput()
				where := h.Name + ":" + a.Path
				if err != nil {
					bad = append(bad, where+": "+strings.TrimSpace(string(out)))
				} else {
					ok = append(ok, where)
				}
			}
		}
		return ok, bad
	}
	for _, tc := range []struct{ bundle, leaves int }{{1, 1}, {2, 2}, {3, 2}, {3, 3}, {2, 1}} {
		ok, bad := verify(tc.bundle, tc.leaves)
		if len(bad) > 0 || len(ok) < 20 {
			t.Errorf("stage-%d certificates against the stage-%d bundles: %d verify; these do not:\n  %s", tc.leaves, tc.bundle, len(ok), strings.Join(bad, "\n  "))
		}
	}
	// Outgoing leaves (except the front-proxy ones, whose CA is not rotated here) are refused
	// once the outgoing CA is gone.
	ok, bad := verify(3, 1)
	for _, w := range ok {
		if !strings.Contains(w, "front-proxy") {
			t.Errorf("stage-1 certificate %s verifies against the stage-3 bundle", w)
		}
	}
	if len(bad) < 20 {
		t.Errorf("only %d stage-1 certificates refused at stage 3", len(bad))
	}
}
