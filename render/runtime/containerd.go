package runtime

import (
	"fmt"
	"path"
	"strings"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/render/artifact"
)

// containerdLayout is where a configuration version keeps what kubeforge sets: table paths
// below "plugins" and the key in each.
type containerdLayout struct {
	sandboxTable []string
	sandboxKey   string
	registry     []string
	runc         []string
}

// containerdLayouts by configuration version: 2 for containerd 1.6 and 1.7 (one CRI plugin),
// 3 for 2.x (the CRI plugin split into images and runtime, the sandbox image pinned).
var containerdLayouts = map[int]containerdLayout{
	2: {
		sandboxTable: []string{"io.containerd.grpc.v1.cri"},
		sandboxKey:   "sandbox_image",
		registry:     []string{"io.containerd.grpc.v1.cri", "registry"},
		runc:         []string{"io.containerd.grpc.v1.cri", "containerd", "runtimes", "runc"},
	},
	3: {
		sandboxTable: []string{"io.containerd.cri.v1.images", "pinned_images"},
		sandboxKey:   "sandbox",
		registry:     []string{"io.containerd.cri.v1.images", "registry"},
		runc:         []string{"io.containerd.cri.v1.runtime", "containerd", "runtimes", "runc"},
	},
}

func plugins(keys []string, more ...string) []string {
	return append(append([]string{"plugins"}, keys...), more...)
}

// containerdArtifacts returns containerd's configuration (the drop-in, or config.toml when
// kubeforge owns it) and a hosts.toml per registry with mirrors.
func containerdArtifacts(c *compiler.Cluster, h *compiler.Host) ([]artifact.Artifact, error) {
	cfg, err := containerdConfig(c, h)
	if err != nil {
		return nil, err
	}
	p, mode := compiler.ContainerdDropInPath, "containerRuntime.containerd.config"
	if c.Runtime.Containerd.Complete {
		p = compiler.ContainerdConfigPath
	}
	out := []artifact.Artifact{artifact.File(p, 0o644, cfg, append([]string{"containerRuntime.cgroupDriver", "containerRuntime.containerd.version", mode}, sandboxSources(h)...)...)}
	for _, r := range h.Registries {
		a, err := hostsFile(r)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// containerdConfig returns the configuration for the containerd release the description
// names: the runc cgroup driver, the sandbox image and the registry hosts directory.
func containerdConfig(c *compiler.Cluster, h *compiler.Host) ([]byte, error) {
	cd := c.Runtime.Containerd
	v := cd.ConfigVersion()
	l, ok := containerdLayouts[v]
	if !ok {
		return nil, fmt.Errorf("no layout for configuration version %d", v)
	}
	var d tomlDoc
	what := "A drop-in"
	if cd.Complete {
		what = "The whole configuration"
	}
	d.comment(header + "\n" + what + " for containerd " + cd.String() + ": the kubelet's cgroup driver, the sandbox image of\nKubernetes " + h.Version.MinorString() + " and the registry hosts directory.")
	d.integer("version", v)
	d.table(plugins(l.sandboxTable)...)
	d.str(l.sandboxKey, c.HostPauseImage(h))
	d.table(plugins(l.registry)...)
	d.str("config_path", compiler.ContainerdCertsDir)
	d.table(plugins(l.runc)...)
	d.str("runtime_type", "io.containerd.runc.v2")
	d.table(plugins(l.runc, "options")...)
	d.boolean("SystemdCgroup", c.Runtime.CgroupDriver == "systemd")
	return d.bytes()
}

// defaultServer is where containerd pulls from when a registry's mirrors fail; Docker Hub's
// API is not served at docker.io itself.
func defaultServer(registry string) string {
	if registry == "docker.io" {
		return "https://registry-1.docker.io"
	}
	return "https://" + registry
}

// hostsPath returns certs.d/<registry>/hosts.toml, refusing a name that would not be one
// directory right below certs.d.
func hostsPath(registry string) (string, error) {
	if registry == "" || registry == "." || registry == ".." || strings.ContainsAny(registry, "/\\\x00") {
		return "", fmt.Errorf("registry name %q cannot name a directory of %s", registry, compiler.ContainerdCertsDir)
	}
	p := path.Join(compiler.ContainerdCertsDir, registry, "hosts.toml")
	if path.Dir(path.Dir(p)) != compiler.ContainerdCertsDir {
		return "", fmt.Errorf("registry name %q leaves %s", registry, compiler.ContainerdCertsDir)
	}
	return p, nil
}

// hostsFile returns a registry's hosts.toml: its mirrors in order, each for pulls and
// resolving tags, then the registry itself.
func hostsFile(r compiler.Registry) (artifact.Artifact, error) {
	p, err := hostsPath(r.Name)
	if err != nil {
		return artifact.Artifact{}, err
	}
	var d tomlDoc
	d.comment(header + "\nMirrors of " + r.Name + ", tried in order before the registry itself.")
	d.str("server", defaultServer(r.Name))
	for _, m := range r.Mirrors {
		d.table("host", strings.TrimSuffix(m.URL, "/"))
		d.strs("capabilities", []string{"pull", "resolve"})
		if m.CAFile != "" {
			d.str("ca", m.CAFile)
		}
		if m.SkipVerify {
			d.boolean("skip_verify", true)
		}
	}
	data, err := d.bytes()
	if err != nil {
		return artifact.Artifact{}, err
	}
	return artifact.File(p, 0o644, data, kindSource, r.Origin), nil
}
