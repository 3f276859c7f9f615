package workpool

import (
	"fmt"
	"runtime/debug"
)

// PanicError is what RunTask panics with when work on a background worker
// panicked: the original value and the worker's stack, which the re-panic
// on the caller's goroutine would otherwise lose.
type PanicError struct {
	Value any    // what the work panicked with
	Stack []byte // the worker goroutine's stack at the panic
}

// Error implements error, so a recover site can treat it as one.
func (e *PanicError) Error() string {
	return fmt.Sprintf("workpool: worker panicked: %v\n\n%s", e.Value, e.Stack)
}

// Unwrap returns the panic value when it is itself an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// runChunk runs one chunk and turns a panic in it into a *PanicError, so
// a worker survives and always reports back.
func runChunk(t Task, lo, hi int) (perr *PanicError) {
	defer func() {
		if r := recover(); r != nil {
			perr = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	t.Do(lo, hi)
	return nil
}
