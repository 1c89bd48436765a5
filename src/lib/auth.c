#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "auth.h"
#include "crypto.h"
#include "db.h"
#include "log.h"
#include "util.h"
#include "banned.h"

#define FAILURE_WINDOW_US (60 * USEC_PER_SEC)

void
principal_release(struct principal *p)
{
	free(p->login);
	free(p->name);
	memset(p, 0, sizeof(*p));
}

int
user_create(struct db *db, const char *login, const char *name,
    const char *password, int is_admin, int64_t *id)
{
	struct db_stmt *st = NULL;
	char *hash = NULL;
	int64_t now = now_us();
	int ret = -1, rc;

	if (password != NULL && (hash = password_hash(password)) == NULL)
		return error("cannot hash password");
	st = db_prepare(db, "INSERT INTO users(login, name, password_hash, is_admin,"
	    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
	    " ON CONFLICT(login) DO NOTHING RETURNING id");
	if (st == NULL)
		goto out;
	db_bind_text(st, 1, login);
	db_bind_text(st, 2, name ? name : login);
	if (hash)
		db_bind_text(st, 3, hash);
	db_bind_int(st, 4, is_admin != 0);
	db_bind_int64(st, 5, now);
	db_bind_int64(st, 6, now);
	rc = db_step(st);
	if (rc == DB_ROW) {
		*id = db_column_int64(st, 0);
		ret = 0;
	} else if (rc == DB_DONE) {
		struct principal p = { 0 };

		if (user_load(db, login, &p) == 1) {
			*id = p.user_id;
			ret = 1;
		}
		principal_release(&p);
	} else
		error("database: %s", db_errmsg(db));
out:
	db_finalize(st);
	free(hash);
	return ret;
}

int
user_load(struct db *db, const char *login, struct principal *p)
{
	struct db_stmt *st = db_prepare(db,
	    "SELECT id, login, name, is_admin FROM users WHERE login=?");
	int rc, ret;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, login);
	rc = db_step(st);
	if (rc == DB_ROW) {
		p->user_id = db_column_int64(st, 0);
		p->login = xstrdup(db_column_text(st, 1));
		p->name = xstrdup(db_column_text(st, 2));
		p->is_admin = db_column_int(st, 3);
		ret = 1;
	} else
		ret = rc == DB_DONE ? 0 : error("database: %s", db_errmsg(db));
	db_finalize(st);
	return ret;
}

int
user_set_admin(struct db *db, int64_t user_id, int is_admin)
{
	struct db_stmt *st = db_prepare(db,
	    "UPDATE users SET is_admin=?, updated_at=? WHERE id=?");
	int ret;

	if (st == NULL)
		return -1;
	db_bind_int(st, 1, is_admin != 0);
	db_bind_int64(st, 2, now_us());
	db_bind_int64(st, 3, user_id);
	ret = db_step_done(st);
	db_finalize(st);
	return ret;
}

int
token_create(struct db *db, int64_t user_id, int64_t expires_at,
    const char *name, char out[TOKEN_MAX], int64_t *token_id)
{
	char secret[TOKEN_SECRET_LEN + 1];
	unsigned char hash[SHA256_LEN];
	struct db_stmt *st;
	int ret = -1;

	if (random_alnum(secret, TOKEN_SECRET_LEN) == -1)
		return error("cannot generate a token: no randomness");
	sha256(secret, TOKEN_SECRET_LEN, hash);
	st = db_prepare(db, "INSERT INTO tokens(user_id, secret_hash, name,"
	    " expires_at, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, user_id);
	db_bind_blob(st, 2, hash, sizeof(hash));
	db_bind_text(st, 3, name ? name : "");
	if (expires_at > 0)
		db_bind_int64(st, 4, expires_at);
	db_bind_int64(st, 5, now_us());
	if (db_step(st) == DB_ROW) {
		*token_id = db_column_int64(st, 0);
		snprintf(out, TOKEN_MAX, "%lld|%s", (long long)*token_id, secret);
		ret = 0;
	} else
		error("database: %s", db_errmsg(db));
	db_finalize(st);
	explicit_bzero(secret, sizeof(secret));
	return ret;
}

int
token_revoke(struct db *db, int64_t token_id)
{
	struct db_stmt *st = db_prepare(db,
	    "UPDATE tokens SET revoked_at=? WHERE id=? AND revoked_at IS NULL");
	int ret;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now_us());
	db_bind_int64(st, 2, token_id);
	ret = db_step_done(st);
	db_finalize(st);
	return ret;
}

int
token_parse(const char *token, int64_t *id, const char **secret)
{
	const char *bar = strchr(token, '|');
	int64_t v = 0;
	const char *p;

	if (bar == NULL || bar == token || bar - token > 18)
		return -1;
	for (p = token; p < bar; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v <= 0 || strlen(bar + 1) != TOKEN_SECRET_LEN)
		return -1;
	*id = v;
	*secret = bar + 1;
	return 0;
}

enum auth_result
token_authenticate(struct db *db, const char *token, struct principal *p)
{
	unsigned char hash[SHA256_LEN];
	const char *secret;
	struct db_stmt *st;
	int64_t id, now = now_us();
	enum auth_result res = AUTH_DENIED;
	int rc;

	if (token == NULL || token_parse(token, &id, &secret) == -1)
		return AUTH_DENIED;
	sha256(secret, TOKEN_SECRET_LEN, hash);
	st = db_stmt(db, "SELECT t.secret_hash, t.revoked_at, t.expires_at,"
	    " u.id, u.login, u.name, u.is_admin FROM tokens t"
	    " JOIN users u ON u.id = t.user_id WHERE t.id=?");
	if (st == NULL)
		return AUTH_ERROR;
	db_bind_int64(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		const void *want = db_column_blob(st, 0);
		int wantlen = db_column_bytes(st, 0);
		int64_t expires = db_column_int64(st, 2);

		if (wantlen == SHA256_LEN && ct_equal(want, hash, SHA256_LEN) &&
		    db_column_type(st, 1) == DB_NULL &&
		    (expires == 0 || expires > now)) {
			p->token_id = id;
			p->token_expires_at = expires;
			p->user_id = db_column_int64(st, 3);
			p->login = xstrdup(db_column_text(st, 4));
			p->name = xstrdup(db_column_text(st, 5));
			p->is_admin = db_column_int(st, 6);
			res = AUTH_OK;
		}
	} else if (rc != DB_DONE) {
		error("database: %s", db_errmsg(db));
		res = AUTH_ERROR;
	}
	db_stmt_done(st);
	return res;
}

/*
 * Note this attempt as one of the login's failures unless it already has
 * limit in the window (a right password clears them again), in one write
 * transaction: parallel attempts see each other, so at most limit are ever
 * evaluated. 1 noted, 0 over the limit, -1 error.
 */
static int
attempt_begin(struct db *db, const char *login, int limit)
{
	char bucket[300];

	snprintf(bucket, sizeof(bucket), "login-failure:%s", login);
	switch (rate_hit(db, bucket, limit, FAILURE_WINDOW_US)) {
	case 0:
		return 1;
	case 1:
		return 0;
	default:
		return -1;
	}
}

/* The password was right: this login's failures are forgotten. */
static int
attempt_succeeded(struct db *db, const char *login)
{
	struct db_stmt *st = db_prepare(db, "DELETE FROM rate_hits WHERE bucket=?");
	char bucket[300];
	int ret;

	if (st == NULL)
		return -1;
	snprintf(bucket, sizeof(bucket), "login-failure:%s", login);
	db_bind_text(st, 1, bucket);
	ret = db_step_done(st);
	db_finalize(st);
	return ret;
}

enum login_result
login_check(struct db *db, const char *login, const char *password, int limit,
    struct principal *p)
{
	/* A valid hash of a random password: unknown logins cost the same time. */
	static char *decoy;
	struct db_stmt *st;
	char *hash = NULL;
	int rc, ok;

	switch (attempt_begin(db, login, limit)) {
	case 1:
		break;
	case 0:
		return LOGIN_LIMITED;
	default:
		return LOGIN_ERROR;
	}
	st = db_prepare(db, "SELECT password_hash FROM users WHERE login=?");
	if (st == NULL)
		return LOGIN_ERROR;
	db_bind_text(st, 1, login);
	rc = db_step(st);
	if (rc == DB_ROW && db_column_type(st, 0) != DB_NULL)
		hash = xstrdup(db_column_text(st, 0));
	db_finalize(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return LOGIN_ERROR;
	if (hash == NULL) {
		if (decoy == NULL)
			decoy = password_hash("decoy password for unknown logins");
		(void)password_verify(password, decoy);
		ok = 0;
	} else
		ok = password_verify(password, hash) == 1;
	free(hash);
	if (!ok) {
		log_info("failed login for '%s'", login);
		return LOGIN_BAD;
	}
	if (attempt_succeeded(db, login) == -1 || user_load(db, login, p) != 1)
		return LOGIN_ERROR;
	return LOGIN_OK;
}

int
rate_hit(struct db *db, const char *bucket, int limit, int64_t window_us)
{
	int64_t now = now_us(), n = 0;
	struct db_stmt *del = NULL, *cnt = NULL, *ins = NULL;
	int ret = -1;

	if (db_begin(db) == -1)
		return -1;
	del = db_prepare(db, "DELETE FROM rate_hits WHERE at<?");
	cnt = db_prepare(db, "SELECT count(*) FROM rate_hits WHERE bucket=?");
	ins = db_prepare(db, "INSERT INTO rate_hits(bucket, at) VALUES (?, ?)");
	if (del == NULL || cnt == NULL || ins == NULL)
		goto out;
	db_bind_int64(del, 1, now - window_us);
	if (db_step_done(del) == -1)
		goto out;
	db_bind_text(cnt, 1, bucket);
	if (db_step(cnt) == DB_ROW)
		n = db_column_int64(cnt, 0);
	if (n < limit) {
		db_bind_text(ins, 1, bucket);
		db_bind_int64(ins, 2, now);
		if (db_step_done(ins) == -1)
			goto out;
	}
	if (db_commit(db) == 0)
		ret = n >= limit;
out:
	if (ret == -1)
		db_rollback(db);
	db_finalize(del);
	db_finalize(cnt);
	db_finalize(ins);
	return ret;
}

int
hash_slot_take(const char *dir, int n)
{
	for (int i = 0; i < n; i++) {
		char name[32], *path;
		int fd;

		snprintf(name, sizeof(name), "login-slot.%d", i);
		path = path_join(dir, name);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0660);
		if (fd == -1) {
			log_warn("cannot open '%s'", path);
			free(path);
			return -2;
		}
		free(path);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		close(fd);
	}
	return -1;
}

void
hash_slot_release(int fd)
{
	if (fd >= 0)
		close(fd);	/* and with it the lock */
}

int
push_grant(struct db *db, const char *socket_id, const char *channel,
    int64_t token_id)
{
	struct db_stmt *del = NULL, *ins = NULL;
	int64_t now = now_us();
	int ret = -1;

	if (db_begin(db) == -1)
		return -1;
	/* A client subscribes right after it is authorised. */
	del = db_prepare(db, "DELETE FROM push_grants WHERE created_at<?");
	ins = db_prepare(db, "INSERT INTO push_grants(socket_id, channel,"
	    " token_id, created_at) VALUES (?, ?, ?, ?)"
	    " ON CONFLICT(socket_id, channel) DO UPDATE SET"
	    " token_id=excluded.token_id, created_at=excluded.created_at");
	if (del == NULL || ins == NULL)
		goto out;
	db_bind_int64(del, 1, now - 3600 * USEC_PER_SEC);
	db_bind_text(ins, 1, socket_id);
	db_bind_text(ins, 2, channel);
	db_bind_int64(ins, 3, token_id);
	db_bind_int64(ins, 4, now);
	if (db_step_done(del) == -1 || db_step_done(ins) == -1)
		goto out;
	ret = db_commit(db);
out:
	if (ret == -1)
		db_rollback(db);
	db_finalize(del);
	db_finalize(ins);
	return ret;
}
