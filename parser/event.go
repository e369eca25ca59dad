// Package parser turns MySQL-family query logs into a stream of Events.
//
// Readers are pull-style (Next fills a caller-owned Event) and start no
// goroutines. The package knows nothing about fingerprints or reports and
// imports only the standard library.
package parser

import (
	"fmt"
	"time"
)

// Kind says what an Event records.
type Kind uint8

const (
	// KindQuery is an SQL statement (slow-log entry, general-log Query).
	KindQuery Kind = iota
	// KindExecute is a prepared statement execution (general-log Execute)
	// with the parameter values substituted by the server.
	KindExecute
	// KindUse is a slow-log entry whose only statement is `use db;`.
	KindUse
	// KindAdmin is a slow-log `# administrator command: X;` entry; Command
	// holds X (Quit, Ping, Init DB, ...).
	KindAdmin
	// KindPrepare is a general-log Prepare (placeholders, not executed).
	KindPrepare
	// KindConnect, KindQuit, KindInitDB and KindCommand are general-log
	// session commands. KindCommand covers the rest (Close stmt, Statistics,
	// Change user, Reset Connection, ...); Command holds the server's name.
	KindConnect
	KindQuit
	KindInitDB
	KindCommand
)

var kindNames = [...]string{"query", "execute", "use", "admin", "prepare", "connect", "quit", "init_db", "command"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// IsStatement reports whether the event is an executed statement that
// belongs in per-class aggregates (queries, executes, USE and admin
// commands from slow logs).
func (k Kind) IsStatement() bool {
	return k == KindQuery || k == KindExecute || k == KindUse || k == KindAdmin
}

// Has is a bit set of the optional numeric fields present on an Event.
// A zero value then means "not logged", not "zero".
type Has uint16

const (
	HasQueryTime Has = 1 << iota
	HasLockTime
	HasRowsSent
	HasRowsExamined
	HasRowsAffected
	HasBytesSent
	HasErrno
	HasConnID
	HasThreadID
	HasStart
	HasEnd
)

// Pos locates an event in its input: the file name as given by the user,
// the 1-based line of the entry's first line, and the byte offsets of the
// entry's first byte and of the byte after its last.
type Pos struct {
	File   string
	Line   int
	Offset int64
	End    int64
}

func (p Pos) String() string {
	if p.File == "" {
		return fmt.Sprintf("<stdin>:%d", p.Line)
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Attr is a numeric or boolean field without a typed slot in Event
// (log_slow_extra counters, Percona/MariaDB verbosity fields). Booleans are
// 1 for Yes and 0 for No. Keys are interned strings: comparing them is cheap
// and storing them allocates nothing.
type Attr struct {
	Key   string
	Value float64
}

// Event is one entry as the server wrote it. Readers reuse the Event passed
// to Next: slices and the Query text alias reader buffers and are valid only
// until the next call, so callers copy what they keep.
type Event struct {
	Kind    Kind
	Has     Has
	Command string // admin / general-log command name (interned)

	// Start is when the statement started and End when it finished, in UTC.
	// Either may be zero when the log does not tell (general logs have only
	// the arrival time, which is Start). TZOffset is the UTC offset in
	// seconds the log wrote the time with; TimeLocal is set for old formats
	// without a zone, which were read as UTC.
	Start     time.Time
	End       time.Time
	TZOffset  int32
	TimeLocal bool

	ConnID   uint64 // connection id: slow-log Id:/Thread_id:, general-log id
	ThreadID uint64 // Thread_id when logged separately (log_slow_extra)
	User     string
	Host     string
	IP       string
	DB       string

	// Query is the statement text without the trailing `;` the slow log
	// appends. Truncated is set when it was cut at Options.MaxQueryBytes;
	// QueryBytes is then the length the server wrote.
	Query      []byte
	Truncated  bool
	QueryBytes int64

	// Durations in microseconds (logs print six decimals), so sums are exact
	// and do not depend on merge order.
	QueryTime    int64
	LockTime     int64
	RowsSent     int64
	RowsExamined int64
	RowsAffected int64
	BytesSent    int64
	Errno        int32

	Extra []Attr
	Pos   Pos
}

// Reset clears ev for reuse, keeping the capacity of its slices.
func (ev *Event) Reset() {
	q, x := ev.Query[:0], ev.Extra[:0]
	*ev = Event{}
	ev.Query, ev.Extra = q, x
}

// Attr returns the value of an extra attribute and whether it is present.
func (ev *Event) Attr(key string) (float64, bool) {
	for _, a := range ev.Extra {
		if a.Key == key {
			return a.Value, true
		}
	}
	return 0, false
}

// Warning is a located problem in the input that did not stop reading.
type Warning struct {
	Pos Pos
	Msg string
}

func (w Warning) String() string { return w.Pos.String() + ": " + w.Msg }

// Reader yields events one at a time. Next returns io.EOF after the last
// event; other errors are fatal for that input (I/O errors). Malformed input
// is reported through Options.Warn, never as an error.
type Reader interface {
	Next(ev *Event) error
}

// Options configure a Reader.
type Options struct {
	// File is the name used in positions and warnings ("" for stdin).
	File string
	// MaxQueryBytes caps the statement text kept per event; longer text is
	// cut and the event marked Truncated. 0 means DefaultMaxQueryBytes.
	MaxQueryBytes int
	// BufferSize is the read buffer size (tests use tiny ones to check that
	// results do not depend on where reads split the input). 0 = 64 KiB.
	BufferSize int
	// BaseOffset and BaseLine are the byte offset and 1-based line number of
	// the first byte the reader sees, for readers started mid-file (-j).
	BaseOffset int64
	BaseLine   int
	// Limit, when > 0, is an absolute byte offset: the reader returns io.EOF
	// instead of an entry that starts at or after it (the next chunk of a
	// -j split owns that entry). An entry that starts before Limit is read
	// to its end even when that lies past Limit.
	Limit int64
	// Warn receives located warnings; nil drops them.
	Warn func(Warning)
}

// DefaultMaxQueryBytes is the statement text kept per event by default.
const DefaultMaxQueryBytes = 1 << 20

func (o *Options) QueryLimit() int {
	if o.MaxQueryBytes <= 0 {
		return DefaultMaxQueryBytes
	}
	return o.MaxQueryBytes
}
