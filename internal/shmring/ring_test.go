package shmring

import (
	"errors"
	"math"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// region returns a fresh region over Go memory (64-byte aligned).
func region(t *testing.T, size int) *Region {
	t.Helper()
	buf := make([]byte, size+64)
	off := (64 - int(uintptr(unsafe.Pointer(&buf[0]))%64)) % 64
	r, err := New(buf[off:off+size], true)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLayout(t *testing.T) {
	if s := unsafe.Sizeof(Slot{}); s > SlotSize {
		t.Errorf("Slot is %d bytes, SlotSize %d", s, SlotSize)
	}
	if h := unsafe.Sizeof(header{}); h > HeaderSize {
		t.Errorf("header is %d bytes, HeaderSize %d", h, HeaderSize)
	}
	if HeaderSize+Slots*SlotSize > DataOffset {
		t.Errorf("slots end at %d, past DataOffset %d", HeaderSize+Slots*SlotSize, DataOffset)
	}
	// The offsets plugins/PROTOCOL.md documents for other languages.
	var sl Slot
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"Op", unsafe.Offsetof(sl.Op), 0}, {"Weight", unsafe.Offsetof(sl.Weight), 4}, {"Pos", unsafe.Offsetof(sl.Pos), 8},
		{"N", unsafe.Offsetof(sl.N), 12}, {"N2", unsafe.Offsetof(sl.N2), 16}, {"A", unsafe.Offsetof(sl.A), 24},
		{"B", unsafe.Offsetof(sl.B), 32}, {"C", unsafe.Offsetof(sl.C), 40}, {"Out", unsafe.Offsetof(sl.Out), 48},
		{"Nanos", unsafe.Offsetof(sl.Nanos), 56}, {"OutLen", unsafe.Offsetof(sl.OutLen), 64}, {"Status", unsafe.Offsetof(sl.Status), 68},
		{"ErrLen", unsafe.Offsetof(sl.ErrLen), 72}, {"Err", unsafe.Offsetof(sl.Err), 80},
	} {
		if f.got != f.want {
			t.Errorf("Slot.%s at %d, PROTOCOL.md says %d", f.name, f.got, f.want)
		}
	}
	// The counters each have a cache line: the sides never write the
	// same line.
	var h header
	if o := []uintptr{unsafe.Offsetof(h.submitted), unsafe.Offsetof(h.completed), unsafe.Offsetof(h.hostSleeping), unsafe.Offsetof(h.pluginSleeping)}; o[0] != 64 || o[1] != 128 || o[2] != 192 || o[3] != 256 {
		t.Errorf("counters at %v, PROTOCOL.md says 64 128 192 256", o)
	}
	offs := []uintptr{unsafe.Offsetof(h.submitted), unsafe.Offsetof(h.completed), unsafe.Offsetof(h.hostSleeping), unsafe.Offsetof(h.pluginSleeping)}
	for i := 1; i < len(offs); i++ {
		if offs[i]/64 == offs[i-1]/64 {
			t.Errorf("counters at %d and %d share a cache line", offs[i-1], offs[i])
		}
	}
}

func TestNewChecksHeader(t *testing.T) {
	r := region(t, DataOffset+64)
	if _, err := New(r.Bytes(), false); err != nil {
		t.Fatalf("a fresh header: %v", err)
	}
	r.hdr.version = 2
	if _, err := New(r.Bytes(), false); err == nil {
		t.Error("version 2 accepted")
	}
	if _, err := New(make([]byte, 100), true); err == nil {
		t.Error("a 100-byte region accepted")
	}
}

// TestBounds: operands outside the data part are refused, whatever a
// hostile offset or length says.
func TestBounds(t *testing.T) {
	r := region(t, DataOffset+64)
	for _, c := range []struct {
		off uint64
		n   int
		ok  bool
	}{
		{DataOffset, 16, true},
		{DataOffset + 60, 1, true},
		{DataOffset + 60, 2, false},
		{DataOffset - 4, 1, false}, // the slots are not operands
		{0, 1, false},
		{DataOffset + 2, 1, false}, // misaligned
		{DataOffset, -1, false},
		{1 << 63, math.MaxInt, false}, // wraps
	} {
		if got := r.Floats(c.off, c.n) != nil; got != c.ok {
			t.Errorf("Floats(%d, %d) ok = %v, want %v", c.off, c.n, got, c.ok)
		}
	}
	f := r.Floats(DataOffset+16, 4)
	if off, ok := r.Offset(f); !ok || off != DataOffset+16 {
		t.Errorf("Offset of a region slice = %d, %v", off, ok)
	}
	if _, ok := r.Offset(make([]float32, 4)); ok {
		t.Error("Offset of a heap slice is inside the region")
	}
}

// TestPingPong: many round trips between a host and a plugin goroutine,
// with both spinning and both sleeping, lose no wake-up.
func TestPingPong(t *testing.T) {
	for _, spin := range []time.Duration{0, 50 * time.Microsecond} {
		r := region(t, DataOffset+64)
		const n = 2000
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		last := r.Submitted() // before any Submit, as the plugin's Init does
		go func() {           // the plugin: doubles N into OutLen
			defer wg.Done()
			w := Wait{Spin: spin, Poll: time.Millisecond, Check: func() error {
				select {
				case <-stop:
					return errors.New("stop")
				default:
					return nil
				}
			}}
			for {
				seq, err := r.WaitSubmitted(last, w)
				if err != nil {
					return
				}
				for last != seq {
					last++
					sl := r.Slot(last)
					sl.OutLen = sl.N * 2
					r.Complete(last)
				}
			}
		}()
		for i := uint32(1); i <= n; i++ {
			sl := r.Slot(i)
			*sl = Slot{N: i}
			r.Submit(i)
			if err := r.WaitCompleted(i, Wait{Spin: spin, Poll: time.Second, Deadline: time.Now().Add(10 * time.Second)}); err != nil {
				t.Fatalf("spin %v: round trip %d: %v", spin, i, err)
			}
			if sl.OutLen != 2*i {
				t.Fatalf("spin %v: round trip %d answered %d", spin, i, sl.OutLen)
			}
		}
		close(stop)
		r.Interrupt()
		wg.Wait()
	}
}

// TestDeadlineAndCheck: a wait ends at its deadline, or when Check fails.
func TestDeadlineAndCheck(t *testing.T) {
	r := region(t, DataOffset+64)
	t0 := time.Now()
	err := r.WaitCompleted(1, Wait{Spin: time.Millisecond, Poll: 5 * time.Millisecond, Deadline: time.Now().Add(30 * time.Millisecond)})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if d := time.Since(t0); d < 30*time.Millisecond {
		t.Errorf("returned after %v, before the deadline", d)
	}
	dead := errors.New("the plugin died")
	if err := r.WaitCompleted(1, Wait{Poll: time.Millisecond, Check: func() error { return dead }}); err != dead {
		t.Fatalf("err = %v, want Check's", err)
	}
}

func TestSlotError(t *testing.T) {
	var s Slot
	long := make([]byte, 500)
	for i := range long {
		long[i] = 'x'
	}
	s.SetErr(3, string(long))
	if s.Status != 3 || len(s.ErrText()) != errMax {
		t.Errorf("status %d, %d bytes of message", s.Status, len(s.ErrText()))
	}
	s.ErrLen = 1 << 30 // a hostile length is clamped
	if len(s.ErrText()) != errMax {
		t.Errorf("hostile ErrLen gave %d bytes", len(s.ErrText()))
	}
}
