//go:build e2e

package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cgroupRootState lists the cgroup roots the suite created, so that a run killed before its
// cleanup has them (and what runs in them) removed by the next run.
const cgroupRootState = "/run/kubeforge-e2e-cgroups"

// cgroupHierarchy is a cgroup filesystem mounted on this machine.
type cgroupHierarchy struct {
	mountpoint string // e.g. /sys/fs/cgroup/cpu
	fstype     string // cgroup (v1) or cgroup2
	options    string // what mounts the same hierarchy again, e.g. "cpu" or "name=systemd"
}

// cgroupHierarchies returns the cgroup filesystems mounted under /sys/fs/cgroup, from this
// process's mount table.
func cgroupHierarchies() ([]cgroupHierarchy, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var hs []cgroupHierarchy
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS"
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if len(fields) < 5 || len(tail) < 3 || (tail[0] != "cgroup" && tail[0] != "cgroup2") {
			continue
		}
		mp := fields[4]
		if !within(mp, "/sys/fs/cgroup") {
			continue
		}
		var opts []string
		for _, o := range strings.Split(tail[2], ",") {
			if o != "rw" && o != "ro" {
				opts = append(opts, o)
			}
		}
		hs = append(hs, cgroupHierarchy{mountpoint: mp, fstype: tail[0], options: strings.Join(opts, ",")})
	}
	if len(hs) == 0 {
		return nil, errors.New("no cgroup hierarchies mounted under /sys/fs/cgroup")
	}
	return hs, sc.Err()
}

// checkCgroupRoot returns an error unless root names a new top-level cgroup: the suite
// creates it and removes it with everything in it, so it must never be one of this machine's.
func checkCgroupRoot(root string) error {
	if !strings.HasPrefix(root, "/"+namePrefix) || strings.Count(root, "/") != 1 || filepath.Clean(root) != root {
		return fmt.Errorf("cgroup root %q: the suite runs each kubelet in a top-level cgroup of its own named /%s<host>", root, namePrefix)
	}
	return nil
}

// createCgroupRoot creates root in every hierarchy, recording it first, so that the kubelet
// finds it (it requires its --cgroup-root to exist). A cpuset cgroup starts without CPUs or
// memory nodes: it gets its parent's.
func createCgroupRoot(hs []cgroupHierarchy, root string) error {
	if err := checkCgroupRoot(root); err != nil {
		return err
	}
	for _, h := range hs {
		if _, err := os.Stat(filepath.Join(h.mountpoint, root)); err == nil {
			return fmt.Errorf("cgroup %s already exists in %s: not the suite's, left alone", root, h.mountpoint)
		}
	}
	if err := appendLine(cgroupRootState, root); err != nil {
		return err
	}
	for _, h := range hs {
		dir := filepath.Join(h.mountpoint, root)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return err
		}
		if !strings.Contains(","+h.options+",", ",cpuset,") {
			continue
		}
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			v, err := os.ReadFile(filepath.Join(h.mountpoint, f))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, f), v, 0o644); err != nil {
				return fmt.Errorf("%s: %w", filepath.Join(dir, f), err)
			}
		}
	}
	return nil
}

// removeCgroupRoot kills every process in root's cgroups in every hierarchy, waits for them to
// be gone, and removes the cgroups deepest first. It returns the PIDs it killed.
func removeCgroupRoot(hs []cgroupHierarchy, root string) ([]int, error) {
	if err := checkCgroupRoot(root); err != nil {
		return nil, err
	}
	var killed []int
	deadline := time.Now().Add(20 * time.Second)
	for {
		pids := cgroupProcs(hs, root)
		for _, pid := range pids {
			if !slices.Contains(killed, pid) {
				killed = append(killed, pid)
			}
			syscall.Kill(pid, syscall.SIGKILL)
		}
		if len(pids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return killed, fmt.Errorf("cgroup %s: processes %v still there after SIGKILL", root, pids)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var errs []error
	for _, h := range hs {
		top := filepath.Join(h.mountpoint, root)
		if _, err := os.Stat(top); err != nil {
			continue
		}
		if err := removeCgroupTree(top); err != nil {
			errs = append(errs, err)
		}
	}
	return killed, errors.Join(errs...)
}

// cgroupProcs returns the processes in root or below, in any hierarchy.
func cgroupProcs(hs []cgroupHierarchy, root string) []int {
	var pids []int
	for _, h := range hs {
		filepath.WalkDir(filepath.Join(h.mountpoint, root), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
				return nil
			}
			data, _ := os.ReadFile(p)
			for _, f := range strings.Fields(string(data)) {
				if pid, err := strconv.Atoi(f); err == nil && !slices.Contains(pids, pid) {
					pids = append(pids, pid)
				}
			}
			return nil
		})
	}
	return pids
}

// removeCgroupTree removes a cgroup and its descendants, deepest first (a cgroup directory is
// removed with rmdir once it has no children and no tasks). The runtime may be removing some
// of them at the same time, and the last tasks may still be exiting: it walks again until the
// tree is gone, for a few seconds.
func removeCgroupTree(root string) error {
	var err error
	for try := 0; try < 50; try++ {
		if err = removeCgroupTreeOnce(root); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// removeCgroupTreeOnce makes one pass of removeCgroupTree.
func removeCgroupTreeOnce(root string) error {
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed meanwhile
		}
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var errs []error
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Remove(dirs[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeStaleCgroupRoots removes the cgroup roots a crashed run recorded, with what runs in
// them.
func removeStaleCgroupRoots() []error {
	data, err := os.ReadFile(cgroupRootState)
	if err != nil {
		return nil
	}
	hs, err := cgroupHierarchies()
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, root := range strings.Fields(string(data)) {
		if _, err := removeCgroupRoot(hs, root); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		os.Remove(cgroupRootState)
	}
	return errs
}

// appendLine appends a line to a state file.
func appendLine(file, line string) error {
	f, err := os.OpenFile(file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintln(f, line)
	return err
}
