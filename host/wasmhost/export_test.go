package wasmhost

// Poke writes one byte of the module's memory: tests release a module
// spinning on a flag (testdata/spin.wat) so an abandoned call ends.
func Poke(p *Provider, off uint32, v byte) { p.mem.WriteByte(off, v) }
