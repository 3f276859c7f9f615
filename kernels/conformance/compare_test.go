package conformance

import (
	"math"
	"strings"
	"testing"
)

// TestNMSE covers the definition, including an all-zero reference.
func TestNMSE(t *testing.T) {
	nan := float32(math.NaN())
	tests := []struct {
		name      string
		got, want []float32
		nmse      float64
	}{
		{"equal", []float32{1, -2}, []float32{1, -2}, 0},
		{"both zero", []float32{0, 0}, []float32{0, 0}, 0},
		{"zero reference", []float32{1, 0}, []float32{0, 0}, math.Inf(1)},
		{"scaled", []float32{2, 4}, []float32{1, 2}, 1},
		{"nan", []float32{nan, 1}, []float32{1, 1}, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d diff
			d.add("out", tt.got, tt.want)
			got := d.nmse()
			if got != tt.nmse && !(math.IsNaN(got) && math.IsNaN(tt.nmse)) {
				t.Errorf("nmse = %g, want %g", got, tt.nmse)
			}
		})
	}
}

// TestGuardDamage: a write into either band is found, with its side.
func TestGuardDamage(t *testing.T) {
	tests := []struct {
		name  string
		index int // into the whole allocation
		where string
	}{
		{"intact", -1, ""},
		{"first after", guardLen + 5, "past"},
		{"last after", 2*guardLen + 5 - 1, "past"},
		{"just before", guardLen - 1, "before"},
		{"far before", 0, "before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGuarded([]float32{1, 2, 3, 4, 5})
			if s := g.slice(); cap(s) != 5+guardLen {
				t.Fatalf("capacity %d does not reach through the trailing guard", cap(s))
			}
			if tt.index >= 0 {
				g.all[tt.index] = 0
			}
			where, detail := g.damage()
			if where != tt.where || (where != "" && !strings.Contains(detail, "is 0")) {
				t.Errorf("damage = %q, %q; want %q", where, detail, tt.where)
			}
		})
	}
}
