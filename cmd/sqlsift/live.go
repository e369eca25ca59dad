package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/explain"
	"github.com/sqlsift/sqlsift/parser"
	"github.com/sqlsift/sqlsift/parser/live"
	"github.com/sqlsift/sqlsift/report"
)

// EnvDSN holds the DSN when --dsn is not given, so that the password does
// not show in the process list.
const EnvDSN = "SQLSIFT_DSN"

type liveFlags struct {
	in              inputFlags
	dsn             string
	source          string
	duration        time.Duration
	interval        time.Duration
	timeout         time.Duration
	enableConsumers bool
	explain         string
	explainTop      int
	format          string
	orderBy         string
	limit           int
	detail          int
	redact          bool
}

func liveCmd(e *env) *cobra.Command {
	f := &liveFlags{}
	c := &cobra.Command{
		Use:   "live --dsn DSN [flags]",
		Short: "Capture statements from a running server (performance_schema, digest summary or processlist) and report",
		Long: `Read what a running MySQL or MariaDB server records about every statement
and print the same report as analyze: classes, N+1 findings, plus a
live-capture section saying what was lost or could not be seen.

The DSN is in go-sql-driver/mysql form, e.g.
  sqlsift:secret@tcp(db.staging:3306)/shop
  sqlsift:secret@unix(/run/mysqld/mysqld.sock)/
or set it in $` + EnvDSN + ` to keep the password out of the process list.
The password is never printed.

Sources (--source): perfschema (default when available) polls
events_statements_history_long; digest diffs events_statements_summary_by_digest
(long windows, no N+1); processlist samples the running statements (works
everywhere, misses short statements). Only SELECT, SHOW and EXPLAIN are sent;
server settings are changed only with --enable-consumers.

Stops after --duration, or on Ctrl-C (SIGINT/SIGTERM): the report is printed
and the exit code is 0.

` + exitCodesHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runLive(e, f) },
	}
	fs := c.Flags()
	fs.StringVar(&f.dsn, "dsn", "", "server to capture from (go-sql-driver/mysql DSN; default $"+EnvDSN+")")
	fs.StringVar(&f.source, "source", live.SourceAuto, "capture source: "+strings.Join(live.Sources, ", "))
	fs.DurationVar(&f.duration, "duration", 0, "stop after this long (0: until Ctrl-C)")
	fs.DurationVar(&f.interval, "interval", 0, "time between polls (0: 1s perfschema, 100ms processlist, 10s digest)")
	fs.DurationVar(&f.timeout, "statement-timeout", live.DefaultStatementTimeout, "server-side timeout of each statement sqlsift sends")
	fs.BoolVar(&f.enableConsumers, "enable-consumers", false, "switch on the performance_schema consumers the source needs (and off again at the end)")
	fs.StringVar(&f.explain, "explain", "", "EXPLAIN the top SELECT classes and read the schema on this DSN (a staging copy)")
	fs.IntVar(&f.explainTop, "explain-top", explain.DefaultTop, "top classes considered by --explain")
	fs.StringVarP(&f.format, "format", "f", "text", "output format: "+strings.Join(report.Formats(), ", "))
	fs.StringVar(&f.orderBy, "order-by", analyzer.OrderKeys[0], "rank classes by: "+strings.Join(analyzer.OrderKeys, ", "))
	fs.IntVar(&f.limit, "limit", 20, "classes listed (0: all); the rest are summarised")
	fs.IntVar(&f.detail, "detail", 5, "classes given a detail section in text and markdown output")
	fs.BoolVar(&f.redact, "redact", false, "remove every literal value from the output (examples, findings)")
	// The filters, fingerprint and N+1 options of analyze; the ones about
	// reading files do not apply and are hidden.
	f.in.register(fs)
	for _, name := range []string{"input-format", "jobs", "strict", "allow-empty"} {
		fs.MarkHidden(name)
	}
	return c
}

func runLive(e *env, f *liveFlags) error {
	render, err := report.Lookup(f.format)
	if err != nil {
		return usagef("--format: %v", err)
	}
	if !validOrder(f.orderBy) {
		return usagef("--order-by %q: want one of %s", f.orderBy, strings.Join(analyzer.OrderKeys, ", "))
	}
	if f.limit < 0 || f.detail < 0 || f.duration < 0 || f.interval < 0 || f.timeout <= 0 {
		return usagef("--limit, --detail, --duration and --interval must not be negative; --statement-timeout must be positive")
	}
	if !slices.Contains(live.Sources, f.source) {
		return usagef("--source %q: want one of %s", f.source, strings.Join(live.Sources, ", "))
	}
	dsn := f.dsn
	if dsn == "" {
		dsn = os.Getenv(EnvDSN)
	}
	if dsn == "" {
		return usagef("--dsn (or $%s) is required, e.g. --dsn 'user:password@tcp(host:3306)/'", EnvDSN)
	}
	scrub := live.NewScrubber(dsn, f.explain)
	ao, filters, err := f.in.options(time.Now())
	if err != nil {
		return err
	}
	ctx := e.ctx
	if f.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.duration)
		defer cancel()
	}
	cfg := live.Config{DSN: dsn, Source: f.source, Interval: f.interval, EnableConsumers: f.enableConsumers,
		StatementTimeout: f.timeout, MaxQueryBytes: f.in.maxQueryBytes}
	if !f.in.quiet {
		cfg.Logf = func(format string, args ...any) {
			fmt.Fprintf(e.stderr, "sqlsift: %s\n", scrub.String(fmt.Sprintf(format, args...)))
		}
	}
	c, err := live.Open(ctx, cfg)
	if err != nil {
		return exitf(ExitError, "%s", scrub.String(err.Error()))
	}
	if c.Stats().Source == live.SourceDigest {
		// Digest summaries are per-class totals spread over made-up
		// events, not statements: there is no loop to find in them.
		ao.NewDetector = nil
	}
	agg := analyzer.New(ao)
	var ev parser.Event
	var captureErr error
	for {
		err := c.Next(&ev)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			captureErr = exitf(ExitError, "capture stopped: %s", scrub.String(err.Error()))
			break
		}
		agg.Add(&ev)
	}
	c.Close()
	st := c.Stats()
	r := agg.Report(analyzer.ReportOptions{
		Tool:    analyzer.Tool{Name: "sqlsift", Version: version},
		Inputs:  []analyzer.Input{{Path: st.DSN, Format: "live/" + st.Source, Bytes: 0, Events: st.Events}},
		OrderBy: f.orderBy, Limit: f.limit, Redact: f.redact, Filters: filters,
	})
	r.Live = liveSection(st, scrub)
	if f.explain != "" {
		if err := enrichExplain(e, r, f.explain, f.explainTop, f.timeout); err != nil && captureErr == nil {
			captureErr = err
		}
	}
	w := bufio.NewWriter(e.stdout)
	if err := render(w, r, report.Options{Detail: f.detail}); err != nil {
		return exitf(ExitError, "writing report: %v", err)
	}
	if err := w.Flush(); err != nil {
		return exitf(ExitError, "writing report: %v", err)
	}
	return captureErr
}

// enrichExplain adds EXPLAIN plans and schema advice from dsn to r (analyze
// and live --explain). It runs even after Ctrl-C, bounded, so the report
// printed on interrupt still has them.
func enrichExplain(e *env, r *analyzer.Report, dsn string, top int, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = live.DefaultStatementTimeout
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(e.ctx), 60*time.Second)
	defer cancel()
	if err := explain.Enrich(ctx, r, explain.Options{DSN: dsn, Top: top, Timeout: timeout}); err != nil {
		return exitf(ExitError, "--explain: %s", live.NewScrubber(dsn).String(err.Error()))
	}
	return nil
}

func liveSection(st live.Stats, scrub *live.Scrubber) *analyzer.Live {
	l := &analyzer.Live{
		Source: st.Source, Server: st.Server, DSN: st.DSN,
		Start: liveStamp(st.Start), End: liveStamp(st.End), Duration: st.End.Sub(st.Start).Seconds(), Interval: st.Interval.Seconds(),
		Polls: st.Polls, FailedPolls: st.FailedPolls, Events: st.Events,
		LostEvents: st.Lost, Overflows: st.Overflows, RingSize: st.RingSize, SuggestedInterval: st.Suggested.Seconds(), PeakRate: st.PeakRate,
		Truncated: st.Truncated, TextLimit: st.TextLimit, Nested: st.Nested, Unmapped: st.Unmapped, ExecNoText: st.ExecNoText,
		Resets: st.Resets, DigestOverflow: st.Overflowed, Reconnects: st.Reconnects,
		Gaps: []analyzer.LiveGap{}, BlindSpots: []string{}, Notes: []string{},
	}
	if l.Duration < 0 {
		l.Duration = 0
	}
	for _, g := range st.Gaps {
		lg := analyzer.LiveGap{Start: liveStamp(g.Start), End: liveStamp(g.End), Restarted: g.Restarted, Reason: scrub.String(g.Reason)}
		if !g.End.IsZero() {
			lg.Seconds = g.End.Sub(g.Start).Seconds()
		} else {
			lg.Seconds = st.End.Sub(g.Start).Seconds()
		}
		l.Gaps = append(l.Gaps, lg)
	}
	for _, b := range st.BlindSpots {
		l.BlindSpots = append(l.BlindSpots, scrub.String(b))
	}
	for _, n := range st.Notes {
		l.Notes = append(l.Notes, scrub.String(n))
	}
	return l
}

func liveStamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
