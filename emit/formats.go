package emit

import (
	"bytes"
	"os"
	"path/filepath"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/emit/ansible"
	"kubeforge.dev/kubeforge/emit/cloudinit"
	"kubeforge.dev/kubeforge/emit/ignition"
	"kubeforge.dev/kubeforge/emit/tarball"
)

// HostInfo is what delivery formats that address machines (Ansible's inventory) need to know
// of a host besides its bundle.
type HostInfo = ansible.HostInfo

// writeTarFormat writes OUT/tar/<host>.tar, ready for `tar -xpf <host>.tar -C /`.
func writeTarFormat(g *generation, out Output) error {
	for _, b := range out.Hosts {
		var buf bytes.Buffer
		if err := tarball.Write(&buf, b); err != nil {
			return err
		}
		if err := g.putFile(filepath.Join(compiler.TarDir, b.Name+compiler.TarSuffix), buf.Bytes(), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// writeCloudInitFormat writes OUT/cloud-init/<host>.yaml and collects the size reports.
func writeCloudInitFormat(g *generation, out Output) error {
	for _, b := range out.Hosts {
		data, report, err := cloudinit.UserData(b, cloudinit.Options{})
		if err != nil {
			return err
		}
		if out.Notes != nil {
			out.Notes(report.String())
		}
		if err := g.putFile(filepath.Join(compiler.CloudInitDir, b.Name+compiler.CloudInitSuffix), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// writeAnsibleFormat writes the inventory, playbook and files under OUT/ansible/.
func writeAnsibleFormat(g *generation, out Output) error {
	files, err := ansible.Playbook(out.Hosts, out.Inventory, ansible.Options{})
	if err != nil {
		return err
	}
	for p, f := range files {
		if err := g.putFile(filepath.Join(compiler.AnsibleDir, filepath.FromSlash(p)), f.Data, f.Mode); err != nil {
			return err
		}
	}
	return nil
}

// writeIgnitionFormat writes OUT/ignition/<host>.ign (Ignition spec 3.4).
func writeIgnitionFormat(g *generation, out Output) error {
	for _, b := range out.Hosts {
		data, err := ignition.Config(b)
		if err != nil {
			return err
		}
		if err := g.putFile(filepath.Join(compiler.IgnitionDir, b.Name+compiler.IgnitionSuffix), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// writeFile writes data at rel below root with exactly mode, creating parent directories 0755.
func writeFile(root, rel string, data []byte, mode os.FileMode) error {
	if err := mkdirs(root, filepath.Dir(rel), map[string]bool{}, 0o777); err != nil {
		return err
	}
	p := filepath.Join(root, rel)
	if err := os.WriteFile(p, data, mode); err != nil {
		return err
	}
	return os.Chmod(p, mode)
}
