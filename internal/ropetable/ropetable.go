// Package ropetable computes RoPE's cosines and sines with exactly the
// float32 expressions and C-library functions of the scalar reference, so
// that a provider which looks them up in a table (x87, WASM modules)
// rotates by the very bits the reference computes at each call.
package ropetable

import "github.com/retrollama/retrollama/kernels/mathf"

// Frequencies returns the rotation frequency of each pair of a head:
// 1/10000^(2i/headSize), i < headSize/2.
func Frequencies(headSize int) []float32 {
	freq := make([]float32, headSize/2)
	for i := range freq {
		freq[i] = 1 / mathf.Pow(10000, float32(2*i)/float32(headSize))
	}
	return freq
}

// Row sets row (2·len(freq) floats) to the cosines and sines, interleaved,
// of the angles pos·freq[i].
func Row(row, freq []float32, pos int) {
	for i, f := range freq {
		angle := float32(pos) * f
		row[2*i], row[2*i+1] = mathf.Cos(angle), mathf.Sin(angle)
	}
}

// Table returns Row for every position below seqLen, headSize floats per
// position.
func Table(headSize, seqLen int) []float32 {
	freq := Frequencies(headSize)
	t := make([]float32, seqLen*headSize)
	for pos := range seqLen {
		Row(t[pos*headSize:(pos+1)*headSize], freq, pos)
	}
	return t
}
