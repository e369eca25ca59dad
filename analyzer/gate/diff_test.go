package gate

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sqlsift/sqlsift/analyzer"
)

func changeKeys(cs []Change) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ClassID+" "+c.Metric)
	}
	return out
}

func classKeys(cs []ClassChange) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ClassID)
	}
	return out
}

func findingKeys(fs []analyzer.Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Key)
	}
	return out
}

func TestDiff(t *testing.T) {
	old := testReport()
	nr := testReport()
	// users: 20 → 40 calls (regression); posts: rows examined 2000 → 20
	// (improvement); settings vanished; a new class; audit p95 150ms → 400ms.
	nr.Classes[0].Count = 40
	nr.Classes[1].RowsExamined = dist(2, 40, 20, 20)
	nr.Classes[2] = analyzer.Class{ID: "bbbbbbbbbbbbbbb1", Fingerprint: "select ?", Count: 3}
	nr.Classes[3].QueryTime.P95 = 0.4
	// The redundant-query finding is resolved, a new N+1 appears, and a
	// low-confidence one is ignored.
	nr.Findings[1] = analyzer.Finding{Kind: "n_plus_one", Key: "np1-new", Confidence: "medium"}
	nr.Findings = append(nr.Findings, analyzer.Finding{Kind: "n_plus_one", Key: "np1-weak", Confidence: "low"})

	d := Diff(DiffInput{Report: old}, DiffInput{Report: nr}, nil)
	if d.CallsMetric != "calls" {
		t.Errorf("calls metric %q without units", d.CallsMetric)
	}
	if got := changeKeys(d.Regressions); !cmp.Equal(got, []string{auditID + " p95", usersID + " calls"}) {
		t.Errorf("regressions %v", got)
	}
	if got := changeKeys(d.Improvements); !cmp.Equal(got, []string{postsID + " rows_examined_per_call"}) {
		t.Errorf("improvements %v", got)
	}
	if got := classKeys(d.NewClasses); !cmp.Equal(got, []string{"bbbbbbbbbbbbbbb1"}) {
		t.Errorf("new classes %v", got)
	}
	if got := classKeys(d.VanishedClasses); !cmp.Equal(got, []string{settsID}) {
		t.Errorf("vanished classes %v", got)
	}
	if got := findingKeys(d.NewFindings); !cmp.Equal(got, []string{"np1-new"}) {
		t.Errorf("new findings %v", got)
	}
	if got := findingKeys(d.ResolvedFindings); !cmp.Equal(got, []string{"red-settings"}) {
		t.Errorf("resolved findings %v", got)
	}
	if d.Failed {
		t.Error("diff failed without --fail-on")
	}
	r := d.Regressions[1]
	if r.Old != 20 || r.New != 40 || r.Ratio != 1 {
		t.Errorf("calls regression %+v", r)
	}
	if _, err := json.Marshal(d); err != nil {
		t.Errorf("JSON: %v", err)
	}

	cfg := DefaultConfig()
	cfg.Diff.FailOn = []string{DiffFailNewFinding, DiffFailVanishedClass}
	d = Diff(DiffInput{Report: old}, DiffInput{Report: nr}, cfg)
	if !d.Failed || !cmp.Equal(d.FailReasons, []string{"new-finding: 1", "vanished-class: 1"}) {
		t.Errorf("fail-on: failed=%v reasons=%v", d.Failed, d.FailReasons)
	}
	// Same capture on both sides: nothing to report, nothing fails.
	cfg.Diff.FailOn = DiffFailKinds
	d = Diff(DiffInput{Report: old}, DiffInput{Report: testReport()}, cfg)
	if d.Failed || len(d.Regressions)+len(d.Improvements)+len(d.NewClasses)+len(d.VanishedClasses)+len(d.NewFindings)+len(d.ResolvedFindings) != 0 {
		t.Errorf("identical captures differ: %+v", d)
	}
}

func TestDiffThresholdsAndUnits(t *testing.T) {
	old := testReport()
	nr := testReport()
	nr.Classes[0].Count = 23                   // +15 %: below 20 %
	nr.Classes[3].QueryTime.P95 = 0.150 + 1e-4 // tiny absolute change
	d := Diff(DiffInput{Report: old}, DiffInput{Report: nr}, nil)
	if len(d.Regressions) != 0 {
		t.Errorf("changes under the thresholds reported: %v", changeKeys(d.Regressions))
	}
	// With units of work, calls are compared per unit: twice the calls over
	// twice the units is no regression.
	nr.Classes[0].Count = 40
	d = Diff(DiffInput{Report: old, Units: 10}, DiffInput{Report: nr, Units: 20}, nil)
	if d.CallsMetric != "calls_per_unit" {
		t.Errorf("calls metric %q with units", d.CallsMetric)
	}
	for _, c := range d.Regressions {
		if c.ClassID == usersID {
			t.Errorf("calls per unit unchanged but reported: %+v", c)
		}
	}
	// Rows examined from zero.
	old.Classes[3].RowsExamined = dist(8, 0, 0, 0)
	nr.Classes[3].RowsExamined = dist(8, 800, 100, 100)
	d = Diff(DiffInput{Report: old}, DiffInput{Report: nr}, nil)
	var fromZero bool
	for _, c := range d.Regressions {
		fromZero = fromZero || (c.ClassID == auditID && c.FromZero && c.Metric == "rows_examined_per_call")
	}
	if !fromZero {
		t.Errorf("rows examined from 0 to 100 not reported: %+v", d.Regressions)
	}
	if _, err := json.Marshal(d); err != nil {
		t.Errorf("JSON: %v", err)
	}
	// A limited report warns that new/vanished may be artefacts.
	old.Remainder.Classes = 5
	if d := Diff(DiffInput{Report: old}, DiffInput{Report: nr}, nil); len(d.Notes) != 1 {
		t.Errorf("notes %v", d.Notes)
	}
}
