package ci

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/analyzer/gate"
)

// Diff is what a diff renderer sees.
type Diff struct {
	Tool     analyzer.Tool
	OldName  string // as given on the command line
	NewName  string
	Result   *gate.DiffResult
	MaxItems int // per section in text and Markdown; 0: all
}

// DiffRenderer writes a comparison in one format.
type DiffRenderer func(w io.Writer, d *Diff) error

var diffRenderers = map[string]DiffRenderer{
	"text":     DiffText,
	"json":     DiffJSON,
	"markdown": DiffMarkdown,
}

// DiffFormats lists the diff output formats, sorted.
func DiffFormats() []string { return keys(diffRenderers) }

// LookupDiff returns the diff renderer for a format name.
func LookupDiff(name string) (DiffRenderer, error) {
	if r, ok := diffRenderers[name]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("unknown format %q (want one of %s)", name, strings.Join(DiffFormats(), ", "))
}

func diffVerdict(d *Diff) string {
	r := d.Result
	s := fmt.Sprintf("%d new classes, %d vanished, %d regressions, %d improvements, %d new findings, %d resolved",
		len(r.NewClasses), len(r.VanishedClasses), len(r.Regressions), len(r.Improvements), len(r.NewFindings), len(r.ResolvedFindings))
	if r.Failed {
		return "sqlsift diff FAILED (" + strings.Join(r.FailReasons, ", ") + "): " + s
	}
	return "sqlsift diff: " + s
}

// metricValue formats a compared value.
func metricValue(metric string, v float64) string {
	switch metric {
	case "p95":
		return gate.Seconds(v)
	case "calls":
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func ratio(c gate.Change) string {
	if c.FromZero {
		return "from 0"
	}
	return fmt.Sprintf("%+.0f%%", c.Ratio*100)
}

func metricName(m string) string { return strings.ReplaceAll(m, "_", " ") }

func limitItems[T any](xs []T, n int) ([]T, int) {
	if n <= 0 || len(xs) <= n {
		return xs, 0
	}
	return xs[:n], len(xs) - n
}

func findingLine(f *analyzer.Finding) string {
	s := f.Kind
	if f.Variant != "" {
		s += "/" + f.Variant
	}
	s += " [" + f.Confidence + "] " + f.Message
	if r := gate.Route(f.Attribution); r != "" {
		s += " (route " + r + ")"
	}
	return s + " key=" + f.Key
}

// DiffText writes the comparison for a terminal or a CI log.
func DiffText(out io.Writer, d *Diff) error {
	w := bufio.NewWriter(out)
	r := d.Result
	fmt.Fprintln(w, diffVerdict(d))
	fmt.Fprintf(w, "Old: %s — %d statements in %d classes", d.OldName, r.Old.Events, r.Old.Classes)
	if r.Old.Units > 0 {
		fmt.Fprintf(w, ", %d units of work", r.Old.Units)
	}
	fmt.Fprintf(w, "\nNew: %s — %d statements in %d classes", d.NewName, r.New.Events, r.New.Classes)
	if r.New.Units > 0 {
		fmt.Fprintf(w, ", %d units of work", r.New.Units)
	}
	fmt.Fprintln(w)
	section := func(title string, n int) bool {
		if n == 0 {
			return false
		}
		fmt.Fprintf(w, "\n%s (%d):\n", title, n)
		return true
	}
	more := func(n int) {
		if n > 0 {
			fmt.Fprintf(w, "  … %d more\n", n)
		}
	}
	if section("Regressions", len(r.Regressions)) {
		xs, rest := limitItems(r.Regressions, d.MaxItems)
		for _, c := range xs {
			fmt.Fprintf(w, "  %s %s: %s → %s (%s)  %s\n", c.ClassID, metricName(c.Metric), metricValue(c.Metric, c.Old), metricValue(c.Metric, c.New), ratio(c), shorten(c.Fingerprint, 90))
		}
		more(rest)
	}
	if section("New findings", len(r.NewFindings)) {
		for i := range r.NewFindings {
			fmt.Fprintf(w, "  %s\n", findingLine(&r.NewFindings[i]))
		}
	}
	if section("New classes", len(r.NewClasses)) {
		xs, rest := limitItems(r.NewClasses, d.MaxItems)
		for _, c := range xs {
			fmt.Fprintf(w, "  %s %d calls  %s\n", c.ClassID, c.Stat.Calls, shorten(c.Fingerprint, 100))
		}
		more(rest)
	}
	if section("Vanished classes", len(r.VanishedClasses)) {
		xs, rest := limitItems(r.VanishedClasses, d.MaxItems)
		for _, c := range xs {
			fmt.Fprintf(w, "  %s %d calls  %s\n", c.ClassID, c.Stat.Calls, shorten(c.Fingerprint, 100))
		}
		more(rest)
	}
	if section("Resolved findings", len(r.ResolvedFindings)) {
		for i := range r.ResolvedFindings {
			fmt.Fprintf(w, "  %s\n", findingLine(&r.ResolvedFindings[i]))
		}
	}
	if section("Improvements", len(r.Improvements)) {
		xs, rest := limitItems(r.Improvements, d.MaxItems)
		for _, c := range xs {
			fmt.Fprintf(w, "  %s %s: %s → %s (%s)  %s\n", c.ClassID, metricName(c.Metric), metricValue(c.Metric, c.Old), metricValue(c.Metric, c.New), ratio(c), shorten(c.Fingerprint, 90))
		}
		more(rest)
	}
	if r.CallsMetric == "calls" {
		fmt.Fprintln(w, "\nNote: units of work were not measured: calls are compared per capture (both captures should run the same workload).")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "Note: %s\n", n)
	}
	return w.Flush()
}

type jsonDiff struct {
	SchemaVersion string        `json:"schema_version"`
	Tool          analyzer.Tool `json:"tool"`
	OldName       string        `json:"old_name"`
	NewName       string        `json:"new_name"`
	*gate.DiffResult
}

// DiffJSON writes the comparison as one JSON object.
func DiffJSON(w io.Writer, d *Diff) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(jsonDiff{SchemaVersion: SchemaVersion, Tool: d.Tool, OldName: d.OldName, NewName: d.NewName, DiffResult: d.Result})
}

// DiffMarkdown writes the comparison as a PR comment.
func DiffMarkdown(out io.Writer, d *Diff) error {
	w := bufio.NewWriter(out)
	r := d.Result
	mark := "✅"
	if r.Failed {
		mark = "❌"
	}
	fmt.Fprintf(w, "### %s %s\n\n", mark, mdEscape(diffVerdict(d)))
	fmt.Fprintf(w, "| | Old | New |\n|---|---:|---:|\n")
	fmt.Fprintf(w, "| Capture | `%s` | `%s` |\n", mdCode(d.OldName), mdCode(d.NewName))
	fmt.Fprintf(w, "| Statements | %d | %d |\n| Classes | %d | %d |\n", r.Old.Events, r.New.Events, r.Old.Classes, r.New.Classes)
	if r.Old.Units > 0 || r.New.Units > 0 {
		fmt.Fprintf(w, "| Units of work | %d | %d |\n", r.Old.Units, r.New.Units)
	}
	fmt.Fprintln(w)
	changes := func(title string, cs []gate.Change) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(w, "#### %s (%d)\n\n| Class | Metric | Old | New | Change | Fingerprint |\n|---|---|---:|---:|---:|---|\n", title, len(cs))
		xs, rest := limitItems(cs, d.MaxItems)
		for _, c := range xs {
			fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s | `%s` |\n", c.ClassID, metricName(c.Metric), metricValue(c.Metric, c.Old), metricValue(c.Metric, c.New), ratio(c), mdCode(shorten(c.Fingerprint, 100)))
		}
		if rest > 0 {
			fmt.Fprintf(w, "\n… %d more\n", rest)
		}
		fmt.Fprintln(w)
	}
	classes := func(title string, cs []gate.ClassChange) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(w, "#### %s (%d)\n\n| Class | Calls | Fingerprint |\n|---|---:|---|\n", title, len(cs))
		xs, rest := limitItems(cs, d.MaxItems)
		for _, c := range xs {
			fmt.Fprintf(w, "| `%s` | %d | `%s` |\n", c.ClassID, c.Stat.Calls, mdCode(shorten(c.Fingerprint, 100)))
		}
		if rest > 0 {
			fmt.Fprintf(w, "\n… %d more\n", rest)
		}
		fmt.Fprintln(w)
	}
	findings := func(title string, fs []analyzer.Finding) {
		if len(fs) == 0 {
			return
		}
		fmt.Fprintf(w, "#### %s (%d)\n\n", title, len(fs))
		for i := range fs {
			fmt.Fprintf(w, "- %s\n", mdEscape(findingLine(&fs[i])))
		}
		fmt.Fprintln(w)
	}
	changes("Regressions", r.Regressions)
	findings("New findings", r.NewFindings)
	classes("New classes", r.NewClasses)
	classes("Vanished classes", r.VanishedClasses)
	findings("Resolved findings", r.ResolvedFindings)
	changes("Improvements", r.Improvements)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "> **Note:** %s\n\n", mdEscape(n))
	}
	return w.Flush()
}
