// Package fingerprint turns SQL statements into fingerprints: normalized
// texts under which statements that differ only in literal values, layout
// or comments fall into one class. It is the only package of sqlsift that
// imports TiDB's SQL parser (github.com/pingcap/tidb/pkg/parser, imported
// as tidbparser).
//
// # Rules
//
// The reference is TiDB's Normalize (pkg/parser digester.go) over TiDB's
// lexer. Its output is the statement's tokens, lower-cased and joined by
// single blanks, with comments dropped, names back-quoted (`c`, whatever
// the input quoting) and keywords bare:
//
//	SELECT c FROM sbtest1 WHERE id=5036     -> select `c` from `sbtest1` where `id` = ?
//	UPDATE sbtest2 SET k=k+1 WHERE id=4997  -> update `sbtest2` set `k` = `k` + ? where `id` = ?
//
// Literals of every kind (strings, numbers with their unary sign, hex and
// bit values, DATE '...' values, NULL, ? placeholders) become "?", and a
// list of literals becomes "..." (IN (1, 2), VALUES (1, 'a'), (2, 'b'),
// LIMIT 10, 20, SELECT 1, 2). ORDER BY and GROUP BY ordinals stay (they
// are structure), COUNT(*) is written count ( ? ), FORCE/USE/IGNORE
// INDEX (...) is dropped, STRAIGHT_JOIN is written join, and the body of
// a /*!50000 ... */ version comment is SQL. Everything else is a token
// and stays: tables (sbtest1 and sbtest2 differ), schemas, columns,
// operators, clauses, LIMIT or no LIMIT, FOR UPDATE, statement kinds.
//
// On top of Normalize's output the fingerprint applies these fix-ups:
//
//	F1  One-element lists are lists: IN (?) is written IN (...), and so is
//	    a one-literal VALUES row; consecutive identical VALUES rows are
//	    written once, so inserts of any number of rows share a class.
//	F2  Charset introducers belong to the literal: _utf8mb4'x' and N'x'
//	    are "?" (Normalize writes (_charset) ?).
//	F3  A trailing ";" and an unclosed trailing comment are dropped
//	    (Normalize drops ";" only when it is the very last byte).
//	F4  Runs of dots are written as "..." tokens then "." tokens, which
//	    lex back to the same run (Normalize lexes "..." as three dots).
//	F5  Keyword spelling survives re-lexing: COUNT, SUM and the other
//	    names that are keywords only before "(" are written bare before
//	    "(" (Normalize's own blank hides the parenthesis); a keyword after
//	    "..." is bare; a keyword after "." is quoted (it is a name there).
//	F6  "->" and "->>", which TiDB's lexer returns without text, are both
//	    written "->".
//
// F4 to F6 make a fingerprint its own fingerprint. In the few cases where
// Normalize's form still changes when lexed again (charset introducers,
// `*` where a list could collapse, an ORDER BY ordinal after a literal
// list, names with back-quotes inside) the steps are repeated until the
// text no longer changes: Reference(q) is the fixed point of "Normalize,
// then fix up" (at most 64 rounds; back-quote runs halve per round), and
// Fingerprint(Text) == Text.
//
// With Options.MergeNumberedTables, the trailing digits of a table name
// become "?" (`sbtest1` and `sbtest12` are `sbtest?`; `events_2024` is
// `events_?`). A table name is the name after FROM, JOIN, INTO, UPDATE or
// TABLE (the last part of db.table), or after a comma in a FROM or UPDATE
// table list. Schemas and columns are never merged.
//
// Inherited from TiDB and kept, since the reference defines the classes:
// a sign is unary only after ( , + - = < > <= >= IS SELECT (so a = -1 is
// `a` = ? but a != -1 is `a` != - ?); a string whose value is "*" is
// written * (the digester treats it like the star of COUNT(*)); SELECT 1
// is select ? but SELECT 1, 2 is select ... (different select lists).
//
// # Identifiers and hashes
//
// ID(text) is the stable class id stored in reports and baselines: the
// first 16 hex digits of the SHA-256 of the fingerprint text. Result.Hash
// is a wyhash-style 64-bit hash of the text for in-process maps, and
// Result.LiteralHash hashes the literal values in order (each with its
// sign, as written), for N+1 detection: the same class with the same
// LiteralHash is the same statement repeated.
//
// # Why a hand-written scanner
//
// Normalize allocates five times per statement and, on the sysbench
// oltp_read_write mix, takes 1.6-2.5 µs of CPU per statement on this
// project's shared 2-core machines; Fingerprint takes about 0.4 µs
// (2.5 million statements per second per core) and does not allocate
// (BenchmarkFingerprint, BenchmarkTiDBNormalize: best of repeated runs). It is a byte-level port of the same lexer
// (scan.go: TiDB's scan and startWith* functions, with their quirks) and
// of the digester's rules (phase1: reduceOptimizerHint, reduceLit and the
// keyword test of isTokenIdentifier, in TiDB's order), writing the same
// text into a reused buffer; the fix-ups run only when a token they apply
// to was seen. The keyword tables are generated from TiDB's source
// (gen_keywords.go). For input whose text depends on things the port
// does not model (non-ASCII names, which strings.ToLower folds; quoted
// user variables; back-quotes inside names; /*T! comments; string
// literals in index hints; unclosed index hints) Fingerprint calls
// Reference, so the equality below holds for every input.
//
// # How it is proven equal to TiDB
//
// The tests require Fingerprint(q).Text == Reference(q) byte for byte on
// every statement of the real slow and general logs in
// testdata/fingerprint/statements.txt, on the sysbench statements, on
// hand-written edge cases for every token kind and rule, on random
// sequences of tricky tokens and separators, and on every keyword; they
// also require that the scanner, not the fallback, handled nearly all of
// them. FuzzFingerprint asserts the same equality and Fingerprint(Text)
// == Text for arbitrary bytes.
//
// Besides fingerprints the package extracts request tags from comments
// (Tags), redacts statements for display (Redact) and describes a
// statement from a full TiDB parse (Describe).
package fingerprint
