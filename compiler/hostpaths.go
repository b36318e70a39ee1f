package compiler

// WritablePathFlag is a component flag naming a host path the component writes: the static
// pod mounts it read-write from the host (the file's directory, or the directory itself).
type WritablePathFlag struct {
	Component string // as in the description: apiServer, controllerManager, scheduler, etcd
	Flag      string
	// Dir is true when the flag names a directory; false for a file or socket, whose
	// directory is mounted.
	Dir bool
}

// WritablePathFlags are the flags of the static pod components that name paths they write.
var WritablePathFlags = []WritablePathFlag{
	{"apiServer", "audit-log-path", false},
	{"apiServer", "cert-dir", true},
	{"apiServer", "service-account-signing-endpoint", false},
	{"controllerManager", "cert-dir", true},
	{"controllerManager", "flex-volume-plugin-dir", true},
	{"scheduler", "cert-dir", true},
	{"etcd", "wal-dir", true},
}
