package live

import (
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sqlsift/sqlsift/parser"
)

// loadRows reads a mysql-client TSV dump of an events_statements table.
func loadRows(t testing.TB, name string) []psRow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "live", name))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	col := map[string]int{}
	for i, h := range strings.Split(lines[0], "\t") {
		col[h] = i
	}
	str := func(f []string, c string) sql.NullString {
		v := f[col[c]]
		if v == "NULL" {
			return sql.NullString{}
		}
		v = strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\\`, `\`).Replace(v)
		return sql.NullString{String: v, Valid: true}
	}
	num := func(f []string, c string) int64 {
		n, _ := strconv.ParseInt(f[col[c]], 10, 64)
		return n
	}
	var rows []psRow
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		var r psRow
		r.thread, r.event = uint64(num(f, "THREAD_ID")), uint64(num(f, "EVENT_ID"))
		end := str(f, "END_EVENT_ID")
		r.hasEnd, r.end = end.Valid, uint64(num(f, "END_EVENT_ID"))
		r.name = f[col["EVENT_NAME"]]
		r.start, r.hasStart = parseU64(str(f, "TIMER_START"))
		r.stop, r.hasStop = parseU64(str(f, "TIMER_END"))
		r.wait, _ = parseU64(str(f, "TIMER_WAIT"))
		r.lock, _ = parseU64(str(f, "LOCK_TIME"))
		r.text, r.schema, r.nesting = str(f, "SQL_TEXT"), str(f, "CURRENT_SCHEMA"), str(f, "NESTING_EVENT_TYPE")
		r.errno, r.affected, r.sent, r.examined = num(f, "MYSQL_ERRNO"), num(f, "ROWS_AFFECTED"), num(f, "ROWS_SENT"), num(f, "ROWS_EXAMINED")
		rows = append(rows, r)
	}
	return rows
}

// The anchor workload's real history_long, fed through the row-to-event
// step: kinds, nesting, errors and timing come out as the slow log has them,
// and a complete history shows no loss.
func TestConsumeRealHistory(t *testing.T) {
	rows := loadRows(t, "events_statements_history_long.tsv")
	c := &Capture{cfg: Config{MaxQueryBytes: parser.DefaultMaxQueryBytes}}
	p := &perfSchema{c: c, threads: map[uint64]*thread{}, own: map[uint64]bool{}, textLimit: 1024, final: true}
	wall := time.Date(2026, 11, 27, 14, 50, 0, 0, time.UTC)
	a := anchor{timer: 200e12, wall: wall}
	p.rows = rows
	// Thread 16 ran the workload; map it as a connection that is still open.
	p.thread(16).conn, p.thread(16).mapped, p.thread(16).user = 5, true, "app"
	lost := p.consume(a)
	if lost != 0 || c.stats.LostIDs != 0 {
		t.Errorf("a complete history reported %d lost (%d ids)", lost, c.stats.LostIDs)
	}
	var nested, sqlRows int
	for _, r := range rows {
		if r.nesting.String == "STATEMENT" {
			nested++
		} else if strings.HasPrefix(r.name, "statement/sql/") {
			sqlRows++
		}
	}
	if int(c.stats.Nested) != nested || nested == 0 {
		t.Errorf("nested skipped %d, want %d", c.stats.Nested, nested)
	}
	kinds := map[parser.Kind]int{}
	byText := map[string]*parser.Event{}
	for i := range c.buf {
		ev := &c.buf[i]
		kinds[ev.Kind]++
		byText[string(ev.Query)] = ev
	}
	if kinds[parser.KindQuery] != sqlRows {
		t.Errorf("%d query events, want %d (statement/sql rows outside stored programs)", kinds[parser.KindQuery], sqlRows)
	}
	if kinds[parser.KindQuit] == 0 {
		t.Errorf("no Quit events: %v", kinds)
	}
	ev := byText["SELECT * FROM no_such_table"]
	if ev == nil || ev.Errno != 1146 || ev.DB != "shop" {
		t.Errorf("error statement: %+v", ev)
	}
	ev = byText["SELECT SLEEP(0.3)"]
	if ev == nil || ev.QueryTime < 300_000 || ev.QueryTime > 400_000 || ev.End.Sub(ev.Start).Microseconds() != ev.QueryTime {
		t.Errorf("sleep: %+v", ev)
	}
	for _, e := range c.buf {
		if e.ThreadID == 16 && (e.ConnID != 5 || e.User != "app") {
			t.Errorf("mapped thread event: conn %d user %q", e.ConnID, e.User)
		}
	}
	// TIMER_START is picoseconds since server start: 200e12 ps is the anchor.
	if ev := byText["select 1"]; ev == nil || !ev.Start.Equal(wall.Add(time.Duration(int64(1026302445000-200e12)/1000))) {
		t.Errorf("select 1 start: %+v", ev)
	}
	// Threads that closed before mapping get a stand-in id with the high bit.
	for _, e := range c.buf {
		if e.ThreadID != 16 && e.ConnID&unmappedConn == 0 {
			t.Errorf("thread %d event has conn %d without the unmapped marker", e.ThreadID, e.ConnID)
		}
	}
	if c.stats.Unmapped == 0 {
		t.Error("no unmapped events counted")
	}
}

// Statement ids skipped on a thread are counted as lost, scaled by the
// thread's observed EVENT_IDs per statement.
func TestConsumeGap(t *testing.T) {
	c := &Capture{cfg: Config{MaxQueryBytes: 100}}
	p := &perfSchema{c: c, threads: map[uint64]*thread{}, own: map[uint64]bool{9: true}, textLimit: 1024, final: true}
	mk := func(th, ev, end uint64, text string) psRow {
		return psRow{thread: th, event: ev, end: end, hasEnd: true, name: "statement/sql/select", text: sql.NullString{String: text, Valid: true}, hasStart: true, hasStop: true, start: ev * 1e9, stop: ev*1e9 + 5e8}
	}
	// Thread 7 takes two ids per statement (say, a transaction event each).
	p.thread(7).lastEvent, p.thread(7).lastEnd = 1, 1
	p.rows = []psRow{mk(7, 11, 11, "a"), mk(7, 13, 13, "b"), mk(7, 15, 15, "c"), mk(9, 1, 1, "ours")}
	lost := p.consume(anchor{timer: 100e9, wall: time.Unix(0, 0)})
	// Statements 3, 5, 7 and 9 are missing, with the ids between them.
	if lost != 4 || c.stats.LostIDs != 8 || len(c.buf) != 3 {
		t.Errorf("lost %d ids %d events %d, want 4, 8, 3", lost, c.stats.LostIDs, len(c.buf))
	}
	// A repeat poll yields nothing new and loses nothing.
	c.buf = c.buf[:0]
	if lost := p.consume(anchor{timer: 100e9, wall: time.Unix(0, 0)}); lost != 0 || len(c.buf) != 0 {
		t.Errorf("repeat: lost %d events %d", lost, len(c.buf))
	}
	// Not final: a statement that ended within the settle time waits.
	p.final = false
	p.rows = []psRow{mk(7, 17, 17, "d")}
	p.rows[0].stop = 100e9 - 1e9 // 1 ms before the anchor
	if p.consume(anchor{timer: 100e9, wall: time.Unix(0, 0)}); len(c.buf) != 0 {
		t.Errorf("a statement that just ended was not deferred")
	}
}
