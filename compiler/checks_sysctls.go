package compiler

import (
	"fmt"
	"strings"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// sysctls refuses user sysctls that switch off what the cluster needs: the user's value wins
// in the file, so the nodes would come up unable to route pod traffic.
func (k *checker) sysctls() {
	for _, s := range k.c.Sysctls {
		for _, n := range kernelNeeds {
			if s.Key == n.key && n.applies(k.c) && strings.TrimSpace(s.Value) != n.value {
				k.errorf(diag.CodeSysctlBreaks, FieldPath("sysctls", Key(s.Key)), fmt.Sprintf("Kubernetes needs %s = %s: %s; remove the key", n.key, n.value, n.why),
					"sysctl %s = %s switches off what Kubernetes needs", s.Key, s.Value)
			}
		}
	}
}
