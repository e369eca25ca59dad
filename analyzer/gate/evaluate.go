package gate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/sqlsift/sqlsift/analyzer"
)

// UnitGroup profiles the units of work (requests, jobs) of one route: how
// many statements each ran.
type UnitGroup struct {
	Route      string                  `json:"route"` // "" when the units carry no route
	Units      int64                   `json:"units"`
	Statements analyzer.Repeats        `json:"statements"` // per unit: avg, max
	Example    analyzer.FindingExample `json:"example"`    // the largest unit
}

// Input is what Evaluate judges.
type Input struct {
	Report *analyzer.Report
	// Units are the units of work by route; nil when they were not
	// measured (then statements-per-unit budgets are not evaluated and a
	// note says so).
	Units    []UnitGroup
	Baseline *Baseline // nil: no baseline
}

// Location points at evidence: a line of a log, or a line of application
// code named by a query comment.
type Location struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	EndLine int    `json:"end_line,omitempty"`
	Code    bool   `json:"code,omitempty"` // application source, not a log
	Note    string `json:"note,omitempty"`
}

// Violation is one result of one rule.
type Violation struct {
	Rule        string            `json:"rule"`
	Level       Level             `json:"level"`
	Key         string            `json:"key"` // stable: no literals, same on every machine
	Message     string            `json:"message"`
	Suggestion  string            `json:"suggestion,omitempty"`
	Route       string            `json:"route,omitempty"`
	ClassID     string            `json:"class_id,omitempty"`
	Fingerprint string            `json:"fingerprint,omitempty"`
	Value       float64           `json:"value,omitempty"` // budgets: measured
	Limit       float64           `json:"limit,omitempty"` // budgets: allowed
	Locations   []Location        `json:"locations"`
	Finding     *analyzer.Finding `json:"finding,omitempty"`
}

// RuleResult summarises one rule for renderers that list every rule
// (SARIF driver rules, JUnit test cases).
type RuleResult struct {
	Rule
	Level     Level `json:"level"`
	Enabled   bool  `json:"enabled"` // budgets: configured; findings: level not off
	New       int   `json:"new"`
	Baselined int   `json:"baselined"`
	Allowed   int   `json:"allowed"`
}

// Result is the verdict.
type Result struct {
	Passed    bool         `json:"passed"`
	FailLevel Level        `json:"fail_level"`
	Failing   int          `json:"failing"` // new results at or above FailLevel
	Rules     []RuleResult `json:"rules"`
	Results   []Violation  `json:"results"`   // new: not in the baseline
	Baselined []Violation  `json:"baselined"` // known: in the baseline
	Stale     []Entry      `json:"stale"`     // baseline entries that no longer occur
	Allowed   int          `json:"allowed"`   // results suppressed by the allow-list
	Ignored   int          `json:"ignored"`   // findings below min_confidence / min_severity
	Notes     []string     `json:"notes"`     // budgets that could not be evaluated
	HasBase   bool         `json:"baseline_used"`
	// StaleFails is set when stale entries fail the gate (fail_on_stale).
	StaleFails bool `json:"stale_fails"`
}

// Evaluate applies the configuration and the baseline to a report.
func Evaluate(in Input, cfg *Config) *Result {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	e := &evaluator{cfg: cfg, r: in.Report, byID: map[string]*analyzer.Class{}, rules: map[string]*RuleResult{}}
	for i := range in.Report.Classes {
		c := &in.Report.Classes[i]
		e.byID[c.ID] = c
	}
	res := &Result{FailLevel: cfg.FailLevel, Results: []Violation{}, Baselined: []Violation{}, Stale: []Entry{}, Notes: []string{}}
	e.res = res
	for _, r := range Rules {
		e.rule(r)
	}
	e.findings()
	e.units(in.Units)
	e.classes()

	// Baseline: known keys are reported but do not fail.
	seen := map[string]bool{}
	var all []Violation
	for _, v := range e.out {
		if seen[v.Key] {
			continue // one result per key: the first rule to claim it wins
		}
		seen[v.Key] = true
		all = append(all, v)
	}
	known := map[string]bool{}
	if in.Baseline != nil {
		res.HasBase = true
		for _, en := range in.Baseline.Entries {
			known[en.Key] = true
		}
		for _, en := range in.Baseline.Entries {
			if !seen[en.Key] {
				res.Stale = append(res.Stale, en)
			}
		}
	}
	for _, v := range all {
		rr := e.rules[v.Rule]
		if known[v.Key] {
			res.Baselined = append(res.Baselined, v)
			rr.Baselined++
			continue
		}
		res.Results = append(res.Results, v)
		rr.New++
		if v.Level >= cfg.FailLevel {
			res.Failing++
		}
	}
	sortViolations(res.Results)
	sortViolations(res.Baselined)
	slices.SortFunc(res.Stale, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Key, b.Key))
	})
	for _, r := range Rules {
		res.Rules = append(res.Rules, *e.rules[r.ID])
	}
	for _, id := range e.extraRules {
		res.Rules = append(res.Rules, *e.rules[id])
	}
	res.StaleFails = cfg.FailOnStale && len(res.Stale) > 0
	res.Passed = res.Failing == 0 && !res.StaleFails
	return res
}

func sortViolations(vs []Violation) {
	slices.SortStableFunc(vs, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(b.Level, a.Level), cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Route, b.Route), cmp.Compare(a.Key, b.Key))
	})
}

type evaluator struct {
	cfg        *Config
	r          *analyzer.Report
	byID       map[string]*analyzer.Class
	rules      map[string]*RuleResult
	extraRules []string
	out        []Violation
	res        *Result
}

func (e *evaluator) rule(r Rule) *RuleResult {
	if rr, ok := e.rules[r.ID]; ok {
		return rr
	}
	rr := &RuleResult{Rule: r, Level: e.cfg.Level(r)}
	rr.Enabled = rr.Level != LevelOff && (r.Budget == "" || e.budgetSet(r.ID))
	e.rules[r.ID] = rr
	if _, ok := lookupRule(r.ID); !ok {
		e.extraRules = append(e.extraRules, r.ID)
	}
	return rr
}

func (e *evaluator) budgetSet(id string) bool {
	b := &e.cfg.Budgets
	switch id {
	case RuleStatementsPerUnit:
		return b.StatementsPerUnit > 0 || len(b.Routes) > 0
	case RuleNPlusOneRepeats:
		return b.NPlusOneRepeats > 0
	case RuleForbiddenClass:
		return len(b.Forbid) > 0
	}
	for _, cb := range b.Classes {
		switch {
		case id == RuleClassP95 && cb.P95 > 0,
			id == RuleClassTotalTime && cb.TotalTime > 0,
			id == RuleClassCalls && cb.Calls > 0,
			id == RuleClassRowsExamined && cb.RowsExamined > 0:
			return true
		}
	}
	return false
}

func (e *evaluator) note(format string, args ...any) {
	e.res.Notes = append(e.res.Notes, fmt.Sprintf(format, args...))
}

// ref describes a class for matching, with its tables when the report
// lists it.
func (e *evaluator) ref(id, fp string) classRef {
	c := classRef{id: id, fingerprint: fp}
	if cl, ok := e.byID[id]; ok {
		c.tables = cl.Tables
		if c.tables == nil {
			c.tables = []string{}
		}
		if c.fingerprint == "" {
			c.fingerprint = cl.Fingerprint
		}
	}
	return c
}

// emit records a violation unless the allow-list suppresses it.
func (e *evaluator) emit(v Violation, classes []classRef) {
	rr := e.rules[v.Rule]
	for _, a := range e.cfg.Allow {
		if len(a.Rules) > 0 && !contains(a.Rules, v.Rule) {
			continue
		}
		if a.Match.match(classes, v.Route) {
			rr.Allowed++
			e.res.Allowed++
			return
		}
	}
	v.Level = rr.Level
	if v.Locations == nil {
		v.Locations = []Location{}
	}
	e.out = append(e.out, v)
}

// Route is the request context of a finding: its route, else
// controller#action, else its job.
func Route(attr map[string]string) string {
	if r := attr["route"]; r != "" {
		return r
	}
	c, a := attr["controller"], attr["action"]
	switch {
	case c != "" && a != "":
		return c + "#" + a
	case c != "":
		return c
	}
	if j := attr["job"]; j != "" {
		return j
	}
	return ""
}

func children(f *analyzer.Finding) []analyzer.ClassRef {
	var cs []analyzer.ClassRef
	if f.Child != nil {
		cs = append(cs, *f.Child)
	}
	for _, c := range f.Children {
		if f.Child == nil || c.ClassID != f.Child.ClassID {
			cs = append(cs, c)
		}
	}
	return cs
}

// findingLocations puts the code location first (SARIF and GitHub show the
// first location), then the log lines of a few example units.
func findingLocations(f *analyzer.Finding) []Location {
	var locs []Location
	if l, ok := CodeLocation(f.Attribution); ok {
		locs = append(locs, l)
	}
	for i, ex := range f.Examples {
		if i == 3 {
			break
		}
		note := "unit of work"
		if ex.Count > 0 {
			note = fmt.Sprintf("unit of work with %d repeats", ex.Count)
		}
		locs = append(locs, Location{File: ex.File, Line: ex.Line, EndLine: ex.EndLine, Note: note})
	}
	if len(f.Examples) == 0 {
		for _, c := range children(f) {
			if c.Example != nil && c.Example.Line > 0 {
				locs = append(locs, Location{File: c.Example.File, Line: c.Example.Line, Note: "example of the repeated statement"})
				break
			}
		}
	}
	return locs
}

func (e *evaluator) findings() {
	for i := range e.r.Findings {
		f := &e.r.Findings[i]
		rule := e.rule(RuleFor(f.Kind))
		if rank(f.Confidence) < rank(e.cfg.minConfidence(rule.ID)) ||
			(e.cfg.minSeverity(rule.ID) != "" && rank(f.Severity) < rank(e.cfg.minSeverity(rule.ID))) {
			e.res.Ignored++
			continue
		}
		route := Route(f.Attribution)
		var classes []classRef
		for _, c := range children(f) {
			classes = append(classes, e.ref(c.ClassID, c.Fingerprint))
		}
		var childID, childFP string
		if cs := children(f); len(cs) > 0 {
			childID, childFP = cs[0].ClassID, cs[0].Fingerprint
		}
		if rule.Level != LevelOff {
			msg := f.Message
			if msg == "" {
				msg = fmt.Sprintf("%s %s: `%s` repeated up to %d times per unit of work", strings.ReplaceAll(f.Kind, "_", " "), f.Variant, childFP, f.Repeats.Max)
			}
			e.emit(Violation{
				Rule: rule.ID, Key: f.Key, Message: msg, Suggestion: f.Suggestion, Route: route,
				ClassID: childID, Fingerprint: childFP, Locations: findingLocations(f), Finding: f,
			}, classes)
		}
		if f.Kind != "n_plus_one" || e.cfg.Budgets.NPlusOneRepeats == 0 {
			continue
		}
		rep := e.rules[RuleNPlusOneRepeats]
		if rep.Level == LevelOff || f.Repeats.Max <= e.cfg.Budgets.NPlusOneRepeats {
			continue
		}
		where := ""
		if route != "" {
			where = " (route " + route + ")"
		}
		e.emit(Violation{
			Rule: RuleNPlusOneRepeats, Key: RuleNPlusOneRepeats + ":" + f.Key,
			Message: fmt.Sprintf("N+1 loop runs `%s` up to %d times in one unit of work%s; budget %d",
				childFP, f.Repeats.Max, where, e.cfg.Budgets.NPlusOneRepeats),
			Suggestion: f.Suggestion, Route: route, ClassID: childID, Fingerprint: childFP,
			Value: float64(f.Repeats.Max), Limit: float64(e.cfg.Budgets.NPlusOneRepeats),
			Locations: findingLocations(f), Finding: f,
		}, classes)
	}
}

// routeBudget is the statements budget of a route: the first matching
// route entry, else the global one (0: none).
func (e *evaluator) routeBudget(route string) int64 {
	for _, rb := range e.cfg.Budgets.Routes {
		if Glob(rb.Route, route) {
			return rb.Max
		}
	}
	return e.cfg.Budgets.StatementsPerUnit
}

func (e *evaluator) units(groups []UnitGroup) {
	rr := e.rules[RuleStatementsPerUnit]
	if !rr.Enabled {
		return
	}
	if groups == nil {
		e.note("%s: not evaluated: units of work were not measured for this input", RuleStatementsPerUnit)
		return
	}
	for _, g := range groups {
		limit := e.routeBudget(g.Route)
		if limit == 0 || g.Statements.Max <= limit {
			continue
		}
		name, key := "units of work without a route", RuleStatementsPerUnit+":*"
		if g.Route != "" {
			name, key = "units of work of route "+g.Route, RuleStatementsPerUnit+":route:"+g.Route
		}
		var locs []Location
		if g.Example.Line > 0 {
			locs = append(locs, Location{File: g.Example.File, Line: g.Example.Line, EndLine: g.Example.EndLine,
				Note: fmt.Sprintf("unit of work with %d statements", g.Statements.Max)})
		}
		e.emit(Violation{
			Rule: RuleStatementsPerUnit, Key: key, Route: g.Route,
			Message: fmt.Sprintf("%s ran up to %d statements (average %.1f over %d units); budget %d",
				name, g.Statements.Max, g.Statements.Avg, g.Units, limit),
			Value: float64(g.Statements.Max), Limit: float64(limit), Locations: locs,
		}, nil)
	}
}

func classLocation(c *analyzer.Class) []Location {
	if c.Example.Line == 0 {
		return nil
	}
	return []Location{{File: c.Example.File, Line: c.Example.Line, Note: "example statement"}}
}

func (e *evaluator) classes() {
	b := &e.cfg.Budgets
	if len(b.Classes) == 0 && len(b.Forbid) == 0 {
		return
	}
	if e.r.Remainder.Classes > 0 {
		e.note("class budgets: %d classes beyond the report's limit were not checked (make the report with --limit 0)", e.r.Remainder.Classes)
	}
	var noTiming, noRows bool
	for i := range e.r.Classes {
		c := &e.r.Classes[i]
		ref := classRef{id: c.ID, fingerprint: c.Fingerprint, tables: c.Tables}
		if ref.tables == nil {
			ref.tables = []string{}
		}
		refs := []classRef{ref}
		for _, f := range b.Forbid {
			if !f.Match.matchClass(ref) || e.rules[RuleForbiddenClass].Level == LevelOff {
				continue
			}
			why := ""
			if f.Reason != "" {
				why = ": " + f.Reason
			}
			e.emit(Violation{
				Rule: RuleForbiddenClass, Key: RuleForbiddenClass + ":" + c.ID, ClassID: c.ID, Fingerprint: c.Fingerprint,
				Message: fmt.Sprintf("forbidden statement ran %d times: `%s`%s", c.Count, c.Fingerprint, why),
				Value:   float64(c.Count), Locations: classLocation(c),
			}, refs)
			break
		}
		done := map[string]bool{}
		check := func(rule string, over bool, value, limit float64, msg string) {
			if done[rule] || e.rules[rule].Level == LevelOff {
				return
			}
			done[rule] = true // the first budget that limits this metric of the class decides
			if !over {
				return
			}
			e.emit(Violation{
				Rule: rule, Key: rule + ":" + c.ID, ClassID: c.ID, Fingerprint: c.Fingerprint,
				Message: msg + ": `" + c.Fingerprint + "`", Value: value, Limit: limit, Locations: classLocation(c),
			}, refs)
		}
		for _, cb := range b.Classes {
			if !cb.Match.empty() && !cb.Match.matchClass(ref) {
				continue
			}
			label := ""
			if cb.Name != "" {
				label = " (" + cb.Name + ")"
			}
			if cb.P95 > 0 || cb.TotalTime > 0 {
				if c.QueryTime.N == 0 {
					noTiming = true
				} else {
					if cb.P95 > 0 {
						check(RuleClassP95, c.QueryTime.P95 > cb.P95, c.QueryTime.P95, cb.P95,
							fmt.Sprintf("p95 query time %s exceeds the budget of %s%s", Seconds(c.QueryTime.P95), Seconds(cb.P95), label))
					}
					if cb.TotalTime > 0 {
						check(RuleClassTotalTime, c.QueryTime.Total > cb.TotalTime, c.QueryTime.Total, cb.TotalTime,
							fmt.Sprintf("total query time %s over %d calls exceeds the budget of %s%s", Seconds(c.QueryTime.Total), c.Count, Seconds(cb.TotalTime), label))
					}
				}
			}
			if cb.Calls > 0 {
				check(RuleClassCalls, c.Count > cb.Calls, float64(c.Count), float64(cb.Calls),
					fmt.Sprintf("ran %d times; budget %d%s", c.Count, cb.Calls, label))
			}
			if cb.RowsExamined > 0 {
				if c.RowsExamined.N == 0 {
					noRows = true
				} else {
					check(RuleClassRowsExamined, c.RowsExamined.Avg > cb.RowsExamined, c.RowsExamined.Avg, cb.RowsExamined,
						fmt.Sprintf("examined %.1f rows per call on average; budget %g%s", c.RowsExamined.Avg, cb.RowsExamined, label))
				}
			}
		}
	}
	if noTiming {
		e.note("%s, %s: not evaluated for classes without query times (general logs have none: use a slow log with long_query_time=0)", RuleClassP95, RuleClassTotalTime)
	}
	if noRows {
		e.note("%s: not evaluated for classes without Rows_examined (general logs have none: use a slow log)", RuleClassRowsExamined)
	}
}

// Seconds formats a duration in seconds for messages: 1.23s, 45.6ms, 789µs.
func Seconds(s float64) string {
	switch {
	case s == 0:
		return "0s"
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
