package slowlog

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sqlsift/sqlsift/parser"
)

// TestExpectedCounts checks every testdata log against expected.tsv: the
// number of events and the exact sum of Query_time. The numbers come from
// pt-query-digest where it is not fooled, and from reading the log where it
// is (the verdict column says why).
func TestExpectedCounts(t *testing.T) {
	f, err := os.Open(filepath.Join(dataDir, "expected.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type want struct {
		events int
		us     int64
	}
	table := map[string]want{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		c := strings.Split(line, "\t")
		n, err1 := strconv.Atoi(c[1])
		us, err2 := strconv.ParseInt(c[2], 10, 64)
		if len(c) < 6 || err1 != nil || err2 != nil {
			t.Fatalf("bad expected.tsv line %q", line)
		}
		table[c[0]] = want{n, us}
	}
	files := logFiles(t)
	for _, name := range files {
		w, ok := table[name]
		if !ok {
			t.Errorf("%s: not in expected.tsv", name)
			continue
		}
		delete(table, name)
		res := readAll(t, bytes.NewReader(readData(t, name)), parser.Options{File: name})
		if len(res.events) != w.events || res.qt != w.us {
			t.Errorf("%s: got %d events, %d us; want %d events, %d us", name, len(res.events), res.qt, w.events, w.us)
		}
	}
	for name := range table {
		t.Errorf("expected.tsv lists %s, which is not in testdata", name)
	}
}

// TestGolden compares a JSON dump of every event of every testdata log
// with testdata/slowlog/golden/<file>.jsonl (rewrite with -update).
func TestGolden(t *testing.T) {
	for _, name := range logFiles(t) {
		res := readAll(t, bytes.NewReader(readData(t, name)), parser.Options{File: name})
		got := joinLines(res.events)
		gp := filepath.Join(dataDir, "golden", name+".jsonl")
		if *update {
			if err := os.MkdirAll(filepath.Dir(gp), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(gp, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(gp)
		if err != nil {
			t.Errorf("%s: %v (run with -update)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: golden mismatch (-want +got):\n%s", name, cmp.Diff(string(want), string(got)))
		}
	}
}

// TestBufferSizes: the event stream must not depend on where reads split
// the input.
func TestBufferSizes(t *testing.T) {
	for _, name := range logFiles(t) {
		data := readData(t, name)
		ref := readAll(t, bytes.NewReader(data), parser.Options{File: name})
		for _, size := range []int{17, 64, 4096} {
			// iotest-style one-byte reads also exercise short reads.
			res := readAll(t, &oneByteReader{data: data}, parser.Options{File: name, BufferSize: size})
			if d := cmp.Diff(string(joinLines(ref.events)), string(joinLines(res.events))); d != "" {
				t.Errorf("%s: BufferSize %d differs (-default +small):\n%s", name, size, d)
			}
			if len(res.warnings) != len(ref.warnings) {
				t.Errorf("%s: BufferSize %d: %d warnings, want %d", name, size, len(res.warnings), len(ref.warnings))
			}
		}
	}
}

type oneByteReader struct {
	data []byte
	n    int
}

func (r *oneByteReader) Read(p []byte) (int, error) {
	if r.n >= len(r.data) {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.data[r.n]
	r.n++
	return 1, nil
}

// chunked reads data as the -j driver does: one reader per chunk starting
// at starts[i] with the guessed state and Limit starts[i+1]. A chunk whose
// predecessor did not stop exactly at its start, or whose entries used a
// part of the guessed state that differs from the true state there
// (Outcome.Resolve), is re-read from where the predecessor stopped with
// the true state. It returns the concatenated events and how many chunks
// were re-read, and checks that the true state it carries from chunk to
// chunk is the state of a serial reader stopped at the same place.
func chunked(t testing.TB, name string, data []byte, starts []int64) ([][]byte, int) {
	t.Helper()
	ra := bytes.NewReader(data)
	size := int64(len(data))
	lineAt := func(off int64) int { return bytes.Count(data[:off], []byte{'\n'}) + 1 }
	read := func(begin, limit int64, st State) readResult {
		opts := parser.Options{File: name, BaseOffset: begin, BaseLine: lineAt(begin)}
		if limit < size {
			opts.Limit = limit
		}
		return readWith(t, io.NewSectionReader(ra, begin, size-begin), opts, st)
	}
	var out [][]byte
	rereads := 0
	var prev readResult
	var trueSt State
	for i, s := range starts {
		limit := size
		if i+1 < len(starts) {
			limit = starts[i+1]
		}
		var st State
		if i > 0 {
			var err error
			if st, err = GuessState(ra, s); err != nil {
				t.Fatal(err)
			}
		}
		res := read(s, limit, st)
		next, ok := res.out.Resolve(trueSt)
		if i > 0 && (prev.stopped != s || !ok) {
			rereads++
			res = read(prev.stopped, limit, trueSt)
			next, _ = res.out.Resolve(trueSt)
		}
		if i+1 < len(starts) && len(starts) <= 8 {
			serial := read(0, limit, State{})
			if serial.stopped != res.stopped || serial.state != next {
				t.Fatalf("%s: after chunk %d: carried state %+v at %d, serial reader %+v at %d", name, i, next, res.stopped, serial.state, serial.stopped)
			}
		}
		trueSt = next
		out = append(out, res.events...)
		prev = res
	}
	return out, rereads
}

// TestChunks proves the -j contract on every testdata log: chunks split at
// FindEntryStart of many offsets (and, for small files, at every line
// start), read with GuessState and validated as the driver does, give
// exactly the events of one serial read (same fields, same Pos).
func TestChunks(t *testing.T) {
	for _, name := range logFiles(t) {
		data := readData(t, name)
		size := int64(len(data))
		ra := bytes.NewReader(data)
		ref := readAll(t, ra, parser.Options{File: name})
		want := string(joinLines(ref.events))
		starts := map[int64]bool{}
		boundary := map[int64]bool{} // real entry starts
		for _, e := range ref.events {
			var j jsonEvent
			mustUnmarshal(t, e, &j)
			boundary[j.Pos.Offset] = true
		}
		step := max(1, size/150)
		for from := int64(0); from < size; from += step {
			s, err := FindEntryStart(ra, from, size)
			if err != nil {
				t.Fatal(err)
			}
			if s < 0 || s > size || s < from {
				t.Fatalf("%s: FindEntryStart(%d) = %d", name, from, s)
			}
			if s > 0 && s < size {
				starts[s] = true
			}
		}
		if size > 0 && size <= 8<<10 { // every line start, plausible or not
			for i, c := range data[:len(data)-1] {
				if c == '\n' {
					starts[int64(i+1)] = true
				}
			}
		}
		var all []int64
		for s := range starts {
			all = append(all, s)
		}
		sortInt64(all)
		// Two-chunk splits: every candidate in small files, a sample of 60
		// in big ones (the all-candidates run below covers the rest).
		pick := all
		if size > 16<<10 && len(all) > 60 {
			pick = nil
			for i := 0; i < 60; i++ {
				pick = append(pick, all[i*len(all)/60])
			}
		}
		var good []int64 // candidates that are real boundaries
		for _, s := range pick {
			got, rereads := chunked(t, name, data, []int64{0, s})
			if g := string(joinLines(got)); g != want {
				t.Fatalf("%s: split at %d differs (-serial +chunked):\n%s", name, s, cmp.Diff(want, g))
			}
			if boundary[s] {
				good = append(good, s)
				if rereads != 0 {
					t.Errorf("%s: split at real entry start %d needed a re-read (guessed state or Stopped wrong)", name, s)
				}
			}
		}
		if len(all) > 0 {
			got, _ := chunked(t, name, data, append([]int64{0}, all...))
			if g := string(joinLines(got)); g != want {
				t.Fatalf("%s: split at all %d candidates differs (-serial +chunked):\n%s", name, len(all), cmp.Diff(want, g))
			}
		}
		if len(good) > 1 {
			got, rereads := chunked(t, name, data, append([]int64{0}, good...))
			if g := string(joinLines(got)); g != want || rereads != 0 {
				t.Fatalf("%s: split at all real starts: %d re-reads; diff:\n%s", name, rereads, cmp.Diff(want, g))
			}
		}
	}
}

func sortInt64(s []int64) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
