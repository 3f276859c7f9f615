package kernelsfile

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDescribe: the list lines name the protocol or ABI, the timeout as
// declared (0 the default, < 0 off) and the engine the host chose or why
// it cannot run.
func TestDescribe(t *testing.T) {
	host := WASMHost{ABIVersion: 1, DefaultTimeout: 10 * time.Second, ChooseEngine: func(e string) (string, string, error) {
		if e == "compiler" {
			return "", "", errors.New("engine compiler: no compiler here")
		}
		return "interpreter", "configured", nil
	}}
	tests := []struct {
		name string
		got  string
		want []string
	}{
		{"plugin-default", (&Plugin{Transport: "grpc"}).Describe(), []string{"transport grpc", "call timeout ", "not pinned"}},
		{"plugin-off-pinned", (&Plugin{Transport: "shm", CallTimeout: -1, SHA256: "ab"}).Describe(), []string{"transport shm", "call timeout off", "sha256 pinned"}},
		{"wasm-default", (&WASM{Engine: "interpreter"}).Describe(host), []string{"WASM module (ABI v1) on the interpreter (configured); timeout 10s"}},
		{"wasm-none", (&WASM{Engine: "interpreter", Timeout: -1}).Describe(host), []string{"; no timeout"}},
		{"wasm-set", (&WASM{Engine: "interpreter", Timeout: 2 * time.Second}).Describe(host), []string{"; timeout 2s"}},
		{"wasm-cannot", (&WASM{Engine: "compiler"}).Describe(host), []string{"WASM module (ABI v1): engine compiler: no compiler here"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, w := range tt.want {
				if !strings.Contains(tt.got, w) {
					t.Errorf("%q does not contain %q", tt.got, w)
				}
			}
		})
	}
}
