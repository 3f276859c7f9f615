// Package tokenizer is llama2.c's byte-pair-encoding tokenizer, compatible
// byte for byte with karpathy/llama2.c run.c (build_tokenizer, encode,
// decode, safe_printf): the same ids for the same prompt, the same bytes for
// the same generated tokens.
//
// # File format
//
// tokenizer.bin is little-endian: an int32 max_token_length, then one entry
// per token: a float32 merge score, an int32 length and that many bytes.
// Like run.c, only the first vocabSize entries (the model's vocabulary size)
// are read; the rest of the file is ignored. max_token_length only sizes a
// buffer in C and is read but not used here. Every piece is kept "as C sees
// it": up to its first NUL byte.
//
// # Encoding
//
// Encode reproduces run.c: an optional BOS, a dummy-prefix token for " "
// when the text is non-empty, one token per UTF-8 codepoint (grouped as
// run.c groups them, at most 4 bytes) or one byte-fallback token (byte+3)
// per byte when the codepoint is not in the vocabulary, then repeated merges
// of the adjacent pair with the highest score (leftmost on ties), then an
// optional EOS. Lookups use a stable strcmp-sorted index searched exactly
// like glibc's bsearch, so a piece that appears twice in the vocabulary maps
// to the same id as in C.
//
// The text is a Go string but C sees a NUL-terminated one, so Encode stops
// at the first NUL byte of the text.
//
// Where run.c would crash or emit an id outside the vocabulary, this package
// does neither:
//   - if " " is not in the vocabulary (e.g. the first 512 entries of the
//     32000-entry Llama 2 tokenizer, as used with stories260K), the dummy
//     prefix is the byte-fallback token for ' ' (id 35) when that id exists;
//   - if a needed byte-fallback id (byte+3) is not below the vocabulary size,
//     Encode returns an error instead of an out-of-range id; likewise for a
//     requested BOS or EOS in a vocabulary too small to hold ids 1 or 2.
//
// Encode never returns an id outside [0, VocabSize()).
//
// # Decoding
//
// Decode is run.c's decode(): the piece, minus one leading space right after
// BOS, with "<0xXX>" byte pieces (parsed as glibc's sscanf "<0x%02hhX>"
// parses them) turned into the raw byte. Printable is run.c's safe_printf()
// filter. Neither allocates, since they run once per generated token.
//
// A Tokenizer is immutable after construction and safe for concurrent use.
package tokenizer
