package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/sqlsift/sqlsift/analyzer"
)

// textLive writes the live-capture section: where the data came from and
// how complete it is. Nothing for log files.
func textLive(w io.Writer, r *analyzer.Report) {
	l := r.Live
	if l == nil {
		return
	}
	fmt.Fprintf(w, "Live capture: %s on %s (%s), %s to %s (%s), %d polls every %s\n",
		l.Source, l.DSN, l.Server, l.Start, l.End, Duration(l.Duration), l.Polls, Duration(l.Interval))
	if l.LostEvents > 0 || l.Overflows > 0 {
		fmt.Fprintf(w, "  LOST: about %d statements were overwritten in the performance_schema ring (%d rows) before a poll read them", l.LostEvents, l.RingSize)
		if l.Overflows > 0 {
			fmt.Fprintf(w, "; the ring wrapped between polls %d times (statements of short connections may be lost uncounted)", l.Overflows)
		}
		fmt.Fprintln(w)
		if l.SuggestedInterval > 0 {
			fmt.Fprintf(w, "  Poll every %s or less (--interval; peak %.0f statements/s), or raise performance_schema_events_statements_history_long_size\n", Duration(l.SuggestedInterval), l.PeakRate)
		}
	} else if l.Source == "perfschema" {
		fmt.Fprintln(w, "  No statements lost.")
	}
	for _, g := range l.Gaps {
		end := g.End
		if end == "" {
			end = "end of capture"
		}
		what := "server unreachable"
		if g.Restarted {
			what = "server restarted"
		}
		fmt.Fprintf(w, "  GAP: %s to %s (%s), %s: %s\n", g.Start, end, Duration(g.Seconds), what, g.Reason)
	}
	counts := []struct {
		n    int64
		what string
	}{
		{l.Truncated, fmt.Sprintf("statements had their text cut by the server at %d characters (performance_schema_max_sql_text_length)", l.TextLimit)},
		{l.Nested, "statements inside stored programs were left out (their CALL is counted)"},
		{l.ExecNoText, "prepared-statement executions had no text recorded and were not aggregated"},
		{l.Unmapped, "statements came from connections that closed before their THREAD_ID could be mapped (connection id stands in)"},
		{l.Resets, "digest summary resets were handled"},
		{l.DigestOverflow, "statements fell into the NULL-digest row (performance_schema_digests_size is full)"},
	}
	for _, c := range counts {
		if c.n > 0 {
			fmt.Fprintf(w, "  %d %s\n", c.n, c.what)
		}
	}
	for _, n := range l.Notes {
		fmt.Fprintf(w, "  Note: %s\n", indentRest(n, "    "))
	}
	if len(l.BlindSpots) > 0 {
		fmt.Fprintln(w, "  Blind spots of this source:")
		for _, b := range l.BlindSpots {
			fmt.Fprintf(w, "    - %s\n", b)
		}
	}
}

// textExplain writes the EXPLAIN plans and the schema advice.
func textExplain(w io.Writer, r *analyzer.Report) {
	e := r.Explain
	if e == nil {
		return
	}
	fmt.Fprintf(w, "\nEXPLAIN on %s (%s)\n", e.DSN, e.Server)
	for _, p := range e.Plans {
		fmt.Fprintf(w, "\n  #%d %s", p.Rank, p.ClassID)
		if p.DB != "" {
			fmt.Fprintf(w, " (db %s)", p.DB)
		}
		if p.Error != "" {
			fmt.Fprintf(w, ": EXPLAIN failed: %s\n", p.Error)
			continue
		}
		fmt.Fprintf(w, ": %s\n", planFlags(p))
		if p.Message != "" {
			fmt.Fprintf(w, "    %s\n", p.Message)
		}
		for _, t := range p.Tables {
			fmt.Fprintf(w, "    %s\n", tableLine(t))
		}
	}
	for _, s := range e.Skipped {
		fmt.Fprintf(w, "  #%d %s not explained: %s\n", s.Rank, s.ClassID, s.Reason)
	}
	if len(e.Advice) > 0 {
		fmt.Fprintf(w, "\nSchema advice (%d)\n", len(e.Advice))
		for i, a := range e.Advice {
			fmt.Fprintf(w, "\n%d. [%s] %s\n", i+1, a.Kind, a.Message)
			if a.SQL != "" {
				for _, line := range strings.Split(a.SQL, "\n") {
					fmt.Fprintf(w, "   %s\n", line)
				}
			}
		}
	}
	for _, m := range e.Errors {
		fmt.Fprintf(w, "  Error: %s\n", m)
	}
}

func planFlags(p analyzer.Plan) string {
	var f []string
	if p.FullScan {
		f = append(f, "FULL SCAN")
	}
	if p.Filesort {
		f = append(f, "filesort")
	}
	if p.Temporary {
		f = append(f, "temporary table")
	}
	if len(f) == 0 {
		return "uses indexes"
	}
	return strings.Join(f, ", ")
}

func tableLine(t analyzer.TableAccess) string {
	key := t.Key
	if key == "" {
		key = "no key"
	}
	s := fmt.Sprintf("%s: access %s, key %s, rows %s, filtered %s%%", t.Table, t.Access, key, Count(t.Rows), Count(t.Filtered))
	if len(t.PossibleKeys) > 0 {
		s += ", possible keys " + strings.Join(t.PossibleKeys, ", ")
	}
	if t.Condition != "" {
		s += ", condition " + Shorten(t.Condition, 80)
	}
	return s
}

func indentRest(s, indent string) string {
	return strings.ReplaceAll(s, "\n", "\n"+indent)
}
