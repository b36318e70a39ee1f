package compiler

import "fmt"

// managedFlags are component flags kubeforge derives from fields of the description. Setting
// one through extraArgs would let the flag and what else the field drives (the port table's
// firewall rules and probes, certificates, the other components) disagree, so the field must
// be used instead.
var managedFlags = []struct {
	component string // description path of the extraArgs map
	flag      string
	field     string // the field to set instead; "" when there is none
}{
	{"apiServer.extraArgs", "secure-port", "apiServer.bindPort"},
	{"apiServer.extraArgs", "service-cluster-ip-range", "networking.serviceSubnets"},
	{"apiServer.extraArgs", "etcd-servers", "etcd.topology and etcd.external.endpoints"},
	{"apiServer.extraArgs", "advertise-address", "the host's first address (hosts[].addresses)"},
	{"controllerManager.extraArgs", "secure-port", ""},
	{"controllerManager.extraArgs", "cluster-cidr", "networking.podSubnets"},
	{"controllerManager.extraArgs", "service-cluster-ip-range", "networking.serviceSubnets"},
	{"controllerManager.extraArgs", "node-cidr-mask-size", "networking.nodeCIDRMaskSize"},
	{"controllerManager.extraArgs", "node-cidr-mask-size-ipv4", "networking.nodeCIDRMaskSize.ipv4"},
	{"controllerManager.extraArgs", "node-cidr-mask-size-ipv6", "networking.nodeCIDRMaskSize.ipv6"},
	{"scheduler.extraArgs", "secure-port", ""},
	{"etcd.extraArgs", "data-dir", "etcd.dataDir"},
	{"etcd.extraArgs", "name", "the host's name (each member is named after its node)"},
	{"etcd.extraArgs", "initial-cluster", "the etcd hosts of the description"},
}

// managedArgs reports extra args that override flags kubeforge derives from the description.
func (k *checker) managedArgs() {
	c := k.c
	args := map[string]Args{
		"apiServer.extraArgs":         c.APIServer.ExtraArgs,
		"controllerManager.extraArgs": c.ControllerManager.ExtraArgs,
		"scheduler.extraArgs":         c.Scheduler.ExtraArgs,
		"etcd.extraArgs":              c.Etcd.ExtraArgs,
	}
	for _, m := range managedFlags {
		if _, set := args[m.component][m.flag]; !set {
			continue
		}
		detail := "set " + m.field + " instead; kubeforge derives --" + m.flag + " from it and keeps everything that depends on it in step"
		if m.field == "" {
			detail = "kubeforge's port table fixes this port for probes and firewall rules; remove the flag"
		}
		k.errorf(fmt.Sprintf("%s[%q]", m.component, m.flag), detail, "--%s is managed by kubeforge", m.flag)
	}
}
