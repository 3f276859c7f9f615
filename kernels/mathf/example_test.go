package mathf_test

import (
	"fmt"
	"math"

	"github.com/retrollama/retrollama/kernels/mathf"
)

// Exp is glibc's expf, which is not correctly rounded: for some inputs
// it differs in the last bit from float32(math.Exp(x)), and llama2.c's
// outputs carry glibc's bits. 0.5003267 is one of those inputs.
func ExampleExp() {
	x := float32(0.5003267)
	glibc := mathf.Exp(x)
	rounded := float32(math.Exp(float64(x)))
	fmt.Printf("mathf.Exp:             %v (0x%08x)\n", glibc, math.Float32bits(glibc))
	fmt.Printf("float32(math.Exp(x)):  %v (0x%08x)\n", rounded, math.Float32bits(rounded))
	// Output:
	// mathf.Exp:             1.64926 (0x3fd31af4)
	// float32(math.Exp(x)):  1.6492599 (0x3fd31af3)
}

// RoPE's rotation as llama2.c computes it: the frequency of a pair with
// powf, then cosf and sinf of the angle at the position.
func ExampleCos() {
	headSize, d, pos := 48, 2, 7
	freq := 1 / mathf.Pow(10000, float32(d)/float32(headSize))
	angle := float32(pos) * freq
	fmt.Println(mathf.Cos(angle), mathf.Sin(angle))
	// Output: 0.056625113 -0.9983955
}
