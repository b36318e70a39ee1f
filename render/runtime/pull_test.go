package runtime

import (
	"context"
	"encoding/pem"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/testenv"
)

// The registry hosts files are proven with what reads them on a node: containerd's own
// resolver. `ctr images pull --hosts-dir` parses certs.d/<registry>/hosts.toml with the code
// the CRI plugin runs for config_path, so a pull of an image of a registry that does not exist
// succeeds only through the mirrors the file names: a registry the test serves on 127.0.0.1.

// missingRegistry is the registry the description mirrors: .invalid never resolves (RFC
// 6761), so any image of it comes from a mirror.
const missingRegistry = "registry.invalid:5000"

// mirrorRepo is the repository pulled, below missingRegistry.
const mirrorRepo = "some/image"

// TestContainerdPullsThroughMirror pulls, with a containerd of its own, an image of a registry
// that does not exist through the hosts.toml rendered for a mirror served by the test: over
// plain HTTP (kubeforge writes nothing for plainHTTP: containerd goes by the http:// of the
// host's URL) and over HTTPS with the test's CA as caFile. Each pull that works is mirrored by
// one that must fail.
func TestContainerdPullsThroughMirror(t *testing.T) {
	testenv.Root(t, "running containerd")
	testenv.Tools(t, "ctr")
	sock := startContainerd(t, containerdBinary(t), "")
	cases := []struct {
		name string
		tls  bool
		// mirror is the YAML of the mirror, given the server's URL and a file of its CA.
		mirror   func(url, caFile string) string
		hostsDir bool
		pulls    bool
	}{
		{name: "plain-http", mirror: plainHTTPMirror, hostsDir: true, pulls: true},
		// The negative control: the same pull without the hosts files goes to the registry
		// itself, which does not exist.
		{name: "plain-http-no-hosts-dir", mirror: plainHTTPMirror},
		{name: "https-cafile", tls: true, mirror: caFileMirror, hostsDir: true, pulls: true},
		// Without caFile the test CA is unknown: the pull fails in the TLS handshake.
		{name: "https-no-cafile", tls: true, mirror: func(url, _ string) string { return url }, hostsDir: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg := &testRegistry{repo: mirrorRepo, tag: tc.name, image: newImage(t, "served for "+tc.name+"\n")}
			srv := httptest.NewUnstartedServer(reg)
			var srvLog serverLog
			srv.Config.ErrorLog = log.New(&srvLog, "", 0)
			if tc.tls {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			t.Cleanup(srv.Close)
			caFile := writeServerCA(t, srv)
			c := compile(t, fmt.Sprintf("containerRuntime:\n  containerd: {version: \"1.6\"}\n  registryMirrors:\n    %q: [%s]\n",
				missingRegistry, tc.mirror(srv.URL, caFile)))
			arts, err := Artifacts(c, c.Hosts[0])
			if err != nil {
				t.Fatal(err)
			}
			certsDir := writeCertsDir(t, arts)

			ref := missingRegistry + "/" + mirrorRepo + ":" + tc.name
			args := []string{"images", "pull", "--snapshotter", "native"}
			if tc.hostsDir {
				args = append(args, "--hosts-dir", certsDir)
			}
			out, err := ctr(t, sock, append(args, ref)...)
			got, listed := imageDigest(t, sock, ref)
			// Close waits for the server's connections to end, and so for its log of them.
			srv.Close()
			seen, refused := reg.seen(), srvLog.handshakeErrors()
			t.Logf("pull %s: err %v, %d requests to the mirror, %d TLS handshakes refused, image digest %q (served %s)",
				ref, err, len(seen), len(refused), got, reg.image.digest)
			if !tc.pulls {
				if err == nil || listed {
					t.Fatalf("the pull succeeded without a usable mirror (listed %v):\n%s", listed, out)
				}
				if len(seen) != 0 {
					t.Errorf("the mirror served %d requests to a pull that failed: %v", len(seen), seen)
				}
				if tc.tls && len(refused) == 0 {
					t.Errorf("the pull failed without refusing the mirror's certificate:\n%s", out)
				}
				return
			}
			if len(refused) != 0 {
				t.Errorf("TLS handshakes with the mirror failed: %v", refused)
			}
			if err != nil {
				t.Fatalf("ctr %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			if got != reg.image.digest {
				t.Errorf("pulled image digest %q, the mirror served %s", got, reg.image.digest)
			}
			t.Logf("mirror requests: %v", seen)
			checkMirrorRequests(t, reg, seen)
		})
	}
}

// TestContainerdCRIPullsThroughMirror pulls as the kubelet does, through the CRI plugin of a
// containerd 1.6 that reads the bundle's drop-in (so its config_path) and the hosts.toml it
// points at, from a mirror over plain HTTP and over HTTPS with caFile. The negative control is
// the same node compiled without the mirror.
func TestContainerdCRIPullsThroughMirror(t *testing.T) {
	testenv.Root(t, "running containerd")
	testenv.Tools(t, "ctr", "unshare")
	bin := containerdBinary(t)
	for _, tc := range []struct {
		name string
		tls  bool
		// mirror is as in TestContainerdPullsThroughMirror; nil for none.
		mirror func(url, caFile string) string
	}{
		{name: "plain-http", mirror: plainHTTPMirror},
		{name: "https-cafile", tls: true, mirror: caFileMirror},
		{name: "no-mirror"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := &testRegistry{repo: mirrorRepo, tag: "cri-" + tc.name, image: newImage(t, "served to the CRI for "+tc.name+"\n")}
			srv := httptest.NewUnstartedServer(reg)
			if tc.tls {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			t.Cleanup(srv.Close)
			desc := "containerRuntime:\n  containerd: {version: \"1.6\"}\n"
			if tc.mirror != nil {
				desc += fmt.Sprintf("  registryMirrors:\n    %q: [%s]\n", missingRegistry, tc.mirror(srv.URL, writeServerCA(t, srv)))
			}
			c := compile(t, desc)
			arts, err := Artifacts(c, c.Hosts[0])
			if err != nil {
				t.Fatal(err)
			}
			etc := t.TempDir()
			if n := writeNodeFiles(t, arts, etc, "/etc"); n == 0 {
				t.Fatal("no file below /etc rendered")
			}
			sock := startContainerd(t, bin, etc)

			ref := missingRegistry + "/" + mirrorRepo + ":" + reg.tag
			// A bound against a hung pull, not a measure.
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			id, err := criPullImageWhenReady(ctx, sock, ref)
			got, _ := imageDigest(t, sock, ref)
			srv.Close()
			seen := reg.seen()
			t.Logf("CRI pull %s: err %v, %d requests to the mirror, image id %q (served %s), digest %q (served %s)",
				ref, err, len(seen), id, reg.image.id, got, reg.image.digest)
			if tc.mirror == nil {
				if err == nil {
					t.Fatalf("the pull succeeded with no mirror: image %s", id)
				}
				if len(seen) != 0 {
					t.Errorf("the mirror served %d requests to a node without it: %v", len(seen), seen)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id != reg.image.id || got != reg.image.digest {
				t.Errorf("pulled image id %q, digest %q; the mirror served id %s, digest %s", id, got, reg.image.id, reg.image.digest)
			}
			checkMirrorRequests(t, reg, seen)
		})
	}
}

// serverLog collects what the mirror's server logs: the TLS handshakes that failed.
type serverLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *serverLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, strings.TrimSpace(string(p)))
	return len(p), nil
}

func (l *serverLog) handshakeErrors() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.lines {
		if strings.Contains(s, "TLS handshake error") {
			out = append(out, s)
		}
	}
	return out
}

func plainHTTPMirror(url, _ string) string { return "{url: " + url + ", plainHTTP: true}" }

func caFileMirror(url, caFile string) string { return "{url: " + url + ", caFile: " + caFile + "}" }

// checkMirrorRequests checks that the pull resolved the tag and fetched every blob of the
// image from the mirror, asking on behalf of the missing registry.
func checkMirrorRequests(t *testing.T, reg *testRegistry, seen []registryRequest) {
	t.Helper()
	tag := "/v2/" + mirrorRepo + "/manifests/" + reg.tag
	resolved, fetched := false, map[string]bool{}
	for _, r := range seen {
		resolved = resolved || r.path == tag
		if r.method == "GET" {
			fetched[r.path] = true
		}
		if r.ns != missingRegistry {
			t.Errorf("%s %s asked for registry %q, want %q", r.method, r.path, r.ns, missingRegistry)
		}
	}
	if !resolved {
		t.Errorf("the mirror never resolved %s; it saw %v", tag, seen)
	}
	for d := range reg.image.blobs {
		if !fetched["/v2/"+mirrorRepo+"/blobs/"+d] {
			t.Errorf("the mirror never served blob %s; it saw %v", d, seen)
		}
	}
}

// writeServerCA writes the certificate srv presents (httptest's is its own CA) as PEM and
// returns the file's path; for a plain HTTP server it writes nothing.
func writeServerCA(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "mirror-ca.pem")
	if srv.TLS == nil {
		return p
	}
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(p, pemData, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeNodeFiles writes the rendered files below the node directory under into dir, at their
// paths relative to under, and returns how many it wrote.
func writeNodeFiles(t *testing.T, arts []artifact.Artifact, dir, under string) int {
	t.Helper()
	n := 0
	for _, a := range arts {
		rel, ok := strings.CutPrefix(a.Path, under+"/")
		if !ok || a.IsDir() {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, a.Data, a.Mode.Perm()); err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

// writeCertsDir writes the rendered registry hosts files into a temporary certs.d, as a node
// has them, and returns it.
func writeCertsDir(t *testing.T, arts []artifact.Artifact) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "certs.d")
	if writeNodeFiles(t, arts, dir, compiler.ContainerdCertsDir) == 0 {
		t.Fatalf("no file below %s rendered", compiler.ContainerdCertsDir)
	}
	return dir
}
