package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/quantize"
	"github.com/retrollama/retrollama/internal/host/synthetic"
)

// q8Suffix asks for a synthetic model quantized to Q8_0 in memory:
// "--synthetic stories15M-q8" is synthetic stories15M as "retrollama
// quantize" would write it (group size chosen the same way), so Q8
// kernels can be run and benchmarked with nothing downloaded.
const q8Suffix = "-q8"

// syntheticMemoryShare is the share of the available memory (Linux's
// MemAvailable) that a synthetic model built in RAM may take, weights and
// KV cache together; the rest is left for the runtime, the kernels'
// prepared copies and the other programs. A larger model is refused with
// a pointer to "retrollama synthetic NAME FILE", which streams it to a
// file that runs memory-mapped.
const syntheticMemoryShare = 0.8

// shapeList names the synthetic models for the help texts: the table's
// shapes, each also with q8Suffix.
func shapeList() string {
	return strings.Join(checkpoint.KnownShapes(), ", ")
}

// splitSyntheticName splits "NAME" or "NAME-q8" into a known shape, its
// configuration and whether Q8_0 is asked for.
func splitSyntheticName(name string) (base string, cfg checkpoint.Config, q8 bool, err error) {
	base, q8 = strings.CutSuffix(name, q8Suffix)
	cfg, known := checkpoint.ShapeOf(base)
	if !known {
		return "", cfg, false, fmt.Errorf("unknown synthetic model %q (known: %s; add %q for Q8_0)",
			name, shapeList(), q8Suffix)
	}
	return base, cfg, q8, nil
}

// syntheticModel builds the named synthetic model: a KnownShapes name,
// optionally followed by q8Suffix. Q8_0 models are built streaming by
// synthetic.Q8, never holding the fp32 weights (54.5 MB allocated
// for stories15M-q8 instead of quantize.Model's 143 MB; it must run on a
// 128 MB Pentium II), and are bit for bit what quantize.Model gives. A
// model that does not fit in memory (see checkSyntheticFits) is refused
// before anything is allocated.
func syntheticModel(name string) (*checkpoint.Checkpoint, error) {
	base, cfg, q8, err := splitSyntheticName(name)
	if err != nil {
		return nil, err
	}
	gs := 0
	if q8 {
		gs = quantize.ChooseGroupSize(cfg)
	}
	avail, known := availableMemory()
	if err := checkSyntheticFits(name, cfg, gs, avail, known); err != nil {
		return nil, err
	}
	if !q8 {
		return synthetic.Model(base)
	}
	ck, err := synthetic.Q8(base, gs)
	if err != nil {
		return nil, err
	}
	ck.Path = "synthetic:" + name
	return ck, nil
}

// realModelURL is where llama2.c's trained checkpoints are published.
const realModelURL = "https://huggingface.co/karpathy/tinyllamas/resolve/main/stories15M.bin"

// tokenizerURL is llama2.c's tokenizer for them.
const tokenizerURL = "https://github.com/karpathy/llama2.c/raw/master/tokenizer.bin"

// syntheticNotice is the one stderr line a command prints when it runs a
// synthetic model: its weights are random, and where a real one is.
func syntheticNotice(cmd, name string) string {
	return fmt.Sprintf("%s: %s is synthetic (random weights); real models: huggingface.co/karpathy/tinyllamas, see run -h", cmd, name)
}

// checkSyntheticFits refuses, in one line that says what to do instead,
// a synthetic model whose weights (groupSize > 0: Q8_0) and KV cache take
// more than syntheticMemoryShare of avail bytes (when known), or whose
// weights exceed what checkpoint builds in memory at all.
func checkSyntheticFits(name string, cfg checkpoint.Config, groupSize int, avail int64, known bool) error {
	weights, err := synthetic.Size(cfg, groupSize)
	if err != nil {
		return fmt.Errorf("synthetic %s: %w", name, err)
	}
	kv := 2 * int64(cfg.Layers) * int64(cfg.SeqLen) * int64(cfg.KVDim()) * 4
	need := weights + kv
	var why string
	switch {
	case weights > synthetic.MaxBytes:
		why = fmt.Sprintf("more than the %s of weights this build makes in memory", gigabytes(synthetic.MaxBytes))
	case known && float64(need) > syntheticMemoryShare*float64(avail):
		why = fmt.Sprintf("more than %.0f%% of the %s available", 100*syntheticMemoryShare, gigabytes(avail))
	default:
		return nil
	}
	return fmt.Errorf("synthetic %s needs %s of RAM (%s of weights, %s of KV cache), %s: "+
		"write it to a file with \"retrollama synthetic %s FILE\" and run FILE instead (memory-mapped)",
		name, gigabytes(need), gigabytes(weights), gigabytes(kv), why, name)
}

// gigabytes formats a byte count in GB with one decimal.
func gigabytes(b int64) string {
	return strconv.FormatFloat(float64(b)/1e9, 'f', 1, 64) + " GB"
}

// availableMemory returns Linux's estimate of the memory available to a
// new program without swapping (MemAvailable in /proc/meminfo), and
// whether it is known (not on other systems).
func availableMemory() (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && fields[0] == "MemAvailable:" && fields[2] == "kB" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0, false
			}
			return kb * 1024, true
		}
	}
	return 0, false
}
