package checkpoint

import (
	"fmt"
	"os"
)

// Open loads the checkpoint at path. On Unix it maps the file read-only,
// so the weights are views into the page cache rather than copies in the
// Go heap; elsewhere, or if mapping fails, it reads the whole file. Call
// Close when done with the weights. As with any mapping, truncating the
// file while it is open makes later reads of the weights fault.
func Open(path string) (*Checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if st.Size() > maxBytes {
		return nil, fmt.Errorf("checkpoint %s: file has %d bytes, more than this platform can address", path, st.Size())
	}
	if data, unmap, err := mapFile(f, int(st.Size())); err == nil {
		ck, err := Parse(path, data)
		if err != nil {
			_ = unmap() // the parse error is the one worth reporting
			return nil, err
		}
		ck.release, ck.mapped = unmap, data
		ck.attachReleasers()
		return ck, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return Parse(path, data)
}
