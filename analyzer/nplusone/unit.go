package nplusone

import (
	"slices"

	"github.com/sqlsift/sqlsift/analyzer/fingerprint"
)

// rec is one statement kept for analysis: compact, no pointers but the
// class, so units of thousands of statements stay cheap.
type rec struct {
	ci    *classInfo
	conn  uint64
	start int64 // µs since the epoch; valid with flagTime
	end   int64
	clock int64 // the detector's clock before this event (for replays)
	qt    int64 // µs; -1 when not logged
	rows  int64 // Rows_sent; -1 when not logged
	key   uint64
	rest  uint64
	off   int64 // Pos.Offset: input order within a file
	ctx   uint64
	line  int32
	nkeys int32 // IN elements / VALUES rows
	errno int32
	text  int32                              // offset of the key texts in the owning unit's arena; -1 none
	spans [fingerprint.MaxKeySpans][2]uint16 // key texts, relative to text
	scol  [fingerprint.MaxKeySpans]uint8
	nspan uint8
	flags uint16
}

const (
	flagTime     uint16 = 1 << iota // start and end are set
	flagCoarse                      // whole-second timestamps
	flagNoise                       // timing only, never analysed
	flagBegin                       // BEGIN / START TRANSACTION / SET autocommit=0
	flagCommit                      // COMMIT / SET autocommit=1
	flagRollback                    // ROLLBACK
	flagParams                      // key values not visible (? markers)
	flagKeyed                       // carried a request key
	flagScanned                     // key fields come from a key scan
	flagText                        // spans[0] is the whole statement: scan it for keys when needed
)

func (r *rec) has(f uint16) bool { return r.flags&f != 0 }

// boundary kinds, weakest first; a unit's boundary is what delimited it.
type boundary uint8

const (
	bNone        boundary = iota // only the time window or the input's edges
	bGap                         // idle gaps on the connection
	bConnection                  // Connect / Quit / change user / reset
	bContext                     // a change of route/controller/action/job in comments
	bTransaction                 // BEGIN ... COMMIT/ROLLBACK
	bJob                         // job id in comments
	bRequest                     // request id in comments
	bTrace                       // W3C trace id in comments
)

var boundaryNames = [...]string{"none", "gap", "connection", "context", "transaction", "job", "request", "trace"}

func (b boundary) String() string { return boundaryNames[b] }

// explicit boundaries tie a unit to one request or job.
func (b boundary) explicit() bool { return b >= bTransaction }

// unit is one unit of work: the statements of (about) one request or job.
type unit struct {
	key     string // request key ("" for per-connection units)
	keyKind boundary
	recs    []rec
	text    []byte // statement texts (arena)
	dropped int64  // statements beyond MaxUnitStatements
	attrs   []fingerprint.Tag
	akey    string // attrKey(attrs), once needed
	akeySet bool

	startB, endB boundary // why the unit started and ended
	win          int64    // window index of the first statement
	lastEnd      int64    // keyed units: end of the last keyed statement (input order)
	hasLast      bool
	refs         int  // connections whose current unit this is
	keyedClosed  bool // keyed unit: no longer takes keyed statements
	head         bool // keyed unit that may continue an earlier chunk's
	unsorted     bool // records were appended out of input order
	done         bool // analysed (or given back to the pool)
	into         *unit
	firstKeyed   rec // keyed units: the statement that opened it (times, clock)
	file         string
	seq          uint64
}

// resolve follows merges.
func (u *unit) resolve() *unit {
	for u != nil && u.into != nil {
		u = u.into
	}
	return u
}

// boundary is the strongest evidence that delimits the unit.
func (u *unit) boundary() boundary {
	if u.key != "" {
		return u.keyKind
	}
	if n := len(u.recs); n > 0 && u.recs[0].has(flagBegin) && (u.endB == bTransaction || u.recs[n-1].has(flagCommit|flagRollback)) {
		return bTransaction
	}
	b := min(u.startB, u.endB)
	if b >= bTransaction {
		b = bConnection // transaction edges, but not one BEGIN ... COMMIT
	}
	return b
}

// Key texts longer than these are not kept (the rewrite then uses ?).
const (
	maxKeyText = 64
	maxRowText = 512
)

// add appends r with its key texts (spans of q, as the key scan found
// them). Over MaxUnitStatements the lowest input offsets are kept, so the
// result does not depend on the order records arrive in (stitched -j
// chunks append out of order).
func (u *unit) add(r *rec, q []byte, maxRecs int) {
	if n := len(u.recs); n > 0 && u.recs[n-1].off > r.off {
		u.unsorted = true
	}
	u.recs = append(u.recs, *r)
	u.addText(&u.recs[len(u.recs)-1], q)
	if len(u.recs) >= 2*maxRecs {
		u.trim(maxRecs)
	}
}

// addText copies r's key texts from q (r.spans relative to q) into the
// arena and rebases the spans.
func (u *unit) addText(r *rec, q []byte) {
	if q == nil || r.nspan == 0 {
		r.text, r.nspan = -1, 0
		return
	}
	base := len(u.text)
	n := uint8(0)
	for i := uint8(0); i < r.nspan; i++ {
		s, e := int(r.spans[i][0]), int(r.spans[i][1])
		limit := maxKeyText
		if r.has(flagText) || r.ci != nil && r.ci.variant == variantInsert {
			limit = maxRowText
		}
		if e > len(q) || s > e || e-s > limit {
			continue
		}
		off := len(u.text) - base
		u.text = append(u.text, q[s:e]...)
		r.spans[n] = [2]uint16{uint16(off), uint16(off + e - s)}
		r.scol[n] = r.scol[i]
		n++
	}
	r.nspan = n
	r.text = -1
	if n > 0 {
		r.text = int32(base)
	}
}

// trim keeps the max records of lowest offset and compacts the arena.
func (u *unit) trim(max int) {
	u.sortRecs()
	if len(u.recs) <= max {
		return
	}
	u.dropped += int64(len(u.recs) - max)
	u.recs = u.recs[:max]
	old := u.text
	u.text = make([]byte, 0, len(old)/2)
	for i := range u.recs {
		r := &u.recs[i]
		if r.text < 0 {
			continue
		}
		q := old[r.text:]
		r.text = int32(len(u.text))
		end := 0
		for j := uint8(0); j < r.nspan; j++ {
			end = max2(end, int(r.spans[j][1]))
		}
		u.text = append(u.text, q[:end]...)
	}
}

func max2(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// absorb moves the records of o (a later part of the same unit) into u.
func (u *unit) absorb(o *unit, maxRecs int) {
	for i := range o.recs {
		r := &o.recs[i]
		var q []byte
		if r.text >= 0 {
			q = o.text[r.text:]
		}
		u.add(r, q, maxRecs)
	}
	u.dropped += o.dropped
	if len(u.attrs) == 0 {
		u.attrs = o.attrs
	}
}

func (u *unit) sortRecs() {
	if u.unsorted {
		slices.SortStableFunc(u.recs, func(a, b rec) int {
			switch {
			case a.off < b.off:
				return -1
			case a.off > b.off:
				return 1
			}
			return 0
		})
		u.unsorted = false
	}
}

// keys returns the key texts of r and their key columns (INSERT: the
// VALUES rows), scanning the kept statement when only that was kept.
func (u *unit) keys(r *rec, ks *fingerprint.KeyScan) (texts []string, cols []uint8) {
	if r.text < 0 {
		return nil, nil
	}
	if !r.has(flagText) {
		for i := 0; i < int(r.nspan); i++ {
			texts = append(texts, u.keyText(r, i))
			cols = append(cols, r.scol[i])
		}
		return texts, cols
	}
	q := u.text[int(r.text)+int(r.spans[0][0]) : int(r.text)+int(r.spans[0][1])]
	fingerprint.ScanKeys(q, &r.ci.shape, ks)
	for i := 0; i < ks.NSpans; i++ {
		texts = append(texts, string(q[ks.Spans[i][0]:ks.Spans[i][1]]))
		cols = append(cols, ks.SpanCol[i])
	}
	return texts, cols
}

// keyText returns the text of r's i-th key span ("" when not kept).
func (u *unit) keyText(r *rec, i int) string {
	if r.text < 0 || i >= int(r.nspan) {
		return ""
	}
	return string(u.text[int(r.text)+int(r.spans[i][0]) : int(r.text)+int(r.spans[i][1])])
}
