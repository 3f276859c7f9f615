package conformance

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// protect runs fn, one step of a provider's lifecycle named what, turning
// an error or a panic into an error that names the step. Faults on memory
// (a write to a read-only mapping) become panics for the duration, so a
// misbehaving provider is reported instead of killing the suite.
func protect(what string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%s panics: %v", what, v)
		}
	}()
	if err := fn(); err != nil {
		return fmt.Errorf("%s failed: %w", what, err)
	}
	return nil
}

// oneLine folds a message onto one line, as Result.Failure promises.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), " ")
}
