// Package slowlog reads MySQL-family slow query logs (file output) as a
// stream of parser.Events.
//
// # Dialects
//
// One reader handles every variant, entry by entry (log_slow_extra and
// verbosity change at runtime, so one file mixes shapes):
//
//   - MySQL 5.0-5.6: "# Time: 071015 21:43:52" only when the second
//     changes, "# User@Host: priv[user] @ host [ip]" (Id: from 5.6),
//     "# Query_time: ..." with integer or microsecond values.
//   - MySQL 5.7, 8.0, 8.4: ISO "# Time:" on every entry (Z or +hh:mm),
//     "Id:", log_slow_extra fields appended to the Query_time line
//     (Thread_id, Errno, Bytes_received, Read_*, Start:, End:, ...).
//   - Percona Server 5.x/8.0 extended verbosity: "# Schema: db  Last_errno:",
//     "# Thread_id: N  Schema: ...", Bytes_sent/Tmp_*/InnoDB_* lines,
//     microsecond "# Time:", PS 8.0 log_slow_extra with "Schema: db
//     Rows_affected: N" after End:, and the PS-7492 line "  Tmp_tables: ..."
//     written without '#'.
//   - MariaDB 5.5-11.x: "# Thread_id: N  Schema: db  QC_hit: No",
//     Rows_affected/Bytes_sent, Pages_*/Engine_time, Full_scan/Filesort
//     lines, "# explain:" rows and "# Warnings" blocks (skipped).
//   - pt-query-digest's synthetic samples ("# User:", "# Client:", entries
//     opened by "# Query_time:").
//
// Server banner lines (mysqld/mariadbd "Version: ... started with:",
// "Tcp port:", "Time Id Command Argument") are skipped wherever they appear
// between entries. "use db;" and "SET [last_insert_id=N,][insert_id=N,]
// timestamp=N;" are metadata, not statements; MySQL prints "use" only when
// the database differs from the previous entry's (file-globally), so the
// database is carried across entries in State. An entry whose only
// statement is "use db" is KindUse; "# administrator command: X;" is
// KindAdmin with Command X and Query "# administrator command: X" (the text
// as written, without ';'). Database names containing a newline ("use
// test" / "jfg;", "# Schema: test" / "jfg  Last_errno: 0") are rejoined.
//
// Typed fields: QueryTime/LockTime in microseconds, RowsSent, RowsExamined,
// RowsAffected, BytesSent, Errno (Errno: or Last_errno:), ConnID (Id: or the
// "# Thread_id:" line; log_slow_extra's Thread_id when Id: is missing),
// ThreadID (log_slow_extra's Thread_id), User (the [user] part, or the
// privilege user when that is empty), Host, IP, DB (Schema: of the entry,
// else the last "use"). Every other numeric or Yes/No (1/0) field goes to
// Extra under its name as written; MariaDB's Pages_read_time and
// Engine_time are milliseconds and are kept as written. Non-numeric values
// (InnoDB_trx_id, Log_slow_rate_type) are dropped.
//
// # Time semantics
//
// Times are UTC; TZOffset is the offset the log wrote and TimeLocal marks
// zone-less old formats (read as UTC).
//
//   - log_slow_extra Start:/End: (MySQL 8.0.14+, PS 8.0) are used as is.
//   - Otherwise the entry's "# Time:" (or the last one before it: MariaDB
//     and MySQL <= 5.6 print it only when the second changes) is the start
//     for MariaDB entries (recognised by QC_hit:, which MariaDB always
//     writes) and the logging time, i.e. the end, for MySQL and Percona.
//   - Without any "# Time:" in the file so far, "SET timestamp=" (whole
//     seconds) is taken as the start; that is exact for MariaDB and MySQL
//     8.0.14+ and the log time for older MySQL. It is not used when "#
//     Time:" is available because it has only second precision.
//   - The other end is derived from Query_time.
//
// # Entry boundaries
//
// The server writes statement text raw, so a literal or comment can hold a
// whole fake entry. The reader tracks SQL lexical state over statement lines
// ('...' and "..." with backslash and doubled-quote escapes, `...`, /* */,
// "-- " and '#' comments; /*! */ is code) and accepts a header line (or a
// banner line) as a new entry only when the previous non-blank line ended
// with ';' outside any literal or comment. Any other header-looking line in
// a statement is ambiguous: either it is statement text, or the statement
// was cut (an unbalanced quote in a statement that failed to parse, a
// crash). decide resolves it with bounded look-ahead: the line must open a
// plausible block (entry headers reaching "# Query_time:", or two banner
// lines); then both readings are followed to the next line that could open
// an entry after a ';' line, and the reading under which the statement there
// ends outside any literal wins; on a tie, a cut statement is assumed if the
// previous line ended with ';' (servers always write it) and statement text
// otherwise. Resynchronisation is reported as a warning.
//
// # Streaming and chunks
//
// Input is read through a bufio.Reader of Options.BufferSize; lines longer
// than 64 KiB are streamed in pieces, and statement text beyond
// Options.MaxQueryBytes is counted (QueryBytes) but not kept (Truncated), so
// memory per entry is bounded. For -j, FindEntryStart picks a chunk start,
// and TimeBefore, LastUse and Replay (or GuessState) the State to assume
// (the database can be left to SetDBResolver: asked for only if an entry
// needs it); a reader given Options.BaseOffset, BaseLine and Limit returns
// exactly the events a serial reader returns for entries starting in its
// chunk. Its Outcome records where it stopped and which parts of the
// assumed State its entries used, so the driver can check the chunk
// against the true state at its start (Outcome.Resolve) and carry the
// true state on.
//
// Header lines repeat from entry to entry (the same user and host, thread
// and schema, row counts): a line's effect on the entry is parsed once and
// replayed from a small cache keyed by its bytes, and the per-statement
// "# Query_time:" line is parsed against the shape of the previous one.
package slowlog
