package wasmhost

import (
	"errors"
	"fmt"
)

// precheck walks a module's sections and refuses one whose declared
// counts and lengths exceed the bytes that follow them. wazero allocates
// a vector for a declared count before reading its entries: fuzzing found
// a 109-byte module declaring ~100 million exports that took 13 s and
// gigabytes to refuse, and a type with 200 million parameters
// (testdata/fuzz/FuzzModule). precheck parses the sections where such a
// count hides (type, import, export, code, data, custom names) and the
// leading count of every vector section; what it does not understand it
// leaves to wazero, which validates everything.
func precheck(b []byte) error {
	if len(b) < 8 || string(b[:4]) != "\x00asm" {
		return errors.New("not a WebAssembly module (no \\0asm magic)")
	}
	for off := 8; off < len(b); {
		id := b[off]
		size, n, err := uleb32(b[off+1:])
		if err != nil {
			return fmt.Errorf("section %d at byte %d: size: %w", id, off, err)
		}
		start := off + 1 + n
		if uint64(start)+uint64(size) > uint64(len(b)) {
			return fmt.Errorf("section %d at byte %d: %d bytes declared, %d left in the file", id, off, size, len(b)-start)
		}
		r := &reader{b: b[start : start+int(size)]}
		if err := checkSection(id, r); err != nil {
			return fmt.Errorf("section %d at byte %d: %w", id, off, err)
		}
		off = start + int(size)
	}
	return nil
}

// errStop ends the check of a section at something precheck does not
// parse (a newer encoding): wazero judges the rest.
var errStop = errors.New("stop")

func checkSection(id byte, r *reader) error {
	var err error
	switch id {
	case 0: // custom: a name, then bytes
		_, err = r.bytes("custom section name")
	case 1: // type: vec(0x60 vec(valtype) vec(valtype))
		err = r.vector("types", func() error {
			if form, err := r.byte(); err != nil || form != 0x60 {
				return errStop
			}
			for range 2 {
				if _, err := r.bytes("parameter or result types"); err != nil {
					return err
				}
			}
			return nil
		})
	case 2: // import: vec(name name desc)
		err = r.vector("imports", func() error {
			if _, err := r.bytes("module name"); err != nil {
				return err
			}
			if _, err := r.bytes("import name"); err != nil {
				return err
			}
			return errStop // the descriptor's forms are wazero's to read
		})
	case 7: // export: vec(name kind index)
		err = r.vector("exports", func() error {
			if _, err := r.bytes("export name"); err != nil {
				return err
			}
			if _, err := r.byte(); err != nil {
				return err
			}
			_, err := r.uleb("export index")
			return err
		})
	case 10: // code: vec(size locals body)
		err = r.vector("function bodies", func() error {
			body, err := r.bytes("function body")
			if err != nil {
				return err
			}
			fr := &reader{b: body}
			var locals uint64
			return fr.vector("local declarations", func() error {
				n, err := fr.uleb("local count")
				if err != nil {
					return err
				}
				if locals += uint64(n); locals > uint64(len(body))*8+1024 {
					// wazero sizes the locals of a function from the sum
					return fmt.Errorf("a function declares %d+ locals in a %d-byte body", locals, len(body))
				}
				_, err = fr.byte()
				return err
			})
		})
	case 11: // data: vec(segment), each an optional memory and offset, then bytes
		err = r.vector("data segments", func() error {
			kind, err := r.uleb("data segment kind")
			if err != nil {
				return err
			}
			switch kind {
			case 2:
				if _, err := r.uleb("memory index"); err != nil {
					return err
				}
				fallthrough
			case 0:
				if err := r.constExpr(); err != nil {
					return err
				}
			case 1:
			default:
				return errStop
			}
			_, err = r.bytes("data segment bytes")
			return err
		})
	case 3, 4, 5, 6, 9, 13: // vectors whose entries are small
		err = r.vector("entries", func() error { return errStop })
	}
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// reader reads one section's bytes.
type reader struct {
	b   []byte
	off int
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) byte() (byte, error) {
	if r.left() < 1 {
		return 0, errors.New("truncated")
	}
	r.off++
	return r.b[r.off-1], nil
}

func (r *reader) uleb(what string) (uint32, error) {
	v, n, err := uleb32(r.b[r.off:])
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	r.off += n
	return v, nil
}

// constExpr skips the usual offset expressions (i32.const, i64.const,
// global.get, then end); anything else stops the check.
func (r *reader) constExpr() error {
	op, err := r.byte()
	if err != nil {
		return err
	}
	switch op {
	case 0x41, 0x42, 0x23: // i32.const, i64.const, global.get: one LEB128 each
		for {
			c, err := r.byte()
			if err != nil {
				return err
			}
			if c&0x80 == 0 {
				break
			}
		}
	default:
		return errStop
	}
	if end, err := r.byte(); err != nil || end != 0x0b {
		return errStop
	}
	return nil
}

// bytes reads a length-prefixed byte string (a name, a body, a vector
// of one-byte entries), checking the length against what is left.
func (r *reader) bytes(what string) ([]byte, error) {
	n, err := r.uleb(what)
	if err != nil {
		return nil, err
	}
	if uint64(n) > uint64(r.left()) {
		return nil, fmt.Errorf("%s of %d bytes with %d left", what, n, r.left())
	}
	r.off += int(n)
	return r.b[r.off-int(n) : r.off], nil
}

// vector reads a count, checks it against the bytes left (every entry
// takes at least one) and calls entry for each.
func (r *reader) vector(what string, entry func() error) error {
	n, err := r.uleb(what + " count")
	if err != nil {
		return err
	}
	if uint64(n) > uint64(r.left()) {
		return fmt.Errorf("declares %d %s in %d bytes", n, what, r.left())
	}
	for range n {
		if err := entry(); err != nil {
			return err
		}
	}
	return nil
}

// uleb32 decodes an unsigned LEB128 of at most 32 bits; it returns the
// value and the bytes read.
func uleb32(b []byte) (uint32, int, error) {
	var v uint32
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, 0, errors.New("truncated LEB128")
		}
		c := b[i]
		if i == 4 && c > 0x0f {
			return 0, 0, errors.New("LEB128 over 32 bits")
		}
		v |= uint32(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errors.New("LEB128 over 32 bits")
}
