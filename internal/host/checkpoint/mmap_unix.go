//go:build unix

package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// mapFile maps the first size bytes of f read-only and returns them with a
// function that unmaps them. Empty files cannot be mapped; Open then falls
// back to reading, whose error message describes the file.
func mapFile(f *os.File, size int) ([]byte, func() error, error) {
	if size <= 0 {
		return nil, nil, errors.New("mmap: empty file")
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("mmap: %w", err)
	}
	name := f.Name()
	unmap := func() error {
		if err := syscall.Munmap(data); err != nil {
			return fmt.Errorf("checkpoint %s: munmap: %w", name, err)
		}
		return nil
	}
	return data, unmap, nil
}
