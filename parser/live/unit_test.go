package live

import (
	"strings"
	"testing"
	"time"

	"github.com/sqlsift/sqlsift/parser"
)

func TestMaskDSN(t *testing.T) {
	for _, tc := range []struct{ in, want, pw string }{
		{"app:secret@tcp(127.0.0.1:3306)/shop", "app:***@tcp(127.0.0.1:3306)/shop", "secret"},
		{"app:p@ss:w/rd@tcp(h:1)/db?timeout=1s", "app:***@tcp(h:1)/db?timeout=1s", "p@ss:w/rd"},
		{"app@unix(/tmp/s.sock)/", "app@unix(/tmp/s.sock)/", ""},
		{"root:@tcp(h)/", "root:@tcp(h)/", ""},
		{"app:secret@tcp(h:1", "app:***@tcp(h:1", "secret"}, // malformed: still masked
		{"/", "/", ""},
		{"", "", ""},
	} {
		if got := MaskDSN(tc.in); got != tc.want {
			t.Errorf("MaskDSN(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Password(tc.in); got != tc.pw {
			t.Errorf("Password(%q) = %q, want %q", tc.in, got, tc.pw)
		}
	}
	sc := NewScrubber("u:hunter22@tcp(h)/", "v:ab@tcp(h)/")
	if got := sc.String("dial hunter22 failed; ab is short"); got != "dial *** failed; ab is short" {
		t.Errorf("Scrubber = %q", got)
	}
}

func TestReadOnly(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT 1":                             true,
		"  select 1":                           true,
		"/* c */ SELECT 1":                     true,
		"(SELECT 1) UNION (SELECT 2)":          true,
		"SHOW GLOBAL STATUS":                   true,
		"EXPLAIN FORMAT=JSON SELECT 1":         true,
		"EXPLAIN FORMAT = JSON SELECT 1":       true,
		"explain select 1":                     true,
		"EXPLAIN ANALYZE SELECT 1":             false,
		"EXPLAIN FORMAT=JSON ANALYZE SELECT 1": false,
		"ANALYZE FORMAT=JSON SELECT 1":         false,
		"UPDATE t SET a = 1":                   false,
		"SET SESSION max_statement_time = 1":   false,
		"/*!50000 DROP TABLE t */ SELECT 1":    false,
		"-- x\nDELETE FROM t":                  false,
		"SELECTX 1":                            false,
		"":                                     false,
		"EXPLAIN":                              false,
		"DO SLEEP(1)":                          false,
		"CALL p()":                             false,
	} {
		if got := ReadOnly(q); got != want {
			t.Errorf("ReadOnly(%q) = %v, want %v", q, got, want)
		}
	}
}

func TestAnchor(t *testing.T) {
	w := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a := anchor{timer: 10e12, wall: w}
	if got := a.at(9e12); !got.Equal(w.Add(-time.Second)) {
		t.Errorf("at(9e12) = %v", got)
	}
	if got := a.at(10e12 + 1500); !got.Equal(w.Add(1 * time.Nanosecond)) {
		t.Errorf("at(+1500ps) = %v", got)
	}
	// Across the 2^64 ps wrap (213 days of uptime): the timer restarted
	// just after the anchor's... the anchor is just after the wrap.
	b := anchor{timer: 5e12, wall: w}
	if got := b.at(^uint64(0) - 1e12 + 1); !got.Equal(w.Add(-6 * time.Second)) {
		t.Errorf("across wrap = %v, want %v", got, w.Add(-6*time.Second))
	}
}

func TestBatchSharesSumExactly(t *testing.T) {
	b := batch{ev: parser.Event{Kind: parser.KindQuery}, n: 7, totals: [5]uint64{100, 3, 50, 700, 0}, errs: 2}
	var sum [5]int64
	errs := 0
	for i := 0; i < 7; i++ {
		var ev parser.Event
		b.take(&ev)
		sum[0] += ev.QueryTime
		sum[1] += ev.LockTime
		sum[2] += ev.RowsSent
		sum[3] += ev.RowsExamined
		if ev.Errno != 0 {
			errs++
		}
	}
	if sum != [5]int64{100, 3, 50, 700, 0} || errs != 2 {
		t.Errorf("sums %v errs %d", sum, errs)
	}
}

func TestConsumerAdvice(t *testing.T) {
	got := consumerAdvice([]string{"events_statements_current"})
	for _, w := range []string{"WHERE NAME IN ('events_statements_current');", "performance-schema-consumer-events-statements-current=ON", "--enable-consumers"} {
		if !strings.Contains(got, w) {
			t.Errorf("advice lacks %q: %s", w, got)
		}
	}
}

// FuzzReadOnly: the guard never panics, and nothing it lets through starts
// with a writing keyword.
func FuzzReadOnly(f *testing.F) {
	for _, s := range []string{"SELECT 1", "EXPLAIN FORMAT=JSON ANALYZE SELECT 1", "/*!x*/", "-- a\nSELECT", "(", "EXPLAIN =", "SHOW"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if ReadOnly(q) {
			w, _ := firstWord(q)
			if w != "SELECT" && w != "SHOW" && w != "EXPLAIN" {
				t.Fatalf("ReadOnly(%q) with first word %q", q, w)
			}
		}
		if Password(q) != "" && Password(MaskDSN(q)) != Mask {
			t.Fatalf("MaskDSN(%q) = %q still has a password", q, MaskDSN(q))
		}
	})
}
