#!/bin/bash
# Every test of archived, from a clean checkout, as root on Debian 12:
# installs what is needed, builds with -Werror and ASan/UBSan and runs
# "make check" (unit tests and end-to-end tests against real servers, on
# SQLite), then "make distcheck" (a release build from the tarball, the
# tests run again with the end-to-end tests on PostgreSQL: each starts a
# server of its own),
# the fuzzers, a 60-s soak against the release build, the Debian package
# test and the quickstart check.
# The last line says how many tests passed and failed.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

bash scripts/deps.sh --test
[ -x configure ] || autoreconf -fi

jobs=$(nproc)
status=0

# Summaries of one build's tests: the harness totals and each unit test's
# Check line (automake's harness keeps them in the .log files).
report() {
	local dir=$1
	echo "== test results ($dir)"
	find "$dir/tests" -name '*.log' ! -name test-suite.log | sort | while read -r log; do
		local line
		line=$(grep -E '^[0-9]+%: Checks:|^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 || true)
		printf '%-50s %s\n' "${log#$dir/}" "${line:-(see log)}"
	done
	grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' "$dir/test-suite.log" 2>/dev/null || true
}

mkdir -p build-debug
(cd build-debug && "$top/configure" --enable-debug -q && make -j"$jobs" -s) 
if ! (cd build-debug && make -j"$jobs" -s check); then
	status=1
	cat build-debug/test-suite.log 2>/dev/null || echo "make check stopped before the harness ran"
fi
report build-debug || true

mkdir -p build-release
(cd build-release && "$top/configure" -q && make -j"$jobs" -s)
if ! (cd build-release && ARCHIVED_TEST_DB=postgresql \
    make -j"$jobs" -s distcheck >distcheck.out 2>&1); then
	status=1
	tail -80 build-release/distcheck.out
	find build-release -path '*/_build/*' -name test-suite.log -exec cat {} \;
fi
grep -E '^=+$|archived-.*archives ready for distribution' build-release/distcheck.out | tail -2 || true

# The soak, 60 s against the release build (tests/soak/README.md).
sk_pass=0
sk_fail=0
if top_builddir="$top/build-release" bash tests/soak/soak.sh "${SOAK_SECONDS:-60}" \
    > build-release/soak.out 2>&1; then :; else status=1; fi
cat build-release/soak.out
line=$(tail -1 build-release/soak.out)
if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
	sk_pass=${BASH_REMATCH[1]}
	sk_fail=${BASH_REMATCH[2]}
else
	sk_fail=1
fi

# The parsers of untrusted bytes under libFuzzer (ASan, UBSan): each
# target 60 s, two at a time (tests/fuzz/run.sh).
fz_pass=0
fz_fail=0
if bash tests/fuzz/run.sh "${FUZZ_SECONDS:-60}" > build-release/fuzz.out 2>&1; then :; else status=1; fi
cat build-release/fuzz.out
line=$(tail -1 build-release/fuzz.out)
if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
	fz_pass=${BASH_REMATCH[1]}
	fz_fail=${BASH_REMATCH[2]}
else
	fz_fail=1
fi

# The Debian package: built, linted, installed, an export through it, then
# purged (tests/package/check-package.sh). Where an install already is (a
# machine that ran the quickstart before), it runs in a private overlay of
# the root filesystem instead, so that neither disturbs the other. It runs
# before the quickstart, which leaves an install behind.
pkg_pass=0
pkg_fail=0
pkg_rc=0
if [ -e /etc/archived ] || [ -e /var/lib/archived ]; then
	bash tests/package/in-overlay.sh > build-release/package.out 2>&1 || pkg_rc=$?
else
	bash tests/package/check-package.sh > build-release/package.out 2>&1 || pkg_rc=$?
fi
cat build-release/package.out
line=$(tail -1 build-release/package.out)
if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
	pkg_pass=${BASH_REMATCH[1]}
	pkg_fail=${BASH_REMATCH[2]}
else
	pkg_fail=1
fi
[ $pkg_rc -eq 0 ] || status=1

# The README's first command, used as a new user would (it installs into
# /usr/local and starts services on port 8080, so it runs last).
qs_pass=0
qs_fail=0
if bash tests/quickstart/check-quickstart.sh > build-release/quickstart.out 2>&1; then :; else status=1; fi
cat build-release/quickstart.out
line=$(tail -1 build-release/quickstart.out)
if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
	qs_pass=${BASH_REMATCH[1]}
	qs_fail=${BASH_REMATCH[2]}
else
	qs_fail=1
fi

# One closing line for CI: the tests of the sanitizer build, the distcheck
# run counted as one more test, and the quickstart's checks.
p=$(sed -n 's/^# PASS: *//p' build-debug/test-suite.log 2>/dev/null | head -1)
x=$(sed -n 's/^# FAIL: *//p' build-debug/test-suite.log 2>/dev/null | head -1)
e=$(sed -n 's/^# ERROR: *//p' build-debug/test-suite.log 2>/dev/null | head -1)
total_pass=${p:-0}
total_fail=$((${x:-0} + ${e:-0}))
if grep -q 'archives ready for distribution' build-release/distcheck.out 2>/dev/null; then
	total_pass=$((total_pass + 1))
else
	total_fail=$((total_fail + 1))
fi
total_pass=$((total_pass + fz_pass + pkg_pass + qs_pass + sk_pass))
total_fail=$((total_fail + fz_fail + pkg_fail + qs_fail + sk_fail))
[ $status -ne 0 ] && [ $total_fail -eq 0 ] && total_fail=1
echo "$total_pass passed, $total_fail failed"
exit $status
