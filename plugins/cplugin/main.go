//go:build cgo

// Command cplugin is the example kernel plugin in C: every op of the
// kernel contract (kernels/kernels.go) written in C11 in kernels.c
// (portable C, and AVX2 intrinsics for the fp32 MatMul), compiled by cgo with -O3 -march=native so that GCC
// vectorises the loops for the CPU it builds on, and served out of
// process by kernelplugin.Serve. It is the whole of what a C plugin
// needs: the C kernels, a kernels.Provider that checks sizes and passes
// slices to them, and main.
//
// Build it with `make plugins`, which runs
//
//	CGO_ENABLED=1 CGO_CFLAGS="..." go build -o dist/plugins/cplugin ./plugins/cplugin
//
// (a C compiler is needed; without cgo the command only prints an error).
// The flags that matter are in the #cgo line below: -O3 -march=native
// -std=c11. cgo's allowlist refuses -ffp-contract=off there (make passes
// it in CGO_CFLAGS, which cgo does not filter), so kernels.c turns
// contraction off itself, and Init refuses a build that still fuses a·b
// + c (rl_contracts). Not every fusion shows in that probe: GCC 12.2
// fuses a vectorised a·b - c·d, a·b + c·d pair even under
// -ffp-contract=off (see rope_span in kernels.c), so TestBitExact
// compares every exact op with the reference bit for bit; the
// conformance suite's tolerance would not notice. Run go test here after
// changing the C code or the compiler. -march=native ties the binary to
// CPUs like the one it was built on: rebuild it on the machine that runs
// it.
//
// The provider "plugin.cplugin" of kernels.hcl runs it, and the profile
// "cplugin" routes every op to it, so that users compare it with the Go
// kernels by
//
//	retrollama bench --a fast --b cplugin
//
// and check it with `retrollama kernels check --provider plugin.cplugin`.
// Every op gives the scalar reference's bits exactly, the fp32 MatMul
// included: its vector lanes hold rows, each summed in order (see
// kernels.c).
// It runs on one thread: kernels.hcl's threads is ignored.
package main

/*
#cgo CFLAGS: -O3 -march=native -std=c11
#cgo LDFLAGS: -lm
#include "kernels.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/mathf"
	"github.com/retrollama/retrollama/kernels/scalar"
	"github.com/retrollama/retrollama/plugins/kernelplugin"
)

func main() {
	kernelplugin.Serve(func(o kernelplugin.Options) (kernels.Provider, error) {
		p := newProvider()
		p.threads = o.Threads
		o.Logger.Debug("serving the C kernels", "build", p.build, "threads", 1, "threads asked", o.Threads)
		return p, nil
	})
}

// maxGroup is the widest Q8_0 group whose int32 sums cannot overflow:
// |xq·wq| ≤ 128·128 per value. (Go's int32 wraps, C's overflows are
// undefined; no real checkpoint comes near it.)
const maxGroup = (1<<31 - 1) / (128 * 128)

// provider runs the ops in C. The zero value is not ready: use
// newProvider, then Init.
type provider struct {
	shape   kernels.Shape
	ready   bool
	threads int    // what the host asked for, for Describe; one is used
	build   string // the C compiler and instruction sets, from kernels.c

	att []float32 // attention scores, SeqLen
	// xq and xs hold x quantized for a Q8_0 MatMul: sized at Init for the
	// model's widest input and grown at Prepare, never in MatMul.
	xq []int8
	xs []float32
	// RoPE's cosines and sines: cs holds 2·period floats (cos, -sin, cos,
	// sin of each pair, the layout rl_rope wants) for each position below
	// SeqLen, computed at Init in Go with the reference's own functions
	// (kernels/mathf: glibc's exact algorithms; the C library's cosf and
	// powf may differ in the last bit); row holds them for a position past
	// the table.
	period int
	freq   []float32 // the frequency of each pair of a period
	cs     []float32
	row    []float32
}

// matrix is the provider's Weight for an F32 tensor: the engine's slice,
// kept as is (it stays valid until Close), passed to C at each call.
type matrix struct {
	rows, cols int
	data       []float32
}

// q8Matrix is the provider's Weight for a Q8_0 matrix: the engine's
// slices, kept as is.
type q8Matrix struct {
	rows, cols, groupSize int
	q                     []int8
	scales                []float32
}

// newProvider returns a provider; Init must be called before use.
func newProvider() *provider {
	return &provider{build: C.GoString(C.rl_build())}
}

// Name implements kernels.Provider.
func (p *provider) Name() string { return "cplugin" }

// Describe implements kernels.Describer.
func (p *provider) Describe() string {
	s := "C kernels (plugins/cplugin/kernels.c), " + p.build + ", -O3 -march=native, one thread"
	if p.threads > 1 {
		s += fmt.Sprintf(" (threads = %d ignored)", p.threads)
	}
	return s
}

// Supports implements kernels.Provider: every op in fp32 and the Q8_0
// MatMul, on any CPU the binary runs on (it was built for this one).
func (p *provider) Supports(q kernels.Query) kernels.Support {
	if q.DType == kernels.F32 || q.DType == kernels.Q8_0 && q.Op == kernels.MatMul {
		return kernels.Support{OK: true}
	}
	return kernels.Support{Reason: fmt.Sprintf("%s: dtype %v not supported", q.Op, q.DType)}
}

// Init implements kernels.Provider: it allocates all scratch memory (no
// call allocates) and RoPE's table.
func (p *provider) Init(s kernels.Shape) error {
	if C.rl_contracts() != 0 {
		return errors.New("cplugin: init: kernels.c was compiled fusing a·b + c into fused multiply-adds " +
			"(-ffp-contract); its results would not be the reference's")
	}
	if s.Heads <= 0 || s.KVHeads <= 0 || s.SeqLen <= 0 || s.Dim <= 0 || s.HiddenDim < 0 || s.VocabSize < 0 ||
		s.Dim%s.Heads != 0 || s.Heads%s.KVHeads != 0 {
		return fmt.Errorf("cplugin: init: bad shape %+v", s)
	}
	p.shape = s
	p.att = make([]float32, s.SeqLen)
	n := max(s.Dim, s.HiddenDim)
	p.xq, p.xs = make([]int8, n), make([]float32, n)

	// The reference rotates the pair at i by the frequency of i mod
	// HeadSize: with an even head size the pattern repeats every head, with
	// an odd one (pairs then straddle heads) every two.
	hs := s.HeadSize()
	p.period = hs
	if hs%2 != 0 {
		p.period = 2 * hs
	}
	p.freq = make([]float32, p.period/2)
	for j := range p.freq {
		p.freq[j] = 1 / mathf.Pow(10000, float32(2*j%hs)/float32(hs))
	}
	n = 2 * p.period // one row's floats
	p.cs = make([]float32, s.SeqLen*n)
	for pos := range s.SeqLen {
		p.ropeRow(p.cs[pos*n:(pos+1)*n], pos)
	}
	p.row = make([]float32, n)
	p.ready = true
	return nil
}

// ropeRow sets row to cos, -sin, cos, sin of each pair's angle at pos,
// computed as the reference computes them.
func (p *provider) ropeRow(row []float32, pos int) {
	for j, f := range p.freq {
		angle := float32(pos) * f
		cos, sin := mathf.Cos(angle), mathf.Sin(angle)
		row[4*j], row[4*j+1], row[4*j+2], row[4*j+3] = cos, -sin, cos, sin
	}
}

// Prepare implements kernels.Provider: weights stay where they are.
func (p *provider) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	if !p.ready {
		return nil, fmt.Errorf("cplugin: prepare %s: not initialised", t.Name)
	}
	switch t.DType {
	case kernels.F32:
		if t.Rows < 0 || t.Cols < 0 || len(t.F32) != t.Rows*t.Cols {
			return nil, fmt.Errorf("cplugin: prepare %s: %d values for %d×%d", t.Name, len(t.F32), t.Rows, t.Cols)
		}
		return &matrix{rows: t.Rows, cols: t.Cols, data: t.F32}, nil
	case kernels.Q8_0:
		if err := scalar.CheckQ8(t); err != nil {
			return nil, fmt.Errorf("cplugin: prepare %s: %w", t.Name, err)
		}
		if t.GroupSize > maxGroup {
			return nil, fmt.Errorf("cplugin: prepare %s: q8_0 group size %d above %d (int32 sums could overflow)", t.Name, t.GroupSize, maxGroup)
		}
		if t.Cols > len(p.xq) { // wider than the model's activations
			p.xq, p.xs = make([]int8, t.Cols), make([]float32, t.Cols)
		}
		return &q8Matrix{rows: t.Rows, cols: t.Cols, groupSize: t.GroupSize, q: t.Q8, scales: t.Scales}, nil
	}
	return nil, fmt.Errorf("cplugin: prepare %s: dtype %v not supported", t.Name, t.DType)
}

// Close implements kernels.Provider: the weights were never copied, so
// there is only scratch to drop.
func (p *provider) Close() error {
	p.ready = false
	p.att, p.xq, p.xs, p.freq, p.cs, p.row = nil, nil, nil, nil, nil, nil
	return nil
}

// The pointers cgo passes: Go memory for the duration of a call, which
// kernels.c never keeps. nil for an empty slice (C reads nothing then).
func fp(s []float32) *C.float { return (*C.float)(unsafe.Pointer(unsafe.SliceData(s))) }
func ip(s []int8) *C.int8_t   { return (*C.int8_t)(unsafe.Pointer(unsafe.SliceData(s))) }
func ci(n int) C.int64_t      { return C.int64_t(n) }

// MatMul implements kernels.MatMul: out = W·x, for F32 and Q8_0 weights.
func (p *provider) MatMul(out []float32, w kernels.Weight, x []float32) error {
	switch m := w.(type) {
	case *matrix:
		if err := matMulSizes(out, x, m.rows, m.cols); err != nil {
			return err
		}
		if m.rows > 0 && m.cols > 0 {
			C.rl_matmul_f32(fp(out), fp(x), fp(m.data), ci(m.cols), ci(m.rows))
		} else {
			clear(out[:m.rows])
		}
	case *q8Matrix:
		if err := matMulSizes(out, x, m.rows, m.cols); err != nil {
			return err
		}
		if m.cols > len(p.xq) {
			return fmt.Errorf("cplugin: matmul: %d columns, prepared for at most %d", m.cols, len(p.xq))
		}
		if m.rows == 0 {
			return nil
		}
		if m.cols == 0 {
			clear(out[:m.rows])
			return nil
		}
		C.rl_quantize(ip(p.xq), fp(p.xs), fp(x), ci(m.cols), ci(m.groupSize))
		C.rl_matmul_q8(fp(out), ip(p.xq), fp(p.xs), ip(m.q), fp(m.scales), ci(m.cols), ci(m.rows), ci(m.groupSize))
	default:
		return kernels.ErrForeignWeight
	}
	return nil
}

// matMulSizes checks a MatMul's slices against its rows×cols matrix.
func matMulSizes(out, x []float32, rows, cols int) error {
	if len(x) < cols || len(out) < rows {
		return fmt.Errorf("cplugin: matmul: x %d and out %d values for a %d×%d matrix", len(x), len(out), rows, cols)
	}
	return nil
}

// RMSNorm implements kernels.RMSNorm; its weight must be F32.
func (p *provider) RMSNorm(out, x []float32, w kernels.Weight) error {
	m, ok := w.(*matrix)
	if !ok {
		if _, q8 := w.(*q8Matrix); q8 {
			return fmt.Errorf("cplugin: rmsnorm: dtype %v not supported", kernels.Q8_0)
		}
		return kernels.ErrForeignWeight
	}
	if len(out) < len(x) || len(m.data) < len(x) {
		return fmt.Errorf("cplugin: rmsnorm: x %d, out %d and weight %d values", len(x), len(out), len(m.data))
	}
	if len(x) > 0 {
		C.rl_rmsnorm(fp(out), fp(x), fp(m.data), ci(len(x)))
	}
	return nil
}

// RoPE implements kernels.RoPE with the table of Init; a position past it
// (not one the engine asks for) gets its row computed here, in Go.
func (p *provider) RoPE(q, k []float32, pos int) error {
	if !p.ready {
		return errors.New("cplugin: rope: not initialised")
	}
	nk := min(len(k), len(q)) // the reference rotates k's pairs below len(q)
	if len(q)%2 != 0 || nk%2 != 0 {
		return fmt.Errorf("cplugin: rope: q %d and k %d values: pairs need even lengths", len(q), len(k))
	}
	var cs []float32
	if pos >= 0 && pos < p.shape.SeqLen {
		n := 2 * p.period
		cs = p.cs[pos*n : (pos+1)*n]
	} else {
		cs = p.row
		p.ropeRow(cs, pos)
	}
	if len(q) > 0 {
		C.rl_rope(fp(q), ci(len(q)), fp(k), ci(nk), fp(cs), ci(p.period))
	}
	return nil
}

// Attention implements kernels.Attention.
func (p *provider) Attention(out, q, keys, values []float32, pos int) error {
	s := p.shape
	if !p.ready {
		return errors.New("cplugin: attention: not initialised")
	}
	kvDim := s.KVDim()
	if pos < 0 || pos >= s.SeqLen || len(out) < s.Dim || len(q) < s.Dim ||
		len(keys) < (pos+1)*kvDim || len(values) < (pos+1)*kvDim {
		return fmt.Errorf("cplugin: attention: out %d, q %d, keys %d, values %d values at pos %d for dim %d, kv dim %d, seq len %d",
			len(out), len(q), len(keys), len(values), pos, s.Dim, kvDim, s.SeqLen)
	}
	C.rl_attention(fp(out), fp(q), fp(keys), fp(values), fp(p.att), ci(pos), ci(s.Heads), ci(s.KVHeads), ci(s.HeadSize()))
	return nil
}

// SwiGLU implements kernels.SwiGLU.
func (p *provider) SwiGLU(gate, up []float32) error {
	if len(up) < len(gate) {
		return fmt.Errorf("cplugin: swiglu: gate %d values, up %d", len(gate), len(up))
	}
	if len(gate) > 0 {
		C.rl_swiglu(fp(gate), fp(up), ci(len(gate)))
	}
	return nil
}

// Softmax implements kernels.Softmax.
func (p *provider) Softmax(x []float32) error {
	if len(x) > 0 {
		C.rl_softmax(fp(x), ci(len(x)))
	}
	return nil
}

var (
	_ kernels.Provider  = (*provider)(nil)
	_ kernels.Describer = (*provider)(nil)
)

// expf is kernels.c's expf, for the tests (a test file cannot use cgo).
func expf(x float32) float32 { return float32(C.rl_expf(C.float(x))) }
