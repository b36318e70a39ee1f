package main

import (
	"encoding/json"
	"fmt"
	"io"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/diag"
	"kubeforge.dev/kubeforge/emit"
	"kubeforge.dev/kubeforge/render/pki"
)

// compileReport is what a compile did: the summary `compile --output json` prints, and that
// the text output says in words.
type compileReport struct {
	Cluster           string        `json:"cluster,omitempty"`
	KubernetesVersion string        `json:"kubernetesVersion,omitempty"`
	OutputDir         string        `json:"outputDir,omitempty"`
	Formats           []emit.Format `json:"formats,omitempty"`
	// Hosts are the hosts compiled; Files counts their files and directories.
	Hosts       []string   `json:"hosts,omitempty"`
	Files       int        `json:"files,omitempty"`
	Diagnostics diag.List  `json:"diagnostics"`
	PKI         *pkiReport `json:"pki,omitempty"`
	// Notes are what an output format tells the operator (user-data sizes).
	Notes []string `json:"notes,omitempty"`
	// Error says why the compile failed after the description was read, if it did.
	Error string `json:"error,omitempty"`

	// described are the description's hosts, in its order: the order Hosts lists them in.
	described []string
}

// pkiReport is what the PKI step did with each certificate and key of the store.
type pkiReport struct {
	StoreDir string      `json:"storeDir"`
	Issued   int         `json:"issued"`
	Reissued int         `json:"reissued"`
	Kept     int         `json:"kept"`
	Events   []pki.Event `json:"events"`
}

func (r *compileReport) describe(c *compiler.Cluster) {
	r.Cluster, r.KubernetesVersion = c.Name, c.Version.String()
	for _, h := range c.Hosts {
		r.described = append(r.described, h.Name)
	}
}

// result records what the compile produced.
func (r *compileReport) result(res *emit.CompileResult, dir string, formats []emit.Format) {
	r.OutputDir, r.Formats = dir, formats
	compiled := map[string]bool{}
	for _, b := range res.Hosts {
		compiled[b.Name] = true
		r.Files += len(b.Artifacts)
	}
	// Hosts whose inputs did not change were kept, not rendered: compiled all the same.
	var kept []pki.Event
	for _, u := range res.Unchanged {
		compiled[u.Name] = true
		r.Files += u.Files
		kept = append(kept, u.Certificates...)
	}
	for _, name := range r.described {
		if compiled[name] {
			r.Hosts = append(r.Hosts, name)
		}
	}
	if res.PKI == nil {
		return
	}
	r.PKI = &pkiReport{StoreDir: res.StoreDir, Events: append(res.PKI.Report(), kept...)}
	for _, e := range r.PKI.Events {
		switch e.Kind {
		case pki.Issued:
			r.PKI.Issued++
		case pki.Reissued:
			r.PKI.Reissued++
		case pki.Kept:
			r.PKI.Kept++
		}
	}
}

// writeText says what the compile did: counts, then each re-issued certificate with the
// reason (and, when verbose, every issued and kept one).
func (r *compileReport) writeText(w io.Writer, verbose bool) {
	fmt.Fprintf(w, "%s: compiled %d host(s), %d files, into %s\n", r.Cluster, len(r.Hosts), r.Files, r.OutputDir)
	if r.PKI == nil {
		return
	}
	fmt.Fprintf(w, "pki: %d issued, %d re-issued, %d kept\n", r.PKI.Issued, r.PKI.Reissued, r.PKI.Kept)
	for _, e := range r.PKI.Events {
		if e.Kind != pki.Reissued && e.Reason == "" && !verbose {
			continue
		}
		name := e.Name
		if e.Host != "" {
			name = e.Host + "/" + e.Name
		}
		line := fmt.Sprintf("  %-10s %s", e.Kind, name)
		if e.Reason != "" {
			line += ": " + e.Reason
		}
		fmt.Fprintln(w, line)
	}
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
