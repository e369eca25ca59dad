package ci

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Markdown writes a pull-request comment: the verdict, a table of new
// results, their rewrites in collapsed sections, stale baseline entries
// and notes.
func Markdown(out io.Writer, c *Check) error {
	w := bufio.NewWriter(out)
	r := c.Result
	mark := "✅"
	if !r.Passed {
		mark = "❌"
	}
	fmt.Fprintf(w, "### %s %s\n\n", mark, mdEscape(verdict(c)))
	if in := inputsLine(c.Report); in != "" {
		fmt.Fprintf(w, "Inputs: %s", mdEscape(in))
		if c.Report.Summary.Events > 0 {
			fmt.Fprintf(w, " — %d statements in %d classes", c.Report.Summary.Events, c.Report.Summary.Classes)
		}
		fmt.Fprintf(w, "\n\n")
	}
	if len(r.Results) > 0 {
		fmt.Fprintf(w, "| Level | Rule | Where | Problem |\n|---|---|---|---|\n")
		for i := range r.Results {
			v := &r.Results[i]
			loc := where(v)
			if loc != "" {
				loc = "`" + mdCode(loc) + "`"
			}
			msg := mdEscape(shorten(v.Message, 300))
			if v.Route != "" && !strings.Contains(v.Message, v.Route) {
				msg += " (route `" + mdCode(v.Route) + "`)"
			}
			fmt.Fprintf(w, "| %s | `%s` | %s | %s |\n", v.Level, v.Rule, loc, msg)
		}
		fmt.Fprintln(w)
		for i := range r.Results {
			v := &r.Results[i]
			if v.Suggestion == "" {
				continue
			}
			fmt.Fprintf(w, "<details><summary>Suggested rewrite for <code>%s</code> %s</summary>\n\n", v.Rule, htmlEscape(shorten(v.Fingerprint, 80)))
			fmt.Fprintf(w, "````\n%s\n````\n\n</details>\n\n", v.Suggestion)
		}
	}
	if len(r.Stale) > 0 {
		fmt.Fprintf(w, "<details><summary>%s no longer occurring: remove from the baseline</summary>\n\n", plural(len(r.Stale), "stale baseline entry", "stale baseline entries"))
		for _, e := range r.Stale {
			fmt.Fprintf(w, "- `%s`\n", mdCode(staleLine(e)))
		}
		fmt.Fprintf(w, "\n</details>\n\n")
	}
	if len(r.Baselined) > 0 {
		fmt.Fprintf(w, "<details><summary>%d baselined (known, not failing)</summary>\n\n", len(r.Baselined))
		for i := range r.Baselined {
			v := &r.Baselined[i]
			fmt.Fprintf(w, "- %s `%s`: %s\n", v.Level, v.Rule, mdEscape(shorten(v.Message, 200)))
		}
		fmt.Fprintf(w, "\n</details>\n\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "> **Note:** %s\n\n", mdEscape(n))
	}
	return w.Flush()
}

// mdEscape keeps text on one line and out of table syntax.
func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(s)
}

// mdCode makes text safe inside a one-backtick code span in a table.
func mdCode(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "`", "'")
	return strings.ReplaceAll(s, "|", "\\|")
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "`", "&#96;").Replace(s)
}
