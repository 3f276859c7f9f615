package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/retrollama/retrollama/internal/host/agreement"
	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/dispatch"
	"github.com/retrollama/retrollama/internal/host/quantize"
	"github.com/retrollama/retrollama/internal/host/registry"
	"github.com/retrollama/retrollama/kernels"
)

// Quantized formats "retrollama quantize --format" writes.
const (
	formatQ8          = "q8_0"
	formatQ8PerMatrix = "q8_0-per-matrix"
)

// newQuantizeCmd is "retrollama quantize IN OUT".
func newQuantizeCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		gs     int
		format string
		maxRel float64
		agree  int
		kf     kernelFlags
	)
	cmd := &cobra.Command{
		Use:   "quantize IN.bin OUT.bin [flags]",
		Short: "fp32 checkpoint → llama2.c's Q8_0 (runq.c's format), or Q8_0 with a group size per matrix",
		Long: `Writes a Q8_0 checkpoint from any fp32 checkpoint, and reports the largest quantization
error and how many of the first --agree greedy tokens the quantized model shares with the
fp32 one, both run on the kernel profile (--profile; every profile computes the reference's
bits, so the profile changes only how long that takes).

--format q8_0 (default): llama2.c's "version 2", what runq.c reads. One group size for the
whole file, which must divide dim and hidden_dim; by default the largest of 64, 32, 16, 8,
4, 2, 1 that does (stories260K: 4).

--format q8_0-per-matrix: retrollama's "version 3" (runq.c does not read it). Each matrix
kind (wq, wk, wv, wo, w1, w2, w3, the embedding, the classifier) gets the largest divisor
of its own input width whose relative RMS error sqrt(Σ(w−q·s)²/Σw²) stays within
--max-rel-error in every layer (stories260K: 64 for dim-wide inputs, 172 for w2): fewer
float scales, so less float work per multiply-add on machines without fast floats.

OUT is written atomically and may not be IN.`,
		Example: `  retrollama quantize stories15M.bin stories15M_q80.bin
  retrollama quantize --format q8_0-per-matrix stories260K.bin stories260K_q8pm.bin`,
		Args: exactArgs(2, "IN.bin and OUT.bin"),
		RunE: func(c *cobra.Command, files []string) error {
			perMatrix := false
			switch format {
			case formatQ8:
				if c.Flags().Changed("max-rel-error") {
					return usageErrorf("--max-rel-error applies to --format %s only", formatQ8PerMatrix)
				}
			case formatQ8PerMatrix:
				perMatrix = true
				if c.Flags().Changed("group-size") {
					return usageErrorf("--group-size applies to --format %s only (per matrix, sizes are chosen by --max-rel-error)", formatQ8)
				}
				if !(maxRel > 0) {
					return usageErrorf("--max-rel-error %v must be positive", maxRel)
				}
			default:
				return usageErrorf("unknown --format %q (want %s or %s)", format, formatQ8, formatQ8PerMatrix)
			}
			if agree < 0 {
				return usageErrorf("--agree %d must be 0 (skip) or more", agree)
			}
			var b bar
			progress := func(done, total int64, what string) {
				if b.pb == nil && total >= 64<<20 { // a bar only where people wait: big models, on a TTY
					b = newBar(stderr, int(total>>20), "quantize (MiB)")
				}
				b.describe("quantize: " + what)
				b.set(int(done >> 20))
			}
			var st quantize.Stats
			var err error
			if perMatrix {
				st, err = quantize.FilePerMatrix(files[0], files[1], maxRel, progress)
			} else {
				st, err = quantize.FileWith(files[0], files[1], gs, progress)
			}
			b.finish()
			if err != nil {
				return err
			}
			if perMatrix {
				fmt.Fprintf(stdout, "wrote %s: Q8_0 per matrix (retrollama's format; runq.c does not read it), group sizes %v\n", files[1], st.GroupSizes)
			} else {
				fmt.Fprintf(stdout, "wrote %s: Q8_0, group size %d\n", files[1], st.GroupSize)
			}
			fmt.Fprintf(stdout, "max quantization error %.3g (in %s); max relative RMS error %.3g (in %s)\n", st.MaxError, st.WorstTensor, st.MaxRelError, st.WorstRelTensor)
			if agree == 0 {
				fmt.Fprintln(stdout, "against the fp32 model: not compared (--agree 0)")
				return nil
			}
			f, profile, err := kf.load() // once: both models run on this profile
			if err != nil {
				return err
			}
			tables := func(s kernels.Shape) (*dispatch.Table, error) {
				return registry.Open(f, profile, s, registry.Options{Threads: kf.threads, Logger: newLogger(stderr), Fallback: kf.fallback})
			}
			r, err := greedyAgreement(files[0], files[1], agree, tables)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "against the fp32 model, from BOS: %v; profile %s\n", r, profile)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", formatQ8, "q8_0 (runq.c's file) or q8_0-per-matrix (a group size per matrix)")
	cmd.Flags().IntVar(&gs, "group-size", 0, "q8_0: values per quantization group (0: the largest of 64, 32, ... 1 dividing dim and hidden_dim)")
	cmd.Flags().Float64Var(&maxRel, "max-rel-error", quantize.DefaultMaxRelError, "q8_0-per-matrix: largest relative RMS error allowed per matrix")
	cmd.Flags().IntVar(&agree, "agree", 256, "greedy tokens compared between the fp32 and the quantized model (0: skip)")
	kf.register(cmd.Flags(), stderr)
	return cmd
}

// greedyAgreement opens both files and compares their greedy decoding on
// tables' kernels.
func greedyAgreement(base, quantized string, steps int, tables agreement.Tables) (agreement.Result, error) {
	b, err := checkpoint.Open(base)
	if err != nil {
		return agreement.Result{}, err
	}
	defer b.Close()
	q, err := checkpoint.Open(quantized)
	if err != nil {
		return agreement.Result{}, err
	}
	defer q.Close()
	return agreement.Greedy(b, q, steps, tables)
}
