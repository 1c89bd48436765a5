/*
 * fuzz_pusher: client messages into the push hub, as archive-pushd hands
 * them over from libwebsockets: hub_conn_new() per connection, then
 * hub_conn_receive() per frame (whole or in pieces), with the hub's
 * session rules (session.c), protocol parsing (proto.c), channel index
 * and queues (hub.c) and delivery from the events table (outbox.c) on a
 * real SQLite database, as tests/unit/test_pusher_hub.c drives them.
 *
 * Input: lines, each "<conn><op><payload>" for connections 0-3 (a line
 * that does not start so is one whole message for connection 0):
 *	>	a whole message (the final frame)
 *	+	a piece of one (more frames follow)
 *	!	(re)connect: "<protocol version>[ <app key>]"; a connection
 *		used before it is opened gets version 7 and the right key
 *	-	the connection goes away (hub_conn_free)
 *	q	its queue is written out
 *	t	hub_tick, payload seconds later
 *	e	an event of type payload is committed and delivered
 *	r	revoked tokens' channels are closed (hub_drop_revoked)
 * "@SIG:<channel>@" in a message becomes the valid "<key>:<signature>"
 * of this connection's socket id for channel, signed and granted (for a
 * user's channel, to that user's token) as POST /api/v1/broadcasting/auth
 * does; the database has users 1 and 2 with tokens 10 and 11, 12 revoked
 * and 13 expired, and some events.
 *
 * Invariants: every message queued is one JSON object of the length it
 * says; the hub's counts come back to zero when the connections go
 * (nothing leaks: LeakSanitizer checks); a closed connection takes no
 * more messages; no JSON value is written to after it was freed
 * (fuzz_json_check).
 */
#include "config.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/pushd/hub.h"
#include "lib/conf.h"
#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/db_sqlite.h"
#include "lib/log.h"
#include "lib/util.h"
#include "fuzz.h"

#define NCONN	4

static struct conf *conf;
static struct db *template_db, *db;
static int wakes;
static int print_messages;	/* FUZZ_PRINT=1: show what each connection is sent */

static void
fake_wake(void *handle)
{
	(void)handle;
	wakes++;
}

static void
sql(struct db *h, const char *text)
{
	if (db_exec(h, text) == -1) {
		fprintf(stderr, "fuzz_pusher: setup failed: %s\n", text);
		abort();
	}
}

/* db becomes a copy of the template. Each input then runs in a
 * transaction rolled back at its end, so that each starts from the
 * template (the hub itself never opens one; only the "e" op writes). */
static void
copy_template(void)
{
	sqlite3_backup *b = sqlite3_backup_init(db_sqlite_handle(db), "main",
	    db_sqlite_handle(template_db), "main");

	FUZZ_CHECK(b != NULL);
	FUZZ_CHECK(sqlite3_backup_step(b, -1) == SQLITE_DONE);
	FUZZ_CHECK(sqlite3_backup_finish(b) == SQLITE_OK);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];
	int64_t now = now_us();
	char text[1024];

	(void)argc;
	(void)argv;
	fuzz_json_watch();	/* first: before jansson allocates anything */
	print_messages = getenv("FUZZ_PRINT") != NULL;
	log_set_level(LOG_LVL_ERROR);
	if ((conf = conf_load(NULL, 0, err, sizeof(err))) == NULL)
		abort();
	/* Small limits, so that short inputs reach them. */
	conf->pusher.max_frame = 2048;
	conf->pusher.max_connections_per_user = 2;
	if ((template_db = db_open(":memory:", 1)) == NULL || db_migrate(template_db) == -1 ||
	    db_init_secrets(template_db) == -1 || db_load_secrets(template_db, conf) == -1)
		abort();
	snprintf(text, sizeof(text),
	    "INSERT INTO users(id, login, created_at, updated_at) VALUES"
	    " (1, 'bob', 0, 0), (2, 'eve', 0, 0);"
	    "INSERT INTO tokens(id, user_id, secret_hash, created_at, revoked_at, expires_at)"
	    " VALUES (10, 1, x'00', 0, NULL, NULL), (11, 2, x'00', 0, NULL, %lld),"
	    " (12, 1, x'00', 0, 5, NULL), (13, 2, x'00', 0, NULL, 1);",
	    (long long)(now + 86400 * USEC_PER_SEC));
	sql(template_db, text);
	sql(template_db,
	    "INSERT INTO events(user_id, token_id, download_id, type, payload, created_at)"
	    " VALUES (1, 10, 1, 'archive_generated', '{\"type\":\"archive_generated\","
	    "\"status\":\"ok\",\"data\":{\"url\":null}}', 0),"
	    " (1, 10, 1, 'archive_progress', '{\"type\":\"archive_progress\"}', 0),"
	    " (1, 10, 1, 'archive_progress', '{\"type\":\"archive_progress\",\"p\":2}', 0),"
	    " (2, 11, 2, 'archive_expired', '{\"type\":\"archive_expired\"}', 0),"
	    " (1, NULL, 3, 'archive_expired', 'not json', 0);");
	if ((db = db_open(":memory:", 1)) == NULL)
		abort();
	copy_template();
	return 0;
}

/* Write out conn's queue as the daemon does, checking each message. */
static void
drain(struct hub_conn *c)
{
	struct pmsg *m;

	while ((m = hub_conn_peek(c)) != NULL) {
		const char *text = (const char *)pmsg_text(m);
		json_t *o;

		FUZZ_CHECK(strlen(text) == m->len);
		if (print_messages)
			fprintf(stderr, "%s <- %s\n", c->socket_id, text);
		o = json_loads(text, 0, NULL);
		FUZZ_CHECK(json_is_object(o));
		json_decref(o);
		hub_conn_pop(c);
	}
}

/* What POST .../broadcasting/auth records besides the signature: which
 * token may subscribe this socket to a user's channel (user 1's token
 * 10, user 2's token 11; any other, revoked token 12). */
static void
grant(const struct hub_conn *c, const char *chan)
{
	struct db_stmt *st = db_prepare(db, "INSERT OR REPLACE INTO push_grants(socket_id,"
	    " channel, token_id, created_at) VALUES (?1, ?2, CASE ?2"
	    " WHEN 'private-user.1' THEN 10 WHEN 'private-user.2' THEN 11 ELSE 12 END, ?3)");

	FUZZ_CHECK(st != NULL);
	db_bind_text(st, 1, c->socket_id);
	db_bind_text(st, 2, chan);
	db_bind_int64(st, 3, now_us());
	(void)db_step_done(st);		/* not UTF-8: refused, as by the API */
	db_finalize(st);
}

/* The message with every "@SIG:<channel>@" signed for c, as POST
 * .../broadcasting/auth signs and grants it. */
static char *
substitute(const struct hub_conn *c, const char *p, size_t n)
{
	const char *end = p + n;
	struct buf b;

	buf_init(&b);
	while (p < end) {
		const char *at = memmem(p, (size_t)(end - p), "@SIG:", 5), *close;
		char chan[256], msg[512], mac[65];
		size_t clen;

		if (at == NULL || (close = memchr(at + 5, '@', (size_t)(end - at - 5))) == NULL ||
		    (clen = (size_t)(close - at - 5)) >= sizeof(chan)) {
			buf_add(&b, p, (size_t)(end - p));
			break;
		}
		buf_add(&b, p, (size_t)(at - p));
		memcpy(chan, at + 5, clen);
		chan[clen] = '\0';
		snprintf(msg, sizeof(msg), "%s:%s", c->socket_id, chan);
		hmac_sha256_hex(conf->pusher.secret, msg, mac);
		buf_printf(&b, "%s:%s", conf->pusher.key, mac);
		grant(c, chan);
		p = close + 1;
	}
	return buf_detach(&b);
}

static struct hub_conn *
conn_open(struct hub *h, const char *arg, size_t n)
{
	char buf[128], *sp;
	const char *key = conf->pusher.key;
	int64_t v = 7;

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, arg, n);
	buf[n] = '\0';
	if ((sp = strchr(buf, ' ')) != NULL) {
		*sp = '\0';
		if (strcmp(sp + 1, "*") != 0)
			key = sp + 1;
	}
	if (buf[0] != '\0')
		v = proto_client_version(buf, NULL);
	return hub_conn_new(h, NULL, key, strlen(key), (int)v);
}

static void
add_event(struct hub *h, const char *type, size_t n)
{
	struct db_stmt *st = db_prepare(db, "INSERT INTO events(user_id, token_id,"
	    " download_id, type, payload, created_at) VALUES (1, 10, 1, ?1,"
	    " json_object('type', ?1, 'status', 'ok'), 0)");

	FUZZ_CHECK(st != NULL);
	db_bind_textn(st, 1, type, n);
	(void)db_step_done(st);		/* not UTF-8: refused, as a bad row */
	db_finalize(st);
	FUZZ_CHECK(hub_deliver(h) >= 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hub_conn *conns[NCONN] = { NULL };
	const char *p = (const char *)data, *end = p + size;
	struct hub *h;

	if (size > 16384)
		return -1;
	FUZZ_CHECK(db_exec(db, "BEGIN") == 0);
	FUZZ_CHECK((h = hub_new(db, conf, fake_wake)) != NULL);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *line = p;
		int i = 0;
		char op = '>';

		p = nl ? nl + 1 : end;
		if (n >= 2 && line[0] >= '0' && line[0] < '0' + NCONN) {
			i = line[0] - '0';
			op = line[1];
			line += 2;
			n -= 2;
		}
		if (op == '!') {
			hub_conn_free(conns[i]);
			conns[i] = conn_open(h, line, n);
			FUZZ_CHECK(conns[i] != NULL);
			continue;
		}
		if (op == 't') {
			int64_t secs = 0;

			for (size_t k = 0; k < n && k < 6 && line[k] >= '0' && line[k] <= '9'; k++)
				secs = secs * 10 + (line[k] - '0');
			hub_tick(h, mono_us() + secs * USEC_PER_SEC);
			continue;
		}
		if (op == 'e') {
			add_event(h, line, n);
			continue;
		}
		if (op == 'r') {
			FUZZ_CHECK(hub_drop_revoked(h, 0, now_us()) >= 0);
			continue;
		}
		if (conns[i] == NULL)
			FUZZ_CHECK((conns[i] = conn_open(h, "", 0)) != NULL);
		switch (op) {
		case '-':
			hub_conn_free(conns[i]);
			conns[i] = NULL;
			break;
		case 'q':
			drain(conns[i]);
			break;
		case '>':
		case '+': {
			char *msg = substitute(conns[i], line, n);
			int closed = conns[i]->close_code != 0;
			int rc = hub_conn_receive(conns[i], msg, strlen(msg), op == '>');

			FUZZ_CHECK(rc == 0 || rc == -1);
			FUZZ_CHECK(rc == -1 || conns[i]->close_code == 0);
			FUZZ_CHECK(!closed || rc == -1);
			free(msg);
			break;
		}
		default:
			break;
		}
	}
	for (int i = 0; i < NCONN; i++)
		if (conns[i] != NULL) {
			FUZZ_CHECK(conns[i]->n_subs <= HUB_MAX_SUBS);
			drain(conns[i]);
			hub_conn_free(conns[i]);
		}
	FUZZ_CHECK(h->n_conns == 0);
	/* Every channel and per-user count went with its connections. */
	FUZZ_CHECK(h->n_entries == 0);
	hub_free(h);
	FUZZ_CHECK(db_exec(db, "ROLLBACK") == 0);
	fuzz_json_check();
	return 0;
}
