package firewalld

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"kubeforge.dev/kubeforge/compiler"
	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/render/artifact"
)

var examples = []string{"ha.yaml", "single-node.yaml", "dedicated-etcd.yaml", "dual-stack.yaml"}

// minimal is a description of two hosts that descriptions in tests extend.
const minimal = `apiVersion: kubeforge.dev/v1alpha1
kind: Cluster
name: t
controlPlaneEndpoint: 10.0.0.1
networking: {podSubnets: [10.244.0.0/16]}
hosts:
  - {name: cp, addresses: [10.0.0.1], roles: [control-plane]}
  - {name: w, addresses: [10.0.0.2], roles: [worker]}
`

// loadInline loads minimal with extra top-level YAML appended.
func loadInline(t *testing.T, extra string) *compiler.Cluster {
	t.Helper()
	yaml := minimal + extra
	c, _, diags := compiler.LoadBytes("t.yaml", []byte(yaml))
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	return c
}

func render(t *testing.T, c *compiler.Cluster, h *compiler.Host) []artifact.Artifact {
	t.Helper()
	arts, err := Artifacts(c, h)
	if err != nil {
		t.Fatalf("Artifacts(%s): %v", h.Name, err)
	}
	return arts
}

// opened is what a host's firewalld files let in: "port/protocol" ranges as written, by the
// service enabling them.
type opened struct {
	zone     zone
	services map[string]service
}

// parse decodes the host's zone file and the service files it enables, failing the test when
// the zone enables a kubeforge service without a file.
func parse(t *testing.T, c *compiler.Cluster, arts []artifact.Artifact) opened {
	t.Helper()
	o := opened{services: map[string]service{}}
	zonePath := path.Join(compiler.FirewalldDir, "zones", c.Firewall.Zone+".xml")
	files := map[string][]byte{}
	for _, a := range arts {
		files[a.Path] = a.Data
	}
	data, ok := files[zonePath]
	if !ok {
		t.Fatalf("no zone file %s among %d artifacts", zonePath, len(arts))
	}
	if err := xml.Unmarshal(data, &o.zone); err != nil {
		t.Fatalf("zone: %v", err)
	}
	for _, s := range o.zone.Services {
		if !strings.HasPrefix(s.Name, "kubeforge-") {
			continue
		}
		data, ok := files[path.Join(compiler.FirewalldDir, "services", s.Name+".xml")]
		if !ok {
			t.Fatalf("zone enables %s without a service file", s.Name)
		}
		var svc service
		if err := xml.Unmarshal(data, &svc); err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		o.services[s.Name] = svc
	}
	return o
}

// opens reports whether any enabled kubeforge service covers port/proto.
func (o opened) opens(port int, proto string) bool {
	for _, svc := range o.services {
		for _, p := range svc.Ports {
			from, to := portBounds(p.Port)
			if p.Protocol == proto && from <= port && port <= to {
				return true
			}
		}
	}
	return false
}

// hasEntry reports whether a service lists exactly this port string ("2379-2380").
func (o opened) hasEntry(ports, proto string) bool {
	for _, svc := range o.services {
		if slices.Contains(svc.Ports, port{Protocol: proto, Port: ports}) {
			return true
		}
	}
	return false
}

func portBounds(s string) (int, int) {
	a, b, ok := strings.Cut(s, "-")
	from, _ := strconv.Atoi(a)
	if !ok {
		return from, from
	}
	to, _ := strconv.Atoi(b)
	return from, to
}

func expectPorts(t *testing.T, o opened, what string, open, closed []int) {
	t.Helper()
	for _, p := range open {
		if !o.opens(p, "tcp") {
			t.Errorf("%s: %d/tcp not opened; services %+v", what, p, o.services)
		}
	}
	for _, p := range closed {
		if o.opens(p, "tcp") {
			t.Errorf("%s: %d/tcp opened, must not be; services %+v", what, p, o.services)
		}
	}
}

func TestHAControlPlane(t *testing.T) {
	c := compilertest.Load(t, "ha.yaml")
	o := parse(t, c, render(t, c, compilertest.Host(t, c, "cp1")))
	expectPorts(t, o, "ha cp1", []int{6443, 2379, 2380, 10250}, []int{10257, 10259, 2381, 10248, 30000})
	if !o.hasEntry("2379-2380", "tcp") {
		t.Errorf("etcd ports not written as 2379-2380/tcp: %+v", o.services)
	}
	if _, ok := o.services["kubeforge-control-plane"]; !ok || len(o.services) != 1 {
		t.Errorf("control-plane host services = %v, want only kubeforge-control-plane", o.zone.Services)
	}
}

func TestHAWorker(t *testing.T) {
	c := compilertest.Load(t, "ha.yaml")
	o := parse(t, c, render(t, c, compilertest.Host(t, c, "w1")))
	expectPorts(t, o, "ha w1", []int{10250, 30000, 31000, 32767}, []int{6443, 2379, 2380, 10257, 10259, 29999, 32768})
	if !o.hasEntry("30000-32767", "tcp") {
		t.Errorf("NodePort range not written as one range: %+v", o.services)
	}
}

func TestSingleNodeHasBothRoles(t *testing.T) {
	c := compilertest.Load(t, "single-node.yaml")
	o := parse(t, c, render(t, c, c.Hosts[0]))
	var names []string
	for _, s := range o.zone.Services {
		names = append(names, s.Name)
	}
	want := []string{"ssh", "dhcpv6-client", "kubeforge-control-plane", "kubeforge-worker"}
	if !slices.Equal(names, want) {
		t.Errorf("zone services = %v, want %v", names, want)
	}
	expectPorts(t, o, "lab1", []int{6443, 2379, 2380, 10250, 30000}, []int{10257, 10259})
}

func TestCustomAPIServerPort(t *testing.T) {
	c := loadInline(t, "apiServer: {bindPort: 8443}\n")
	arts := render(t, c, compilertest.Host(t, c, "cp"))
	expectPorts(t, parse(t, c, arts), "bindPort 8443", []int{8443}, []int{6443})
	svc := arts[0]
	if !strings.HasSuffix(svc.Path, "/kubeforge-control-plane.xml") || !slices.Contains(svc.Sources, "apiServer.bindPort") {
		t.Errorf("%s sources = %v, want apiServer.bindPort", svc.Path, svc.Sources)
	}
}

func TestControllerManagerBindAddress(t *testing.T) {
	c := loadInline(t, "controllerManager: {extraArgs: {bind-address: 0.0.0.0}}\n")
	arts := render(t, c, compilertest.Host(t, c, "cp"))
	expectPorts(t, parse(t, c, arts), "controller-manager on 0.0.0.0", []int{10257}, []int{10259})
	if !slices.Contains(arts[0].Sources, `controllerManager.extraArgs["bind-address"]`) {
		t.Errorf("sources = %v", arts[0].Sources)
	}
	// A worker runs no controller-manager.
	expectPorts(t, parse(t, c, render(t, c, compilertest.Host(t, c, "w"))), "worker", nil, []int{10257})

	c = loadInline(t, "scheduler: {extraArgs: {bind-address: \"::\"}}\n")
	expectPorts(t, parse(t, c, render(t, c, compilertest.Host(t, c, "cp"))), "scheduler on ::", []int{10259}, []int{10257})
}

func TestDisabled(t *testing.T) {
	c := loadInline(t, "firewall: {enabled: false}\n")
	for _, h := range c.Hosts {
		arts, err := Artifacts(c, h)
		if err != nil || len(arts) != 0 {
			t.Errorf("%s: firewall disabled but got %d artifacts, err %v", h.Name, len(arts), err)
		}
	}
}

func TestDedicatedEtcd(t *testing.T) {
	c := compilertest.Load(t, "dedicated-etcd.yaml")
	for _, h := range c.Hosts {
		arts := render(t, c, h)
		for _, a := range arts {
			if strings.Contains(a.Path, "/zones/") && a.Path != "/etc/firewalld/zones/kubernetes.xml" {
				t.Errorf("%s: zone file %s, want zones/kubernetes.xml", h.Name, a.Path)
			}
		}
		o := parse(t, c, arts)
		if slices.Contains(o.zone.Services, zoneItem{Name: "ssh"}) {
			t.Errorf("%s: new zone kubernetes got stock services %v", h.Name, o.zone.Services)
		}
		switch {
		case h.Has(compiler.RoleEtcd):
			// The standalone kubelet listens on 127.0.0.1: 10250 stays closed.
			expectPorts(t, o, h.Name, []int{2379, 2380}, []int{6443, 9100, 30000, 10250})
		case h.Has(compiler.RoleControlPlane):
			expectPorts(t, o, h.Name, []int{6443, 10250, 9100}, []int{2379, 2380, 30000})
		default:
			expectPorts(t, o, h.Name, []int{10250, 30000, 9100}, []int{2379, 6443})
		}
		if !h.Has(compiler.RoleEtcd) {
			var srcs []string
			for _, a := range arts {
				srcs = append(srcs, a.Sources...)
			}
			if !slices.Contains(srcs, "firewall.extraPorts[0]") {
				t.Errorf("%s: extra port without provenance: %v", h.Name, srcs)
			}
		}
	}
}

func TestPublicZoneKeepsStockServices(t *testing.T) {
	c := compilertest.Load(t, "ha.yaml")
	o := parse(t, c, render(t, c, c.Hosts[0]))
	for _, s := range []string{"ssh", "dhcpv6-client"} {
		if !slices.Contains(o.zone.Services, zoneItem{Name: s}) {
			t.Errorf("public zone lost %s: %v", s, o.zone.Services)
		}
	}
}

// Every port written comes from the table, and every table port for the host is written.
func TestPortsExactlyFromTable(t *testing.T) {
	for _, ex := range examples {
		c := compilertest.Load(t, ex)
		for _, h := range c.Hosts {
			want, got := map[string]bool{}, map[string]bool{}
			for _, p := range c.PortsFor(h) {
				for n := p.From; n <= p.To; n++ {
					want[fmt.Sprintf("%d/%s", n, p.Protocol)] = true
				}
			}
			for _, svc := range parse(t, c, render(t, c, h)).services {
				for _, p := range svc.Ports {
					from, to := portBounds(p.Port)
					for n := from; n <= to; n++ {
						got[fmt.Sprintf("%d/%s", n, p.Protocol)] = true
					}
				}
			}
			if len(got) != len(want) {
				t.Errorf("%s %s: %d ports opened, table has %d", ex, h.Name, len(got), len(want))
			}
			for k := range want {
				if !got[k] {
					t.Errorf("%s %s: table port %s not opened", ex, h.Name, k)
				}
			}
		}
	}
}

func TestFilesDeterministicAndMode(t *testing.T) {
	for _, ex := range examples {
		c1, c2 := compilertest.Load(t, ex), compilertest.Load(t, ex)
		for i := range c1.Hosts {
			a1, a2 := render(t, c1, c1.Hosts[i]), render(t, c2, c2.Hosts[i])
			if len(a1) != len(a2) {
				t.Fatalf("%s: artifact count differs between runs", ex)
			}
			for j := range a1 {
				if a1[j].Path != a2[j].Path || !bytes.Equal(a1[j].Data, a2[j].Data) || !slices.Equal(a1[j].Sources, a2[j].Sources) {
					t.Errorf("%s %s: differs between runs", ex, a1[j].Path)
				}
				if a1[j].Mode != 0o644 || a1[j].UID != 0 || a1[j].GID != 0 {
					t.Errorf("%s: mode/owner %v %d:%d, want 0644 root", a1[j].Path, a1[j].Mode, a1[j].UID, a1[j].GID)
				}
				if !bytes.HasPrefix(a1[j].Data, []byte(xml.Header)) {
					t.Errorf("%s: no XML declaration", a1[j].Path)
				}
			}
		}
	}
}

func TestRefusesWhatFirewalldRefuses(t *testing.T) {
	// The schema already refuses an 18-character zone; the renderer refuses it too, for models
	// built by other means.
	c := loadInline(t, "firewall: {zone: kubernetes}\n")
	c.Firewall.Zone = "kubernetes-cluster-1"
	if _, err := Artifacts(c, c.Hosts[0]); err == nil || !strings.Contains(err.Error(), "firewall.zone") {
		t.Errorf("18-character zone: err = %v, want a firewall.zone error", err)
	}
	c = loadInline(t, "firewall: {extraPorts: [{port: 9100}]}\n")
	c.Firewall.ExtraPorts[0].Protocol = "icmp"
	if _, err := Artifacts(c, c.Hosts[0]); err == nil || !strings.Contains(err.Error(), "firewall.extraPorts[0]") {
		t.Errorf("icmp port: err = %v, want a firewall.extraPorts[0] error", err)
	}
}
