#!/bin/sh
# fakerun.sh MODE [FIGURE]: a stand-in for llama2.c's run in bench's
# tests, printing its tokens per second (FIGURE, default 123.5) the way
# MODE says, or failing; "sleep SECONDS" only sleeps (a run to stop),
# "sleepchild SECONDS" sleeps in a child process, and "pgid" prints its
# process group as the figure (Linux).
mode=$1
figure=${2:-123.5}
case "$mode" in
stderr) echo "Once upon a time"; echo "achieved tok/s: $figure" >&2 ;;
stdout) echo "achieved tok/s: $figure" ;;
custom) echo "eval: 12 tokens, $figure tokens per second" >&2 ;;
nofigure) echo "Once upon a time"; echo "warming up" >&2; echo "done, no figure" >&2 ;;
zero) echo "achieved tok/s: 0" >&2 ;;
sleep) exec sleep "$figure" ;;
sleepchild) sleep "$figure"; echo "achieved tok/s: 1" >&2 ;;
pgid) set -- $(cat /proc/$$/stat); echo "achieved tok/s: $5" >&2 ;;
fail) echo "reading checkpoint" >&2; echo "Couldn't open file nope.bin" >&2; exit 3 ;;
*) echo "fakerun.sh: unknown mode $mode" >&2; exit 2 ;;
esac
