//go:build wasip1

// Command goexample is a complete retrollama WASM kernel module in plain
// Go: every op of plugins/wasm/ABI.md (version 1), its plumbing (the
// exports, the argument checks, the byte offsets turned into slices)
// around kernels/scalar's loops, so that its results are bit-identical to
// the reference's. Copy this directory to start your own module (it
// imports only public packages), then replace the scalar calls with
// loops of your own and make them fast; "retrollama kernels check" tells
// you whether they still give the reference's bits.
//
// Build it with build.sh, which runs, from the repository root,
//
//	CGO_ENABLED=0 GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared \
//	    -trimpath -buildvcs=false -ldflags='-s -w -buildid=' \
//	    -o plugins/wasm/goexample/goexample.wasm ./plugins/wasm/goexample
//
// -buildmode=c-shared makes a WASI "reactor": the module exports
// _initialize, which the host calls once to start the Go runtime and run
// package initialisation, and main is never run. Every function marked
// //go:wasmexport NAME becomes the module's export NAME. The ABI passes
// only i32 values, which are int32 on the Go side: byte offsets into the
// module's memory (turned into slices by plugins/wasm/sdk) and element
// counts.
//
// The rule that shapes every op below: an op must not allocate. The host
// keeps views of the module's memory from the end of loading and treats
// memory growth during an op call as an error; a Go allocation may grow
// memory and may start the garbage collector. So ops use no make, no
// append, no closures that escape, no fmt or errors values: all their
// memory is the buffers the host passes, scratch included (the Q8_0
// matmul's quantized x, attention's scores). The only allocation is
// rl_alloc, which the host calls only while loading.
//
// Every op returns 0 on success. Any other value tells the host the op
// failed; here it means arguments that make no sense (a negative count, a
// group size that does not divide n), checked before anything is written
// so that in-place operands stay unmodified, as the kernel contract asks.
// A Go panic (an index out of range, for instance) aborts the module: the
// host sees a trap and reports it the same way.
package main

import (
	"github.com/retrollama/retrollama/kernels/scalar"
	"github.com/retrollama/retrollama/plugins/wasm/sdk"
)

// main is never called in a c-shared module, but package main needs one.
func main() {}

// The op results.
const (
	ok     int32 = 0 // success
	badArg int32 = 1 // arguments the op cannot work with
)

// abiVersion returns the version of the ABI this module implements; the
// host refuses a module that does not return 1.
//
//go:wasmexport rl_abi_version
func abiVersion() int32 { return 1 }

// alloc returns the offset of size fresh bytes, 16-byte aligned, or 0. The
// host calls it for every weight tensor and staging buffer while loading,
// and never again.
//
//go:wasmexport rl_alloc
func alloc(size int32) int32 { return sdk.Alloc(size) }

// initModel receives the model's shape once, after instantiation and
// before any rl_alloc; a non-zero result refuses the model. The export is
// optional: this module needs no state, since every op is given its sizes,
// and only checks that the shape is a model's at all. Refuse here only
// what none of your ops can run: a refused model gets none of them. (An
// odd head size, for instance, is for rl_rope alone to decline; the
// conformance suite uses such shapes for the other ops.)
//
//go:wasmexport rl_init
func initModel(dim, hiddenDim, heads, kvHeads, seqLen, vocabSize int32) int32 {
	if dim <= 0 || hiddenDim <= 0 || heads <= 0 || kvHeads <= 0 || seqLen <= 0 || vocabSize <= 0 ||
		dim%heads != 0 || heads%kvHeads != 0 {
		return badArg
	}
	return ok
}

// matmulF32 computes out[i] = Σ_j w[i·n+j]·x[j] for i < d, j < n: w is d
// rows of n float32, row-major, summed in order as llama2.c's matmul does
// (scalar.MatMulF32).
//
//go:wasmexport rl_matmul_f32
func matmulF32(outOff, xOff, wOff, n, d int32) int32 {
	if n < 0 || d < 0 {
		return badArg
	}
	scalar.MatMulF32(sdk.F32(outOff, d), sdk.F32(wOff, n*d), sdk.F32(xOff, n))
	return ok
}

// matmulQ8 is llama2.c's runq.c matmul with Q8_0 weights: wq holds d·n
// int8 weights, row-major, and ws one float32 scale per gs consecutive
// weights. x (n float32) is first quantized the same way into the host's
// scratch buffers xq (n int8) and xs (n/gs float32) (scalar.Quantize);
// then each row sums, group after group, the group's exact int32 dot
// product scaled by the weight's and x's scales, rounding to float32
// after every step as runq.c does (scalar.MatMulQ8Quantized).
//
//go:wasmexport rl_matmul_q8_0
func matmulQ8(outOff, xOff, wqOff, wsOff, n, d, gs, xqOff, xsOff int32) int32 {
	if n < 0 || d < 0 || gs <= 0 || n%gs != 0 {
		return badArg
	}
	out, x := sdk.F32(outOff, d), sdk.F32(xOff, n)
	wq, ws := sdk.I8(wqOff, n*d), sdk.F32(wsOff, n/gs*d)
	xq, xs := sdk.I8(xqOff, n), sdk.F32(xsOff, n/gs)
	scalar.Quantize(xq, xs, x, int(gs))
	scalar.MatMulQ8Quantized(out, wq, ws, int(n), int(gs), xq, xs)
	return ok
}

// rmsnorm computes out[j] = w[j]·(ss·x[j]) with ss = 1/sqrt(Σx²/n + 1e-5),
// accumulating Σx² in float32 in order (scalar.RMSNormF32). out may be x:
// each x[j] is read before out[j] is written.
//
//go:wasmexport rl_rmsnorm
func rmsnorm(outOff, xOff, wOff, n int32) int32 {
	if n < 0 {
		return badArg
	}
	scalar.RMSNormF32(sdk.F32(outOff, n), sdk.F32(xOff, n), sdk.F32(wOff, n))
	return ok
}

// rope rotates, in place, each pair (v[i], v[i+1]) of q (dim floats) and,
// for i < kvDim, of k (kvDim floats). The host computes the rotation: cs
// holds headSize floats, the cosine and sine of each pair of a head at
// the current position, interleaved, so pair i of every head turns by
// cs[i mod headSize] (cosine) and cs[i mod headSize + 1] (sine). Using the
// host's table means no provider has to reproduce glibc's powf, cosf and
// sinf to get the reference's bits.
//
//go:wasmexport rl_rope
func rope(qOff, kOff, dim, kvDim, headSize, csOff int32) int32 {
	if dim < 0 || kvDim < 0 || dim%2 != 0 || kvDim%2 != 0 || headSize <= 0 || headSize%2 != 0 {
		return badArg
	}
	q, k, cs := sdk.F32(qOff, dim), sdk.F32(kOff, kvDim), sdk.F32(csOff, headSize)
	for i := 0; i < len(q); i += 2 {
		j := i % int(headSize)
		scalar.RotatePair(q, i, cs[j], cs[j+1])
		if i < len(k) {
			scalar.RotatePair(k, i, cs[j], cs[j+1])
		}
	}
	return ok
}

// attention is multi-head attention at position pos. q holds heads·
// headSize floats; keys and values hold pos+1 cache rows of kvDim =
// kvHeads·headSize floats; query head h reads KV head h/(heads/kvHeads)
// (grouped-query attention when kvHeads < heads). For each head: the
// scores q_h·k_t/sqrt(headSize) for t = 0..pos go into the scratch att
// (pos+1 floats, reused by every head), are softmaxed, and weight the sum
// of the values written to out[h·headSize : (h+1)·headSize]
// (scalar.AttentionHeads).
//
//go:wasmexport rl_attention
func attention(outOff, qOff, keysOff, valuesOff, attOff, pos, heads, kvHeads, headSize int32) int32 {
	if pos < 0 || heads <= 0 || kvHeads <= 0 || heads%kvHeads != 0 || headSize <= 0 {
		return badArg
	}
	rows, kvDim := pos+1, kvHeads*headSize
	scalar.AttentionHeads(sdk.F32(outOff, heads*headSize), sdk.F32(qOff, heads*headSize),
		sdk.F32(keysOff, rows*kvDim), sdk.F32(valuesOff, rows*kvDim), sdk.F32(attOff, rows),
		int(heads), int(kvHeads), int(headSize))
	return ok
}

// swiglu computes gate[i] = silu(gate[i])·up[i] in place, with silu(v) =
// v·(1/(1+e^-v)) and e^x glibc's expf bit for bit (scalar.SwiGLUInPlace).
//
//go:wasmexport rl_swiglu
func swiglu(gateOff, upOff, n int32) int32 {
	if n < 0 {
		return badArg
	}
	scalar.SwiGLUInPlace(sdk.F32(gateOff, n), sdk.F32(upOff, n))
	return ok
}

// softmax computes x[i] = e^(x[i]-max x)/Σ e^(x[j]-max x) in place, as
// llama2.c's softmax does: subtract the maximum, exponentiate, sum in
// order, divide (scalar.SoftmaxInPlace).
//
//go:wasmexport rl_softmax
func softmax(xOff, n int32) int32 {
	if n < 0 {
		return badArg
	}
	scalar.SoftmaxInPlace(sdk.F32(xOff, n))
	return ok
}
