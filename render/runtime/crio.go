package runtime

import (
	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// crioArtifacts returns CRI-O's drop-in (cgroup manager, pause image) and, when the host has
// mirrors, a registries.conf drop-in for them.
func crioArtifacts(c *compiler.Cluster, h *compiler.Host) ([]artifact.Artifact, error) {
	var d tomlDoc
	d.comment(header + "\nThe kubelet's cgroup driver and the sandbox image of Kubernetes " + h.Version.MinorString() + ".")
	d.table("crio", "runtime")
	d.str("cgroup_manager", c.Runtime.CgroupDriver)
	if c.Runtime.CgroupDriver == "cgroupfs" {
		// CRI-O refuses the cgroupfs manager with conmon in another cgroup than the pod's.
		d.str("conmon_cgroup", "pod")
	}
	d.table("crio", "image")
	d.str("pause_image", c.HostPauseImage(h))
	data, err := d.bytes()
	if err != nil {
		return nil, err
	}
	out := []artifact.Artifact{artifact.File(compiler.CRIODropInPath, 0o644, data, append([]string{"containerRuntime.cgroupDriver"}, sandboxSources(h)...)...)}
	if len(h.Registries) == 0 {
		return out, nil
	}
	reg, err := registriesConf(h.Registries)
	if err != nil {
		return nil, err
	}
	return append(out, artifact.File(compiler.RegistriesDropInPath, 0o644, reg, registrySources(h.Registries)...)), nil
}

// registriesConf returns containers-registries.conf(5) entries: per registry its mirrors, in
// order, then the registry itself. insecure allows http and skips certificate checks, the
// only switch registries.conf has for either.
func registriesConf(regs []compiler.Registry) ([]byte, error) {
	var d tomlDoc
	d.comment(header + "\nRegistry mirrors, tried in order before each registry itself.")
	for _, r := range regs {
		d.arrayTable("registry")
		d.str("prefix", r.Name)
		d.str("location", r.Name)
		for _, m := range r.Mirrors {
			d.arrayTable("registry", "mirror")
			d.str("location", m.Host())
			if m.PlainHTTP || m.SkipVerify {
				d.boolean("insecure", true)
			}
		}
	}
	return d.bytes()
}
