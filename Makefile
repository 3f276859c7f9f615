# Reproducible builds of retrollama. Go itself is the only requirement.
#
#   make p2      the Pentium II build: static linux/386, x87 + MMX kernels, no SSE
#   make native  this machine's build
#   make test    the README's test command
#   make p2-speed  estimated Pentium II speed: p2cost --qemu cycle estimates per
#                generated token plus the weights' memory traffic, with llama2.c's
#                run.c as the calibration line (scripts/p2speed.sh; ~25 min)
#   make p2-sym  the p2 build with its symbol table kept, for p2cost's function table
#   make wasm    rebuild the shipped WASM modules and the hostile test modules
#                (pinned toolchains: clang 14.0.6 + lld, wabt 1.0.32, go1.26.8)
#   make wasm-check  rebuild them into a temporary directory and fail if any
#                byte differs from the committed ones (CI runs this)
#   make plugins the example kernel plugins: dist/plugins/goplugin (Go) and
#                dist/plugins/cplugin (C through cgo, the host's C compiler at
#                -O3 -march=native); kernels.hcl's profiles plugin and cplugin
#   make proto   regenerate plugins/proto/kernelpb from kernelplugin.proto
#                (pinned protoc 3.21.12, protoc-gen-go v1.36.12,
#                protoc-gen-go-grpc 1.6.2); make proto-check compares

GO       ?= go
DIST     ?= dist
LDFLAGS  := -s -w
# -trimpath and a fixed build ID keep the bytes independent of the checkout path.
GOFLAGS_BUILD := -trimpath -buildvcs=false -ldflags='$(LDFLAGS) -buildid='

.PHONY: all p2 p2-sym p2-speed native test clean wasm wasm-check plugins proto proto-check

all: native p2

# GO386=softfloat: the Go compiler must not emit SSE2 for float math (the
# Pentium II has none); the hot loops run in the x87/MMX assembly kernels.
# retrollama_noplugins leaves go-plugin and gRPC out, retrollama_nocharts
# gonum/plot and its fonts (HTML reports are then an error): 6 and 7.5 MB
# the emulated machine's 128 MB (binary and model in its initramfs) cannot
# spare; without the second, stories15M Q8_0 no longer booted there.
P2_ENV  := CGO_ENABLED=0 GOOS=linux GOARCH=386 GO386=softfloat
P2_TAGS := retrollama_noplugins,retrollama_nocharts

p2:
	$(P2_ENV) $(GO) build $(GOFLAGS_BUILD) -tags $(P2_TAGS) -o $(DIST)/retrollama-p2 ./cmd/retrollama
	@ls -l $(DIST)/retrollama-p2 | awk '{print $$5 " bytes  " $$9}'

# p2 with the symbol table (-w only: 13.6 MB; DWARF too would be 17.6 MB, which
# the 128 MB guest cannot spare): p2cost names functions from it. The code is the same bytes as
# p2's; scripts/p2speed.sh checks that the .text sections are identical.
p2-sym:
	$(P2_ENV) $(GO) build -trimpath -buildvcs=false -ldflags='-w -buildid=' -tags $(P2_TAGS) -o $(DIST)/retrollama-p2-sym ./cmd/retrollama

# Runs p2cost --qemu twice per model (-n 1 and -n N) plus the llama2.c run.c
# calibration line: ~25 minutes on 2 cores (24 min measured). See scripts/p2speed.sh.
p2-speed: p2 p2-sym native
	scripts/p2speed.sh

native:
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o $(DIST)/retrollama ./cmd/retrollama

test:
	$(GO) test -race ./...

WASM_MODULES := plugins/wasm/simd128/simd128.wasm plugins/wasm/goexample/goexample.wasm
HOSTILE      := loop spin oob grow status abi2 noalloc badsig overlap imports initloop

wasm:
	plugins/wasm/simd128/build.sh
	plugins/wasm/goexample/build.sh
	internal/host/wasmhost/testdata/gen.sh

wasm-check:
	@tmp=$$(mktemp -d) && trap 'rm -rf '$$tmp EXIT && \
	plugins/wasm/simd128/build.sh $$tmp/simd128.wasm && \
	plugins/wasm/goexample/build.sh $$tmp/goexample.wasm && \
	internal/host/wasmhost/testdata/gen.sh $$tmp >/dev/null && \
	cmp $$tmp/simd128.wasm plugins/wasm/simd128/simd128.wasm && \
	cmp $$tmp/goexample.wasm plugins/wasm/goexample/goexample.wasm && \
	gzip -dc plugins/wasm/goexample/goexample.wasm.gz | cmp - plugins/wasm/goexample/goexample.wasm && \
	for m in $(HOSTILE); do cmp $$tmp/$$m.wasm internal/host/wasmhost/testdata/$$m.wasm || exit 1; done && \
	echo "wasm-check: the committed modules are what their sources build"

# -march=native: the C plugin is built for the machine that runs it, which
# is the point of A/B-testing it here; never ship that binary elsewhere.
CEXAMPLE_CFLAGS := -O3 -march=native -ffp-contract=off

plugins:
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o $(DIST)/plugins/goplugin ./plugins/goplugin
	CGO_ENABLED=1 CGO_CFLAGS='$(CEXAMPLE_CFLAGS)' $(GO) build $(GOFLAGS_BUILD) -o $(DIST)/plugins/cplugin ./plugins/cplugin
	@ls -l $(DIST)/plugins | awk 'NR > 1 {print $$5 " bytes  " $$9}'

proto:
	scripts/proto.sh plugins/proto/kernelpb

proto-check:
	@tmp=$$(mktemp -d) && trap 'rm -rf '$$tmp EXIT && \
	scripts/proto.sh $$tmp && \
	diff -r -x doc.go -x example_test.go $$tmp plugins/proto/kernelpb && \
	echo "proto-check: the committed kernelpb is what kernelplugin.proto generates"

clean:
	rm -rf $(DIST)
