package p2isa

import (
	"strings"
	"testing"
)

const sample = `
08049000 <runtime.memmove>:
 8049000:	movdqu xmm0,XMMWORD PTR [esi]

08049100 <github.com/retrollama/retrollama/internal/kernels/x87.dot>:
 8049100:	mov    esi,DWORD PTR [esp+0x4]
 8049104:	fld    DWORD PTR [esi]
 8049106:	fmul   DWORD PTR [edi]
 8049108:	faddp  st(1),st
 804910a:	fcomip st,st(1)
 804910c:	cmovl  eax,ebx
 804910f:	lock xadd DWORD PTR [eax],ecx
 8049113:	rep stos DWORD PTR es:[edi],eax
 8049115:	movq   mm0,QWORD PTR [esi]
 8049118:	pmaddwd mm0,mm1
 804911b:	punpcklbw mm1,mm1
 804911e:	psraw  mm1,0x8
 8049121:	emms
 8049123:	jne    8049100 <github.com/retrollama/retrollama/internal/kernels/x87.dot>
 8049125:	ret
 8049126:	...

08049200 <github.com/retrollama/retrollama/kernels/bad.f>:
 8049200:	pshufw mm0,mm1,0x1b
 8049204:	movq   xmm0,QWORD PTR [esi]
 8049208:	mulss  xmm0,xmm1
 804920c:	fisttp DWORD PTR [esp]
 8049210:	prefetchnta BYTE PTR [esi]
 8049214:	(bad)
 8049215:	vfmadd231ps ymm0,ymm1,ymm2
 804921a:	popcnt eax,ebx
`

func ours(fn string) bool { return strings.HasPrefix(fn, "github.com/retrollama/retrollama/") }

func TestCheck(t *testing.T) {
	rep, err := Check(strings.NewReader(sample), ours)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Functions != 2 || rep.Instructions != 23 {
		t.Errorf("checked %d functions, %d instructions; want 2, 23", rep.Functions, rep.Instructions)
	}
	want := []string{"pshufw", "movq", "mulss", "fisttp", "prefetchnta", "(bad)", "vfmadd231ps", "popcnt"}
	if len(rep.Violations) != len(want) {
		t.Fatalf("violations:\n%v", rep.Violations)
	}
	for i, v := range rep.Violations {
		if !strings.HasPrefix(v.Text, want[i]) || v.Function != "github.com/retrollama/retrollama/kernels/bad.f" || v.Why == "" {
			t.Errorf("violation %d = %v, want %s in kernels/bad.f", i, v, want[i])
		}
	}
	if rep.Mnemonics["fld"] != 1 || rep.Mnemonics["xadd"] != 1 {
		t.Errorf("mnemonic counts: %s", rep.Summary())
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		text string
		ok   bool
	}{
		{"fsqrt", true}, {"fldcw  WORD PTR [esp]", true}, {"f2xm1", true}, {"fscale", true},
		{"fistp  DWORD PTR [esp]", true}, {"fcmovb st,st(1)", true}, {"femms", false},
		{"paddd  mm2,mm0", true}, {"paddd  xmm2,xmm0", false}, {"paddq  mm0,mm1", false},
		{"movd   eax,mm2", true}, {"movd   eax,xmm2", false}, {"psrlq  mm2,0x20", true},
		{"pmulhuw mm0,mm1", false}, {"psadbw mm0,mm1", false}, {"movntq QWORD PTR [edi],mm0", false},
		{"sete   al", true}, {"cmovge eax,ecx", true}, {"jbe    8049000", true}, {"jxx 0", false},
		{"sfence", false}, {"cpuid", true}, {"movs   DWORD PTR es:[edi],DWORD PTR ds:[esi]", true},
		{"movsd  xmm0,QWORD PTR [esi]", false}, {"ldmxcsr DWORD PTR [esp]", false},
	}
	for _, tt := range tests {
		_, why := classify(tt.text)
		if (why == "") != tt.ok {
			t.Errorf("classify(%q): why %q, want ok=%v", tt.text, why, tt.ok)
		}
	}
}
