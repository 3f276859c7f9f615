// Package p2isa checks that machine code uses only instructions a Pentium
// II executes: the i686 integer set (with CMOV), the x87 FPU and MMX. It
// reads the Intel-syntax disassembly GNU objdump prints ("go tool objdump"
// does not decode MMX or SSE and prints nothing for them), which matters
// because QEMU's -cpu pentium2 silently runs the SSE-era integer
// extensions on MMX registers (PSHUFW, PMINUB, PSADBW, …) that a real
// Pentium II rejects: only a static check catches those.
package p2isa

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// Violation is one instruction a Pentium II lacks, in one function.
type Violation struct {
	Function string // symbol name
	Address  string // hexadecimal address from objdump
	Text     string // the instruction as objdump printed it
	Why      string // what is wrong with it
}

func (v Violation) String() string {
	return fmt.Sprintf("%s at %s: %q: %s", v.Function, v.Address, v.Text, v.Why)
}

// Report is the result of checking a disassembly.
type Report struct {
	Functions    int            // functions checked
	Instructions int            // instructions checked
	Mnemonics    map[string]int // count of each mnemonic seen in checked functions
	Violations   []Violation
}

var (
	funcHeader = regexp.MustCompile(`^[0-9a-f]+ <(.+)>:$`)
	instrLine  = regexp.MustCompile(`^\s*([0-9a-f]+):\s+(.*)$`)
	// Registers of SSE and later: XMM, YMM, ZMM, and AVX-512 masks.
	sseRegister = regexp.MustCompile(`\b(xmm|ymm|zmm)[0-9]+\b|\bk[0-7]\b`)
)

// prefixes objdump prints before a mnemonic.
var prefixes = map[string]bool{
	"lock": true, "rep": true, "repz": true, "repe": true, "repnz": true, "repne": true,
	"data16": true, "addr16": true, "cs": true, "ds": true, "es": true, "ss": true, "fs": true, "gs": true,
	"notrack": true, "bnd": true,
}

// Check reads objdump -d -M intel output from r and checks every function
// for which include returns true.
func Check(r io.Reader, include func(function string) bool) (Report, error) {
	rep := Report{Mnemonics: map[string]int{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	fn, checking := "", false
	for sc.Scan() {
		line := sc.Text()
		if m := funcHeader.FindStringSubmatch(line); m != nil {
			fn, checking = m[1], include(m[1])
			if checking {
				rep.Functions++
			}
			continue
		}
		if !checking {
			continue
		}
		m := instrLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		addr, text := m[1], strings.TrimSpace(m[2])
		if text == "" || strings.HasPrefix(text, "...") {
			continue
		}
		rep.Instructions++
		mnemonic, why := classify(text)
		rep.Mnemonics[mnemonic]++
		if why != "" {
			rep.Violations = append(rep.Violations, Violation{Function: fn, Address: addr, Text: text, Why: why})
		}
	}
	if err := sc.Err(); err != nil {
		return rep, fmt.Errorf("reading disassembly: %w", err)
	}
	return rep, nil
}

// classify returns the instruction's mnemonic and, when a Pentium II
// cannot execute it, why.
func classify(text string) (mnemonic, why string) {
	fields := strings.Fields(text)
	for len(fields) > 1 && prefixes[fields[0]] {
		fields = fields[1:]
	}
	if len(fields) == 0 {
		return "", "empty instruction"
	}
	mnemonic = fields[0]
	operands := strings.Join(fields[1:], " ")
	if mnemonic == "(bad)" {
		return mnemonic, "objdump could not decode it"
	}
	if sseRegister.MatchString(operands) {
		return mnemonic, "uses an SSE/AVX register (the Pentium II has none)"
	}
	switch {
	case integer[mnemonic], mmx[mnemonic], conditional(mnemonic):
		return mnemonic, ""
	case strings.HasPrefix(mnemonic, "f") && !notX87[mnemonic]:
		return mnemonic, ""
	case notMMX[mnemonic]:
		return mnemonic, "SSE-era extension on MMX registers (QEMU runs it, a real Pentium II raises #UD)"
	}
	return mnemonic, "not in the i686 + x87 + MMX allow-list"
}

// conditional accepts the i686 condition-code families: jcc, setcc, cmovcc.
func conditional(m string) bool {
	for _, p := range []string{"cmov", "set", "j"} {
		if cc, ok := strings.CutPrefix(m, p); ok && conditionCodes[cc] {
			return true
		}
	}
	return m == "jmp" || m == "jecxz" || m == "jcxz"
}

var conditionCodes = set("o no b nb ae nae c nc e z ne nz be nbe a na s ns p np pe po l nl ge nge le nle g ng")

// integer is the i686 integer instruction set a Go program (compiled code
// and the assembly of this module) can contain.
var integer = set(`mov movzx movsx movsb movsw movsd movs lea xchg xadd cmpxchg cmpxchg8b bswap
add adc sub sbb inc dec neg cmp imul mul idiv div not and or xor test
shl shr sar sal rol ror rcl rcr shld shrd bt bts btr btc bsf bsr
push pop pusha popa pushf popf pushfd popfd lahf sahf cwd cdq cbw cwde
call ret leave enter nop int int3 into ud2 hlt
stos stosb stosw stosd lods lodsb lodsw lodsd scas scasb scasw scasd cmps cmpsb cmpsw cmpsd
cld std clc stc cmc cpuid rdtsc rdmsr sysenter loop loope loopne xlat wait`)

// mmx is the Pentium MMX instruction set (on MMX registers only; the
// operand check above rejects the XMM forms SSE2 added).
var mmx = set(`emms movd movq packsswb packssdw packuswb paddb paddw paddd paddsb paddsw paddusb paddusw
pand pandn por pxor pcmpeqb pcmpeqw pcmpeqd pcmpgtb pcmpgtw pcmpgtd pmaddwd pmulhw pmullw
psllw pslld psllq psraw psrad psrlw psrld psrlq psubb psubw psubd psubsb psubsw psubusb psubusw
punpckhbw punpckhwd punpckhdq punpcklbw punpcklwd punpckldq`)

// notMMX are the instructions SSE and SSE2 added on MMX registers, and
// the cache hints SSE added.
var notMMX = set(`pshufw pminub pmaxub pminsw pmaxsw pavgb pavgw pmulhuw psadbw pmovmskb pextrw pinsrw
movntq maskmovq paddq psubq pmuludq prefetchnta prefetcht0 prefetcht1 prefetcht2 sfence lfence mfence clflush`)

// notX87 are f-mnemonics the Pentium II lacks (SSE3's fisttp, 3DNow!'s femms; the fxsave
// pair is FXSR, which the Pentium II has).
var notX87 = set(`fisttp femms`)

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// Summary lists the mnemonics seen, most frequent first, for logs.
func (r Report) Summary() string {
	type kv struct {
		k string
		v int
	}
	var all []kv
	for k, v := range r.Mnemonics {
		all = append(all, kv{k, v})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v > all[j].v || all[i].v == all[j].v && all[i].k < all[j].k })
	var b strings.Builder
	for _, e := range all {
		fmt.Fprintf(&b, "%s:%d ", e.k, e.v)
	}
	return strings.TrimSpace(b.String())
}
