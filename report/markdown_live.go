package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/sqlsift/sqlsift/analyzer"
)

// mdLive writes the live-capture section as Markdown.
func mdLive(w io.Writer, r *analyzer.Report) {
	l := r.Live
	if l == nil {
		return
	}
	fmt.Fprintf(w, "\n## Live capture\n\n| | |\n|---|---|\n")
	fmt.Fprintf(w, "| Source | %s on `%s` (%s) |\n", l.Source, mdCell(l.DSN), mdCell(l.Server))
	fmt.Fprintf(w, "| Window | %s – %s (%s), %d polls every %s |\n", l.Start, l.End, Duration(l.Duration), l.Polls, Duration(l.Interval))
	if l.Source == "perfschema" || l.LostEvents > 0 {
		fmt.Fprintf(w, "| Lost statements | %d (ring of %d rows wrapped %d times) |\n", l.LostEvents, l.RingSize, l.Overflows)
	}
	if l.SuggestedInterval > 0 {
		fmt.Fprintf(w, "| Suggested interval | %s or less (peak %.0f statements/s) |\n", Duration(l.SuggestedInterval), l.PeakRate)
	}
	fmt.Fprintf(w, "| Gaps | %d |\n", len(l.Gaps))
	for _, row := range []struct {
		name string
		n    int64
	}{{"Truncated texts", l.Truncated}, {"Stored-program statements left out", l.Nested}, {"Executions without text", l.ExecNoText},
		{"Unmapped connections", l.Unmapped}, {"Digest resets", l.Resets}, {"NULL-digest statements", l.DigestOverflow}} {
		if row.n > 0 {
			fmt.Fprintf(w, "| %s | %d |\n", row.name, row.n)
		}
	}
	if len(l.Gaps) > 0 {
		fmt.Fprintf(w, "\n| Gap start | Gap end | Length | Restart | Reason |\n|---|---|---:|---|---|\n")
		for _, g := range l.Gaps {
			end := g.End
			if end == "" {
				end = "end of capture"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %v | %s |\n", g.Start, end, Duration(g.Seconds), g.Restarted, mdCell(g.Reason))
		}
	}
	for _, n := range l.Notes {
		fmt.Fprintf(w, "\n> **Note:** %s\n", strings.ReplaceAll(n, "\n", "\n> "))
	}
	if len(l.BlindSpots) > 0 {
		fmt.Fprintf(w, "\nBlind spots of this source:\n\n")
		for _, b := range l.BlindSpots {
			fmt.Fprintf(w, "- %s\n", mdText(b))
		}
	}
}

// mdExplain writes the EXPLAIN plans and the schema advice as Markdown.
func mdExplain(w io.Writer, r *analyzer.Report) {
	e := r.Explain
	if e == nil {
		return
	}
	fmt.Fprintf(w, "\n## EXPLAIN\n\nOn `%s` (%s).\n", mdCell(e.DSN), mdCell(e.Server))
	if len(e.Plans) > 0 {
		fmt.Fprintf(w, "\n| Rank | Class ID | Table | Access | Key | Rows | Filtered | Flags |\n|---:|---|---|---|---|---:|---:|---|\n")
		for _, p := range e.Plans {
			if p.Error != "" {
				fmt.Fprintf(w, "| %d | `%s` | | | | | | EXPLAIN failed: %s |\n", p.Rank, p.ClassID, mdCell(p.Error))
				continue
			}
			if len(p.Tables) == 0 {
				fmt.Fprintf(w, "| %d | `%s` | | | | | | %s |\n", p.Rank, p.ClassID, mdCell(p.Message))
			}
			for i, t := range p.Tables {
				flags := ""
				if i == 0 {
					flags = planFlags(p)
				}
				key := t.Key
				if key == "" {
					key = "–"
				}
				fmt.Fprintf(w, "| %d | `%s` | %s | %s | %s | %s | %s%% | %s |\n", p.Rank, p.ClassID, mdCell(t.Table), t.Access, mdCell(key), Count(t.Rows), Count(t.Filtered), flags)
			}
		}
	}
	for _, s := range e.Skipped {
		fmt.Fprintf(w, "\n- #%d `%s` not explained: %s", s.Rank, s.ClassID, mdText(s.Reason))
	}
	if len(e.Skipped) > 0 {
		fmt.Fprintln(w)
	}
	if len(e.Advice) > 0 {
		fmt.Fprintf(w, "\n### Schema advice\n\n")
		for i, a := range e.Advice {
			fmt.Fprintf(w, "%d. **%s**: %s\n", i+1, a.Kind, mdText(a.Message))
			if a.SQL != "" {
				fmt.Fprintf(w, "\n   ```sql\n")
				for _, line := range strings.Split(a.SQL, "\n") {
					fmt.Fprintf(w, "   %s\n", line)
				}
				fmt.Fprintf(w, "   ```\n\n")
			}
		}
	}
	for _, m := range e.Errors {
		fmt.Fprintf(w, "\n> **Error:** %s\n", mdText(m))
	}
}
