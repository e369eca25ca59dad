package nplusone_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/analyzer/fingerprint"
	"github.com/sqlsift/sqlsift/analyzer/nplusone"
	"github.com/sqlsift/sqlsift/parser"
	"github.com/sqlsift/sqlsift/parser/genlog"
	"github.com/sqlsift/sqlsift/parser/input"
	"github.com/sqlsift/sqlsift/parser/slowlog"
)

// expectation is the label of one scenario of n-plus-one.md §4.10.
type expectation struct {
	name     string
	trap     bool
	variant  string   // true N+1: the finding's variant
	parent   string   // its parent table ("" for none)
	children []string // its child tables, sorted
	nested   bool
	other    string // a non-N+1 finding the scenario must produce (retry_storm, redundant_query)
	// otherExplicit: other is expected only with explicit boundaries.
	otherExplicit bool
}

var scenarios = map[int]expectation{
	1:  {name: "N+1 read, belongs-to", variant: "read", parent: "posts", children: []string{"users"}},
	2:  {name: "batched IN eager load", trap: true},
	3:  {name: "keyset pagination + chunked IN loader", trap: true},
	4:  {name: "OFFSET pagination, no children", trap: true},
	5:  {name: "retry storm (lock wait, ROLLBACK between)", trap: true, other: nplusone.KindRetry},
	6:  {name: "same value 12 times", trap: true, other: nplusone.KindRedundant, otherExplicit: true},
	7:  {name: "interleaved connections, 3 lookups each", trap: true},
	8:  {name: "pooled connection, 2 requests of 3 lookups", trap: true},
	9:  {name: "N+1+M nested", variant: "read", parent: "posts", children: []string{"comments", "users"}, nested: true},
	10: {name: "N+1 write (UPDATE loop)", variant: "write", children: []string{"orders"}},
	11: {name: "insert loop", variant: "insert", children: []string{"line_items"}},
	12: {name: "polymorphic N+1", variant: "read", parent: "activities", children: []string{"comments", "likes", "photos"}},
	13: {name: "N+1 count", variant: "count", parent: "posts", children: []string{"comments"}},
	14: {name: "single-row parent", trap: true},
	15: {name: "under-batched loader", variant: "under_batched", parent: "posts", children: []string{"users"}},
	16: {name: "parallel fan-out over 4 connections", variant: "read", children: []string{"users"}},
	17: {name: "below thresholds", trap: true},
	18: {name: "sampled slow log (long_query_time=0.01)", trap: true},
}

// generalS18 is scenario 18 as the general log shows it: all 30 lookups.
var generalS18 = expectation{name: "scenario 18 in the general log", variant: "read", parent: "posts", children: []string{"users"}}

// explicitMode: requests carry a request/trace id or run in one
// transaction each.
func explicitMode(m mode) bool { return m.tx || m.comments != "" }

// assertedMode: modes where every true N+1 must be found. Concurrent
// requests on a shared pool without ids mix requests on connections; the
// detector may miss loops there (it must still not invent any).
func assertedMode(m mode) bool { return m.tx || m.comments != "" || !m.concurrent }

type logFile struct {
	path, format string
}

func fixtures(slow, general string) []logFile {
	return []logFile{{slow, "slow"}, {general, "general"}}
}

// events reads a whole log into memory (copies), cached per path.
var eventCache sync.Map

func readEvents(t testing.TB, lf logFile) []parser.Event {
	t.Helper()
	if v, ok := eventCache.Load(lf.path); ok {
		return v.([]parser.Event)
	}
	f, err := os.Open(lf.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	opts := parser.Options{File: "testdata/nplusone/" + strings.TrimSuffix(lastElem(lf.path), ".gz")}
	var r parser.Reader
	if lf.format == "slow" {
		r = slowlog.New(zr, opts)
	} else {
		r = genlog.New(zr, opts)
	}
	var out []parser.Event
	for {
		var ev parser.Event
		err := r.Next(&ev)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ev.Query = bytes.Clone(ev.Query)
		ev.Extra = slices.Clone(ev.Extra)
		out = append(out, ev)
	}
	eventCache.Store(lf.path, out)
	return out
}

func lastElem(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }

// run aggregates events with the detector, as -j does when cuts are given:
// one Aggregator per piece, merged in order. The first piece is marked as
// the input's start, as the CLI does.
func run(evs []parser.Event, filter analyzer.Filter, cfg nplusone.Config, redact bool, cuts ...int) []analyzer.Finding {
	return runMarked(evs, filter, cfg, redact, true, cuts...)
}

// runMarked is run with the input-start mark optional.
func runMarked(evs []parser.Event, filter analyzer.Filter, cfg nplusone.Config, redact, fromStart bool, cuts ...int) []analyzer.Finding {
	opts := analyzer.Options{Filter: filter, NewDetector: nplusone.Factory(cfg)}
	bounds := append([]int{0}, cuts...)
	bounds = append(bounds, len(evs))
	total := analyzer.New(opts)
	for i := 0; i+1 < len(bounds); i++ {
		a := analyzer.New(opts)
		if i == 0 && fromStart {
			a.AtInputStart()
		}
		for j := bounds[i]; j < bounds[i+1]; j++ {
			ev := evs[j]
			a.Add(&ev)
		}
		total.Merge(a)
	}
	return total.Report(analyzer.ReportOptions{Redact: redact}).Findings
}

func childTables(f *analyzer.Finding) []string {
	var out []string
	refs := f.Children
	if len(refs) == 0 && f.Child != nil {
		refs = []analyzer.ClassRef{*f.Child}
	}
	for _, c := range refs {
		out = append(out, tableOf(c.Fingerprint))
	}
	sort.Strings(out)
	return out
}

// tableOf reads the table from a fingerprint (`... from `t` ...`,
// `update `t“, `insert into `t“).
func tableOf(fp string) string {
	for _, kw := range []string{" from `", "update `", "into `"} {
		if i := strings.Index(fp, kw); i >= 0 {
			rest := fp[i+len(kw):]
			return rest[:strings.IndexByte(rest, '`')]
		}
	}
	return "?"
}

func describe(fs []analyzer.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		p := "-"
		if f.Parent != nil {
			p = tableOf(f.Parent.Fingerprint)
		}
		fmt.Fprintf(&b, "\n  %s/%s parent=%s children=%v conf=%s boundary=%s occ=%d rep=%v: %s", f.Kind, f.Variant, p, childTables(&f), f.Confidence, f.Boundary, f.Occurrences, f.Repeats, f.Message)
	}
	return b.String()
}

// checkVerdicts asserts the label of every (mode, scenario) on one log.
func checkVerdicts(t *testing.T, lf logFile) map[string][]string {
	evs := readEvents(t, lf)
	if len(evs) == 0 {
		t.Fatalf("%s: no events", lf.path)
	}
	keys := map[string][]string{}
	for _, m := range modes {
		for sc := 1; sc <= nScenarios; sc++ {
			exp := scenarios[sc]
			name := fmt.Sprintf("%s/%s/s%02d", lf.format, m.name, sc)
			fs := run(evs, analyzer.Filter{DB: m.name, User: scenarioUser(sc)}, nplusone.Config{}, false)
			for _, f := range fs {
				keys[name] = append(keys[name], f.Key)
			}
			var n1 []analyzer.Finding
			kinds := map[string]int{}
			for _, f := range fs {
				kinds[f.Kind]++
				if f.Kind == nplusone.KindNPlusOne {
					n1 = append(n1, f)
				}
			}
			trueN1 := !exp.trap
			if sc == 18 && lf.format == "general" {
				// The general log has every statement: a plain N+1.
				trueN1, exp = true, generalS18
			}
			switch {
			case !trueN1:
				if len(n1) > 0 {
					t.Errorf("%s (%s): false positive:%s", name, exp.name, describe(n1))
				}
			case assertedMode(m):
				if !matchN1(n1, exp, sc) {
					t.Errorf("%s (%s): N+1 not found as labelled (want %s parent=%q children=%v nested=%v); got:%s",
						name, exp.name, exp.variant, exp.parent, exp.children, exp.nested, describe(fs))
				}
			}
			if exp.other != "" && (!exp.otherExplicit || explicitMode(m)) && kinds[exp.other] == 0 {
				t.Errorf("%s (%s): no %s finding; got:%s", name, exp.name, exp.other, describe(fs))
			}
			if sc == 18 && lf.format == "slow" && kinds[nplusone.KindSampled] == 0 {
				t.Errorf("%s (%s): the sampled input was not reported; got:%s", name, exp.name, describe(fs))
			}
			if sc == 1 && explicitMode(m) {
				for _, f := range n1 {
					if f.Confidence != "high" {
						t.Errorf("%s: confidence %s, want high (explicit boundary, parent, distinct keys, column evidence):%s", name, f.Confidence, describe(n1))
					}
				}
			}
			if sc == 16 && m.comments == "sqlcommenter" && !anyNote(n1, "parallel") {
				t.Errorf("%s: the fan-out over connections was not noted:%s", name, describe(n1))
			}
		}
	}
	return keys
}

func anyNote(fs []analyzer.Finding, word string) bool {
	for _, f := range fs {
		for _, n := range f.Notes {
			if strings.Contains(n, word) {
				return true
			}
		}
	}
	return false
}

func matchN1(fs []analyzer.Finding, exp expectation, sc int) bool {
	for _, f := range fs {
		if f.Variant != exp.variant {
			continue
		}
		if !slices.Equal(childTables(&f), exp.children) {
			continue
		}
		if exp.parent != "" && (f.Parent == nil || tableOf(f.Parent.Fingerprint) != exp.parent) {
			continue
		}
		if exp.nested && !hasNested(&f) {
			continue
		}
		return true
	}
	return false
}

func hasNested(f *analyzer.Finding) bool {
	for _, c := range f.Children {
		if c.ParentClassID != "" {
			return true
		}
	}
	return false
}

func checkAllVerdicts(t *testing.T, slow, general string) {
	for _, lf := range fixtures(slow, general) {
		checkVerdicts(t, lf)
	}
}

// TestFixtureVerdicts: every labelled scenario on the committed logs.
func TestFixtureVerdicts(t *testing.T) {
	for _, lf := range fixtures(slowFixture, generalFixture) {
		t.Run(lf.format, func(t *testing.T) { checkVerdicts(t, lf) })
	}
}

// TestFixtureSuggestionsParse: every rewrite of every finding (whole log,
// every mode) is one statement TiDB's parser accepts, with and without
// --redact; redacted output carries no literal of the log.
func TestFixtureSuggestionsParse(t *testing.T) {
	for _, lf := range fixtures(slowFixture, generalFixture) {
		evs := readEvents(t, lf)
		for _, redact := range []bool{false, true} {
			fs := run(evs, analyzer.Filter{}, nplusone.Config{}, redact)
			n := 0
			for _, f := range fs {
				if f.Kind == nplusone.KindNPlusOne && len(f.Rewrites) == 0 {
					t.Errorf("%s: N+1 finding without a rewrite: %s", lf.format, f.Message)
				}
				for _, sql := range f.Rewrites {
					n++
					if err := fingerprint.CheckSQL(sql); err != nil {
						t.Errorf("%s redact=%v: rewrite does not parse: %v\n%s", lf.format, redact, err, sql)
					}
					if redact && strings.ContainsAny(sql, "'0123456789") && !onlyInNames(sql) {
						t.Errorf("%s: redacted rewrite holds a literal: %s", lf.format, sql)
					}
					if !strings.Contains(f.Suggestion, sql) {
						t.Errorf("%s: rewrite missing from the suggestion text: %s", lf.format, sql)
					}
				}
				if redact {
					for _, ref := range append(refsOf(&f), ptrRef(f.Parent)...) {
						if ref.Example != nil && ref.Example.Query != fingerprint.Redact([]byte(ref.Example.Query)) {
							t.Errorf("%s: example not redacted: %s", lf.format, ref.Example.Query)
						}
					}
				}
			}
			if n == 0 {
				t.Errorf("%s redact=%v: no rewrites at all", lf.format, redact)
			}
		}
	}
}

// onlyInNames: digits may appear inside back-quoted names (line_items has
// none, but keep the check honest) — literal digits are outside them.
func onlyInNames(sql string) bool {
	in := false
	for i := 0; i < len(sql); i++ {
		switch c := sql[i]; {
		case c == '`':
			in = !in
		case !in && (c == '\'' || c >= '0' && c <= '9'):
			return false
		}
	}
	return true
}

func refsOf(f *analyzer.Finding) []analyzer.ClassRef {
	out := slices.Clone(f.Children)
	if f.Child != nil {
		out = append(out, *f.Child)
	}
	return out
}

func ptrRef(r *analyzer.ClassRef) []analyzer.ClassRef {
	if r == nil {
		return nil
	}
	return []analyzer.ClassRef{*r}
}

// TestFixtureChunksIdentical: the findings are byte-identical whatever the
// pieces the input is cut into (as -j cuts a slow log), including cuts in
// the middle of units of work and of connections' heads.
func TestFixtureChunksIdentical(t *testing.T) {
	for _, lf := range fixtures(slowFixture, generalFixture) {
		evs := readEvents(t, lf)
		want := mustJSON(t, run(evs, analyzer.Filter{}, nplusone.Config{}, false))
		n := len(evs)
		cutSets := [][]int{
			{n / 2},
			{n / 4, n / 2, 3 * n / 4},
			{1, 2, 3, n - 1},
		}
		for k := 7; k <= 97; k += 30 { // many small pieces
			var cs []int
			for i := k; i < n; i += n / k {
				cs = append(cs, i)
			}
			cutSets = append(cutSets, cs)
		}
		for _, cuts := range cutSets {
			got := mustJSON(t, run(evs, analyzer.Filter{}, nplusone.Config{}, false, cuts...))
			if got != want {
				t.Errorf("%s: %d cuts give different findings:\n%s", lf.format, len(cuts), cmp.Diff(want, got))
			}
		}
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFixtureKeysStable: finding keys carry no literal, so both requests
// of a sequential mode (different pages, different keys) fold into one
// finding with two occurrences, and keys are well formed.
func TestFixtureKeysStable(t *testing.T) {
	for _, lf := range fixtures(slowFixture, generalFixture) {
		evs := readEvents(t, lf)
		for _, m := range modes {
			if m.concurrent || !explicitMode(m) {
				continue // without ids, sequential requests on one connection can merge
			}
			for _, sc := range []int{1, 9, 10, 11, 12, 13, 15} {
				fs := run(evs, analyzer.Filter{DB: m.name, User: scenarioUser(sc)}, nplusone.Config{}, false)
				f := labelled(fs, scenarios[sc])
				if f == nil {
					continue // reported by TestFixtureVerdicts
				}
				if f.Occurrences < 2 {
					t.Errorf("%s/%s/s%02d: %d occurrences, want the 2 requests under one key:%s", lf.format, m.name, sc, f.Occurrences, describe(fs))
				}
				if len(f.Key) != 16 || strings.Trim(f.Key, "0123456789abcdef") != "" {
					t.Errorf("bad key %q", f.Key)
				}
			}
		}
	}
}

// labelled returns the finding that matches a true N+1 label: the one
// linked to a parent if any (timing can add parentless pieces of a loop,
// e.g. in the fan-out scenario), then the smallest key, so that runs are
// compared on the same finding.
func labelled(fs []analyzer.Finding, exp expectation) *analyzer.Finding {
	var best *analyzer.Finding
	for i := range fs {
		f := &fs[i]
		if f.Kind != nplusone.KindNPlusOne || !matchN1(fs[i:i+1], exp, 0) {
			continue
		}
		switch {
		case best == nil,
			f.Parent != nil && best.Parent == nil,
			(f.Parent != nil) == (best.Parent != nil) && f.Key < best.Key:
			best = f
		}
	}
	return best
}

// labelledKeys maps (log, mode, scenario) to the key of the labelled
// finding, for comparing runs.
func labelledKeys(t *testing.T, lf logFile) map[string]string {
	evs := readEvents(t, lf)
	out := map[string]string{}
	for _, m := range modes {
		if !assertedMode(m) {
			continue
		}
		for sc := 1; sc <= nScenarios; sc++ {
			exp := scenarios[sc]
			if sc == 18 && lf.format == "general" {
				exp = generalS18
			} else if exp.trap {
				continue
			}
			fs := run(evs, analyzer.Filter{DB: m.name, User: scenarioUser(sc)}, nplusone.Config{}, false)
			if f := labelled(fs, exp); f != nil {
				out[fmt.Sprintf("%s/%s/s%02d", lf.format, m.name, sc)] = f.Key
			}
		}
	}
	return out
}

// TestFixtureByteChunks runs the real -j path: the slow log is split into
// byte ranges at entry boundaries (input.Plan), each read by its own
// reader and Aggregator, merged in order; findings equal the serial read.
func TestFixtureByteChunks(t *testing.T) {
	raw := gunzip(t, slowFixture)
	old := input.MinChunk
	defer func() { input.MinChunk = old }()
	input.MinChunk = 16 << 10
	opts := analyzer.Options{NewDetector: nplusone.Factory(nplusone.Config{})}
	read := func(n int) string {
		ra := bytes.NewReader(raw)
		size := int64(len(raw))
		plan, err := input.NewPlan(ra, size, n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 1 && plan.Len() < 2 {
			t.Fatalf("no split into %d chunks", n)
		}
		for i := 0; i < plan.Len(); i++ {
			if err := plan.Prepare(i); err != nil {
				t.Fatal(err)
			}
		}
		total := analyzer.New(opts)
		var prev input.Chunk
		var prevStop int64
		var prevState slowlog.State
		for i := 0; i < plan.Len(); i++ {
			c, err := plan.Chunk(i)
			if err != nil {
				t.Fatal(err)
			}
			// As the CLI does: a chunk that started wrong is re-read from
			// where the previous reader stopped.
			if i > 0 && (prevStop != c.Start || prevState != c.State) {
				nl, err := input.CountLines(ra, prev.Start, prevStop)
				if err != nil {
					t.Fatal(err)
				}
				c.Start, c.State, c.Line = prevStop, prevState, prev.Line+nl
			}
			a := analyzer.New(opts)
			r := input.ChunkReader(ra, c, c.State, size, parser.Options{File: "slow.log", Warn: a.Warn})
			for {
				var ev parser.Event
				err := r.Next(&ev)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				a.Add(&ev)
			}
			prev, prevStop, prevState = c, r.Stopped(), r.State()
			total.Merge(a)
		}
		return mustJSON(t, total.Report(analyzer.ReportOptions{}).Findings)
	}
	want := read(1)
	if !strings.Contains(want, nplusone.KindNPlusOne) {
		t.Fatal("no finding in the serial read")
	}
	for _, n := range []int{2, 4, 16, 64} {
		if got := read(n); got != want {
			t.Errorf("-j %d differs:\n%s", n, cmp.Diff(want, got))
		}
	}
}

func gunzip(t testing.TB, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFixtureDetachedDetectors is the CLI's -j path for detectors: each
// piece's detector is detached when its reader ends (which compacts it:
// pooled units dropped, open units clipped) and merged in input order
// apart from the classes. Findings equal the serial read at every cut.
func TestFixtureDetachedDetectors(t *testing.T) {
	for _, lf := range fixtures(slowFixture, generalFixture) {
		evs := readEvents(t, lf)
		want := mustJSON(t, run(evs, analyzer.Filter{}, nplusone.Config{}, false))
		for _, pieces := range []int{2, 3, 7, 31} {
			opts := analyzer.Options{NewDetector: nplusone.Factory(nplusone.Config{})}
			total := analyzer.New(analyzer.Options{})
			var det analyzer.Detector
			for i := 0; i < pieces; i++ {
				a := analyzer.New(opts)
				if i == 0 {
					a.AtInputStart()
				}
				for j := i * len(evs) / pieces; j < (i+1)*len(evs)/pieces; j++ {
					ev := evs[j]
					a.Add(&ev)
				}
				d := a.DetachDetector()
				if det == nil {
					det = d
				} else {
					det.Merge(d)
				}
				total.Merge(a)
			}
			total.AttachDetector(det)
			if got := mustJSON(t, total.Report(analyzer.ReportOptions{}).Findings); got != want {
				t.Errorf("%s, %d pieces: detached detectors differ from the serial read:\n%s", lf.format, pieces, cmp.Diff(want, got))
			}
		}
	}
}
