#!/bin/bash
# archivectl's foundation commands: what scripts capture, and clear errors.
. "$(dirname "$0")/lib.sh"

write_config
# Before init there is no database, and --help must not need one.
out=$(ctl segments import --help 2>&1) && rc=0 || rc=$?
expect_eq "--help works before init" 0 "$rc"
check "--help shows the usage" grep -q '^usage: archivectl segments import' <<<"$out"
out=$(ctl init 2>&1)
if [ -z "$DB_URL" ]; then
	check "init creates the database" test -f "$T/data/archived.db"
else
	check "init creates no SQLite file" test ! -e "$T/data/archived.db"
	check "init says the database without its query" grep -q "database 'postgresql:///archived' at schema" <<<"$out"
fi
check "init creates the downloads directory" test -d "$T/data/downloads"
ctl init 2>/dev/null
check "init twice is fine" test "$(sql 'SELECT version FROM schema_version')" -ge 1
KEY1=$(sql "SELECT value FROM settings WHERE name='url_key'")
ctl init 2>/dev/null
expect_eq "init keeps the generated url_key" "$KEY1" "$(sql "SELECT value FROM settings WHERE name='url_key'")"
[ -n "$DB_URL" ] || expect_eq "journal mode WAL" wal "$(sql 'PRAGMA journal_mode')"

# An older schema: programs refuse it, init upgrades it in place. SQLite
# goes back to version 1; PostgreSQL, first supported at 8, to 8.
LATEST=$(sql 'SELECT version FROM schema_version')
V9_DOWN="DROP TABLE nodes; ALTER TABLE streams DROP COLUMN node;
	ALTER TABLE downloads DROP COLUMN node; DROP TABLE daemons;"
if [ -z "$DB_URL" ]; then
	sql "$V9_DOWN DROP INDEX downloads_user_condition; DROP INDEX tokens_revoked;
		DROP INDEX tokens_expires; ALTER TABLE downloads DROP COLUMN hidden_at;
		DROP INDEX downloads_finished; ALTER TABLE downloads DROP COLUMN claimed_at;
		ALTER TABLE downloads DROP COLUMN finished_at; ALTER TABLE downloads DROP COLUMN export_us;
		ALTER TABLE downloads DROP COLUMN link_key;
		DROP TABLE push_grants; DROP INDEX segments_stream_end;
		UPDATE schema_version SET version = 1"
else
	sql "$V9_DOWN CREATE TABLE daemons(name TEXT NOT NULL, host TEXT NOT NULL,
		pid BIGINT NOT NULL, started_at BIGINT NOT NULL, beat_at BIGINT NOT NULL,
		stats TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (name, host));
		UPDATE schema_version SET version = 8"
fi
out=$(ctl user list 2>&1) && rc=0 || rc=$?
check "a program refuses an older schema" test "$rc" -ne 0
check "and says to run init" grep -q "run 'archivectl init'" <<<"$out"
ctl init 2>/dev/null
expect_eq "init upgrades to the latest version" "$LATEST" "$(sql 'SELECT version FROM schema_version')"
if [ -z "$DB_URL" ]; then
	expect_eq "the upgrade ran the migrations" 3 \
		"$(sql "SELECT count(*) FROM sqlite_master WHERE name IN
			('downloads_user_condition', 'tokens_revoked', 'tokens_expires')")"
	expect_eq "versions 4 to 9 added their columns, tables and index" "5 4 1" \
		"$(sql "SELECT (SELECT count(*) FROM pragma_table_info('downloads') WHERE name IN
			('hidden_at', 'claimed_at', 'finished_at', 'export_us', 'link_key')) || ' ' ||
			(SELECT count(*) FROM sqlite_master WHERE name IN ('daemons', 'push_grants',
			'segments_stream_end', 'nodes')) || ' ' ||
			(SELECT count(*) FROM pragma_table_info('daemons') WHERE name='node')")"
else
	expect_eq "version 9 added the nodes, and a node to streams, downloads, daemons" "1 3" \
		"$(sql "SELECT (SELECT count(*) FROM information_schema.tables WHERE table_name='nodes')
			|| ' ' || (SELECT count(*) FROM information_schema.columns WHERE column_name='node'
			AND table_name IN ('streams', 'downloads', 'daemons'))")"
fi
expect_eq "and kept the data" "$KEY1" "$(sql "SELECT value FROM settings WHERE name='url_key'")"

TOKEN=$(ctl token create --user alice)
check "token create prints <id>|<40 characters> alone" grep -Eqx '[0-9]+\|[A-Za-z0-9]{40}' <<<"$TOKEN"
expect_eq "token create made the user" alice "$(sql 'SELECT login FROM users')"
SECRET=${TOKEN#*|}
if [ -z "$DB_URL" ]; then
	check "the secret is not stored" sh -c "! sqlite3 '$T/data/archived.db' .dump | grep -q '$SECRET'"
else
	check "the secret is not stored" sh -c "! '$PG_BIN/pg_dump' '$DB_URL' | grep -q '$SECRET'"
fi
HASH=$(printf '%s' "$SECRET" | sha256sum | cut -d' ' -f1)
expect_eq "only SHA-256 of the secret is stored" "$HASH" \
	"$(if [ -z "$DB_URL" ]; then sql "SELECT lower(hex(secret_hash)) FROM tokens WHERE id=${TOKEN%%|*}";
	else sql "SELECT encode(secret_hash, 'hex') FROM tokens WHERE id=${TOKEN%%|*}"; fi)"
ctl token create --user alice --admin >/dev/null
expect_eq "--admin makes an existing user admin" 1 "$(sql "SELECT is_admin FROM users WHERE login='alice'")"

ID=$(printf 'pw one two\n' | ctl user add --login bob --name "Bob" --password-stdin)
check "user add prints the id alone" grep -Eqx '[0-9]+' <<<"$ID"
check "password stored as scrypt" grep -q '^\$scrypt\$' <<<"$(sql "SELECT password_hash FROM users WHERE id=$ID")"
out=$(printf 'x\n' | ctl user add --login bob --password-stdin 2>&1) && rc=0 || rc=$?
check "a second user add of the same login fails" test "$rc" -ne 0
check "it names --login" grep -q -- '--login' <<<"$out"

CAM=$(ctl camera add --name "Gate" --group "Outside" --address "City, Street 2")
check "camera add prints the id" grep -Eqx '[0-9]+' <<<"$CAM"
S=$(ctl stream add --camera "$CAM" --type high --url 'rtsp://root:pa:ss@w0rd@10.0.0.9/main')
check "stream add prints the id" grep -Eqx '[0-9]+' <<<"$S"
expect_eq "the stream URL is stored as given" 'rtsp://root:pa:ss@w0rd@10.0.0.9/main' \
	"$(sql "SELECT url FROM streams WHERE id=$S")"
out=$(ctl stream list)
check "stream list shows the URL without credentials" grep -q 'rtsp://10.0.0.9/main' <<<"$out"
check "stream list never shows the password" lacks w0rd "$out"
out=$(ctl --json camera list)
expect_eq "camera list --json" "rtsp://10.0.0.9/main" "$(jq -r '.[0].streams[0].url' <<<"$out")"
check "camera list never shows the password" lacks w0rd "$out"

# Bad input: one line naming the argument, non-zero status, nothing written.
ROWS=$(sql "SELECT (SELECT count(*) FROM streams) || '/' || (SELECT count(*) FROM cameras)")
ctl_bad "stream add without --camera" --camera stream add --type high --url rtsp://x/y
ctl_bad "stream add with a bad camera id" "--camera: 'x'" stream add --camera x --type high --url rtsp://x/y
ctl_bad "stream add with an unknown camera" "no camera 99" stream add --camera 99 --type high --url rtsp://x/y
ctl_bad "stream add with a bad type" --type stream add --camera "$CAM" --type middle --url rtsp://x/y
ctl_bad "stream add with a bad url" --url stream add --camera "$CAM" --type low --url nonsense
ctl_bad "stream add of a second high stream" "already has a high stream" stream add --camera "$CAM" --type high --url rtsp://x/y
ctl_bad "camera add without --name" --name camera add --address x
ctl_bad "token create without --user" --user token create
ctl_bad "token revoke of a bad id" ID token revoke abc
ctl_bad "unknown command" "unknown command" frobnicate
ctl_bad "unknown option" "unknown option '--nmae'" camera add --nmae x
expect_eq "nothing written by bad commands" "$ROWS" \
	"$(sql "SELECT (SELECT count(*) FROM streams) || '/' || (SELECT count(*) FROM cameras)")"
out=$(ctl stream add --help)
check "--help on a command shows its usage" grep -q -- '--camera ID --type high|low --url URL' <<<"$out"

finish
