package main

import (
	"fmt"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/parser/input"
)

// inputFlags are shared by every command that reads logs.
type inputFlags struct {
	format        string
	jobs          int
	quiet         bool
	strict        bool
	allowEmpty    bool
	maxQueryBytes int
	mergeNumbered bool
	memoryLimit   memoryLimitFlag

	since, until, db, user, host, minTime, grep string

	n1 n1Flags // N+1 detector (nplusone.go)
}

func (f *inputFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.format, "input-format", input.Auto, "input format: "+strings.Join(input.Formats, ", "))
	fs.IntVarP(&f.jobs, "jobs", "j", runtime.NumCPU(), "parallel readers (large slow logs are split at entry boundaries)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress on stderr")
	fs.BoolVar(&f.strict, "strict", false, "treat input warnings as errors (exit 2)")
	fs.BoolVar(&f.allowEmpty, "allow-empty", false, "accept inputs that yield no events (exit 0 with an empty report)")
	fs.IntVar(&f.maxQueryBytes, "max-query-bytes", 1<<20, "statement text kept per event; longer statements are truncated (marked)")
	fs.BoolVar(&f.mergeNumbered, "merge-numbered-tables", false, "fingerprint numbered tables (sbtest1, sbtest2, ...) as one class")
	fs.StringVar(&f.since, "since", "", "only events at or after this time: RFC3339, 2006-01-02[ 15:04:05], or a duration before now (2h, 3d)")
	fs.StringVar(&f.until, "until", "", "only events before this time (same forms as --since)")
	fs.StringVar(&f.db, "db", "", "only events in this database")
	fs.StringVar(&f.user, "user", "", "only events of this user")
	fs.StringVar(&f.host, "host", "", "only events from this host or IP")
	fs.StringVar(&f.minTime, "min-time", "", "only events with query time at least this (100ms, 1.5s, or seconds: 0.1)")
	fs.StringVar(&f.grep, "grep", "", "only classes whose fingerprint matches this regular expression")
	fs.Var(&f.memoryLimit, "memory-limit", "soft memory target while analysing (e.g. 150MiB, 1GiB; 0: Go's default pacing); the garbage collector works harder near it, and it grows with the live data beyond it")
	f.n1.register(fs)
}

// options validates the flags into analyzer options plus a description of
// the active filters for the report.
func (f *inputFlags) options(now time.Time) (analyzer.Options, []string, error) {
	var o analyzer.Options
	var desc []string
	o.Fingerprint.MergeNumberedTables = f.mergeNumbered
	if f.jobs < 1 {
		return o, nil, usagef("--jobs must be at least 1")
	}
	if f.maxQueryBytes < 64 {
		return o, nil, usagef("--max-query-bytes must be at least 64")
	}
	valid := false
	for _, k := range input.Formats {
		valid = valid || k == f.format
	}
	if !valid {
		return o, nil, usagef("--input-format %q: want one of %s", f.format, strings.Join(input.Formats, ", "))
	}
	var err error
	if f.since != "" {
		if o.Filter.Since, err = parseWhen(f.since, now); err != nil {
			return o, nil, usagef("--since: %v", err)
		}
		desc = append(desc, "since="+o.Filter.Since.Format(time.RFC3339))
	}
	if f.until != "" {
		if o.Filter.Until, err = parseWhen(f.until, now); err != nil {
			return o, nil, usagef("--until: %v", err)
		}
		desc = append(desc, "until="+o.Filter.Until.Format(time.RFC3339))
	}
	if f.db != "" {
		o.Filter.DB = f.db
		desc = append(desc, "db="+f.db)
	}
	if f.user != "" {
		o.Filter.User = f.user
		desc = append(desc, "user="+f.user)
	}
	if f.host != "" {
		o.Filter.Host = f.host
		desc = append(desc, "host="+f.host)
	}
	if f.minTime != "" {
		d, err := parseSeconds(f.minTime)
		if err != nil {
			return o, nil, usagef("--min-time: %v", err)
		}
		o.Filter.MinTime = d.Microseconds()
		desc = append(desc, "min-time="+d.String())
	}
	if f.grep != "" {
		re, err := regexp.Compile(f.grep)
		if err != nil {
			return o, nil, usagef("--grep: %v", err)
		}
		o.Filter.Grep = re
		desc = append(desc, "grep="+f.grep)
	}
	if o.NewDetector, err = f.n1.detector(); err != nil {
		return o, nil, err
	}
	return o, desc, nil
}

// parseWhen reads an absolute time (UTC unless it has a zone) or a
// duration before now.
func parseWhen(s string, now time.Time) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if d, err := parseRelative(s); err == nil {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither a time (RFC3339, 2006-01-02[ 15:04:05]) nor a duration (2h, 3d)", s)
}

// parseRelative accepts Go durations plus a d (days) suffix.
func parseRelative(s string) (time.Duration, error) {
	if strings.HasSuffix(s, "d") {
		n, err := strconv.ParseFloat(strings.TrimSuffix(s, "d"), 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		return time.Duration(n * 24 * float64(time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	return d, nil
}

// parseSeconds accepts a Go duration or a plain number of seconds.
func parseSeconds(s string) (time.Duration, error) {
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		if v < 0 {
			return 0, fmt.Errorf("negative duration %q", s)
		}
		return time.Duration(v * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad duration %q (want 100ms, 1.5s or seconds)", s)
	}
	return d, nil
}
