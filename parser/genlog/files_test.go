package genlog

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sqlsift/sqlsift/parser"
)

// fileCase is what a testdata file holds, counted by reading it (and, for the
// real logs, confirmed with pt-query-digest --type genlog, see README.md).
type fileCase struct {
	name     string
	kinds    map[parser.Kind]int
	warnings int
}

var fileCases = []fileCase{
	{"genlog001.txt", map[parser.Kind]int{parser.KindConnect: 2, parser.KindQuery: 2, parser.KindQuit: 2, parser.KindInitDB: 1}, 0},
	{"pt-genlog001-mysql-5.0-5.1-style.log", map[parser.Kind]int{parser.KindConnect: 2, parser.KindQuery: 2, parser.KindQuit: 2, parser.KindInitDB: 1}, 0},
	{"genlog002.txt", map[parser.Kind]int{parser.KindQuery: 2}, 0},
	{"pt-genlog002-mysql-5.1-multiline.log", map[parser.Kind]int{parser.KindQuery: 2}, 0},
	{"genlog003.txt", map[parser.Kind]int{parser.KindConnect: 2, parser.KindQuery: 2, parser.KindQuit: 2, parser.KindInitDB: 1}, 0},
	{"genlog004.txt", map[parser.Kind]int{parser.KindConnect: 3, parser.KindQuery: 1}, 0},
	{"genlog005.txt", map[parser.Kind]int{parser.KindConnect: 2, parser.KindQuery: 11}, 0},
	{"pt-genlog005-mysql-5.7.12.log", map[parser.Kind]int{parser.KindConnect: 2, parser.KindQuery: 11}, 0},
	{"pt-1573-general-log-system.log", map[parser.Kind]int{parser.KindConnect: 1, parser.KindQuery: 3, parser.KindQuit: 1}, 0},
	{"pt-1573-mysql-5.7.21-log_timestamps-system.log", map[parser.Kind]int{parser.KindConnect: 1, parser.KindQuery: 3, parser.KindQuit: 1}, 0},
	// 12 records; three literals embed slow-log headers and one embeds the
	// three general-log header lines (one of which is header-shaped).
	{"mariadb-10.11-adversarial-general.log", map[parser.Kind]int{parser.KindConnect: 2, parser.KindQuery: 8, parser.KindQuit: 1, parser.KindInitDB: 1}, 1},
	// 228 record lines; Close stmt x3 and Statistics x1 are the commands.
	{"mariadb-10.11-general.log", map[parser.Kind]int{
		parser.KindConnect: 41, parser.KindQuit: 41, parser.KindQuery: 127, parser.KindExecute: 9,
		parser.KindPrepare: 4, parser.KindInitDB: 2, parser.KindCommand: 4}, 0},
	// Connect, 3 literals that swallow records and close again, 1 with a
	// /*+ hint */, use `other db`: see the file.
	{"synthetic-fake-records-in-literals.log", map[parser.Kind]int{
		parser.KindConnect: 1, parser.KindQuery: 7, parser.KindExecute: 1, parser.KindInitDB: 1, parser.KindQuit: 1}, 4},
	// Two unbalanced quotes: one followed by 40 records (resync at the 33rd),
	// one followed by 4 records and the end of input.
	{"synthetic-unbalanced-quote.log", map[parser.Kind]int{parser.KindConnect: 1, parser.KindQuery: 45, parser.KindQuit: 1}, 2},
	// Two runs of stray lines; an unknown command is continuation text.
	{"synthetic-orphans.log", map[parser.Kind]int{parser.KindConnect: 2, parser.KindQuery: 1, parser.KindQuit: 1}, 2},
}

func TestFiles(t *testing.T) {
	for _, fc := range fileCases {
		t.Run(fc.name, func(t *testing.T) {
			data := readFile(t, fc.name)
			res := readAll(t, data, parser.Options{File: fc.name})
			got := map[parser.Kind]int{}
			for i := range res.Events {
				got[res.Events[i].Kind]++
			}
			if diff := cmp.Diff(fc.kinds, got); diff != "" {
				t.Errorf("event kinds (-want +got):\n%s", diff)
			}
			if len(res.Warnings) != fc.warnings {
				t.Errorf("got %d warnings, want %d: %v", len(res.Warnings), fc.warnings, res.Warnings)
			}
			if res.Stopped != int64(len(data)) {
				t.Errorf("Stopped() = %d at the end, want %d", res.Stopped, len(data))
			}
			checkInvariants(t, data, 0, res.Events)
			checkGolden(t, fc.name+".json", dump(t, res))
		})
	}
}

// checkInvariants: offsets increase, stay in the input, records do not
// overlap, Query is the input's text, and general-log events carry no
// slow-log metrics.
func checkInvariants(t testing.TB, data []byte, base int64, evs []parser.Event) {
	t.Helper()
	last := base - 1
	for i := range evs {
		ev := &evs[i]
		p := ev.Pos
		if p.Offset <= last || p.End <= p.Offset || p.End > base+int64(len(data)) {
			t.Fatalf("event %d: bad position %+v after end %d (input %d bytes at %d)", i, p, last, len(data), base)
		}
		last = p.End - 1
		if !ev.Truncated && !bytes.Contains(data[p.Offset-base:p.End-base], ev.Query) {
			t.Fatalf("event %d: Query %q is not in its record's bytes %q", i, ev.Query, data[p.Offset-base:p.End-base])
		}
		if ev.Truncated && int64(len(ev.Query)) >= ev.QueryBytes {
			t.Fatalf("event %d: Truncated with %d of %d bytes", i, len(ev.Query), ev.QueryBytes)
		}
		if ev.Has&^(parser.HasConnID|parser.HasStart) != 0 || ev.QueryTime != 0 || ev.RowsSent != 0 || ev.RowsExamined != 0 {
			t.Fatalf("event %d: metrics set on a general-log event: %+v", i, ev)
		}
	}
}

// TestBufferSizes: where the read buffer splits lines must not matter.
func TestBufferSizes(t *testing.T) {
	inputs := map[string][]byte{}
	for _, fc := range fileCases {
		inputs[fc.name] = readFile(t, fc.name)
	}
	for name, data := range generatedInputs() {
		inputs[name] = data
	}
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			want := dump(t, readAll(t, data, parser.Options{File: name}))
			for _, size := range []int{17, 64, 4096, 64 << 10} {
				got := dump(t, readAll(t, data, parser.Options{File: name, BufferSize: size}))
				if !bytes.Equal(got, want) {
					t.Errorf("BufferSize %d differs from the default:\n%s", size, lineDiff(want, got))
				}
			}
		})
	}
}

// lineAt returns the 1-based line number of offset off.
func lineAt(data []byte, off int64) int {
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// TestLimitSplit reads files in chunks split at record starts: chunk readers
// must return exactly the records that start in their range, with the same
// positions and text as one whole read, and Stopped must name the split.
// Fields that come from earlier records (an inherited time, the user and db
// of a connection opened in an earlier chunk) cannot be known by a reader
// started mid-file; they are compared from the point where the chunk has
// seen the information itself.
func TestLimitSplit(t *testing.T) {
	for _, fc := range fileCases {
		t.Run(fc.name, func(t *testing.T) {
			data := readFile(t, fc.name)
			whole := readAll(t, data, parser.Options{File: fc.name}).Events
			if len(whole) < 2 {
				t.Skip("one record: nothing to split")
			}
			var starts []int64
			for i := 1; i < len(whole); i++ {
				starts = append(starts, whole[i].Pos.Offset)
			}
			for k, s := range starts {
				// Two chunks split at s.
				a := New(bytes.NewReader(data), parser.Options{File: fc.name, Limit: s})
				evA := drain(t, a)
				if a.Stopped() != s {
					t.Fatalf("split %d: Stopped() = %d, want %d", s, a.Stopped(), s)
				}
				evB := readAll(t, data[s:], parser.Options{File: fc.name, BaseOffset: s, BaseLine: lineAt(data, s)}).Events
				compareChunks(t, fmt.Sprintf("split at %d", s), whole, [][]parser.Event{evA, evB})

				// Three chunks: the middle one has both BaseOffset and Limit.
				if k+3 < len(starts) {
					s2 := starts[k+3]
					m := New(bytes.NewReader(data[s:]), parser.Options{File: fc.name, BaseOffset: s, BaseLine: lineAt(data, s), Limit: s2})
					evM := drain(t, m)
					if m.Stopped() != s2 {
						t.Fatalf("chunk [%d,%d): Stopped() = %d", s, s2, m.Stopped())
					}
					evC := readAll(t, data[s2:], parser.Options{File: fc.name, BaseOffset: s2, BaseLine: lineAt(data, s2)}).Events
					compareChunks(t, fmt.Sprintf("splits at %d and %d", s, s2), whole, [][]parser.Event{evA, evM, evC})
				}
			}
		})
	}
}

func drain(t *testing.T, r *Reader) []parser.Event {
	t.Helper()
	var out []parser.Event
	for {
		var ev parser.Event
		if err := r.Next(&ev); err != nil {
			break
		}
		ev.Query = bytes.Clone(ev.Query)
		out = append(out, ev)
	}
	return out
}

func compareChunks(t *testing.T, what string, whole []parser.Event, chunks [][]parser.Event) {
	t.Helper()
	var got []parser.Event
	for ci, evs := range chunks {
		timed := ci == 0            // the first chunk has all the context
		opened := map[uint64]bool{} // connections whose Connect this chunk saw
		for _, ev := range evs {
			i := len(got)
			if i >= len(whole) {
				t.Fatalf("%s: more events than the whole read", what)
			}
			w := whole[i]
			if ev.Kind == parser.KindConnect {
				opened[ev.ConnID] = true
			}
			if ev.Has&parser.HasStart != 0 {
				timed = true
			}
			cmpEv := ev
			if !timed {
				cmpEv.Start, cmpEv.TZOffset, cmpEv.TimeLocal = w.Start, w.TZOffset, w.TimeLocal
				cmpEv.Has = (cmpEv.Has &^ parser.HasStart) | (w.Has & parser.HasStart)
			}
			if ci > 0 && !opened[ev.ConnID] {
				cmpEv.User, cmpEv.Host, cmpEv.IP = w.User, w.Host, w.IP
				if ev.DB == "" {
					cmpEv.DB = w.DB
				}
			}
			if len(w.Query) == 0 {
				w.Query = nil
			}
			if len(cmpEv.Query) == 0 {
				cmpEv.Query = nil
			}
			if !reflect.DeepEqual(w, cmpEv) {
				t.Fatalf("%s: event %d differs from the whole read (-whole +chunked):\n%s", what, i, cmp.Diff(w, cmpEv))
			}
			got = append(got, ev)
		}
	}
	if len(got) != len(whole) {
		t.Fatalf("%s: %d events in chunks, %d in the whole read", what, len(got), len(whole))
	}
}
