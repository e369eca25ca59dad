package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sqlsift/sqlsift/analyzer"
)

func liveReport() *analyzer.Report {
	return &analyzer.Report{
		Tool:     analyzer.Tool{Name: "sqlsift", Version: "t"},
		Inputs:   []analyzer.Input{{Path: "app:***@tcp(db:3306)/", Format: "live/perfschema"}},
		Classes:  []analyzer.Class{},
		Findings: []analyzer.Finding{},
		Live: &analyzer.Live{
			Source: "perfschema", Server: "10.11.19-MariaDB", DSN: "app:***@tcp(db:3306)/", Start: "2026-01-01T00:00:00Z", End: "2026-01-01T00:01:00Z",
			Duration: 60, Interval: 1, Polls: 60, LostEvents: 250, Overflows: 2, RingSize: 1000, SuggestedInterval: 0.25, PeakRate: 2000,
			Truncated: 3, TextLimit: 1024, ExecNoText: 7,
			Gaps:       []analyzer.LiveGap{{Start: "2026-01-01T00:00:10Z", End: "2026-01-01T00:00:12Z", Seconds: 2, Restarted: true, Reason: "invalid connection"}},
			BlindSpots: []string{"blind spot one"},
			Notes:      []string{"consumers off: x.\n  UPDATE ..."},
		},
		Explain: &analyzer.Explain{
			DSN: "app:***@tcp(db:3306)/shop", Server: "10.11.19-MariaDB",
			Plans: []analyzer.Plan{
				{ClassID: "abc", Rank: 1, DB: "shop", FullScan: true, Filesort: true, Tables: []analyzer.TableAccess{{Table: "orders", Access: "ALL", Rows: 500, Filtered: 10, FullScan: true}}},
				{ClassID: "def", Rank: 2, Error: "Table 'shop.x' doesn't exist"},
			},
			Skipped: []analyzer.ExplainSkip{{ClassID: "ghi", Rank: 3, Reason: "the example is redacted"}},
			Advice:  []analyzer.Advice{{Kind: "missing-index", ClassID: "abc", Message: "no index starts with status", SQL: "CREATE INDEX `idx_orders_status` ON `shop`.`orders` (`status`);"}},
		},
	}
}

func TestLiveSections(t *testing.T) {
	for name, want := range map[string][]string{
		"text": {
			"Live capture: perfschema on app:***@tcp(db:3306)/ (10.11.19-MariaDB)",
			"LOST: about 250 statements were overwritten in the performance_schema ring (1000 rows)",
			"the ring wrapped between polls 2 times",
			"Poll every 250.0ms or less (--interval; peak 2000 statements/s)",
			"GAP: 2026-01-01T00:00:10Z to 2026-01-01T00:00:12Z (2.00s), server restarted: invalid connection",
			"3 statements had their text cut by the server at 1024 characters",
			"7 prepared-statement executions had no text recorded",
			"Note: consumers off: x.\n      UPDATE ...",
			"    - blind spot one",
			"#1 abc (db shop): FULL SCAN, filesort",
			"orders: access ALL, key no key, rows 500, filtered 10%",
			"#2 def: EXPLAIN failed: Table 'shop.x' doesn't exist",
			"#3 ghi not explained: the example is redacted",
			"1. [missing-index] no index starts with status\n   CREATE INDEX `idx_orders_status`",
		},
		"markdown": {
			"## Live capture",
			"| Lost statements | 250 (ring of 1000 rows wrapped 2 times) |",
			"| Suggested interval | 250.0ms or less (peak 2000 statements/s) |",
			"| 2026-01-01T00:00:10Z | 2026-01-01T00:00:12Z | 2.00s | true | invalid connection |",
			"- blind spot one",
			"## EXPLAIN",
			"| 1 | `abc` | orders | ALL | – | 500 | 10% | FULL SCAN, filesort |",
			"EXPLAIN failed: Table 'shop.x' doesn't exist",
			"1. **missing-index**: no index starts with status",
		},
		"json": {`"lost_events": 250`, `"restarted": true`, `"access": "ALL"`, `"kind": "missing-index"`},
	} {
		render, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := render(&b, liveReport(), Options{Detail: 5}); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s lacks %q:\n%s", name, w, b.String())
			}
		}
		if name == "json" && !json.Valid(b.Bytes()) {
			t.Error("invalid JSON")
		}
	}
	// Log-file reports have neither section.
	r := liveReport()
	r.Live, r.Explain = nil, nil
	var b bytes.Buffer
	if err := Text(&b, r, Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "Live capture") || strings.Contains(b.String(), "EXPLAIN") {
		t.Errorf("sections shown for a log report:\n%s", b.String())
	}
}
