// Package quantize converts fp32 llama2.c checkpoints to llama2.c's Q8_0
// "version 2" format, the one runq.c reads, exactly as llama2.c's
// export.py does: per group of GroupSize consecutive values one float32
// scale max|w|/127, and int8 values round(w/scale) with ties to even
// (torch.round). RMS-norm weights stay float32.
//
// Unlike export.py, the group size must divide hidden_dim as well as dim,
// so that no group straddles two rows of w2; ChooseGroupSize picks the
// largest that does.
package quantize
