#!/bin/sh
# build.sh [OUTPUT] builds kernels.c into OUTPUT (default: simd128.wasm
# beside this script), the SIMD128 kernel module of plugins/wasm/ABI.md.
#
# The committed simd128.wasm must be exactly what this script builds, so
# the toolchain is pinned: Debian's clang 14.0.6 with its wasm-ld (apt
# packages clang-14 and lld-14). CI rebuilds into a temporary file and
# compares the bytes:
#
#   plugins/wasm/simd128/build.sh /tmp/simd128.wasm && cmp /tmp/simd128.wasm plugins/wasm/simd128/simd128.wasm
set -eu

want=14.0.6
dir=$(cd "$(dirname "$0")" && pwd)
out=${1:-$dir/simd128.wasm}
case $out in
/*) ;;
*) out=$(pwd)/$out ;;
esac
CC=${CC:-clang}

version=$("$CC" --version 2>/dev/null | head -n 1) || version=
case $version in
*"clang version $want"*) ;;
*)
	echo "build.sh: need clang $want (for a byte-identical simd128.wasm), found: ${version:-no $CC}" >&2
	exit 1
	;;
esac

# Compile from inside the directory with a relative source name, so that
# no absolute path can reach the output; --strip-all drops the name and
# producers sections.
cd "$dir"
"$CC" --target=wasm32 -nostdlib -O3 -msimd128 -mbulk-memory -ffp-contract=off \
	-fno-ident -Wall -Wextra -Werror \
	-Wl,--no-entry -Wl,--strip-all -Wl,-z,stack-size=65536 \
	-o "$out" kernels.c
