#!/usr/bin/env bash
# Estimates the Pentium II 350 MHz speed of dist/retrollama-p2 ("make p2")
# from exact instruction counts on the emulated Pentium II: p2run --icount
# runs each model twice, with -n 1 and -n 33, and the difference is the
# instructions of 32 generated tokens, load excluded. Instructions are
# turned into time at CPI 1.5 (range 1-2), an assumption: ../shared/tools/
# p2cost, which models the P6's cycles, cannot run on machines whose kernel
# refuses 32-bit programs (see RATIONALE.md). Takes ~10 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SHARED:-../shared}
p2run=$shared/tools/p2run
bin=dist/retrollama-p2
[ -x "$bin" ] || make p2 >/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
files=(--file "$shared/models/stories260K.bin" --file "$shared/models/stories260K_q80_gs4.bin" --file "$shared/models/tokenizer.bin")
count() { # label n args... → instructions executed while the program ran
  local label=$1 n=$2; shift 2
  "$p2run" --icount --report "$tmp/$label-$n" "${files[@]}" -- "$bin" run "$@" -n "$n" -t 0 >/dev/null 2>&1
  sed -n 's/^guest_wall_ns=//p' "$tmp/$label-$n"
}
printf '| model | instructions per generated token | est. tok/s at 350 MHz, CPI 1.5 (CPI 1–2) |\n|---|---|---|\n'
while read -r label args; do
  # shellcheck disable=SC2086
  a=$(count "$label" 1 $args) b=$(count "$label" 33 $args)
  awk -v l="$label" -v a="$a" -v b="$b" 'BEGIN { per = (b - a) / 32
    printf "| %s | %.2f M | %.1f (%.1f–%.1f) |\n", l, per / 1e6, 350e6 / per / 1.5, 350e6 / per / 2, 350e6 / per }'
done <<'MODELS'
stories260K stories260K.bin -z tokenizer.bin
stories260K-q8 stories260K_q80_gs4.bin -z tokenizer.bin
stories15M --synthetic stories15M
stories15M-q8 --synthetic stories15M-q8
MODELS
