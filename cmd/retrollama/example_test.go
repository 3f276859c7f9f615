package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Run generates from the built-in synthetic stories260K (random weights,
// so the text is noise) with seed 42: the same bytes on every machine and
// every profile, since every provider is exact.
func Example_run() {
	code := runMain([]string{"run", "--synthetic", "stories260K", "-s", "42", "-n", "12", "-i", "Once"},
		strings.NewReader(""), os.Stdout, io.Discard)
	if code != 0 {
		fmt.Println("exit", code)
	}
	// Output:
	// Once ffZ dj0 fp hz af
}
