package checkpoint

import "math"

// FreqTable computes llama2.c's legacy freq_cis_real (cos) or
// freq_cis_imag (sin) table, seq_len × head_size/2, entry [p][i] being the
// rotation angle p / 10000^(2i/head_size). Only writers use it, so that
// legacy files match what llama2.c's old exporter produced.
func FreqTable(cfg Config, imag bool) []float32 {
	hs, half := cfg.HeadSize(), cfg.HeadSize()/2
	out := make([]float32, cfg.SeqLen*half)
	for p := range cfg.SeqLen {
		for i := range half {
			freq := 1 / math.Pow(10000, float64(2*i)/float64(hs))
			angle := float64(p) * freq
			v := math.Cos(angle)
			if imag {
				v = math.Sin(angle)
			}
			out[p*half+i] = float32(v)
		}
	}
	return out
}
