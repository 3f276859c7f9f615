// Package wasm holds the WASM kernel modules retrollama ships, compiled
// into the binary so that the wasm profile works with no toolchain and
// nothing on disk. Their sources are beside them (simd128/kernels.c,
// goexample/main.go) and "make wasm" rebuilds them; CI rebuilds them and
// fails if the bytes differ from the committed ones. The module contract
// is ABI.md.
package wasm

import (
	"bytes"
	"compress/gzip"
	"embed"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// The Go module is embedded gzipped (0.65 MB instead of 2.2): the
// Pentium II build, a model and its unpacking must fit in 128 MB.
//
//go:embed simd128/simd128.wasm goexample/goexample.wasm.gz
var modules embed.FS

// Module returns the shipped module called name ("simd128.wasm"), as
// kernels.hcl refers to it after "embedded:".
func Module(name string) ([]byte, bool) {
	dir := strings.TrimSuffix(name, ".wasm")
	file := path.Join(dir, name)
	if b, err := modules.ReadFile(file); err == nil {
		return b, true
	}
	z, err := modules.ReadFile(file + ".gz")
	if err != nil {
		return nil, false
	}
	r, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, false
	}
	b, err := io.ReadAll(r)
	return b, err == nil
}

// Names lists the shipped modules.
func Names() []string {
	var names []string
	_ = fs.WalkDir(modules, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, strings.TrimSuffix(path.Base(p), ".gz"))
		}
		return nil
	})
	slices.Sort(names)
	return names
}
