package staticpod

import (
	"fmt"
	"strconv"
	"strings"

	"kubeforge.dev/kubeforge/compiler"
)

// minorFacts are the manifest details in which kubeadm's minors differ.
type minorFacts struct {
	// flexVolumeMount: kubeadm up to 1.35 mounts the flexvolume plugin directory into the
	// controller-manager; 1.36 stopped.
	flexVolumeMount bool
}

// minors has one row per supported minor, so adding a minor to the compiler's version table
// fails here until someone has read that minor's kubeadm.
var minors = map[int]minorFacts{
	35: {flexVolumeMount: true},
	36: {},
	37: {},
}

// factsFor returns the row of c's minor.
func factsFor(c *compiler.Cluster) (minorFacts, error) {
	f, ok := minors[c.Version.Minor]
	if !ok {
		return minorFacts{}, fmt.Errorf("static pods: no manifest facts for Kubernetes %s", c.Version.MinorString())
	}
	return f, nil
}

// etcdVersionFlags returns the flags whose spelling depends on the etcd release the image
// tag (e.g. "3.6.6-0") names: etcd 3.6 turned the --experimental-* flags kubeadm sets into a
// feature gate and a plain flag, and later releases dropped the old spellings.
func etcdVersionFlags(imageTag string) (map[string]string, error) {
	major, minor, err := etcdMinor(imageTag)
	if err != nil {
		return nil, err
	}
	if major > 3 || major == 3 && minor >= 6 {
		return map[string]string{
			"feature-gates":                  "InitialCorruptCheck=true",
			"watch-progress-notify-interval": "5s",
		}, nil
	}
	return map[string]string{
		"experimental-initial-corrupt-check":          "true",
		"experimental-watch-progress-notify-interval": "5s",
	}, nil
}

// etcdMinor returns the major and minor version an etcd image tag names.
func etcdMinor(tag string) (int, int, error) {
	parts := strings.SplitN(strings.TrimPrefix(tag, "v"), ".", 3)
	if len(parts) < 2 {
		return 0, 0, fmt.Errorf("etcd image tag %q: expected MAJOR.MINOR.PATCH[-N]", tag)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("etcd image tag %q: expected MAJOR.MINOR.PATCH[-N]", tag)
	}
	return major, minor, nil
}
