package description

import (
	"slices"

	"cuelang.org/go/cue"

	"kubeforge.dev/kubeforge/compiler/diag"
)

// structureDiagnostics reports every required field the schema sch asks for that the user's
// value v lacks, and every field v has that sch does not know, in v and in what it nests,
// skipping the top-level field skip. CUE stops reporting these as soon as another field of the
// same value is wrong, so kubeforge looks itself, and only in values CUE found wrong.
func (s *Source) structureDiagnostics(v, sch cue.Value, path Path, skip string) diag.List {
	var out diag.List
	switch v.IncompleteKind() {
	case cue.StructKind:
		if sch.IncompleteKind()&cue.StructKind == 0 {
			return nil
		}
		if it, err := sch.Fields(cue.Optional(true)); err == nil {
			for it.Next() {
				name := it.Selector().Unquoted()
				if isRequired(it.Selector(), it.Value()) && !v.LookupPath(cue.MakePath(cue.Str(name))).Exists() {
					out = append(out, s.missingField(child(path, PathElem{name: name})))
				}
			}
		}
		it, err := v.Fields()
		if err != nil {
			return out
		}
		for it.Next() {
			e := PathElem{name: it.Selector().Unquoted()}
			if len(path) == 0 && e.name == skip {
				continue
			}
			c := schemaChild(sch, e)
			if !c.Exists() {
				out = append(out, s.unknownField(child(path, e)))
				continue
			}
			out = append(out, s.structureDiagnostics(it.Value(), c, child(path, e), "")...)
		}
	case cue.ListKind:
		it, err := v.List()
		if err != nil {
			return nil
		}
		for i := 0; it.Next(); i++ {
			e := PathElem{index: i, isIndex: true}
			if c := schemaChild(sch, e); c.Exists() {
				out = append(out, s.structureDiagnostics(it.Value(), c, child(path, e), "")...)
			}
		}
	}
	return out
}

func child(p Path, e PathElem) Path {
	return append(slices.Clip(p), e)
}
