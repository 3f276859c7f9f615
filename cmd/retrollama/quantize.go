package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/retrollama/retrollama/host/quantize"
)

const quantizeUsage = `Usage: retrollama quantize IN.bin OUT.bin [--group-size N]

Writes llama2.c's Q8_0 "version 2" checkpoint (what runq.c reads) from any fp32
checkpoint. The group size must divide dim and hidden_dim; by default the largest of
64, 32, 16, 8, 4, 2, 1 that does. OUT is written atomically and may not be IN.
`

// quantizeCommand is "retrollama quantize".
func quantizeCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("quantize", flag.ContinueOnError)
	gs := fs.Int("group-size", 0, "")
	files, code, ok := parseMixed(fs, args, quantizeUsage, stdout, stderr)
	if !ok {
		return code
	}
	if len(files) != 2 {
		fmt.Fprint(stderr, quantizeUsage)
		return 1
	}
	st, err := quantize.File(files[0], files[1], *gs)
	if err != nil {
		fmt.Fprintf(stderr, "retrollama quantize: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s: Q8_0, group size %d; max quantization error %.3g (in %s)\n", files[1], st.GroupSize, st.MaxError, st.WorstTensor)
	return 0
}
