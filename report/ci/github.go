package ci

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/sqlsift/sqlsift/analyzer/gate"
)

// GitHub writes GitHub Actions workflow commands: one annotation per new
// result (::error, ::warning or ::notice, at its first location), a notice
// per stale baseline entry and per note, then the verdict line.
func GitHub(out io.Writer, c *Check) error {
	w := bufio.NewWriter(out)
	r := c.Result
	for i := range r.Results {
		v := &r.Results[i]
		props := []string{}
		if len(v.Locations) > 0 {
			l := v.Locations[0]
			if l.File != "" {
				props = append(props, "file="+ghProp(l.File))
				if l.Line > 0 {
					props = append(props, fmt.Sprintf("line=%d", l.Line))
				}
				if l.EndLine > l.Line {
					props = append(props, fmt.Sprintf("endLine=%d", l.EndLine))
				}
			}
		}
		props = append(props, "title="+ghProp("sqlsift "+v.Rule))
		msg := v.Message
		if v.Route != "" && !strings.Contains(msg, v.Route) {
			msg += " (route " + v.Route + ")"
		}
		for _, l := range v.Locations[min(1, len(v.Locations)):] {
			msg += "\nalso at " + locString(l)
			if l.Note != "" {
				msg += " (" + l.Note + ")"
			}
		}
		if v.Suggestion != "" {
			msg += "\nSuggested rewrite:\n" + v.Suggestion
		}
		fmt.Fprintf(w, "::%s %s::%s\n", ghLevel(v.Level), strings.Join(props, ","), ghData(msg))
	}
	for _, e := range r.Stale {
		fmt.Fprintf(w, "::notice title=%s::%s\n", ghProp("sqlsift stale baseline entry"), ghData("no longer occurs, remove it from the baseline: "+staleLine(e)))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "::notice title=%s::%s\n", ghProp("sqlsift"), ghData(n))
	}
	fmt.Fprintln(w, verdict(c))
	return w.Flush()
}

func ghLevel(l gate.Level) string {
	switch l {
	case gate.LevelError:
		return "error"
	case gate.LevelWarning:
		return "warning"
	}
	return "notice"
}

// ghData escapes a workflow command message (actions/toolkit
// command.ts escapeData).
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProp escapes a workflow command property value (escapeProperty).
func ghProp(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
