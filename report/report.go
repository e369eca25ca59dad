// Package report renders an analyzer.Report. Renderers only format: every
// number they print was computed by the analyzer, so the text, Markdown and
// JSON outputs cannot disagree.
package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/sqlsift/sqlsift/analyzer"
)

// Renderer writes a report in one format.
type Renderer func(w io.Writer, r *analyzer.Report, o Options) error

// Options tune human-oriented renderers.
type Options struct {
	// Detail is how many top classes get a detail section (text, markdown).
	Detail int
}

var renderers = map[string]Renderer{
	"text":     Text,
	"json":     JSON,
	"markdown": Markdown,
}

// Formats lists the format names, sorted.
func Formats() []string {
	out := make([]string, 0, len(renderers))
	for k := range renderers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the renderer for a format name.
func Lookup(name string) (Renderer, error) {
	if r, ok := renderers[name]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("unknown format %q (want one of %s)", name, strings.Join(Formats(), ", "))
}

// Duration formats seconds for humans: 1.23s, 45.6ms, 789µs.
func Duration(s float64) string {
	switch {
	case s == 0:
		return "0"
	case s >= 3600:
		return fmt.Sprintf("%.1fh", s/3600)
	case s >= 100:
		return fmt.Sprintf("%.0fs", s)
	case s >= 1:
		return fmt.Sprintf("%.2fs", s)
	case s >= 0.001:
		return fmt.Sprintf("%.1fms", s*1e3)
	default:
		return fmt.Sprintf("%.0fµs", s*1e6)
	}
}

// Count formats a count with k/M suffixes past 10,000.
func Count(n float64) string {
	a := math.Abs(n)
	switch {
	case a >= 1e9:
		return fmt.Sprintf("%.1fG", n/1e9)
	case a >= 1e6:
		return fmt.Sprintf("%.1fM", n/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.1fk", n/1e3)
	case n == math.Trunc(n):
		return strconv.FormatInt(int64(n), 10)
	default:
		return strconv.FormatFloat(n, 'f', 1, 64)
	}
}

// Percent formats a fraction as a percentage.
func Percent(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }

// Shorten cuts s to n runes with an ellipsis, on one line.
func Shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func topNames(n analyzer.Names, k int) string {
	if len(n.Top) == 0 {
		return "-"
	}
	parts := make([]string, 0, k+1)
	for i, t := range n.Top {
		if i == k {
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%d)", t.Name, t.Count))
	}
	rest := n.Distinct - int64(len(parts))
	if rest > 0 {
		approx := ""
		if !n.Exact {
			approx = "~"
		}
		parts = append(parts, fmt.Sprintf("+%s%d more", approx, rest))
	}
	return strings.Join(parts, ", ")
}
