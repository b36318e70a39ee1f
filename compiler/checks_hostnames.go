package compiler

import (
	"fmt"
	"slices"
	"strings"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// maxNodeNameLen: the kubelet labels its Node kubernetes.io/hostname=NODE, and label values
// hold at most 63 characters, so the apiserver refuses a Node with a longer name.
const maxNodeNameLen = 63

// hostNames checks that every host name can be written: the output names files and folders
// after hosts, beside folders of its own; and that every node name can be registered.
func (k *checker) hostNames() {
	for _, h := range k.c.Hosts {
		at := h.Field("name")
		switch {
		case slices.Contains(ReservedOutputNames, h.Name):
			k.errorf(diag.CodeReservedHostName, at, fmt.Sprintf("the output keeps its own folder %s/ beside the hosts' folders (%s), and the host's files would be merged into it; name the host otherwise",
				h.Name, strings.Join(ReservedOutputNames, ", ")), "host name %q is reserved by the output layout", h.Name)
		case strings.HasSuffix(h.Name, ManifestSuffix):
			k.errorf(diag.CodeHostNameLikeManifest, at, fmt.Sprintf("the output writes each bundle's manifest as NAME%s beside its folder, so the host's folder would take the place of the manifest of %q", ManifestSuffix, strings.TrimSuffix(h.Name, ManifestSuffix)),
				"host name %q ends in %s", h.Name, ManifestSuffix)
		case len(h.Name) > MaxHostNameLen:
			k.errorf(diag.CodeHostNameTooLong, at, fmt.Sprintf("the output names files after the host, such as NAME%s, and file names hold at most %d bytes; name the host otherwise (nodeName can keep a longer node name)", ManifestSuffix, MaxFileName),
				"host name has %d characters, at most %d fit the output", len(h.Name), MaxHostNameLen)
		}
		// The certificates name the host and its node in their DNS SANs.
		for _, f := range []struct{ field, name string }{{"name", h.Name}, {"nodeName", h.NodeName}} {
			if f.field == "nodeName" && h.NodeName == h.Name {
				continue
			}
			if why := dnsSyntaxProblem(f.name); why != "" {
				k.errorf(diag.CodeInvalidDNSName, h.Field(f.field), "certificates name the host in their DNS names: "+why, "%q is not a valid DNS name", f.name)
			}
		}
		if !k.c.EtcdOnly(h) && len(h.NodeName) > maxNodeNameLen {
			k.errorf(diag.CodeNodeNameTooLong, k.firstWritten(h.Field("nodeName"), at), fmt.Sprintf("the kubelet labels its Node kubernetes.io/hostname=NAME and label values hold at most %d characters, so the apiserver would refuse the Node; set nodeName to a shorter name", maxNodeNameLen),
				"node name has %d characters, at most %d can register", len(h.NodeName), maxNodeNameLen)
		}
	}
}
