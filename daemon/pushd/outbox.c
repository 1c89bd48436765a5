/* Delivery from the events table (the outbox), live and replayed. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/db.h"
#include "lib/events.h"
#include "lib/log.h"
#include "hub.h"
#include "lib/util.h"
#include "lib/banned.h"

#define DELIVER_BATCH	256

/* The Pusher event name of each channel family, as the product sends it. */
static const struct {
	enum chan_kind	 kind;
	const char	*event;
} push_events[] = {
	{ CH_TOKEN,	"App\\Events\\TokenPush" },
	{ CH_USER,	"App\\Events\\UserPush" },
};

static const char *
event_name(enum chan_kind kind)
{
	for (size_t i = 0; i < nitems(push_events); i++)
		if (push_events[i].kind == kind)
			return push_events[i].event;
	return "";
}

int64_t
hub_max_event_id(struct db *db)
{
	int64_t id = 0;

	if (db_query_int(db, "SELECT coalesce(max(id), 0) FROM events", &id) == -1)
		return -1;
	return id;
}

/* Publish one row to the channels its type goes to (events.h). */
static void
deliver_row(struct hub *h, struct db_stmt *st)
{
	int64_t id = db_column_int64(st, 0);
	const char *type = db_column_text(st, 4);
	struct chan chans[2] = {
		{ CH_TOKEN, db_column_int64(st, 2) },	/* NULL reads 0 */
		{ CH_USER, db_column_int64(st, 1) },
	};

	if (type == NULL || !event_on_token_channel(h->conf, type))
		chans[0].id = 0;
	if (type == NULL || !event_on_user_channel(h->conf, type))
		chans[1].id = 0;
	size_t listeners = 0;
	char *env;

	for (size_t i = 0; i < nitems(chans); i++)
		if (chans[i].id > 0)
			listeners += hub_channel_count(h, &chans[i]);
	if (listeners == 0)
		return;
	env = event_envelope(id, db_column_text(st, 3));
	if (env == NULL) {
		log_warnx("event %lld has a payload that is not JSON, skipped",
		    (long long)id);
		return;
	}
	for (size_t i = 0; i < nitems(chans); i++)
		if (chans[i].id > 0)
			hub_publish(h, &chans[i], event_name(chans[i].kind), env);
	free(env);
}

int
hub_deliver(struct hub *h)
{
	struct db_stmt *st = db_prepare(h->db, "SELECT id, user_id, token_id,"
	    " payload, type FROM events WHERE id>? ORDER BY id LIMIT ?");
	int n = 0, rows, rc;

	if (st == NULL)
		return -1;
	do {
		db_reset(st);
		db_bind_int64(st, 1, h->last_event_id);
		db_bind_int(st, 2, DELIVER_BATCH);
		rows = 0;
		while ((rc = db_step(st)) == DB_ROW) {
			deliver_row(h, st);
			h->last_event_id = db_column_int64(st, 0);
			rows++;
		}
		n += rows;
		if (rc != DB_DONE) {
			n = error("cannot read events: %s", db_errmsg(h->db));
			break;
		}
	} while (rows == DELIVER_BATCH);
	db_finalize(st);
	return n;
}

int
hub_replay(struct hub_conn *conn, const struct chan *ch, int64_t after_id)
{
	struct hub *h = conn->hub;
	/* Newest first, so that past the limit the oldest are the ones left
	 * out; a progress event only while it is its download's latest. */
	struct db_stmt *st = db_prepare(h->db, "SELECT id, payload FROM ("
	    " SELECT id, type, payload, row_number() OVER"
	    "  (PARTITION BY download_id ORDER BY id DESC) AS rn"
	    " FROM events WHERE id>?1 AND id<=?2"
	    "  AND (CASE ?3 WHEN 0 THEN token_id ELSE user_id END)=?4) AS recent"
	    " WHERE (type<>'" EV_PROGRESS "' OR rn=1)"
	    "  AND (CASE ?3 WHEN 0 THEN type='" EV_GENERATED "'"
	    "   ELSE type<>'" EV_GENERATED "' OR ?6<>0 END)"
	    " ORDER BY id DESC LIMIT ?5");
	char name[PROTO_CHANNEL_MAX + 1], **texts = NULL;
	int n = 0, rc = DB_DONE;

	if (st == NULL)
		return -1;
	if ((texts = calloc(HUB_REPLAY_MAX, sizeof(*texts))) == NULL) {
		db_finalize(st);
		return -1;
	}
	proto_channel_name(ch, name);
	db_bind_int64(st, 1, after_id);
	db_bind_int64(st, 2, h->last_event_id);
	db_bind_int(st, 3, ch->kind == CH_TOKEN ? 0 : 1);
	db_bind_int64(st, 4, ch->id);
	db_bind_int(st, 5, HUB_REPLAY_MAX);
	db_bind_int(st, 6, h->conf->pusher.generated_on_user_channel);
	while (n < HUB_REPLAY_MAX && (rc = db_step(st)) == DB_ROW) {
		char *env = event_envelope(db_column_int64(st, 0),
		    db_column_text(st, 1));

		if (env == NULL)
			continue;
		texts[n++] = proto_event(event_name(ch->kind), name, env);
		free(env);
	}
	if (n < HUB_REPLAY_MAX && rc != DB_DONE)
		error("cannot replay events: %s", db_errmsg(h->db));
	db_finalize(st);
	for (int i = n - 1; i >= 0; i--)
		hub_send(conn, texts[i]);
	free(texts);
	h->events_replayed += (uint64_t)n;
	if (n > 0)
		log_debug("client %s: replayed %d events of %s after %lld",
		    conn->socket_id, n, name, (long long)after_id);
	return n;
}

int
hub_drop_revoked(struct hub *h, int64_t since, int64_t now)
{
	struct db_stmt *st = db_prepare(h->db, "SELECT id FROM tokens"
	    " WHERE (revoked_at > ?1 AND revoked_at <= ?2)"
	    "    OR (expires_at > ?1 AND expires_at <= ?2)");
	int n = 0, rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, since);
	db_bind_int64(st, 2, now);
	while ((rc = db_step(st)) == DB_ROW) {
		struct chan ch = { CH_TOKEN, db_column_int64(st, 0) };
		size_t closed = hub_close_channel(h, &ch, PC_UNAUTHORIZED,
		    "the token was revoked or expired");

		/* And every connection holding a subscription it authorised
		 * (private-user.<id> alone, say). */
		for (struct hub_conn *c = h->conns; c != NULL; c = c->next)
			for (size_t i = 0; i < c->n_subs; i++)
				if (c->subs[i].token == ch.id && c->close_code == 0) {
					hub_conn_close(c, PC_UNAUTHORIZED,
					    "the token was revoked or expired", 1);
					closed++;
					break;
				}

		if (closed > 0)
			log_info("token %lld ended: closed %zu connection(s)",
			    (long long)ch.id, closed);
		n += (int)closed;
	}
	db_finalize(st);
	return rc == DB_DONE ? n : -1;
}
