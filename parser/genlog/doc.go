// Package genlog reads the MySQL-family general query log (log_output=FILE)
// into parser.Events.
//
// # Layouts
//
// Every record is one line "[time] id command<sep>argument", where the
// argument may run on over raw continuation lines. The layouts seen in the
// wild, all accepted in one file:
//
//	MySQL 5.0:        YYMMDD HH:MM:SS\t%7ld %-11.11s argument  (or "\t\t" for the time)
//	MySQL 5.1-5.6,
//	MariaDB:          YYMMDD %2H:MM:SS\t%5lu Command\targument (or "\t\t" for the time)
//	MySQL 5.7.2+/8.x: 2016-06-07T19:07:02.558338Z\t%5u Command\targument
//	                  (+08:00 with log_timestamps=SYSTEM; 5.7.12 wrote spaces
//	                  instead of the tab after the time)
//
// Old servers print the time only when the second changes; records without
// one inherit the last time seen. Zone-less times are read as UTC and flagged
// TimeLocal. The server-start header (`mysqld, Version: ... started with:`,
// `Tcp port: ...`, `Time  Id Command  Argument`, MariaDB ≥10.8 with tabs)
// repeats mid-file after restarts and FLUSH LOGS; it ends the record before it
// and is skipped.
//
// # Record starts
//
// The server writes statement text raw, so a continuation line can look like
// anything. A line starts a record only if it has the layout above (an
// optional timestamp, or leading blanks, then an id, one space, and a command
// name from the server's command_name[] table followed by a tab, the end of
// the line, or 5.0's 11-column padding). Command names contain spaces (Init
// DB, Close stmt), so the name is matched against the table, never split on
// blanks.
//
// For Query, Prepare and Execute the reader tracks the SQL lexical state of
// the text (quotes with backslash escapes, backticks, block comments; line
// comments end at the newline). While the text is inside an unterminated
// literal or comment, record-like and header-like lines are kept as text:
// literals can embed whole fake records. Each such record is reported with a
// warning. Because a malformed statement with an unbalanced quote would
// otherwise swallow the rest of the file, the reader keeps a bounded copy of
// the input from the first line it kept that way; if the literal is still
// open after 32 such lines, after 1 MiB, or at the end of input, it cuts the
// statement there, warns, and re-reads the kept lines as records.
//
// Lines before the first record (other than header lines) belong to no
// record: they are skipped with one located warning per run of lines.
//
// # Events
//
//	Query       KindQuery    (a `USE db` query also sets the connection's DB)
//	Execute     KindExecute  (the server substituted the parameter values)
//	Prepare     KindPrepare
//	Connect     KindConnect  (User, Host, DB from "user@host [as u] on db using
//	                          TCP/IP"; `Access denied for user 'u'@'h'` sets
//	                          User and Host of that event only)
//	Quit        KindQuit     (then forgets the connection)
//	Init DB     KindInitDB   (DB = argument)
//	other       KindCommand  (Change user also replaces User, Host and DB)
//
// Every event carries Command (the server's name, interned), ConnID, Start
// when a time is known, the argument as Query (multi-line, without the final
// newline, capped at Options.QueryLimit), and User, Host (IP too when the
// host is a literal address) and DB remembered per connection from its
// Connect, Change user, Init DB and USE records. The
// per-connection table is bounded (oldest entries are dropped first). General
// logs carry no durations or row counts; those fields stay zero and their Has
// bits unset.
package genlog
