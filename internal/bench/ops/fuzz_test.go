package ops

import (
	"bytes"
	"os"
	"testing"
)

// FuzzReadSweepJSON: any bytes either parse into a sweep that writes back
// and reads again the same, or give an error; never a panic.
func FuzzReadSweepJSON(f *testing.F) {
	if seed, err := os.ReadFile("testdata/sweep_v1.json"); err == nil {
		f.Add(seed)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"kind":"retrollama-sweep","schema":1,"results":[{}]}`))
	f.Add([]byte(`[1,2`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadSweepJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := WriteSweepJSON(&b, r); err != nil {
			t.Fatalf("a sweep that was read does not write: %v", err)
		}
		if _, err := ReadSweepJSON(&b); err != nil {
			t.Fatalf("a sweep written back does not read: %v", err)
		}
	})
}
