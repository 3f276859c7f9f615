//go:build !unix

package checkpoint

import (
	"errors"
	"os"
)

// mapFile reports that mapping is unavailable on this platform, so Open
// reads the whole file instead.
func mapFile(f *os.File, size int) ([]byte, func() error, error) {
	return nil, nil, errors.New("mmap: not supported on this platform")
}
