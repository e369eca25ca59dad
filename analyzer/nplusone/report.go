package nplusone

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/analyzer/fingerprint"
)

// Findings implements analyzer.Detector. It closes every open unit of
// work: call it after the last Observe and Merge.
func (d *Detector) Findings(o analyzer.ReportOptions) []analyzer.Finding {
	return d.final().report(o)
}

// final closes every open unit of work, once, and returns the detector
// that holds the results.
func (d *Detector) final() *Detector {
	if d.fin != nil {
		return d.fin
	}
	t := d
	if !d.resolved() {
		// Heads wait for an earlier chunk: with none, replay them into
		// an empty state.
		t = newDetector(d.cfg, d.reg)
		t.Merge(d)
	}
	t.closeAll(bNone, t.clock)
	d.fin = t
	return t
}

var severityRank = map[string]int{"info": 0, "low": 1, "medium": 2, "high": 3}

func (d *Detector) report(o analyzer.ReportOptions) []analyzer.Finding {
	out := []analyzer.Finding{}
	minWaste := d.cfg.MinWaste.Seconds()
	for _, fa := range d.agg {
		f := d.finding(fa, o)
		if f.WastedTime < minWaste {
			continue
		}
		out = append(out, f)
	}
	if f, ok := d.sampledNotice(); ok {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b analyzer.Finding) int {
		if c := cmp.Compare(b.WastedTime, a.WastedTime); c != 0 {
			return c
		}
		if c := cmp.Compare(b.RoundTripsSaved, a.RoundTripsSaved); c != 0 {
			return c
		}
		if c := cmp.Compare(confRank(b.Confidence), confRank(a.Confidence)); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	// Cross-link loops over the same child reached from different parents
	// or endpoints: one fix (a batch loader) may serve them all.
	for i := range out {
		if out[i].Kind != KindNPlusOne {
			continue
		}
		for j := range out {
			if i == j || out[j].Kind != KindNPlusOne {
				continue
			}
			if sharesChild(&out[i], &out[j]) {
				out[i].Related = append(out[i].Related, out[j].Key)
			}
		}
	}
	return out
}

func confRank(c string) int {
	for i, n := range confNames {
		if n == c {
			return i
		}
	}
	return -1
}

func sharesChild(a, b *analyzer.Finding) bool {
	for _, x := range refs(a) {
		for _, y := range refs(b) {
			if x.ClassID == y.ClassID {
				return true
			}
		}
	}
	return false
}

func refs(f *analyzer.Finding) []analyzer.ClassRef {
	if len(f.Children) > 0 {
		return f.Children
	}
	if f.Child != nil {
		return []analyzer.ClassRef{*f.Child}
	}
	return nil
}

func stamp(us int64) string {
	return time.UnixMicro(us).UTC().Format(time.RFC3339Nano)
}

func seconds(us int64) float64 { return float64(us) / 1e6 }

// classRef describes a class for the report, with its earliest example.
func (d *Detector) classRef(id, fp string, redact bool) analyzer.ClassRef {
	ref := analyzer.ClassRef{ClassID: id, Fingerprint: fp}
	if _, x := d.classByID(id); x != nil {
		ex := x.example()
		if redact {
			ex.Query = fingerprint.Redact([]byte(ex.Query))
		}
		ref.Example = &ex
	}
	return ref
}

func (fa *findingAgg) boundaryName() string {
	best := 0
	for i, n := range fa.bcount {
		if n > 0 && n >= fa.bcount[best] {
			best = i
		}
	}
	return boundary(best).String()
}

func (fa *findingAgg) severity() string {
	waste := time.Duration(fa.waste) * time.Microsecond
	switch fa.kind {
	case KindRedundant:
		if fa.maxRep >= 20 {
			return "medium"
		}
		return "low"
	case KindRetry:
		if fa.maxRep >= 10 {
			return "high"
		}
		return "medium"
	}
	level := 1
	switch {
	case fa.maxRep >= 50 || waste >= time.Second:
		level = 3
	case fa.maxRep >= 10 || waste >= 100*time.Millisecond:
		level = 2
	}
	if fa.writeInTx > 0 || fa.scales() {
		level++
	}
	return [...]string{"info", "low", "medium", "high", "high"}[level]
}

// mainChild is the loop child with the most executions.
func (fa *findingAgg) mainChild() *childAgg {
	var best *childAgg
	for i := range fa.children {
		c := &fa.children[i]
		if c.path && best != nil {
			continue
		}
		if best == nil || best.path && !c.path || c.depth < best.depth || c.depth == best.depth && c.sumK > best.sumK {
			best = c
		}
	}
	return best
}

func (d *Detector) finding(fa *findingAgg, o analyzer.ReportOptions) analyzer.Finding {
	f := analyzer.Finding{
		Kind:            fa.kind,
		Key:             fa.key,
		Severity:        fa.severity(),
		Confidence:      confNames[fa.conf],
		Boundary:        fa.boundaryName(),
		Occurrences:     fa.occ,
		WastedTime:      seconds(fa.waste),
		RoundTripsSaved: fa.rt,
	}
	if fa.kind == KindNPlusOne {
		f.Variant = fa.variantName()
	}
	if fa.occ > 0 {
		f.Repeats = analyzer.Repeats{Avg: float64(fa.sumRep) / float64(fa.occ), Max: fa.maxRep}
	}
	if fa.hasTime {
		f.FirstSeen, f.LastSeen = stamp(fa.first), stamp(fa.last)
	}
	if len(fa.attr) > 0 {
		f.Attribution = map[string]string{}
		for _, t := range fa.attr {
			f.Attribution[t.Key] = t.Value
		}
	}
	if fa.parent != nil {
		p := d.classRef(fa.parent.id, fa.parent.fp, o.Redact)
		f.Parent = &p
	}
	main := fa.mainChild()
	for i := range fa.children {
		c := &fa.children[i]
		ref := d.classRef(c.id, c.fp, o.Redact)
		ref.Repeats = &analyzer.Repeats{Max: c.maxK}
		if c.n > 0 {
			ref.Repeats.Avg = float64(c.sumK) / float64(c.n)
		}
		if c.depth > 1 {
			ref.ParentClassID = c.parentID
		}
		if c == main {
			cp := ref
			f.Child = &cp
		}
		if len(fa.children) > 1 {
			f.Children = append(f.Children, ref)
		}
	}
	for _, ex := range fa.examples {
		fe := analyzer.FindingExample{File: ex.file, Line: ex.line, EndLine: ex.endLine, ConnID: ex.conn, Count: ex.count}
		if ex.hasT {
			fe.Time = stamp(ex.t)
		}
		f.Examples = append(f.Examples, fe)
	}
	f.Message = d.message(fa, main)
	f.Suggestion, f.Rewrites = d.suggest(fa, main, o.Redact)
	f.Notes = d.notes(fa)
	return f
}

func table(c *classKey) string {
	if c == nil || c.table == "" {
		return "?"
	}
	return "`" + c.table + "`"
}

var variantTitles = map[string]string{
	variantRead:         "N+1 read",
	variantCount:        "N+1 count",
	variantExists:       "N+1 existence check",
	variantWrite:        "N+1 write",
	variantInsert:       "N+1 insert loop",
	variantUnderBatched: "Under-batched loader",
}

// message says what was found, with class names and counts only (never
// literal values, so it is safe with --redact).
func (d *Detector) message(fa *findingAgg, main *childAgg) string {
	var b strings.Builder
	units := "unit of work"
	if fa.occ != 1 {
		units = "units of work"
	}
	waste := fmt.Sprintf("≈%s wasted, %d round trips avoidable", fmtDur(fa.waste), fa.rt)
	switch fa.kind {
	case KindRedundant:
		fmt.Fprintf(&b, "Redundant query: the same %s statement on %s ran up to %d times with the same values in one unit of work (%d %s); %s",
			kindWord(d, main), table(&main.classKey), fa.maxRep, fa.occ, units, waste)
		return b.String()
	case KindRetry:
		fmt.Fprintf(&b, "Retry storm: the same %s on %s ran up to %d times with the same values around errors or rollbacks (%d %s): lock contention, not a loop; %s",
			kindWord(d, main), table(&main.classKey), fa.maxRep, fa.occ, units, waste)
		return b.String()
	}
	title := variantTitles[fa.variantName()]
	if title == "" {
		title = "N+1"
	}
	var direct, nested []string
	for i := range fa.children {
		c := &fa.children[i]
		if c.depth == 1 {
			direct = append(direct, table(&c.classKey))
		} else {
			nested = append(nested, table(&c.classKey))
		}
	}
	switch {
	case len(nested) > 0 && fa.parent != nil:
		fmt.Fprintf(&b, "Nested %s (N+1+M): %s queried per row of %s, then %s per row of those",
			title, strings.Join(direct, ", "), table(fa.parent), strings.Join(nested, ", "))
	case len(nested) > 0:
		fmt.Fprintf(&b, "Nested %s (N+1+M): %s queried in a loop (parent not identified), then %s per row of those",
			title, strings.Join(direct, ", "), strings.Join(nested, ", "))
	case len(direct) > 1:
		fmt.Fprintf(&b, "Polymorphic %s: %s each queried per row of %s", title, strings.Join(direct, ", "), table(fa.parent))
	case fa.parent != nil:
		fmt.Fprintf(&b, "%s: %s %s once per row of %s", title, table(&main.classKey), verb(main.variant), table(fa.parent))
	default:
		fmt.Fprintf(&b, "%s: %s %s in a loop of single-row statements (loop without identified parent)", title, table(&main.classKey), verb(main.variant))
	}
	fmt.Fprintf(&b, " — %.1f times on average, at most %d, in %d %s; %s", avg(fa.sumRep, fa.occ), fa.maxRep, fa.occ, units, waste)
	return b.String()
}

func avg(sum, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n)
}

func verb(variant string) string {
	switch variant {
	case variantCount:
		return "counted"
	case variantExists:
		return "probed"
	case variantWrite:
		return "written"
	case variantInsert:
		return "inserted into"
	}
	return "queried"
}

func kindWord(d *Detector, c *childAgg) string {
	if ci, _ := d.classByID(c.id); ci != nil {
		switch ci.shape.Kind {
		case fingerprint.ShapeSelect:
			return "SELECT"
		case fingerprint.ShapeUpdate:
			return "UPDATE"
		case fingerprint.ShapeDelete:
			return "DELETE"
		case fingerprint.ShapeInsert:
			return "INSERT"
		}
	}
	return "statement"
}

func fmtDur(us int64) string {
	switch {
	case us >= 1e6:
		return fmt.Sprintf("%.2fs", float64(us)/1e6)
	case us >= 1e3:
		return fmt.Sprintf("%.1fms", float64(us)/1e3)
	}
	return fmt.Sprintf("%dµs", us)
}

func (d *Detector) notes(fa *findingAgg) []string {
	var n []string
	if fa.partial > 0 {
		n = append(n, "some keys repeat inside the loop (partially redundant): cache them as well")
	}
	if fa.parallel > 0 {
		n = append(n, "the loop ran over several connections in parallel (fan-out): waste counts database time and round trips; the wall-clock saving is smaller")
	}
	if fa.noTiming > 0 {
		n = append(n, fmt.Sprintf("the input has no statement times (general log): waste is estimated from round trips × %v", time.Duration(d.cfg.rttMicros())*time.Microsecond))
	}
	if fa.params > 0 {
		n = append(n, "key values are not visible (prepared statement placeholders): distinct keys could not be checked")
	}
	if fa.scales() {
		n = append(n, fmt.Sprintf("the loop grows with its parent: %d repeats at %d parent rows, %d at %d — it gets worse as data grows",
			fa.minRowsK, fa.minRows, fa.maxRowsK, fa.maxRows))
	}
	if fa.writeInTx > 0 {
		n = append(n, "the writes run inside a transaction: row locks are held for the whole loop")
	}
	if fa.dropped > 0 {
		n = append(n, fmt.Sprintf("some units of work had more statements than are kept (%d per transaction or request, %d per unit delimited by idle time); only the first were analysed", d.cfg.MaxUnitStatements, d.cfg.MaxGapUnitStatements))
	}
	if fa.conf == confLow && fa.bcount[bGap]+fa.bcount[bNone] > 0 {
		n = append(n, "units of work were delimited by idle time only: add a request id (sqlcommenter) or use per-request transactions for exact boundaries")
	}
	return n
}

// sampledNotice warns when every statement took at least a millisecond:
// the slow log was written with long_query_time > 0, so fast loop
// children are missing.
func (d *Detector) sampledNotice() (analyzer.Finding, bool) {
	if d.nQT < 3 || d.minQT < 1000 {
		return analyzer.Finding{}, false
	}
	return analyzer.Finding{
		Kind:       KindSampled,
		Key:        findingKey(KindSampled, "", "", nil),
		Severity:   "info",
		Confidence: "medium",
		Message: fmt.Sprintf("Sampled input: every one of the %d logged statements took at least %s, so the slow log was likely written with long_query_time > 0; "+
			"fast N+1 children are not logged and loops may be missed or undercounted", d.nQT, fmtDur(d.minQT)),
		Suggestion: "For N+1 detection log every statement: SET GLOBAL long_query_time = 0 (slow log) for a while, or enable the general log.",
	}, true
}
