package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/retrollama/retrollama/kernels"
)

// Route is the resolved provider list of one op: the providers to try, in
// order, and the attribute (and profile) the list came from.
type Route struct {
	Op      kernels.Op
	Use     []Ref
	From    hcl.Range // the use/default attribute; zero when nothing set it
	Profile string    // the profile whose block set it
}

// Resolved is a profile with inheritance applied.
type Resolved struct {
	Profile string
	OnError string
	Routes  map[kernels.Op]Route
}

// Resolve applies the extends chain of profile: the nearest profile that
// routes an op (op block) wins, then the nearest default list; on_error
// likewise, "fail" when none sets it.
func (f *File) Resolve(profile string) (*Resolved, hcl.Diagnostics) {
	if f.Profile(profile) == nil {
		var names []string
		for _, p := range f.Profiles {
			names = append(names, p.Name)
		}
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unknown profile",
			Detail: fmt.Sprintf("%s declares no profile %q (profiles: %s).%s", f.Path, profile, strings.Join(names, ", "), didYouMean(profile, names))}}
	}
	chain, diags := f.chain(profile)
	if diags.HasErrors() {
		return nil, diags
	}
	r := &Resolved{Profile: profile, OnError: OnErrorFail, Routes: map[kernels.Op]Route{}}
	for i := len(chain) - 1; i >= 0; i-- { // farthest ancestor first, so nearer ones override
		if chain[i].OnError != "" {
			r.OnError = chain[i].OnError
		}
	}
	for _, op := range kernels.AllOps() {
		route := Route{Op: op}
	search:
		for _, p := range chain {
			if l := p.Ops[op]; l != nil {
				route.Use, route.From, route.Profile = l.Refs, l.Range, p.Name
				break search
			}
		}
		if route.Use == nil {
			for _, p := range chain {
				if p.Default != nil {
					route.Use, route.From, route.Profile = p.Default.Refs, p.Default.Range, p.Name
					break
				}
			}
		}
		r.Routes[op] = route
	}
	return r, nil
}

// DiagnosticsError turns diagnostics into an error: one line per
// diagnostic, "file:line:col: summary: detail", followed by the offending
// source line with the range underlined.
func DiagnosticsError(f *File, diags hcl.Diagnostics) error {
	if !diags.HasErrors() {
		return nil
	}
	var src []byte
	if f != nil && f.hclFile != nil {
		src = f.hclFile.Bytes
	}
	var b strings.Builder
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		if d.Subject == nil {
			fmt.Fprintf(&b, "%s: %s", d.Summary, d.Detail)
			continue
		}
		r := d.Subject
		fmt.Fprintf(&b, "%s:%d:%d: %s: %s", r.Filename, r.Start.Line, r.Start.Column, d.Summary, d.Detail)
		b.WriteString(quote(src, *r))
	}
	return fmt.Errorf("%s", b.String())
}

// quote returns the source line of r with r underlined, or "" when the
// source is not at hand.
func quote(src []byte, r hcl.Range) string {
	if r.Start.Byte < 0 || r.Start.Byte > len(src) {
		return ""
	}
	start := strings.LastIndexByte(string(src[:r.Start.Byte]), '\n') + 1
	end := strings.IndexByte(string(src[r.Start.Byte:]), '\n')
	if end < 0 {
		end = len(src)
	} else {
		end += r.Start.Byte
	}
	line := string(src[start:end])
	width := max(1, min(r.End.Byte, end)-r.Start.Byte)
	prefix := fmt.Sprintf("%5d | ", r.Start.Line)
	return "\n" + prefix + line + "\n" + strings.Repeat(" ", len(prefix)-2) + "| " +
		strings.Repeat(" ", r.Start.Byte-start) + strings.Repeat("^", width)
}
