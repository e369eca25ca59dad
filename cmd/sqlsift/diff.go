package main

import (
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/analyzer/gate"
	"github.com/sqlsift/sqlsift/report/ci"
)

type diffFlags struct {
	in       inputFlags
	cfg      configFlags
	formats  []string
	failOn   []string
	maxItems int
	calls    fractionFlag
	p95      fractionFlag
	rows     fractionFlag
}

// fractionFlag is a relative threshold: 20% or 0.2.
type fractionFlag struct {
	v   float64
	set bool
}

func (f *fractionFlag) String() string {
	if !f.set {
		return ""
	}
	return strconv.FormatFloat(f.v*100, 'g', -1, 64) + "%"
}

func (f *fractionFlag) Set(s string) error {
	div := 1.0
	t := s
	if strings.HasSuffix(t, "%") {
		t, div = strings.TrimSuffix(t, "%"), 100
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 {
		return usagef("want a fraction such as 0.2 or 20%%, got %q", s)
	}
	f.v, f.set = v/div, true
	return nil
}

func (f *fractionFlag) Type() string { return "fraction" }

var _ pflag.Value = (*fractionFlag)(nil)

func diffCmd(e *env) *cobra.Command {
	f := &diffFlags{}
	c := &cobra.Command{
		Use:   "diff [flags] OLD NEW",
		Short: "Compare two captures (logs or saved JSON reports): new/vanished classes, regressions, new/resolved findings",
		Long: `Compare two captures of the same workload, each a query log or a JSON report
saved with sqlsift analyze --format json --limit 0: classes that appeared or
vanished, classes whose calls per unit of work, p95 query time or rows examined
per call grew beyond the thresholds (.sqlsift.yml diff: section or the flags
below), and findings that are new or resolved. Without --fail-on it only
reports; --fail-on makes it a gate (exit 1).

` + exitCodesHelp,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error { return runDiff(e, f, args) },
	}
	fs := c.Flags()
	f.in.register(fs)
	f.cfg.register(fs)
	fs.StringArrayVarP(&f.formats, "format", "f", nil, "output format `NAME[=FILE]`, repeatable: "+strings.Join(ci.DiffFormats(), ", ")+" (default text)")
	fs.StringSliceVar(&f.failOn, "fail-on", nil, "exit 1 when the diff has any of these `CONDITIONS`: "+strings.Join(gate.DiffFailKinds, ", ")+" (comma-separated or repeated; default: the config's diff.fail_on)")
	fs.IntVar(&f.maxItems, "max-items", 20, "entries listed per section in text and markdown (0: all)")
	fs.Var(&f.calls, "calls-increase", "regression threshold for calls per unit of work (default 20%)")
	fs.Var(&f.p95, "p95-increase", "regression threshold for p95 query time (default 50%)")
	fs.Var(&f.rows, "rows-examined-increase", "regression threshold for rows examined per call (default 50%)")
	return c
}

func runDiff(e *env, f *diffFlags, args []string) error {
	outs, err := parseOutputs(f.formats, func(n string) error { _, err := ci.LookupDiff(n); return err })
	if err != nil {
		return err
	}
	if f.maxItems < 0 {
		return usagef("--max-items must not be negative")
	}
	for _, a := range args {
		if a == "-" || a == "" {
			return usagef("diff reads files: stdin cannot be one side")
		}
	}
	cfg, _, err := f.cfg.load(fingerprintOptions(&f.in))
	if err != nil {
		return err
	}
	if f.failOn != nil {
		cfg.Diff.FailOn = nil
		for _, k := range f.failOn {
			if k == "" {
				continue
			}
			if !hasString(gate.DiffFailKinds, k) {
				return usagef("--fail-on %q: want %s", k, strings.Join(gate.DiffFailKinds, ", "))
			}
			cfg.Diff.FailOn = append(cfg.Diff.FailOn, k)
		}
	}
	for _, t := range []struct {
		f   *fractionFlag
		dst *float64
	}{{&f.calls, &cfg.Diff.CallsIncrease}, {&f.p95, &cfg.Diff.P95Increase}, {&f.rows, &cfg.Diff.RowsExaminedIncrease}} {
		if t.f.set {
			*t.dst = t.f.v
		}
	}
	var sides [2]gate.DiffInput
	for i, a := range args {
		r, err := loadReport(e, &f.in, []string{a}, analyzer.ReportOptions{Limit: 0})
		if err != nil {
			return err
		}
		sides[i] = gate.DiffInput{Report: r, Units: totalUnits(unitsOf(r))}
	}
	res := gate.Diff(sides[0], sides[1], cfg)
	d := &ci.Diff{Tool: analyzer.Tool{Name: "sqlsift", Version: version}, OldName: args[0], NewName: args[1], Result: res, MaxItems: f.maxItems}
	err = writeOutputs(e, outs, func(w io.Writer, format string) error {
		render, _ := ci.LookupDiff(format)
		return render(w, d)
	})
	if err != nil {
		return err
	}
	if res.Failed {
		return exitf(ExitGateFailed, "diff failed: %s", strings.Join(res.FailReasons, ", "))
	}
	return nil
}

func totalUnits(gs []gate.UnitGroup) int64 {
	var n int64
	for _, g := range gs {
		n += g.Units
	}
	return n
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
