package nplusone

import "time"

// Config holds the detector's thresholds. Zero fields take the defaults
// of Default; the defaults give no finding on the trap scenarios of the
// labelled fixtures (testdata/nplusone).
type Config struct {
	// MinRepeats is the smallest loop reported: executions of a child per
	// parent (per unit of work without a parent).
	MinRepeats int
	// MinRepeatsExact (>= 2) is allowed instead when the link is exact (the
	// child ran once per parent row), the boundary is explicit (request id,
	// trace, transaction) and the loop wastes at least MinWasteExact.
	MinRepeatsExact int
	MinWasteExact   time.Duration
	// MinDistinct is the smallest share of distinct key values among a
	// loop's executions for an N+1 (a loop walks different rows).
	MinDistinct float64
	// RedundantRatio: at or below this share of distinct values, repeats
	// are a "redundant query" (memoize), not a loop.
	RedundantRatio float64
	// BatchedIn: IN lists with at least this many keys on average are a
	// batch loader; below it (and MinRepeats executions) an under-batched
	// loader.
	BatchedIn float64
	// WeakMinRepeats is the smallest parentless loop reported when the
	// unit of work has no explicit boundary (idle gaps only).
	WeakMinRepeats int
	// RTT is the client-server round-trip time added per avoidable
	// statement to the waste estimate (servers log only their own time).
	// Zero means the default; negative means no round-trip cost.
	RTT time.Duration
	// BatchFactor c: a batched statement is estimated to cost
	// max(max q, c × median q) of the loop's statement times q.
	BatchFactor float64
	// MinWaste drops findings whose total estimated waste is below it.
	MinWaste time.Duration

	// Units of work without explicit boundaries split at idle gaps longer
	// than max(GapFloor, GapFactor × median gap of the unit), capped at
	// GapCap. Logs with whole-second timestamps (MariaDB, MySQL < 5.7 general
	// logs) use CoarseGapFloor instead of GapFloor.
	GapFloor       time.Duration
	CoarseGapFloor time.Duration
	GapFactor      float64
	GapCap         time.Duration
	// RequestIdle closes a unit keyed by a request or trace id after this
	// long without one of its statements.
	RequestIdle time.Duration
	// Window bounds every unit of work: units never span a multiple of
	// Window (wall clock), which bounds memory on connections that never
	// pause and lets parallel (-j) readers stitch units exactly.
	Window time.Duration
	// Skew is the disorder of end times tolerated in the input order; an
	// idle connection is forgotten after GapCap + Skew.
	Skew time.Duration
	// MaxUnitStatements caps the statements kept per unit of work that a
	// transaction or a request id delimits (one request or job: batch jobs
	// loop over thousands of rows); later ones are counted, not analysed.
	MaxUnitStatements int
	// MaxGapUnitStatements is the cap for units delimited by idle time or
	// the window only: connections that never pause, whose statements are
	// many requests, would otherwise keep up to MaxUnitStatements each.
	MaxGapUnitStatements int
	// MaxUnitText caps the statement text kept per unit for examples and
	// rewrites.
	MaxUnitText int
	// Examples is how many example units a finding lists.
	Examples int
}

// Default returns the default thresholds.
func Default() Config {
	return Config{
		MinRepeats:           5,
		MinRepeatsExact:      3,
		MinWasteExact:        20 * time.Millisecond,
		MinDistinct:          0.8,
		RedundantRatio:       0.2,
		BatchedIn:            3,
		WeakMinRepeats:       20,
		RTT:                  time.Millisecond,
		BatchFactor:          2,
		GapFloor:             100 * time.Millisecond,
		CoarseGapFloor:       2 * time.Second,
		GapFactor:            20,
		GapCap:               10 * time.Second,
		RequestIdle:          10 * time.Second,
		Window:               60 * time.Second,
		Skew:                 60 * time.Second,
		MaxUnitStatements:    20000,
		MaxGapUnitStatements: 5000,
		MaxUnitText:          1 << 20,
		Examples:             3,
	}
}

// withDefaults fills zero fields from Default.
func (c Config) withDefaults() Config {
	d := Default()
	orDefault(&c.MinRepeats, d.MinRepeats)
	if c.MinRepeatsExact <= 1 {
		c.MinRepeatsExact = d.MinRepeatsExact
	}
	if c.MinRepeatsExact > c.MinRepeats {
		c.MinRepeatsExact = c.MinRepeats
	}
	orDefault(&c.MinWasteExact, d.MinWasteExact)
	orDefault(&c.MinDistinct, d.MinDistinct)
	orDefault(&c.RedundantRatio, d.RedundantRatio)
	orDefault(&c.BatchedIn, d.BatchedIn)
	orDefault(&c.WeakMinRepeats, d.WeakMinRepeats)
	if c.WeakMinRepeats < c.MinRepeats {
		c.WeakMinRepeats = c.MinRepeats
	}
	if c.RTT == 0 {
		c.RTT = d.RTT // negative stays: "no round-trip cost" (see rttMicros)
	}
	orDefault(&c.BatchFactor, d.BatchFactor)
	orDefault(&c.GapFloor, d.GapFloor)
	orDefault(&c.CoarseGapFloor, d.CoarseGapFloor)
	orDefault(&c.GapFactor, d.GapFactor)
	orDefault(&c.GapCap, d.GapCap)
	if c.GapCap < c.GapFloor {
		c.GapCap = c.GapFloor
	}
	if c.GapCap < c.CoarseGapFloor {
		c.GapCap = c.CoarseGapFloor
	}
	orDefault(&c.RequestIdle, d.RequestIdle)
	orDefault(&c.Window, d.Window)
	orDefault(&c.Skew, d.Skew)
	orDefault(&c.MaxUnitStatements, d.MaxUnitStatements)
	if c.MaxGapUnitStatements <= 0 {
		c.MaxGapUnitStatements = min(d.MaxGapUnitStatements, c.MaxUnitStatements)
	}
	orDefault(&c.MaxUnitText, d.MaxUnitText)
	orDefault(&c.Examples, d.Examples)
	return c
}

// orDefault sets a zero or negative setting to its default.
func orDefault[T int | float64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// rttMicros is the round-trip cost in microseconds (0 when RTT < 0).
func (c *Config) rttMicros() int64 {
	return max(0, int64(c.RTT/time.Microsecond))
}
