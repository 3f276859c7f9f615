package tokenizer

import (
	"bytes"
	"slices"
)

// sortedIndex returns all ids ordered by strcmp of their pieces. The sort is
// stable, like glibc's merge-sort qsort, so duplicate pieces keep id order
// and lookups of duplicates agree with run.c.
func sortedIndex(t *Tokenizer) []int32 {
	ids := make([]int32, len(t.scores))
	for i := range ids {
		ids[i] = int32(i)
	}
	slices.SortStableFunc(ids, func(a, b int32) int {
		return bytes.Compare(t.piece(a), t.piece(b))
	})
	return ids
}

// lookup returns the id of the piece equal to key, or -1. It is run.c's
// str_lookup: the same probe sequence as glibc's bsearch over the sorted
// index, so that with duplicate pieces it returns the same id as C.
// bytes.Compare on NUL-free slices orders exactly like strcmp.
func (t *Tokenizer) lookup(key []byte) int {
	lo, hi := 0, len(t.sorted)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		id := t.sorted[mid]
		switch c := bytes.Compare(key, t.piece(id)); {
		case c < 0:
			hi = mid
		case c > 0:
			lo = mid + 1
		default:
			return int(id)
		}
	}
	return -1
}
