// Command images builds, offline, the container images a compiled cluster runs, from the real
// binaries e2e/tools/build-binaries.sh caches and from this machine's Debian programs, and
// writes each as a docker archive that `ctr -n k8s.io images import` takes. Images are cached
// by reference: a warm run only prints the paths.
//
//	go run . -bin DIR [-cache DIR] REF...
//
// Every REF (e.g. registry.k8s.io/kube-apiserver:v1.37.1) is built by the recipe of its
// repository name, at the version its tag names; a tag no recipe can honour is an error,
// never an image that says one version and holds another. It prints "REF PATH" per image.
//
// This is a module of its own so that go-containerregistry, which only the end-to-end suite
// needs, stays out of kubeforge's dependencies.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// recipeVersion names the cache of images made by these recipes; change it when a recipe
// changes what an image holds.
const recipeVersion = "r1"

// builder holds what the recipes build from.
type builder struct {
	binDir         string // the real Kubernetes binaries
	conformanceDir string // e2e.test and agnhost of the same release, for the test images
	k8sVersion     string // their release
	workDir        string // scratch and built programs, kept as a cache
}

func main() {
	binDir := flag.String("bin", "", "directory of the real Kubernetes binaries (from e2e/tools/build-binaries.sh)")
	conformanceDir := flag.String("conformance-bin", "", "directory of e2e.test and agnhost (from e2e/tools/build-binaries.sh conformance), for the conformance suite's images")
	cache := flag.String("cache", defaultCache(), "cache directory")
	keepGoing := flag.Bool("keep-going", false, "build what can be built: a reference no recipe honours is reported on stderr and left out, not an error")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: images -bin DIR [-conformance-bin DIR] [-cache DIR] [-keep-going] REF...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *binDir == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	b := &builder{binDir: *binDir, conformanceDir: *conformanceDir, workDir: filepath.Join(*cache, "images", "build")}
	if err := run(b, *cache, flag.Args(), *keepGoing, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(1)
	}
}

// defaultCache is where build-binaries.sh caches too.
func defaultCache() string {
	if d := os.Getenv("KUBEFORGE_CACHE"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "kubeforge")
}

// run builds the images missing from the cache and prints every reference with its archive.
// With keepGoing, a reference that cannot be built is reported on stderr and left out.
func run(b *builder, cache string, refs []string, keepGoing bool, out io.Writer) error {
	dir := filepath.Join(cache, "images", recipeVersion)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// One build at a time; a second caller waits and then finds the archives.
	lock, err := os.OpenFile(filepath.Join(cache, "images", "build.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	defer w.Flush()
	for _, ref := range refs {
		tag, err := name.NewTag(ref, name.StrictValidation)
		if err != nil {
			err = fmt.Errorf("%s: want REGISTRY/REPOSITORY:TAG: %w", ref, err)
			if !keepGoing {
				return err
			}
			fmt.Fprintln(os.Stderr, "images:", err)
			continue
		}
		archive := filepath.Join(dir, archiveName(tag))
		if _, err := os.Stat(archive); err == nil {
			fmt.Fprintln(w, ref, archive)
			continue
		}
		began := time.Now()
		if err := buildArchive(b, tag, archive); err != nil {
			if !keepGoing {
				return fmt.Errorf("%s: %w", ref, err)
			}
			fmt.Fprintf(os.Stderr, "images: cannot build %s: %v\n", ref, err)
			continue
		}
		fi, _ := os.Stat(archive)
		fmt.Fprintf(os.Stderr, "images: built %s in %s (%d MiB)\n", ref, time.Since(began).Round(time.Second), fi.Size()>>20)
		fmt.Fprintln(w, ref, archive)
	}
	return nil
}

// buildArchive builds the image of tag with its repository's recipe.
func buildArchive(b *builder, tag name.Tag, archive string) error {
	r, ok := recipeFor(tag.RepositoryStr())
	if !ok {
		return fmt.Errorf("no recipe for repository %s", tag.RepositoryStr())
	}
	return b.build(r, tag, archive)
}

// archiveName is a file name for a reference.
func archiveName(tag name.Tag) string {
	r := strings.NewReplacer("/", "_", ":", "_")
	return r.Replace(tag.RegistryStr()+"/"+tag.RepositoryStr()+":"+tag.TagStr()) + ".tar"
}

// build runs a recipe and writes its image as a docker archive at archive, atomically.
func (b *builder) build(r recipe, tag name.Tag, archive string) error {
	img, err := r(b, tag.TagStr())
	if err != nil {
		return err
	}
	layerFile := archive + ".layer.tmp"
	defer os.Remove(layerFile)
	if err := img.files.writeTarFile(layerFile); err != nil {
		return err
	}
	var layers []v1.Layer
	for _, f := range append(slices.Clone(img.baseLayers), layerFile) {
		layer, err := tarball.LayerFromFile(f, tarball.WithCompressedCaching)
		if err != nil {
			return err
		}
		layers = append(layers, layer)
	}
	v1img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		return err
	}
	cf, err := v1img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = runtime.GOARCH, "linux"
	cf.Config = v1.Config{Entrypoint: img.entrypoint, Cmd: img.cmd, User: img.user, Env: []string{imagePath}, Labels: img.labels}
	if v1img, err = mutate.ConfigFile(v1img, cf); err != nil {
		return err
	}
	tmp := archive + ".tmp"
	defer os.Remove(tmp)
	if err := tarball.WriteToFile(tmp, tag, v1img); err != nil {
		return err
	}
	return os.Rename(tmp, archive)
}

// kubernetesSource returns the directory of the k8s.io/kubernetes module of the binaries'
// release (downloaded from the module proxy, as build-binaries.sh does).
func (b *builder) kubernetesSource() (string, error) {
	if b.k8sVersion == "" {
		out, err := exec.Command(filepath.Join(b.binDir, "kube-apiserver"), "--version").Output()
		if err != nil {
			return "", fmt.Errorf("kube-apiserver --version: %w", err)
		}
		b.k8sVersion = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "Kubernetes "))
	}
	work := filepath.Join(b.workDir, "k8s-source")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return "", err
	}
	cmd := exec.Command("go", "mod", "download", "-json", "k8s.io/kubernetes@"+b.k8sVersion)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download k8s.io/kubernetes@%s: %w", b.k8sVersion, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return "", fmt.Errorf("go mod download k8s.io/kubernetes@%s: no directory in %s", b.k8sVersion, out)
	}
	return mod.Dir, nil
}

// goBuild builds programs (name -> package) of modules (path@version) in a throwaway module,
// statically (no cgo) as the official images are, and returns the directory holding them;
// built once, then cached.
func (b *builder) goBuild(name string, modules []string, programs map[string]string, ldflags string) (string, error) {
	work := filepath.Join(b.workDir, name)
	out := filepath.Join(work, "bin")
	have := true
	for prog := range programs {
		if _, err := os.Stat(filepath.Join(out, prog)); err != nil {
			have = false
		}
	}
	if have {
		return out, nil
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	gomod := "module kubeforge.dev/e2e/build/" + strings.NewReplacer(".", "-", "@", "-").Replace(name) + "\n"
	if err := os.WriteFile(filepath.Join(work, "go.mod"), []byte(gomod), 0o644); err != nil {
		return "", err
	}
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
	if err := runIn(work, env, append([]string{"go", "get"}, modules...)...); err != nil {
		return "", err
	}
	for prog, pkg := range programs {
		if err := runIn(work, env, "go", "build", "-trimpath", "-ldflags", strings.TrimSpace("-s -w "+ldflags), "-o", filepath.Join(out, prog), pkg); err != nil {
			return "", err
		}
	}
	return out, nil
}

// runIn runs a command in dir and returns its output in the error when it fails.
func runIn(dir string, env []string, argv ...string) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return errors.New(strings.Join(argv, " ") + ": " + err.Error() + "\n" + string(out))
	}
	return nil
}
