package gate

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/sqlsift/sqlsift/analyzer"
)

// DiffSide describes one of the two compared captures.
type DiffSide struct {
	Inputs  []analyzer.Input `json:"inputs"`
	Events  int64            `json:"events"`
	Classes int              `json:"classes"`
	Units   int64            `json:"units"` // units of work; 0 when not measured
}

// ClassStat is what Diff compares of a class.
type ClassStat struct {
	Calls        int64   `json:"calls"`
	CallsPerUnit float64 `json:"calls_per_unit"` // calls when units are not measured
	P95          float64 `json:"p95"`            // seconds; 0 without durations
	HasTime      bool    `json:"has_time"`
	RowsExamined float64 `json:"rows_examined_per_call"`
	HasRows      bool    `json:"has_rows"`
}

// ClassChange is a class present on one side only.
type ClassChange struct {
	ClassID     string    `json:"class_id"`
	Fingerprint string    `json:"fingerprint"`
	Stat        ClassStat `json:"stat"`
	File        string    `json:"file,omitempty"` // example location
	Line        int       `json:"line,omitempty"`
}

// Change is a metric of a class present on both sides that moved beyond
// the thresholds.
type Change struct {
	ClassID     string  `json:"class_id"`
	Fingerprint string  `json:"fingerprint"`
	Metric      string  `json:"metric"` // calls_per_unit (or calls), p95, rows_examined_per_call
	Old         float64 `json:"old"`
	New         float64 `json:"new"`
	Ratio       float64 `json:"ratio"`               // new/old - 1
	FromZero    bool    `json:"from_zero,omitempty"` // old was 0: no ratio
	File        string  `json:"file,omitempty"`
	Line        int     `json:"line,omitempty"`
}

// DiffResult is the comparison of two captures.
type DiffResult struct {
	Old              DiffSide           `json:"old"`
	New              DiffSide           `json:"new"`
	CallsMetric      string             `json:"calls_metric"` // calls_per_unit or calls
	NewClasses       []ClassChange      `json:"new_classes"`
	VanishedClasses  []ClassChange      `json:"vanished_classes"`
	Regressions      []Change           `json:"regressions"`
	Improvements     []Change           `json:"improvements"`
	NewFindings      []analyzer.Finding `json:"new_findings"`
	ResolvedFindings []analyzer.Finding `json:"resolved_findings"`
	Notes            []string           `json:"notes"`
	Options          DiffOptions        `json:"thresholds"`
	Failed           bool               `json:"failed"`
	FailReasons      []string           `json:"fail_reasons"`
}

// DiffInput is one side of a comparison.
type DiffInput struct {
	Report *analyzer.Report
	Units  int64 // units of work, 0 when not measured
}

func side(in DiffInput) DiffSide {
	return DiffSide{Inputs: in.Report.Inputs, Events: in.Report.Summary.Events, Classes: in.Report.Summary.Classes, Units: in.Units}
}

func stat(c *analyzer.Class, units int64) ClassStat {
	s := ClassStat{Calls: c.Count, CallsPerUnit: float64(c.Count)}
	if units > 0 {
		s.CallsPerUnit = float64(c.Count) / float64(units)
	}
	if c.QueryTime.N > 0 {
		s.HasTime, s.P95 = true, c.QueryTime.P95
	}
	if c.RowsExamined.N > 0 {
		s.HasRows, s.RowsExamined = true, c.RowsExamined.Avg
	}
	return s
}

// Diff compares an old and a new capture: classes that appeared or
// vanished, per-class regressions beyond the thresholds of cfg.Diff, and
// findings (at the rules' minimum confidence) that are new or resolved.
func Diff(oldIn, newIn DiffInput, cfg *Config) *DiffResult {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	o := cfg.Diff
	d := &DiffResult{
		Old: side(oldIn), New: side(newIn), Options: o, CallsMetric: "calls_per_unit",
		NewClasses: []ClassChange{}, VanishedClasses: []ClassChange{}, Regressions: []Change{}, Improvements: []Change{},
		NewFindings: []analyzer.Finding{}, ResolvedFindings: []analyzer.Finding{}, Notes: []string{}, FailReasons: []string{},
	}
	ou, nu := oldIn.Units, newIn.Units
	if ou == 0 || nu == 0 {
		// Without unit counts, calls are compared per capture: meaningful
		// when both captures ran the same workload (the same test suite).
		ou, nu = 0, 0
		d.CallsMetric = "calls"
	}
	or, nr := oldIn.Report, newIn.Report
	for _, r := range []*analyzer.Report{or, nr} {
		if r.Remainder.Classes > 0 {
			d.Notes = append(d.Notes, fmt.Sprintf("a report lists only its top %d classes (%d more not listed): classes beyond it look new or vanished; save reports with --limit 0", len(r.Classes), r.Remainder.Classes))
		}
	}
	oldBy := map[string]*analyzer.Class{}
	for i := range or.Classes {
		oldBy[or.Classes[i].ID] = &or.Classes[i]
	}
	newBy := map[string]bool{}
	for i := range nr.Classes {
		nc := &nr.Classes[i]
		newBy[nc.ID] = true
		oc, ok := oldBy[nc.ID]
		if !ok {
			d.NewClasses = append(d.NewClasses, ClassChange{ClassID: nc.ID, Fingerprint: nc.Fingerprint, Stat: stat(nc, nu), File: nc.Example.File, Line: nc.Example.Line})
			continue
		}
		os, ns := stat(oc, ou), stat(nc, nu)
		d.compare(nc, d.CallsMetric, os.CallsPerUnit, ns.CallsPerUnit, o.CallsIncrease, o.MinCalls)
		if os.HasTime && ns.HasTime {
			d.compare(nc, "p95", os.P95, ns.P95, o.P95Increase, o.MinP95)
		}
		if os.HasRows && ns.HasRows {
			d.compare(nc, "rows_examined_per_call", os.RowsExamined, ns.RowsExamined, o.RowsExaminedIncrease, o.MinRowsExamined)
		}
	}
	for i := range or.Classes {
		oc := &or.Classes[i]
		if !newBy[oc.ID] {
			d.VanishedClasses = append(d.VanishedClasses, ClassChange{ClassID: oc.ID, Fingerprint: oc.Fingerprint, Stat: stat(oc, ou), File: oc.Example.File, Line: oc.Example.Line})
		}
	}
	byCalls := func(a, b ClassChange) int {
		return cmp.Or(cmp.Compare(b.Stat.Calls, a.Stat.Calls), cmp.Compare(a.ClassID, b.ClassID))
	}
	slices.SortFunc(d.NewClasses, byCalls)
	slices.SortFunc(d.VanishedClasses, byCalls)
	byRatio := func(a, b Change) int {
		if a.FromZero != b.FromZero {
			if a.FromZero {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(math.Abs(b.Ratio), math.Abs(a.Ratio)), cmp.Compare(a.ClassID, b.ClassID), cmp.Compare(a.Metric, b.Metric))
	}
	slices.SortFunc(d.Regressions, byRatio)
	slices.SortFunc(d.Improvements, byRatio)

	keep := func(f *analyzer.Finding) bool {
		return rank(f.Confidence) >= rank(cfg.minConfidence(RuleFor(f.Kind).ID))
	}
	oldKeys, newKeys := map[string]bool{}, map[string]bool{}
	for i := range or.Findings {
		oldKeys[or.Findings[i].Key] = true
	}
	for i := range nr.Findings {
		newKeys[nr.Findings[i].Key] = true
		if f := &nr.Findings[i]; keep(f) && !oldKeys[f.Key] {
			d.NewFindings = append(d.NewFindings, *f)
		}
	}
	for i := range or.Findings {
		if f := &or.Findings[i]; keep(f) && !newKeys[f.Key] {
			d.ResolvedFindings = append(d.ResolvedFindings, *f)
		}
	}

	for _, k := range o.FailOn {
		n := 0
		switch k {
		case DiffFailNewFinding:
			n = len(d.NewFindings)
		case DiffFailRegression:
			n = len(d.Regressions)
		case DiffFailNewClass:
			n = len(d.NewClasses)
		case DiffFailVanishedClass:
			n = len(d.VanishedClasses)
		}
		if n > 0 {
			d.Failed = true
			d.FailReasons = append(d.FailReasons, fmt.Sprintf("%s: %d", k, n))
		}
	}
	return d
}

// compare records a regression when new exceeds old by more than the
// fraction and the floor, and an improvement when it fell by as much.
func (d *DiffResult) compare(c *analyzer.Class, metric string, old, new, frac, floor float64) {
	ch := Change{ClassID: c.ID, Fingerprint: c.Fingerprint, Metric: metric, Old: old, New: new, File: c.Example.File, Line: c.Example.Line}
	if old > 0 {
		ch.Ratio = new/old - 1
	} else {
		ch.FromZero = new > 0
	}
	switch {
	case new-old > floor && new > old*(1+frac):
		d.Regressions = append(d.Regressions, ch)
	case old-new > floor && new < old/(1+frac):
		d.Improvements = append(d.Improvements, ch)
	}
}
