#!/bin/bash
# The README's first command, checked as a new user would use it: run
# scripts/quickstart.sh, ask for an export of the demo camera with the curl
# it prints, receive the push with the watcher it names, download the pushed
# link, open the operator page it prints with the login and password it
# prints (the browser test, tests/page/run-page-test.sh, in Debian's
# Chromium), and stop. Run by scripts/test.sh after "make check" (it installs
# into /usr/local and starts services, so it is not part of make check).
# The page test's screenshots stay in build-quickstart/page-test/screenshots.
set -eu
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
trap 'bash scripts/quickstart.sh stop >/dev/null 2>&1 || true; rm -rf "$T"' EXIT

bash scripts/quickstart.sh > "$T/out" 2>&1 || { cat "$T/out"; not_ok "quickstart.sh ran"; echo "$PASSED passed, $FAILED failed"; exit 1; }
ok "quickstart.sh ran"
bash scripts/quickstart.sh > "$T/out2" 2>&1 && ok "running it again works" || not_ok "running it again works"
check "the second run reuses the demo camera" sh -c "! grep -q '^==> demo camera' '$T/out2'"
TOKEN=$(sed -n "s/^  TOKEN='\(.*\)'$/\1/p" "$T/out2")
CURL=$(sed -n '/^  curl -s -H "Authorization: Bearer \$TOKEN" -H/,/downloads$/p' "$T/out2" | sed 's/\\$//' | tr '\n' ' ')
WATCH=$(sed -n 's/^  \(.*watch-push.py.*\)$/\1/p' "$T/out2")
check "it printed a token" grep -Eq '^[0-9]+\|[A-Za-z0-9]{40}$' <<<"$TOKEN"
check "it printed a curl for an export" test -n "$CURL"
check "it printed how to watch the push" test -n "$WATCH"
export TOKEN

# The watcher first, as the instructions say; then the printed curl.
eval "$WATCH --until archive_generated --json --timeout 120" > "$T/push" 2>"$T/push.err" &
W=$!
sleep 2
eval "$CURL" > "$T/created"
check "the export was accepted" test "$(jq -r .condition "$T/created")" = pending
ID=$(jq -r .id "$T/created")
wait "$W" && ok "a push arrived" || { not_ok "a push arrived"; cat "$T/push.err"; }
jq -c 'select(.data.data.type == "archive_generated")' "$T/push" > "$T/generated" || true
check "it is archive_generated, ok, for this download" test \
	"$(jq -r '"\(.data.data.status) \(.data.data.data.download.id)"' "$T/generated")" = "ok $ID"
[ "$(jq -r .data.data.status "$T/generated")" = ok ] || { echo "# events received:"; sed 's/^/#   /' "$T/push"; }
URL=$(jq -r .data.data.data.url "$T/generated" || true)
code=$(curl -s -o "$T/got.mp4" -w '%{http_code}' "$URL" || true)
check "the pushed link downloads without a token" test "$code" = 200
d=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$T/got.mp4" || true)
check "a minute of video (got $d s)" awk -v d="$d" 'BEGIN { exit !(d > 59.9 && d < 60.1) }'
check "it plays without an error" test -z "$(ffmpeg -nostdin -v error -i "$T/got.mp4" -f null - 2>&1)"

# The operator page, at the address and with the login it printed.
PAGE_URL=$(sed -n '/^The operator page/,/^$/s|^  \(https\{0,1\}://[^ ]*\)$|\1|p' "$T/out2" | head -1)
PAGE_LOGIN=$(sed -n 's/^  login: \(.*\)$/\1/p' "$T/out2" | head -1)
PAGE_PASSWORD=$(sed -n 's/^  password: \([A-Za-z0-9]\{12,\}\)$/\1/p' "$T/out2" | head -1)
check "it printed the operator page's address" test -n "$PAGE_URL"
check "and a login with a password for it" test -n "$PAGE_LOGIN" -a -n "$PAGE_PASSWORD"
code=$(curl -s -o "$T/index.html" -w '%{http_code}' "$PAGE_URL" || true)
check "the page is served there" sh -c "[ '$code' = 200 ] && cmp -s '$T/index.html' www/index.html"
tz=$(sed -n 's/^timezone = "\(.*\)";$/\1/p' /etc/archived/archived.conf | head -1)
ARCHIVED_PAGE_PASSWORD=$PAGE_PASSWORD bash tests/page/run-page-test.sh --base "${PAGE_URL%/}" \
	--login "$PAGE_LOGIN" --tz "${tz:-UTC}" --work build-quickstart/page-test > "$T/page" 2>&1 || true
# Its checks count as this script's (its own summary line is not the last).
sed '$d' "$T/page"
line=$(tail -1 "$T/page")
if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
	echo "# the page's browser test: $line"
	PASSED=$((PASSED + BASH_REMATCH[1]))
	FAILED=$((FAILED + BASH_REMATCH[2]))
else
	echo "# $line"
	not_ok "the page's browser test ran to its end"
fi

bash scripts/quickstart.sh stop >/dev/null && ok "the stop command works" || not_ok "the stop command works"
check "nothing left listening on 8080" sh -c "! curl -s -o /dev/null http://127.0.0.1:8080/"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
