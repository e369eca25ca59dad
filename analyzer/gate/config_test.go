package gate

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fullConfig uses every key: it is the example in README.md, section "Configuration" (keep
// them identical).
const fullConfig = `# .sqlsift.yml — sqlsift CI gate
version: 1                              # the only version so far
baseline: sqlsift-baseline.json         # default --baseline, relative to this file
fail_level: error                       # results at or above fail: error | warning | note
fail_on_stale: false                    # fail when baseline entries no longer occur

rules:                                  # per rule: a level, or a mapping
  n-plus-one:
    level: error                        # error | warning | note | off
    min_confidence: medium              # findings below are not counted: low | medium | high
  redundant-query: warning
  retry-storm: {level: note, min_severity: high}
  class-calls: warning

budgets:
  statements_per_unit: 200              # statements in one unit of work (request, job, transaction)
  routes:                               # per route (from query comments); first match wins; * = anything
    "GET /orders*": 400
    "reports#*": 1_000
  n_plus_one_repeats: 25                # child executions of one N+1 loop in one unit of work
  classes:                              # per statement class; the first budget that matches a class
    - name: order lookups               #   and sets a limit decides that limit
      table: orders                     # select classes by table, pattern, fingerprint or class id
      p95: 50ms                         # durations: 50ms, 1.5s, 2m, or seconds
      total_time: 2s
    - pattern: '^select .* from ` + "`" + `audit_log` + "`" + `'   # RE2 on the fingerprint
      calls: 100
      rows_examined: 1000               # average per call
    - p95: 0.5                          # no selector: every class
  forbid:                               # classes that must not appear
    - table: users_legacy
      reason: replaced by accounts
    - fingerprint: "SELECT SLEEP(1)"    # any SQL: it is fingerprinted like the logs

allow:                                  # results to accept; every key of an entry must match
  - table: schema_migrations
    reason: migrations run once per suite
  - route: "GET /healthz"
  - pattern: '^select @@'
    rules: [redundant-query]            # only for these rules (default: all)
  - class: 0123456789ABCDEF

diff:                                   # thresholds of sqlsift diff
  calls_increase: 20%                   # a regression grows by more than the fraction…
  p95_increase: 0.5
  rows_examined_increase: 100%
  min_calls: 2                          # …and by more than the absolute floor
  min_p95: 2ms
  min_rows_examined: 50
  fail_on: [regression, new-finding]    # new-finding | regression | new-class | vanished-class
`

func TestParseFullConfig(t *testing.T) {
	norm := func(s string) string { return "norm(" + strings.ToLower(s) + ")" }
	cfg, err := ParseConfig([]byte(fullConfig), ".sqlsift.yml", ParseOptions{Normalize: norm})
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		File: ".sqlsift.yml", Version: 1, Baseline: "sqlsift-baseline.json", FailLevel: LevelError,
		Rules: map[string]RuleConfig{
			RuleNPlusOne:       {Level: LevelError, LevelSet: true, MinConfidence: "medium"},
			RuleRedundantQuery: {Level: LevelWarning, LevelSet: true},
			RuleRetryStorm:     {Level: LevelNote, LevelSet: true, MinSeverity: "high"},
			RuleClassCalls:     {Level: LevelWarning, LevelSet: true},
		},
		Budgets: Budgets{
			StatementsPerUnit: 200,
			Routes:            []RouteBudget{{Route: "GET /orders*", Max: 400}, {Route: "reports#*", Max: 1000}},
			NPlusOneRepeats:   25,
			Classes: []ClassBudget{
				{Name: "order lookups", Match: Matcher{Table: "orders"}, P95: 0.05, TotalTime: 2},
				{Match: Matcher{Pattern: regexp.MustCompile("^select .* from `audit_log`")}, Calls: 100, RowsExamined: 1000},
				{P95: 0.5},
			},
			Forbid: []Forbid{
				{Match: Matcher{Table: "users_legacy"}, Reason: "replaced by accounts"},
				{Match: Matcher{Fingerprint: "norm(select sleep(1))"}},
			},
		},
		Allow: []Allow{
			{Match: Matcher{Table: "schema_migrations"}, Reason: "migrations run once per suite"},
			{Match: Matcher{Route: "GET /healthz"}},
			{Match: Matcher{Pattern: regexp.MustCompile("^select @@")}, Rules: []string{RuleRedundantQuery}},
			{Match: Matcher{Class: "0123456789abcdef"}},
		},
		Diff: DiffOptions{
			CallsIncrease: 0.2, P95Increase: 0.5, RowsExaminedIncrease: 1,
			MinCalls: 2, MinP95: 0.002, MinRowsExamined: 50,
			FailOn: []string{DiffFailNewFinding, DiffFailRegression},
		},
	}
	opt := cmp.Comparer(func(a, b *regexp.Regexp) bool {
		if a == nil || b == nil {
			return a == b
		}
		return a.String() == b.String()
	})
	if d := cmp.Diff(want, cfg, opt); d != "" {
		t.Errorf("config (-want +got):\n%s", d)
	}
	if got := cfg.Level(RuleFor("n_plus_one")); got != LevelError {
		t.Errorf("n-plus-one level %v", got)
	}
	if got := cfg.Level(Rule{ID: RuleClassP95, Default: LevelError}); got != LevelError {
		t.Errorf("class-p95 default level %v", got)
	}
}

func TestParseEmptyConfig(t *testing.T) {
	for _, src := range []string{"", "# only a comment\n", "---\n"} {
		cfg, err := ParseConfig([]byte(src), "x.yml", ParseOptions{})
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		want := DefaultConfig()
		want.File = "x.yml"
		if d := cmp.Diff(want, cfg); d != "" {
			t.Errorf("%q: not the defaults (-want +got):\n%s", src, d)
		}
	}
}

func TestConfigLevelOff(t *testing.T) {
	cfg, err := ParseConfig([]byte("rules:\n  n-plus-one: off\n  redundant-query:\n    min_confidence: high\n"), "c.yml", ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Level(RuleFor("n_plus_one")); got != LevelOff {
		t.Errorf("n-plus-one: %v, want off", got)
	}
	// Only a threshold: the default level stays.
	if got := cfg.Level(RuleFor("redundant_query")); got != LevelWarning {
		t.Errorf("redundant-query: %v, want warning", got)
	}
	if got := cfg.minConfidence(RuleRedundantQuery); got != "high" {
		t.Errorf("min confidence %q", got)
	}
}

func TestConfigErrorsAreLocated(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // each must appear, in order
	}{
		{"syntax", "budgets:\n  classes: [\n", []string{"c.yml:2:1: did not find expected node content"}},
		{"tab indentation", "rules:\n\tn-plus-one: off\n", []string{"c.yml:2:1: found character that cannot start any token"}},
		{"unknown top key", "version: 1\nbudget: {}\n", []string{`c.yml:2:1: config: unknown key "budget"`}},
		{"version", "version: 2\n", []string{"c.yml:1:10: version: unsupported version 2"}},
		{"unknown rule", "rules:\n  n-plus-two: error\n", []string{`c.yml:2:3: rules: unknown rule "n-plus-two"`}},
		{"bad level", "rules:\n  n-plus-one: fatal\n", []string{`c.yml:2:15: rules.n-plus-one: unknown level "fatal"`}},
		{"bad confidence", "rules:\n  n-plus-one:\n    min_confidence: certain\n", []string{`c.yml:3:21: rules.n-plus-one.min_confidence: want low, medium or high`}},
		{"negative budget", "budgets:\n  statements_per_unit: -3\n", []string{"c.yml:2:24: budgets.statements_per_unit: must be at least 1, got -3"}},
		{"float budget", "budgets:\n  n_plus_one_repeats: 2.5\n", []string{`c.yml:2:23: budgets.n_plus_one_repeats: want a whole number, got "2.5"`}},
		{"bad duration", "budgets:\n  classes:\n    - table: t\n      p95: fast\n", []string{`c.yml:4:12: budgets.classes[0].p95: want a duration`}},
		{"no limit", "budgets:\n  classes:\n    - table: t\n", []string{"c.yml:3:7: budgets.classes[0]: no limit set"}},
		{"bad regexp", "budgets:\n  forbid:\n    - pattern: 'a('\n", []string{"c.yml:3:16: budgets.forbid[0].pattern: error parsing regexp"}},
		{"empty forbid", "budgets:\n  forbid:\n    - reason: x\n", []string{"c.yml:3:7: budgets.forbid[0]: say what is forbidden"}},
		{"bad class id", "allow:\n  - class: xyz\n", []string{`c.yml:2:12: allow[0].class: want a class id of 16 hex digits, got "xyz"`}},
		{"allow unknown rule", "allow:\n  - table: t\n    rules: [n-plus-three]\n", []string{`c.yml:3:13: allow[0].rules: unknown rule "n-plus-three"`}},
		{"allow not list", "allow:\n  table: t\n", []string{"c.yml:2:3: allow: want a list, got a mapping"}},
		{"duplicate key", "budgets:\n  statements_per_unit: 5\n  statements_per_unit: 6\n", []string{`c.yml:3:3: budgets: duplicate key "statements_per_unit"`}},
		{"fail_level off", "fail_level: off\n", []string{"c.yml:1:13: fail_level: fail_level off would never fail"}},
		{"fail_on_stale", "fail_on_stale: sometimes\n", []string{`c.yml:1:16: fail_on_stale: want true or false, got "sometimes"`}},
		{"diff fail_on", "diff:\n  fail_on: [everything]\n", []string{`c.yml:2:13: diff.fail_on: unknown condition "everything"`}},
		{"diff fraction", "diff:\n  p95_increase: lots\n", []string{`c.yml:2:17: diff.p95_increase: want a fraction`}},
		{"several", "version: 3\nrules:\n  nope: error\n", []string{"c.yml:1:10: version", `c.yml:3:3: rules: unknown rule "nope"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.src), "c.yml", ParseOptions{})
			if err == nil {
				t.Fatalf("no error for %q", tc.src)
			}
			msg := err.Error()
			at := 0
			for _, w := range tc.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("error %q\nlacks %q", msg, w)
				}
				at += i + len(w)
			}
		})
	}
}
