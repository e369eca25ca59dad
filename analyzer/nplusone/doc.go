// Package nplusone detects N+1 query loops in server logs: a parent query
// returning rows, then one small statement per row.
//
// # Units of work
//
// Statements are grouped into units of work, about one request or job
// each, with the strongest boundary the log offers: a request or W3C trace
// id in sqlcommenter / marginalia comments (which also joins a request's
// statements across pooled connections), a BEGIN … COMMIT transaction, a
// change of route/controller/action/job in comments, connection lifecycle
// (Connect, Quit, change user, reset), and finally idle gaps on the
// connection (longer than max(100 ms, 20 × the unit's median gap); 2 s
// for logs with whole-second timestamps). Connections are never mixed
// without a shared id. Every unit also ends at each wall-clock multiple
// of Config.Window, which bounds memory and makes -j chunks stitchable.
//
// # Detection
//
// A class is a loop child when its WHERE clause compares a key column with
// a literal (`col = ?`, a short IN list, COUNT(*), SELECT 1 probes) or it
// is a single-row INSERT, UPDATE or DELETE by key (shapes come from
// fingerprint.ShapeOf, once per class). Inside a unit, a child's parent is
// the nearest earlier SELECT of another class that returned at least two
// rows (Rows_sent; for general logs, one that is not a point lookup) and
// whose rows bound the child's distinct keys; siblings of the same loop
// are skipped, and a child whose parent is itself a loop child nests
// (N+1+M). In a unit spanning connections, a SELECT logged after the
// first child still counts as earlier when it did not start later at the
// timestamps' resolution and it starts the loop on its own connection:
// slow logs write a statement when it ends, so a fan-out's parent can be
// logged after other connections' first lookups. Each execution of the parent is one loop instance; a finding
// needs Config.MinRepeats executions per instance with mostly distinct
// key values. Identical repeats are a redundant query, repeats around
// errors or ROLLBACK a retry storm, IN lists of 3+ keys a batch loader.
//
// # Output
//
// Findings carry a stable key (no literals), the estimated waste
// (statement time beyond one batched statement plus a round trip per
// avoided statement), confidence and the boundary relied on, examples
// (file:line), and a rewrite built from the observed statements.
package nplusone
