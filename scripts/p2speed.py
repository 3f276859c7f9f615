#!/usr/bin/env python3
"""Helper of scripts/p2speed.sh (make p2-speed); not meant to be run alone.

  p2speed.py weights CHECKPOINT
      prints the bytes of weights one generated token reads from CHECKPOINT (llama2.c's
      legacy fp32 format, its version 1 fp32 format, runq.c's version 2 Q8_0 format or
      retrollama's version 3 Q8_0 per matrix),
      computed from the header: every layer's norms and matrices, the final norm, the
      classifier and one row of the token embedding. Not counted: the header, the legacy
      format's RoPE tables (unused), the rest of an unshared embedding table.

  p2speed.py table MANIFEST MHZ TOP
      MANIFEST: one line per model, tab-separated: label, N, weight bytes per token, where
      they are read from (SDRAM or L2), p2cost --json of the run with -n 1, of the run with
      -n N, and whether to print its top functions (yes/no); or label and "skip: reason".
      Prints the markdown table (per generated token = (run -n N - run -n 1) / (N - 1)) and
      the per-token top functions. Exits non-zero if a figure is missing or not positive.
"""
import json
import os
import struct
import sys

L2_BYTES = 512 * 1024


def die(msg):
    print(f"p2speed: {msg}", file=sys.stderr)
    sys.exit(1)


# The matrix kinds of a version 3 header's group sizes, in header order.
KINDS = ("token_embedding", "wq", "wk", "wv", "wo", "w1", "w2", "w3", "classifier")


def weights(path):
    with open(path, "rb") as f:
        head = f.read(256)
    if len(head) < 28:
        die(f"{path}: too short for a llama2.c header")
    magic, version = struct.unpack_from("<Ii", head, 0)
    if magic == 0x616B3432:  # "ak42": llama2.c's export.py formats
        dim, hidden, layers, heads, kv_heads, vocab, seq = struct.unpack_from("<7i", head, 8)
        shared = head[36] != 0
        if version == 1:
            gs, q = {}, False
        elif version == 2:
            (g,) = struct.unpack_from("<i", head, 37)
            gs, q = {k: g for k in KINDS}, True
        elif version == 3:  # retrollama's Q8_0 per matrix: nine group sizes
            gs, q = dict(zip(KINDS, struct.unpack_from("<9i", head, 37))), True
        else:
            die(f"{path}: format version {version} is not 1 (fp32), 2 (Q8_0) or 3 (Q8_0 per matrix)")
    else:
        dim, hidden, layers, heads, kv_heads, vocab, seq = struct.unpack_from("<7i", head, 0)
        shared, vocab, gs, q = vocab > 0, abs(vocab), {}, False
    if min(dim, hidden, layers, heads, kv_heads, vocab) <= 0 or dim % heads:
        die(f"{path}: implausible header {dim, hidden, layers, heads, kv_heads, vocab}")
    kv_dim = dim * kv_heads // heads

    def mat(kind, n):  # bytes of an n-element matrix of a kind
        if not q:
            return 4 * n
        g = gs[kind]
        if g <= 0 or n % g:
            die(f"{path}: {kind}'s {n} elements are not a multiple of its group size {g}")
        return n + 4 * (n // g)  # int8 values + one fp32 scale per group

    per_layer = (2 * 4 * dim + mat("wq", dim * dim) + mat("wo", dim * dim) + mat("wk", dim * kv_dim)
                 + mat("wv", dim * kv_dim) + mat("w1", dim * hidden) + mat("w2", dim * hidden) + mat("w3", dim * hidden))
    # the classifier, and one row of the embedding (whose group size divides dim)
    total = layers * per_layer + 4 * dim + mat("classifier", vocab * dim) + mat("token_embedding", dim)
    del shared  # shared or not, the classifier is vocab x dim and the embedding one row
    return total


def load(path):
    try:
        with open(path) as f:
            j = json.load(f)
        fns = {name: cyc for name, cyc in j["top_functions"]}
        c = j["cycles"]
        out = {"instr": float(j["instructions"]),
               "cyc": [float(c["low"]), float(c["central"]), float(c["high"])],
               "fns": fns, "compute": sum(fns.values())}
    except (OSError, ValueError, KeyError, TypeError) as e:
        die(f"{path}: p2cost's JSON lacks a figure: {e}")
    if out["instr"] <= 0 or min(out["cyc"]) <= 0 or not fns:
        die(f"{path}: p2cost reported no instructions, cycles or functions")
    if out["compute"] > out["cyc"][1] * 1.000001:
        die(f"{path}: per-function cycles exceed the total: the table is not what p2cost meant")
    return out


def fmt_m(x):
    return f"{x / 1e6:.2f} M"


def fmt_b(b):
    return f"{b / 1e6:.2f} MB" if b >= 1e6 else f"{b / 1e3:.0f} KB"


def table(manifest, mhz, top):
    hz = mhz * 1e6
    rows, tops = [], []
    with open(manifest) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2:
                rows.append(f"| {parts[0]} | {parts[1]} | | | | | |")
                continue
            label, n, wbytes, where, j1, jn, show = parts
            n, wbytes = int(n), int(wbytes)
            a, b = load(j1), load(jn)
            d = n - 1
            instr = (b["instr"] - a["instr"]) / d
            cyc = [(b["cyc"][k] - a["cyc"][k]) / d for k in range(3)]
            compute = (b["compute"] - a["compute"]) / d
            memory = cyc[1] - compute
            if instr <= 0 or min(cyc) <= 0 or compute <= 0 or memory < 0:
                die(f"{label}: the -n {n} run does not cost more than the -n 1 run "
                    f"(instr {instr:.0f}, cycles {cyc}, compute {compute:.0f})")
            note = ""
            if where == "L2" and wbytes > 0.9 * L2_BYTES:
                note = f", {100 * wbytes / L2_BYTES:.0f}% of L2: borderline"
            rows.append(
                f"| {label} | {fmt_b(wbytes)} from {where}{note} | {n} | {fmt_m(instr)} | "
                f"{fmt_m(cyc[1])} = {fmt_m(compute)} + {fmt_m(memory)} | "
                f"{compute / instr:.2f} | **{hz / cyc[1]:.1f}** ({hz / cyc[2]:.1f}–{hz / cyc[0]:.1f}) |")
            if show == "yes":
                fns = {k: (b["fns"].get(k, 0) - a["fns"].get(k, 0)) / d
                       for k in set(a["fns"]) | set(b["fns"])}
                best = sorted(fns.items(), key=lambda kv: -kv[1])[:top]
                tops.append((label, compute, best))
    print(f"| model | weights read per token | N | instr/token | cycles/token central = "
          f"compute + memory | CPI (compute) | est. tok/s at {mhz:g} MHz, central (low–high) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(r)
    for label, compute, best in tops:
        print(f"\nTop functions per generated token, {label} (central cycles, compute only):\n")
        print("| function | cycles/token | share of compute |")
        print("|---|---|---|")
        for name, c in best:
            print(f"| `{name}` | {c / 1e3:,.0f} K | {100 * c / compute:.1f}% |")


def main():
    a = sys.argv[1:]
    if len(a) == 2 and a[0] == "weights":
        print(weights(a[1]))
    elif len(a) == 4 and a[0] == "table":
        table(a[1], float(a[2]), int(a[3]))
    else:
        die(__doc__)


if __name__ == "__main__":
    main()
