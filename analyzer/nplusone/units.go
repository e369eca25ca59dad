package nplusone

import (
	"cmp"
	"slices"
	"strings"

	"github.com/sqlsift/sqlsift/analyzer"
	"github.com/sqlsift/sqlsift/analyzer/fingerprint"
)

// unitAgg profiles the finished units of work of one route: counts and
// the largest unit, never the units themselves (memory stays per route).
type unitAgg struct {
	units, sum, max int64
	ex              example // the largest unit; ties: the earliest in the input
}

// countUnit folds a finished unit into its route's profile. Session noise
// (SET, USE, SHOW, ...) is not in u.recs and is not counted; statements
// beyond MaxUnitStatements are (u.dropped).
func (d *Detector) countUnit(u *unit) {
	n := int64(len(u.recs)) + u.dropped
	if n == 0 {
		return
	}
	route := unitRoute(u.attrs)
	a := d.units[route]
	if a == nil {
		a = &unitAgg{}
		d.units[route] = a
	}
	a.units++
	a.sum += n
	a.max = max(a.max, n)
	if len(u.recs) == 0 {
		return
	}
	u.sortRecs()
	fr, lr := &u.recs[0], &u.recs[len(u.recs)-1]
	ex := example{file: u.file, off: fr.off, line: int(fr.line), endLine: int(lr.line), conn: u.conn(fr), t: fr.start, hasT: fr.has(flagTime), count: n}
	if a.ex.count == 0 || d.better(ex, a.ex) {
		a.ex = ex
	}
}

// mergeUnits folds the route profiles of a later detector into d's.
func (d *Detector) mergeUnits(n *Detector) {
	for route, o := range n.units {
		a := d.units[route]
		if a == nil {
			d.units[route] = o
			continue
		}
		a.units += o.units
		a.sum += o.sum
		a.max = max(a.max, o.max)
		if o.ex.count > 0 && (a.ex.count == 0 || d.better(o.ex, a.ex)) {
			a.ex = o.ex
		}
	}
}

// unitRoute names the request context of a unit as the gate does
// (gate.Route): the route, else controller#action, else the job; "" when
// the comments carry none.
func unitRoute(tags []fingerprint.Tag) string {
	var route, controller, action, job string
	for _, t := range tags {
		switch strings.ToLower(t.Key) {
		case "route":
			route = t.Value
		case "controller":
			controller = t.Value
		case "action":
			action = t.Value
		case "job":
			job = t.Value
		}
	}
	switch {
	case route != "":
		return route
	case controller != "" && action != "":
		return controller + "#" + action
	case controller != "":
		return controller
	}
	return job
}

// Units implements analyzer.Detector: the units of work by route, the
// largest first. It closes every open unit, as Findings does; the two may
// be called in either order.
func (d *Detector) Units(analyzer.ReportOptions) []analyzer.UnitGroup {
	t := d.final()
	out := make([]analyzer.UnitGroup, 0, len(t.units))
	for route, a := range t.units {
		g := analyzer.UnitGroup{
			Route:      route,
			Units:      a.units,
			Statements: analyzer.Repeats{Avg: float64(a.sum) / float64(a.units), Max: a.max},
		}
		if ex := a.ex; ex.count > 0 {
			g.Example = analyzer.FindingExample{File: ex.file, Line: ex.line, EndLine: ex.endLine, ConnID: ex.conn, Count: ex.count}
			if ex.hasT {
				g.Example.Time = stamp(ex.t)
			}
		}
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b analyzer.UnitGroup) int {
		return cmp.Or(cmp.Compare(b.Statements.Max, a.Statements.Max), cmp.Compare(a.Route, b.Route))
	})
	return out
}
