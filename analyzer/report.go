package analyzer

import "github.com/sqlsift/sqlsift/analyzer/stats"

// SchemaVersion is the version of the JSON report contract (docs/json-schema.md).
// Bump the major part on incompatible changes.
const SchemaVersion = "1.0"

// Report is the whole result of an analysis: the only thing renderers see.
// Every number a renderer prints is computed here; renderers only format.
type Report struct {
	SchemaVersion string    `json:"schema_version"`
	Tool          Tool      `json:"tool"`
	Inputs        []Input   `json:"inputs"`
	Options       Settings  `json:"options"`
	Summary       Summary   `json:"summary"`
	Classes       []Class   `json:"classes"`
	Remainder     Remainder `json:"remainder"`
	Findings      []Finding `json:"findings"`
	// Units profiles the units of work (requests, jobs) by route: filled
	// by the N+1 detector; empty when it did not run (--no-n1).
	Units    []UnitGroup `json:"units"`
	Warnings Warnings    `json:"warnings"`
	Live     *Live       `json:"live,omitempty"`    // sqlsift live only (report_live.go)
	Explain  *Explain    `json:"explain,omitempty"` // --explain DSN only (report_live.go)
}

// Tool names the program that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Input is one input file (or stdin) as read.
type Input struct {
	Path     string `json:"path"`
	Format   string `json:"format"`
	Bytes    int64  `json:"bytes"`
	Events   int64  `json:"events"`
	Warnings int64  `json:"warnings"`
}

// Settings echoes the options that shaped the report, so a saved JSON
// report says how it was made.
type Settings struct {
	OrderBy  string   `json:"order_by"`
	Limit    int      `json:"limit"`
	Redacted bool     `json:"redacted"`
	Filters  []string `json:"filters"`
}

// Summary covers every event that passed the filters.
type Summary struct {
	Events         int64   `json:"events"`           // statements aggregated
	OtherEvents    int64   `json:"other_events"`     // session commands (Connect, Quit, ...) not aggregated
	Filtered       int64   `json:"filtered"`         // events dropped by filters
	Classes        int     `json:"classes"`          // distinct fingerprints
	QueryTimeTotal float64 `json:"query_time_total"` // seconds
	LockTimeTotal  float64 `json:"lock_time_total"`
	FirstSeen      string  `json:"first_seen,omitempty"` // RFC3339 UTC
	LastSeen       string  `json:"last_seen,omitempty"`
	Duration       float64 `json:"duration"` // seconds between first and last seen
	QPS            float64 `json:"qps"`      // events / duration (0 when duration is 0)
	// Concurrency is total query time / duration: the average number of
	// statements running at once.
	Concurrency float64 `json:"concurrency"`
	HasTiming   bool    `json:"has_timing"` // false for general logs (no durations)
}

// Class is one fingerprint with its aggregates.
type Class struct {
	Rank         int         `json:"rank"`
	ID           string      `json:"id"`
	Fingerprint  string      `json:"fingerprint"`
	Kind         string      `json:"kind"` // SELECT, INSERT, ... (from the SQL parser)
	Tables       []string    `json:"tables"`
	Example      Example     `json:"example"`
	Count        int64       `json:"count"`
	CountShare   float64     `json:"count_share"` // fraction of all events
	TimeShare    float64     `json:"time_share"`  // fraction of total query time
	QPS          float64     `json:"qps"`
	QueryTime    Dist        `json:"query_time"` // seconds
	LockTime     Dist        `json:"lock_time"`  // seconds
	RowsSent     Dist        `json:"rows_sent"`
	RowsExamined Dist        `json:"rows_examined"`
	RowsAffected Dist        `json:"rows_affected"`
	BytesSent    Dist        `json:"bytes_sent"`
	Extra        []ExtraStat `json:"extra"`  // log_slow_extra / verbosity counters present in this class
	Errors       int64       `json:"errors"` // events with Errno != 0
	Databases    Names       `json:"databases"`
	Users        Names       `json:"users"`
	Hosts        Names       `json:"hosts"`
	FirstSeen    string      `json:"first_seen,omitempty"`
	LastSeen     string      `json:"last_seen,omitempty"`
	Histogram    []Bucket    `json:"histogram"` // query time per decade
}

// Dist summarises one metric of a class. Times are in seconds. N is how
// many events logged the metric (a metric absent from a dialect has N 0).
type Dist struct {
	N      int64   `json:"n"`
	Total  float64 `json:"total"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Avg    float64 `json:"avg"`
	P50    float64 `json:"p50"`
	P95    float64 `json:"p95"`
	P99    float64 `json:"p99"`
	Stddev float64 `json:"stddev"`
}

// ExtraStat summarises a numeric attribute without a typed slot.
type ExtraStat struct {
	Name  string  `json:"name"`
	N     int64   `json:"n"`
	Total float64 `json:"total"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Avg   float64 `json:"avg"`
}

// Names lists the most frequent values of a dimension.
type Names struct {
	Distinct int64             `json:"distinct"`
	Exact    bool              `json:"exact"` // false: Distinct is an estimate
	Top      []stats.NameCount `json:"top"`
	Other    int64             `json:"other"` // events of names not listed
}

// Bucket is one histogram bar.
type Bucket struct {
	Label string `json:"label"`
	Count int64  `json:"count"`
}

// Example is one real statement of the class: the slowest.
type Example struct {
	Query     string  `json:"query"`
	Truncated bool    `json:"truncated"`
	File      string  `json:"file"`
	Line      int     `json:"line"`
	Time      string  `json:"time,omitempty"` // RFC3339 UTC
	QueryTime float64 `json:"query_time"`
	DB        string  `json:"db,omitempty"`
	ConnID    uint64  `json:"connection_id,omitempty"`
}

// Remainder summarises the classes beyond --limit: never hidden.
type Remainder struct {
	Classes   int     `json:"classes"`
	Events    int64   `json:"events"`
	QueryTime float64 `json:"query_time"`
	TimeShare float64 `json:"time_share"`
}

// Warnings are located problems in the input.
type Warnings struct {
	Count int64    `json:"count"`
	First []string `json:"first"` // the first few, as file:line: message
}

// Finding is a detected problem (N+1 loops and similar). Filled by the
// N+1 detector; empty otherwise.
type Finding struct {
	Kind            string            `json:"kind"`
	Variant         string            `json:"variant,omitempty"`
	Key             string            `json:"key"`
	Severity        string            `json:"severity"`
	Confidence      string            `json:"confidence"`
	Boundary        string            `json:"boundary,omitempty"`
	Parent          *ClassRef         `json:"parent"`
	Child           *ClassRef         `json:"child,omitempty"`
	Children        []ClassRef        `json:"children,omitempty"`
	Occurrences     int64             `json:"occurrences"`
	Repeats         Repeats           `json:"repeats"`
	WastedTime      float64           `json:"wasted_time"`
	RoundTripsSaved int64             `json:"round_trips_saved"`
	Attribution     map[string]string `json:"attribution,omitempty"`
	FirstSeen       string            `json:"first_seen,omitempty"`
	LastSeen        string            `json:"last_seen,omitempty"`
	Examples        []FindingExample  `json:"examples,omitempty"`
	Suggestion      string            `json:"suggestion,omitempty"`
	// Rewrites are the SQL statements of the suggestion, each one
	// statement that parses (built from the observed statements).
	Rewrites []string `json:"rewrites,omitempty"`
	// Notes are caveats on the estimate or the evidence.
	Notes []string `json:"notes,omitempty"`
	// Related are the keys of findings over the same child class (the
	// same loop reached from other parents or endpoints).
	Related []string `json:"related,omitempty"`
	Message string   `json:"message"`
}

// ClassRef points at a class from a finding.
type ClassRef struct {
	ClassID     string   `json:"class_id"`
	Fingerprint string   `json:"fingerprint"`
	Example     *Example `json:"example,omitempty"`
	Repeats     *Repeats `json:"repeats,omitempty"`
	// ParentClassID is set on nested loop children (N+1+M): the class
	// whose rows drove them.
	ParentClassID string `json:"parent_class_id,omitempty"`
}

// Repeats describes how many times a child ran per unit of work.
type Repeats struct {
	Avg float64 `json:"avg"`
	Max int64   `json:"max"`
}

// FindingExample locates one unit of work that showed the finding.
type FindingExample struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	EndLine int    `json:"end_line,omitempty"`
	ConnID  uint64 `json:"connection_id,omitempty"`
	Time    string `json:"time,omitempty"`
	Count   int64  `json:"count"`
}

// UnitGroup profiles the units of work (requests, jobs) of one route: how
// many statements each ran (session noise such as SET or USE not counted).
type UnitGroup struct {
	Route      string         `json:"route"` // from query comments; "" when the units carry none
	Units      int64          `json:"units"`
	Statements Repeats        `json:"statements"` // per unit: avg, max
	Example    FindingExample `json:"example"`    // the largest unit (the earliest of equals)
}
