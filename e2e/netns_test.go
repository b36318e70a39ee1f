//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The simulated network: a bridge in the root namespace joining one network namespace per
// host. Every name the suite creates starts with namePrefix, so a crashed run's leftovers can
// be found and deleted by name, and nothing else is ever touched.
const (
	namePrefix = "kfe-"
	bridgeName = namePrefix + "br0"
	// lbName is the namespace of the load balancer in front of the apiservers.
	lbName = "lb"
)

// simNet is the only network the suite gives addresses in; every address of the description
// must lie inside it, so no traffic can leave for a real network.
var (
	simNet     = netip.MustParsePrefix("10.77.0.0/24")
	bridgeAddr = netip.MustParseAddr("10.77.0.1")
)

// netHost is one network namespace on the bridge.
type netHost struct {
	name string // host name in the description
	addr netip.Addr
}

// netns returns the namespace's name.
func (h netHost) netns() string { return namePrefix + h.name }

// veth returns the name of the root-namespace end of the host's veth pair (eth0 inside).
func (h netHost) veth() string { return namePrefix + h.name }

// ip runs the ip tool and returns its error with its output.
func ip(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// checkAddresses returns an error unless every address lies in simNet and is not the bridge's.
func checkAddresses(hosts []netHost) error {
	for _, h := range hosts {
		if !simNet.Contains(h.addr) || h.addr == bridgeAddr {
			return fmt.Errorf("host %s: address %s is outside the suite's network %s (or is the bridge's); the suite gives addresses only inside its own namespaces", h.name, h.addr, simNet)
		}
		if len(h.veth()) > 15 {
			return fmt.Errorf("host %s: name too long for an interface name %q", h.name, h.veth())
		}
	}
	return nil
}

// networkUp creates the bridge and a namespace per host with its address; hosts reach each
// other and the bridge address, and nothing else (no default route).
func networkUp(ctx context.Context, hosts []netHost) error {
	if err := checkAddresses(hosts); err != nil {
		return err
	}
	bits := simNet.Bits()
	steps := [][]string{
		{"link", "add", bridgeName, "type", "bridge"},
		{"addr", "add", fmt.Sprintf("%s/%d", bridgeAddr, bits), "dev", bridgeName},
		{"link", "set", bridgeName, "up"},
	}
	for _, h := range hosts {
		steps = append(steps,
			[]string{"netns", "add", h.netns()},
			[]string{"link", "add", h.veth(), "type", "veth", "peer", "name", "eth0", "netns", h.netns()},
			[]string{"link", "set", h.veth(), "master", bridgeName, "up"},
			[]string{"-n", h.netns(), "addr", "add", fmt.Sprintf("%s/%d", h.addr, bits), "dev", "eth0"},
			[]string{"-n", h.netns(), "link", "set", "lo", "up"},
			[]string{"-n", h.netns(), "link", "set", "eth0", "up"},
		)
	}
	for _, s := range steps {
		if err := ip(ctx, s...); err != nil {
			return err
		}
	}
	return nil
}

// networkDown deletes what networkUp created, by name, and any namespace or link with the
// suite's prefix left by a crashed run. It returns the errors of deletions that failed.
func networkDown(ctx context.Context) []error {
	var errs []error
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), namePrefix) {
			if err := ip(ctx, "netns", "del", e.Name()); err != nil {
				errs = append(errs, err)
			}
		}
	}
	// Deleting a namespace deletes its veth peer; what remains is the bridge and any veth
	// whose namespace was already gone.
	links, _ := filepath.Glob("/sys/class/net/" + namePrefix + "*")
	for _, l := range links {
		if err := ip(ctx, "link", "del", filepath.Base(l)); err != nil {
			if _, stat := os.Stat(l); stat == nil {
				errs = append(errs, err)
			}
		}
	}
	return errs
}
