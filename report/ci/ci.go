// Package ci renders the verdict of `sqlsift check` (a gate.Result) for
// people and CI systems: text, JSON, SARIF 2.1.0, JUnit XML, GitHub
// workflow annotations and a Markdown PR comment; and the comparison of
// `sqlsift diff` as text, JSON or Markdown. Renderers only format: every
// decision was made by package gate.
package ci

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/analyzer/gate"
)

// Check is what a check renderer sees.
type Check struct {
	Tool   analyzer.Tool
	Report *analyzer.Report // the analysis the verdict was made on
	Result *gate.Result
	// Baseline names the baseline file used ("" for none), for messages.
	Baseline string
}

// Renderer writes a check verdict in one format.
type Renderer func(w io.Writer, c *Check) error

var renderers = map[string]Renderer{
	"text":     Text,
	"json":     JSON,
	"sarif":    SARIF,
	"junit":    JUnit,
	"github":   GitHub,
	"markdown": Markdown,
}

// Formats lists the check output formats, sorted.
func Formats() []string { return keys(renderers) }

// Lookup returns the check renderer for a format name.
func Lookup(name string) (Renderer, error) {
	if r, ok := renderers[name]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("unknown format %q (want one of %s)", name, strings.Join(Formats(), ", "))
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// counts tallies new results by level.
func counts(vs []gate.Violation) (errs, warns, notes int) {
	for _, v := range vs {
		switch v.Level {
		case gate.LevelError:
			errs++
		case gate.LevelWarning:
			warns++
		default:
			notes++
		}
	}
	return
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// verdict is the one-line summary every human format starts with.
func verdict(c *Check) string {
	r := c.Result
	state := "passed"
	if !r.Passed {
		state = "FAILED"
	}
	e, w, n := counts(r.Results)
	parts := []string{plural(len(r.Results), "new result", "new results")}
	if len(r.Results) > 0 {
		var lv []string
		for _, x := range []struct {
			n    int
			name string
		}{{e, "error"}, {w, "warning"}, {n, "note"}} {
			if x.n > 0 {
				lv = append(lv, plural(x.n, x.name, x.name+"s"))
			}
		}
		parts[0] += " (" + strings.Join(lv, ", ") + ")"
	}
	if r.HasBase {
		parts = append(parts, fmt.Sprintf("%d baselined", len(r.Baselined)), plural(len(r.Stale), "stale baseline entry", "stale baseline entries"))
	}
	if r.Allowed > 0 {
		parts = append(parts, fmt.Sprintf("%d allowed", r.Allowed))
	}
	return fmt.Sprintf("sqlsift check %s: %s", state, strings.Join(parts, ", "))
}

// where formats the first location of a result.
func where(v *gate.Violation) string {
	if len(v.Locations) == 0 {
		return ""
	}
	return locString(v.Locations[0])
}

func locString(l gate.Location) string {
	f := l.File
	if f == "" {
		f = "<stdin>"
	}
	if l.Line > 0 {
		return fmt.Sprintf("%s:%d", f, l.Line)
	}
	return f
}

func inputsLine(r *analyzer.Report) string {
	if r == nil {
		return ""
	}
	parts := make([]string, 0, len(r.Inputs))
	for _, in := range r.Inputs {
		p := in.Path
		if p == "" {
			p = "<stdin>"
		}
		parts = append(parts, fmt.Sprintf("%s (%s, %d events)", p, in.Format, in.Events))
	}
	return strings.Join(parts, "; ")
}

func staleLine(e gate.Entry) string {
	s := e.Rule + " " + e.Key
	if e.Route != "" {
		s += " (route " + e.Route + ")"
	}
	if e.Fingerprint != "" {
		s += ": " + shorten(e.Fingerprint, 100)
	}
	return s
}

// shorten cuts s to n runes on one line.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
