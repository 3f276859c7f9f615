package tokenizer

import "testing"

// paragraph is a TinyStories-like prompt for the Encode benchmarks.
const paragraph = "Once upon a time, there was a little girl named Lily. She loved to play " +
	"outside in the sunshine. One day, she saw a big, red ball in the park. She ran to " +
	"it and kicked it as hard as she could. The ball flew high into the sky and landed " +
	"in a tree. Lily was sad, but her friend Tom came and helped her get it down. " +
	"They played together all day and were very happy — café, 日本語, 😀."

func benchmarkEncode(b *testing.B, tok *Tokenizer) {
	b.ReportAllocs()
	b.SetBytes(int64(len(paragraph)))
	for b.Loop() {
		if _, err := tok.Encode(paragraph, true, false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeLlama32k(b *testing.B) {
	benchmarkEncode(b, realTokenizer(b, 32000))
}

func BenchmarkEncodeByteLevel(b *testing.B) {
	tok, err := ByteLevel(32000)
	if err != nil {
		b.Fatal(err)
	}
	benchmarkEncode(b, tok)
}

func BenchmarkDecode(b *testing.B) {
	tok := realTokenizer(b, 32000)
	ids, err := tok.Encode(paragraph, true, false)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		prev := BOS
		for _, id := range ids[1:] {
			Printable(tok.Decode(prev, id))
			prev = id
		}
	}
}

func BenchmarkLoadLlama32k(b *testing.B) {
	realTokenizer(b, 32000)
	b.ReportAllocs()
	for b.Loop() {
		realTokenizer(b, 32000)
	}
}
