package analyzer

// Live is the live-capture section of a report (sqlsift live): which
// source was read and how complete the capture is. Nil for log files.
type Live struct {
	Source      string  `json:"source"` // perfschema, digest or processlist
	Server      string  `json:"server"` // server version
	DSN         string  `json:"dsn"`    // password masked
	Start       string  `json:"start"`  // RFC3339 UTC
	End         string  `json:"end"`
	Duration    float64 `json:"duration"` // seconds
	Interval    float64 `json:"interval"` // seconds between polls
	Polls       int64   `json:"polls"`
	FailedPolls int64   `json:"failed_polls"`
	Events      int64   `json:"events"`
	// LostEvents is the estimated number of statements overwritten in the
	// performance_schema ring buffer before a poll read them.
	LostEvents int64 `json:"lost_events"`
	Overflows  int64 `json:"overflows"` // polls that found the ring had wrapped
	RingSize   int64 `json:"ring_size,omitempty"`
	// SuggestedInterval is a poll interval (seconds) that would have
	// avoided the loss at the peak rate seen; 0 when nothing was lost.
	SuggestedInterval float64   `json:"suggested_interval,omitempty"`
	PeakRate          float64   `json:"peak_rate,omitempty"` // statements per second
	Truncated         int64     `json:"truncated"`           // statements whose text the server cut
	TextLimit         int64     `json:"text_limit,omitempty"`
	Nested            int64     `json:"nested"`            // stored-program statements skipped
	Unmapped          int64     `json:"unmapped"`          // events whose connection id is a THREAD_ID stand-in
	ExecNoText        int64     `json:"exec_without_text"` // prepared executions without text (not aggregated)
	Resets            int64     `json:"resets"`            // digest summary resets seen
	DigestOverflow    int64     `json:"digest_overflow"`   // statements in the NULL-digest row
	Reconnects        int64     `json:"reconnects"`
	Gaps              []LiveGap `json:"gaps"`
	BlindSpots        []string  `json:"blind_spots"`
	Notes             []string  `json:"notes"`
}

// LiveGap is a time the capture could not see the server.
type LiveGap struct {
	Start     string  `json:"start"`
	End       string  `json:"end,omitempty"` // "" when the capture ended during the gap
	Seconds   float64 `json:"seconds"`
	Restarted bool    `json:"restarted"`
	Reason    string  `json:"reason"`
}

// Explain is the staging-database enrichment (--explain DSN): EXPLAIN
// plans of the top SELECT classes and schema-aware advice.
type Explain struct {
	DSN     string        `json:"dsn"` // password masked
	Server  string        `json:"server"`
	Plans   []Plan        `json:"plans"`
	Skipped []ExplainSkip `json:"skipped"`
	Advice  []Advice      `json:"advice"`
	Errors  []string      `json:"errors"`
}

// Plan summarises EXPLAIN FORMAT=JSON of one class's example.
type Plan struct {
	ClassID   string        `json:"class_id"`
	Rank      int           `json:"rank"`
	DB        string        `json:"db,omitempty"`
	Tables    []TableAccess `json:"tables"`
	FullScan  bool          `json:"full_scan"` // some table is read with access type ALL
	Filesort  bool          `json:"filesort"`
	Temporary bool          `json:"temporary"`
	Message   string        `json:"message,omitempty"` // "Impossible WHERE", "No tables used", ...
	Error     string        `json:"error,omitempty"`   // EXPLAIN failed
}

// TableAccess is one table of a plan.
type TableAccess struct {
	Table        string   `json:"table"`
	Access       string   `json:"access"` // ALL, index, range, ref, eq_ref, const, ...
	Key          string   `json:"key,omitempty"`
	PossibleKeys []string `json:"possible_keys"`
	Rows         float64  `json:"rows"`     // estimated rows read per scan
	Filtered     float64  `json:"filtered"` // percent of rows kept by the condition
	FullScan     bool     `json:"full_scan"`
	Condition    string   `json:"condition,omitempty"`
}

// ExplainSkip says why a top class was not explained.
type ExplainSkip struct {
	ClassID string `json:"class_id"`
	Rank    int    `json:"rank"`
	Reason  string `json:"reason"`
}

// Advice is schema-aware advice from information_schema.
type Advice struct {
	// Kind is "nplusone-link" (the parent→child link of an N+1 finding,
	// with the JOIN that replaces the loop) or "missing-index" (a lookup
	// on columns no index starts with).
	Kind       string   `json:"kind"`
	ClassID    string   `json:"class_id"`
	FindingKey string   `json:"finding_key,omitempty"`
	Table      string   `json:"table"`
	Columns    []string `json:"columns"`
	// Evidence: "foreign key <name>", "column name and type", "no index".
	Evidence  string `json:"evidence"`
	Confirmed bool   `json:"confirmed"`
	SQL       string `json:"sql,omitempty"` // the JOIN or CREATE INDEX
	Message   string `json:"message"`
}
