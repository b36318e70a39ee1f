package hostconfig

import (
	"strings"
	"testing"
)

// The writers are fed hostile values directly, bypassing the schema.
func TestSysctlLineRefuses(t *testing.T) {
	for _, kv := range [][2]string{
		{"net.ipv4.ip_forward", "1\nkernel.sysrq = 1"},
		{"net.ipv4.ip_forward", "1\r"},
		{"net.ipv4.ip_forward", " 1"},
		{"net.ipv4.ip_forward", "1 "},
		{"net.ipv4.ip_forward", "1\t2"},
		{"net.ipv4.ip_forward", ""},
		{"net.ipv4.ip_forward", "\x00"},
		{"kernel.hostname", "n\u043ede"},
		{"net.ipv4.ip_forward = 1\nkernel.sysrq", "1"},
		{"-net.ipv4.ip_forward", "1"},
		{"net..ipv4", "1"},
		{"net.ipv4.", "1"},
		{"Net.IPv4.ip_forward", "1"},
		{"net/ipv4/ip_forward", "1"},
		{"net.ipv4.conf.*.rp_filter", "1"},
		{"", "1"},
	} {
		if line, err := sysctlLine(kv[0], kv[1]); err == nil {
			t.Errorf("%q = %q written as %q", kv[0], kv[1], line)
		}
	}
	for _, kv := range [][2]string{
		{"net.ipv4.ip_local_port_range", "32768 60999"},
		{"net.ipv4.ping_group_range", "0 2147483647"},
		{"kernel.core_pattern", "|/usr/bin/x %p #;="},
		{"vm.swappiness", "-1"},
		{"net.bridge.bridge-nf-call-iptables", "1"},
	} {
		line, err := sysctlLine(kv[0], kv[1])
		if err != nil || line != kv[0]+" = "+kv[1]+"\n" {
			t.Errorf("%q = %q: %q, %v", kv[0], kv[1], line, err)
		}
	}
}

func TestModulesFileRefuses(t *testing.T) {
	for _, m := range []string{"overlay\nfoo", "-r", "--remove", "br netfilter", "Overlay", "", "../x", "x#y"} {
		if a, err := modulesFile([]string{"overlay", m}); err == nil {
			t.Errorf("%q written:\n%s", m, a.Data)
		}
	}
	a, err := modulesFile([]string{"overlay", "br_netfilter", "nf-conntrack"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(a.Data), "\noverlay\nbr_netfilter\nnf-conntrack\n") {
		t.Errorf("modules file:\n%s", a.Data)
	}
}
