package compiler

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"kubeforge.dev/kubeforge/compiler/description"
	"kubeforge.dev/kubeforge/compiler/diag"
)

// fuzzNames are the file names a fuzzed input is loaded as: the format follows the name.
var fuzzNames = []string{"f.yaml", "f.json", "f.cue"}

// FuzzLoad checks that any input, read as YAML, JSON or CUE, gives either a model or errors,
// each error with a summary, printed safely, and never panics or hangs. Seeded with the
// corpus.
func FuzzLoad(f *testing.F) {
	for _, kind := range corpusKinds {
		paths, _ := filepath.Glob(filepath.Join("testdata", kind, "*"))
		sub, _ := filepath.Glob(filepath.Join("testdata", kind, "*", "*"))
		for _, p := range append(paths, sub...) {
			data, err := os.ReadFile(p)
			if err != nil || strings.HasSuffix(p, ".want") {
				continue
			}
			for i, n := range fuzzNames {
				if filepath.Ext(p) == filepath.Ext(n) {
					f.Add(uint8(i), data)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, format uint8, data []byte) {
		name := fuzzNames[int(format)%len(fuzzNames)]
		done := make(chan struct{})
		go func() {
			defer close(done)
			c, src, ds := LoadBytes(name, data)
			switch {
			case c == nil && !ds.HasErrors():
				t.Errorf("no model and no error; diagnostics: %v", ds)
			case c != nil && ds.HasErrors():
				t.Errorf("a model despite errors: %v", ds)
			}
			for _, d := range ds {
				if d.Summary == "" || d.Pos.File == "" {
					t.Errorf("diagnostic without summary or file: %+v", d)
				}
			}
			checkPrinted(t, ds, src)
		}()
		// A generous bound: loading a small input takes milliseconds; only a hang gets here.
		select {
		case <-done:
		case <-time.After(10 * time.Minute): // a hang (a FIFO blocks forever), not a slow machine
			t.Fatalf("loading %s did not finish in ten minutes:\n%q", name, data)
		}
	})
}

// checkPrinted prints diagnostics as the CLI does, as text and JSON: the text holds nothing a
// terminal acts on, the JSON is valid.
func checkPrinted(t *testing.T, ds diag.List, src *description.Source) {
	var text, js bytes.Buffer
	diag.WriteText(&text, ds, src.Files)
	for _, r := range text.String() {
		if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0x2028 || r == 0x2029 ||
			r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == utf8.RuneError {
			t.Errorf("printed diagnostics hold %U:\n%s", r, text.String())
			break
		}
	}
	diag.WriteJSON(&js, ds)
	if !json.Valid(js.Bytes()) {
		t.Errorf("invalid JSON diagnostics:\n%s", js.String())
	}
}
