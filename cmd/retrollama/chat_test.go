package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestChat drives chat mode on a synthetic model through stdin: the
// prompts appear as run.c prints them and end of input ends the chat.
func TestChat(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantPrefix string
		wantCount  map[string]int
	}{
		{
			name:       "system and user from stdin",
			args:       []string{"-n", "60"},
			stdin:      "be brief\nhello\n",
			wantPrefix: "Enter system prompt (optional): User: Assistant: ",
			wantCount:  map[string]int{"Assistant: ": 1},
		},
		{
			name:       "prompts from flags",
			args:       []string{"-n", "40", "-i", "hi", "-y", "sys"},
			stdin:      "",
			wantPrefix: "Assistant: ",
			wantCount:  map[string]int{"Enter system prompt": 0},
		},
		{
			name:       "end of input at once",
			args:       []string{"-n", "40"},
			stdin:      "",
			wantPrefix: "Enter system prompt (optional): User: \n",
			wantCount:  map[string]int{"Assistant: ": 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"run", "--synthetic", "stories260K", "-m", "chat", "-t", "0"}, tt.args...)
			var stdout, stderr bytes.Buffer
			if code := runMain(args, strings.NewReader(tt.stdin), &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			out := stdout.String()
			if !strings.HasPrefix(out, tt.wantPrefix) {
				t.Errorf("stdout %q does not start with %q", out, tt.wantPrefix)
			}
			for s, n := range tt.wantCount {
				if got := strings.Count(out, s); got != n {
					t.Errorf("%q appears %d times, want %d in %q", s, got, n, out)
				}
			}
		})
	}
}

// TestSyntheticDefault: with no checkpoint the run command works on a fresh
// machine, deterministically for a fixed seed.
func TestSyntheticDefault(t *testing.T) {
	run := func() string {
		var stdout, stderr bytes.Buffer
		if code := runMain([]string{"run", "--synthetic", "stories260K", "-s", "3", "-n", "30", "-i", "a"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		return stdout.String()
	}
	a, b := run(), run()
	if a != b || len(a) < 10 {
		t.Errorf("runs differ or are empty: %q vs %q", a, b)
	}
}

func TestHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := runMain([]string{"run", "-h"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(stdout.String(), "-y, --system prompt") || !strings.Contains(stdout.String(), "-t, --temperature float") {
		t.Errorf("usage missing: %q", stdout.String())
	}
}

// TestSyntheticQ8: "--synthetic NAME-q8" runs the Q8_0 quantization of
// the synthetic model, deterministically, on the Q8 matmul path (explain
// says q8_0), and its text is not the fp32 model's.
func TestSyntheticQ8(t *testing.T) {
	run := func(name string) string {
		var stdout, stderr bytes.Buffer
		if code := runMain([]string{"run", "--synthetic", name, "-t", "1", "-s", "5", "-n", "60", "-i", "a"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr.String())
		}
		return stdout.String()
	}
	q1, q2, f := run("stories260K-q8"), run("stories260K-q8"), run("stories260K")
	if q1 != q2 || len(q1) < 10 {
		t.Errorf("Q8 runs differ or are empty: %q vs %q", q1, q2)
	}
	if q1 == f {
		t.Errorf("Q8 and fp32 synthetic models print the same text %q: is the Q8 model used?", q1)
	}
	var stdout, stderr bytes.Buffer
	if code := runMain([]string{"kernels", "explain", "--synthetic", "stories260K-q8"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("explain: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "64×64 q8_0 wo×5, wq×5") || !strings.Contains(stdout.String(), "synthetic:stories260K-q8") {
		t.Errorf("explain does not show the Q8_0 matrices:\n%s", stdout.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := runMain([]string{"run", "--synthetic", "stories260K-q4"}, strings.NewReader(""), &stdout, &stderr); code == 0 || !strings.Contains(stderr.String(), `add "-q8" for Q8_0`) {
		t.Errorf("unknown suffix: exit %d, %q", code, stderr.String())
	}
}
