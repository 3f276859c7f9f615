package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// parseMixed parses args with fs allowing flags before, between and after
// the positional arguments (Go's flag package stops at the first
// positional one), and returns the positional arguments in order. On -h
// it prints usage to stdout; on a bad flag it prints the error and usage
// to stderr. ok is false when the command should exit, with code.
func parseMixed(fs *flag.FlagSet, args []string, usage string, stdout, stderr io.Writer) (positional []string, code int, ok bool) {
	fs.SetOutput(io.Discard)
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, usage)
				return nil, 0, false
			}
			fmt.Fprintf(stderr, "%v\n%s", err, usage)
			return nil, 1, false
		}
		args = fs.Args()
		if len(args) > 0 {
			positional, args = append(positional, args[0]), args[1:]
		}
	}
	return positional, 0, true
}
