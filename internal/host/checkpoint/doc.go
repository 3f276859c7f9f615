// Package checkpoint loads karpathy/llama2.c fp32 checkpoints: the legacy
// (version 0) layout that run.c reads and the version 1 layout written by
// export.py. Files are memory-mapped where the platform allows it so that
// the weights are never copied into the Go heap; every header field is
// validated, and the file size must match the header exactly, before any
// size from the file is trusted.
//
// The package also writes checkpoints in every layout, encodes Q8_0 as
// export.py does (Quantize), and describes the layout (Layout, Assemble)
// for package synthetic, which builds random-weight models of the named
// shapes.
//
// Every weight is one kernels.Tensor, F32 or Q8_0 (see Weights). Weights
// returned by Open may point into read-only mapped memory: callers
// must treat every weight slice as read-only and must not use them after
// Checkpoint.Close.
package checkpoint
