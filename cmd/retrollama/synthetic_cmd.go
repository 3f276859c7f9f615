package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/retrollama/retrollama/internal/atomicfile"
	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/quantize"
	"github.com/retrollama/retrollama/internal/host/synthetic"
	"github.com/spf13/cobra"
)

// newSyntheticCmd is "retrollama synthetic NAME OUT".
func newSyntheticCmd(stdout, stderr io.Writer) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "synthetic NAME OUT.bin [flags]",
		Short: "write a built-in synthetic model (random weights) to a checkpoint file",
		Long: `Writes a built-in synthetic model to a checkpoint file, so that the same weights can
be run by llama2.c (./run reads the legacy format, the default; NAME-q8 writes
runq.c's Q8_0 format), copied to another machine, or memory-mapped where RAM is
short. NAME: ` + shapeList() + `,
optionally with -q8. The file is streamed: the weights are generated, quantized and
written a chunk at a time, never held (tinyllama-1.1B-q8, 1.1 GB, or llama2-7B,
26 GB, take tens of MB of memory to write). OUT is written atomically.`,
		Example: `  retrollama synthetic stories15M s15.bin
  retrollama synthetic stories15M-q8 s15q8.bin`,
		Args: exactArgs(2, "NAME and OUT.bin"),
		RunE: func(c *cobra.Command, pos []string) error {
			f := checkpoint.FormatLegacy
			switch format {
			case "legacy":
			case "v1":
				f = checkpoint.FormatV1
			default:
				return usageErrorf("--format %q: want legacy or v1", format)
			}
			start := time.Now()
			if err := writeSynthetic(pos[0], pos[1], f); err != nil {
				return err
			}
			size := ""
			if st, err := os.Stat(pos[1]); err == nil {
				size = fmt.Sprintf(" (%s in %.1f s)", bytesMB(st.Size()), time.Since(start).Seconds())
			}
			fmt.Fprintf(stdout, "wrote %s: synthetic %s%s\n", pos[1], pos[0], size)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "legacy", "checkpoint `format` of an fp32 model: legacy (llama2.c's run) or v1")
	return cmd
}

// bytesMB formats a file size in MB.
func bytesMB(b int64) string {
	return fmt.Sprintf("%.1f MB", float64(b)/1e6)
}

// writeSynthetic writes the named synthetic model to out in format f
// (fp32 models) or runq.c's Q8_0 format (names ending in -q8, in groups
// of quantize.ChooseGroupSize's), streaming (synthetic.Write): the bytes
// are those of the model that syntheticModel builds, which is never held.
func writeSynthetic(name, out string, f checkpoint.Format) error {
	base, cfg, q8, err := splitSyntheticName(name)
	if err != nil {
		return err
	}
	gs := 0
	if q8 {
		f, gs = checkpoint.FormatQ8, quantize.ChooseGroupSize(cfg)
	}
	return atomicfile.Write(out, func(w io.Writer) error {
		return synthetic.Write(w, base, f, gs)
	})
}
