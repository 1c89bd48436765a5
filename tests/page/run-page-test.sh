#!/bin/bash
# The operator page's browser test (check-page.js) against a running stack:
# playwright-core and pusher-js from tests/page/package-lock.json (npm ci,
# cached in the work directory while the lockfile is unchanged), Debian's
# Chromium (never a downloaded browser).
#
#   ARCHIVED_PAGE_PASSWORD=... run-page-test.sh --base URL --login LOGIN \
#       --tz ZONE [--work DIR] [--shot FILE]
#
# --work keeps node_modules and the screenshots (default: a new temporary
# directory); --shot also saves the finished export's screenshot as FILE
# (docs/page.png; to renew it, run this against the quickstart's stack with
# --shot docs/page.png). Prints check-page.js's "ok"/"not ok" lines and,
# last, "N passed, N failed".
set -eu
here=$(cd "$(dirname "$0")" && pwd)

BASE=http://localhost:8080 LOGIN=operator TZNAME=UTC WORK="" SHOT=""
while [ $# -gt 0 ]; do
	case $1 in
	--base) BASE=$2 ;;
	--login) LOGIN=$2 ;;
	--tz) TZNAME=$2 ;;
	--work) WORK=$2 ;;
	--shot) SHOT=$2 ;;
	*) echo "run-page-test.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift 2
done
fail() { echo "not ok - $*"; echo "0 passed, 1 failed"; exit 1; }

[ -n "${ARCHIVED_PAGE_PASSWORD:-}" ] || fail "no password (ARCHIVED_PAGE_PASSWORD)"
CHROMIUM=$(command -v chromium || true)
[ -n "$CHROMIUM" ] || fail "Debian's chromium is not installed (scripts/deps.sh --test installs it)"
command -v node >/dev/null && command -v npm >/dev/null || fail "node and npm are not installed"
if [ -z "$WORK" ]; then
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/archived-page.XXXXXX")
fi
mkdir -p "$WORK/deps" "$WORK/screenshots"
WORK=$(cd "$WORK" && pwd)

# The pinned packages; nothing else is fetched (playwright-core downloads
# no browser by itself, and none is asked for).
if ! cmp -s "$here/package-lock.json" "$WORK/deps/package-lock.json" || [ ! -d "$WORK/deps/node_modules/playwright-core" ]; then
	cp "$here/package.json" "$here/package-lock.json" "$WORK/deps/"
	(cd "$WORK/deps" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) \
		>"$WORK/npm.log" 2>&1 || { cat "$WORK/npm.log"; fail "npm ci in $WORK/deps"; }
fi

set +e
NODE_PATH="$WORK/deps/node_modules" node "$here/check-page.js" --base "$BASE" --login "$LOGIN" \
	--tz "$TZNAME" --out "$WORK/screenshots" --chromium "$CHROMIUM" \
	--pusher-js "$WORK/deps/node_modules/pusher-js/dist/web/pusher.min.js" ${SHOT:+--shot "$SHOT"}
status=$?
set -e
exit $status
