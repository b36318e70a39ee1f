package pki

import (
	"strings"
	"testing"
	"time"

	"kubeforge.dev/kubeforge/compiler/compilertest"
)

// FuzzStore gives Issue a valid store with one file replaced by arbitrary bytes (any store file,
// or a file the store does not know): Issue must return an error or a PKI, never panic, and
// never change the store it was given. Seeded with every file of a real store, damaged a few
// ways.
func FuzzStore(f *testing.F) {
	c := compilertest.Load(f, "single-node.yaml")
	base, _ := issuedStore(f, c)
	names := make([]string, 0, len(base.Files))
	for rel := range base.Files {
		names = append(names, rel)
	}
	names = append(names, "hosts/lab1/unknown.crt", "hosts/../ca.key", "hosts/x/apiserver.key")
	for i, rel := range names {
		data := base.Files[rel].Data
		f.Add(uint16(i), data)
		f.Add(uint16(i), data[:len(data)/2])
		f.Add(uint16(i), []byte(strings.Replace(string(data), "CERTIFICATE", "PRIVATE KEY", 1)))
	}
	f.Fuzz(func(t *testing.T, which uint16, data []byte) {
		rel := names[int(which)%len(names)]
		st := withFiles(base, map[string][]byte{rel: data})
		before := contentOf(st)
		r, err := Issue(c, Options{Store: st, Now: func() time.Time { return t0 }})
		if err == nil && r == nil {
			t.Fatal("no PKI and no error")
		}
		if err != nil && err.Error() == "" {
			t.Fatal("an error without a message")
		}
		if got := contentOf(st); len(got) != len(before) {
			t.Fatal("Issue changed the store it was given")
		}
	})
}
