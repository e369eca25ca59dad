package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sqlsift/sqlsift/parser/input"
)

// writeLog writes n entries of a sysbench-like log with one `use` line at
// the top, in MariaDB style (every entry has Schema:, # Time: only when the
// second changes) or MySQL 5.7 style (no Schema:, # Time: per entry).
func writeLog(t *testing.T, mariadb bool, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("/usr/sbin/mariadbd, Version: 10.11.19-MariaDB-0+deb12u1-log (Debian 12). started with:\nTcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\nTime\t\t    Id Command\tArgument\n")
	for i := 0; i < n; i++ {
		sec := i / 50
		if mariadb {
			if i%50 == 0 {
				fmt.Fprintf(&b, "# Time: 261127 15:%02d:%02d\n", 10+sec/60, sec%60)
			}
			fmt.Fprintf(&b, "# User@Host: app[app] @  [127.0.0.1]\n# Thread_id: %d  Schema: sbtest  QC_hit: No\n# Query_time: 0.%06d  Lock_time: 0.000002  Rows_sent: 1  Rows_examined: 1\n# Rows_affected: 0  Bytes_sent: 0\n", 8+i%8, 10+i%97)
		} else {
			fmt.Fprintf(&b, "# Time: 2026-11-27T15:%02d:%02d.%06dZ\n# User@Host: app[app] @ localhost []  Id: %d\n# Query_time: 0.%06d  Lock_time: 0.000002 Rows_sent: 1  Rows_examined: 1\n", 10+sec/60, sec%60, i, 8+i%8, 10+i%97)
		}
		if i == 0 {
			b.WriteString("use `sbtest`;\n")
		}
		fmt.Fprintf(&b, "SET timestamp=%d;\nSELECT c FROM sbtest%d WHERE id=%d;\n", 1795794505+sec, 1+i%4, i*7919%20000)
	}
	p := filepath.Join(t.TempDir(), "slow.log")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The chunk planner's guesses hold on ordinary logs, so -j reads every
// chunk once: a MariaDB log whose only `use` is at the top (entries carry
// Schema:, so the carried database does not matter) and a MySQL log whose
// only `use` is at the top (entries rely on it; the plan's summaries carry
// it exactly). The output stays that of -j 1.
func TestParallelNoRereads(t *testing.T) {
	old := input.MinChunk
	defer func() { input.MinChunk = old }()
	for _, mariadb := range []bool{true, false} {
		p := writeLog(t, mariadb, 3000)
		input.MinChunk = 1 << 40
		serial, errOut, code := sqlsift(t, "", "analyze", "--format", "json", "--limit", "0", "-j", "1", p)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if !strings.Contains(serial, `"sbtest"`) {
			t.Fatalf("mariadb=%v: no sbtest database in the report", mariadb)
		}
		for _, minChunk := range []int64{1000, 4096, 20000} {
			input.MinChunk = minChunk
			for _, j := range []string{"2", "3"} {
				before := Rereads.Load()
				par, _, code := sqlsift(t, "", "analyze", "--format", "json", "--limit", "0", "-j", j, p)
				if code != 0 {
					t.Fatalf("-j %s: exit %d", j, code)
				}
				if n := Rereads.Load() - before; n != 0 {
					t.Errorf("mariadb=%v -j %s, %d-byte chunks: %d chunks re-read", mariadb, j, minChunk, n)
				}
				if par != serial {
					t.Errorf("mariadb=%v -j %s, %d-byte chunks differs from -j 1:\n%s", mariadb, j, minChunk, cmp.Diff(serial, par))
				}
			}
		}
	}
}

// A wrong guess is caught and re-read: chunks split inside statements
// (64-byte chunks put boundaries at header-looking lines in literals of
// the adversarial log) still give the serial result, and the re-read path
// is really taken.
func TestParallelRereadsWrongStarts(t *testing.T) {
	old := input.MinChunk
	defer func() { input.MinChunk = old }()
	f := td + "slowlog/mariadb/mariadb-10.11-adversarial-slow.log"
	input.MinChunk = 1 << 40
	serial, _, code := sqlsift(t, "", "analyze", "--format", "json", "--limit", "0", "-j", "1", f)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	input.MinChunk = 64
	before := Rereads.Load()
	par, _, code := sqlsift(t, "", "analyze", "--format", "json", "--limit", "0", "-j", "4", f)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if par != serial {
		t.Errorf("differs from -j 1:\n%s", cmp.Diff(serial, par))
	}
	if Rereads.Load() == before {
		t.Errorf("no chunk was re-read: the test no longer exercises the re-read path")
	}
}

// The progress label: events and rate, with k/M suffixes; and no progress
// output at all when stderr is not a terminal.
func TestProgressLabel(t *testing.T) {
	for _, c := range []struct {
		n    int64
		d    time.Duration
		want string
	}{
		{0, 0, "reading: 0 events"},
		{999, time.Second, "reading: 999 events, 999/s"},
		{1059700, 2 * time.Second, "reading: 1.06M events, 530k/s"},
		{2_500_000_000, 10 * time.Second, "reading: 2.5G events, 250M/s"},
	} {
		if got := describeEvents(c.n, c.d); got != c.want {
			t.Errorf("describeEvents(%d, %v) = %q, want %q", c.n, c.d, got, c.want)
		}
	}
	p := writeLog(t, true, 200)
	_, errOut, code := sqlsift(t, "", "analyze", "--format", "json", "-j", "2", p)
	if code != 0 || errOut != "" {
		t.Errorf("exit %d, stderr %q: want silence when stderr is not a terminal", code, errOut)
	}
}

// Readers flush their classes to the merger as they go, and the merger
// takes them in whatever order they arrive: flushing after every class
// or every few, in many regions, over several files (a plain, a gzip
// and a general log among them) must still give the serial JSON byte for
// byte, N+1 findings included.
func TestParallelFlushesAndFiles(t *testing.T) {
	oldMin, oldFlush := input.MinChunk, flushClasses
	defer func() { input.MinChunk, flushClasses = oldMin, oldFlush }()
	gz := filepath.Join(t.TempDir(), "n1.slow.log.gz")
	raw, err := os.ReadFile(td + "nplusone/mariadb-10.11-slow.log.gz")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gz, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(t.TempDir(), "n1.slow.log")
	if err := os.WriteFile(plain, gunzipBytes(t, raw), 0o644); err != nil {
		t.Fatal(err)
	}
	sets := [][]string{
		{plain},
		{td + "slowlog/mariadb/mariadb-10.11-slow.log", plain, gz, td + "genlog/mariadb-10.11-general.log", writeLog(t, false, 2000)},
	}
	for _, files := range sets {
		input.MinChunk, flushClasses = 1<<40, 1<<30
		args := append([]string{"analyze", "--format", "json", "--limit", "0", "-j", "1"}, files...)
		serial, errOut, code := sqlsift(t, "", args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if !strings.Contains(serial, `"n_plus_one"`) {
			t.Fatalf("%v: no N+1 finding in the serial report", files)
		}
		for _, c := range []struct {
			minChunk int64
			flush    int
			j        string
		}{{4096, 1, "2"}, {20000, 3, "3"}, {50000, 1 << 30, "4"}, {4096, 2, "7"}} {
			input.MinChunk, flushClasses = c.minChunk, c.flush
			before := Rereads.Load()
			args := append([]string{"analyze", "--format", "json", "--limit", "0", "-j", c.j}, files...)
			par, _, code := sqlsift(t, "", args...)
			if code != 0 {
				t.Fatalf("-j %s: exit %d", c.j, code)
			}
			if n := Rereads.Load() - before; n != 0 {
				t.Errorf("%d files, -j %s, %d-byte chunks: read again serially %d times", len(files), c.j, c.minChunk, n)
			}
			if par != serial {
				t.Errorf("%d files, -j %s, %d-byte chunks, flush every %d classes: differs from -j 1:\n%s", len(files), c.j, c.minChunk, c.flush, cmp.Diff(serial, par))
			}
		}
	}
}

func gunzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
