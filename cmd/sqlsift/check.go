package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/analyzer/fingerprint"
	"github.com/sqlsift/sqlsift/analyzer/gate"
	"github.com/sqlsift/sqlsift/report/ci"
)

type checkFlags struct {
	in          inputFlags
	cfg         configFlags
	baseline    string
	noBaseline  bool
	formats     []string
	failLevel   string
	failOnStale bool
	redact      bool
}

const checkLong = `Analyze query logs (or one saved JSON report of sqlsift analyze --format json)
and judge them against the gate: N+1 findings, budgets from .sqlsift.yml
(statements per unit of work, N+1 repeats, per-class p95/total time/calls/rows
examined, forbidden classes), allow-lists and a baseline of known results.

Default gate, without configuration: any N+1 finding with confidence medium or
higher that is not in the baseline fails. With --baseline, only results whose
key is not in the baseline count; baseline entries that no longer occur are
reported as stale so the baseline can shrink.

Output formats (--format, repeatable, NAME or NAME=FILE; one may go to stdout):
  text      human summary (default)
  json      the verdict as JSON
  sarif     SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps)
  junit     JUnit XML: one test case per rule and per result
  github    GitHub Actions annotations (::error file=…,line=…::…)
  markdown  a pull-request comment

`

func checkCmd(e *env) *cobra.Command {
	f := &checkFlags{}
	c := &cobra.Command{
		Use:   "check [flags] LOG...",
		Short: "CI gate: fail on new N+1 loops and budget violations (SARIF, JUnit, GitHub, Markdown output)",
		Long:  checkLong + exitCodesHelp,
		Args:  cobra.MinimumNArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return runCheck(e, f, args) },
	}
	fs := c.Flags()
	f.in.register(fs)
	f.cfg.register(fs)
	fs.StringVar(&f.baseline, "baseline", "", "baseline `FILE` written by sqlsift baseline: only results not in it fail (default: the config's baseline)")
	fs.BoolVar(&f.noBaseline, "no-baseline", false, "ignore the baseline named in the configuration")
	fs.StringArrayVarP(&f.formats, "format", "f", nil, "output format `NAME[=FILE]`, repeatable: "+strings.Join(ci.Formats(), ", ")+" (default text)")
	fs.StringVar(&f.failLevel, "fail-level", "", "lowest `LEVEL` that fails the gate: error, warning or note (default: the config's fail_level, else error)")
	fs.BoolVar(&f.failOnStale, "fail-on-stale", false, "fail when baseline entries no longer occur")
	fs.BoolVar(&f.redact, "redact", false, "remove every literal value from examples and rewrites")
	return c
}

// output is one rendering destination.
type output struct {
	format string
	path   string // "" for stdout
}

// parseOutputs reads NAME[=FILE] values; at most one may use stdout.
func parseOutputs(values []string, known func(string) error) ([]output, error) {
	if len(values) == 0 {
		values = []string{"text"}
	}
	var outs []output
	stdout := 0
	for _, v := range values {
		name, path, _ := strings.Cut(v, "=")
		if err := known(name); err != nil {
			return nil, usagef("--format: %v", err)
		}
		if path == "" || path == "-" {
			path = ""
			stdout++
		}
		outs = append(outs, output{name, path})
	}
	if stdout > 1 {
		return nil, usagef("--format: only one format can go to stdout; give the others a file (sarif=results.sarif)")
	}
	return outs, nil
}

// writeOutputs renders to every destination.
func writeOutputs(e *env, outs []output, render func(w io.Writer, format string) error) error {
	for _, o := range outs {
		if o.path == "" {
			w := bufio.NewWriter(e.stdout)
			if err := render(w, o.format); err != nil {
				return exitf(ExitError, "writing %s output: %v", o.format, err)
			}
			if err := w.Flush(); err != nil {
				return exitf(ExitError, "writing %s output: %v", o.format, err)
			}
			continue
		}
		if err := writeFile(o.path, func(w io.Writer) error { return render(w, o.format) }); err != nil {
			return exitf(ExitError, "writing %s: %v", o.path, err)
		}
	}
	return nil
}

// writeFile writes through a buffer; a failed render leaves no partial
// file behind.
func writeFile(path string, fill func(w io.Writer) error) error {
	var b bytes.Buffer
	if err := fill(&b); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// gateInput reads the logs (or one saved JSON report), the configuration
// and the pieces every gate command needs.
type gateInput struct {
	report *analyzer.Report
	units  []gate.UnitGroup
	cfg    *gate.Config
	cfgAt  string
}

func loadGateInput(e *env, in *inputFlags, cf *configFlags, args []string, redact bool) (*gateInput, error) {
	cfg, at, err := cf.load(fingerprintOptions(in))
	if err != nil {
		return nil, err
	}
	r, err := loadReport(e, in, args, analyzer.ReportOptions{Limit: 0, Redact: redact})
	if err != nil {
		return nil, err
	}
	return &gateInput{report: r, units: unitsOf(r), cfg: cfg, cfgAt: at}, nil
}

func runCheck(e *env, f *checkFlags, args []string) error {
	outs, err := parseOutputs(f.formats, func(n string) error { _, err := ci.Lookup(n); return err })
	if err != nil {
		return err
	}
	if f.baseline != "" && f.noBaseline {
		return usagef("--baseline and --no-baseline contradict each other")
	}
	failLevel := gate.LevelOff
	if f.failLevel != "" {
		l, err := gate.ParseLevel(f.failLevel)
		if err != nil || l == gate.LevelOff {
			return usagef("--fail-level %q: want error, warning or note", f.failLevel)
		}
		failLevel = l
	}
	gi, err := loadGateInput(e, &f.in, &f.cfg, args, f.redact)
	if err != nil {
		return err
	}
	cfg := gi.cfg
	if failLevel != gate.LevelOff {
		cfg.FailLevel = failLevel
	}
	if f.failOnStale {
		cfg.FailOnStale = true
	}
	basePath := f.baseline
	if basePath == "" && !f.noBaseline {
		basePath = relativeTo(gi.cfgAt, cfg.Baseline)
	}
	var base *gate.Baseline
	if basePath != "" {
		if base, err = readBaseline(basePath); err != nil {
			return err
		}
	}
	res := gate.Evaluate(gate.Input{Report: gi.report, Units: gi.units, Baseline: base}, cfg)
	chk := &ci.Check{Tool: gi.report.Tool, Report: gi.report, Result: res, Baseline: basePath}
	if chk.Tool.Name == "" {
		chk.Tool = analyzer.Tool{Name: "sqlsift", Version: version}
	}
	err = writeOutputs(e, outs, func(w io.Writer, format string) error {
		render, _ := ci.Lookup(format)
		return render(w, chk)
	})
	if err != nil {
		return err
	}
	if f.in.strict && gi.report.Warnings.Count > 0 {
		return exitf(ExitError, "%d input warnings (--strict)", gi.report.Warnings.Count)
	}
	if !res.Passed {
		why := fmt.Sprintf("%d new %s at or above %s", res.Failing, pluralWord(res.Failing, "result", "results"), res.FailLevel)
		if res.StaleFails {
			why += fmt.Sprintf(", %d stale baseline %s", len(res.Stale), pluralWord(len(res.Stale), "entry", "entries"))
		}
		return exitf(ExitGateFailed, "gate failed: %s", why)
	}
	return nil
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func readBaseline(path string) (*gate.Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return nil, exitf(ExitNoInput, "baseline: %v (write one with `sqlsift baseline LOG... > %s`)", err, path)
		}
		return nil, exitf(ExitError, "baseline: %v", err)
	}
	b, err := gate.ParseBaseline(data, path)
	if err != nil {
		return nil, exitf(ExitError, "invalid baseline: %v", err)
	}
	return b, nil
}

func fingerprintOptions(in *inputFlags) fingerprint.Options {
	return fingerprint.Options{MergeNumberedTables: in.mergeNumbered}
}

// unitsOf returns the units of work the report measured, by route; nil
// when it did not measure them (statements-per-unit budgets then say they
// were not evaluated): a saved report from before units existed, or one
// made with --no-n1 (statements but no unit).
func unitsOf(r *analyzer.Report) []gate.UnitGroup {
	if r.Units == nil || len(r.Units) == 0 && r.Summary.Events > 0 {
		return nil
	}
	out := make([]gate.UnitGroup, len(r.Units))
	for i, g := range r.Units {
		out[i] = gate.UnitGroup(g)
	}
	return out
}

// loadReport reads logs into a report, or decodes a saved JSON report when
// the only argument is one (`sqlsift analyze --format json` output).
func loadReport(e *env, in *inputFlags, args []string, ro analyzer.ReportOptions) (*analyzer.Report, error) {
	if len(args) == 1 {
		r, ok, err := readSavedReport(args[0])
		if err != nil {
			return nil, err
		}
		if ok {
			if r.Summary.Events == 0 && !in.allowEmpty {
				return nil, exitf(ExitError, "%s: the saved report holds no events; --allow-empty accepts this", args[0])
			}
			return r, nil
		}
	} else {
		for _, a := range args {
			if _, ok, _ := readSavedReport(a); ok {
				return nil, usagef("%s is a saved JSON report: give it alone, not with other inputs", a)
			}
		}
	}
	return buildReport(e, in, args, ro)
}

// readSavedReport decodes path when it holds a JSON report; ok is false
// for anything else (logs, stdin), which the log readers then handle.
func readSavedReport(path string) (*analyzer.Report, bool, error) {
	if path == "" || path == "-" {
		return nil, false, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, false, nil // the log reader reports it with the right exit code
	}
	defer f.Close()
	br := bufio.NewReader(f)
	for {
		b, err := br.ReadByte()
		if err != nil {
			return nil, false, nil
		}
		if b == ' ' || b == '\t' || b == '\r' || b == '\n' {
			continue
		}
		if b != '{' {
			return nil, false, nil
		}
		br.UnreadByte()
		break
	}
	var r analyzer.Report
	dec := json.NewDecoder(br)
	if err := dec.Decode(&r); err != nil {
		return nil, true, exitf(ExitError, "%s: not a sqlsift JSON report: %v", path, err)
	}
	major, _, _ := strings.Cut(r.SchemaVersion, ".")
	want, _, _ := strings.Cut(analyzer.SchemaVersion, ".")
	if r.SchemaVersion == "" || major != want {
		return nil, true, exitf(ExitError, "%s: JSON report schema version %q, want %s.x", path, r.SchemaVersion, want)
	}
	return &r, true, nil
}
