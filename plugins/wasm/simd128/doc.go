// Package simd128 holds the SIMD128 WASM kernel module, which has no Go
// API: its C source kernels.c (every op of plugins/wasm/ABI.md, bit for
// bit the scalar reference's), build.sh, which builds the committed
// simd128.wasm with a pinned clang, and the tests that run that module
// under wazero against kernels/scalar. The module reaches retrollama
// embedded by package wasm, as "embedded:simd128.wasm" in kernels.hcl.
package simd128
