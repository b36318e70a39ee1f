package emit

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/emit/pkistore"
	"kubeforge.dev/kubeforge/render"
	"kubeforge.dev/kubeforge/render/artifact"
	"kubeforge.dev/kubeforge/render/pki"
)

// CompileOptions say what Compile does; Output and the PKI fields are a compile's flags.
type CompileOptions struct {
	// Output is the output directory, replaced as a whole.
	Output string
	// Hosts limits the compile to these hosts (a partial output); empty means all.
	Hosts   []string
	Formats []Format
	// NoPKI compiles without certificates, keys and kubeconfigs; the store is not touched.
	NoPKI bool
	// StoreDir is the PKI store; empty means StoreDirFor(Output).
	StoreDir string
	// NoPKIStore (Preview only) judges the certificates of the compared output by what they say,
	// without the store and its keys: CI's diff against a golden tree. A Preview whose default
	// store is missing does the same, and says so.
	NoPKIStore  bool
	RenewBefore time.Duration
	// Redact writes key material as fingerprints (for golden trees committed without keys).
	Redact bool
	// Notes receives what the operator should know while it runs (waiting for a lock, user-data
	// sizes, leftovers removed).
	Notes func(string)
	// Progress, when set, is told how rendering advances; Writing, when set, how many files
	// are about to be written.
	Progress func(render.Progress)
	Writing  func(files int)

	// noReuse renders every host even when the output's content index says some are unchanged
	// (the retry after the output changed under the compile).
	noReuse bool
}

// StoreDirFor returns the default PKI store of an output: OUTPUT.pki beside it.
func StoreDirFor(output string) string { return filepath.Clean(output) + ".pki" }

// CompileResult is what a compile wrote.
type CompileResult struct {
	Hosts   []artifact.Bundle
	Cluster *artifact.Bundle
	// PKI is what the PKI step did; nil with NoPKI.
	PKI *pki.Result
	// StoreDir is the store used ("" with NoPKI or without the store).
	StoreDir string
	// WouldChange (a Preview without the store) names, per host and node path, the files a
	// compile with the store would issue or re-issue, and why.
	WouldChange map[string]map[string]string
	// Unchanged are the hosts not rendered (not in Hosts): their inputs were those the
	// output's content index records, and their files were kept.
	Unchanged []UnchangedHost

	reuse *reusePlan
}

// Step names where a compile failed, so that a command can tell a description that cannot be
// compiled (exit 1) from a problem with files and directories (exit 2).
type Step string

const (
	StepSetup  Step = "setup"  // paths, the store: usage and I/O
	StepRender Step = "render" // the description cannot be compiled
	StepWrite  Step = "write"  // writing the output and the store
)

// CompileError is a failed compile and its step.
type CompileError struct {
	Step Step
	Err  error
}

func (e *CompileError) Error() string { return e.Err.Error() }
func (e *CompileError) Unwrap() error { return e.Err }

// StepOf returns the step an error of Compile failed in.
func StepOf(err error) Step {
	var ce *CompileError
	if errors.As(err, &ce) {
		return ce.Step
	}
	return StepSetup
}

// Compile compiles a checked cluster into an output directory as one transaction: it locks
// and reads the PKI store, renders every bundle, and writes the output and the store's next
// content together (Write), so that a failure at any point leaves both as they were.
func Compile(c *compiler.Cluster, o CompileOptions) (*CompileResult, error) {
	if o.Output == "" || filepath.Clean(o.Output) == "." {
		return nil, &CompileError{StepSetup, fmt.Errorf("output directory %q: give a directory of its own, such as out", o.Output)}
	}
	res, store, err := compileWith(c, o, pkistore.Write)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	out := Output{Hosts: res.Hosts, Cluster: res.Cluster, Formats: o.Formats, Partial: len(o.Hosts) > 0,
		Inventory: inventory(c), Notes: o.Notes, reuse: res.reuse}
	if store != nil {
		out.Store = store.Update(res.PKI.Store())
	}
	if o.Writing != nil {
		files := 0
		for _, b := range res.Hosts {
			files += len(b.Artifacts)
		}
		o.Writing(files)
	}
	if err := Write(o.Output, out); err != nil {
		if errors.Is(err, errStaleReuse) && !o.noReuse {
			// Nothing was written: compile again, rendering every host.
			store.Close()
			o.noReuse = true
			return Compile(c, o)
		}
		return nil, &CompileError{StepWrite, fmt.Errorf("writing %s: %w", o.Output, err)}
	}
	return res, nil
}

// reusable reports whether a compile may keep unchanged hosts through the content index: a
// whole compile (not --host) writing the dir format only, the one the index describes.
func reusable(o CompileOptions) bool {
	return len(o.Hosts) == 0 && (len(o.Formats) == 0 || len(o.Formats) == 1 && o.Formats[0] == FormatDir)
}

// Preview compiles a checked cluster in memory, as Compile would into o.Output, reading the PKI
// store (under a shared lock, so never half-written) and writing nothing: what diff compares.
func Preview(c *compiler.Cluster, o CompileOptions) (*CompileResult, error) {
	res, store, err := compileWith(c, o, pkistore.Read)
	if err != nil {
		return nil, err
	}
	store.Close()
	return res, nil
}

// compileWith opens the store with the given access and renders; the caller closes the store.
func compileWith(c *compiler.Cluster, o CompileOptions, access pkistore.Access) (*CompileResult, *pkistore.Handle, error) {
	fail := func(step Step, err error) (*CompileResult, *pkistore.Handle, error) {
		return nil, nil, &CompileError{Step: step, Err: err}
	}
	res := &CompileResult{}
	var store *pkistore.Handle
	if access == pkistore.Read && !o.NoPKI && !o.NoPKIStore && o.StoreDir == "" && storeMissing(StoreDirFor(o.Output)) {
		note(Output{Notes: o.Notes}, fmt.Sprintf("NOTE: no PKI store at %s: certificates and kubeconfigs are compared by what they say (subject, names, usages, issuer, key algorithm, expiry, server), keys by presence, as with --no-pki-store; give --pki-dir to compare them byte for byte",
			StoreDirFor(o.Output)))
		o.NoPKIStore = true
	}
	if o.NoPKIStore && !o.NoPKI {
		r, err := render.Compile(c, render.Options{Hosts: o.Hosts, Progress: o.Progress,
			PKI: &pki.Options{Store: publicStore(o.Output, c), KeysUnknown: true, RenewBefore: o.RenewBefore}})
		if err != nil {
			return fail(StepRender, err)
		}
		res.Hosts, res.Cluster, res.PKI, res.WouldChange = r.Hosts, r.Cluster, r.PKI, r.PKI.WouldChange()
		return res, nil, nil
	}
	if !o.NoPKI {
		res.StoreDir = o.StoreDir
		if res.StoreDir == "" {
			res.StoreDir = StoreDirFor(o.Output)
		}
		if err := CheckStoreOutside(o.Output, res.StoreDir); err != nil {
			return fail(StepSetup, err)
		}
		if access == pkistore.Read && storeMissing(res.StoreDir) {
			return fail(StepSetup, fmt.Errorf("no PKI store at %s; give the store's directory, or --no-pki-store to compare certificates by what they say", res.StoreDir))
		}
		var err error
		if store, err = pkistore.Open(res.StoreDir, access, o.Notes); err != nil {
			return fail(StepSetup, err)
		}
	}
	// A foreign directory at the output is refused before any work is done.
	if access == pkistore.Write {
		if err := CheckReplaceable(o.Output); err != nil {
			store.Close()
			return fail(StepSetup, err)
		}
	}
	ro := render.Options{Hosts: o.Hosts, Progress: o.Progress}
	if store != nil {
		ro.PKI = &pki.Options{Store: store.Content(), RenewBefore: o.RenewBefore}
	}
	if access == pkistore.Write && reusable(o) {
		storeID := "-"
		var content *pki.Store
		if store != nil {
			storeID, content = store.Dir(), store.Content()
		}
		var err error
		if res.reuse, err = planReuse(c, o, content, storeID); err != nil {
			store.Close()
			return fail(StepSetup, err)
		}
		ro.Unchanged = res.reuse.unchangedHosts()
	}
	r, err := render.Compile(c, ro)
	if err != nil {
		store.Close()
		return fail(StepRender, err)
	}
	res.Hosts, res.Cluster, res.PKI = r.Hosts, r.Cluster, r.PKI
	if res.reuse != nil {
		if err := res.reuse.recordRendered(c, r); err != nil {
			store.Close()
			if errors.Is(err, errStaleReuse) && !o.noReuse {
				o.noReuse = true
				return compileWith(c, o, access)
			}
			return fail(StepRender, err)
		}
		res.Unchanged = res.reuse.unchangedReport(c, ro.PKI)
	}
	if o.Redact {
		for i := range res.Hosts {
			res.Hosts[i] = Redact(res.Hosts[i])
		}
	}
	return res, store, nil
}

// inventory describes the cluster's hosts for the formats that address machines.
func inventory(c *compiler.Cluster) []HostInfo {
	out := make([]HostInfo, 0, len(c.Hosts))
	for _, h := range c.Hosts {
		info := HostInfo{Name: h.Name, Address: h.AdvertiseAddress().String()}
		for _, r := range h.Roles {
			info.Roles = append(info.Roles, string(r))
		}
		out = append(out, info)
	}
	return out
}
