// Package gate turns an analyzer.Report into a pass/fail verdict for CI:
// findings and budget violations become results of rules with stable ids,
// allow-lists and a baseline of known results are applied, and what is
// left decides the exit code. It also compares two reports (Diff).
//
// Pure computation: configuration and baseline bytes are passed in, the
// caller does the I/O.
package gate

import (
	"fmt"
	"sort"
	"strings"
)

// Level is how much a rule's results matter. Results at or above the fail
// level (default error) fail the gate.
type Level int

const (
	LevelOff Level = iota
	LevelNote
	LevelWarning
	LevelError
)

var levelNames = [...]string{"off", "note", "warning", "error"}

func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("level(%d)", int(l))
}

// MarshalText writes the level name (JSON output, baseline files).
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// ParseLevel reads a level name.
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if strings.EqualFold(s, n) {
			return Level(i), nil
		}
	}
	return LevelOff, fmt.Errorf("unknown level %q (want error, warning, note or off)", s)
}

// Rule ids. They appear in config files, baselines, SARIF and JUnit output:
// never rename one.
const (
	RuleNPlusOne          = "n-plus-one"
	RuleRedundantQuery    = "redundant-query"
	RuleRetryStorm        = "retry-storm"
	RuleStatementsPerUnit = "statements-per-unit"
	RuleNPlusOneRepeats   = "n-plus-one-repeats"
	RuleClassP95          = "class-p95"
	RuleClassTotalTime    = "class-total-time"
	RuleClassCalls        = "class-calls"
	RuleClassRowsExamined = "class-rows-examined"
	RuleForbiddenClass    = "forbidden-class"
)

// Rule describes one rule: a finding kind of the detector or a budget.
type Rule struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Doc     string `json:"doc"`
	Default Level  `json:"default_level"`
	// Kind is the analyzer.Finding kind the rule reports ("" for budgets).
	Kind string `json:"finding_kind,omitempty"`
	// Budget is the config key that enables the rule ("" for finding rules,
	// which are on by default).
	Budget string `json:"budget,omitempty"`
}

// Rules is the catalogue, in documentation order. Finding kinds the
// detector adds later get a rule on the fly (see RuleFor).
var Rules = []Rule{
	{ID: RuleNPlusOne, Kind: "n_plus_one", Default: LevelError,
		Title: "N+1 query loop",
		Doc: "A statement runs once per row of an earlier statement inside one unit of work (request, job, transaction): " +
			"a loop that should be one batched statement (IN list or JOIN). The message names the parent and the repeated " +
			"statement, the suggestion gives the rewrite. Fails the gate by default at confidence medium or higher."},
	{ID: RuleRedundantQuery, Kind: "redundant_query", Default: LevelWarning,
		Title: "Redundant repeated query",
		Doc: "The same statement with the same values runs many times in one unit of work: memoize or cache the result. " +
			"Reported as a warning by default."},
	{ID: RuleRetryStorm, Kind: "retry_storm", Default: LevelWarning,
		Title: "Retry storm",
		Doc: "A statement is retried after errors (deadlock, lock wait timeout) or rollbacks within one unit of work. " +
			"Not an N+1, but each retry holds locks again. Reported as a warning by default."},
	{ID: RuleStatementsPerUnit, Budget: "budgets.statements_per_unit", Default: LevelError,
		Title: "Statements per unit of work",
		Doc: "A unit of work (request, job, transaction; per route when query comments carry one) ran more statements than " +
			"the budget: a query explosion. Configure budgets.statements_per_unit and, per route, budgets.routes."},
	{ID: RuleNPlusOneRepeats, Budget: "budgets.n_plus_one_repeats", Default: LevelError,
		Title: "N+1 repeats",
		Doc: "An N+1 loop repeated its child statement more times in one unit of work than budgets.n_plus_one_repeats " +
			"allows. Useful when known loops are baselined or the n-plus-one rule is lowered to a warning: the loop may " +
			"stay, but it must not grow."},
	{ID: RuleClassP95, Budget: "budgets.classes[].p95", Default: LevelError,
		Title: "Class p95 query time",
		Doc:   "The 95th percentile query time of a statement class is above its budget. Needs durations (slow log)."},
	{ID: RuleClassTotalTime, Budget: "budgets.classes[].total_time", Default: LevelError,
		Title: "Class total query time",
		Doc:   "The total query time of a statement class is above its budget. Needs durations (slow log)."},
	{ID: RuleClassCalls, Budget: "budgets.classes[].calls", Default: LevelError,
		Title: "Class calls",
		Doc:   "A statement class ran more times than its budget. Works with general logs too."},
	{ID: RuleClassRowsExamined, Budget: "budgets.classes[].rows_examined", Default: LevelError,
		Title: "Class rows examined per call",
		Doc:   "A statement class examined more rows per call on average than its budget: a missing index or a scan. Needs a slow log."},
	{ID: RuleForbiddenClass, Budget: "budgets.forbid", Default: LevelError,
		Title: "Forbidden statement class",
		Doc:   "A statement class that must not appear (by fingerprint, pattern, class id or table) was executed."},
}

// RuleFor returns the rule reporting findings of a kind. Kinds without a
// catalogued rule get one whose id is the kind with dashes, so new
// detector kinds are reported (as warnings) without a release of the gate.
func RuleFor(kind string) Rule {
	for _, r := range Rules {
		if r.Kind == kind {
			return r
		}
	}
	return Rule{
		ID: strings.ReplaceAll(kind, "_", "-"), Kind: kind, Default: LevelWarning,
		Title: "Finding: " + strings.ReplaceAll(kind, "_", " "),
		Doc:   "Finding of kind " + kind + " reported by the detector.",
	}
}

// lookupRule finds a catalogued rule by id.
func lookupRule(id string) (Rule, bool) {
	for _, r := range Rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// RuleIDs lists the catalogued rule ids, sorted.
func RuleIDs() []string {
	ids := make([]string, len(Rules))
	for i, r := range Rules {
		ids[i] = r.ID
	}
	sort.Strings(ids)
	return ids
}

// rank orders confidence and severity words; unknown words rank 0.
func rank(s string) int {
	switch strings.ToLower(s) {
	case "low":
		return 1
	case "medium":
		return 2
	case "high":
		return 3
	}
	return 0
}
