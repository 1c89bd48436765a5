#!/bin/bash
# Password logins under a flood, through lighttpd: every attempt costs a
# slow hash, so the per-login limit holds under parallel attempts (counted
# and checked in one transaction), one address is limited per minute, and
# the host hashes at most login_concurrency passwords at once (429 with
# Retry-After: 1 past that) while a real user still gets in.
. "$(dirname "$0")/lib.sh"

setup
start_lighttpd
printf 'correct horse\n' | ctl user add --login erin --password-stdin >/dev/null
printf 'another pass\n' | ctl user add --login frank --password-stdin >/dev/null

# login BODY OUT: one login, its status and Retry-After in OUT.
login_to() {
	curl -s -o /dev/null -D "$2.h" -w '%{http_code}\n' -H 'Content-Type: application/json' \
		-d "$1" "$BASE/api/admin/v1/auth/token" > "$2"
}

# --- 40 wrong passwords for one login at once: exactly login_failures
# (5) are evaluated, the rest are 429.
write_config "login_rate = 100000;" "login_concurrency = 64;"
for i in $(seq 1 40); do
	login_to '{"login": "erin", "password": "wrong"}' "$T/p.$i" &
done
wait
expect_eq "40 parallel wrong passwords: 5 evaluated (422)" 5 "$(cat "$T"/p.* | grep -c '^422$')"
expect_eq "and 35 refused (429)" 35 "$(cat "$T"/p.* | grep -c '^429$')"
expect_eq "the right password is refused too while locked" 429 \
	"$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-d '{"login": "erin", "password": "correct horse"}' "$BASE/api/admin/v1/auth/token")"

# --- one address: login_rate attempts a minute, whatever the names.
write_config "login_rate = 10;" "login_concurrency = 64;"
sql "DELETE FROM rate_hits"	# the 40 above counted too
for i in $(seq 1 12); do
	login_to "{\"login\": \"nobody$i\", \"password\": \"x\"}" "$T/a.$i"
done
expect_eq "10 attempts from one address evaluated" 10 "$(cat "$T"/a.* | grep -c '^422$')"
expect_eq "the 11th and 12th: 429" 2 "$(cat "$T"/a.* | grep -c '^429$')"
check "with Retry-After" grep -qi '^Retry-After: 60' "$T/a.12.h"

# --- the host hashes one password at a time: a flood of 16 distinct
# unknown names gets 429 with Retry-After: 1 for what does not fit, and a
# real user who retries as told gets in meanwhile.
write_config "login_rate = 100000;" "login_concurrency = 1;"
for i in $(seq 1 16); do
	login_to "{\"login\": \"flood$i\", \"password\": \"x\"}" "$T/f.$i" &
done
ok=0
for _ in $(seq 1 100); do
	code=$(curl -s -o "$T/body" -w '%{http_code}' -H 'Content-Type: application/json' \
		-d '{"login": "frank", "password": "another pass"}' "$BASE/api/admin/v1/auth/token")
	[ "$code" = 200 ] && { ok=1; break; }
	sleep 0.1
done
wait
check "a flood of logins past the host's bound gets 429" grep -q '^429$' "$T"/f.*
check "with Retry-After: 1" sh -c "grep -li '^Retry-After: 1' '$T'/f.*.h | grep -q ."
expect_eq "the real user got in during the flood" 1 "$ok"
check "and got a token" test -n "$(jbody .access_token)"

finish
