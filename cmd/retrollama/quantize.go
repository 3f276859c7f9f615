package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/retrollama/retrollama/host/quantize"
)

// newQuantizeCmd is "retrollama quantize IN OUT".
func newQuantizeCmd(stdout, stderr io.Writer) *cobra.Command {
	var gs int
	cmd := &cobra.Command{
		Use:   "quantize IN.bin OUT.bin [flags]",
		Short: "fp32 checkpoint → llama2.c's Q8_0 (runq.c's format)",
		Long: `Writes llama2.c's Q8_0 "version 2" checkpoint (what runq.c reads) from any fp32
checkpoint. The group size must divide dim and hidden_dim; by default the largest of
64, 32, 16, 8, 4, 2, 1 that does. OUT is written atomically and may not be IN.`,
		Example: `  retrollama quantize stories15M.bin stories15M_q80.bin`,
		Args:    exactArgs(2, "IN.bin and OUT.bin"),
		RunE: func(c *cobra.Command, files []string) error {
			var b bar
			st, err := quantize.FileWith(files[0], files[1], gs, func(done, total int64, what string) {
				if b.pb == nil && total >= 64<<20 { // a bar only where people wait: big models, on a TTY
					b = newBar(stderr, int(total>>20), "quantize (MiB)")
				}
				b.describe("quantize: " + what)
				b.set(int(done >> 20))
			})
			b.finish()
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "wrote %s: Q8_0, group size %d; max quantization error %.3g (in %s)\n", files[1], st.GroupSize, st.MaxError, st.WorstTensor)
			return nil
		},
	}
	cmd.Flags().IntVar(&gs, "group-size", 0, "values per quantization group (0: the largest of 64, 32, ... 1 dividing dim and hidden_dim)")
	return cmd
}
