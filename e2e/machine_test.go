//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// machineTunables are the machine-wide kernel settings the kubelet changes at start (its
// kernel tunables) and kube-proxy may change (conntrack table size, when it finds it smaller
// than it wants): saved before the first kubelet starts and restored after the last stops.
// Settings of a network namespace (net.ipv4.*, net.bridge.*) die with the namespace.
var machineTunables = []string{
	"/proc/sys/vm/overcommit_memory", "/proc/sys/vm/panic_on_oom",
	"/proc/sys/kernel/panic", "/proc/sys/kernel/panic_on_oops",
	"/proc/sys/kernel/keys/root_maxkeys", "/proc/sys/kernel/keys/root_maxbytes",
	"/proc/sys/net/netfilter/nf_conntrack_max", "/sys/module/nf_conntrack/parameters/hashsize",
}

// tunablesState keeps the settings as they were before the kubelets started, so that a run
// killed before its cleanup has them restored by the next run.
const tunablesState = "/run/kubeforge-e2e-sysctls"

// saveTunables records the current values of machineTunables (those this kernel has).
func saveTunables() error {
	var saved strings.Builder
	for _, p := range machineTunables {
		v, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		fmt.Fprintf(&saved, "%s %s\n", p, strings.TrimSpace(string(v)))
	}
	return os.WriteFile(tunablesState, []byte(saved.String()), 0o600)
}

// restoreTunables writes back the values saveTunables recorded, removes the state file, and
// returns what it changed and what it could not do.
func restoreTunables() ([]string, []error) {
	data, err := os.ReadFile(tunablesState)
	if err != nil {
		return nil, nil
	}
	var msgs []string
	var errs []error
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		p, want, ok := strings.Cut(line, " ")
		if !ok || !slices.Contains(machineTunables, p) {
			continue
		}
		cur, _ := os.ReadFile(p)
		if strings.TrimSpace(string(cur)) == want {
			continue
		}
		if err := os.WriteFile(p, []byte(want), 0o644); err != nil {
			errs = append(errs, fmt.Errorf("restoring %s=%s: %w", p, want, err))
			continue
		}
		msgs = append(msgs, fmt.Sprintf("restored %s: %s -> %s", p, strings.TrimSpace(string(cur)), want))
	}
	if len(errs) == 0 {
		os.Remove(tunablesState)
	}
	return msgs, errs
}

// nodeMarker is an environment variable the suite gives each host's containerd. The runtime
// shims containerd starts inherit it and outlive their parent as daemons: the variable is how
// they are found (by exactly this name) and stopped.
const nodeMarker = "KUBEFORGE_E2E_NODE"

// markedProcesses returns the processes whose environment sets nodeMarker, to value if value
// is not empty.
func markedProcesses(value string) []int {
	want := []byte(nodeMarker + "=" + value)
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if value == "" && bytes.HasPrefix(kv, []byte(nodeMarker+"=")) || value != "" && bytes.Equal(kv, want) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// killMarkedProcesses kills (SIGKILL) the processes markedProcesses finds and waits until
// they are gone; it returns their PIDs.
func killMarkedProcesses(value string) ([]int, error) {
	var killed []int
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids := markedProcesses(value)
		if len(pids) == 0 {
			return killed, nil
		}
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
			if !slices.Contains(killed, pid) {
				killed = append(killed, pid)
			}
		}
		if time.Now().After(deadline) {
			return killed, fmt.Errorf("processes %v marked %s=%s survive SIGKILL", pids, nodeMarker, value)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
