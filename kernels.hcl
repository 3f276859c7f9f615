# kernels.hcl — which kernel providers exist and which op goes to which.
#
#   provider "<kind>" "<name>" { ... }   kinds: builtin, wasm, plugin
#   provider "wasm" "<name>" {             a WASM module (plugins/wasm/ABI.md) run by wazero
#     path       = "my.wasm"               # relative to this file; or "embedded:NAME.wasm", shipped in the binary
#     sha256     = "<64 hex digits>"       # optional pin: a module with other bytes is refused
#     engine     = "auto"                  # auto | compiler | interpreter
#     memory_mib = 1024                    # cap on the module's memory
#     timeout    = "10s"                   # per call; a call running longer is stopped and is an error
#   }                                      # ("off": no timeout, a looping module hangs the process)
#   provider "plugin" "<name>" {           a kernel provider in its own process (plugins/kernelplugin)
#     path             = "bin/my-plugin"   # relative to this file
#     args             = ["-v"]            # its arguments
#     sha256           = "<64 hex digits>" # optional pin: a binary with other bytes is not started
#     protocol_version = 1                 # the kernel plugin protocol it must speak
#     start_timeout    = "10s"             # start, and each control call (load weights, ...)
#     call_timeout     = "10s"             # each op; a plugin taking longer is killed ("off": none)
#     transport        = "auto"            # auto | shm | grpc: ops through shared memory or gRPC calls
#     threads          = 0                 # per op; 0 = the command's --threads
#   }
#   profile "<name>" {
#     extends  = <profile>                 # inherit everything not set here
#     default  = [kind.name, ...]          # providers to try for every op, in order
#     op "<op>" { use = [kind.name, ...] } # override for one op: matmul rmsnorm rope attention swiglu softmax
#     on_error = "fail" | "fallback"       # a provider that cannot run here, load, start, or fails a call:
#                                          # stop with an error (the default), or pass it over for the
#                                          # next provider (the reference last) and say so in every
#                                          # report and on run's stderr (also: --fallback)
#   }
#   default_profiles = [...]               # the first whose providers all run on this CPU is the default
#
# The scalar reference is always the last fallback, whatever a list says.
# Every shipped provider is exact by construction (each sum in llama2.c's
# order, no fused multiply-adds; RATIONALE.md), so every profile and thread
# count prints the same bytes: profiles differ in speed only.
# Select with: retrollama <command> --kernels FILE --profile NAME
# This file is compiled into the binary; --kernels reads another one.

provider "builtin" "scalar" {}  # the reference: bit-identical to llama2.c's run.c (and runq.c)
provider "builtin" "unroll4" {} # pure Go, 4 rows per pass, row-parallel over --threads
provider "builtin" "unroll8" {} # pure Go, 8 rows per pass, row-parallel over --threads
provider "builtin" "swar" {}    # q8_0 matmul only, 3 multiply-adds per 64-bit multiply; declines the rest
provider "builtin" "x87" {}     # every fp32 op in x87 assembly (GOARCH=386 only): the Pentium II
provider "builtin" "mmx" {}     # q8_0 matmul in MMX assembly (GOARCH=386 only): the Pentium II
provider "builtin" "avx2" {}    # matmul (fp32, q8_0), rmsnorm, attention in AVX2 assembly, bit-identical to the reference (amd64 with AVX2; no FMA)
provider "builtin" "avx512" {}  # matmul (fp32, q8_0) in AVX-512 assembly, bit-identical to the reference (amd64 with AVX-512 F/BW/VL; q8_0 also VNNI)

# WASM modules shipped in the binary; sources in plugins/wasm, rebuilt by "make wasm".
provider "wasm" "simd128" {      # every op in C with SIMD128 (plugins/wasm/simd128/kernels.c)
  path = "embedded:simd128.wasm"
}
provider "wasm" "goexample" {    # the Go author's example: plain Go loops, GOOS=wasip1 (plugins/wasm/goexample)
  path    = "embedded:goexample.wasm"
  timeout = "60s"                # interpreted (on 386) a Go module is slow
}

# Kernel plugins shipped as source in plugins/; build them with "make plugins".
# Relative paths are relative to this file (the built-in copy: to the
# working directory), so run from the repository's root.
provider "plugin" "goplugin" {  # the unrolled kernels out of process (plugins/goplugin)
  path = "dist/plugins/goplugin"
}
provider "plugin" "cplugin" {   # C kernels through cgo, -O3 -march=native (plugins/cplugin)
  path = "dist/plugins/cplugin"
}

profile "reference" {
  default  = [builtin.scalar]
  on_error = "fail"
}

profile "fast" {
  default  = [builtin.swar, builtin.unroll8] # swar takes the q8_0 matmuls, unroll8 the rest
  on_error = "fail"
}

# The Pentium II (and any 386 build): no SSE, so no hardware float32 in Go
# code; every op runs in x87/MMX assembly, bit-identical to the reference.
profile "p2" {
  default  = [builtin.mmx, builtin.x87] # mmx takes the q8_0 matmuls, x87 the rest
  on_error = "fail"
}

# Every op in the SIMD128 module; anything it fails at runs on the reference.
profile "wasm" {
  default  = [wasm.simd128]
  on_error = "fail"
}

# Modern x86-64: AVX2 takes the matmuls (fp32 and q8_0), rmsnorm and
# attention; unroll8 the elementwise ops. swar stands in for a q8_0 matmul
# avx2 would decline.
profile "avx2" {
  default  = [builtin.avx2, builtin.swar, builtin.unroll8]
  on_error = "fail"
}

# x86-64 with AVX-512: avx512 takes the matmuls (fp32, and q8_0 in groups
# of 32 or a multiple of 64), bit-identical to the reference like avx2;
# avx2 takes rmsnorm, attention and the q8_0 group sizes avx512 declines;
# swar and unroll8 what is left, as in the avx2 profile.
profile "avx512" {
  default  = [builtin.avx512, builtin.avx2, builtin.swar, builtin.unroll8]
  on_error = "fail"
}

# Every op in the Go example plugin: the unrolled kernels, out of process.
profile "plugin" {
  default  = [plugin.goplugin]
  on_error = "fail"
}

# Every op the C plugin has, in C; A/B it against "fast" with retrollama bench.
profile "cplugin" {
  default  = [plugin.cplugin]
  on_error = "fail"
}

default_profiles = [avx512, avx2, p2, fast, reference]

# Saved comparisons: retrollama bench --name fast-vs-reference
bench "fast-vs-reference" {
  profiles      = [reference, fast]
  synthetic     = "stories15M"
  n             = 128
  prompt_tokens = 32
  runs          = 10
  warmup        = 2
}
