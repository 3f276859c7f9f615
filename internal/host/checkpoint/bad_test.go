package checkpoint

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// contains is strings.Contains, named for readability in test tables.
func contains(s, sub string) bool { return strings.Contains(s, sub) }

// legacyHeader encodes a raw legacy header, bypassing Write's validation.
func legacyHeader(f ...int32) []byte {
	b := make([]byte, 0, 4*len(f))
	for _, v := range f {
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	return b
}

// v1Header encodes a raw 256-byte versioned header with the given version.
func v1Header(version int32, shared byte, f ...int32) []byte {
	b := binary.LittleEndian.AppendUint32(nil, magic)
	b = binary.LittleEndian.AppendUint32(b, uint32(version))
	b = append(b, legacyHeader(f...)...)
	b = append(b, shared)
	return append(b, make([]byte, v1HeaderSize-len(b))...)
}

// q8Header encodes a raw 256-byte version 2 header with the given group
// size.
func q8Header(shared byte, gs int32, f ...int32) []byte {
	b := v1Header(2, shared, f...)
	binary.LittleEndian.PutUint32(b[groupSizeOffset:], uint32(gs))
	return b
}

// TestParseBadInput feeds broken files to Parse and Open: each must give a
// one-line error naming the file and the problem, never a panic or a huge
// allocation.
func TestParseBadInput(t *testing.T) {
	good := encode(t, FormatLegacy, synth(t, tinyGQA, true))
	goodV1 := encode(t, FormatV1, synth(t, tinyGQA, false))
	// Valid shape fields: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len.
	ok := []int32{16, 24, 2, 4, 2, 11, 8}
	with := func(i int, v int32) []byte {
		f := append([]int32(nil), ok...)
		f[i] = v
		return legacyHeader(f...)
	}
	goodQ8 := randomQ8(t, tinyGQA, false, 4, 5).encode(t)
	withGS := func(gs int32) []byte {
		b := append([]byte(nil), goodQ8...)
		binary.LittleEndian.PutUint32(b[groupSizeOffset:], uint32(gs))
		return b
	}
	badMagic := append([]byte(nil), goodQ8...)
	badMagic[0] ^= 1
	const huge = 1 << 30
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty file", nil, "empty file"},
		{"short legacy header", good[:27], "short header"},
		{"short magic", []byte{0x32, 0x34, 0x6b}, "short header"},
		{"magic without version", good[:0:0], "empty file"},
		{"magic only", binary.LittleEndian.AppendUint32(nil, magic), "short header"},
		{"short v1 header", goodV1[:255], "short header"},
		{"zero dim", with(0, 0), "dim = 0"},
		{"zero hidden_dim", with(1, 0), "hidden_dim = 0"},
		{"zero n_layers", with(2, 0), "n_layers = 0"},
		{"zero n_heads", with(3, 0), "n_heads = 0"},
		{"zero n_kv_heads", with(4, 0), "n_kv_heads = 0"},
		{"zero vocab_size", with(5, 0), "vocab_size = 0"},
		{"zero seq_len", with(6, 0), "seq_len = 0"},
		{"negative dim", with(0, -16), "dim = -16"},
		{"negative hidden_dim", with(1, -1), "hidden_dim = -1"},
		{"negative n_layers", with(2, -2), "n_layers = -2"},
		{"negative n_heads", with(3, -4), "n_heads = -4"},
		{"negative n_kv_heads", with(4, -2), "n_kv_heads = -2"},
		{"min int32 vocab_size", with(5, -1<<31), "vocab_size = -2147483648"},
		{"negative seq_len", with(6, -8), "seq_len = -8"},
		{"negative v1 vocab_size", v1Header(1, 1, 16, 24, 2, 4, 2, -11, 8), "vocab_size = -11"},
		{"dim not multiple of n_heads", with(3, 3), "dim = 16 is not a multiple of n_heads = 3"},
		{"n_kv_heads does not divide n_heads", legacyHeader(16, 24, 2, 8, 3, 11, 8), "n_kv_heads = 3 does not divide n_heads = 8"},
		{"n_kv_heads above n_heads", with(4, 8), "n_kv_heads = 8 does not divide n_heads = 4"},
		{"odd head size", legacyHeader(12, 24, 2, 4, 2, 11, 8), "odd head size"},
		{"huge everything", legacyHeader(huge, huge, huge, huge, huge, huge, huge), "n_heads"},
		{"huge sizes", legacyHeader(huge, huge, huge, 1<<10, 1<<10, huge, 8), "too large"},
		{"huge vocab", legacyHeader(1<<28, 24, 2, 4, 2, huge, 8), "token_embedding (vocab_size × dim)"},
		{"huge kv cache", legacyHeader(16, 24, huge, 4, 2, 11, huge), "too large"},
		{"big but addressable", with(5, 1<<20), "truncated: header implies"},
		{"truncated by 1 byte", good[:len(good)-1], "truncated: header implies"},
		{"truncated v1", goodV1[:len(goodV1)-4], "truncated: header implies"},
		{"header only", good[:28], "truncated: header implies"},
		{"one extra byte", append(append([]byte(nil), good...), 0), "trailing data: header implies"},
		{"unshared flag but shared size", with(5, -11), "truncated"},
		{"bad shared flag", v1Header(1, 2, ok...), "shared_classifier = 2"},
		{"version 4", v1Header(4, 1, ok...), "version = 4"},
		{"version 0 with magic", v1Header(0, 1, ok...), "version = 0"},
		{"version 2 short", v1Header(2, 1, ok...)[:8], "short header: version 2 header needs 256 bytes"},
		{"version 2 header only", q8Header(1, 4, ok...), "truncated: header implies"},
		{"q8 group_size 0", withGS(0), "header field group_size = 0 must be positive"},
		{"q8 negative group_size", withGS(-4), "header field group_size = -4 must be positive"},
		{"q8 min int32 group_size", withGS(-1 << 31), "group_size = -2147483648 must be positive"},
		{"q8 group_size not dividing dim", withGS(3), "group_size = 3 does not divide dim = 16"},
		{"q8 group_size not dividing hidden_dim", withGS(16), "group_size = 16 does not divide hidden_dim = 24"},
		{"q8 group_size above dim", withGS(48), "group_size = 48 does not divide dim = 16"},
		{"q8 wrong magic", badMagic, "header field"},
		{"q8 version 4", append(v1Header(4, 0, ok...), goodQ8[v1HeaderSize:]...), "version = 4"},
		{"q8 as version 3 (zero group sizes)", append(v1Header(3, 0, ok...), goodQ8[v1HeaderSize:]...), "group_size of token_embedding = 0"},
		{"q8 truncated by 1 byte", goodQ8[:len(goodQ8)-1], "truncated: header implies"},
		{"q8 one extra byte", append(append([]byte(nil), goodQ8...), 0), "trailing data: header implies"},
		{"q8 shared flag on unshared file", append(q8Header(1, 4, ok...), goodQ8[v1HeaderSize:]...), "trailing data"},
		{"q8 bad shared flag", q8Header(7, 4, ok...), "shared_classifier = 7"},
		{"q8 group size 1 too large", q8Header(1, 1, 1<<12, 1<<12, 500000, 1<<6, 1<<6, 1, 1), "too large"},
		{"q8 big vocab", q8Header(1, 8, 16, 24, 2, 4, 2, 1<<20, 8), "truncated: header implies"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const name = "bad-model.bin"
			ck, err := Parse(name, tt.data)
			checkErr(t, ck, err, name, tt.want)
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".bin")
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			ck, err = Open(path)
			checkErr(t, ck, err, path, tt.want)
		})
	}
}

// checkErr fails unless err is a single-line error mentioning name and
// want, with no checkpoint returned.
func checkErr(t *testing.T, ck *Checkpoint, err error, name, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error (config %v), want one mentioning %q", ck.Config, want)
	}
	if ck != nil {
		t.Errorf("got a checkpoint alongside error %v", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "checkpoint "+name+": ") || !contains(msg, want) || contains(msg, "\n") {
		t.Errorf("error %q: want one line starting %q and mentioning %q", msg, "checkpoint "+name+": ", want)
	}
}

// TestOpenMissing checks that a missing file's error names it and wraps
// the os error.
func TestOpenMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.bin")
	_, err := Open(path)
	if err == nil || !os.IsNotExist(unwrapAll(err)) || !contains(err.Error(), "nope.bin") {
		t.Fatalf("Open(missing) = %v, want a not-exist error naming the file", err)
	}
}

// unwrapAll returns the innermost wrapped error.
func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}
