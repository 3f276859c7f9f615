// Package shmring is the data path between retrollama and an out-of-process
// kernel plugin: one shared-memory region, mapped by both processes, that
// holds a header with two sequence counters, a ring of request slots and
// the operands of the ops. The host writes a request into a slot and bumps
// the submitted counter; the plugin runs it, writes the completion into the
// same slot and bumps the completed counter. Each side waits for the other
// by spinning briefly and then sleeping on a futex on the counter, so a
// call costs a few microseconds when both sides are awake and no CPU when
// they are idle. plugins/PROTOCOL.md documents the layout for authors of
// plugins in other languages.
package shmring

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"
)

// Layout of the region. All integers are in the machine's byte order (the
// host and the plugin run on the same machine).
const (
	Magic      = 0x504b4c52 // "RLKP" in little-endian
	Version    = 1
	Slots      = 8    // ring slots; the host has at most one request in flight today
	HeaderSize = 4096 // counters, each on its own cache line
	SlotSize   = 256
	// DataOffset is where operands start: the region's first byte after
	// the header and the slots, page-aligned.
	DataOffset = 8192
	errMax     = 160
	// pureSpin is how long a wait spins without yielding the core.
	pureSpin = 50 * time.Microsecond
)

// Spin is how long both sides wait for the other before sleeping on the
// futex. It covers every op of a stories15M token, the 32000-row
// classifier included, and the host's work between two ops. Why 5 ms:
// RATIONALE.md, section "Kernel plugins", "The doorbell spins, then
// yields, then sleeps".
const Spin = 5 * time.Millisecond

// Op codes of a slot.
const (
	OpMatMul    = 1
	OpRMSNorm   = 2
	OpRoPE      = 3
	OpAttention = 4
	OpSwiGLU    = 5
	OpSoftmax   = 6
)

// header is the first bytes of the region.
type header struct {
	magic, version, slots, slotSize uint32
	_                               [48]byte
	submitted                       uint32 // written by the host; the plugin sleeps on it
	_                               [60]byte
	completed                       uint32 // written by the plugin; the host sleeps on it
	_                               [60]byte
	hostSleeping                    uint32 // 1 while the host sleeps on completed
	_                               [60]byte
	pluginSleeping                  uint32 // 1 while the plugin sleeps on submitted
}

// Slot is one request and, once completed, its answer. Offsets are byte
// offsets into the region; lengths count float32s.
type Slot struct {
	Op     uint32
	Weight uint32 // the handle Prepare returned (MatMul, RMSNorm)
	Pos    int32  // RoPE, Attention
	N      uint32 // length of A
	N2     uint32 // RoPE: length of B (k)
	_      uint32
	A, B   uint64 // operands, see PROTOCOL.md per op
	C      uint64
	Out    uint64
	// Nanos is set by the plugin to the time its kernel took, so the host
	// can tell the boundary's cost from the compute.
	Nanos uint64
	// OutLen is set by the host to the floats it expects and by the plugin
	// to the floats it wrote; the host refuses a mismatch.
	OutLen uint32
	Status int32 // 0 = success; otherwise Err holds the message
	ErrLen uint32
	_      uint32
	Err    [errMax]byte
}

// Region is the mapped shared memory.
type Region struct {
	mem []byte
	hdr *header
}

// ErrTimeout is returned when the other side did not answer in time.
var ErrTimeout = errors.New("timed out")

// New wraps mapped memory. init lays out a fresh header (the host); the
// plugin instead checks the header the host wrote.
func New(mem []byte, init bool) (*Region, error) {
	if len(mem) < DataOffset || uintptr(unsafe.Pointer(unsafe.SliceData(mem)))%64 != 0 {
		return nil, fmt.Errorf("shared region of %d bytes: too small or misaligned", len(mem))
	}
	r := &Region{mem: mem, hdr: (*header)(unsafe.Pointer(unsafe.SliceData(mem)))}
	if init {
		r.hdr.magic, r.hdr.version, r.hdr.slots, r.hdr.slotSize = Magic, Version, Slots, SlotSize
		return r, nil
	}
	if r.hdr.magic != Magic || r.hdr.version != Version || r.hdr.slots != Slots || r.hdr.slotSize != SlotSize {
		return nil, fmt.Errorf("shared region header %#x v%d %d×%d: want %#x v%d %d×%d",
			r.hdr.magic, r.hdr.version, r.hdr.slots, r.hdr.slotSize, Magic, Version, Slots, SlotSize)
	}
	return r, nil
}

// Bytes returns the whole region.
func (r *Region) Bytes() []byte { return r.mem }

// Floats returns n float32s at byte offset off, or nil when they are not
// inside the data part of the region.
func (r *Region) Floats(off uint64, n int) []float32 {
	size := uint64(len(r.mem))
	if off < DataOffset || off%4 != 0 || n < 0 || off > size || uint64(n) > (size-off)/4 { // no sum that can wrap
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&r.mem[off])), n)
}

// Offset returns the byte offset of s in the region's data part, and
// whether s lies wholly inside it.
func (r *Region) Offset(s []float32) (uint64, bool) {
	if len(s) == 0 {
		return 0, false
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(r.mem)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	if p < base+DataOffset || p+4*uintptr(len(s)) > base+uintptr(len(r.mem)) {
		return 0, false
	}
	return uint64(p - base), true
}

// Slot returns the slot of sequence number seq.
func (r *Region) Slot(seq uint32) *Slot {
	return (*Slot)(unsafe.Pointer(&r.mem[HeaderSize+int(seq%Slots)*SlotSize]))
}

// SetErr stores a failure in the slot (the message is truncated to fit).
func (s *Slot) SetErr(status int32, msg string) {
	s.Status = status
	s.ErrLen = uint32(copy(s.Err[:], msg))
}

// ErrText returns the slot's error message.
func (s *Slot) ErrText() string { return string(s.Err[:min(s.ErrLen, errMax)]) }

// Submitted returns the host's counter: the sequence number of the last
// request.
func (r *Region) Submitted() uint32 { return atomic.LoadUint32(&r.hdr.submitted) }

// Submit publishes the request written into Slot(seq), seq being
// Submitted()+1, and wakes the plugin if it sleeps.
func (r *Region) Submit(seq uint32) {
	atomic.StoreUint32(&r.hdr.submitted, seq)
	if atomic.LoadUint32(&r.hdr.pluginSleeping) != 0 {
		futexWake(&r.hdr.submitted)
	}
}

// Complete publishes the completion written into Slot(seq) and wakes the
// host if it sleeps.
func (r *Region) Complete(seq uint32) {
	atomic.StoreUint32(&r.hdr.completed, seq)
	if atomic.LoadUint32(&r.hdr.hostSleeping) != 0 {
		futexWake(&r.hdr.completed)
	}
}

// Interrupt wakes whoever sleeps on either counter, so that its wait
// calls Check at once (the plugin closing its ring loop).
func (r *Region) Interrupt() {
	futexWake(&r.hdr.submitted)
	futexWake(&r.hdr.completed)
}

// Completed returns the plugin's counter.
func (r *Region) Completed() uint32 { return atomic.LoadUint32(&r.hdr.completed) }

// Wait is how long each side spins before sleeping, how long each sleep
// lasts before Check is called, and the deadline (zero: none).
type Wait struct {
	Spin     time.Duration
	Poll     time.Duration
	Deadline time.Time
	// Check is called after every sleep; an error ends the wait (the
	// other process died, the host asked to stop).
	Check func() error
}

// WaitCompleted waits until the plugin has completed seq.
func (r *Region) WaitCompleted(seq uint32, w Wait) error {
	return wait(&r.hdr.completed, &r.hdr.hostSleeping, func(v uint32) bool { return v == seq }, w)
}

// WaitSubmitted waits until the host submits a request after last and
// returns its sequence number.
func (r *Region) WaitSubmitted(last uint32, w Wait) (uint32, error) {
	err := wait(&r.hdr.submitted, &r.hdr.pluginSleeping, func(v uint32) bool { return v != last }, w)
	return atomic.LoadUint32(&r.hdr.submitted), err
}

// wait spins on word until done, then sleeps on it with sleeping set so the
// other side knows to wake it. Both sides store their counter before
// loading the other's sleeping flag, and set their flag before loading the
// counter (sequentially consistent atomics), so a wake-up is never lost;
// the futex itself re-checks the value before sleeping.
//
// The spin has two phases: a tight loop for the first pureSpin, then a
// loop that gives the core away (sched_yield) between checks, so a
// plugin computing on every core is not starved by a host waiting for it.
// Sleeping is the last resort, since a futex wake-up costs far more than a
// round trip between spinning sides (RATIONALE.md, section "Kernel plugins").
func wait(word, sleeping *uint32, done func(uint32) bool, w Wait) error {
	start := time.Now()
	for i := 0; ; i++ {
		if done(atomic.LoadUint32(word)) {
			return nil
		}
		if i&255 == 255 {
			spun := time.Since(start)
			if spun >= w.Spin {
				break
			}
			if spun >= pureSpin {
				yield()
			}
		}
	}
	for {
		v := atomic.LoadUint32(word)
		atomic.StoreUint32(sleeping, 1)
		if v = atomic.LoadUint32(word); !done(v) {
			futexWait(word, v, w.Poll)
		}
		atomic.StoreUint32(sleeping, 0)
		if done(atomic.LoadUint32(word)) {
			return nil
		}
		if w.Check != nil {
			if err := w.Check(); err != nil {
				return err
			}
		}
		if !w.Deadline.IsZero() && time.Now().After(w.Deadline) {
			return ErrTimeout
		}
	}
}
