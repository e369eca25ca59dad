package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/sqlsift/sqlsift/analyzer"
)

// Markdown writes the report as GitHub-flavoured Markdown (a PR comment or
// a wiki page).
func Markdown(out io.Writer, r *analyzer.Report, o Options) error {
	w := bufio.NewWriter(out)
	s := r.Summary
	fmt.Fprintf(w, "# sqlsift report\n\n")
	fmt.Fprintf(w, "| | |\n|---|---|\n")
	for _, in := range r.Inputs {
		p := in.Path
		if p == "" {
			p = "<stdin>"
		}
		fmt.Fprintf(w, "| Input | `%s` (%s, %d bytes, %d events, %d warnings) |\n", mdCell(p), in.Format, in.Bytes, in.Events, in.Warnings)
	}
	fmt.Fprintf(w, "| Statements | %d in %d classes |\n", s.Events, s.Classes)
	if s.HasTiming {
		fmt.Fprintf(w, "| Total query time | %s |\n", Duration(s.QueryTimeTotal))
	}
	if s.FirstSeen != "" {
		fmt.Fprintf(w, "| Time range | %s – %s (%s) |\n", s.FirstSeen, s.LastSeen, Duration(s.Duration))
		if s.Duration > 0 {
			fmt.Fprintf(w, "| QPS | %.1f |\n", s.QPS)
		}
	}
	if len(r.Options.Filters) > 0 {
		fmt.Fprintf(w, "| Filters | %s |\n", mdCell(strings.Join(r.Options.Filters, ", ")))
	}
	fmt.Fprintf(w, "| Ordered by | %s |\n", r.Options.OrderBy)
	mdLive(w, r)
	fmt.Fprintf(w, "\n## Profile\n\n")
	fmt.Fprintf(w, "| Rank | Class ID | Total time | Time %% | Calls | Avg | P95 | Rows exam | Rows sent | Fingerprint |\n")
	fmt.Fprintf(w, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, c := range r.Classes {
		fmt.Fprintf(w, "| %d | `%s` | %s | %s | %s | %s | %s | %s | %s | %s |\n", c.Rank, c.ID,
			timeOr(c.QueryTime.Total, c.QueryTime.N), pctOr(c.TimeShare, c.QueryTime.N), Count(float64(c.Count)),
			timeOr(c.QueryTime.Avg, c.QueryTime.N), timeOr(c.QueryTime.P95, c.QueryTime.N),
			countOr(c.RowsExamined.Total, c.RowsExamined.N), countOr(c.RowsSent.Total, c.RowsSent.N),
			mdCode(Shorten(c.Fingerprint, 100)))
	}
	if r.Remainder.Classes > 0 {
		fmt.Fprintf(w, "\n%d more classes (%d calls, %s of time) not listed.\n", r.Remainder.Classes, r.Remainder.Events, Percent(r.Remainder.TimeShare))
	}
	mdFindings(w, r)
	for i, c := range r.Classes {
		if i >= o.Detail {
			break
		}
		fmt.Fprintf(w, "\n## %d. `%s`\n\n", c.Rank, c.ID)
		fmt.Fprintf(w, "```sql\n%s\n```\n\n", c.Fingerprint)
		fmt.Fprintf(w, "| Metric | Total | Min | Avg | P50 | P95 | P99 | Max |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
		mdRow := func(name string, d analyzer.Dist, f func(float64) string) {
			if d.N > 0 {
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", name, f(d.Total), f(d.Min), f(d.Avg), f(d.P50), f(d.P95), f(d.P99), f(d.Max))
			}
		}
		mdRow("Query time", c.QueryTime, Duration)
		mdRow("Lock time", c.LockTime, Duration)
		mdRow("Rows sent", c.RowsSent, Count)
		mdRow("Rows examined", c.RowsExamined, Count)
		mdRow("Rows affected", c.RowsAffected, Count)
		mdRow("Bytes sent", c.BytesSent, Count)
		fmt.Fprintf(w, "\nCalls %d · databases %s · users %s · hosts %s\n", c.Count, mdText(topNames(c.Databases, 3)), mdText(topNames(c.Users, 3)), mdText(topNames(c.Hosts, 3)))
		fmt.Fprintf(w, "\nSlowest example (%s, `%s:%d`):\n\n```sql\n%s\n```\n", Duration(c.Example.QueryTime), c.Example.File, c.Example.Line, strings.ReplaceAll(c.Example.Query, "```", "` ` `"))
	}
	mdExplain(w, r)
	if r.Warnings.Count > 0 {
		fmt.Fprintf(w, "\n## Warnings (%d)\n\n", r.Warnings.Count)
		for _, m := range r.Warnings.First {
			fmt.Fprintf(w, "- `%s`\n", mdCell(m))
		}
	}
	return w.Flush()
}

// mdCode writes s as an inline code span that may itself contain
// backticks (fingerprints quote identifiers): a double-backtick span, with
// pipes escaped for tables.
func mdCode(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return "`` " + strings.ReplaceAll(s, "\n", " ") + " ``"
}

// mdCell makes text safe inside a table cell or inline code span.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "`", "'")
	return strings.ReplaceAll(s, "\n", " ")
}

func mdText(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// mdFindings writes the findings ranked by waste: the message, the
// evidence, the suggestion with its SQL rewrites as code blocks, notes
// and example locations.
func mdFindings(w io.Writer, r *analyzer.Report) {
	if len(r.Findings) == 0 {
		return
	}
	fmt.Fprintf(w, "\n## Findings\n\nRanked by estimated wasted time.\n\n")
	for i, f := range r.Findings {
		kind := f.Kind
		if f.Variant != "" {
			kind += "/" + f.Variant
		}
		fmt.Fprintf(w, "%d. **%s** (%s, %s confidence): %s\n", i+1, f.Severity, kind, f.Confidence, mdText(f.Message))
		meta := []string{"key `" + f.Key + "`"}
		if f.Boundary != "" {
			meta = append(meta, "boundary: "+f.Boundary)
		}
		keys := make([]string, 0, len(f.Attribution))
		for k := range f.Attribution {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			meta = append(meta, k+": "+mdCode(f.Attribution[k]))
		}
		fmt.Fprintf(w, "\n   %s\n", strings.Join(meta, " · "))
		if f.Suggestion != "" {
			fmt.Fprintln(w)
			inCode := false
			for _, line := range strings.Split(f.Suggestion, "\n") {
				sql := strings.TrimSpace(line)
				isSQL := false
				for _, rw := range f.Rewrites {
					isSQL = isSQL || rw == sql
				}
				switch {
				case isSQL && !inCode:
					fmt.Fprintf(w, "   ```sql\n   %s\n", sql)
					inCode = true
				case isSQL:
					fmt.Fprintf(w, "   %s\n", sql)
				default:
					if inCode {
						fmt.Fprintf(w, "   ```\n")
						inCode = false
					}
					fmt.Fprintf(w, "   %s\n", mdText(line))
				}
			}
			if inCode {
				fmt.Fprintf(w, "   ```\n")
			}
		}
		for _, n := range f.Notes {
			fmt.Fprintf(w, "   - note: %s\n", mdText(n))
		}
		for _, ex := range f.Examples {
			loc := fmt.Sprintf("%s:%d", ex.File, ex.Line)
			if ex.EndLine > ex.Line {
				loc += fmt.Sprintf("-%d", ex.EndLine)
			}
			fmt.Fprintf(w, "   - seen at `%s` (%d repeats)\n", loc, ex.Count)
		}
		fmt.Fprintln(w)
	}
}
