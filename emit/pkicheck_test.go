package emit

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler/compilertest"
	"kubeforge.dev/kubeforge/emit/pkicheck"
	"kubeforge.dev/kubeforge/render/kubeconfig"
)

// TestPKICheckListsEachCertificateOnce compiles an output in every format: pki check lists each
// certificate once, from the host trees, not again from the delivery formats' copies. Without
// the dir format, each is listed as not checked.
func TestPKICheckListsEachCertificateOnce(t *testing.T) {
	c := compilertest.Load(t, "ha.yaml")
	for _, formats := range [][]Format{Formats(), {FormatTar, FormatAnsible}} {
		dir := filepath.Join(t.TempDir(), "out")
		res, err := Compile(c, CompileOptions{Output: dir, Formats: formats})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, b := range res.Hosts {
			for _, a := range b.Artifacts {
				if _, isConf := kubeconfig.Parse(a.Data); !a.IsDir() && (bytes.HasPrefix(a.Data, []byte("-----BEGIN CERTIFICATE")) || isConf) {
					n++
				}
			}
		}
		rep, err := pkicheck.Bundle(dir, time.Now())
		st := rep.Certificates
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, s := range st {
			if seen[s.File] || s.Host == "" || !strings.HasPrefix(s.File, s.Host+"/etc/") && !strings.HasPrefix(s.File, s.Host+"/var/") {
				t.Errorf("%v: row %s (host %q) is a duplicate or not in a host tree", formats, s.File, s.Host)
			}
			seen[s.File] = true
		}
		withDir := slices.Contains(formats, FormatDir)
		if len(st) != n {
			t.Errorf("%v: %d rows for %d certificates", formats, len(st), n)
		}
		for _, s := range st {
			notChecked := len(s.Problems) == 1 && strings.HasPrefix(s.Problems[0], "not checked: the output holds no tree for host ")
			if withDir == notChecked || (withDir && s.Failed()) {
				t.Errorf("%v: %s: %q", formats, s.File, s.Problems)
			}
		}
	}
}
