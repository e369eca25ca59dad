package slowlog

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sqlsift/sqlsift/parser"
)

var update = flag.Bool("update", false, "rewrite golden files")

const dataDir = "../../testdata/slowlog"

// logFiles lists the slow logs under testdata/slowlog (relative paths).
func logFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dataDir, p)
		if d.IsDir() {
			if rel == "golden" || rel == "tools" {
				return filepath.SkipDir
			}
			return nil
		}
		base := filepath.Base(p)
		if base == "README.md" || base == "expected.tsv" || strings.HasPrefix(base, "LICENSE") {
			return nil
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) < 100 {
		t.Fatalf("only %d testdata files found", len(files))
	}
	return files
}

func readData(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var hasNames = []string{"query_time", "lock_time", "rows_sent", "rows_examined", "rows_affected", "bytes_sent", "errno", "conn_id", "thread_id", "start", "end"}

type jsonPos struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Offset int64  `json:"offset"`
	End    int64  `json:"end"`
}

type jsonAttr struct {
	Key   string  `json:"k"`
	Value float64 `json:"v"`
}

// jsonEvent is the golden form of an Event: every field, in order.
type jsonEvent struct {
	Kind         string     `json:"kind"`
	Has          []string   `json:"has"`
	Command      string     `json:"command"`
	Start        string     `json:"start"`
	End          string     `json:"end"`
	TZOffset     int32      `json:"tz_offset"`
	TimeLocal    bool       `json:"time_local"`
	ConnID       uint64     `json:"conn_id"`
	ThreadID     uint64     `json:"thread_id"`
	User         string     `json:"user"`
	Host         string     `json:"host"`
	IP           string     `json:"ip"`
	DB           string     `json:"db"`
	Query        string     `json:"query,omitempty"`
	QueryB64     string     `json:"query_b64,omitempty"` // when not valid UTF-8
	Truncated    bool       `json:"truncated"`
	QueryBytes   int64      `json:"query_bytes"`
	QueryTime    int64      `json:"query_time_us"`
	LockTime     int64      `json:"lock_time_us"`
	RowsSent     int64      `json:"rows_sent"`
	RowsExamined int64      `json:"rows_examined"`
	RowsAffected int64      `json:"rows_affected"`
	BytesSent    int64      `json:"bytes_sent"`
	Errno        int32      `json:"errno"`
	Extra        []jsonAttr `json:"extra"`
	Pos          jsonPos    `json:"pos"`
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func toJSON(ev *parser.Event) []byte {
	j := jsonEvent{
		Kind: ev.Kind.String(), Command: ev.Command,
		Start: fmtTime(ev.Start), End: fmtTime(ev.End), TZOffset: ev.TZOffset, TimeLocal: ev.TimeLocal,
		ConnID: ev.ConnID, ThreadID: ev.ThreadID, User: ev.User, Host: ev.Host, IP: ev.IP, DB: ev.DB,
		Truncated: ev.Truncated, QueryBytes: ev.QueryBytes,
		QueryTime: ev.QueryTime, LockTime: ev.LockTime, RowsSent: ev.RowsSent, RowsExamined: ev.RowsExamined,
		RowsAffected: ev.RowsAffected, BytesSent: ev.BytesSent, Errno: ev.Errno,
		Has:   []string{},
		Extra: []jsonAttr{},
		Pos:   jsonPos{ev.Pos.File, ev.Pos.Line, ev.Pos.Offset, ev.Pos.End},
	}
	for i, n := range hasNames {
		if ev.Has&(1<<i) != 0 {
			j.Has = append(j.Has, n)
		}
	}
	if utf8.Valid(ev.Query) {
		j.Query = string(ev.Query)
	} else {
		j.QueryB64 = base64.StdEncoding.EncodeToString(ev.Query)
	}
	for _, a := range ev.Extra {
		j.Extra = append(j.Extra, jsonAttr{a.Key, a.Value})
	}
	b, err := json.Marshal(j)
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

type readResult struct {
	events   [][]byte // JSON lines
	qt       int64
	warnings []string
	state    State
	stopped  int64
	out      Outcome
}

// readAll reads every event of r and returns their JSON dumps.
func readAll(t testing.TB, r io.Reader, opts parser.Options) readResult {
	t.Helper()
	return readWith(t, r, opts, State{})
}

func readWith(t testing.TB, r io.Reader, opts parser.Options, st State) readResult {
	t.Helper()
	var res readResult
	prev := opts.Warn
	opts.Warn = func(w parser.Warning) {
		res.warnings = append(res.warnings, w.String())
		if prev != nil {
			prev(w)
		}
	}
	rd := NewWithState(r, opts, st)
	var ev parser.Event
	for {
		err := rd.Next(&ev)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		res.events = append(res.events, toJSON(&ev))
		res.qt += ev.QueryTime
	}
	res.state, res.stopped, res.out = rd.State(), rd.Stopped(), rd.Outcome()
	return res
}

func joinLines(ls [][]byte) []byte { return bytes.Join(ls, nil) }

func mustUnmarshal(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
