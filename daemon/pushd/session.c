/* One client's side of the Pusher protocol: connect, ping, subscribe. */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/db.h"
#include "lib/log.h"
#include "hub.h"
#include "lib/util.h"
#include "lib/banned.h"

typedef void (*msg_handler)(struct hub_conn *, const struct proto_msg *);

static void	on_invalid(struct hub_conn *, const struct proto_msg *);
static void	on_ping(struct hub_conn *, const struct proto_msg *);
static void	on_nothing(struct hub_conn *, const struct proto_msg *);
static void	on_subscribe(struct hub_conn *, const struct proto_msg *);
static void	on_unsubscribe(struct hub_conn *, const struct proto_msg *);
static void	on_client_event(struct hub_conn *, const struct proto_msg *);

/* What each kind of client message does. */
static const struct {
	enum proto_kind	 kind;
	msg_handler	 fn;
} handlers[] = {
	{ PM_INVALID,		on_invalid },
	{ PM_PING,		on_ping },
	{ PM_PONG,		on_nothing },
	{ PM_SUBSCRIBE,		on_subscribe },
	{ PM_UNSUBSCRIBE,	on_unsubscribe },
	{ PM_CLIENT_EVENT,	on_client_event },
	{ PM_OTHER,		on_nothing },
};

struct hub_conn *
hub_conn_new(struct hub *h, void *handle, const char *key, size_t keylen,
    int version)
{
	const char *want = h->conf->pusher.key;
	struct hub_conn *conn = calloc(1, sizeof(*conn));
	uint32_t a;

	if (conn == NULL)
		return NULL;
	conn->hub = h;
	conn->handle = handle;
	buf_init(&conn->rx);
	/* The first half random so that an id (which a channel signature is
	 * bound to) is never reused across restarts; the second unique here. */
	if (random_bytes(&a, sizeof(a)) == -1) {
		free(conn);
		return NULL;
	}
	proto_socket_id(a, h->sid_next++, conn->socket_id);
	conn->last_rx = mono_us();
	conn->next = h->conns;
	if (h->conns != NULL)
		h->conns->prev = conn;
	h->conns = conn;
	h->n_conns++;

	if (keylen != strlen(want) || memcmp(key, want, keylen) != 0) {
		log_info("client %s: unknown app key, refused", conn->socket_id);
		hub_send(conn, proto_error(PC_UNKNOWN_APP, "Could not find app by key"));
		hub_conn_close(conn, PC_UNKNOWN_APP, "unknown app key", 1);
	} else if (!proto_version_supported(version)) {
		log_info("client %s: protocol %d below %d, refused", conn->socket_id,
		    version, PROTO_MIN_VERSION);
		hub_send(conn, proto_error(PC_OLD_PROTOCOL,
		    "Unsupported protocol version: 5 or later is required"));
		hub_conn_close(conn, PC_OLD_PROTOCOL, "unsupported protocol", 1);
	} else
		hub_send(conn, proto_established(conn->socket_id,
		    h->conf->pusher.activity_timeout));
	return conn;
}

/* Does conn hold a subscription of user's other than skip? */
static int
counts_for(const struct hub_conn *conn, int64_t user, size_t skip)
{
	for (size_t i = 0; i < conn->n_subs; i++)
		if (i != skip && conn->subs[i].user == user)
			return 1;
	return 0;
}

static void
sub_remove(struct hub_conn *conn, size_t i)
{
	struct hub *h = conn->hub;

	hub_channel_remove(h, &conn->subs[i].ch, conn);
	if (!counts_for(conn, conn->subs[i].user, i))
		hub_user_adjust(h, conn->subs[i].user, -1);
	conn->subs[i] = conn->subs[--conn->n_subs];
}

void
hub_conn_free(struct hub_conn *conn)
{
	struct hub *h;

	if (conn == NULL)
		return;
	h = conn->hub;
	while (conn->n_subs > 0)
		sub_remove(conn, conn->n_subs - 1);
	if (conn->prev != NULL)
		conn->prev->next = conn->next;
	else
		h->conns = conn->next;
	if (conn->next != NULL)
		conn->next->prev = conn->prev;
	h->n_conns--;
	while (conn->q_len > 0)
		hub_conn_pop(conn);
	free(conn->q);
	buf_release(&conn->rx);
	free(conn);
}

static void
handle(struct hub_conn *conn, const char *text, size_t len)
{
	struct proto_msg m;

	proto_parse(text, len, &m);
	for (size_t i = 0; i < nitems(handlers); i++)
		if (handlers[i].kind == m.kind) {
			handlers[i].fn(conn, &m);
			return;
		}
}

int
hub_conn_receive(struct hub_conn *conn, const void *data, size_t len, int final)
{
	size_t max = (size_t)conn->hub->conf->pusher.max_frame;

	if (conn->close_code != 0)
		return -1;
	if (conn->rx.len + len > max) {
		if (hub_conn_may_log(conn))
			log_info("client %s sent a message over %zu bytes,"
			    " closing", conn->socket_id, max);
		hub_conn_close(conn, PC_TOO_BIG, "message too big", 0);
		return -1;
	}
	conn->last_rx = mono_us();
	conn->pinged = 0;
	if (final && conn->rx.len == 0) {
		handle(conn, data, len);
	} else {
		if (buf_add(&conn->rx, data, len) == -1) {
			hub_conn_close(conn, PC_RECONNECT, "out of memory", 0);
			return -1;
		}
		if (final) {
			handle(conn, conn->rx.data, conn->rx.len);
			buf_release(&conn->rx);
		}
	}
	return conn->close_code != 0 ? -1 : 0;
}

static void
on_invalid(struct hub_conn *conn, const struct proto_msg *m)
{
	log_debug("client %s: %s", conn->socket_id, m->why);
	hub_send(conn, proto_error(0, m->why));
}

static void
on_ping(struct hub_conn *conn, const struct proto_msg *m)
{
	hub_send(conn, proto_pong());
}

static void
on_nothing(struct hub_conn *conn, const struct proto_msg *m)
{
}

static void
on_client_event(struct hub_conn *conn, const struct proto_msg *m)
{
	hub_send(conn, proto_error(0, "Client events are not enabled on this server"));
}

/* A refused subscription: pusher:subscription_error on the channel (what
 * pusher-js and Laravel Echo hand to the app's error callback), then the
 * protocol's pusher:error. The connection stays open for its other
 * channels, as Pusher-compatible servers do. */
static void
refuse(struct hub_conn *conn, const char *channel, int code, const char *why)
{
	char *s = NULL;
	json_t *o;

	if (hub_conn_may_log(conn))
		log_info("client %s: subscription refused: %s", conn->socket_id, why);
	o = json_pack("{s:s, s:s, s:{s:s, s:s, s:i}}", "event",
	    "pusher:subscription_error", "channel", channel, "data",
	    "type", "AuthError", "error", why, "status", 403);
	if (o != NULL)
		s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	hub_send(conn, s);
	hub_send(conn, proto_error(code, why));
}

/* The user whose channel ch is, for a live token (in *token) that may
 * subscribe this connection to it. 0 if there is none, -1 on a database
 * error. */
static int64_t
channel_owner(struct hub_conn *conn, const struct chan *ch, const char *name,
    int64_t *token)
{
	struct hub *h = conn->hub;
	struct db_stmt *st;
	int64_t user = 0;
	int rc;

	/* A token's channel is its own; a user's, the token's that POST
	 * .../broadcasting/auth granted it to this socket (push_grants). */
	if (ch->kind == CH_TOKEN)
		st = db_prepare(h->db, "SELECT user_id, id FROM tokens WHERE id=?1"
		    " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)");
	else
		st = db_prepare(h->db, "SELECT t.user_id, t.id FROM push_grants g"
		    " JOIN tokens t ON t.id = g.token_id WHERE g.socket_id=?3"
		    " AND g.channel=?4 AND t.user_id=?1 AND t.revoked_at IS NULL"
		    " AND (t.expires_at IS NULL OR t.expires_at > ?2)");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, ch->id);
	db_bind_int64(st, 2, now_us());
	if (ch->kind == CH_USER) {
		db_bind_text(st, 3, conn->socket_id);
		db_bind_text(st, 4, name);
	}
	rc = db_step(st);
	if (rc == DB_ROW) {
		user = db_column_int64(st, 0);
		*token = db_column_int64(st, 1);
	} else if (rc != DB_DONE)
		user = error("cannot look up token: %s", db_errmsg(h->db));
	db_finalize(st);
	return user;
}

static int
find_sub(const struct hub_conn *conn, const struct chan *ch)
{
	for (size_t i = 0; i < conn->n_subs; i++)
		if (conn->subs[i].ch.kind == ch->kind && conn->subs[i].ch.id == ch->id)
			return (int)i;
	return -1;
}

static void
on_subscribe(struct hub_conn *conn, const struct proto_msg *m)
{
	struct hub *h = conn->hub;
	const struct conf *c = h->conf;
	struct chan ch;
	int64_t user, token = 0;

	if (proto_channel_parse(m->channel, &ch) == -1) {
		refuse(conn, m->channel, PC_UNAUTHORIZED, "Only private-token.<id>"
		    " and private-user.<id> channels are served here");
		return;
	}
	if (!proto_auth_valid(c->pusher.key, c->pusher.secret, conn->socket_id,
	    m->channel, m->auth)) {
		refuse(conn, m->channel, PC_UNAUTHORIZED, "Invalid signature");
		return;
	}
	if (find_sub(conn, &ch) == -1) {
		if (conn->n_subs == HUB_MAX_SUBS) {
			refuse(conn, m->channel, PC_UNAUTHORIZED,
			    "Too many channels on one connection");
			return;
		}
		if ((user = channel_owner(conn, &ch, m->channel, &token)) <= 0) {
			refuse(conn, m->channel, PC_UNAUTHORIZED, user == 0 ?
			    "The token is unknown, expired or revoked" :
			    "Cannot check the channel now");
			return;
		}
		if (!counts_for(conn, user, (size_t)-1)) {
			if (hub_user_count(h, user) >= c->pusher.max_connections_per_user) {
				log_info("client %s: user %lld is over %d connections,"
				    " closing", conn->socket_id, (long long)user,
				    c->pusher.max_connections_per_user);
				hub_send(conn, proto_error(PC_OVER_CAPACITY,
				    "Over capacity: too many connections for this user"));
				hub_conn_close(conn, PC_OVER_CAPACITY, "over capacity", 1);
				return;
			}
			if (hub_user_adjust(h, user, 1) == -1)
				goto oom;
		}
		if (hub_channel_add(h, &ch, conn) == -1) {
			if (!counts_for(conn, user, (size_t)-1))
				hub_user_adjust(h, user, -1);
			goto oom;
		}
		conn->subs[conn->n_subs].ch = ch;
		conn->subs[conn->n_subs].user = user;
		conn->subs[conn->n_subs].token = token;
		conn->n_subs++;
		log_debug("client %s subscribed to %s", conn->socket_id, m->channel);
	}
	hub_send(conn, proto_subscribed(m->channel));
	if (m->last_event_id >= 0)
		(void)hub_replay(conn, &ch, m->last_event_id);
	return;
oom:
	hub_conn_close(conn, PC_RECONNECT, "out of memory", 0);
}

static void
on_unsubscribe(struct hub_conn *conn, const struct proto_msg *m)
{
	struct chan ch;
	int i;

	if (proto_channel_parse(m->channel, &ch) == 0 && (i = find_sub(conn, &ch)) >= 0)
		sub_remove(conn, (size_t)i);
}
