package pluginhost

import (
	"strings"
	"sync"
)

// tail keeps the last lines a plugin wrote to stderr, so that an error can
// quote what the plugin said before it died.
type tail struct {
	mu    sync.Mutex
	lines []string
	cur   []byte
	max   int
}

func newTail(n int) *tail { return &tail{max: n} }

// Write implements io.Writer (go-plugin tees the plugin's stderr here).
func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range b {
		if c != '\n' {
			if len(t.cur) < 4096 {
				t.cur = append(t.cur, c)
			}
			continue
		}
		t.lines = append(t.lines, string(t.cur))
		if len(t.lines) > t.max {
			t.lines = t.lines[len(t.lines)-t.max:]
		}
		t.cur = t.cur[:0]
	}
	return len(b), nil
}

// String renders the kept lines (and a partial last line), indented, for
// an error message; "" when the plugin wrote nothing.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if len(t.cur) > 0 {
		lines = append(lines[:len(lines):len(lines)], string(t.cur))
	}
	if len(lines) == 0 {
		return ""
	}
	return "\n  plugin stderr (last lines):\n    " + strings.Join(lines, "\n    ")
}
