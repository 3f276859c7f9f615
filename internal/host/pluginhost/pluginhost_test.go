package pluginhost_test

import (
	"bytes"
	"sync"

	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/retrollama/retrollama/internal/host/pluginhost"
	"github.com/retrollama/retrollama/internal/shmring"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
)

// transports are those this platform has: grpc everywhere, shm on Linux.
var transports = func() []string {
	if shmring.Supported() != nil {
		return []string{pluginhost.TransportGRPC}
	}
	return []string{pluginhost.TransportShm, pluginhost.TransportGRPC}
}()

// TestConformance: the Go example plugin passes the conformance suite on
// both transports (a fresh plugin process per call, as the suite wants a
// fresh provider).
func TestConformance(t *testing.T) {
	path := build(t, "plugins/goplugin")
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			conformance.Test(t, "plugin.goplugin", func() kernels.Provider {
				p, err := pluginhost.New(pluginhost.Options{Name: "plugin.goplugin", Path: path, Transport: tr, Threads: 1})
				if err != nil {
					panic(err) // the suite reports a panicking factory as a failure
				}
				if p.Transport() != tr {
					panic("transport " + p.Transport() + ", want " + tr)
				}
				return p
			})
		})
	}
}

var shape = kernels.Shape{Dim: 16, HiddenDim: 32, Heads: 2, KVHeads: 2, SeqLen: 8, VocabSize: 40, Layers: 2}

// started is a plugin the fault tests drive: its provider, a prepared
// 16×16 matrix and the process ID the plugin wrote.
type started struct {
	p   *pluginhost.Provider
	w   kernels.Weight
	pid int
}

// start launches the fault plugin with args, and inits and prepares it
// when it starts.
func start(t *testing.T, tr string, o pluginhost.Options, args ...string) (*started, error) {
	t.Helper()
	pidFile := filepath.Join(t.TempDir(), "pid")
	o.Name, o.Transport = "plugin.fault", tr
	if o.Path == "" {
		o.Path = build(t, "plugins/kernelplugin/internal/faultplugin")
	}
	o.Args = append([]string{"-pidfile", pidFile}, args...)
	s := &started{}
	t.Cleanup(func() {
		if s.pid == 0 {
			if b, err := os.ReadFile(pidFile); err == nil {
				s.pid, _ = strconv.Atoi(string(b))
			}
		}
		if s.p != nil {
			s.p.Close()
		}
		if s.pid != 0 && alive(s.pid) {
			t.Errorf("plugin process %d still runs after Close", s.pid)
			syscall.Kill(s.pid, syscall.SIGKILL)
		}
	})
	p, err := pluginhost.New(o)
	if b, e := os.ReadFile(pidFile); e == nil {
		s.pid, _ = strconv.Atoi(string(b))
	}
	if err != nil {
		return s, err
	}
	s.p = p
	if err := p.Init(shape); err != nil {
		return s, err
	}
	w := make([]float32, 16*16)
	for i := range w {
		w[i] = float32(i%5) - 2
	}
	s.w, err = p.Prepare(kernels.Tensor{Name: "w", DType: kernels.F32, Rows: 16, Cols: 16, F32: w})
	return s, err
}

// alive reports whether a process exists (go-plugin reaps its plugins, so
// a dead one leaves no zombie).
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// matmuls calls MatMul n times and returns the first error and its call.
func (s *started) matmuls(n int) (int, error) {
	x, out := make([]float32, 16), make([]float32, 16)
	for i := 1; i <= n; i++ {
		if err := s.p.MatMul(out, s.w, x); err != nil {
			return i, err
		}
	}
	return 0, nil
}

// TestFaultsDuringCalls: a plugin that crashes, panics, hangs or lies
// about lengths mid-run gives an error naming the provider, the binary,
// what happened and the plugin's last stderr lines; every later call
// fails at once with it; and the process is gone.
func TestFaultsDuringCalls(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want []string // substrings of the error
	}{
		{"crash", []string{"-crash-after", "3"}, []string{"the plugin process exited", "crashing at op call 3 as asked"}},
		{"panic", []string{"-panic-after", "3"}, []string{"the plugin process exited", "panicking at op call 3 as asked"}},
		{"hang", []string{"-hang-after", "3"}, []string{"no answer within call_timeout 500ms; the plugin was killed", "hanging at op call 3 as asked"}},
		{"wrong-length", []string{"-wrong-length"}, []string{"answered with 17", "where the op has 16", "breaks the protocol"}},
	}
	for _, tr := range transports {
		for _, c := range cases {
			t.Run(tr+"/"+c.name, func(t *testing.T) {
				s, err := start(t, tr, pluginhost.Options{CallTimeout: 500 * time.Millisecond}, c.args...)
				if err != nil {
					t.Fatal(err)
				}
				t0 := time.Now()
				at, err := s.matmuls(5)
				if err == nil {
					t.Fatal("five calls succeeded")
				}
				if wantAt := map[bool]int{true: 1, false: 3}[c.name == "wrong-length"]; at != wantAt {
					t.Errorf("failed at call %d, want %d", at, wantAt)
				}
				msg := err.Error()
				for _, want := range append([]string{"plugin provider plugin.fault", "faultplugin"}, c.want...) {
					if !strings.Contains(msg, want) {
						t.Errorf("error lacks %q:\n%s", want, msg)
					}
				}
				if d := time.Since(t0); d > 5*time.Second {
					t.Errorf("the failure took %v to report", d)
				}
				if _, again := s.matmuls(1); again == nil || again.Error() != msg {
					t.Errorf("a later call: %v, want the same error", again)
				}
				if s.pid == 0 {
					t.Fatal("no pid")
				}
				if alive(s.pid) {
					t.Errorf("plugin process %d still runs after the failure", s.pid)
				}
			})
		}
	}
}

// TestFaultsAtStart: a plugin that exits before the handshake, speaks
// another protocol version, or whose binary does not match the sha256 pin
// is refused with a clear error, and leaves no process.
func TestFaultsAtStart(t *testing.T) {
	cases := []struct {
		name string
		o    pluginhost.Options
		args []string
		want []string
		runs bool // whether the binary gets to run at all
	}{
		{"exit-at-start", pluginhost.Options{}, []string{"-exit-at-start"}, []string{"start:", "exiting at start as asked"}, true},
		{"wrong-protocol", pluginhost.Options{}, []string{"-protocol", "2"}, []string{"start:", "incompatible API version", "Plugin version: 2"}, true},
		{"checksum", pluginhost.Options{SHA256: strings.Repeat("0", 64)}, nil, []string{"sha256 of", "kernels.hcl pins 0000", "refusing to run"}, false},
		{"protocol-option", pluginhost.Options{ProtocolVersion: 2}, nil, []string{"protocol_version 2: this build speaks protocol 1"}, false},
		{"missing", pluginhost.Options{Path: filepath.Join(t.TempDir(), "nothing")}, nil, []string{"no such file", "make plugins"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := start(t, pluginhost.TransportAuto, c.o, c.args...)
			if err == nil {
				t.Fatal("started")
			}
			for _, want := range c.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if ran := s.pid != 0; ran != c.runs {
				t.Errorf("the binary ran: %v, want %v", ran, c.runs)
			}
			if s.pid != 0 && alive(s.pid) {
				t.Errorf("plugin process %d still runs", s.pid)
			}
		})
	}
}

// TestChecksumPin: the right sha256 starts the plugin.
func TestChecksumPin(t *testing.T) {
	path := build(t, "plugins/kernelplugin/internal/faultplugin")
	sum, err := fileSum(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := start(t, pluginhost.TransportAuto, pluginhost.Options{SHA256: strings.ToUpper(sum)}); err != nil {
		t.Fatal(err)
	}
}

// startOnShm starts the fault plugin on transport tr where the
// shared-memory transport exists (skipping t elsewhere), failing t if it
// does not start.
func startOnShm(t *testing.T, tr string) *started {
	t.Helper()
	if err := shmring.Supported(); err != nil {
		t.Skip("no shared-memory transport here: ", err)
	}
	s, err := start(t, tr, pluginhost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTransportAuto: auto picks shm on Linux, and explain says why.
func TestTransportAuto(t *testing.T) {
	s := startOnShm(t, pluginhost.TransportAuto)
	if s.p.Transport() != pluginhost.TransportShm {
		t.Errorf("transport %s, want shm", s.p.Transport())
	}
	if d := s.p.Describe(); !strings.Contains(d, "transport shm (auto: Linux memfd + futex") {
		t.Errorf("Describe: %s", d)
	}
	if _, err := s.matmuls(3); err != nil {
		t.Fatal(err)
	}
}

// TestCachesInSharedMemory: caches from AllocCache are passed in place
// and give the same attention as caches the engine allocated itself.
func TestCachesInSharedMemory(t *testing.T) {
	s := startOnShm(t, pluginhost.TransportShm)
	n := shape.SeqLen * shape.KVDim()
	var shared [][]float32
	for range 2 * shape.Layers {
		c := s.p.AllocCache(n)
		if len(c) != n {
			t.Fatalf("AllocCache(%d) gave %d floats", n, len(c))
		}
		shared = append(shared, c)
	}
	if extra := s.p.AllocCache(n); extra != nil {
		t.Errorf("AllocCache past the layers' room gave %d floats", len(extra))
	}
	keys, values := make([]float32, n), make([]float32, n)
	for i := range keys {
		keys[i], values[i] = float32(i%7)-3, float32(i%5)-2
	}
	copy(shared[0], keys)
	copy(shared[1], values)
	q := make([]float32, shape.Dim)
	for i := range q {
		q[i] = float32(i%3) - 1
	}
	pos := shape.SeqLen - 1
	inPlace, copied := make([]float32, shape.Dim), make([]float32, shape.Dim)
	if err := s.p.Attention(inPlace, q, shared[0], shared[1], pos); err != nil {
		t.Fatal(err)
	}
	if err := s.p.Attention(copied, q, keys, values, pos); err != nil {
		t.Fatal(err)
	}
	for i := range inPlace {
		if inPlace[i] != copied[i] {
			t.Fatalf("out[%d]: %v in place, %v copied", i, inPlace[i], copied[i])
		}
	}
}

func fileSum(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return sha256Hex(b), nil
}

// TestPluginLogs: the plugin's hclog lines arrive in the host's log under
// the provider's name, with their levels.
func TestPluginLogs(t *testing.T) {
	var buf syncBuffer
	log := hclog.New(&hclog.LoggerOptions{Name: "retrollama", Output: &buf, Level: hclog.Info}).Named("plugin.fault")
	if _, err := start(t, pluginhost.TransportAuto, pluginhost.Options{Logger: log}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(buf.String(), "provider open") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	line := ""
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.Contains(l, "provider open") {
			line = l
		}
	}
	if !strings.Contains(line, "[INFO]") || !strings.Contains(line, "retrollama.plugin.fault") || !strings.Contains(line, "name=scalar") {
		t.Errorf("the plugin's info line is not in the host's log as info under the provider's name:\n%s", buf.String())
	}
}

// syncBuffer is a bytes.Buffer safe for go-plugin's logging goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
