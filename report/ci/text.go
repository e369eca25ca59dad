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

// Text writes the verdict for a terminal or a CI log.
func Text(out io.Writer, c *Check) error {
	w := bufio.NewWriter(out)
	r := c.Result
	fmt.Fprintln(w, verdict(c))
	if in := inputsLine(c.Report); in != "" {
		fmt.Fprintf(w, "Inputs: %s\n", in)
	}
	if c.Baseline != "" {
		fmt.Fprintf(w, "Baseline: %s\n", c.Baseline)
	}
	for i := range r.Results {
		textViolation(w, &r.Results[i])
	}
	if len(r.Stale) > 0 {
		fmt.Fprintf(w, "\nStale baseline entries (no longer occur; shrink the baseline with `sqlsift baseline --prune %s`):\n", orDefault(c.Baseline, "BASELINE"))
		for _, e := range r.Stale {
			fmt.Fprintf(w, "  %s\n", staleLine(e))
		}
	}
	if len(r.Baselined) > 0 {
		fmt.Fprintf(w, "\nBaselined (known, not failing): %d\n", len(r.Baselined))
		for _, v := range r.Baselined {
			fmt.Fprintf(w, "  %-7s %s %s\n", v.Level, v.Rule, shorten(v.Message, 110))
		}
	}
	if r.Ignored > 0 {
		fmt.Fprintf(w, "\n%s below the rules' minimum confidence or severity not counted.\n", plural(r.Ignored, "finding", "findings"))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\nNote: %s\n", n)
	}
	return w.Flush()
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func textViolation(w io.Writer, v *gate.Violation) {
	fmt.Fprintf(w, "\n%s %s", strings.ToUpper(v.Level.String()), v.Rule)
	if v.Route != "" {
		fmt.Fprintf(w, " [route %s]", v.Route)
	}
	fmt.Fprintf(w, " key=%s\n", v.Key)
	fmt.Fprintf(w, "  %s\n", v.Message)
	if f := v.Finding; f != nil {
		fmt.Fprintf(w, "  confidence %s, severity %s", f.Confidence, f.Severity)
		if f.Occurrences > 0 {
			fmt.Fprintf(w, ", %d units of work, repeats avg %.1f max %d", f.Occurrences, f.Repeats.Avg, f.Repeats.Max)
		}
		fmt.Fprintln(w)
	}
	for _, l := range v.Locations {
		what := "at"
		if !l.Code {
			what = "seen at"
		}
		fmt.Fprintf(w, "  %s %s", what, locString(l))
		if l.Note != "" {
			fmt.Fprintf(w, " (%s)", l.Note)
		}
		fmt.Fprintln(w)
	}
	if v.Suggestion != "" {
		fmt.Fprintln(w, "  suggested rewrite:")
		for _, line := range strings.Split(v.Suggestion, "\n") {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
}

// SchemaVersion is the version of the check JSON output.
const SchemaVersion = "1.0"

type jsonCheck struct {
	SchemaVersion string           `json:"schema_version"`
	Tool          analyzer.Tool    `json:"tool"`
	Inputs        []analyzer.Input `json:"inputs"`
	Summary       analyzer.Summary `json:"summary"`
	Baseline      string           `json:"baseline,omitempty"`
	*gate.Result
}

// JSON writes the verdict as one JSON object: the gate.Result fields plus
// the inputs and summary of the analysis.
func JSON(w io.Writer, c *Check) error {
	out := jsonCheck{SchemaVersion: SchemaVersion, Tool: c.Tool, Baseline: c.Baseline, Result: c.Result, Inputs: []analyzer.Input{}}
	if c.Report != nil {
		out.Inputs, out.Summary = c.Report.Inputs, c.Report.Summary
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
