package mathf

import "fmt"

// fmtSscanf parses one line of testdata/glibc.txt: kind, input bits,
// result bits.
func fmtSscanf(line string, kind *byte, in, want *uint32) (int, error) {
	var k string
	n, err := fmt.Sscanf(line, "%s %x %x", &k, in, want)
	if err == nil && len(k) == 1 {
		*kind = k[0]
	}
	return n, err
}
