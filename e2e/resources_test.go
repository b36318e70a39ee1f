//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// reportResources logs what the nodes use: per node, the memory of its pods (the cgroup root's
// resident memory) and of its kubelet, containerd and runtime shims.
func (s *suite) reportResources(t *testing.T, nodes []*node) {
	var total int64
	for _, n := range nodes {
		pods := cgroupRSS(filepath.Join("/sys/fs/cgroup/memory", n.cgroupRoot))
		agents := processRSS(n.kubelet.cmd.Process.Pid) + processRSS(n.containerd.cmd.Process.Pid)
		for _, pid := range markedProcesses(n.marker()) {
			if pid != n.containerd.cmd.Process.Pid {
				agents += processRSS(pid)
			}
		}
		total += pods + agents
		t.Logf("%s: pods %d MiB, kubelet+containerd+shims %d MiB", n.host.name, pods>>20, agents>>20)
	}
	t.Logf("all nodes: %d MiB resident", total>>20)
}

// cgroupRSS returns the resident memory (rss + mapped files) a v1 memory cgroup's tree uses.
func cgroupRSS(dir string) int64 {
	data, err := os.ReadFile(filepath.Join(dir, "memory.stat"))
	if err != nil {
		return 0
	}
	var sum int64
	for _, l := range strings.Split(string(data), "\n") {
		k, v, _ := strings.Cut(l, " ")
		if k == "total_rss" || k == "total_mapped_file" {
			n, _ := strconv.ParseInt(v, 10, 64)
			sum += n
		}
	}
	return sum
}

// processRSS returns a process's resident memory.
func processRSS(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
