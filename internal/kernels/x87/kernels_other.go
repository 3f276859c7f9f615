//go:build !386

package x87

import (
	"errors"

	"github.com/retrollama/retrollama/kernels/mathf"
)

// Every GOARCH but 386 runs the Go versions of the kernels (generic.go),
// so that the package builds and its tests run everywhere; the provider is
// then no faster than scalar, and Usable says so.

func matMul(out, w, x []float32, stride int)  { genericMatMul(out, w, x, stride) }
func matMulT(out, a, v []float32, stride int) { genericMatMulT(out, a, v, stride) }
func rmsNorm(out, x, w []float32)             { genericRMSNorm(out, x, w) }
func rope(v, cs []float32)                    { genericRoPE(v, cs) }
func divide(x []float32, d float32)           { genericDivide(x, d) }
func softmax(x []float32)                     { genericSoftmax(x) }
func swiGLU(gate, up []float32)               { genericSwiGLU(gate, up) }
func expf(x float32) float32                  { return mathf.Exp(x) }

// asm reports whether the kernels are the x87 assembly.
const asm = false

var usable = errors.New("x87 assembly is only in the GOARCH=386 build")
