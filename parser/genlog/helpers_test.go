package genlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sqlsift/sqlsift/parser"
)

var update = flag.Bool("update", false, "rewrite golden files")

const testdataDir = "../../testdata/genlog"

// result is everything a read produced.
type result struct {
	Events   []parser.Event
	Warnings []parser.Warning
	Stopped  int64
}

// readAll reads every event of data, copying what the reader reuses.
func readAll(t testing.TB, data []byte, opts parser.Options) result {
	t.Helper()
	var res result
	opts.Warn = func(w parser.Warning) { res.Warnings = append(res.Warnings, w) }
	r := New(bytes.NewReader(data), opts)
	for i := 0; ; i++ {
		var ev parser.Event
		err := r.Next(&ev)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if i > len(data)+1 {
			t.Fatalf("more events than bytes: reader does not advance")
		}
		ev.Query = bytes.Clone(ev.Query)
		res.Events = append(res.Events, ev)
	}
	res.Stopped = r.Stopped()
	return res
}

// jsonEvent is the golden form of an Event: every field, zero values left
// out so a field that should stay unset shows up when it is set.
type jsonEvent struct {
	Kind         string   `json:"kind"`
	Command      string   `json:"command,omitempty"`
	Has          []string `json:"has,omitempty"`
	Start        string   `json:"start,omitempty"`
	End          string   `json:"end,omitempty"`
	TZOffset     int32    `json:"tz_offset,omitempty"`
	TimeLocal    bool     `json:"time_local,omitempty"`
	ConnID       uint64   `json:"conn_id,omitempty"`
	ThreadID     uint64   `json:"thread_id,omitempty"`
	User         string   `json:"user,omitempty"`
	Host         string   `json:"host,omitempty"`
	IP           string   `json:"ip,omitempty"`
	DB           string   `json:"db,omitempty"`
	Query        string   `json:"query"`
	Truncated    bool     `json:"truncated,omitempty"`
	QueryBytes   int64    `json:"query_bytes,omitempty"`
	QueryTime    int64    `json:"query_time,omitempty"`
	LockTime     int64    `json:"lock_time,omitempty"`
	RowsSent     int64    `json:"rows_sent,omitempty"`
	RowsExamined int64    `json:"rows_examined,omitempty"`
	RowsAffected int64    `json:"rows_affected,omitempty"`
	BytesSent    int64    `json:"bytes_sent,omitempty"`
	Errno        int32    `json:"errno,omitempty"`
	Extra        int      `json:"extra,omitempty"`
	Pos          string   `json:"pos"`
	Offset       int64    `json:"offset"`
	EndOffset    int64    `json:"end_offset"`
}

var hasNames = []string{"query_time", "lock_time", "rows_sent", "rows_examined", "rows_affected",
	"bytes_sent", "errno", "conn_id", "thread_id", "start", "end"}

func toJSON(ev *parser.Event) jsonEvent {
	j := jsonEvent{
		Kind: ev.Kind.String(), Command: ev.Command, TZOffset: ev.TZOffset, TimeLocal: ev.TimeLocal,
		ConnID: ev.ConnID, ThreadID: ev.ThreadID, User: ev.User, Host: ev.Host, IP: ev.IP, DB: ev.DB,
		Query: string(ev.Query), Truncated: ev.Truncated, QueryBytes: ev.QueryBytes,
		QueryTime: ev.QueryTime, LockTime: ev.LockTime, RowsSent: ev.RowsSent, RowsExamined: ev.RowsExamined,
		RowsAffected: ev.RowsAffected, BytesSent: ev.BytesSent, Errno: ev.Errno, Extra: len(ev.Extra),
		Pos: ev.Pos.String(), Offset: ev.Pos.Offset, EndOffset: ev.Pos.End,
	}
	for i, n := range hasNames {
		if ev.Has&(1<<i) != 0 {
			j.Has = append(j.Has, n)
		}
	}
	if !ev.Start.IsZero() {
		j.Start = ev.Start.Format(time.RFC3339Nano)
	}
	if !ev.End.IsZero() {
		j.End = ev.End.Format(time.RFC3339Nano)
	}
	return j
}

// dump renders a result one event per line, then the warnings.
func dump(t testing.TB, res result) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("{\"events\": [\n")
	for i := range res.Events {
		line, err := json.Marshal(toJSON(&res.Events[i]))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		if i < len(res.Events)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("],\n\"warnings\": [\n")
	for i, w := range res.Warnings {
		line, _ := json.Marshal(w.String())
		b.Write(line)
		if i < len(res.Warnings)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]}\n")
	return b.Bytes()
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testdataDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// checkGolden compares got with testdata/genlog/golden/name byte for byte.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(testdataDir, "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test -update and review the diff.\n%s", name, lineDiff(want, got))
	}
}

// lineDiff shows the first differing line.
func lineDiff(want, got []byte) string {
	w, g := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b []byte
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if !bytes.Equal(a, b) {
			return "line " + strconv.Itoa(i+1) + ":\n-want " + string(a) + "\n+got  " + string(b)
		}
	}
	return ""
}
