package emit

import (
	"errors"
	"slices"
	"strings"
	"time"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/parallel"
	"kubeforge.dev/kubeforge/render"
	"kubeforge.dev/kubeforge/render/pki"
)

// reusePlan is how a whole compile in the dir format uses the live output's content index:
// the hosts whose input digest is the one the index records are not rendered, their files
// kept as the live output holds them; the compile writes the next index.
type reusePlan struct {
	// live is the generation planned from (nil: none, nothing is kept); unchanged are its hosts
	// kept, with what its index says of them.
	live      *liveOutput
	unchanged map[string]indexedHost
	// next is the index this compile writes; order the hosts in description order.
	next  *contentIndex
	order []string
	// model is the model's part of the input digests, combined again with the store the PKI
	// step leaves.
	model *modelDigest
}

// errStaleReuse is a reuse plan the live output no longer matches when it is written (another
// compile swapped in a generation, or a kept host's files were changed): the compile renders
// every host instead.
var errStaleReuse = errors.New("the output changed since the compile read it")

// planReuse returns the reuse plan of a whole compile: every host's input digest, and the hosts
// the live output at dir holds for them. storeID names the store (its real directory, "-" for
// none); store is its content (nil without the PKI).
func planReuse(c *compiler.Cluster, o CompileOptions, store *pki.Store, storeID string) (*reusePlan, error) {
	model, err := digestModel(c, compileOptionsDigest(o))
	if err != nil {
		return nil, err
	}
	digests := model.withStore(c, store)
	p := &reusePlan{unchanged: map[string]indexedHost{}, next: &contentIndex{store: storeID, hosts: map[string]indexedHost{}},
		model: model}
	for _, h := range c.Hosts {
		p.order = append(p.order, h.Name)
		p.next.hosts[h.Name] = indexedHost{digest: digests[h.Name]}
	}
	if o.noReuse {
		return p, nil
	}
	p.live = openLive(o.Output)
	if p.live == nil {
		return p, nil
	}
	prev := readIndex(p.live)
	if prev == nil || prev.store != storeID {
		return p, nil
	}
	renew := o.RenewBefore
	if renew == 0 {
		renew = pki.DefaultRenewBefore
	}
	now := time.Now()
	for _, h := range c.Hosts {
		if had, ok := prev.hosts[h.Name]; ok && had.digest == digests[h.Name] && stillValid(had.notAfter, now, renew) {
			p.unchanged[h.Name] = had
			p.next.hosts[h.Name] = had
		}
	}
	return p, nil
}

// unchangedHosts returns the set render.Options.Unchanged takes.
func (p *reusePlan) unchangedHosts() map[string]bool {
	out := make(map[string]bool, len(p.unchanged))
	for name := range p.unchanged {
		out[name] = true
	}
	return out
}

// recordRendered completes the next index with what the render produced for the other hosts:
// their digests with the store's next content (what the next compile reads), and the earliest
// expiry of their certificates there. errStaleReuse when the PKI step changed an input of an
// unchanged host (it cannot: those are the store's shared files, which only a store missing
// them, not one an index was made with, lacks).
func (p *reusePlan) recordRendered(c *compiler.Cluster, r *render.Result) error {
	if r.PKI == nil {
		return nil
	}
	store := r.PKI.Store()
	if r.PKI.Changed() {
		digests := p.model.withStore(c, store)
		for name, h := range p.next.hosts {
			if _, kept := p.unchanged[name]; kept && digests[name] != h.digest {
				return errStaleReuse
			}
			h.digest = digests[name]
			p.next.hosts[name] = h
		}
	}
	own, _ := storeFilesByHost(store, c)
	expiries := make([]int64, len(r.Hosts))
	err := parallel.ForErr(len(r.Hosts), func(i int) error {
		var err error
		expiries[i], err = earliestExpiry(store, own[r.Hosts[i].Name])
		return err
	})
	if err != nil {
		return err
	}
	for i, b := range r.Hosts {
		h := p.next.hosts[b.Name]
		h.notAfter = expiries[i]
		p.next.hosts[b.Name] = h
	}
	return nil
}

// unchangedReport returns the hosts kept, in description order, with the certificates of each
// the store keeps for it (what the PKI step would have reported as kept).
func (p *reusePlan) unchangedReport(c *compiler.Cluster, po *pki.Options) []UnchangedHost {
	var store *pki.Store
	if po != nil {
		store = po.Store
	}
	own, _ := storeFilesByHost(store, c)
	var out []UnchangedHost
	for _, name := range p.order {
		h, ok := p.unchanged[name]
		if !ok {
			continue
		}
		u := UnchangedHost{Name: name, Files: len(h.entries)}
		for _, rel := range own[name] {
			if leaf, ok := strings.CutPrefix(rel, storeHostsDir+name+"/"); ok && strings.HasSuffix(leaf, ".crt") {
				u.Certificates = append(u.Certificates, pki.Event{Kind: pki.Kept, Host: name,
					Name: strings.TrimSuffix(leaf, ".crt"), File: rel})
			}
		}
		slices.SortFunc(u.Certificates, func(a, b pki.Event) int { return strings.Compare(a.File, b.File) })
		out = append(out, u)
	}
	return out
}

// UnchangedHost is a host a compile did not render: its inputs were those the output's content
// index records, so its files were kept as they were.
type UnchangedHost struct {
	Name string
	// Files counts its files and directories.
	Files int
	// Certificates are its certificates the store keeps, as the PKI step reports kept ones.
	Certificates []pki.Event
}

// keepUnchanged gives the generation the unchanged hosts' trees and manifests from the live
// output, after checking, under the output's lock, that the live output is the generation
// planned from and that each of those trees still is what the index says (liveOutput.holdsTree).
func (g *generation) keepUnchanged(p *reusePlan) error {
	if len(p.unchanged) == 0 {
		return nil
	}
	if g.live == nil || p.live == nil || g.live.ino != p.live.ino || g.live.stamp != p.live.stamp {
		return errStaleReuse
	}
	names := make([]string, 0, len(p.unchanged))
	for name := range p.unchanged {
		names = append(names, name)
	}
	if err := parallel.ForErr(len(names), func(i int) error {
		h := p.unchanged[names[i]]
		if !g.live.holdsStat(ManifestFile(names[i]), h.manifestSize) || !g.live.holdsTree(names[i], h.entries) {
			return errStaleReuse
		}
		return nil
	}); err != nil {
		return err
	}
	for _, name := range names {
		g.keep(ManifestFile(name), nil)
		g.keep(name, &keptTree{name: name, entries: p.unchanged[name].entries})
	}
	return nil
}

// putIndex puts the next content index: the rendered hosts' entries and manifest sizes as
// this generation holds them, the unchanged hosts' as the live index said.
func (g *generation) putIndex(out Output) error {
	p := out.reuse
	for _, b := range out.Hosts {
		h := p.next.hosts[b.Name]
		entries, ok := entriesOf(b)
		if !ok {
			// A tree the index cannot describe is rendered by every compile.
			delete(p.next.hosts, b.Name)
			continue
		}
		h.entries, h.manifestSize = entries, g.manifestSizes[b.Name]
		p.next.hosts[b.Name] = h
	}
	return g.putFile(indexName, p.next.encode(p.order), 0o644)
}
