//go:build wasip1

// Command goexample is a complete retrollama WASM kernel module in plain
// Go: every op of plugins/wasm/ABI.md (version 1), written as the
// reference's loops so that its results are bit-identical to
// kernels/scalar. Copy this directory to start your own module, then make
// the loops fast; "retrollama kernels check" tells you whether they still
// give the reference's bits.
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
	"math"

	"github.com/retrollama/retrollama/kernels/mathf"
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
// rows of n float32, row-major. Each product is rounded to float32 before
// it is added (the explicit conversion forbids a fused multiply-add, which
// Go may otherwise use on other targets), and the sum runs in order, as
// llama2.c's matmul does.
//
//go:wasmexport rl_matmul_f32
func matmulF32(outOff, xOff, wOff, n, d int32) int32 {
	if n < 0 || d < 0 {
		return badArg
	}
	out, x, w := sdk.F32(outOff, d), sdk.F32(xOff, n), sdk.F32(wOff, n*d)
	for i := range out {
		row := w[i*int(n) : (i+1)*int(n)]
		x := x[:len(row)] // lets the compiler drop the bounds check on x[j]
		var sum float32
		for j, v := range row {
			sum += float32(v * x[j])
		}
		out[i] = sum
	}
	return ok
}

// matmulQ8 is llama2.c's runq.c matmul with Q8_0 weights: wq holds d·n
// int8 weights, row-major, and ws one float32 scale per gs consecutive
// weights. x (n float32) is first quantized the same way into the host's
// scratch buffers xq (n int8) and xs (n/gs float32); then each row sums,
// group after group, the group's exact int32 dot product scaled by the
// weight's and x's scales, rounding to float32 after every step as runq.c
// does.
//
//go:wasmexport rl_matmul_q8_0
func matmulQ8(outOff, xOff, wqOff, wsOff, n, d, gs, xqOff, xsOff int32) int32 {
	if n < 0 || d < 0 || gs <= 0 || n%gs != 0 {
		return badArg
	}
	out, x := sdk.F32(outOff, d), sdk.F32(xOff, n)
	wq, ws := sdk.I8(wqOff, n*d), sdk.F32(wsOff, n/gs*d)
	xq, xs := sdk.I8(xqOff, n), sdk.F32(xsOff, n/gs)
	quantize(xq, xs, x, int(gs))
	groupSize := int(gs)
	for i := range out {
		row := i * int(n)
		var val float32
		for j := 0; j < int(n); j += groupSize {
			xg := xq[j : j+groupSize]
			wg := wq[row+j : row+j+len(xg)] // same length: no bounds checks below
			var ival int32
			for k, v := range xg {
				ival += int32(v) * int32(wg[k])
			}
			val += float32(float32(float32(ival)*ws[(row+j)/groupSize]) * xs[j/groupSize])
		}
		out[i] = val
	}
	return ok
}

// quantize is runq.c's quantize: each group of groupSize values gets the
// scale max|v|/127, and each value becomes round(v/scale), half away from
// zero. An all-zero group has scale 0 and values 0/0 = NaN, which C's
// (int8_t) round() turns into 0 on x86-64; round8 does the same.
func quantize(q []int8, scales, x []float32, groupSize int) {
	for g := range len(x) / groupSize {
		group := x[g*groupSize : (g+1)*groupSize]
		var wmax float32
		for _, v := range group {
			if a := float32(math.Abs(float64(v))); a > wmax {
				wmax = a
			}
		}
		scale := wmax / 127
		scales[g] = scale
		for i, v := range group {
			q[g*groupSize+i] = round8(v / scale)
		}
	}
}

// round8 is C's (int8_t) round(v) as x86-64 compilers produce it: 0 for
// NaN and values out of int32's range, otherwise the low byte.
func round8(v float32) int8 {
	r := math.Round(float64(v))
	if !(math.Abs(r) < 1<<31) {
		return 0
	}
	return int8(int32(r))
}

// rmsnorm computes out[j] = w[j]·(ss·x[j]) with ss = 1/sqrt(Σx²/n + 1e-5),
// accumulating Σx² in float32 in order. out may be x: each x[j] is read
// before out[j] is written.
//
//go:wasmexport rl_rmsnorm
func rmsnorm(outOff, xOff, wOff, n int32) int32 {
	if n < 0 {
		return badArg
	}
	out, x, w := sdk.F32(outOff, n), sdk.F32(xOff, n), sdk.F32(wOff, n)
	var ss float32
	for _, v := range x {
		ss += float32(v * v)
	}
	ss /= float32(n)
	ss += 1e-5
	ss = 1 / mathf.Sqrt(ss)
	for j, v := range x {
		out[j] = w[j] * (ss * v)
	}
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
		cos, sin := cs[j], cs[j+1]
		rotate(q, i, cos, sin)
		if i < len(k) {
			rotate(k, i, cos, sin)
		}
	}
	return ok
}

// rotate turns the pair (v[i], v[i+1]) by the angle whose cosine and sine
// are given, rounding every product to float32.
func rotate(v []float32, i int, cos, sin float32) {
	v0, v1 := v[i], v[i+1]
	v[i] = float32(v0*cos) - float32(v1*sin)
	v[i+1] = float32(v0*sin) + float32(v1*cos)
}

// attention is multi-head attention at position pos. q holds heads·
// headSize floats; keys and values hold pos+1 cache rows of kvDim =
// kvHeads·headSize floats; query head h reads KV head h/(heads/kvHeads)
// (grouped-query attention when kvHeads < heads). For each head: the
// scores q_h·k_t/sqrt(headSize) for t = 0..pos go into the scratch att
// (pos+1 floats, reused by every head), are softmaxed, and weight the sum
// of the values written to out[h·headSize : (h+1)·headSize].
//
//go:wasmexport rl_attention
func attention(outOff, qOff, keysOff, valuesOff, attOff, pos, heads, kvHeads, headSize int32) int32 {
	if pos < 0 || heads <= 0 || kvHeads <= 0 || heads%kvHeads != 0 || headSize <= 0 {
		return badArg
	}
	hs, kvDim, rows := int(headSize), int(kvHeads*headSize), int(pos)+1
	out, q := sdk.F32(outOff, heads*headSize), sdk.F32(qOff, heads*headSize)
	keys, values := sdk.F32(keysOff, int32(rows*kvDim)), sdk.F32(valuesOff, int32(rows*kvDim))
	att := sdk.F32(attOff, int32(rows))
	kvMul := int(heads / kvHeads)
	scale := mathf.Sqrt(float32(headSize))
	for h := range int(heads) {
		qh := q[h*hs : (h+1)*hs]
		kvOff := (h / kvMul) * hs
		for t := range att {
			k := keys[t*kvDim+kvOff : t*kvDim+kvOff+hs]
			var score float32
			for i := range qh {
				score += float32(qh[i] * k[i])
			}
			att[t] = score / scale
		}
		softmaxInPlace(att)
		xb := out[h*hs : (h+1)*hs]
		clear(xb)
		for t, a := range att {
			v := values[t*kvDim+kvOff : t*kvDim+kvOff+hs]
			for i := range xb {
				xb[i] += float32(a * v[i])
			}
		}
	}
	return ok
}

// swiglu computes gate[i] = silu(gate[i])·up[i] in place, with silu(v) =
// v·(1/(1+e^-v)) and e^x from mathf.Exp, which is glibc's expf bit for
// bit.
//
//go:wasmexport rl_swiglu
func swiglu(gateOff, upOff, n int32) int32 {
	if n < 0 {
		return badArg
	}
	gate, up := sdk.F32(gateOff, n), sdk.F32(upOff, n)
	for i, v := range gate {
		v *= 1 / (1 + mathf.Exp(-v))
		gate[i] = v * up[i]
	}
	return ok
}

// softmax computes x[i] = e^(x[i]-max x)/Σ e^(x[j]-max x) in place.
//
//go:wasmexport rl_softmax
func softmax(xOff, n int32) int32 {
	if n < 0 {
		return badArg
	}
	softmaxInPlace(sdk.F32(xOff, n))
	return ok
}

// softmaxInPlace is llama2.c's softmax: subtract the maximum, exponentiate,
// sum in order, divide.
func softmaxInPlace(x []float32) {
	if len(x) == 0 {
		return
	}
	maxVal := x[0]
	for _, v := range x[1:] {
		if v > maxVal {
			maxVal = v
		}
	}
	var sum float32
	for i, v := range x {
		x[i] = mathf.Exp(v - maxVal)
		sum += x[i]
	}
	for i := range x {
		x[i] /= sum
	}
}
