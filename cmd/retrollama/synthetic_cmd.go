package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/retrollama/retrollama/host/checkpoint"
	"github.com/retrollama/retrollama/host/quantize"
	"github.com/retrollama/retrollama/internal/atomicfile"
)

// syntheticUsage is the synthetic command's help, listing the shape table.
func syntheticUsage() string {
	return `Usage: retrollama synthetic NAME OUT.bin [--format legacy|v1]

Writes a built-in synthetic model to a checkpoint file, so that the same weights can
be run by llama2.c (./run reads the legacy format, the default; NAME-q8 writes
runq.c's Q8_0 format), copied to another machine, or memory-mapped where RAM is
short. NAME: ` + shapeList() + `,
optionally with -q8. The file is streamed: the weights are generated, quantized and
written a chunk at a time, never held (tinyllama-1.1B-q8, 1.1 GB, or llama2-7B,
26 GB, take tens of MB of memory to write). OUT is written atomically.
`
}

// syntheticCommand is "retrollama synthetic".
func syntheticCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("synthetic", flag.ContinueOnError)
	format := fs.String("format", "legacy", "")
	pos, code, ok := parseMixed(fs, args, syntheticUsage(), stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 2 {
		fmt.Fprint(stderr, syntheticUsage())
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
	start := time.Now()
	if err := writeSynthetic(pos[0], pos[1], f); err != nil {
		fmt.Fprintf(stderr, "retrollama synthetic: %v\n", err)
		return 1
	}
	size := ""
	if st, err := os.Stat(pos[1]); err == nil {
		size = fmt.Sprintf(" (%s in %.1f s)", bytesMB(st.Size()), time.Since(start).Seconds())
	}
	fmt.Fprintf(stdout, "wrote %s: synthetic %s%s\n", pos[1], pos[0], size)
	return 0
}

// bytesMB formats a file size in MB.
func bytesMB(b int64) string {
	return fmt.Sprintf("%.1f MB", float64(b)/1e6)
}

// writeSynthetic writes the named synthetic model to out in format f
// (fp32 models) or runq.c's Q8_0 format (names ending in -q8), streaming
// (checkpoint.WriteSynthetic): the bytes are those of the model that
// syntheticModel builds, which is never held.
func writeSynthetic(name, out string, f checkpoint.Format) error {
	base, _, q8, err := splitSyntheticName(name)
	if err != nil {
		return err
	}
	return atomicfile.Write(out, func(w io.Writer) error {
		if q8 {
			return quantize.WriteSynthetic(w, base, 0)
		}
		return checkpoint.WriteSynthetic(w, base, f, 0, nil)
	})
}
