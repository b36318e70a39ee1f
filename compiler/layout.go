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
	// MaxFileName is the longest file name Linux file systems take, in bytes.
	MaxFileName = 255
)

// The names a transaction gives, beside an entry NAME it replaces, to what exists only while
// it runs (emit/internal/atomicdir): NAME's new content while it is written
// (.NAME.staging-RANDOM), NAME's old content on its way out (.NAME.trash-RANDOM), and NAME's
// old content moved aside on file systems that cannot exchange two entries (.NAME.old).
const (
	TransientPrefix = "."
	StagingInfix    = ".staging-"
	TrashInfix      = ".trash-"
	SetAsideSuffix  = ".old"
	// RandomLen is the longest random part os.MkdirTemp adds.
	RandomLen = 10
)

// ReservedOutputNames are the top-level entries of the output that are not host trees.
var ReservedOutputNames = []string{ClusterBundleDir, TarDir, CloudInitDir, AnsibleDir, IgnitionDir}

// MaxHostNameLen is the longest host name every file named after it fits, also while a
// compile replaces it: the manifest on its way out is the longest of them.
var MaxHostNameLen = MaxFileName - longestHostAddition()

func longestHostAddition() int {
	suffix := slices.Max([]int{len(ManifestSuffix), len(TarSuffix), len(CloudInitSuffix), len(IgnitionSuffix), len(HostVarsSuffix)})
	transient := slices.Max([]int{len(StagingInfix) + RandomLen, len(TrashInfix) + RandomLen, len(SetAsideSuffix)})
	return len(TransientPrefix) + suffix + transient
}
