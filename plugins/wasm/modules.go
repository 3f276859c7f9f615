// Package wasm holds the WASM kernel modules retrollama ships, compiled
// into the binary so that the wasm profile works with no toolchain and
// nothing on disk. Their sources are beside them (simd128/kernels.c,
// goexample/main.go) and "make wasm" rebuilds them; CI rebuilds them and
// fails if the bytes differ from the committed ones. The module contract
// is ABI.md.
package wasm

import (
	"embed"
	"io/fs"
	"path"
	"slices"
)

//go:embed simd128/simd128.wasm goexample/goexample.wasm
var modules embed.FS

// Module returns the shipped module called name ("simd128.wasm"), as
// kernels.hcl refers to it after "embedded:".
func Module(name string) ([]byte, bool) {
	dir := name
	if ext := path.Ext(name); ext == ".wasm" {
		dir = name[:len(name)-len(ext)]
	}
	b, err := modules.ReadFile(path.Join(dir, name))
	return b, err == nil
}

// Names lists the shipped modules.
func Names() []string {
	var names []string
	_ = fs.WalkDir(modules, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, path.Base(p))
		}
		return nil
	})
	slices.Sort(names)
	return names
}
