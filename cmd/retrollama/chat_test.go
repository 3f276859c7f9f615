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
	if !strings.Contains(stdout.String(), "-y <string>") {
		t.Errorf("usage missing: %q", stdout.String())
	}
}
