package kubelet

import (
	"fmt"
	"kubeforge.dev/kubeforge/render/internal/unit"
	"strings"
)

// kubeadmFlagsVar is the variable of kubeadm-flags.env that kubeadm's drop-in passes to the
// kubelet as $KUBELET_KUBEADM_ARGS.
const kubeadmFlagsVar = "KUBELET_KUBEADM_ARGS"

// envFileWords returns the line NAME="word word ..." of an EnvironmentFile, for a variable the
// unit expands as $NAME, which systemd splits into the kubelet's arguments.
//
// The value is double-quoted with '\', '"', '$' and '`' escaped by a backslash: systemd's
// EnvironmentFile parser and a POSIX shell sourcing the file both read that back to the same
// value. systemd then splits $NAME at whitespace and removes quotes and backslashes in each
// word, so a word holding any of those, or nothing at all, could not come out as itself, and is
// refused, as are control characters.
func envFileWords(name string, words []string) ([]byte, error) {
	if !unit.EnvName.MatchString(name) {
		return nil, fmt.Errorf("environment variable name %q", name)
	}
	for _, w := range words {
		if err := unit.OneLine(name, w); err != nil {
			return nil, err
		}
		if w == "" || strings.ContainsAny(w, " \t\"'\\") {
			return nil, fmt.Errorf("%s: %q cannot be one word of $%s: systemd splits it at whitespace and removes quotes and backslashes", name, w, name)
		}
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
	return []byte(name + `="` + r.Replace(strings.Join(words, " ")) + "\"\n"), nil
}
