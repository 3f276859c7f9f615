#!/bin/sh
# build.sh builds goexample.wasm, the plain-Go example WASM kernel module.
# Run it from the repository root:
#
#	plugins/wasm/goexample/build.sh [output.wasm]
#
# The output defaults to plugins/wasm/goexample/goexample.wasm; OUT.gz is
# written beside it. The .wasm is
# committed and CI rebuilds it and compares bytes, so the Go version is
# pinned: a different toolchain produces a different (equally valid) module.
set -eu

want=go1.26.8
out=${1:-plugins/wasm/goexample/goexample.wasm}

if [ ! -f go.mod ] || [ ! -d plugins/wasm/goexample ]; then
	echo "build.sh: run me from the repository root (plugins/wasm/goexample/build.sh)" >&2
	exit 1
fi

have=$(go version | awk '{print $3}')
if [ "$have" != "$want" ]; then
	echo "build.sh: goexample.wasm is built with $want so that its bytes are reproducible; 'go version' says $have." >&2
	echo "build.sh: install $want (e.g. 'go install golang.org/dl/$want@latest && $want download') and put it first in PATH." >&2
	exit 1
fi

CGO_ENABLED=0 GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -buildvcs=false \
	-ldflags='-s -w -buildid=' -o "$out" ./plugins/wasm/goexample

# The binary embeds the module gzipped (2.2 MB → 0.65 MB: the Pentium II
# build must fit, with a model, in 128 MB). -n keeps names and times out,
# so the bytes depend only on the input; CI checks that the .gz
# decompresses to the .wasm.
gzip -9 -n -c "$out" > "$out.gz"
