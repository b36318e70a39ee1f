package schema

import (
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
)

// APIVersion returns the apiVersion a description must have, as the schema says.
var APIVersion = sync.OnceValue(func() string {
	v := cuecontext.New().CompileBytes(source, cue.Filename(Filename))
	s, err := v.LookupPath(cue.ParsePath("#ClusterBase.apiVersion")).String()
	if err != nil {
		panic("schema: #ClusterBase.apiVersion is not one string: " + err.Error())
	}
	return s
})
