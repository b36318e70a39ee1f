// Package emit writes bundles out: a directory tree per host, tarballs, cloud-init user-data,
// an Ansible playbook and Ignition configs. Emitters see only artifacts.
package emit

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/parallel"
	"kubeforge.dev/kubeforge/emit/internal/atomicdir"
	"kubeforge.dev/kubeforge/emit/pkistore"
	"kubeforge.dev/kubeforge/render/artifact"
)

// Format is a way bundles are delivered.
type Format string

const (
	FormatDir       Format = "dir"
	FormatTar       Format = compiler.TarDir
	FormatCloudInit Format = compiler.CloudInitDir
	FormatAnsible   Format = compiler.AnsibleDir
	FormatIgnition  Format = compiler.IgnitionDir
)

// Output is everything one compile emits.
type Output struct {
	// Hosts holds one bundle per compiled host.
	Hosts []artifact.Bundle
	// Cluster is the cluster-level bundle, applied through the API; nil when not compiled.
	Cluster *artifact.Bundle
	// Formats are how the host bundles are delivered (dir when empty). Whatever they are,
	// the output holds every bundle's manifest and the cluster bundle's tree.
	Formats []Format
	// Partial output (a --host compile) replaces only the named hosts' entries and keeps the
	// rest of an existing output.
	Partial bool
	// Inventory describes the hosts for the ansible format.
	Inventory []HostInfo
	// Notes, when set, receives what a format has to tell the operator (user-data sizes) and
	// what Write waits for or cleans up.
	Notes func(string)
	// Store, when set, is the PKI store's next content, committed in the same transaction as
	// the output: staged after the output is, swapped in just before it, and swapped back when
	// the output cannot follow, so that a failed compile leaves the store as it was.
	Store *pkistore.Update

	// reuse, set by Compile for a whole compile in the dir format, keeps the hosts it found
	// unchanged (not in Hosts) from the live output and writes the next content index.
	reuse *reusePlan
}

// Write emits out under dir, together with the PKI store's update, as one transaction. The
// output is staged beside dir and swapped in at once, so dir holds either the previous output
// or the new one, never a mix, even if the process is killed; the store is swapped in just
// before it, and back when the output cannot be. A partial output replaces each named host's
// entries the same way, one host at a time. Concurrent writers of one output wait for each
// other (a lock beside dir), and what a killed writer left beside dir is removed first.
func Write(dir string, out Output) error {
	if len(out.Formats) == 0 {
		out.Formats = []Format{FormatDir}
	}
	if err := checkNames(out); err != nil {
		return err
	}
	if filepath.Clean(dir) == "." || dir == "" {
		return fmt.Errorf("output directory %q: give a directory of its own, such as out", dir)
	}
	lock, err := atomicdir.Acquire(dir, true, func(locked string) {
		note(out, fmt.Sprintf("waiting for another kubeforge writing in %s to finish", locked))
	})
	if err != nil {
		return err
	}
	defer lock.Release()
	if removed, err := atomicdir.RemoveLeftovers(dir); err != nil {
		return err
	} else if len(removed) > 0 {
		note(out, fmt.Sprintf("removed what an interrupted compile left beside %s: %s", dir, strings.Join(removed, ", ")))
	}
	if err := CheckReplaceable(dir); err != nil {
		return err
	}
	if out.Partial {
		return writePartial(dir, out)
	}
	// Only what differs from the live output is written; an unchanged output is not touched.
	g := newGeneration(dir, openLive(dir))
	if out.reuse != nil {
		if err := g.keepUnchanged(out.reuse); err != nil {
			return err
		}
	}
	staged, err := g.write(out)
	if err != nil {
		g.discard()
		return err
	}
	testPoint("staged")
	return commit(out.Store, func() (bool, error) {
		if staged == "" {
			return false, nil
		}
		return true, swapIn(staged, dir)
	}, g.discard)
}

// commit stages and swaps in the store update, then runs swap (the output's swaps), undoing the
// store when swap changed nothing of the output and failed. discard removes the output's
// staging when the store could not be committed.
func commit(store *pkistore.Update, swap func() (changedOutput bool, err error), discard func()) error {
	if store != nil {
		if err := store.Stage(); err != nil {
			discard()
			return fmt.Errorf("staging the PKI store: %w", err)
		}
		testPoint("store staged")
		if err := store.Commit(); err != nil {
			store.Finish()
			discard()
			return fmt.Errorf("committing the PKI store: %w", err)
		}
		testPoint("store committed")
	}
	changed, err := swap()
	if err != nil && !changed && store != nil {
		if rerr := store.Rollback(); rerr != nil {
			return fmt.Errorf("%w; and putting the previous PKI store back failed: %v", err, rerr)
		}
	}
	if store != nil {
		if ferr := store.Finish(); err == nil && ferr != nil {
			return fmt.Errorf("removing the previous PKI store: %w", ferr)
		}
	}
	return err
}

// note tells the operator something, when the caller listens.
func note(out Output, s string) {
	if out.Notes != nil {
		out.Notes(s)
	}
}

// checkNames refuses bundle names that would share a path of the output: two bundles of one
// name (a host named like the cluster bundle), a host named like a format's directory (a host
// "tar" would be mixed into tar/), or a name that is not a plain directory name.
func checkNames(out Output) error {
	seen := map[string]bool{}
	bundles := slices.Clone(out.Hosts)
	if out.Cluster != nil {
		bundles = append(bundles, *out.Cluster)
	}
	for i, b := range bundles {
		switch {
		case b.Name == "" || b.Name == "." || b.Name == ".." || strings.HasPrefix(b.Name, ".") || strings.ContainsAny(b.Name, `/\`):
			return fmt.Errorf("bundle name %q is not a plain directory name", b.Name)
		case seen[b.Name]:
			return fmt.Errorf("two bundles are named %q; they would be written to the same files", b.Name)
		case i < len(out.Hosts) && slices.Contains(compiler.ReservedOutputNames, b.Name):
			return fmt.Errorf("host %q has the name of the output's %s directory; they would be written to the same files", b.Name, b.Name)
		}
		seen[b.Name] = true
	}
	return nil
}

// testPoint lets tests stop a process at a known moment (to kill it there); a no-op otherwise.
var testPoint = func(string) {}

// write puts the bundles' records and every requested format into the generation, and
// finishes it: the staging directory to swap in, or "" when the live output already is it.
func (g *generation) write(out Output) (string, error) {
	if err := g.putRecords(out); err != nil {
		return "", err
	}
	for _, f := range out.Formats {
		w, ok := formatWriters[f]
		if !ok {
			return "", fmt.Errorf("unknown format %q", f)
		}
		if err := w(g, out); err != nil {
			return "", fmt.Errorf("format %s: %w", f, err)
		}
	}
	if out.reuse != nil {
		if err := g.putIndex(out); err != nil {
			return "", err
		}
	}
	return g.finish()
}

// formatWriters puts each format's files into a generation.
var formatWriters = map[Format]func(g *generation, out Output) error{
	FormatDir:       writeDirFormat,
	FormatTar:       writeTarFormat,
	FormatCloudInit: writeCloudInitFormat,
	FormatAnsible:   writeAnsibleFormat,
	FormatIgnition:  writeIgnitionFormat,
}

// Formats lists the known formats, sorted.
func Formats() []Format {
	var fs []Format
	for f := range formatWriters {
		fs = append(fs, f)
	}
	slices.Sort(fs)
	return fs
}

// putRecords puts what every output holds, whatever its formats: OUT/<bundle>.manifest.json
// for each bundle (diff and pki check read them) and OUT/cluster/ (no delivery format carries
// the cluster bundle, which is applied with kubectl).
func (g *generation) putRecords(out Output) error {
	bundles := slices.Clone(out.Hosts)
	if out.Cluster != nil {
		bundles = append(bundles, *out.Cluster)
	}
	sizes := make([]int64, len(bundles))
	// Each bundle has its own manifest (and the cluster its own directory): put in parallel.
	err := parallel.ForErr(len(bundles), func(i int) error {
		b := bundles[i]
		manifest := ManifestOf(b).JSON()
		sizes[i] = int64(len(manifest))
		if err := g.putFile(ManifestFile(b.Name), manifest, 0o644); err != nil {
			return err
		}
		if out.Cluster != nil && i == len(bundles)-1 {
			return g.putTree(b)
		}
		return nil
	})
	g.manifestSizes = make(map[string]int64, len(bundles))
	for i, b := range bundles {
		g.manifestSizes[b.Name] = sizes[i]
	}
	return err
}

// writeDirFormat puts the OUT/<host>/ trees.
func writeDirFormat(g *generation, out Output) error {
	return parallel.ForErr(len(out.Hosts), func(i int) error {
		b := out.Hosts[i]
		if err := g.putTree(b); err != nil {
			return err
		}
		testPoint("bundle " + b.Name)
		return nil
	})
}

// writePartial replaces the entries of the named hosts inside an existing output: each host's
// entries are written to a staging output, then moved in one by one, each with an atomic swap.
func writePartial(dir string, out Output) error {
	if slices.Contains(out.Formats, FormatAnsible) {
		return fmt.Errorf("the ansible format describes the whole cluster; compile without --host to emit it")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// Every entry is written: the staging directory holds what is moved in.
	g := newGeneration(dir, nil)
	defer g.discard()
	out.Cluster = nil
	staged, err := g.write(out)
	if err != nil {
		return err
	}
	return commit(out.Store, func() (bool, error) {
		swapped := false
		err := filepath.WalkDir(staged, func(p string, d os.DirEntry, err error) error {
			if err != nil || p == staged {
				return err
			}
			rel, _ := filepath.Rel(staged, p)
			dst := filepath.Join(dir, rel)
			// Host trees are swapped whole; other directories (format folders) are merged
			// into, file by file.
			if d.IsDir() && !isHostTree(out, rel) {
				return os.MkdirAll(dst, 0o755)
			}
			if err := swapIn(p, dst); err != nil {
				return err
			}
			swapped = true
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		})
		return swapped, err
	}, func() {})
}

func isHostTree(out Output, rel string) bool {
	return slices.ContainsFunc(out.Hosts, func(b artifact.Bundle) bool { return b.Name == rel })
}
