//go:build 386

package mmx

import (
	"errors"

	"github.com/retrollama/retrollama/internal/cpuid"
)

// asmKernels reports that quantize, widen and matQ8 are the assembly of
// kernels_386.s.
const asmKernels = true

// Usable reports whether this CPU can run the provider's assembly: it
// needs the x87 FPU and MMX (a Pentium MMX, a Pentium II or anything
// later).
func Usable() error {
	f := cpuid.Detect()
	switch {
	case !f.FPU:
		return errors.New("mmx: needs an x87 FPU (CPUID reports none)")
	case !f.MMX:
		return errors.New("mmx: needs MMX (CPUID reports none)")
	}
	return nil
}

// quantize is scalar.Quantize in x87 assembly, bit for bit.
//
//go:noescape
func quantize(q []int8, xs []float32, x []float32, gs int)

// widen is widenGo in MMX assembly.
//
//go:noescape
func widen(x16 []int16, q []int8)

// matQ8 is matQ8Go in MMX and x87 assembly.
//
//go:noescape
func matQ8(out []float32, w []int8, ws []float32, x16 []int16, xs []float32, ivals []int32,
	rows, n, ng, wgs, p, nlg int, split, fast, pos bool)

// fpuEnv returns the x87 control, status and tag words (for tests).
func fpuEnv() (cw, sw, tw uint16)

// setFPUControl loads the x87 control word (for tests).
func setFPUControl(cw uint16)
