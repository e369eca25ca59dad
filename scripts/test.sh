#!/usr/bin/env bash
# The whole test suite, from a fresh machine with Go: installs a MariaDB
# server when `mariadbd` is missing (tests start private instances of it on
# a temp datadir, unix socket and loopback port), then runs every test with
# servers required, so nothing that needs one is silently skipped.
#
#   scripts/test.sh            # what .ci/run runs
#   scripts/test.sh -run Foo   # extra arguments go to `go test`
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
	echo "scripts/test.sh: mariadbd not found, installing mariadb-server" >&2
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
	$sudo apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null
fi

export SQLSIFT_REQUIRE_MARIADB=1
# N+1 fixtures are regenerated from a live server and checked as well as
# the committed copies.
export SQLSIFT_REGEN_FIXTURES="${SQLSIFT_REGEN_FIXTURES:-1}"
go vet ./...
go test -count=1 "$@" ./...
