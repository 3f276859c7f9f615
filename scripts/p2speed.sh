#!/usr/bin/env bash
# make p2-speed: the estimated speed of `make p2`'s binary on a Pentium II
# (350 MHz, P6, 512 KB L2, PC100 SDRAM), from ../shared/tools/p2cost --qemu.
#
# Method. p2cost --qemu runs the binary on the emulated Pentium II (p2run),
# counts every instruction of the binary's own code from QEMU's execution
# trace and prices each with its P6 cycle table (low/central/high, per class
# and per function). Each model runs twice, with -n 1 and -n N (greedy, no
# prompt); per generated token = (run -n N - run -n 1) / (N - 1), so loading
# and start-up cancel out. p2cost does not simulate caches: the memory term is
# passed in. Rule: a token reads all of the checkpoint's weights once
# (scripts/p2speed.py weights: the matrices, norms, classifier and one
# embedding row); if they exceed the 512 KB L2 they all come from SDRAM
# (--dram-bytes: a cyclic stream larger than the cache misses on every line),
# otherwise all from L2 (--l2-bytes), ignoring what else competes for L2
# (KV cache, activations, code). Each run is charged the weights of its n
# tokens, so the difference charges exactly N - 1 tokens.
#
# Calibration: llama2.c's run.c, built gcc -O2 -m32 -march=pentium2
# -mfpmath=387 -static in a temporary directory, measured the same way on
# stories260K fp32. Its source: $LLAMA2C_RUNC (a run.c), else `git show
# HEAD:run.c` in $LLAMA2C_GIT (default ../.mirror/karpathy+llama2.c/repo, a
# bare clone of github.com/karpathy/llama2.c). gcc -m32 needs gcc-multilib
# (installed with apt-get when missing and running as root); the row is
# skipped, and says why, if run.c cannot be found or built.
#
# The analysed binary is dist/retrollama-p2-sym: `make p2` with its symbol
# table kept (-ldflags=-w, not -s -w) so that p2cost can name functions; the
# script checks its .text is byte-identical to dist/retrollama-p2's.
#
# Takes ~25 minutes on 2 cores (QEMU's trace of every executed block is the
# slow part). Environment: SHARED (default ../shared), N260 and N15 (N for the
# stories260K and stories15M models, default 33 and 5), TOP (functions
# listed, default 12).
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SHARED:-../shared}
p2cost=$shared/tools/p2cost
models=$shared/models
bin=dist/retrollama-p2-sym
native=dist/retrollama
n260=${N260:-33} n15=${N15:-5} top=${TOP:-12} mhz=350
l2=$((512 * 1024))
llama2c_git=${LLAMA2C_GIT:-../.mirror/karpathy+llama2.c/repo}
start=$SECONDS

say() { printf 'p2speed: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ -x "$p2cost" ] || die "no $p2cost (set SHARED to the directory holding tools/p2cost)"
command -v python3 >/dev/null || die "python3 is needed (p2cost and scripts/p2speed.py)"
for f in stories260K.bin stories260K_q80_gs4.bin tokenizer.bin; do
  [ -f "$models/$f" ] || die "no $models/$f"
done
make --no-print-directory p2 p2-sym native >&2 || die "make p2 p2-sym native failed"

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# The symbols must not change the code that is measured.
for b in dist/retrollama-p2 "$bin"; do
  objcopy -O binary --only-section=.text "$b" "$tmp/$(basename "$b").text" || die "objcopy $b failed"
done
cmp -s "$tmp/retrollama-p2.text" "$tmp/retrollama-p2-sym.text" ||
  die "$bin's .text differs from dist/retrollama-p2's: the figures would not be make p2's"
say ".text of $bin is byte-identical to dist/retrollama-p2's ($(stat -c %s "$tmp/retrollama-p2.text") bytes)"

say "writing synthetic stories15M and stories15M-q8 with $native"
"$native" synthetic stories15M "$tmp/stories15M.bin" >&2 || die "synthetic stories15M failed"
"$native" synthetic stories15M-q8 "$tmp/stories15M_q80.bin" >&2 || die "synthetic stories15M-q8 failed"

# where BYTES → SDRAM or L2 (the rule above)
where() { if [ "$1" -gt "$l2" ]; then echo SDRAM; else echo L2; fi; }

# measure LABEL N SHOW MODEL [--mem MB] -- BINARY ARGS...: p2cost both runs of
# one model, appending a manifest line for scripts/p2speed.py.
measure() {
  local label=$1 n=$2 show=$3 model=$4; shift 4
  local w src flag
  w=$(python3 scripts/p2speed.py weights "$model") || die "$label: cannot read $model's header"
  src=$(where "$w")
  if [ "$src" = SDRAM ]; then flag=--dram-bytes; else flag=--l2-bytes; fi
  local jsons=()
  for k in 1 "$n"; do
    local out=$tmp/$label-$k t0=$SECONDS rc=0
    "$p2cost" --qemu --timeout 1800 --top 1000000 --json "$out.json" "$flag" $((w * k)) \
      --file "$model" --file "$models/tokenizer.bin" "$@" -n "$k" >"$out.stdout" 2>"$out.stderr" || rc=$?
    if [ "$rc" -ne 0 ] || [ ! -s "$out.json" ]; then
      tail -n 20 "$out.stderr" >&2
      die "$label -n $k: p2cost exited $rc$([ -s "$out.json" ] || echo ', no JSON')"
    fi
    grep -q '^estimated cycles  low' "$out.stderr" || die "$label -n $k: p2cost printed no estimate"
    say "$label -n $k: $(sed -n 's/^instructions executed.*: //p' "$out.stderr") instructions, $((SECONDS - t0)) s"
    jsons+=("$out.json")
  done
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$n" "$w" "$src" "${jsons[0]}" "${jsons[1]}" "$show" >>"$tmp/manifest"
}

# run.c for the calibration row; on failure the row says why and is skipped.
calibration() {
  local label='llama2.c run.c (calibration), stories260K fp32'
  local d=$tmp/llama2c; mkdir -p "$d"
  if [ -n "${LLAMA2C_RUNC:-}" ]; then
    cp "$LLAMA2C_RUNC" "$d/run.c" || { skip "$label" "cannot read LLAMA2C_RUNC=$LLAMA2C_RUNC"; return; }
    say "run.c from $LLAMA2C_RUNC"
  elif git --git-dir="$llama2c_git" show HEAD:run.c >"$d/run.c" 2>/dev/null; then
    say "run.c from $llama2c_git at $(git --git-dir="$llama2c_git" rev-parse HEAD)"
  else
    skip "$label" "no run.c: set LLAMA2C_RUNC to a run.c or LLAMA2C_GIT to a clone of karpathy/llama2.c"; return
  fi
  echo 'int main(void){return 0;}' >"$d/t.c"
  if ! gcc -m32 -static -o "$d/t" "$d/t.c" 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "gcc -m32 cannot link: installing gcc-multilib"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc-multilib >&2 || true
    fi
    gcc -m32 -static -o "$d/t" "$d/t.c" 2>/dev/null ||
      { skip "$label" "gcc -m32 -static cannot link (apt-get install gcc-multilib)"; return; }
  fi
  if ! gcc -O2 -m32 -march=pentium2 -mfpmath=387 -static -o "$d/run" "$d/run.c" -lm 2>"$d/gcc.log"; then
    cat "$d/gcc.log" >&2
    skip "$label" "gcc could not build run.c"; return
  fi
  say "built run.c: $(gcc --version | head -n 1), gcc -O2 -m32 -march=pentium2 -mfpmath=387 -static"
  measure "$label" "$n260" no "$models/stories260K.bin" -- "$d/run" stories260K.bin -z tokenizer.bin -t 0
}
skip() { say "SKIPPED $1: $2"; printf '%s\tskipped: %s\n' "$1" "$2" >>"$tmp/manifest"; }

: >"$tmp/manifest"
calibration
measure 'retrollama, stories260K fp32' "$n260" yes "$models/stories260K.bin" \
  -- "$bin" run stories260K.bin -z tokenizer.bin -t 0
measure 'retrollama, stories260K Q8_0 gs 4' "$n260" no "$models/stories260K_q80_gs4.bin" \
  -- "$bin" run stories260K_q80_gs4.bin -z tokenizer.bin -t 0
# retrollama's per-matrix Q8_0 (quantize --format q8_0-per-matrix, default
# bound): one scale per row for the dim-wide inputs, w2 in groups of 172.
"$native" quantize --format q8_0-per-matrix --agree 0 "$models/stories260K.bin" "$tmp/stories260K_q8pm.bin" >&2 ||
  die "quantize --format q8_0-per-matrix failed"
measure 'retrollama, stories260K Q8_0 per matrix (64; w2 172)' "$n260" yes "$tmp/stories260K_q8pm.bin" \
  -- "$bin" run stories260K_q8pm.bin -z tokenizer.bin -t 0
# 256 MB: p2run hands files over in the guest's initramfs, which holds the
# 61 MB checkpoint twice while unpacking (a real machine maps it from disk).
measure 'retrollama, stories15M fp32 (synthetic)' "$n15" no "$tmp/stories15M.bin" --mem 256 \
  -- "$bin" run stories15M.bin -z tokenizer.bin -t 0
measure 'retrollama, stories15M Q8_0 gs 32 (synthetic)' "$n15" yes "$tmp/stories15M_q80.bin" \
  -- "$bin" run stories15M_q80.bin -z tokenizer.bin -t 0

python3 scripts/p2speed.py table "$tmp/manifest" "$mhz" "$top"
cat <<EOF

Per generated token = (p2cost --qemu of -n N) − (of -n 1), divided by N − 1, greedy, no prompt,
on the emulated Pentium II; cycles from p2cost's P6 table, memory = the weights read per token
(all from SDRAM above the 512 KB L2, all from L2 below), $mhz MHz. Low–high is p2cost's range.
The function tables leave memory out (p2cost charges it to no function).
EOF
say "done in $((SECONDS - start)) s"
