/*
 * fuzz_router: one whole HTTP request through the responder as the
 * FastCGI loop runs it (request_init, route_dispatch, request_send,
 * request_release), with a real SQLite database so the handlers run for
 * real: users, tokens, cameras, streams, segments and downloads in every
 * condition.
 *
 * Input: an HTTP/1.1 request as a client writes it:
 *
 *	METHOD URI[ HTTP/1.1]
 *	Header: value		(Content-Type, Content-Length, Authorization...)
 *	<empty line>
 *	body
 *
 * Headers become the CGI variables a web server sets (HTTP_*, CONTENT_TYPE,
 * CONTENT_LENGTH; "Remote-Addr:" sets REMOTE_ADDR, else 127.0.0.1).
 * Without a Content-Length the body's length is given, as a server does.
 * Tokens that authenticate: FUZZ_ADMIN_TOKEN and FUZZ_USER_TOKEN below;
 * users admin and operator have the password "secret".
 *
 * Each input starts from the same database (a copy of a template made
 * once), so inputs do not depend on each other. After each request:
 * no transaction is left open, no statement is left stepping (it would
 * pin a read snapshot for the process's life), the number of statements
 * does not grow, a response was written whose JSON body parses, and no
 * JSON value was written to after it was freed (fuzz_json_check).
 *
 * scrypt is replaced by a fast stand-in (below): libcrypto's KDF is not
 * under test, and at its real cost (~100 ms) the login routes would
 * starve everything else. Everything else is the code the responder runs.
 */
#include "config.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cgi-bin/handlers.h"
#include "cgi-bin/http.h"
#include "lib/conf.h"
#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/db_sqlite.h"
#include "lib/log.h"
#include "lib/util.h"
#include "fuzz.h"

#define FUZZ_ADMIN_SECRET	"adminadminadminadminadminadminadminadmin"
#define FUZZ_USER_SECRET	"operatoroperatoroperatoroperatoroperator"
#define FUZZ_ADMIN_TOKEN	"1|" FUZZ_ADMIN_SECRET
#define FUZZ_USER_TOKEN		"2|" FUZZ_USER_SECRET
#define BASE_US			(1768471200LL * USEC_PER_SEC)	/* 2026-01-15 10:00 UTC */
#define MAX_HEADERS		24
#define STMT_LIMIT		200	/* the statement cache holds 96 */

/*
 * The stand-in for scrypt: a salted SHA-256 of the password, so that
 * password_hash() and password_verify() agree and a wrong password fails.
 * Defined here, it takes the place of libcrypto's for crypto.c.
 */
int
EVP_PBE_scrypt(const char *pass, size_t passlen, const unsigned char *salt,
    size_t saltlen, uint64_t N, uint64_t r, uint64_t p, uint64_t maxmem,
    unsigned char *key, size_t keylen)
{
	unsigned char h[SHA256_LEN];
	struct buf b;

	(void)N;
	(void)r;
	(void)p;
	(void)maxmem;
	buf_init(&b);
	if (buf_add(&b, salt, saltlen) == -1 || buf_add(&b, pass, passlen) == -1)
		abort();
	sha256(b.data, b.len, h);
	buf_release(&b);
	for (size_t i = 0; i < keylen; i++)
		key[i] = h[i % SHA256_LEN];
	return 1;
}

static struct conf *conf;
static struct db *template_db, *db;
static int print_responses;	/* FUZZ_PRINT=1: show each response */

static void
sql(struct db *h, const char *text)
{
	if (db_exec(h, text) == -1) {
		fprintf(stderr, "fuzz_router: setup failed: %s\n", text);
		abort();
	}
}

static void
add_token(int64_t id, int64_t user, const char *secret, const char *extra)
{
	unsigned char hash[SHA256_LEN];
	char text[512];
	struct db_stmt *st;

	sha256(secret, TOKEN_SECRET_LEN, hash);
	snprintf(text, sizeof(text), "INSERT INTO tokens(id, user_id, secret_hash, name,"
	    " expires_at, revoked_at, created_at) VALUES (%lld, %lld, ?, 'fuzz', %s, 0)",
	    (long long)id, (long long)user, extra);
	st = db_prepare(template_db, text);
	if (st == NULL)
		abort();
	db_bind_blob(st, 1, hash, sizeof(hash));
	if (db_step_done(st) == -1)
		abort();
	db_finalize(st);
}

/* The world every request starts from. */
static void
make_template(void)
{
	char text[2048], *hash;
	struct db_stmt *st;
	int64_t now = now_us();

	if ((template_db = db_open(":memory:", 1)) == NULL || db_migrate(template_db) == -1 ||
	    db_init_secrets(template_db) == -1 || db_load_secrets(template_db, conf) == -1)
		abort();
	sql(template_db,
	    "INSERT INTO users(id, login, name, is_admin, created_at, updated_at) VALUES"
	    " (1, 'admin', 'Admin', 1, 0, 0), (2, 'operator', 'Operator', 0, 0, 0),"
	    " (3, 'viewer', 'Viewer', 0, 0, 0), (4, 'other', 'Other', 0, 0, 0);"
	    "INSERT INTO camera_groups(id, name, created_at) VALUES (1, 'Lobby', 0);"
	    "INSERT INTO cameras(id, group_id, name, address, created_at, updated_at) VALUES"
	    " (1, 1, 'Front door', 'cam1.local', 0, 0), (2, NULL, 'Back', '', 0, 0),"
	    " (3, 1, 'Gone', '', 0, 0);"
	    "UPDATE cameras SET deleted_at = 1 WHERE id = 3;"
	    "INSERT INTO streams(id, camera_id, type, url, uuid, created_at, updated_at) VALUES"
	    " (1, 1, 'high', 'rtsp://admin:pw@10.0.0.5/s1?usr=a&pw=b', 'u1', 0, 0),"
	    " (2, 1, 'low', 'rtsp://10.0.0.5/s2', 'u2', 0, 0),"
	    " (3, 2, 'high', 'http://cam2/axis-cgi/mjpg?user=x&password=y', 'u3', 0, 0);");
	hash = password_hash("secret");
	st = db_prepare(template_db, "UPDATE users SET password_hash=? WHERE id IN (1, 2)");
	if (hash == NULL || st == NULL)
		abort();
	db_bind_text(st, 1, hash);
	if (db_step_done(st) == -1)
		abort();
	db_finalize(st);
	free(hash);
	add_token(1, 1, FUZZ_ADMIN_SECRET, "NULL, NULL");
	add_token(2, 2, FUZZ_USER_SECRET, "NULL, NULL");
	add_token(3, 3, "viewerviewerviewerviewerviewerviewerview", "1, NULL");	/* expired */
	add_token(4, 2, "revokedrevokedrevokedrevokedrevokedrevok", "NULL, 5");	/* revoked */
	snprintf(text, sizeof(text),
	    "INSERT INTO segments(stream_id, path, start_us, end_us, bytes, codec, width,"
	    " height, has_audio, created_at) VALUES"
	    " (1, '/rec/seg000.ts', %lld, %lld, 438416, 'h264', 320, 240, 1, 0),"
	    " (1, '/rec/seg001.ts', %lld, %lld, 454960, 'h264', 320, 240, 1, 0),"
	    " (1, '/rec/seg003.ts', %lld, %lld, 434468, 'h264', 320, 240, 1, 0),"
	    " (3, '/rec/b/seg000.mp4', %lld, %lld, 400000, 'hevc', 640, 480, 0, 0);",
	    BASE_US, BASE_US + 4000000, BASE_US + 4000000, BASE_US + 8000000,
	    BASE_US + 14000000, BASE_US + 18000000, BASE_US, BASE_US + 4000000);
	sql(template_db, text);
	snprintf(text, sizeof(text),
	    "INSERT INTO downloads(id, user_id, token_id, stream_id, from_us, to_us, name,"
	    " path, condition, is_file_exists, progress, size, duration_us, coverage,"
	    " error_code, error_message, created_at, updated_at, expires_at) VALUES"
	    " (1, 2, 2, 1, %lld, %lld, 'Front door, file.mp4', '1-abc.mp4', 'active', 1,"
	    "  100, 1234, 8000000, '[[%lld,%lld]]', NULL, NULL, 0, 0, %lld),"
	    " (2, 2, 2, 1, %lld, %lld, 'p.mp4', NULL, 'pending', 0, 0, 0, 0, '[]',"
	    "  NULL, NULL, 0, 0, NULL),"
	    " (3, 2, NULL, 3, %lld, %lld, 'f.mp4', NULL, 'failed', 0, 0, 0, 0, '[]',"
	    "  'no_footage', 'no recording in the range', 0, 0, NULL),"
	    " (4, 1, 1, 1, %lld, %lld, 'c.mp4', NULL, 'cancelled', 0, 0, 0, 0, '[]',"
	    "  NULL, NULL, 0, 0, NULL),"
	    " (5, 1, 1, 2, %lld, %lld, 'r.mp4', '5-def.mp4', 'processing', 0, 40, 0, 0,"
	    "  '[]', NULL, NULL, 0, 0, NULL),"
	    " (6, 4, NULL, 1, %lld, %lld, 'e.mp4', NULL, 'expired', 0, 100, 0, 0, '[]',"
	    "  NULL, NULL, 0, 0, 1);",
	    BASE_US, BASE_US + 8000000, BASE_US, BASE_US + 8000000, now + 86400 * USEC_PER_SEC,
	    BASE_US, BASE_US + 4000000, BASE_US, BASE_US + 4000000,
	    BASE_US, BASE_US + 4000000, BASE_US, BASE_US + 4000000,
	    BASE_US, BASE_US + 4000000);
	sql(template_db, text);
	/* The per-archive link key, where the schema has it (being added). */
	(void)db_exec(template_db, "UPDATE downloads SET link_key ="
	    " 'abcdef0123456789abcdef01' WHERE id = 1");
	sql(template_db,
	    "INSERT INTO events(user_id, token_id, download_id, type, payload, created_at)"
	    " VALUES (2, 2, 1, 'archive_generated', '{\"type\":\"archive_generated\"}', 0);"
	    "INSERT INTO daemons(name, host, pid, started_at, beat_at, stats) VALUES"
	    " ('archived', 'fuzz', 1, 0, 0, '{\"busy\": 1, \"leases_lost\": 0}'),"
	    " ('archive-pushd', 'fuzz', 2, 0, 0, 'not json');");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[4200], text[8400], err[512];
	const char *dir = fuzz_tmpdir();

	(void)argc;
	(void)argv;
	fuzz_json_watch();	/* first: before jansson allocates anything */
	print_responses = getenv("FUZZ_PRINT") != NULL;
	snprintf(path, sizeof(path), "%s/archived.conf", dir);
	snprintf(text, sizeof(text),
	    "data_dir = \"%s\";\n"
	    "timezone = \"Europe/Berlin\";\n"
	    "url_key = \"fuzz-url-key-0123456789\";\n"
	    "log_level = \"error\";\n"
	    "metrics = true;\n"
	    "metrics_allow = \"127.0.0.1/8, ::1, 10.0.0.0/8, 2001:db8::/32\";\n"
	    "max_pending = 3;\n"
	    "login_failures = 2;\n"
	    "wsurl_limit = 2;\n"
	    "max_range = 3600;\n", dir);
	fuzz_write_file(path, text, strlen(text));
	if ((conf = conf_load(path, 1, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_router: %s\n", err);
		abort();
	}
	conf_apply(conf);
	log_set_level(LOG_LVL_ERROR);
	if (mkdir_p(conf->downloads_dir, 0700) == -1 || mkdir_p(conf->run_dir, 0700) == -1)
		abort();
	snprintf(path, sizeof(path), "%s/1-abc.mp4", conf->downloads_dir);
	fuzz_write_file(path, "mp4", 3);
	make_template();
	if ((db = db_open(":memory:", 1)) == NULL)
		abort();
	return 0;
}

/* Start from the template: the whole database copied over db, when the
 * last input changed anything (a copy makes SQLite read the schema again,
 * which would cost more than most requests). */
static void
reset_db(void)
{
	static int64_t changes = -1;
	sqlite3_backup *b;

	if (sqlite3_total_changes64(db_sqlite_handle(db)) == changes)
		return;
	b = sqlite3_backup_init(db_sqlite_handle(db), "main",
	    db_sqlite_handle(template_db), "main");
	FUZZ_CHECK(b != NULL);
	FUZZ_CHECK(sqlite3_backup_step(b, -1) == SQLITE_DONE);
	FUZZ_CHECK(sqlite3_backup_finish(b) == SQLITE_OK);
	changes = sqlite3_total_changes64(db_sqlite_handle(db));
}

struct io {
	char		*env[MAX_HEADERS + 4][2];
	size_t		 nenv;
	const char	*body;
	size_t		 len, pos;
	int		 wrote;
	struct buf	 out;
};

static const char *
io_param(void *ctx, const char *name)
{
	struct io *u = ctx;

	for (size_t i = 0; i < u->nenv; i++)
		if (strcmp(u->env[i][0], name) == 0)
			return u->env[i][1];
	return NULL;
}

static long
io_read(void *ctx, char *buf, size_t n)
{
	struct io *u = ctx;
	size_t left = u->len - u->pos;

	/* The FastCGI stream hands the body over in records. */
	if (n > 1000)
		n = 1000;
	if (n > left)
		n = left;
	if (n > 0)
		memcpy(buf, u->body + u->pos, n);
	u->pos += n;
	return (long)n;
}

static int
io_write(void *ctx, const char *buf, size_t n)
{
	struct io *u = ctx;

	u->wrote++;
	return buf_add(&u->out, buf, n);
}

static void
env_set(struct io *u, const char *name, const char *value, size_t vlen)
{
	for (size_t i = 0; i < u->nenv; i++)
		if (strcmp(u->env[i][0], name) == 0) {	/* the last one wins */
			free(u->env[i][1]);
			u->env[i][1] = strndup(value, vlen);
			if (u->env[i][1] == NULL)
				abort();
			return;
		}
	if (u->nenv == nitems(u->env))
		return;
	u->env[u->nenv][0] = xstrdup(name);
	u->env[u->nenv][1] = strndup(value, vlen);
	if (u->env[u->nenv][1] == NULL)
		abort();
	u->nenv++;
}

/* "Content-Type" -> CONTENT_TYPE, "X-Foo" -> HTTP_X_FOO. */
static void
cgi_name(const char *h, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	if (!((n == 12 && strncasecmp(h, "Content-Type", 12) == 0) ||
	    (n == 14 && strncasecmp(h, "Content-Length", 14) == 0))) {
		if (n == 11 && strncasecmp(h, "Remote-Addr", 11) == 0) {
			snprintf(out, outlen, "REMOTE_ADDR");
			return;
		}
		o = (size_t)snprintf(out, outlen, "HTTP_");
	}
	for (size_t i = 0; i < n && o + 1 < outlen; i++)
		out[o++] = h[i] == '-' ? '_' : (char)toupper((unsigned char)h[i]);
	out[o] = '\0';
}

/* Split the input into the request line, headers and body. */
static void
parse_input(struct io *u, const char *s, size_t size)
{
	const char *p = s, *end = s + size, *nl, *sp;
	size_t n;
	char name[64], clen[32];
	int have_len = 0;

	nl = memchr(p, '\n', (size_t)(end - p));
	n = nl ? (size_t)(nl - p) : (size_t)(end - p);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	sp = memchr(p, ' ', n);
	env_set(u, "REQUEST_METHOD", p, sp ? (size_t)(sp - p) : n);
	if (sp != NULL) {
		const char *uri = sp + 1, *uend = p + n;
		const char *sp2 = memchr(uri, ' ', (size_t)(uend - uri));

		env_set(u, "REQUEST_URI", uri, (size_t)((sp2 ? sp2 : uend) - uri));
	}
	env_set(u, "REMOTE_ADDR", "127.0.0.1", 9);
	p = nl ? nl + 1 : end;
	while (p < end) {
		const char *colon, *v;

		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0) {		/* the empty line: the body follows */
			p = nl ? nl + 1 : end;
			break;
		}
		if ((colon = memchr(p, ':', n)) != NULL && colon > p) {
			cgi_name(p, (size_t)(colon - p), name, sizeof(name));
			for (v = colon + 1; v < p + n && *v == ' '; v++)
				;
			env_set(u, name, v, (size_t)(p + n - v));
			have_len |= strcmp(name, "CONTENT_LENGTH") == 0;
		}
		p = nl ? nl + 1 : end;
	}
	u->body = p;
	u->len = (size_t)(end - p);
	if (!have_len && u->len > 0) {
		snprintf(clen, sizeof(clen), "%zu", u->len);
		env_set(u, "CONTENT_LENGTH", clen, strlen(clen));
	}
}

/* The invariants a request must leave behind. */
static void
check_after(const struct io *u, const struct request *r)
{
	sqlite3_stmt *st = NULL;
	size_t nstmt = 0;

	FUZZ_CHECK(!db_in_transaction(db));	/* no transaction left open */
	while ((st = sqlite3_next_stmt(db_sqlite_handle(db), st)) != NULL) {
		FUZZ_CHECK(!sqlite3_stmt_busy(st));	/* none left stepping */
		nstmt++;
	}
	FUZZ_CHECK(nstmt <= STMT_LIMIT);		/* none leaked */
	FUZZ_CHECK(u->wrote == 1 && u->out.len > 0);
	FUZZ_CHECK(strncmp(u->out.data, "Status: ", 8) == 0);
	/* Answered: request_init's 500 stays only if nothing responded. */
	FUZZ_CHECK(r->status >= 200 && r->status <= 599 && r->status != 500);
	if (r->body != NULL && r->body_type != NULL &&
	    strcmp(r->body_type, "application/json") == 0) {
		json_t *o = json_loads(r->body, 0, NULL);

		FUZZ_CHECK(o != NULL);
		json_decref(o);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct request r;
	struct http_io hio;
	struct io u;
	char *s;

	if (size > 70000)
		return -1;
	s = fuzz_strndup(data, size);
	memset(&u, 0, sizeof(u));
	buf_init(&u.out);
	parse_input(&u, s, size);
	reset_db();
	hio = (struct http_io){ io_param, io_read, io_write, &u };
	request_init(&r, conf, db, &hio);
	route_dispatch(&r);
	(void)request_send(&r);
	if (print_responses)
		fprintf(stderr, "%.*s\n", (int)u.out.len, u.out.data);
	check_after(&u, &r);
	request_release(&r);
	buf_release(&u.out);
	for (size_t i = 0; i < u.nenv; i++) {
		free(u.env[i][0]);
		free(u.env[i][1]);
	}
	free(s);
	fuzz_json_check();
	return 0;
}
