package analyzer

import (
	"cmp"
	"slices"
	"time"

	"github.com/sqlsift/sqlsift/analyzer/fingerprint"
	"github.com/sqlsift/sqlsift/analyzer/stats"
	"github.com/sqlsift/sqlsift/parser"
)

// OrderKeys are the accepted ReportOptions.OrderBy values; the first is the
// default.
var OrderKeys = []string{"time", "count", "avg", "p95", "max", "rows-examined", "lock-time"}

// ReportOptions shape a Report.
type ReportOptions struct {
	Tool    Tool
	Inputs  []Input
	OrderBy string // one of OrderKeys; "" = "time"
	Limit   int    // classes listed; <= 0 = all
	Redact  bool   // remove every literal from everything printed
	Filters []string
}

// Report builds the report from everything aggregated so far.
func (a *Aggregator) Report(o ReportOptions) *Report {
	if o.OrderBy == "" {
		o.OrderBy = OrderKeys[0]
	}
	r := &Report{
		SchemaVersion: SchemaVersion,
		Tool:          o.Tool,
		Inputs:        o.Inputs,
		Options:       Settings{OrderBy: o.OrderBy, Limit: o.Limit, Redacted: o.Redact, Filters: o.Filters},
		Classes:       []Class{},
		Findings:      []Finding{},
		Units:         []UnitGroup{},
	}
	if r.Inputs == nil {
		r.Inputs = []Input{}
	}
	if r.Options.Filters == nil {
		r.Options.Filters = []string{}
	}
	s := &r.Summary
	s.Events, s.OtherEvents, s.Filtered, s.Classes = a.events, a.other, a.filtered, 0
	s.QueryTimeTotal, s.LockTimeTotal = seconds(a.qt), seconds(a.lt)
	s.HasTiming = a.timing
	if !a.timing && o.OrderBy == OrderKeys[0] {
		// Without durations, "time" ranks by count: say so.
		r.Options.OrderBy = "count"
	}
	s.FirstSeen, s.LastSeen = stamp(a.first), stamp(a.last)
	if !a.first.IsZero() {
		s.Duration = a.last.Sub(a.first).Seconds()
	}
	if s.Duration > 0 {
		s.QPS = float64(a.events) / s.Duration
		s.Concurrency = s.QueryTimeTotal / s.Duration
	}

	all := make([]*class, 0, a.classes)
	for _, head := range a.byHash {
		for c := head; c != nil; c = c.next {
			if c.count > 0 {
				all = append(all, c)
			}
		}
	}
	s.Classes = len(all)
	key := orderKey(o.OrderBy)
	slices.SortFunc(all, func(x, y *class) int {
		if d := cmp.Compare(key(y), key(x)); d != 0 {
			return d
		}
		return cmp.Compare(x.id, y.id)
	})
	n := len(all)
	if o.Limit > 0 && o.Limit < n {
		n = o.Limit
	}
	for i, c := range all[:n] {
		r.Classes = append(r.Classes, a.classReport(c, i+1, c.id, s, o.Redact))
	}
	for _, c := range all[n:] {
		r.Remainder.Classes++
		r.Remainder.Events += c.count
		r.Remainder.QueryTime += seconds(c.qt.Sum)
	}
	if a.qt > 0 {
		r.Remainder.TimeShare = r.Remainder.QueryTime / s.QueryTimeTotal
	}

	if a.det != nil {
		r.Findings = a.det.Findings(o)
		if r.Findings == nil {
			r.Findings = []Finding{}
		}
		if r.Units = a.det.Units(o); r.Units == nil {
			r.Units = []UnitGroup{}
		}
	}

	r.Warnings.Count = a.warnings
	ws := slices.Clone(a.warnTexts)
	order := map[string]int{}
	for i, in := range o.Inputs {
		order[in.Path] = i
	}
	slices.SortStableFunc(ws, func(x, y parser.Warning) int {
		if d := cmp.Compare(order[x.Pos.File], order[y.Pos.File]); d != 0 {
			return d
		}
		return cmp.Compare(x.Pos.Offset, y.Pos.Offset)
	})
	if len(ws) > MaxWarnings {
		ws = ws[:MaxWarnings]
	}
	r.Warnings.First = make([]string, 0, len(ws))
	for _, w := range ws {
		r.Warnings.First = append(r.Warnings.First, w.String())
	}
	return r
}

func orderKey(name string) func(*class) float64 {
	switch name {
	case "count":
		return func(c *class) float64 { return float64(c.count) }
	case "avg":
		return func(c *class) float64 { return c.qt.Avg() }
	case "p95":
		return func(c *class) float64 { return c.qt.Quantile(0.95) }
	case "max":
		return func(c *class) float64 { return float64(c.qt.Max) }
	case "rows-examined":
		return func(c *class) float64 { return float64(c.re.Sum) }
	case "lock-time":
		return func(c *class) float64 { return float64(c.lt.Sum) }
	default:
		// Total time; logs without durations (general logs) rank by count.
		return func(c *class) float64 {
			if c.qt.N == 0 {
				return float64(c.count)
			}
			return float64(c.qt.Sum)
		}
	}
}

func (a *Aggregator) classReport(c *class, rank int, id string, s *Summary, redact bool) Class {
	first, last := c.span()
	query := c.ex.query
	if redact {
		query = fingerprint.Redact([]byte(query))
	}
	info := fingerprint.Describe(c.ex.query)
	cr := Class{
		Rank:        rank,
		ID:          id,
		Fingerprint: c.text,
		Kind:        info.Kind,
		Tables:      info.Tables,
		Example: Example{
			Query: query, Truncated: c.ex.truncated, File: c.ex.pos.File, Line: c.ex.pos.Line,
			Time: stamp(c.ex.t), QueryTime: seconds(c.ex.qt), DB: c.ex.db, ConnID: c.ex.conn,
		},
		Count:        c.count,
		QueryTime:    dist(&c.qt, 1e6),
		LockTime:     dist(&c.lt, 1e6),
		RowsSent:     dist(&c.rs, 1),
		RowsExamined: dist(&c.re, 1),
		RowsAffected: dist(&c.ra, 1),
		BytesSent:    dist(&c.bs, 1),
		Errors:       c.errors,
		Databases:    names(&c.dbs),
		Users:        names(&c.users),
		Hosts:        names(&c.hosts),
		FirstSeen:    stamp(first),
		LastSeen:     stamp(last),
		Extra:        []ExtraStat{},
		Histogram:    make([]Bucket, 0, stats.DecadeBuckets),
	}
	if cr.Tables == nil {
		cr.Tables = []string{}
	}
	if s.Events > 0 {
		cr.CountShare = float64(c.count) / float64(s.Events)
	}
	if s.QueryTimeTotal > 0 {
		cr.TimeShare = cr.QueryTime.Total / s.QueryTimeTotal
	}
	if s.Duration > 0 {
		cr.QPS = float64(c.count) / s.Duration
	}
	for _, x := range c.extras() {
		cr.Extra = append(cr.Extra, ExtraStat{Name: x.key, N: x.n, Total: float64(x.sum) / 1e6, Min: x.min, Max: x.max, Avg: float64(x.sum) / 1e6 / float64(x.n)})
	}
	slices.SortFunc(cr.Extra, func(x, y ExtraStat) int { return cmp.Compare(x.Name, y.Name) })
	if c.qt.N > 0 {
		for i, l := range stats.DecadeLabels {
			cr.Histogram = append(cr.Histogram, Bucket{Label: l, Count: c.hist[i]})
		}
	}
	return cr
}

// dist summarises m divided by div (1e6 turns microseconds into seconds;
// dividing, not multiplying by 1e-6, keeps 228µs printing as 0.000228).
func dist(m *stats.Metric, div float64) Dist {
	if m.N == 0 {
		return Dist{}
	}
	return Dist{
		N: m.N, Total: float64(m.Sum) / div, Min: float64(m.Min) / div, Max: float64(m.Max) / div,
		Avg: m.Avg() / div, P50: m.Quantile(0.50) / div, P95: m.Quantile(0.95) / div,
		P99: m.Quantile(0.99) / div, Stddev: m.Stddev() / div,
	}
}

func names(n *stats.Names) Names {
	d, exact := n.Distinct()
	return Names{Distinct: d, Exact: exact, Top: n.Top(), Other: n.Other}
}

func seconds(us int64) float64 { return float64(us) / 1e6 }

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
