#!/bin/sh
# Generate the Go code of plugins/proto/kernelplugin.proto into $1 with
# pinned generators: protoc 3.21.12 (Debian's protobuf-compiler),
# protoc-gen-go v1.36.12 and protoc-gen-go-grpc 1.6.2 (installed here into
# a private GOBIN from the Go module proxy). Refuses any other protoc.
set -eu
out=${1:?usage: scripts/proto.sh OUTDIR}
root=$(cd "$(dirname "$0")/.." && pwd)
want="libprotoc 3.21.12"
got=$(protoc --version 2>/dev/null || echo "no protoc")
if [ "$got" != "$want" ]; then
  echo "proto.sh: need $want (apt-get install protobuf-compiler on Debian 12), found: $got" >&2
  exit 1
fi
bin=${RETROLLAMA_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/retrollama/tools}
mkdir -p "$bin" "$out"
out=$(cd "$out" && pwd)
GOBIN=$bin go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
GOBIN=$bin go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
cd "$root/plugins/proto"
PATH=$bin:$PATH protoc --go_out="$out" --go_opt=paths=source_relative \
  --go-grpc_out="$out" --go-grpc_opt=paths=source_relative kernelplugin.proto
