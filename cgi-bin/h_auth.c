/* Logins, tokens, the caller, and Pusher channel authorisation. */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "lib/auth.h"
#include "lib/conf.h"
#include "lib/crypto.h"
#include "handlers.h"
#include "lib/log.h"
#include "lib/model.h"
#include "lib/timefmt.h"
#include "lib/util.h"
#include "validate.h"
#include "lib/banned.h"

static json_t *
user_json(const struct principal *p)
{
	return json_pack("{s:I, s:s, s:s, s:b, s:I}", "id", (json_int_t)p->user_id,
	    "login", p->login, "name", p->name, "is_admin", p->is_admin,
	    "access_token_id", (json_int_t)p->token_id);
}

/*
 * Check login and password and make a token; 0, or -1 with the 422, 429
 * or 503 answered. Unknown fields (the apps send session_id, captcha, key,
 * rememberMe) are ignored, as the product does.
 */
static int
login(struct request *r, struct principal *p, char token[TOKEN_MAX], int64_t *exp)
{
	const char *login = NULL, *password = NULL, *device = NULL;
	struct verrors v;
	char bucket[80];
	int ret = -1, slot = -1;
	enum login_result res;

	verr_init(&v);
	v_string(&v, request_param(r, "login"), "login", 1, 255, &login);
	v_string(&v, request_param(r, "password"), "password", 1, 1024, &password);
	v_string(&v, request_param(r, "device_name"), "device_name", 0, 255, &device);
	if (verr_respond(&v, r))
		goto out;
	/* Every attempt costs a slow hash: per address, then host-wide. */
	snprintf(bucket, sizeof(bucket), "login:%s", r->remote_addr);
	switch (rate_hit(r->db, bucket, r->conf->login_rate, 60 * USEC_PER_SEC)) {
	case 0:
		break;
	case 1:
		respond_header(r, "Retry-After", "60");
		respond_message(r, 429, "Too many login attempts from this address."
		    " Please try again in 60 seconds.");
		goto out;
	default:
		respond_db_error(r);
		goto out;
	}
	if ((slot = hash_slot_take(r->conf->run_dir, r->conf->login_concurrency)) < 0) {
		if (slot == -1) {
			respond_header(r, "Retry-After", "1");
			respond_message(r, 429, "Too many logins at once. Please try"
			    " again in a second.");
		} else
			respond_db_error(r);
		goto out;
	}
	res = login_check(r->db, login, password, r->conf->login_failures, p);
	hash_slot_release(slot);
	switch (res) {
	case LOGIN_OK:
		break;
	case LOGIN_BAD:
		verr_add(&v, "login", "These credentials do not match our records.");
		verr_respond(&v, r);
		goto out;
	case LOGIN_LIMITED:
		respond_header(r, "Retry-After", "60");
		respond_message(r, 429, "Too many login attempts. Please try again in 60 seconds.");
		goto out;
	case LOGIN_ERROR:
		respond_db_error(r);
		goto out;
	}
	*exp = now_us() + r->conf->token_ttl * USEC_PER_SEC;
	if (token_create(r->db, p->user_id, *exp, device ? device : "login", token,
	    &p->token_id) == -1) {
		respond_db_error(r);
		goto out;
	}
	log_info("user '%s' logged in, token %lld", p->login, (long long)p->token_id);
	ret = 0;
out:
	verr_release(&v);
	return ret;
}

void
h_login(struct request *r)
{
	struct principal p = { 0 };
	char token[TOKEN_MAX], expires[TIME_LOCAL_LEN];
	int64_t exp;

	if (login(r, &p, token, &exp) == 0) {
		time_format_local(exp, expires);
		respond_json(r, 200, json_pack("{s:o, s:s, s:s, s:s}", "user",
		    user_json(&p), "expires_at", expires, "token_type", "Bearer",
		    "access_token", token));
		explicit_bzero(token, sizeof(token));
	}
	principal_release(&p);
}

/* The apps' login: {"user": the client user object, "access_token"}. */
void
h_client_login(struct request *r)
{
	struct principal p = { 0 };
	char token[TOKEN_MAX];
	json_t *user;
	int64_t exp;

	if (login(r, &p, token, &exp) == 0) {
		if ((user = client_user_to_json(r->db, p.user_id, p.token_id)) == NULL)
			respond_db_error(r);
		else
			respond_json(r, 200, json_pack("{s:o, s:s}", "user", user,
			    "access_token", token));
		explicit_bzero(token, sizeof(token));
	}
	principal_release(&p);
}

void
h_users_self(struct request *r)
{
	json_t *user = client_user_to_json(r->db, r->who.user_id, r->who.token_id);

	if (user == NULL)
		respond_db_error(r);
	else
		respond_json(r, 200, user);
}

/* The apps' logout: the token ends, and with it its push connections
 * (pushd closes them within a second). The body (a device uuid) is not
 * used. */
void
h_client_logout(struct request *r)
{
	if (token_revoke(r->db, r->who.token_id) == -1) {
		respond_db_error(r);
		return;
	}
	respond_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

void
h_logout(struct request *r)
{
	if (token_revoke(r->db, r->who.token_id) == -1) {
		respond_db_error(r);
		return;
	}
	respond_empty(r, 204);
}

void
h_user(struct request *r)
{
	respond_json(r, 200, user_json(&r->who));
}

static int
socket_id_valid(const char *s)
{
	const char *dot = strchr(s, '.');

	if (dot == NULL || dot == s || dot[1] == '\0' || strlen(s) > 40)
		return 0;
	return strspn(s, "0123456789") == (size_t)(dot - s) &&
	    strspn(dot + 1, "0123456789") == strlen(dot + 1);
}

void
h_broadcast_auth(struct request *r)
{
	const char *socket_id = NULL, *channel = NULL;
	char own_token[64], own_user[64], mac[65];
	struct verrors v;
	struct buf msg, auth;

	verr_init(&v);
	if (v_string(&v, request_param(r, "socket_id"), "socket_id", 1, 40, &socket_id) == 1 &&
	    !socket_id_valid(socket_id))
		verr_add(&v, "socket_id", "The socket id format is invalid.");
	v_string(&v, request_param(r, "channel_name"), "channel_name", 1, 200, &channel);
	if (verr_respond(&v, r)) {
		verr_release(&v);
		return;
	}
	verr_release(&v);
	snprintf(own_token, sizeof(own_token), "private-token.%lld", (long long)r->who.token_id);
	snprintf(own_user, sizeof(own_user), "private-user.%lld", (long long)r->who.user_id);
	if (strcmp(channel, own_token) != 0 && strcmp(channel, own_user) != 0) {
		respond_message(r, 403, "This action is unauthorized.");
		return;
	}
	/* pushd ties the subscription to this token: it ends at logout. */
	if (push_grant(r->db, socket_id, channel, r->who.token_id) == -1) {
		respond_db_error(r);
		return;
	}
	buf_init(&msg);
	buf_init(&auth);
	buf_printf(&msg, "%s:%s", socket_id, channel);
	hmac_sha256_hex(r->conf->pusher.secret, msg.data, mac);
	buf_printf(&auth, "%s:%s", r->conf->pusher.key, mac);
	respond_json(r, 200, json_pack("{s:s}", "auth", auth.data));
	buf_release(&msg);
	buf_release(&auth);
}
