package mathf

import (
	"bufio"
	"math"
	"os"
	"testing"
)

// TestMatchesGlibc compares every function with the results glibc printed
// for the same inputs (testdata/gen.c), bit for bit.
func TestMatchesGlibc(t *testing.T) {
	f, err := os.Open("testdata/glibc.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	funcs := map[byte]func(float32) float32{
		'e': Exp, 's': Sin, 'c': Cos,
		'p': func(y float32) float32 { return Pow(10000, y) },
	}
	counts := map[byte]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kind byte
		var in, want uint32
		if _, err := fmtSscanf(sc.Text(), &kind, &in, &want); err != nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		fn := funcs[kind]
		if fn == nil {
			t.Fatalf("bad kind in %q", sc.Text())
		}
		x := math.Float32frombits(in)
		if got := math.Float32bits(fn(x)); got != want {
			t.Errorf("%c(%g) = %#08x (%g), glibc %#08x (%g)", kind, x, got, math.Float32frombits(got), want, math.Float32frombits(want))
		}
		counts[kind]++
	}
	for kind := range funcs {
		if counts[kind] < 1000 {
			t.Errorf("only %d vectors for %c", counts[kind], kind)
		}
	}
}

func TestSpecialValues(t *testing.T) {
	inf := float32(math.Inf(1))
	tests := []struct {
		name      string
		got, want float32
	}{
		{"exp(0)", Exp(0), 1},
		{"exp(-inf)", Exp(-inf), 0},
		{"exp(inf)", Exp(inf), inf},
		{"exp(100)", Exp(100), inf},
		{"exp(-200)", Exp(-200), 0},
		{"sin(0)", Sin(0), 0},
		{"cos(0)", Cos(0), 1},
		{"sqrt(4)", Sqrt(4), 2},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %g, want %g", tt.name, tt.got, tt.want)
		}
	}
	for _, v := range []float32{Exp(float32(math.NaN())), Sin(inf), Cos(-inf)} {
		if v == v {
			t.Errorf("want NaN, got %g", v)
		}
	}
}

func BenchmarkExp(b *testing.B) {
	x := float32(-3.7)
	var sink float32
	for b.Loop() {
		sink += Exp(x)
	}
	_ = sink
}
