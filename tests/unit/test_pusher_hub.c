/* The push hub without libwebsockets: sessions, subscriptions, the per-user
 * cap, frames, pings, delivery from the events table and replay, on a real
 * SQLite file. */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/crypto.h"
#include "lib/db.h"
#include "daemon/pushd/hub.h"
#include "unit.h"
#include "lib/util.h"
#include "lib/banned.h"

static char dir[PATH_MAX];
static struct conf *conf;
static struct db *db;
static struct hub *hub;
static int wakes;

static void
fake_wake(void *handle)
{
	wakes++;
}

static void
exec_sql(const char *sql)
{
	ck_assert_int_eq(db_exec(db, sql), 0);
}

static void
setup(void)
{
	char err[256], path[PATH_MAX + 32];

	unit_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
	db = db_open(path, 1);
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(db_migrate(db), 0);
	ck_assert_int_eq(db_init_secrets(db), 0);
	conf = conf_load(NULL, 0, err, sizeof(err));
	ck_assert_ptr_nonnull(conf);
	ck_assert_int_eq(db_load_secrets(db, conf), 0);
	exec_sql("INSERT INTO users(id, login, created_at, updated_at) VALUES"
	    " (1, 'bob', 0, 0), (2, 'eve', 0, 0);"
	    "INSERT INTO tokens(id, user_id, secret_hash, created_at, revoked_at) VALUES"
	    " (10, 1, x'00', 0, NULL), (11, 2, x'00', 0, NULL), (12, 1, x'00', 0, 5);");
	/* An event from before the start is not delivered live. */
	exec_sql("INSERT INTO events(user_id, token_id, download_id, type, payload,"
	    " created_at) VALUES (1, 10, 1, 'archive_generated', '{\"n\":0}', 0)");
	hub = hub_new(db, conf, fake_wake);
	ck_assert_ptr_nonnull(hub);
	wakes = 0;
}

static void
teardown(void)
{
	hub_free(hub);
	db_close(db);
	conf_free(conf);
	unit_rmtree(dir);
}

/* Take the next queued message as JSON; NULL if none. */
static json_t *
next_msg(struct hub_conn *c)
{
	struct pmsg *m = hub_conn_peek(c);
	json_t *o;

	if (m == NULL)
		return NULL;
	o = json_loads((const char *)pmsg_text(m), 0, NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(strlen((const char *)pmsg_text(m)), m->len);
	hub_conn_pop(c);
	return o;
}

/* The next message must be event; returns it (caller json_decref()s). */
static json_t *
expect_msg(struct hub_conn *c, const char *event)
{
	json_t *o = next_msg(c);

	ck_assert_msg(o != NULL, "no message, expected %s", event);
	ck_assert_str_eq(json_string_value(json_object_get(o, "event")), event);
	return o;
}

static void
expect_error(struct hub_conn *c, int code)
{
	json_t *o = expect_msg(c, "pusher:error");

	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(o, "data"),
	    "code")), code);
	json_decref(o);
}

static struct hub_conn *
open_conn(void)
{
	struct hub_conn *c = hub_conn_new(hub, NULL, conf->pusher.key,
	    strlen(conf->pusher.key), 7);

	ck_assert_ptr_nonnull(c);
	json_decref(expect_msg(c, "pusher:connection_established"));
	return c;
}

static void
feed(struct hub_conn *c, const char *text)
{
	hub_conn_receive(c, text, strlen(text), 1);
}

/* A pusher:subscribe to channel signed for the socket id sid. */
static void
feed_signed(struct hub_conn *c, const char *sid, const char *channel)
{
	char mac[65], msg[256], text[512];

	snprintf(msg, sizeof(msg), "%s:%s", sid, channel);
	hmac_sha256_hex(conf->pusher.secret, msg, mac);
	snprintf(text, sizeof(text), "{\"event\":\"pusher:subscribe\",\"data\":"
	    "{\"auth\":\"%s:%s\",\"channel\":\"%s\"}}", conf->pusher.key, mac,
	    channel);
	feed(c, text);
}

/* Subscribe as pusher-js does, signing like POST .../broadcasting/auth,
 * which also records which token granted a user channel: the user's
 * first live token. */
static void
subscribe(struct hub_conn *c, const char *channel, int64_t last)
{
	char mac[65], msg[128], text[512], extra[64] = "";
	long long user;

	if (sscanf(channel, "private-user.%lld", &user) == 1) {
		char sql[256];

		snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO push_grants(socket_id,"
		    " channel, token_id, created_at) SELECT '%s', '%s', min(id), 0 FROM"
		    " tokens WHERE user_id=%lld AND revoked_at IS NULL", c->socket_id,
		    channel, user);
		exec_sql(sql);
	}

	snprintf(msg, sizeof(msg), "%s:%s", c->socket_id, channel);
	hmac_sha256_hex(conf->pusher.secret, msg, mac);
	if (last >= 0)
		snprintf(extra, sizeof(extra), ",\"last_event_id\":%lld", (long long)last);
	snprintf(text, sizeof(text), "{\"event\":\"pusher:subscribe\",\"data\":"
	    "{\"auth\":\"%s:%s\",\"channel\":\"%s\"%s}}", conf->pusher.key, mac,
	    channel, extra);
	feed(c, text);
}

static int64_t
add_event(int64_t user, int64_t token, int64_t download, const char *type)
{
	char sql[256];
	int64_t id;

	snprintf(sql, sizeof(sql), "INSERT INTO events(user_id, token_id, download_id,"
	    " type, payload, created_at) VALUES (%lld, %lld, %lld, '%s',"
	    " '{\"type\":\"%s\",\"status\":\"ok\",\"data\":{}}', 0)",
	    (long long)user, (long long)token, (long long)download, type, type);
	exec_sql(sql);
	ck_assert_int_eq(db_query_int(db, "SELECT max(id) FROM events", &id), 0);
	return id;
}

/* The next message is a push of event id on channel. */
static void
expect_push(struct hub_conn *c, const char *event, const char *channel, int64_t id)
{
	json_t *o = expect_msg(c, event), *data;

	ck_assert_str_eq(json_string_value(json_object_get(o, "channel")), channel);
	data = json_loads(json_string_value(json_object_get(o, "data")), 0, NULL);
	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(data,
	    "data"), "event_id")), id);
	ck_assert(json_is_null(json_object_get(data, "subject")));
	json_decref(data);
	json_decref(o);
}

START_TEST(test_connect)
{
	struct hub_conn *a = hub_conn_new(hub, NULL, conf->pusher.key,
	    strlen(conf->pusher.key), 7), *b;
	json_t *o, *inner;

	o = expect_msg(a, "pusher:connection_established");
	inner = json_loads(json_string_value(json_object_get(o, "data")), 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(inner, "socket_id")), a->socket_id);
	ck_assert(proto_socket_id_valid(a->socket_id));
	ck_assert_int_eq(json_integer_value(json_object_get(inner, "activity_timeout")),
	    conf->pusher.activity_timeout);
	json_decref(inner);
	json_decref(o);
	ck_assert_int_eq(a->close_code, 0);
	b = open_conn();
	ck_assert_str_ne(a->socket_id, b->socket_id);
	ck_assert_uint_eq(hub->n_conns, 2);
	hub_conn_free(a);
	hub_conn_free(b);
	ck_assert_uint_eq(hub->n_conns, 0);
}
END_TEST

START_TEST(test_refused_at_connect)
{
	struct hub_conn *c = hub_conn_new(hub, NULL, "wrongkey", 8, 7);

	expect_error(c, 4001);
	ck_assert_ptr_null(hub_conn_peek(c));
	ck_assert_int_eq(c->close_code, 4001);
	hub_conn_free(c);
	c = hub_conn_new(hub, NULL, conf->pusher.key, strlen(conf->pusher.key), 4);
	expect_error(c, 4007);
	ck_assert_int_eq(c->close_code, 4007);
	hub_conn_free(c);
	c = hub_conn_new(hub, NULL, conf->pusher.key, strlen(conf->pusher.key), 0);
	expect_error(c, 4007);
	hub_conn_free(c);
	/* 5 (the Java client of the product's Android app), 6 and 7 are in. */
	for (int v = 5; v <= 7; v++) {
		c = hub_conn_new(hub, NULL, conf->pusher.key, strlen(conf->pusher.key), v);
		ck_assert_int_eq(c->close_code, 0);
		hub_conn_free(c);
	}
	/* A key that merely starts like ours. */
	c = hub_conn_new(hub, NULL, conf->pusher.key, strlen(conf->pusher.key) - 1, 7);
	expect_error(c, 4001);
	hub_conn_free(c);
}
END_TEST

START_TEST(test_ping_pong_and_garbage)
{
	struct hub_conn *c = open_conn();
	json_t *o;

	feed(c, "{\"event\":\"pusher:ping\",\"data\":{}}");
	json_decref(expect_msg(c, "pusher:pong"));
	feed(c, "{\"event\":");
	o = expect_msg(c, "pusher:error");
	ck_assert(json_is_null(json_object_get(json_object_get(o, "data"), "code")));
	json_decref(o);
	feed(c, "{\"event\":\"client-x\",\"channel\":\"private-user.1\",\"data\":{}}");
	json_decref(expect_msg(c, "pusher:error"));
	feed(c, "{\"event\":\"pusher:pong\",\"data\":{}}");
	ck_assert_ptr_null(hub_conn_peek(c));
	ck_assert_int_eq(c->close_code, 0);
	hub_conn_free(c);
}
END_TEST

START_TEST(test_subscribe)
{
	struct hub_conn *c = open_conn();
	struct chan user = { CH_USER, 1 }, token = { CH_TOKEN, 10 };
	json_t *o;

	subscribe(c, "private-user.1", -1);
	o = expect_msg(c, "pusher_internal:subscription_succeeded");
	ck_assert_str_eq(json_string_value(json_object_get(o, "channel")), "private-user.1");
	json_decref(o);
	subscribe(c, "private-token.10", -1);
	json_decref(expect_msg(c, "pusher_internal:subscription_succeeded"));
	ck_assert_uint_eq(hub_channel_count(hub, &user), 1);
	ck_assert_uint_eq(hub_channel_count(hub, &token), 1);
	/* Two channels of one user count the connection once. */
	ck_assert_int_eq(hub_user_count(hub, 1), 1);
	/* Subscribing again is harmless. */
	subscribe(c, "private-user.1", -1);
	json_decref(expect_msg(c, "pusher_internal:subscription_succeeded"));
	ck_assert_uint_eq(hub_channel_count(hub, &user), 1);
	feed(c, "{\"event\":\"pusher:unsubscribe\",\"data\":{\"channel\":\"private-user.1\"}}");
	ck_assert_uint_eq(hub_channel_count(hub, &user), 0);
	ck_assert_int_eq(hub_user_count(hub, 1), 1);
	feed(c, "{\"event\":\"pusher:unsubscribe\",\"data\":{\"channel\":\"private-token.10\"}}");
	ck_assert_int_eq(hub_user_count(hub, 1), 0);
	subscribe(c, "private-token.10", -1);
	json_decref(expect_msg(c, "pusher_internal:subscription_succeeded"));
	hub_conn_free(c);
	ck_assert_uint_eq(hub_channel_count(hub, &token), 0);
	ck_assert_int_eq(hub_user_count(hub, 1), 0);
}
END_TEST

START_TEST(test_subscribe_refused)
{
	struct hub_conn *c = open_conn();
	char text[512];
	json_t *o;

	/* A forged signature. */
	snprintf(text, sizeof(text), "{\"event\":\"pusher:subscribe\",\"data\":"
	    "{\"auth\":\"%s:%064d\",\"channel\":\"private-user.2\"}}",
	    conf->pusher.key, 0);
	feed(c, text);
	o = expect_msg(c, "pusher:subscription_error");
	ck_assert_str_eq(json_string_value(json_object_get(o, "channel")), "private-user.2");
	json_decref(o);
	expect_error(c, 4009);
	/* No auth at all, and channels we do not serve. */
	feed(c, "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"private-user.2\"}}");
	json_decref(expect_msg(c, "pusher:subscription_error"));
	expect_error(c, 4009);
	subscribe(c, "public-news", -1);
	json_decref(expect_msg(c, "pusher:subscription_error"));
	expect_error(c, 4009);
	subscribe(c, "private-user.02", -1);
	json_decref(expect_msg(c, "pusher:subscription_error"));
	expect_error(c, 4009);
	/* A signature for another connection's socket id. */
	{
		struct hub_conn *other = open_conn();

		feed_signed(c, other->socket_id, "private-user.2");
		json_decref(expect_msg(c, "pusher:subscription_error"));
		expect_error(c, 4009);
		hub_conn_free(other);
	}
	/* A user channel well signed, but granted to no token of this
	 * socket (an auth made before a logout's grant cleanup, say). */
	feed_signed(c, c->socket_id, "private-user.2");
	json_decref(expect_msg(c, "pusher:subscription_error"));
	expect_error(c, 4009);
	/* A revoked token and an unknown one, though well signed. */
	subscribe(c, "private-token.12", -1);
	json_decref(expect_msg(c, "pusher:subscription_error"));
	expect_error(c, 4009);
	subscribe(c, "private-token.99", -1);
	json_decref(expect_msg(c, "pusher:subscription_error"));
	expect_error(c, 4009);
	/* The connection stays usable. */
	ck_assert_int_eq(c->close_code, 0);
	ck_assert_uint_eq(c->n_subs, 0);
	subscribe(c, "private-user.1", -1);
	json_decref(expect_msg(c, "pusher_internal:subscription_succeeded"));
	hub_conn_free(c);
}
END_TEST

START_TEST(test_user_cap)
{
	struct hub_conn *c[3];

	conf->pusher.max_connections_per_user = 2;
	for (int i = 0; i < 3; i++)
		c[i] = open_conn();
	subscribe(c[0], "private-user.1", -1);
	json_decref(expect_msg(c[0], "pusher_internal:subscription_succeeded"));
	subscribe(c[1], "private-token.10", -1);	/* bob's token */
	json_decref(expect_msg(c[1], "pusher_internal:subscription_succeeded"));
	ck_assert_int_eq(hub_user_count(hub, 1), 2);
	subscribe(c[2], "private-user.1", -1);
	expect_error(c[2], 4100);
	ck_assert_int_eq(c[2]->close_code, 4100);
	ck_assert_int_eq(hub_user_count(hub, 1), 2);
	/* Another user is not affected. */
	hub_conn_free(c[2]);
	c[2] = open_conn();
	subscribe(c[2], "private-user.2", -1);
	json_decref(expect_msg(c[2], "pusher_internal:subscription_succeeded"));
	/* A slot frees when a connection goes. */
	hub_conn_free(c[0]);
	c[0] = open_conn();
	subscribe(c[0], "private-user.1", -1);
	json_decref(expect_msg(c[0], "pusher_internal:subscription_succeeded"));
	for (int i = 0; i < 3; i++)
		hub_conn_free(c[i]);
	ck_assert_int_eq(hub_user_count(hub, 1), 0);
	ck_assert_int_eq(hub_user_count(hub, 2), 0);
}
END_TEST

/* Logout ends what the token authorised: a connection subscribed to
 * private-user.<id> alone is closed too, not only token channels. */
START_TEST(test_logout_ends_user_channel)
{
	struct hub_conn *c = open_conn(), *d = open_conn();

	subscribe(c, "private-user.1", -1);	/* granted by token 10 */
	json_decref(expect_msg(c, "pusher_internal:subscription_succeeded"));
	exec_sql("INSERT INTO tokens(id, user_id, secret_hash, created_at) VALUES"
	    " (13, 1, x'00', 0)");
	{
		char sql[256];

		/* d's grant names token 13, bob's other session. */
		snprintf(sql, sizeof(sql), "INSERT INTO push_grants(socket_id, channel,"
		    " token_id, created_at) VALUES ('%s', 'private-user.1', 13, 0)",
		    d->socket_id);
		exec_sql(sql);
	}
	feed_signed(d, d->socket_id, "private-user.1");
	json_decref(expect_msg(d, "pusher_internal:subscription_succeeded"));
	/* Token 10 logs out: c's user subscription came from it, d's did not. */
	exec_sql("UPDATE tokens SET revoked_at=100 WHERE id=10");
	ck_assert_int_ge(hub_drop_revoked(hub, 50, 200), 1);
	ck_assert_int_eq(c->close_code, 4009);
	ck_assert_int_eq(d->close_code, 0);
	hub_conn_free(c);
	hub_conn_free(d);
}
END_TEST

/* One address cannot hold more than max_connections_per_address. */
START_TEST(test_address_cap)
{
	struct hub_conn *c[4];

	conf->pusher.max_connections_per_address = 2;
	for (int i = 0; i < 3; i++) {
		c[i] = open_conn();
		(void)hub_conn_set_addr(c[i], "203.0.113.9");
	}
	ck_assert_int_eq(c[0]->close_code, 0);
	ck_assert_int_eq(c[1]->close_code, 0);
	ck_assert_int_eq(c[2]->close_code, 4100);
	c[3] = open_conn();
	ck_assert_int_eq(hub_conn_set_addr(c[3], "198.51.100.4"), 0);
	ck_assert_int_eq(c[3]->close_code, 0);
	for (int i = 0; i < 4; i++)
		hub_conn_free(c[i]);
	conf->pusher.max_connections_per_address = 200;
}
END_TEST

/* A client's own mistakes reach the log a few times a minute at most. */
START_TEST(test_log_budget)
{
	struct hub_conn *c = open_conn();
	int n = 0;

	for (int i = 0; i < 20000; i++)
		n += hub_conn_may_log(c);
	ck_assert_int_eq(n, HUB_LOG_LINES - 1);
	hub_conn_free(c);
}
END_TEST

START_TEST(test_frames)
{
	struct hub_conn *c = open_conn();
	const char *msg = "{\"event\":\"pusher:ping\",\"data\":{}}";
	char *big;

	/* A message in pieces. */
	ck_assert_int_eq(hub_conn_receive(c, msg, 5, 0), 0);
	ck_assert_int_eq(hub_conn_receive(c, msg + 5, 10, 0), 0);
	ck_assert_ptr_null(hub_conn_peek(c));
	ck_assert_int_eq(hub_conn_receive(c, msg + 15, strlen(msg) - 15, 1), 0);
	json_decref(expect_msg(c, "pusher:pong"));
	/* Over max_frame, even in pieces: closed with 1009. */
	big = xcalloc(1, (size_t)conf->pusher.max_frame + 2);
	memset(big, ' ', (size_t)conf->pusher.max_frame + 1);
	ck_assert_int_eq(hub_conn_receive(c, big, 100, 0), 0);
	ck_assert_int_eq(hub_conn_receive(c, big, (size_t)conf->pusher.max_frame, 1), -1);
	ck_assert_int_eq(c->close_code, 1009);
	ck_assert_ptr_null(hub_conn_peek(c));
	hub_conn_free(c);
	c = open_conn();
	ck_assert_int_eq(hub_conn_receive(c, big, (size_t)conf->pusher.max_frame + 1, 1), -1);
	ck_assert_int_eq(c->close_code, 1009);
	hub_conn_free(c);
	free(big);
}
END_TEST

START_TEST(test_activity_timeout)
{
	struct hub_conn *c = open_conn(), *d = open_conn();
	int64_t t = mono_us(), sec = 1000000;

	hub_tick(hub, t);
	ck_assert_ptr_null(hub_conn_peek(c));
	/* Silent for activity_timeout: pinged. */
	hub_tick(hub, d->last_rx + conf->pusher.activity_timeout * sec);
	json_decref(expect_msg(c, "pusher:ping"));
	json_decref(expect_msg(d, "pusher:ping"));
	/* d answers, c does not. */
	feed(d, "{\"event\":\"pusher:pong\",\"data\":{}}");
	t = c->last_rx + HUB_PONG_WAIT * sec;
	hub_tick(hub, t);
	ck_assert_int_eq(c->close_code, 4201);
	ck_assert_int_eq(d->close_code, 0);
	hub_conn_free(c);
	hub_conn_free(d);
}
END_TEST

START_TEST(test_delivery)
{
	struct hub_conn *bob = open_conn(), *bob2 = open_conn(), *eve = open_conn();
	int64_t e1, e2, e3;

	subscribe(bob, "private-token.10", -1);
	subscribe(bob, "private-user.1", -1);
	subscribe(bob2, "private-user.1", -1);
	subscribe(eve, "private-user.2", -1);
	subscribe(eve, "private-token.11", -1);
	json_decref(expect_msg(bob, "pusher_internal:subscription_succeeded"));
	json_decref(expect_msg(bob, "pusher_internal:subscription_succeeded"));
	json_decref(expect_msg(bob2, "pusher_internal:subscription_succeeded"));
	json_decref(expect_msg(eve, "pusher_internal:subscription_succeeded"));
	json_decref(expect_msg(eve, "pusher_internal:subscription_succeeded"));

	e1 = add_event(1, 10, 1, "archive_generated");
	e2 = add_event(1, 0, 2, "archive_expired");	/* no token: the user only */
	e3 = add_event(2, 11, 3, "archive_generated");
	ck_assert_int_eq(hub_deliver(hub), 3);
	ck_assert_int_eq(hub->last_event_id, e3);
	/* archive_generated to the token that asked only, as the product
	 * sends it; the others to every session of the user. */
	expect_push(bob, "App\\Events\\TokenPush", "private-token.10", e1);
	expect_push(bob, "App\\Events\\UserPush", "private-user.1", e2);
	ck_assert_ptr_null(hub_conn_peek(bob));
	expect_push(bob2, "App\\Events\\UserPush", "private-user.1", e2);
	ck_assert_ptr_null(hub_conn_peek(bob2));
	/* A user receives only its own events. */
	expect_push(eve, "App\\Events\\TokenPush", "private-token.11", e3);
	ck_assert_ptr_null(hub_conn_peek(eve));
	/* Nothing twice. */
	ck_assert_int_eq(hub_deliver(hub), 0);
	ck_assert_ptr_null(hub_conn_peek(bob));
	hub_conn_free(bob);
	hub_conn_free(bob2);
	hub_conn_free(eve);
}
END_TEST

START_TEST(test_replay)
{
	struct hub_conn *c;
	int64_t e[6];

	e[0] = add_event(1, 10, 1, "archive_progress");
	e[1] = add_event(1, 10, 1, "archive_progress");
	e[2] = add_event(2, 11, 9, "archive_generated");	/* eve's */
	e[3] = add_event(1, 10, 1, "archive_generated");
	e[4] = add_event(1, 10, 2, "archive_progress");
	e[5] = add_event(1, 0, 3, "archive_expired");
	ck_assert_int_eq(hub_deliver(hub), 6);
	c = open_conn();
	/* Progress only while it is its download's latest (download 1 is
	 * generated since); no archive_generated here; eve's not at all. */
	subscribe(c, "private-user.1", e[0] - 1);
	json_decref(expect_msg(c, "pusher_internal:subscription_succeeded"));
	expect_push(c, "App\\Events\\UserPush", "private-user.1", e[4]);
	expect_push(c, "App\\Events\\UserPush", "private-user.1", e[5]);
	ck_assert_ptr_null(hub_conn_peek(c));
	/* The token channel: its own archive_generated only, after the id. */
	subscribe(c, "private-token.10", e[0] - 1);
	json_decref(expect_msg(c, "pusher_internal:subscription_succeeded"));
	expect_push(c, "App\\Events\\TokenPush", "private-token.10", e[3]);
	ck_assert_ptr_null(hub_conn_peek(c));
	/* Then live delivery goes on without repeating. */
	e[0] = add_event(1, 10, 4, "archive_generated");
	e[1] = add_event(1, 10, 4, "archive_expired");
	ck_assert_int_eq(hub_deliver(hub), 2);
	expect_push(c, "App\\Events\\TokenPush", "private-token.10", e[0]);
	expect_push(c, "App\\Events\\UserPush", "private-user.1", e[1]);
	ck_assert_ptr_null(hub_conn_peek(c));
	/* The switch adds the user channel's copy, live and replayed. */
	conf->pusher.generated_on_user_channel = 1;
	e[2] = add_event(1, 10, 5, "archive_generated");
	ck_assert_int_eq(hub_deliver(hub), 1);
	expect_push(c, "App\\Events\\TokenPush", "private-token.10", e[2]);
	expect_push(c, "App\\Events\\UserPush", "private-user.1", e[2]);
	ck_assert_ptr_null(hub_conn_peek(c));
	hub_conn_free(c);
	c = open_conn();
	subscribe(c, "private-user.1", e[2] - 1);
	json_decref(expect_msg(c, "pusher_internal:subscription_succeeded"));
	expect_push(c, "App\\Events\\UserPush", "private-user.1", e[2]);
	ck_assert_ptr_null(hub_conn_peek(c));
	conf->pusher.generated_on_user_channel = 0;
	hub_conn_free(c);
}
END_TEST

START_TEST(test_slow_client)
{
	struct hub_conn *c = open_conn();

	for (int i = 0; i < HUB_QUEUE_MAX; i++)
		ck_assert_int_eq(hub_send(c, proto_pong()), 0);
	ck_assert_int_eq(hub_send(c, proto_pong()), -1);
	ck_assert_int_eq(c->close_code, 4200);
	ck_assert_ptr_null(hub_conn_peek(c));
	hub_conn_free(c);
}
END_TEST

START_TEST(test_shutdown)
{
	struct hub_conn *c = open_conn(), *d = open_conn();

	hub_send(c, proto_pong());
	hub_close_all(hub, 1001, "server shutting down");
	ck_assert_int_eq(c->close_code, 1001);
	ck_assert_int_eq(d->close_code, 1001);
	ck_assert_ptr_null(hub_conn_peek(c));
	/* The hub frees what is left. */
}
END_TEST

START_TEST(test_many_channels)
{
	enum { N = 5000 };
	struct hub_conn **c = xcalloc(N, sizeof(*c));
	struct chan ch;
	char name[64];

	/* Enough entries to make the index grow several times. */
	for (int i = 0; i < N; i++) {
		c[i] = open_conn();
		ck_assert_int_eq(hub_user_adjust(hub, 1000 + i, 1), 0);
		ch.kind = CH_USER;
		ch.id = 1000 + i;
		ck_assert_int_eq(hub_channel_add(hub, &ch, c[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		ch.kind = CH_USER;
		ch.id = 1000 + i;
		ck_assert_uint_eq(hub_channel_count(hub, &ch), 1);
		ck_assert_int_eq(hub_user_count(hub, 1000 + i), 1);
		snprintf(name, sizeof(name), "{\"n\":%d}", i);
		ck_assert_uint_eq(hub_publish(hub, &ch, "e", name), 1);
		json_decref(expect_msg(c[i], "e"));
		hub_channel_remove(hub, &ch, c[i]);
		hub_user_adjust(hub, 1000 + i, -1);
		hub_conn_free(c[i]);
	}
	ck_assert_uint_eq(hub->n_entries, 0);
	free(c);
}
END_TEST

static Suite *
hub_suite(void)
{
	Suite *s = suite_create("pusher_hub");
	TCase *tc = tcase_create("hub");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_connect);
	tcase_add_test(tc, test_refused_at_connect);
	tcase_add_test(tc, test_ping_pong_and_garbage);
	tcase_add_test(tc, test_subscribe);
	tcase_add_test(tc, test_subscribe_refused);
	tcase_add_test(tc, test_user_cap);
	tcase_add_test(tc, test_frames);
	tcase_add_test(tc, test_activity_timeout);
	tcase_add_test(tc, test_delivery);
	tcase_add_test(tc, test_replay);
	tcase_add_test(tc, test_logout_ends_user_channel);
	tcase_add_test(tc, test_address_cap);
	tcase_add_test(tc, test_log_budget);
	tcase_add_test(tc, test_slow_client);
	tcase_add_test(tc, test_shutdown);
	tcase_add_test(tc, test_many_channels);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(hub_suite());
}
