package runtime

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// A registry for tests: the pull side of the OCI distribution API (manifests and blobs by
// repository), serving one single-platform image and recording every request. Written here
// rather than taken from go-containerregistry, which the project keeps out of its module
// (e2e/tools/images is a module of its own for that reason).

const (
	manifestType = "application/vnd.oci.image.manifest.v1+json"
	configType   = "application/vnd.oci.image.config.v1+json"
	layerType    = "application/vnd.oci.image.layer.v1.tar+gzip"
)

// ociImage is an image as a registry serves it: its manifest and the blobs it names.
type ociImage struct {
	manifest []byte
	digest   string            // of the manifest: what a pull records as the image's digest
	id       string            // the config's digest: the image's id for the CRI
	blobs    map[string][]byte // config and layer, by digest
}

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int    `json:"size"`
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// newImage returns an image of this machine's platform whose one layer holds a file with
// content, so that images made for different cases differ in every digest.
func newImage(t *testing.T, content string) ociImage {
	t.Helper()
	var layerTar bytes.Buffer
	tw := tar.NewWriter(&layerTar)
	if err := tw.WriteHeader(&tar.Header{Name: "kubeforge-mirror-test", Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	var layer bytes.Buffer
	zw := gzip.NewWriter(&layer)
	if _, err := zw.Write(layerTar.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	// containerd checks the unpacked layer against diff_ids and the platform against its own.
	config, err := json.Marshal(map[string]any{
		"architecture": goruntime.GOARCH,
		"os":           "linux",
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{digestOf(layerTar.Bytes())}},
		"config":       map[string]any{},
	})
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     manifestType,
		"config":        descriptor{configType, digestOf(config), len(config)},
		"layers":        []descriptor{{layerType, digestOf(layer.Bytes()), layer.Len()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return ociImage{
		manifest: manifest,
		digest:   digestOf(manifest),
		id:       digestOf(config),
		blobs:    map[string][]byte{digestOf(config): config, digestOf(layer.Bytes()): layer.Bytes()},
	}
}

// registryRequest is one request the registry saw.
type registryRequest struct {
	method, path string
	// ns is the registry containerd asks a mirror on behalf of (its "ns" query parameter).
	ns string
}

// testRegistry serves one image at repository:tag and records the requests it sees.
type testRegistry struct {
	repo, tag string
	image     ociImage

	mu       sync.Mutex
	requests []registryRequest
}

// seen returns the requests served so far.
func (r *testRegistry) seen() []registryRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]registryRequest(nil), r.requests...)
}

func (r *testRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.requests = append(r.requests, registryRequest{req.Method, req.URL.Path, req.URL.Query().Get("ns")})
	r.mu.Unlock()
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		http.Error(w, "pull only", http.StatusMethodNotAllowed)
		return
	}
	if req.URL.Path == "/v2/" {
		w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		return
	}
	body, mediaType, digest, ok := r.content(req.URL.Path)
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"errors":[{"code":"NAME_UNKNOWN","message":"not served by the test registry"}]}`))
		return
	}
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Docker-Content-Digest", digest)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if req.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

// content returns what /v2/<repo>/manifests/<tag or digest> or /v2/<repo>/blobs/<digest>
// names, with its media type and digest.
func (r *testRegistry) content(p string) (body []byte, mediaType, digest string, ok bool) {
	rest, ok := strings.CutPrefix(p, "/v2/"+r.repo+"/")
	if !ok {
		return nil, "", "", false
	}
	if ref, ok := strings.CutPrefix(rest, "manifests/"); ok {
		if ref == r.tag || ref == r.image.digest {
			return r.image.manifest, manifestType, r.image.digest, true
		}
		return nil, "", "", false
	}
	if d, ok := strings.CutPrefix(rest, "blobs/"); ok {
		if b, ok := r.image.blobs[d]; ok {
			return b, "application/octet-stream", d, true
		}
	}
	return nil, "", "", false
}
