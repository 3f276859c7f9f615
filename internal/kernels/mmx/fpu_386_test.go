package mmx

import (
	"math/rand/v2"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
)

// TestFPUStateRestored: after every kernel the x87 stack is empty (TOP
// 0, every register tagged empty, so EMMS ran after the MMX code) and
// the control word is the caller's, whatever it was.
func TestFPUStateRestored(t *testing.T) {
	cw0, _, _ := fpuEnv()
	defer setFPUControl(cw0)
	r := rand.New(rand.NewPCG(17, 18))
	p := kerneltest.Initialised(t, New(), testShape).(*Provider)
	for _, sh := range []q8Shape{{5, 1024, 4}, {5, 1026, 3}, {5, 1024, 32}, {5, 1024, 1024}, {5, 1028, 1028}} {
		n, gs := sh.cols, sh.gs
		tensor := kerneltest.Q8Tensor(kerneltest.Random(r, sh.rows*n), sh.rows, n, gs)
		w := kerneltest.Prepare(t, p, tensor)
		m := w.(*matrix)
		x := kerneltest.Random(r, n)
		out := make([]float32, sh.rows)
		calls := map[string]func(){
			"quantize": func() { quantize(p.q[:n], p.xs[:m.lay.ng], x, gs) },
			"widen":    func() { widen(p.x16[:m.lay.nx], p.q[:m.lay.nx]) },
			"matQ8": func() {
				l := &m.lay
				matQ8(out, m.q, m.scales, p.x16, p.xs, p.ivals, 4, n, l.ng, l.wgs, l.p, l.nlg, l.split, l.exact, m.pos)
			},
			"MatMul": func() { kerneltest.Must(t, p.MatMul(out, w, x)) },
		}
		// Go's 0x027F, Linux's 0x037F, and one with round-up and
		// single precision the kernels must not inherit or keep.
		for _, cw := range []uint16{0x027F, 0x037F, 0x087F} {
			for name, call := range calls {
				setFPUControl(cw)
				call()
				gotCW, sw, tw := fpuEnv()
				if gotCW != cw || sw&0x3800 != 0 || tw != 0xFFFF {
					t.Errorf("gs %d, control word %#04x: after %s: control word %#04x, status %#04x (TOP %d), tags %#04x; want %#04x, TOP 0, tags 0xffff",
						gs, cw, name, gotCW, sw, sw>>11&7, tw, cw)
				}
			}
		}
	}
}
