package compiler

import "slices"

// The output layout: what a compile writes at the top of its output directory beside the
// hosts' trees (OUT/HOST/ and OUT/HOST.manifest.json), and the files it names after hosts. A
// host name must not land on any of them: a host called "cluster" would be merged into the
// cluster bundle, the folder operators kubectl apply. Emitters and the PKI store take these
// names from here.
const (
	// ClusterBundleDir holds the cluster bundle, applied through the API.
	ClusterBundleDir = "cluster"
	// ManifestSuffix follows a bundle's name in its manifest, OUT/NAME.manifest.json.
	ManifestSuffix = ".manifest.json"
	// The formats' folders.
	TarDir       = "tar"
	CloudInitDir = "cloud-init"
	AnsibleDir   = "ansible"
	IgnitionDir  = "ignition"
	// Files named after a host inside the formats' folders: tar/HOST.tar,
	// cloud-init/HOST.yaml, ignition/HOST.ign and ansible/host_vars/HOST.yml.
	TarSuffix       = ".tar"
	CloudInitSuffix = ".yaml"
	IgnitionSuffix  = ".ign"
	HostVarsSuffix  = ".yml"
	// SetAsideSuffix follows an entry the emitter moves aside while it swaps in a new one on
	// file systems without an atomic exchange (OUT/HOST.manifest.json.old).
	SetAsideSuffix = ".old"
	// MaxFileName is the longest file name Linux file systems take, in bytes.
	MaxFileName = 255
)

// ReservedOutputNames are the top-level entries of the output that are not host trees.
var ReservedOutputNames = []string{ClusterBundleDir, TarDir, CloudInitDir, AnsibleDir, IgnitionDir}

// MaxHostNameLen is the longest host name every file named after it fits: the manifest, set
// aside, is the longest of them.
var MaxHostNameLen = MaxFileName - len(longestHostSuffix())

func longestHostSuffix() string {
	suffixes := []string{ManifestSuffix + SetAsideSuffix, TarSuffix, CloudInitSuffix, IgnitionSuffix, HostVarsSuffix}
	return slices.MaxFunc(suffixes, func(a, b string) int { return len(a) - len(b) })
}
