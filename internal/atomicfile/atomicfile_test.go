package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWrite checks that success replaces the file completely
// and that any failure leaves the old file (or no file) and no temporary
// file behind.
func TestWrite(t *testing.T) {
	errWrite := errors.New("disk on fire")
	tests := []struct {
		name     string
		existing string // "" means no file beforehand
		write    func(io.Writer) error
		panics   bool
		wantErr  bool
		want     string // content afterwards; "" with !exists means absent
	}{
		{
			name:  "new file",
			write: func(w io.Writer) error { _, err := io.WriteString(w, "hello\n"); return err },
			want:  "hello\n",
		},
		{
			name:     "replaces existing",
			existing: "old contents that are longer\n",
			write:    func(w io.Writer) error { _, err := io.WriteString(w, "new\n"); return err },
			want:     "new\n",
		},
		{
			name:    "failing write leaves no file",
			write:   func(w io.Writer) error { io.WriteString(w, "partial"); return errWrite },
			wantErr: true,
		},
		{
			name:     "failing write keeps the old file",
			existing: "old\n",
			write:    func(w io.Writer) error { io.WriteString(w, strings.Repeat("x", 1<<20)); return errWrite },
			wantErr:  true,
			want:     "old\n",
		},
		{
			name:   "panicking write leaves no file",
			write:  func(w io.Writer) error { io.WriteString(w, "partial"); panic("boom") },
			panics: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.html")
			if tt.existing != "" {
				if err := os.WriteFile(path, []byte(tt.existing), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var err error
			func() {
				defer func() {
					if p := recover(); (p != nil) != tt.panics {
						t.Errorf("panic = %v, want panic %v", p, tt.panics)
					}
				}()
				err = Write(path, tt.write)
			}()
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, errWrite) {
				t.Errorf("err = %v does not wrap the write error", err)
			}
			got, readErr := os.ReadFile(path)
			switch {
			case tt.want == "" && !os.IsNotExist(readErr):
				t.Errorf("file exists (%q), want none", got)
			case tt.want != "" && string(got) != tt.want:
				t.Errorf("file = %q (%v), want %q", got, readErr, tt.want)
			}
			if tt.existing != "" && tt.want != "" {
				if st, err := os.Stat(path); err == nil && st.Mode().Perm() != 0o600 {
					t.Errorf("mode %v, want the existing file's 0600", st.Mode().Perm())
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if e.Name() != "out.html" {
					t.Errorf("left behind %s", e.Name())
				}
			}
		})
	}
}

// TestWriteBadDir checks a missing directory is an error, not a
// file somewhere else.
func TestWriteBadDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "out.json")
	err := Write(path, func(w io.Writer) error { return nil })
	if err == nil {
		t.Fatal("no error for a missing directory")
	}
}

// TestWriteNewMode checks a new file is readable by others, as
// report files are meant to be shared.
func TestWriteNewMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	if err := Write(path, func(w io.Writer) error { return nil }); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
}
