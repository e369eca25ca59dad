package main

import (
	"bufio"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/report"
)

type analyzeFlags struct {
	in      inputFlags
	format  string
	orderBy string
	limit   int
	detail  int
	redact  bool
	explain string // --explain DSN (live.go)
}

func analyzeCmd(e *env) *cobra.Command {
	f := &analyzeFlags{}
	c := &cobra.Command{
		Use:   "analyze [flags] [LOG ...]",
		Short: "Report the statement classes that cost the most (reads files, .gz, or stdin)",
		Long: `Read one or more slow or general query logs ("-" or nothing: stdin; gzip is
detected automatically) and print one report ranking statement classes.

` + exitCodesHelp,
		RunE: func(cmd *cobra.Command, args []string) error { return runAnalyze(e, f, args) },
	}
	fs := c.Flags()
	f.in.register(fs)
	fs.StringVarP(&f.format, "format", "f", "text", "output format: "+strings.Join(report.Formats(), ", "))
	fs.StringVar(&f.orderBy, "order-by", analyzer.OrderKeys[0], "rank classes by: "+strings.Join(analyzer.OrderKeys, ", "))
	fs.IntVar(&f.limit, "limit", 20, "classes listed (0: all); the rest are summarised")
	fs.IntVar(&f.detail, "detail", 5, "classes given a detail section in text and markdown output")
	fs.BoolVar(&f.redact, "redact", false, "remove every literal value from the output (examples, findings)")
	fs.StringVar(&f.explain, "explain", "", "EXPLAIN the top SELECT classes and read the schema on this DSN (a staging copy; see sqlsift live --help)")
	return c
}

func runAnalyze(e *env, f *analyzeFlags, args []string) error {
	render, err := report.Lookup(f.format)
	if err != nil {
		return usagef("--format: %v", err)
	}
	if !validOrder(f.orderBy) {
		return usagef("--order-by %q: want one of %s", f.orderBy, strings.Join(analyzer.OrderKeys, ", "))
	}
	if f.limit < 0 || f.detail < 0 {
		return usagef("--limit and --detail must not be negative")
	}
	r, err := buildReport(e, &f.in, args, analyzer.ReportOptions{OrderBy: f.orderBy, Limit: f.limit, Redact: f.redact})
	if err != nil {
		return err
	}
	var explainErr error
	if f.explain != "" {
		explainErr = enrichExplain(e, r, f.explain, 0, 0)
	}
	w := bufio.NewWriter(e.stdout)
	if err := render(w, r, report.Options{Detail: f.detail}); err != nil {
		return exitf(ExitError, "writing report: %v", err)
	}
	if err := w.Flush(); err != nil {
		return exitf(ExitError, "writing report: %v", err)
	}
	if f.in.strict && r.Warnings.Count > 0 {
		return exitf(ExitError, "%d input warnings (--strict)", r.Warnings.Count)
	}
	return explainErr
}

func validOrder(s string) bool {
	for _, k := range analyzer.OrderKeys {
		if k == s {
			return true
		}
	}
	return false
}

// buildReport reads the inputs and builds the report; shared by every
// command that analyzes logs.
func buildReport(e *env, in *inputFlags, args []string, ro analyzer.ReportOptions) (*analyzer.Report, error) {
	ao, filters, err := in.options(time.Now())
	if err != nil {
		return nil, err
	}
	defer startMemoryGovernor(in.memoryLimit.limit())()
	agg, inputs, err := ingest(e, args, in, ao)
	if err != nil {
		return nil, err
	}
	heapProfile("ingest")
	ro.Tool = analyzer.Tool{Name: "sqlsift", Version: version}
	ro.Inputs = inputs
	ro.Filters = filters
	r := agg.Report(ro)
	heapProfile("report")
	var read int64
	for _, i := range inputs {
		read += i.Events
	}
	if read == 0 && !in.allowEmpty {
		msg := "no events found in the input"
		if r.Warnings.Count > 0 {
			msg += " (" + r.Warnings.First[0]
			if r.Warnings.Count > 1 {
				msg += ", …"
			}
			msg += ")"
		}
		return nil, exitf(ExitError, "%s; --allow-empty accepts this", msg)
	}
	return r, nil
}
