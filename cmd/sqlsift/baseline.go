package main

import (
	"bufio"
	"io"

	"github.com/spf13/cobra"

	"github.com/sqlsift/sqlsift/analyzer/gate"
)

type baselineFlags struct {
	in     inputFlags
	cfg    configFlags
	output string
	prune  string
}

func baselineCmd(e *env) *cobra.Command {
	f := &baselineFlags{}
	c := &cobra.Command{
		Use:   "baseline [flags] LOG...",
		Short: "Record today's gate results so `check --baseline` fails only on new ones",
		Long: `Analyze query logs (or one saved JSON report) like sqlsift check and write every
current result (N+1 findings and budget violations, at any level) as a baseline:
JSON with one entry per result, keyed by a stable key that holds no literals,
counts or timestamps, so the same problems give the same file on every run and
machine. Commit it, and run sqlsift check --baseline FILE in CI.

  sqlsift baseline logs/general.log > sqlsift-baseline.json

--prune OLD keeps only the entries of OLD that still occur: the baseline
shrinks as problems are fixed and nothing new is accepted.

` + exitCodesHelp,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runBaseline(e, f, args) },
	}
	fs := c.Flags()
	f.in.register(fs)
	f.cfg.register(fs)
	fs.StringVarP(&f.output, "output", "o", "", "write the baseline to `FILE` instead of stdout")
	fs.StringVar(&f.prune, "prune", "", "keep only the entries of the baseline `FILE` that still occur")
	return c
}

func runBaseline(e *env, f *baselineFlags, args []string) error {
	var old *gate.Baseline
	if f.prune != "" {
		var err error
		if old, err = readBaseline(f.prune); err != nil {
			return err
		}
	}
	gi, err := loadGateInput(e, &f.in, &f.cfg, args, false)
	if err != nil {
		return err
	}
	res := gate.Evaluate(gate.Input{Report: gi.report, Units: gi.units, Baseline: old}, gi.cfg)
	b := gate.NewBaseline(res)
	if old != nil {
		b = old.Prune(res)
	}
	write := func(w io.Writer) error { return b.Encode(w) }
	if f.output != "" {
		if err := writeFile(f.output, write); err != nil {
			return exitf(ExitError, "writing %s: %v", f.output, err)
		}
	} else {
		w := bufio.NewWriter(e.stdout)
		if err := write(w); err != nil {
			return exitf(ExitError, "writing baseline: %v", err)
		}
		if err := w.Flush(); err != nil {
			return exitf(ExitError, "writing baseline: %v", err)
		}
	}
	if f.in.strict && gi.report.Warnings.Count > 0 {
		return exitf(ExitError, "%d input warnings (--strict)", gi.report.Warnings.Count)
	}
	return nil
}
