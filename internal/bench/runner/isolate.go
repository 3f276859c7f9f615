package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// WorkerResult is what an isolated worker process prints on stdout: one
// measured run and the worker's peak RSS.
type WorkerResult struct {
	Sample  Sample `json:"sample"`
	PeakRSS int64  `json:"peak_rss_bytes"`
}

// MeasureWorker is the fresh process of --isolate: one profile, warm-up,
// one measured run (Once), printed to w as a WorkerResult in JSON.
func MeasureWorker(c *Config, profile string, w io.Writer) error {
	s, err := Once(c, profile)
	if err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(WorkerResult{Sample: s, PeakRSS: PeakRSS()})
}

// IsolatedSelf returns the Config.IsolatedContext hook that measures one
// run of a profile in a fresh copy of this executable, started with
// args(profile) (a command line that ends in MeasureWorker), and reads
// its WorkerResult. The copy gets its own process group
// (OwnProcessGroup), so the terminal's Ctrl-C reaches only the bench,
// which cancels ctx and so kills the worker.
func IsolatedSelf(args func(profile string) []string) func(ctx context.Context, profile string) (Sample, int64, error) {
	return func(ctx context.Context, profile string) (Sample, int64, error) {
		exe, err := os.Executable()
		if err != nil {
			return Sample{}, 0, fmt.Errorf("--isolate: %w", err)
		}
		cmd := exec.CommandContext(ctx, exe, args(profile)...)
		OwnProcessGroup(cmd) // the terminal's Ctrl-C goes to bench, which cancels ctx
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return Sample{}, 0, fmt.Errorf("--isolate worker for %s: %v: %s", profile, err, strings.TrimSpace(stderr.String()))
		}
		var res WorkerResult
		if err := json.NewDecoder(bufio.NewReader(strings.NewReader(string(out)))).Decode(&res); err != nil {
			return Sample{}, 0, fmt.Errorf("--isolate worker for %s printed %q: %w", profile, out, err)
		}
		return res.Sample, res.PeakRSS, nil
	}
}
