//go:build panelproto

package avx2

// A PROTOTYPE, built only with -tags panelproto (see panel_proto_test.go).

//go:noescape
func panelMatmulAVX2(out, panels, x *float32, cols, npanels int)

// panelize returns W (rows×cols, row-major) re-laid out as panels of 64
// rows, column by column (panelMatmulAVX2's layout), zero rows padding
// the last panel.
func panelize(w []float32, rows, cols int) []float32 {
	np := (rows + 63) / 64
	p := make([]float32, np*cols*64)
	for r := range rows {
		for j := range cols {
			p[((r/64)*cols+j)*64+r%64] = w[r*cols+j]
		}
	}
	return p
}
