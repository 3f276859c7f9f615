package synthetic

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/kernels"
)

// Write writes the named synthetic model (see Model) to w in format f,
// streaming: checkpoint.FormatLegacy or FormatV1 (groupSize unused), or
// FormatQ8 quantized with groupSize (see Q8). The bytes are exactly what
// checkpoint.Write of Model(name), or checkpoint.WriteQ8 of Q8(name,
// groupSize), writes, but the weights are never held, so that
// "retrollama synthetic llama2-7B-q8 FILE" writes its 7 GB in tens of MB
// of memory: see WriteFromConfig.
func Write(w io.Writer, name string, f checkpoint.Format, groupSize int) error {
	cfg, ok := checkpoint.ShapeOf(name)
	if !ok {
		return fmt.Errorf("write synthetic:%s: %w", name, unknownShape(name))
	}
	return WriteFromConfig(w, cfg, seedOf(name), f, groupSize)
}

// writeSlots is how many chunks WriteFromConfig's workers may have
// generated ahead of the one being written, for each worker.
const writeSlots = 2

// WriteFromConfig writes FromConfig(cfg, seed) to w in format f, or with
// f FormatQ8 that model quantized with groupSize (Q8FromConfig's), byte
// for byte as checkpoint.Write or WriteQ8 would, without holding the
// model: the 64Ki-float chunks the synthetic weights are generated in
// (each from its own seeded generator) are generated, quantized and
// encoded by up to q8Workers goroutines into writeSlots reusable buffers
// each, and written in file order as they come. Its memory is those
// buffers (0.8 MB each), the list of chunks (about 20 MB allocated for
// Llama-2-7B's 103K chunks) and, for Q8_0, the encoded scales of one
// matrix, which the format writes after its values (8 MB for Llama-2-7B's
// token embedding): a 7 GB llama2-7B-q8 file is written in tens of MB.
// When groupSize does not divide a chunk (65536 values), chunks end
// inside groups and this function quantizes on the writing goroutine
// instead, carrying the partial group over. A write error stops the
// workers and is returned.
func WriteFromConfig(w io.Writer, cfg checkpoint.Config, seed uint64, f checkpoint.Format, groupSize int) error {
	return writeFromConfig(w, cfg, seed, f, groupSize, checkpoint.Quantize)
}

// writeFromConfig is WriteFromConfig quantizing with quantize.
func writeFromConfig(w io.Writer, cfg checkpoint.Config, seed uint64, f checkpoint.Format, groupSize int, quantize quantizer) error {
	name := fmt.Sprintf("synthetic:%v seed=%d", cfg, seed)
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	switch f {
	case checkpoint.FormatLegacy, checkpoint.FormatV1:
		groupSize = 0
	case checkpoint.FormatQ8:
		if err := cfg.CheckGroupSize(groupSize); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if quantize == nil {
			return fmt.Errorf("write %s: no quantizer", name)
		}
	default:
		return fmt.Errorf("write %s: unknown format %v", name, f)
	}
	if _, err := checkpoint.WeightBytes(cfg, f, true, checkpoint.Uniform(groupSize)); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	spans := checkpoint.Layout(cfg, f, true)

	// The generators are numbered by FormatV1's span order (FromConfig's
	// backing store); the file may order the spans otherwise (legacy).
	seedSpans := checkpoint.Layout(cfg, checkpoint.FormatV1, true)
	items := chunks(seedSpans)
	first := map[string]int{} // each tensor's first item, by name
	for i := len(items) - 1; i >= 0; i-- {
		first[seedSpans[items[i].span].Name] = i
	}
	count := map[string]int{}
	for _, it := range items {
		count[seedSpans[it.span].Name]++
	}
	var jobs []int // items in file order
	for _, s := range spans {
		for i := range count[s.Name] {
			jobs = append(jobs, first[s.Name]+i)
		}
	}

	workerQuantizes := f == checkpoint.FormatQ8 && fillChunk%groupSize == 0
	p := newWritePipeline(min(runtime.GOMAXPROCS(0), q8Workers), len(jobs), func(sl *writeSlot, j int) {
		it := items[jobs[j]]
		n := it.hi - it.lo
		sl.lo, sl.hi, sl.err = it.lo, it.hi, nil
		floats := sl.floats[:n]
		it.fill(floats, seed, jobs[j])
		switch {
		case f != checkpoint.FormatQ8 || !seedSpans[it.span].Matrix:
			sl.data = putFloats(sl.data[:0], floats)
		case workerQuantizes:
			q := q8Tensor(sl.q[:n], sl.scales[:n/groupSize], groupSize)
			if err := quantize(q, floats); err != nil {
				sl.err = fmt.Errorf("quantizing %s: %w", seedSpans[it.span].Desc, err)
				return
			}
			sl.data = putFloats(sl.data[:0], q.Scales) // the scales; the values stay in sl.q
		}
	})
	defer p.stop()

	e := checkpoint.NewEncoder(w)
	if err := e.Bytes(checkpoint.EncodeHeader(f, cfg, true, checkpoint.Uniform(groupSize))); err != nil {
		return fmt.Errorf("write %s header: %w", name, err)
	}
	var (
		instScales []byte         // encoded scales of the matrix being written
		carry      []float32      // a group cut by a chunk boundary (writer-side quantizing)
		q8         kernels.Tensor // writer-side quantizing's output
		scratch    []byte
	)
	j := 0
	for _, s := range spans {
		if s.Table {
			if err := e.Floats(checkpoint.FreqTable(cfg, s.Name == "freq_cis_imag")); err != nil {
				return fmt.Errorf("write %s %s: %w", name, s.Desc, err)
			}
			continue
		}
		quantized := f == checkpoint.FormatQ8 && s.Matrix
		elems := s.Elems()
		for range count[s.Name] {
			sl := p.next(j)
			j++
			if sl.err != nil {
				return fmt.Errorf("write %s: %w", name, sl.err)
			}
			var err error
			if !quantized {
				err = e.Bytes(sl.data)
			}
			// A chunk may hold the end of one matrix instance (layer) and
			// the start of the next: each instance's values come before
			// its scales.
			for a := sl.lo; quantized && a < sl.hi && err == nil; {
				end := (a/elems + 1) * elems
				b := min(sl.hi, end)
				if workerQuantizes {
					err = e.Int8s(sl.q[a-sl.lo : b-sl.lo])
					instScales = append(instScales, sl.data[(a-sl.lo)/groupSize*4:(b-sl.lo)/groupSize*4]...)
				} else {
					carry = append(carry, sl.floats[a-sl.lo:b-sl.lo]...)
					whole := len(carry) / groupSize * groupSize
					if cap(q8.Q8) < whole {
						q8 = q8Tensor(make([]int8, whole), make([]float32, whole/groupSize), groupSize)
					}
					dst := q8Tensor(q8.Q8[:whole], q8.Scales[:whole/groupSize], groupSize)
					if err = quantize(dst, carry[:whole]); err != nil {
						err = fmt.Errorf("quantizing %s: %w", s.Desc, err)
						break
					}
					carry = carry[:copy(carry, carry[whole:])]
					err = e.Int8s(dst.Q8)
					scratch = putFloats(scratch[:0], dst.Scales)
					instScales = append(instScales, scratch...)
				}
				if b == end && err == nil {
					err = e.Bytes(instScales)
					instScales = instScales[:0]
				}
				a = b
			}
			p.done(j - 1)
			if err != nil {
				return fmt.Errorf("write %s %s: %w", name, s.Desc, err)
			}
		}
	}
	if len(carry) != 0 || len(instScales) != 0 { // cannot happen: groups and chunks end with their spans
		return fmt.Errorf("write %s: internal error: %d values and %d scale bytes left over", name, len(carry), len(instScales))
	}
	if err := e.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// putFloats appends fs to dst as little-endian float32s.
func putFloats(dst []byte, fs []float32) []byte {
	for _, v := range fs {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(v))
	}
	return dst
}

// writeSlot is one reusable chunk buffer of a writePipeline: the floats
// generated for a chunk (lo, hi of its span) and their encoding (data;
// for Q8_0 chunks the encoded scales, with the values in q).
type writeSlot struct {
	lo, hi int
	floats []float32
	q      []int8
	scales []float32
	data   []byte
	err    error
	ready  chan struct{} // signalled when the slot holds its job
}

// writePipeline runs produce for jobs 0, 1, … on workers goroutines,
// at most len(slots) jobs ahead of the consumer, which takes them in
// order with next and hands each back with done.
type writePipeline struct {
	slots []*writeSlot
	free  chan struct{} // one token per job that may be produced ahead
	quit  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

// newWritePipeline starts the workers on jobs jobs.
func newWritePipeline(workers, jobs int, produce func(*writeSlot, int)) *writePipeline {
	workers = max(1, workers)
	p := &writePipeline{free: make(chan struct{}, workers*writeSlots), quit: make(chan struct{})}
	for range workers * writeSlots {
		p.slots = append(p.slots, &writeSlot{
			floats: make([]float32, fillChunk), q: make([]int8, fillChunk), scales: make([]float32, fillChunk),
			data: make([]byte, 0, 4*fillChunk), ready: make(chan struct{}, 1),
		})
		p.free <- struct{}{}
	}
	var nextJob atomic.Int64
	for range workers {
		p.wg.Go(func() {
			for {
				select {
				case <-p.quit:
					return
				case <-p.free:
				}
				// Jobs are taken in order, so the jobs produced but not
				// yet written are consecutive and fewer than the slots:
				// job j's slot is free.
				j := int(nextJob.Add(1) - 1)
				if j >= jobs {
					return
				}
				sl := p.slots[j%len(p.slots)]
				produce(sl, j)
				sl.ready <- struct{}{}
			}
		})
	}
	return p
}

// next waits for job j, the one after the last handed back.
func (p *writePipeline) next(j int) *writeSlot {
	sl := p.slots[j%len(p.slots)]
	<-sl.ready
	return sl
}

// done hands job j's slot back for a later job.
func (p *writePipeline) done(int) { p.free <- struct{}{} }

// stop ends the workers (after their current job) and waits for them.
func (p *writePipeline) stop() {
	p.once.Do(func() { close(p.quit) })
	p.wg.Wait()
}
