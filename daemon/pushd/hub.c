/* The push hub: connections, the channel index, message queues, fan-out. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/log.h"
#include "hub.h"
#include "lib/util.h"
#include "lib/banned.h"

/* Keys of the index: the two channel kinds, and per-user counts. */
#define KEY_USER_COUNT	16

/* A channel's subscribers, or (KEY_USER_COUNT) a user's connection count. */
struct chan_entry {
	int			 kind;
	int64_t			 id;
	struct hub_conn		**conns;
	size_t			 n, cap;	/* n is the count for KEY_USER_COUNT */
	struct chan_entry	*next;
};

static size_t
bucket_of(const struct hub *h, int kind, int64_t id)
{
	uint64_t x = (uint64_t)id ^ ((uint64_t)kind << 56);

	/* splitmix64's finaliser: ids are dense, spread them. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (size_t)(x & (h->n_buckets - 1));
}

static int
grow(struct hub *h)
{
	size_t n = h->n_buckets * 2;
	struct chan_entry **b = calloc(n, sizeof(*b));
	struct chan_entry **old = h->buckets;
	size_t oldn = h->n_buckets;

	if (b == NULL)
		return -1;
	h->buckets = b;
	h->n_buckets = n;
	for (size_t i = 0; i < oldn; i++) {
		struct chan_entry *e = old[i], *next;

		for (; e != NULL; e = next) {
			size_t k = bucket_of(h, e->kind, e->id);

			next = e->next;
			e->next = b[k];
			b[k] = e;
		}
	}
	free(old);
	return 0;
}

/* The entry for (kind, id); made when create is set. NULL if none. */
static struct chan_entry *
entry_find(struct hub *h, int kind, int64_t id, int create)
{
	struct chan_entry *e;
	size_t k = bucket_of(h, kind, id);

	for (e = h->buckets[k]; e != NULL; e = e->next)
		if (e->kind == kind && e->id == id)
			return e;
	if (!create)
		return NULL;
	if (h->n_entries >= h->n_buckets && grow(h) == 0)
		k = bucket_of(h, kind, id);
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->kind = kind;
	e->id = id;
	e->next = h->buckets[k];
	h->buckets[k] = e;
	h->n_entries++;
	return e;
}

static void
entry_delete(struct hub *h, struct chan_entry *e)
{
	struct chan_entry **p = &h->buckets[bucket_of(h, e->kind, e->id)];

	while (*p != e)
		p = &(*p)->next;
	*p = e->next;
	h->n_entries--;
	free(e->conns);
	free(e);
}

struct hub *
hub_new(struct db *db, const struct conf *c, void (*wake)(void *))
{
	struct hub *h = calloc(1, sizeof(*h));
	int64_t last;

	if (h == NULL)
		return NULL;
	h->db = db;
	h->conf = c;
	h->wake = wake;
	h->n_buckets = 1024;
	h->buckets = calloc(h->n_buckets, sizeof(*h->buckets));
	if (h->buckets == NULL || (last = hub_max_event_id(db)) < 0 ||
	    random_bytes(&h->sid_next, sizeof(h->sid_next)) == -1) {
		free(h->buckets);
		free(h);
		return NULL;
	}
	h->last_event_id = last;
	return h;
}

void
hub_free(struct hub *h)
{
	if (h == NULL)
		return;
	while (h->conns != NULL)
		hub_conn_free(h->conns);
	for (size_t i = 0; i < h->n_buckets; i++)
		while (h->buckets[i] != NULL)
			entry_delete(h, h->buckets[i]);
	free(h->buckets);
	free(h);
}

void
hub_set_conf(struct hub *h, const struct conf *c)
{
	h->conf = c;
}

struct pmsg *
pmsg_new(const char *text)
{
	size_t len = strlen(text);
	struct pmsg *m = malloc(sizeof(*m) + HUB_PRE + len + 1);

	if (m == NULL)
		return NULL;
	m->refs = 1;
	m->len = len;
	m->fanout = 0;
	m->born = m->first_out = 0;
	memcpy(pmsg_text(m), text, len + 1);
	return m;
}

/* Fan-outs at least this wide log how long writing them to all took. */
#define FANOUT_LOG	100

void
pmsg_unref(struct pmsg *m)
{
	if (m == NULL || --m->refs > 0)
		return;
	if (m->fanout >= FANOUT_LOG)
		log_debug("one message written to %zu clients: the first after"
		    " %.1f ms, all after %.1f ms", m->fanout,
		    (double)(m->first_out - m->born) / 1000.0,
		    (double)(mono_us() - m->born) / 1000.0);
	free(m);
}

static void
queue_clear(struct hub_conn *conn)
{
	while (conn->q_len > 0)
		hub_conn_pop(conn);
}

int
hub_enqueue(struct hub_conn *conn, struct pmsg *m)
{
	if (conn->close_code != 0)
		return -1;
	if (conn->q_len == HUB_QUEUE_MAX) {
		/* A reader this slow would hold memory without bound; it can
		 * reconnect and ask for what it missed with last_event_id. */
		log_info("client %s is too slow: %zu messages unsent, closing",
		    conn->socket_id, conn->q_len);
		hub_conn_close(conn, PC_RECONNECT, "too slow", 0);
		return -1;
	}
	if (conn->q_len == conn->q_cap) {
		size_t cap = conn->q_cap ? conn->q_cap * 2 : 4;
		struct pmsg **q = malloc(cap * sizeof(*q));

		if (q == NULL)
			return -1;
		/* Unroll the ring into the new array. */
		for (size_t i = 0; i < conn->q_len; i++)
			q[i] = conn->q[(conn->q_head + i) % conn->q_cap];
		free(conn->q);
		conn->q = q;
		conn->q_cap = cap;
		conn->q_head = 0;
	}
	conn->q[(conn->q_head + conn->q_len) % conn->q_cap] = m;
	m->refs++;
	if (conn->q_len++ == 0)
		conn->hub->wake(conn->handle);
	conn->hub->delivered++;
	return 0;
}

int
hub_send(struct hub_conn *conn, char *text)
{
	struct pmsg *m = text != NULL ? pmsg_new(text) : NULL;
	int ret;

	free(text);
	if (m == NULL)
		return -1;
	ret = hub_enqueue(conn, m);
	pmsg_unref(m);
	return ret;
}

struct pmsg *
hub_conn_peek(struct hub_conn *conn)
{
	return conn->q_len > 0 ? conn->q[conn->q_head] : NULL;
}

void
hub_conn_pop(struct hub_conn *conn)
{
	if (conn->q_len == 0)
		return;
	if (conn->q[conn->q_head]->first_out == 0)
		conn->q[conn->q_head]->first_out = mono_us();
	pmsg_unref(conn->q[conn->q_head]);
	conn->q_head = (conn->q_head + 1) % conn->q_cap;
	conn->q_len--;
	/* An idle connection gives its ring back. */
	if (conn->q_len == 0 && conn->q_cap > 16) {
		free(conn->q);
		conn->q = NULL;
		conn->q_cap = 0;
		conn->q_head = 0;
	}
}

void
hub_conn_close(struct hub_conn *conn, int code, const char *reason, int flush)
{
	if (conn->close_code != 0)
		return;
	if (!flush)
		queue_clear(conn);
	conn->close_code = code;
	conn->close_reason = reason;
	conn->hub->wake(conn->handle);
}

int
hub_channel_add(struct hub *h, const struct chan *ch, struct hub_conn *conn)
{
	struct chan_entry *e = entry_find(h, (int)ch->kind, ch->id, 1);

	if (e == NULL)
		return -1;
	for (size_t i = 0; i < e->n; i++)
		if (e->conns[i] == conn)
			return 0;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 2;
		/* A client that cannot be added is refused, not the process. */
		struct hub_conn **c = reallocarray(e->conns, cap, sizeof(*c));

		if (c == NULL) {
			if (e->n == 0)
				entry_delete(h, e);
			return -1;
		}
		e->conns = c;
		e->cap = cap;
	}
	e->conns[e->n++] = conn;
	return 0;
}

void
hub_channel_remove(struct hub *h, const struct chan *ch, struct hub_conn *conn)
{
	struct chan_entry *e = entry_find(h, (int)ch->kind, ch->id, 0);

	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n; i++)
		if (e->conns[i] == conn) {
			e->conns[i] = e->conns[--e->n];
			break;
		}
	if (e->n == 0)
		entry_delete(h, e);
}

size_t
hub_channel_count(struct hub *h, const struct chan *ch)
{
	struct chan_entry *e = entry_find(h, (int)ch->kind, ch->id, 0);

	return e != NULL ? e->n : 0;
}

size_t
hub_publish(struct hub *h, const struct chan *ch, const char *event,
    const char *data)
{
	struct chan_entry *e = entry_find(h, (int)ch->kind, ch->id, 0);
	char name[PROTO_CHANNEL_MAX + 1], *text;
	struct pmsg *m;
	size_t n = 0;

	if (e == NULL)
		return 0;
	proto_channel_name(ch, name);
	text = proto_event(event, name, data);
	m = text != NULL ? pmsg_new(text) : NULL;
	free(text);
	if (m == NULL)
		return 0;
	/* Enqueueing may close a slow client, which stays subscribed until
	 * freed: the array does not change under us. */
	m->born = mono_us();
	for (size_t i = 0; i < e->n; i++)
		if (hub_enqueue(e->conns[i], m) == 0)
			n++;
	m->fanout = n;
	h->events_sent += n;
	pmsg_unref(m);
	return n;
}

size_t
hub_close_channel(struct hub *h, const struct chan *ch, int code, const char *reason)
{
	struct chan_entry *e = entry_find(h, (int)ch->kind, ch->id, 0);
	size_t n = 0;

	/* Closing marks the connection; it leaves the channel when freed. */
	for (size_t i = 0; e != NULL && i < e->n; i++)
		if (e->conns[i]->close_code == 0) {
			hub_conn_close(e->conns[i], code, reason, 0);
			n++;
		}
	return n;
}

int
hub_user_count(struct hub *h, int64_t user)
{
	struct chan_entry *e = entry_find(h, KEY_USER_COUNT, user, 0);

	return e != NULL ? (int)e->n : 0;
}

int
hub_user_adjust(struct hub *h, int64_t user, int delta)
{
	struct chan_entry *e = entry_find(h, KEY_USER_COUNT, user, delta > 0);

	if (e == NULL)
		return delta > 0 ? -1 : 0;
	if (delta < 0 && e->n < (size_t)-delta)
		e->n = 0;
	else
		e->n = (size_t)((int64_t)e->n + delta);
	if (e->n == 0)
		entry_delete(h, e);
	return 0;
}

void
hub_close_all(struct hub *h, int code, const char *reason)
{
	for (struct hub_conn *c = h->conns; c != NULL; c = c->next)
		hub_conn_close(c, code, reason, 0);
}

void
hub_tick(struct hub *h, int64_t now)
{
	int64_t timeout = (int64_t)h->conf->pusher.activity_timeout * USEC_PER_SEC;
	int64_t wait = (int64_t)(h->conf->pusher.activity_timeout < HUB_PONG_WAIT ?
	    h->conf->pusher.activity_timeout : HUB_PONG_WAIT) * USEC_PER_SEC;

	for (struct hub_conn *c = h->conns; c != NULL; c = c->next) {
		if (c->close_code != 0)
			continue;
		if (!c->pinged && now - c->last_rx >= timeout) {
			/* Silent for activity_timeout: is it still there? */
			c->pinged = 1;
			c->last_rx = now;
			hub_send(c, proto_ping());
		} else if (c->pinged && now - c->last_rx >= wait) {
			log_debug("client %s did not answer a ping, closing", c->socket_id);
			hub_conn_close(c, PC_PONG_TIMEOUT, "pong reply not received", 0);
		}
	}
}

int
hub_conn_set_addr(struct hub_conn *conn, const char *addr)
{
	struct hub *h = conn->hub;
	int n = 0;

	snprintf(conn->addr, sizeof(conn->addr), "%s", addr);
	for (struct hub_conn *c = h->conns; c != NULL; c = c->next)
		n += c->close_code == 0 && strcmp(c->addr, conn->addr) == 0;
	if (n <= h->conf->pusher.max_connections_per_address)
		return 0;
	if (hub_conn_may_log(conn))
		log_info("client %s: over %d connections from %s, closing",
		    conn->socket_id, h->conf->pusher.max_connections_per_address,
		    conn->addr);
	hub_send(conn, proto_error(PC_OVER_CAPACITY,
	    "Over capacity: too many connections from this address"));
	hub_conn_close(conn, PC_OVER_CAPACITY, "over capacity", 1);
	return -1;
}

int
hub_conn_may_log(struct hub_conn *conn)
{
	int64_t now = mono_us();

	if (conn->log_window == 0 || now - conn->log_window >= 60 * USEC_PER_SEC) {
		conn->log_window = now;
		conn->log_left = HUB_LOG_LINES;
	}
	if (conn->log_left > 0 && --conn->log_left == 0) {
		log_info("client %s: further messages about it are not logged for"
		    " a minute", conn->socket_id);
		return 0;
	}
	return conn->log_left > 0;
}
