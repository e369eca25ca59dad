package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/sqlsift/sqlsift/analyzer"
)

// Text writes the terminal report: a summary, the profile table, the
// remainder line, per-class details for the top classes, findings and
// warnings.
func Text(out io.Writer, r *analyzer.Report, o Options) error {
	w := bufio.NewWriter(out)
	s := r.Summary
	fmt.Fprintf(w, "sqlsift %s — %s\n\n", r.Tool.Version, inputsLine(r))
	if s.HasTiming {
		fmt.Fprintf(w, "Events: %d statements in %d classes, total query time %s", s.Events, s.Classes, Duration(s.QueryTimeTotal))
	} else {
		fmt.Fprintf(w, "Events: %d statements in %d classes (no durations in this input: ranked by count)", s.Events, s.Classes)
	}
	if s.OtherEvents > 0 {
		fmt.Fprintf(w, ", %d session commands", s.OtherEvents)
	}
	if s.Filtered > 0 {
		fmt.Fprintf(w, ", %d filtered out", s.Filtered)
	}
	fmt.Fprintln(w)
	if s.FirstSeen != "" {
		fmt.Fprintf(w, "Time range: %s to %s (%s)", s.FirstSeen, s.LastSeen, Duration(s.Duration))
		if s.Duration > 0 {
			fmt.Fprintf(w, ", %.1f QPS", s.QPS)
			if s.HasTiming {
				fmt.Fprintf(w, ", concurrency %.2f", s.Concurrency)
			}
		}
		fmt.Fprintln(w)
	}
	if len(r.Options.Filters) > 0 {
		fmt.Fprintf(w, "Filters: %s\n", strings.Join(r.Options.Filters, ", "))
	}
	fmt.Fprintf(w, "Ordered by: %s\n", r.Options.OrderBy)
	textLive(w, r)
	fmt.Fprintln(w)

	if err := w.Flush(); err != nil {
		return err
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: []tw.Align{
			tw.AlignRight, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight,
			tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignLeft,
		}}),
	)
	t.Header("Rank", "Class ID", "Total time", "Time %", "Calls", "Avg", "P95", "Rows exam", "Rows sent", "Fingerprint")
	for _, c := range r.Classes {
		if err := t.Append(
			fmt.Sprint(c.Rank), c.ID, timeOr(c.QueryTime.Total, c.QueryTime.N), pctOr(c.TimeShare, c.QueryTime.N),
			Count(float64(c.Count)), timeOr(c.QueryTime.Avg, c.QueryTime.N), timeOr(c.QueryTime.P95, c.QueryTime.N),
			countOr(c.RowsExamined.Total, c.RowsExamined.N), countOr(c.RowsSent.Total, c.RowsSent.N),
			Shorten(c.Fingerprint, 70),
		); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if r.Remainder.Classes > 0 {
		if s.HasTiming {
			fmt.Fprintf(w, "%d more classes, %d calls, %s of time (%s) not listed (--limit %d)\n",
				r.Remainder.Classes, r.Remainder.Events, Percent(r.Remainder.TimeShare), Duration(r.Remainder.QueryTime), r.Options.Limit)
		} else {
			fmt.Fprintf(w, "%d more classes, %d calls not listed (--limit %d)\n", r.Remainder.Classes, r.Remainder.Events, r.Options.Limit)
		}
	}

	for i, c := range r.Classes {
		if i >= o.Detail {
			break
		}
		textDetail(w, &c)
	}
	textFindings(w, r)
	textExplain(w, r)
	if r.Warnings.Count > 0 {
		fmt.Fprintf(w, "\nWarnings: %d\n", r.Warnings.Count)
		for _, m := range r.Warnings.First {
			fmt.Fprintf(w, "  %s\n", m)
		}
		if int64(len(r.Warnings.First)) < r.Warnings.Count {
			fmt.Fprintf(w, "  … %d more\n", r.Warnings.Count-int64(len(r.Warnings.First)))
		}
	}
	return w.Flush()
}

func inputsLine(r *analyzer.Report) string {
	parts := make([]string, 0, len(r.Inputs))
	for _, in := range r.Inputs {
		p := in.Path
		if p == "" {
			p = "<stdin>"
		}
		parts = append(parts, fmt.Sprintf("%s (%s, %s bytes, %d events)", p, in.Format, Count(float64(in.Bytes)), in.Events))
	}
	return strings.Join(parts, "; ")
}

func timeOr(v float64, n int64) string {
	if n == 0 {
		return "-"
	}
	return Duration(v)
}

func pctOr(v float64, n int64) string {
	if n == 0 {
		return "-"
	}
	return Percent(v)
}

func countOr(v float64, n int64) string {
	if n == 0 {
		return "-"
	}
	return Count(v)
}

func textDetail(w io.Writer, c *analyzer.Class) {
	fmt.Fprintf(w, "\n# %d. Class %s", c.Rank, c.ID)
	if c.Kind != "" {
		fmt.Fprintf(w, " — %s", c.Kind)
		if len(c.Tables) > 0 {
			fmt.Fprintf(w, " %s", strings.Join(c.Tables, ", "))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  Fingerprint: %s\n", c.Fingerprint)
	fmt.Fprintf(w, "  Calls: %d (%s of all), %.2f QPS", c.Count, Percent(c.CountShare), c.QPS)
	if c.Errors > 0 {
		fmt.Fprintf(w, ", %d with errors", c.Errors)
	}
	fmt.Fprintln(w)
	if c.FirstSeen != "" {
		fmt.Fprintf(w, "  Seen: %s to %s\n", c.FirstSeen, c.LastSeen)
	}
	fmt.Fprintf(w, "  %-14s %9s %9s %9s %9s %9s %9s %9s %9s\n", "", "total", "min", "avg", "p50", "p95", "p99", "max", "stddev")
	row := func(name string, d analyzer.Dist, f func(float64) string) {
		if d.N == 0 {
			return
		}
		fmt.Fprintf(w, "  %-14s %9s %9s %9s %9s %9s %9s %9s %9s\n", name, f(d.Total), f(d.Min), f(d.Avg), f(d.P50), f(d.P95), f(d.P99), f(d.Max), f(d.Stddev))
	}
	row("Query time", c.QueryTime, Duration)
	row("Lock time", c.LockTime, Duration)
	row("Rows sent", c.RowsSent, Count)
	row("Rows examined", c.RowsExamined, Count)
	row("Rows affected", c.RowsAffected, Count)
	row("Bytes sent", c.BytesSent, Count)
	fmt.Fprintf(w, "  Databases: %s\n  Users: %s\n  Hosts: %s\n", topNames(c.Databases, 5), topNames(c.Users, 5), topNames(c.Hosts, 5))
	if len(c.Histogram) > 0 {
		fmt.Fprintln(w, "  Query time distribution:")
		var maxC int64
		for _, b := range c.Histogram {
			maxC = max(maxC, b.Count)
		}
		for _, b := range c.Histogram {
			bar := ""
			if maxC > 0 {
				bar = strings.Repeat("#", int((b.Count*40+maxC-1)/maxC))
			}
			fmt.Fprintf(w, "    %6s %-40s %d\n", b.Label, bar, b.Count)
		}
	}
	ex := c.Example
	fmt.Fprintf(w, "  Example (slowest, %s at %s:%d", Duration(ex.QueryTime), ex.File, ex.Line)
	if ex.Truncated {
		fmt.Fprint(w, ", truncated")
	}
	fmt.Fprintln(w, "):")
	for _, line := range strings.Split(ex.Query, "\n") {
		fmt.Fprintf(w, "    %s\n", line)
	}
}

func textFindings(w io.Writer, r *analyzer.Report) {
	if len(r.Findings) == 0 {
		return
	}
	fmt.Fprintf(w, "\nFindings (%d, ranked by wasted time)\n", len(r.Findings))
	for i, f := range r.Findings {
		fmt.Fprintf(w, "\n%d. [%s/%s] %s\n", i+1, f.Severity, f.Confidence, f.Message)
		kind := f.Kind
		if f.Variant != "" {
			kind += "/" + f.Variant
		}
		meta := []string{kind, "key " + f.Key}
		if f.Boundary != "" {
			meta = append(meta, "boundary "+f.Boundary)
		}
		for _, k := range sortedKeys(f.Attribution) {
			meta = append(meta, k+"="+f.Attribution[k])
		}
		fmt.Fprintf(w, "   %s\n", strings.Join(meta, " · "))
		if f.Suggestion != "" {
			for _, line := range strings.Split(f.Suggestion, "\n") {
				fmt.Fprintf(w, "   %s\n", line)
			}
		}
		for _, n := range f.Notes {
			fmt.Fprintf(w, "   note: %s\n", n)
		}
		for _, ex := range f.Examples {
			fmt.Fprintf(w, "   seen at %s:%d", ex.File, ex.Line)
			if ex.EndLine > ex.Line {
				fmt.Fprintf(w, "-%d", ex.EndLine)
			}
			if ex.Count > 0 {
				fmt.Fprintf(w, " (%d repeats)", ex.Count)
			}
			fmt.Fprintln(w)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
