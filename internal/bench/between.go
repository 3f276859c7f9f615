package bench

import "time"

// Severity says how much a difference between two saved reports matters
// when "bench compare" compares their measurements.
type Severity string

const (
	// Refuse marks a difference that makes the comparison meaningless
	// (another model, sequence length or thread count): "bench compare"
	// stops unless forced.
	Refuse Severity = "refuse"
	// Warn marks a legitimate difference that must be said next to the
	// verdicts (another machine, Go version, kernels.hcl, run count).
	Warn Severity = "warn"
)

// Difference is one field that differs between two saved reports. Old
// and New are the field's values as text, in full (hashes unabbreviated).
type Difference struct {
	Field    string   `json:"field"` // JSON path in the report: "settings.gen_tokens", "environment.providers.avx2"
	Old      string   `json:"old"`
	New      string   `json:"new"`
	Severity Severity `json:"severity"`
	Reason   string   `json:"reason"` // why the difference matters, for readers
}

// Between is what "bench compare" records about the two reports it
// compared: each one's provenance side by side, every difference found,
// and whether refused differences were overridden (--force).
type Between struct {
	Old         ReportHead   `json:"old"`
	New         ReportHead   `json:"new"`
	Differences []Difference `json:"differences"`
	// Forced is true when the comparison went ahead despite differences
	// of severity Refuse; the outputs then say so loudly.
	Forced bool `json:"forced,omitempty"`
}

// ReportHead is the part of a Report that says where and how it was
// measured, without the measurements: what two reports must share for
// their numbers to be comparable.
type ReportHead struct {
	Schema   int           `json:"schema"`
	Created  time.Time     `json:"created"`
	Env      Environment   `json:"environment"`
	Settings Settings      `json:"settings"`
	Profiles []ProfileHead `json:"profiles"` // in the report's order; the first is the baseline A
}

// ProfileHead names one profile of a report and, for an external
// command, its argv as run.
type ProfileHead struct {
	Name    string   `json:"name"`
	Command []string `json:"command,omitempty"`
}

// Head returns r's ReportHead (sharing r's slices and maps).
func (r *Report) Head() ReportHead {
	h := ReportHead{Schema: r.Schema, Created: r.Created, Env: r.Env, Settings: r.Settings}
	for _, p := range r.Profiles {
		h.Profiles = append(h.Profiles, ProfileHead{Name: p.Name, Command: p.Command})
	}
	return h
}
