// Package kernels is the contract between the retrollama engine and the
// providers that do its arithmetic. A kernel author reads this file first:
// it lists every op, its exact semantics and shapes, and the Provider
// interface to implement. kernels/scalar is the reference implementation
// every other provider is checked against; read it as the executable form of
// the semantics written here.
//
// # Lifecycle
//
// The engine drives a provider through four phases, always in this order:
//
//  1. load: the engine constructs the provider (its package's New).
//  2. Init(shape): once, with the model's shape; the provider sizes any
//     scratch memory it needs (attention scores, staging buffers).
//  3. Prepare(tensor): once per weight tensor the provider will be handed in
//     calls. Weights are resident: the provider may keep the given slice
//     (it stays valid and unmodified until Close; it may be a read-only
//     memory map, never write to it), copy it, re-layout it, or upload it
//     to a WASM module or another process, releasing the original's
//     memory with Tensor.Release where the engine offers it. It returns
//     an opaque Weight handle that the engine passes back in per-token
//     calls.
//  4. per-token calls (MatMul, RMSNorm, RoPE, Attention, SwiGLU, Softmax),
//     then Close once.
//
// Activations are passed as plain float32 slices owned by the engine; a
// provider must not keep them past the call. Outputs never alias inputs
// unless an op says so (RMSNorm may be called with out and x the same slice;
// RoPE, SwiGLU and Softmax work in place).
//
// Before preparing anything the engine asks Supports for every op and
// every weight shape; a provider may decline an op, a dtype, a shape or the
// CPU it runs on, and the engine then uses the next provider of the
// profile's list, the scalar reference last of all.
//
// Calls are made from one goroutine at a time per provider instance.
// An op returns an error only for a failure of the provider itself (a
// trapped WASM module, a dead plugin). Depending on the profile's on_error
// the engine then either stops or redoes the call, and every later call of
// that op, on the scalar reference; so an op that fails must leave its
// in-place operands (RoPE's q and k, SwiGLU's gate, Softmax's x)
// unmodified.
package kernels

import (
	"errors"
	"fmt"
	"time"
)

// Op names one operation of the contract; the names are the ones used in
// kernels.hcl.
type Op string

// The ops of the contract. Semantics are those of llama2.c's run.c.
const (
	// MatMul: out[i] = Σ_j W[i][j]·x[j] for W of d rows × n columns stored
	// row-major; len(x) = n, len(out) = d.
	//
	// With Q8_0 weights (llama2.c's runq.c) x is first quantized per group
	// of GroupSize values: scale = max|x_g| / 127, q = round(x/scale)
	// (half away from zero; 0 when the group is all zeros), and then
	// out[i] = Σ_g float32(Σ_k xq·wq) · ws_g · xs_g, summed over groups in
	// order, every product and sum rounded to float32 as in runq.c. The
	// integer sums are exact, so any order within a group gives the same
	// bits.
	MatMul Op = "matmul"
	// RMSNorm: out[j] = w[j] · (x[j] / sqrt(mean(x²) + 1e-5)); len(out) =
	// len(x) = len(w). out may be x.
	RMSNorm Op = "rmsnorm"
	// RoPE rotates consecutive pairs (v[i], v[i+1]) of q (length Dim) and of
	// k (length KVDim) by the angle pos·10000^(-(i mod HeadSize)/HeadSize),
	// in place.
	RoPE Op = "rope"
	// Attention computes, for every query head h at position pos, the
	// scores q_h·k_t/sqrt(HeadSize) for t = 0..pos against the key of KV
	// head h/(Heads/KVHeads), their softmax, and the weighted sum of the
	// values into out[h·HeadSize : (h+1)·HeadSize]. keys and values are the
	// layer's caches, SeqLen rows of KVDim floats; rows 0..pos are valid.
	Attention Op = "attention"
	// SwiGLU: gate[i] = silu(gate[i]) · up[i], silu(v) = v/(1+e^-v); in place
	// on gate.
	SwiGLU Op = "swiglu"
	// Softmax: x[i] = e^(x[i]-max x) / Σ e^(x[j]-max x), in place.
	Softmax Op = "softmax"
)

// AllOps lists every op of the contract in a stable order.
func AllOps() []Op { return []Op{MatMul, RMSNorm, RoPE, Attention, SwiGLU, Softmax} }

// DType is the element type of a weight tensor.
type DType uint8

// The weight element types.
const (
	F32  DType = iota + 1 // float32
	Q8_0                  // int8 values with one float32 scale per group (runq.c)
)

// String returns the dtype's name as used in configuration and reports.
func (d DType) String() string {
	switch d {
	case F32:
		return "f32"
	case Q8_0:
		return "q8_0"
	}
	return "unknown"
}

// Shape is the model shape a provider is initialised with; every per-token
// call's sizes derive from it.
type Shape struct {
	Dim       int // residual stream width
	HiddenDim int // feed-forward width
	Heads     int // query heads
	KVHeads   int // key/value heads (Heads is a multiple of KVHeads)
	SeqLen    int // KV cache rows
	VocabSize int // classifier rows
	// Layers is the number of transformer blocks, so a provider that
	// holds the KV caches (CacheAllocator) can size them at Init; 0 when
	// unknown (a conformance case).
	Layers int
}

// HeadSize is the width of one attention head.
func (s Shape) HeadSize() int { return s.Dim / s.Heads }

// KVDim is the width of one key or value row (KVHeads·HeadSize),
// computed in that order so that it cannot overflow a 32-bit int for any
// shape whose Dim and KVHeads fit one.
func (s Shape) KVDim() int { return s.HeadSize() * s.KVHeads }

// Tensor is a weight tensor as the engine hands it to Prepare.
type Tensor struct {
	Name  string    // e.g. "layers.3.wq", for messages and reports
	DType DType     // F32 or Q8_0
	Rows  int       // output dimension (1 for vectors such as rmsnorm weights)
	Cols  int       // input dimension
	F32   []float32 // F32: Rows·Cols values, row-major; read-only
	// Q8_0: Rows·Cols int8 values row-major, and one scale per GroupSize
	// consecutive values (Rows·Cols/GroupSize); GroupSize divides Cols.
	// Read-only.
	Q8        []int8
	Scales    []float32
	GroupSize int
	// Release, when not nil, lets a provider that has copied a weight
	// (re-laid out, uploaded) give the memory of the original back:
	// after Release(lo, hi) the engine may drop from the process's
	// memory the pages that hold only elements [lo, hi) of F32 (for
	// Q8_0: of Q8, and their scales [lo/GroupSize, hi/GroupSize)). The
	// values stay valid and unchanged — the pages of a
	// memory-mapped file are read back on the next access — so the rest
	// of the contract holds and only memory changes. A provider that
	// keeps a copy calls it as it copies, so that the process holds one
	// copy of the model, not two. It is nil where nothing can be given
	// back (weights on the Go heap): a provider that would need a second
	// copy then works on the original, as the engine laid it out.
	Release func(lo, hi int)
}

// Query describes one use of an op, for Supports.
type Query struct {
	Op    Op
	DType DType // the weight's dtype for MatMul and RMSNorm; F32 otherwise
	Model Shape // the model being run
	Rows  int   // MatMul: the matrix's rows (output size); 0 for other ops
	Cols  int   // MatMul: the matrix's columns (input size); 0 for other ops
	// GroupSize is a Q8_0 MatMul's group size (it divides Cols); 0 for
	// every other use. A provider whose fast path needs, say, a multiple
	// of 32 declines the others here, and the profile's next provider
	// runs them.
	GroupSize int
}

// Support is a provider's answer to Supports.
type Support struct {
	OK bool
	// Reason says why not when !OK ("needs AVX2", "dtype q8_0 not
	// supported"); shown by "retrollama kernels explain".
	Reason string
}

// Weight is a provider's opaque handle to a prepared tensor. The engine
// only passes it back to the provider that returned it.
type Weight any

// Provider is what a kernel author implements. See the package comment for
// the lifecycle and the op constants for the semantics of each method.
type Provider interface {
	// Name identifies the provider in logs, errors and reports.
	Name() string
	// Supports reports whether the provider can run a use of an op here,
	// on this CPU; it may be called before Init.
	Supports(q Query) Support
	// Init sizes the provider for a model; called once before Prepare.
	Init(s Shape) error
	// Prepare makes a weight tensor resident and returns its handle.
	Prepare(t Tensor) (Weight, error)

	MatMul(out []float32, w Weight, x []float32) error // see MatMul
	RMSNorm(out, x []float32, w Weight) error          // see RMSNorm
	RoPE(q, k []float32, pos int) error                // see RoPE
	Attention(out, q, keys, values []float32, pos int) error
	SwiGLU(gate, up []float32) error // see SwiGLU
	Softmax(x []float32) error       // see Softmax

	// Close releases everything the provider holds; no call follows it.
	Close() error
}

// BoundaryTimer is optionally implemented by providers whose calls cross
// a boundary: copies into WASM linear memory, round trips to a plugin
// process. BoundaryTime returns the cumulative time spent crossing it for
// op since Init, so benchmarks can show it apart from kernel compute.
type BoundaryTimer interface {
	BoundaryTime(op Op) time.Duration
}

// Describer is optionally implemented by providers with settings a
// report should show, such as the engine a WASM module runs on and why;
// "retrollama kernels explain" prints Describe under its table.
type Describer interface {
	Describe() string
}

// CacheAllocator is optionally implemented by providers whose Attention
// reads the KV caches across a boundary, such as a plugin process sharing
// memory with the host. The engine then allocates the caches from the
// provider chosen for Attention, so a call hands them over without
// copying. AllocCache returns n zeroed floats that stay valid until
// Close, or nil when the provider has no room (the engine then allocates
// them itself, and the provider copies as it would for any caller).
type CacheAllocator interface {
	AllocCache(n int) []float32
}

// ErrDeclined is wrapped by the error of a call to an op a provider
// declines in Supports. The engine never makes such a call; the error
// exists so that a provider never has to pretend to run an op.
var ErrDeclined = errors.New("not supported (declined in Supports)")

// Declined supplies the methods of the ops a provider declines in
// Supports, each returning an error that wraps ErrDeclined, so a provider
// that runs only some ops embeds it and writes only those:
//
//	type Provider struct {
//		kernels.Declined // RoPE, SwiGLU, Softmax: declined
//		...
//	}
//
//	func New() *Provider { return &Provider{Declined: kernels.Declined{Provider: "mine"}} }
//
// Methods the provider defines itself take precedence over the embedded
// ones.
type Declined struct {
	Provider string // the provider's name, for the error
}

func (d Declined) declined(op Op) error {
	return fmt.Errorf("%s: %s: %w", d.Provider, op, ErrDeclined)
}

// MatMul implements the MatMul method for a provider that declines it.
func (d Declined) MatMul(out []float32, w Weight, x []float32) error { return d.declined(MatMul) }

// RMSNorm implements the RMSNorm method for a provider that declines it.
func (d Declined) RMSNorm(out, x []float32, w Weight) error { return d.declined(RMSNorm) }

// RoPE implements the RoPE method for a provider that declines it.
func (d Declined) RoPE(q, k []float32, pos int) error { return d.declined(RoPE) }

// Attention implements the Attention method for a provider that declines
// it.
func (d Declined) Attention(out, q, keys, values []float32, pos int) error {
	return d.declined(Attention)
}

// SwiGLU implements the SwiGLU method for a provider that declines it.
func (d Declined) SwiGLU(gate, up []float32) error { return d.declined(SwiGLU) }

// Softmax implements the Softmax method for a provider that declines it.
func (d Declined) Softmax(x []float32) error { return d.declined(Softmax) }

// ErrForeignWeight is returned by a provider handed a Weight it did not
// create; it signals an engine bug, never bad input.
var ErrForeignWeight = errors.New("weight handle was not prepared by this provider")
