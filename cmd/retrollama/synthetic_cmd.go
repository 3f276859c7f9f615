package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/retrollama/retrollama/host/checkpoint"
	"github.com/retrollama/retrollama/internal/atomicfile"
)

const syntheticUsage = `Usage: retrollama synthetic NAME OUT.bin [--format legacy|v1]

Writes a built-in synthetic model to a checkpoint file, so that the same weights can
be run by llama2.c (./run reads the legacy format, the default; NAME-q8 writes
runq.c's Q8_0 format), copied to another machine, or memory-mapped where RAM is
short. NAME: stories260K, stories15M, stories42M, stories110M, optionally with -q8.
OUT is written atomically.
`

// syntheticCommand is "retrollama synthetic".
func syntheticCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("synthetic", flag.ContinueOnError)
	format := fs.String("format", "legacy", "")
	pos, code, ok := parseMixed(fs, args, syntheticUsage, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 2 {
		fmt.Fprint(stderr, syntheticUsage)
		return 1
	}
	f := checkpoint.FormatLegacy
	switch *format {
	case "legacy":
	case "v1":
		f = checkpoint.FormatV1
	default:
		fmt.Fprintf(stderr, "retrollama synthetic: --format %q: want legacy or v1\n", *format)
		return 1
	}
	if err := writeSynthetic(pos[0], pos[1], f); err != nil {
		fmt.Fprintf(stderr, "retrollama synthetic: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s: synthetic %s\n", pos[1], pos[0])
	return 0
}

// writeSynthetic writes the named synthetic model to out in format f
// (fp32 models) or runq.c's Q8_0 format (names ending in -q8).
func writeSynthetic(name, out string, f checkpoint.Format) error {
	ck, err := syntheticModel(name)
	if err != nil {
		return err
	}
	defer ck.Close()
	return atomicfile.Write(out, func(w io.Writer) error {
		if ck.Quantized != nil {
			return checkpoint.WriteQ8(w, ck.Config, ck.SharedClassifier, ck.GroupSize, &ck.Weights, ck.Quantized)
		}
		return checkpoint.Write(w, f, ck.Config, ck.SharedClassifier, &ck.Weights)
	})
}
