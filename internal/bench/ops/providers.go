package ops

import (
	"fmt"
	"io"

	"github.com/retrollama/retrollama/internal/host/kernelsfile"
	"github.com/retrollama/retrollama/internal/host/registry"
	"github.com/retrollama/retrollama/kernels"
)

// Providers lists the providers bench ops measures: every one f declares
// that runs here (saying on skipped which it passes over, and why), or,
// when only is set, just the provider it names ("kind.name", declared in
// f), which must run here. Each is made afresh with threads per op.
func Providers(f *kernelsfile.File, only string, threads int, skipped io.Writer) ([]Named, error) {
	var ps []Named
	for _, decl := range f.Providers {
		if only != "" && decl.Ref() != only {
			continue
		}
		if err := registry.Usable(decl); err != nil {
			if only != "" {
				return nil, fmt.Errorf("provider %s cannot run here: %w", only, err)
			}
			fmt.Fprintf(skipped, "%s: skipped: %v\n", decl.Ref(), err)
			continue
		}
		ps = append(ps, Named{Label: decl.Ref(), New: func() (kernels.Provider, error) {
			return registry.New(decl, registry.Options{Threads: threads})
		}})
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("no provider of %s runs here", f.Path)
	}
	return ps, nil
}

// ParseDTypes reads the matmul dtypes a sweep measures: "f32", "q8_0"
// (or "q8") or "all" (both).
func ParseDTypes(s string) ([]kernels.DType, error) {
	switch s {
	case "all":
		return []kernels.DType{kernels.F32, kernels.Q8_0}, nil
	case "f32":
		return []kernels.DType{kernels.F32}, nil
	case "q8_0", "q8":
		return []kernels.DType{kernels.Q8_0}, nil
	}
	return nil, fmt.Errorf("%q: want f32, q8_0 or all", s)
}
