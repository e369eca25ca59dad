#!/usr/bin/env bash
# bench/run.sh - reproducible benchmark of `sqlsift analyze` against pt-query-digest.
#
# Usage:
#   bench/run.sh [full]        real workload: private MariaDB + sysbench (default)
#   bench/run.sh quick         no server: generated logs (bench/gen), for local iteration
#   bench/run.sh log FILE      measure an existing slow log (e.g. /tmp/sysbench-slow.log)
#
# full:  installs missing packages (mariadb-server sysbench percona-toolkit time,
#        via apt-get), starts a private MariaDB (temp datadir, unix socket,
#        127.0.0.1:<free port>) with the slow log on at long_query_time=0, runs
#        `sysbench oltp_read_write --tables=4 --table-size=20000` (prepare, then the
#        slow log is rotated so it holds only the run, then --threads=8 --time=60),
#        stops the server, and measures on that log.
# quick: generates a sysbench-like log of BENCH_QUICK_MB MB in the MariaDB and the
#        MySQL 8 dialect instead (no server, no sysbench).
#
# Measurements, each under /usr/bin/time -v after warming the page cache:
#   sqlsift analyze --format json LOG > /dev/null        (default -j, and -j 1)
#   the same with and without --no-n1, interleaved       the N+1 detector's cost
#   pt-query-digest LOG > /dev/null
#   sqlsift on a BENCH_SCALE x log (LOG repeated)        flatness: time and RSS vs 1x
#   the N+1 detector's cost on an all-loop log           (the fixture repeated, BENCH_N1LOOPS)
#   sqlsift on a generated BENCH_CLASSES-class log       peak RSS (default -j and -j 1)
# Columns: wall s, CPU s (user+sys), MB/s (10^6 bytes per wall second), events/s
# (events = "# Query_time:" lines), peak RSS MiB. Ratios: pt wall / sqlsift wall,
# and 10x / 1x for sqlsift wall and RSS.
#
# Output: the table on stdout, plus $BENCH_DIR/results.txt (same table) and
# $BENCH_DIR/results.json (machine-readable). Logs and builds live in $BENCH_DIR
# (default bench/out/, gitignored). Exit status is non-zero if any measured
# command failed.
#
# Environment (all optional):
#   BENCH_DIR=bench/out       work/output directory
#   SQLSIFT_BIN=path          use this binary instead of building ./cmd/sqlsift
#   BENCH_TIME=60 BENCH_THREADS=8 BENCH_TABLES=4 BENCH_TABLE_SIZE=20000   sysbench
#   BENCH_VIA=tcp             sysbench connects over tcp (127.0.0.1) or socket
#   BENCH_KEEP_LOG=path       also copy the real sysbench slow log there
#   BENCH_QUICK_MB=100        size of the generated logs in quick mode
#   BENCH_CLASSES=50000       distinct classes of the many-classes log
#   BENCH_N1LOOPS=40          copies of the N+1 fixture in the all-loop log (0 disables)
#   BENCH_SCALE=10            multiplier of the flatness log (0 disables)
#   BENCH_PT=1                0 skips pt-query-digest
#   BENCH_PT_WALL=seconds     with BENCH_PT=0: pt-query-digest wall time from an earlier run, for the ratio
#   BENCH_REPEAT=5            runs per sqlsift measurement (best wall kept, max RSS)
#   BENCH_MICRO=1             0 skips the fingerprint micro-benchmark (go test -bench)
set -euo pipefail

MODE=${1:-full}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/bench/out}
BENCH_TIME=${BENCH_TIME:-60}
BENCH_THREADS=${BENCH_THREADS:-8}
BENCH_TABLES=${BENCH_TABLES:-4}
BENCH_TABLE_SIZE=${BENCH_TABLE_SIZE:-20000}
BENCH_VIA=${BENCH_VIA:-tcp}
BENCH_QUICK_MB=${BENCH_QUICK_MB:-100}
BENCH_CLASSES=${BENCH_CLASSES:-50000}
BENCH_N1LOOPS=${BENCH_N1LOOPS:-40}
BENCH_SCALE=${BENCH_SCALE:-10}
BENCH_PT=${BENCH_PT:-1}
BENCH_PT_WALL=${BENCH_PT_WALL:-}
BENCH_REPEAT=${BENCH_REPEAT:-5}
BENCH_MICRO=${BENCH_MICRO:-1}
BENCH_KEEP_LOG=${BENCH_KEEP_LOG:-}

case $MODE in
full | quick) ;;
log)
	if [ $# -lt 2 ] || [ ! -r "$2" ]; then
		echo "usage: $0 log FILE (readable slow log)" >&2
		exit 2
	fi
	EXISTING_LOG=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
	;;
*)
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac

mkdir -p "$BENCH_DIR"
OUT=$(cd "$BENCH_DIR" && pwd)
log() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- packages

APT_UPDATED=0
apt_install() {
	command -v apt-get >/dev/null || die "missing $*; no apt-get to install them"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	if [ $APT_UPDATED -eq 0 ]; then
		$sudo apt-get update
		APT_UPDATED=1
	fi
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
}

find_bin() { # name: path on PATH or in an sbin dir, else empty
	command -v "$1" 2>/dev/null || { for d in /usr/sbin /usr/local/sbin; do [ -x "$d/$1" ] && { echo "$d/$1"; return; }; done; }
}

ensure_tools() {
	local pkgs=()
	[ -x /usr/bin/time ] || pkgs+=(time)
	if [ "$BENCH_PT" = 1 ] && [ -z "$(find_bin pt-query-digest)" ]; then pkgs+=(percona-toolkit); fi
	if [ "$MODE" = full ]; then
		if [ -z "$(find_bin mariadbd)" ] || [ -z "$(find_bin mariadb-install-db)" ] || [ -z "$(find_bin mariadb)" ]; then
			pkgs+=(mariadb-server mariadb-client)
		fi
		[ -n "$(find_bin sysbench)" ] || pkgs+=(sysbench)
	fi
	if [ ${#pkgs[@]} -gt 0 ]; then
		log "installing ${pkgs[*]}"
		apt_install "${pkgs[@]}"
	fi
	command -v go >/dev/null || [ -n "${SQLSIFT_BIN:-}" ] || die "go is required (https://go.dev/dl/)"
}

# ---------------------------------------------------------------- private MariaDB

SRV=""
SRV_PID=""
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
	stop_server
	[ -z "$SRV" ] || rm -rf "$SRV"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_server() {
	[ -n "$SRV_PID" ] || return 0
	kill -TERM "$SRV_PID" 2>/dev/null || true
	local _i
	for _i in $(seq 1200); do
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$SRV_PID" 2>/dev/null; then
		log "mariadbd did not stop in 120 s; killing it"
		kill -KILL "$SRV_PID" 2>/dev/null || true
	fi
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=""
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_server() {
	local mariadbd installdb user=()
	mariadbd=$(find_bin mariadbd)
	installdb=$(find_bin mariadb-install-db)
	[ "$(id -u)" -ne 0 ] || user=(--user=root) # mariadbd refuses root without it
	# Short path: unix socket paths are limited to 107 bytes.
	SRV=$(mktemp -d /tmp/sqlsift-bench.XXXXXX)
	cat >"$SRV/init.sql" <<-'EOF'
		FLUSH PRIVILEGES;
		CREATE USER 'app'@'%' IDENTIFIED BY 'app';
		GRANT ALL ON *.* TO 'app'@'%';
		CREATE USER 'app'@'localhost' IDENTIFIED BY 'app';
		GRANT ALL ON *.* TO 'app'@'localhost';
		CREATE DATABASE sbtest;
	EOF
	local common=(--innodb-buffer-pool-size=256M --innodb-log-file-size=256M
		--innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --skip-name-resolve
		--max-connections=100 --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci)
	log "mariadb-install-db into $SRV/data"
	# root gets no password (auth-root-authentication-method=normal) so that the
	# socket works for any OS user; app/app is the client user.
	"$installdb" --no-defaults "${user[@]}" --datadir="$SRV/data" --skip-test-db \
		--auth-root-authentication-method=normal --extra-file="$SRV/init.sql" \
		--tmpdir="$SRV" "${common[@]}" >"$SRV/install.log" 2>&1 ||
		{ cat "$SRV/install.log" >&2; die "mariadb-install-db failed"; }
	local _attempt
	for _attempt in 1 2 3 4 5; do
		PORT=$((20000 + RANDOM % 40000))
		port_in_use "$PORT" && continue
		# --no-defaults must come first.
		"$mariadbd" --no-defaults "${user[@]}" --datadir="$SRV/data" --socket="$SRV/mysqld.sock" \
			--port="$PORT" --bind-address=127.0.0.1 --pid-file="$SRV/mysqld.pid" \
			--log-error="$SRV/error.log" --tmpdir="$SRV" "${common[@]}" \
			--slow-query-log=ON --slow-query-log-file="$SRV/slow.log" --long-query-time=0 \
			--log-output=FILE </dev/null >/dev/null 2>&1 &
		SRV_PID=$!
		local _i
		for _i in $(seq 600); do
			if ! kill -0 "$SRV_PID" 2>/dev/null; then break; fi
			if mariadb --no-defaults -S "$SRV/mysqld.sock" -uroot -e 'SELECT 1' >/dev/null 2>&1; then
				log "mariadbd pid $SRV_PID ready on 127.0.0.1:$PORT and $SRV/mysqld.sock"
				return 0
			fi
			sleep 0.1
		done
		if kill -0 "$SRV_PID" 2>/dev/null; then
			tail -20 "$SRV/error.log" >&2
			die "mariadbd not ready after 60 s"
		fi
		wait "$SRV_PID" 2>/dev/null || true
		SRV_PID=""
		grep -q 'Address already in use' "$SRV/error.log" 2>/dev/null || { tail -20 "$SRV/error.log" >&2; die "mariadbd exited"; }
		log "port $PORT taken, retrying"
	done
	die "no free port after 5 attempts"
}

sysbench_log() { # writes the real slow log to $1
	local dest=$1 conn
	if [ "$BENCH_VIA" = socket ]; then
		conn=(--mysql-socket="$SRV/mysqld.sock")
	else
		conn=(--mysql-host=127.0.0.1 --mysql-port="$PORT")
	fi
	local sb=(sysbench oltp_read_write --db-driver=mysql "${conn[@]}" --mysql-user=app
		--mysql-password=app --mysql-db=sbtest --tables="$BENCH_TABLES" --table-size="$BENCH_TABLE_SIZE")
	log "sysbench prepare"
	"${sb[@]}" prepare >"$OUT/sysbench-prepare.txt"
	# Rotate: the server reopens the file (writing a fresh header) on FLUSH;
	# our own session is kept out of the new log.
	mv "$SRV/slow.log" "$SRV/slow-prepare.log"
	mariadb --no-defaults -S "$SRV/mysqld.sock" -uroot -e 'SET SESSION slow_query_log = 0; FLUSH SLOW LOGS'
	rm -f "$SRV/slow-prepare.log"
	log "sysbench run: --threads=$BENCH_THREADS --time=$BENCH_TIME via $BENCH_VIA"
	"${sb[@]}" --threads="$BENCH_THREADS" --time="$BENCH_TIME" --report-interval=10 run | tee "$OUT/sysbench-run.txt" >&2
	stop_server
	mv "$SRV/slow.log" "$dest"
	chmod a+r "$dest" # the server creates it 0660
	cp "$SRV/error.log" "$OUT/mariadbd-error.log"
}

# ---------------------------------------------------------------- measuring

RESULTS=()     # json objects, one per run
TABLE_ROWS=()  # printed rows
FAILED=0
declare -A LOG_BYTES LOG_EVENTS WALL CPU RSS

count_events() { LC_ALL=C grep -c '^# Query_time:' "$1" || true; }

add_log() { # name path [events]
	LOG_BYTES[$1]=$(stat -c %s "$2")
	LOG_EVENTS[$1]=${3:-$(count_events "$2")}
	log "log $1: $2, ${LOG_BYTES[$1]} bytes, ${LOG_EVENTS[$1]} events"
}

warm() { cat "$@" >/dev/null; }

# measure ID LOGNAME TOOL CMD...: run CMD (stdout discarded) under
# /usr/bin/time -v, BENCH_REPEAT times for sqlsift (once for
# pt-query-digest): the row is the run with the lowest wall time (the one
# least disturbed by other load on a shared machine), with that run's CPU
# time and load average, and the highest peak RSS of all runs.
measure() {
	local id=$1 lname=$2 tool=$3
	shift 3
	local tf="$OUT/time-$id.txt" status=0 reps=$BENCH_REPEAT
	[ "$tool" = sqlsift ] || reps=1
	log "$id: $* (x$reps)"
	local t0 t1 r w best="" wall="" user sys rss=0 load="" l0 rs
	for r in $(seq "$reps"); do
		l0=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo null)
		t0=$(date +%s%N)
		/usr/bin/time -v -o "$tf.$r" "$@" >/dev/null 2>"$OUT/stderr-$id.txt" || status=$?
		t1=$(date +%s%N)
		# Our own clock: time -v prints wall time with only 10 ms resolution.
		w=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
		rs=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$tf.$r")
		rss=$(awk -v a="$rss" -v b="$rs" 'BEGIN { print (b + 0 > a + 0 ? b : a) }')
		if [ -z "$best" ] || awk -v a="$w" -v b="$wall" 'BEGIN { exit !(a + 0 < b + 0) }'; then
			best=$r wall=$w load=$l0
		fi
		[ $status -eq 0 ] || break
	done
	mv "$tf.$best" "$tf"
	for r in $(seq "$reps"); do rm -f "$tf.$r"; done
	user=$(awk -F': ' '/User time \(seconds\)/ { print $2 }' "$tf")
	sys=$(awk -F': ' '/System time \(seconds\)/ { print $2 }' "$tf")
	local bytes=${LOG_BYTES[$lname]} events=${LOG_EVENTS[$lname]}
	local cpu mbs evs
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	mbs=$(awk -v b="$bytes" -v w="$wall" 'BEGIN { printf "%.1f", (w > 0 ? b / 1e6 / w : 0) }')
	evs=$(awk -v e="$events" -v w="$wall" 'BEGIN { printf "%.0f", (w > 0 ? e / w : 0) }')
	if [ $status -ne 0 ]; then
		FAILED=1
		log "$id FAILED with exit status $status; stderr:"
		tail -5 "$OUT/stderr-$id.txt" >&2 || true
	fi
	WALL[$id]=$wall
	CPU[$id]=$cpu
	RSS[$id]=$rss
	TABLE_ROWS+=("$(printf '%-22s %-16s %9.1f %8.3f %8.2f %8.1f %10s %9.1f %5s %s' "$id" "$lname" \
		"$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')" "$wall" "$cpu" "$mbs" "$evs" "$rss" "$load" \
		"$([ $status -eq 0 ] && echo ok || echo "FAIL($status)")")")
	RESULTS+=("$(printf '{"id":"%s","tool":"%s","log":"%s","bytes":%s,"events":%s,"wall_s":%s,"user_s":%s,"sys_s":%s,"cpu_s":%s,"mb_per_s":%s,"events_per_s":%s,"peak_rss_mib":%s,"runs":%s,"load_avg_1m":%s,"exit_status":%s,"command":"%s"}' \
		"$id" "$tool" "$lname" "$bytes" "$events" "$wall" "$user" "$sys" "$cpu" "$mbs" "$evs" "$rss" "$reps" "$load" "$status" \
		"$(printf '%s ' "$@" | sed 's/ $//; s/\\/\\\\/g; s/"/\\"/g')")")
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "null"; else printf "%.2f", a / b }'; }

# ---------------------------------------------------------------- main

ensure_tools
cd "$ROOT"

if [ -n "${SQLSIFT_BIN:-}" ]; then
	SQLSIFT=$SQLSIFT_BIN
else
	log "go build -o $OUT/sqlsift ./cmd/sqlsift"
	go build -o "$OUT/sqlsift" ./cmd/sqlsift
	SQLSIFT=$OUT/sqlsift
fi
if [ "$MODE" != log ] || [ "$BENCH_CLASSES" != 0 ]; then
	go build -o "$OUT/gen" ./bench/gen
fi
go build -o "$OUT/repeat" ./bench/repeat
PT=$(find_bin pt-query-digest || true)

PRIMARY=() # log names getting the full sqlsift/-j1/pt treatment
declare -A LOG_PATH
case $MODE in
full)
	start_server
	sysbench_log "$OUT/sysbench-slow.log"
	add_log sysbench "$OUT/sysbench-slow.log"
	[ -z "$BENCH_KEEP_LOG" ] || { cp "$OUT/sysbench-slow.log" "$BENCH_KEEP_LOG"; log "copied to $BENCH_KEEP_LOG"; }
	PRIMARY=(sysbench)
	LOG_PATH=([sysbench]="$OUT/sysbench-slow.log")
	;;
quick)
	for d in mariadb mysql8; do
		"$OUT/gen" -kind sysbench -dialect "$d" -mb "$BENCH_QUICK_MB" -o "$OUT/quick-$d.log"
		add_log "gen-$d" "$OUT/quick-$d.log"
	done
	PRIMARY=(gen-mariadb gen-mysql8)
	LOG_PATH=([gen-mariadb]="$OUT/quick-mariadb.log" [gen-mysql8]="$OUT/quick-mysql8.log")
	;;
log)
	add_log given "$EXISTING_LOG"
	PRIMARY=(given)
	LOG_PATH=([given]="$EXISTING_LOG")
	;;
esac

# n1_overhead LOG_NAME PATH: the N+1 detector's cost. A run with and one
# without --no-n1 make a pair, 2 x BENCH_REPEAT pairs in a row: a pair's
# two runs see about the same load from neighbours on a shared machine, so
# the median of the pairs' ratios is steadier than comparing best runs.
declare -A N1_WALL N1_CPU
n1_overhead() {
	local l=$1 p=$2 r mode t0 t1 tf="$OUT/time-n1.txt" rw=() rc=()
	local -A w c
	log "n1 overhead on $l: sqlsift analyze --format json [--no-n1] ($((2 * BENCH_REPEAT)) pairs)"
	for r in $(seq $((2 * BENCH_REPEAT))); do
		for mode in on off; do
			local extra=()
			if [ $mode = off ]; then extra=(--no-n1); fi
			t0=$(date +%s%N)
			/usr/bin/time -f '%U %S' -o "$tf" "$SQLSIFT" analyze --format json "${extra[@]}" "$p" >/dev/null 2>&1 || FAILED=1
			t1=$(date +%s%N)
			w[$mode]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
			c[$mode]=$(awk '{ printf "%.2f", $1 + $2 }' "$tf")
		done
		rw+=("$(awk -v a="${w[on]}" -v b="${w[off]}" 'BEGIN { printf "%.4f", a / b }')")
		rc+=("$(awk -v a="${c[on]}" -v b="${c[off]}" 'BEGIN { printf "%.4f", a / b }')")
	done
	rm -f "$tf"
	N1_WALL[$l]=$(printf '%s\n' "${rw[@]}" | sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%+.1f", (m - 1) * 100 }')
	N1_CPU[$l]=$(printf '%s\n' "${rc[@]}" | sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%+.1f", (m - 1) * 100 }')
}

for l in "${PRIMARY[@]}"; do
	p=${LOG_PATH[$l]}
	warm "$p"
	measure "sqlsift-$l" "$l" sqlsift "$SQLSIFT" analyze --format json "$p"
	measure "sqlsift-j1-$l" "$l" sqlsift "$SQLSIFT" analyze --format json -j 1 "$p"
	n1_overhead "$l" "$p"
	if [ "$BENCH_PT" = 1 ]; then
		measure "pt-$l" "$l" pt-query-digest "$PT" "$p"
	fi
done

BASE=${PRIMARY[0]}
if [ "$BENCH_SCALE" -gt 1 ]; then
	big="$OUT/scaled-${BENCH_SCALE}x.log"
	log "building ${BENCH_SCALE}x log $big (copies a day apart: bench/repeat)"
	"$OUT/repeat" -copies "$BENCH_SCALE" -shift 24h -o "$big" "${LOG_PATH[$BASE]}"
	add_log "${BENCH_SCALE}x" "$big" $((LOG_EVENTS[$BASE] * BENCH_SCALE))
	warm "$big"
	measure "sqlsift-${BENCH_SCALE}x" "${BENCH_SCALE}x" sqlsift "$SQLSIFT" analyze --format json "$big"
	rm -f "$big" # several GB; rebuilt on every run
fi

if [ "$BENCH_N1LOOPS" -gt 0 ]; then
	# The N+1 detector's worst case: every request an N+1 loop with
	# sqlcommenter ids (the N+1 fixture from a real MariaDB, repeated).
	nl="$OUT/n1-loops.log"
	"$OUT/repeat" -copies "$BENCH_N1LOOPS" -shift 24h -o "$nl" "$ROOT/testdata/nplusone/mariadb-10.11-slow.log.gz"
	add_log n1-loops "$nl"
	warm "$nl"
	n1_overhead n1-loops "$nl"
	SUMMARY_N1LOOPS=1
fi

if [ "$BENCH_CLASSES" != 0 ]; then
	cl="$OUT/classes-$BENCH_CLASSES.log"
	"$OUT/gen" -kind classes -classes "$BENCH_CLASSES" -o "$cl"
	add_log classes "$cl"
	warm "$cl"
	measure "sqlsift-classes" classes sqlsift "$SQLSIFT" analyze --format json "$cl"
	measure "sqlsift-j1-classes" classes sqlsift "$SQLSIFT" analyze --format json -j 1 "$cl"
fi

# ---------------------------------------------------------------- report

SUMMARY=()
DERIVED=()
for l in "${PRIMARY[@]}"; do
	if [ "$BENCH_PT" = 1 ]; then
		r=$(ratio "${WALL[pt-$l]}" "${WALL[sqlsift-$l]}")
		r1=$(ratio "${WALL[pt-$l]}" "${WALL[sqlsift-j1-$l]}")
		SUMMARY+=("$l: pt-query-digest wall / sqlsift wall = $r (default -j), $r1 (-j 1)")
		DERIVED+=("\"pt_over_sqlsift_wall_$l\":$r" "\"pt_over_sqlsift_j1_wall_$l\":$r1")
	elif [ -n "$BENCH_PT_WALL" ]; then
		r=$(ratio "$BENCH_PT_WALL" "${WALL[sqlsift-$l]}")
		r1=$(ratio "$BENCH_PT_WALL" "${WALL[sqlsift-j1-$l]}")
		SUMMARY+=("$l: pt-query-digest wall (given: BENCH_PT_WALL=$BENCH_PT_WALL s, not measured in this run) / sqlsift wall = $r (default -j), $r1 (-j 1)")
		DERIVED+=("\"pt_wall_given_s\":$BENCH_PT_WALL" "\"pt_over_sqlsift_wall_$l\":$r" "\"pt_over_sqlsift_j1_wall_$l\":$r1")
	fi
done
N1LOGS=("${PRIMARY[@]}")
[ -z "${SUMMARY_N1LOOPS:-}" ] || N1LOGS+=(n1-loops)
for l in "${N1LOGS[@]}"; do
	dw=${N1_WALL[$l]} dc=${N1_CPU[$l]}
	SUMMARY+=("$l: N+1 detector cost (default -j, median of $((2 * BENCH_REPEAT)) with/--no-n1 pairs): wall $dw%, CPU $dc% (budget +25%)")
	DERIVED+=("\"n1_overhead_wall_pct_$l\":${dw#+}" "\"n1_overhead_cpu_pct_$l\":${dc#+}")
done
if [ "$BENCH_SCALE" -gt 1 ]; then
	rw=$(ratio "${WALL[sqlsift-${BENCH_SCALE}x]}" "${WALL[sqlsift-$BASE]}")
	rr=$(ratio "${RSS[sqlsift-${BENCH_SCALE}x]}" "${RSS[sqlsift-$BASE]}")
	SUMMARY+=("flatness (${BENCH_SCALE}x log vs 1x $BASE, default -j): wall ratio $rw (ideal ${BENCH_SCALE}), peak RSS ratio $rr (ideal ~1)")
	DERIVED+=("\"scale\":$BENCH_SCALE" "\"scaled_wall_ratio\":$rw" "\"scaled_rss_ratio\":$rr")
fi
if [ "$BENCH_CLASSES" != 0 ]; then
	SUMMARY+=("$BENCH_CLASSES-class log: peak RSS ${RSS[sqlsift-classes]} MiB (default -j), ${RSS[sqlsift-j1-classes]} MiB (-j 1)")
	DERIVED+=("\"classes\":$BENCH_CLASSES" "\"classes_peak_rss_mib\":${RSS[sqlsift-classes]}" "\"classes_j1_peak_rss_mib\":${RSS[sqlsift-j1-classes]}")
fi
if [ "$BENCH_MICRO" = 1 ] && command -v go >/dev/null; then
	log "go test -bench BenchmarkFingerprint ./analyzer/fingerprint"
	fpr=$(go test -run '^$' -bench 'BenchmarkFingerprint$' -benchtime=2s -count=3 ./analyzer/fingerprint 2>/dev/null |
		awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "stmts/s/core") print $i }' | sort -n | tail -1)
	if [ -n "$fpr" ]; then
		SUMMARY+=("fingerprint: $fpr statements/s/core (BenchmarkFingerprint on the sysbench mix, CPU time, best of 3)")
		DERIVED+=("\"fingerprint_stmts_per_s_core\":$fpr")
	fi
fi
if [ "$MODE" = full ]; then
	while IFS= read -r line; do SUMMARY+=("sysbench ${line#"${line%%[! ]*}"}"); done < <(grep -E 'transactions:|queries:' "$OUT/sysbench-run.txt")
fi

{
	echo "sqlsift benchmark ($MODE) $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	printf '%-22s %-16s %9s %8s %8s %8s %10s %9s %5s %s\n' run log MB wall_s cpu_s MB/s events/s rss_MiB load status
	printf '%s\n' "${TABLE_ROWS[@]}"
	echo
	printf '%s\n' "${SUMMARY[@]}"
} | tee "$OUT/results.txt"

json_str() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
{
	printf '{\n"mode":%s,\n"date":%s,\n"cpus":%s,\n' "$(json_str "$MODE")" "$(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)")" "$(nproc)"
	printf '"git":%s,\n' "$(json_str "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)")"
	printf '"versions":{"sqlsift":%s,"pt_query_digest":%s,"mariadbd":%s,"sysbench":%s},\n' \
		"$(json_str "$SQLSIFT")" \
		"$(json_str "$([ -n "$PT" ] && "$PT" --version 2>/dev/null | tail -1 || echo none)")" \
		"$(json_str "$( (m=$(find_bin mariadbd) && "$m" --version) 2>/dev/null || echo none)")" \
		"$(json_str "$(sysbench --version 2>/dev/null || echo none)")"
	printf '"logs":{'
	sep=""
	for l in "${!LOG_BYTES[@]}"; do
		printf '%s"%s":{"bytes":%s,"events":%s}' "$sep" "$l" "${LOG_BYTES[$l]}" "${LOG_EVENTS[$l]}"
		sep=","
	done
	printf '},\n"runs":[\n'
	printf '%s\n' "${RESULTS[@]}" | sed '$!s/$/,/'
	printf '],\n"derived":{%s}\n}\n' "$(IFS=,; echo "${DERIVED[*]:-}")"
} >"$OUT/results.json"
log "wrote $OUT/results.txt and $OUT/results.json"
exit $FAILED
