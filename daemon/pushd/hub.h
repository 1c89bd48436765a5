/*
 * The push hub: every connection with its subscriptions and its queue of
 * messages to send, the channel index that fans an event out, the session
 * rules (session.c) and delivery from the events table
 * (outbox.c). No libwebsockets: the daemon hands the hub each
 * connection's bytes and asks it what to write; the hub asks back through
 * the wake callback. Single-threaded.
 */
#ifndef ARCHIVED_PUSHD_HUB_H
#define ARCHIVED_PUSHD_HUB_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "lib/util.h"

struct db;

struct conf;

#define HUB_PRE		32	/* headroom before a message (>= LWS_PRE) */
#define HUB_MAX_SUBS	8	/* channels one connection may hold */
#define HUB_QUEUE_MAX	4096	/* unsent messages before a client is "too slow" */
#define HUB_REPLAY_MAX	1000	/* events replayed for one last_event_id */
#define HUB_PONG_WAIT	30	/* seconds a pinged client has to answer */

/* One message, shared by every connection it is queued on. */
struct pmsg {
	unsigned	 refs;
	size_t		 len;
	size_t		 fanout;	/* connections it was queued on */
	int64_t		 born;		/* mono_us() when queued, for the log */
	int64_t		 first_out;	/* mono_us() when first written */
	unsigned char	 data[];	/* HUB_PRE bytes, then len bytes and a NUL */
};

#define pmsg_text(m)	((m)->data + HUB_PRE)

#define HUB_LOG_LINES	10	/* a client's own log lines a minute */

struct hub_sub {
	struct chan	 ch;
	int64_t		 user;		/* whose channel: counts for that user */
	int64_t		 token;		/* the token that authorised it */
};

/* One client connection. Made by hub_conn_new, freed by hub_conn_free. */
struct hub_conn {
	struct hub	*hub;
	void		*handle;	/* the daemon's connection (a struct lws *) */
	char		 socket_id[PROTO_SOCKET_ID_MAX];
	struct hub_sub	 subs[HUB_MAX_SUBS];
	size_t		 n_subs;
	struct pmsg	**q;		/* ring of queued messages */
	size_t		 q_head, q_len, q_cap;
	struct buf	 rx;		/* a message arriving in pieces */
	int64_t		 last_rx;	/* mono_us() of the last message received */
	int		 pinged;	/* a pusher:ping is unanswered */
	char		 addr[64];	/* the client's address, for its cap */
	int		 log_left;	/* lines it may still cause this window */
	int64_t		 log_window;	/* mono_us() the window started */
	int		 close_code;	/* nonzero: close once the queue is sent */
	const char	*close_reason;	/* static */
	struct hub_conn	*prev, *next;
};

struct chan_entry;

struct hub {
	struct db			*db;		/* borrowed */
	const struct conf	*conf;		/* borrowed; replaced on reload */
	void			(*wake)(void *handle);	/* ask for a write */
	struct hub_conn		*conns;
	size_t			 n_conns;
	struct chan_entry	**buckets;	/* channels and per-user counts */
	size_t			 n_buckets, n_entries;
	int64_t			 last_event_id;	/* delivered up to here */
	uint32_t		 sid_next;	/* second half of socket ids */
	uint64_t		 delivered;	/* messages queued, for the log */
	uint64_t		 events_sent;	/* event messages queued live */
	uint64_t		 events_replayed;	/* and after last_event_id */
};

/* --- hub.c: connections, channels, queues */

/* db and c are borrowed and must outlive the hub. Starts delivery after
 * the newest event already in the table. NULL on error. */
struct hub *hub_new(struct db *db, const struct conf *c, void (*wake)(void *));
/* Frees every connection still open, then the hub. */
void	 hub_free(struct hub *h);
void	 hub_set_conf(struct hub *h, const struct conf *c);

/* Queue text on one connection; takes text and frees it (NULL: a failed
 * allocation, passed on). 0, or -1 if it was dropped. */
int	 hub_send(struct hub_conn *conn, char *text);
/* Queue a shared message; takes a reference. */
int	 hub_enqueue(struct hub_conn *conn, struct pmsg *m);
struct pmsg *pmsg_new(const char *text);
void	 pmsg_unref(struct pmsg *m);

/* The next message to write, or NULL; hub_conn_pop drops it once written. */
struct pmsg *hub_conn_peek(struct hub_conn *conn);
void	 hub_conn_pop(struct hub_conn *conn);
/* Close conn with code once its queue is written (flush) or at once.
 * reason is static. */
void	 hub_conn_close(struct hub_conn *conn, int code, const char *reason,
	    int flush);
/* Give conn its client address; over pusher.max_connections_per_address
 * connections from it, conn is closed with 4100. 0, or -1 if refused. */
int	 hub_conn_set_addr(struct hub_conn *conn, const char *addr);
/* May conn cause another log line? A client's own mistakes are logged
 * HUB_LOG_LINES times a minute at most (then once that the rest are not):
 * a client cannot flood the log. 1 yes, 0 no. */
int	 hub_conn_may_log(struct hub_conn *conn);

/* Subscriber index. hub_channel_add fails (-1) on allocation failure. */
int	 hub_channel_add(struct hub *h, const struct chan *ch, struct hub_conn *conn);
void	 hub_channel_remove(struct hub *h, const struct chan *ch, struct hub_conn *conn);
size_t	 hub_channel_count(struct hub *h, const struct chan *ch);
/* Queue an event on every subscriber of ch; the message is built only if
 * there is one. Returns how many connections got it. */
size_t	 hub_publish(struct hub *h, const struct chan *ch, const char *event,
	    const char *data);

/* Connections counted per user (pusher.max_connections_per_user). */
int	 hub_user_count(struct hub *h, int64_t user);
int	 hub_user_adjust(struct hub *h, int64_t user, int delta);

/* Close every connection subscribed to ch with code, at once. Returns how
 * many. */
size_t	 hub_close_channel(struct hub *h, const struct chan *ch, int code,
	    const char *reason);
/* Close every connection with code (going away at shutdown). */
void	 hub_close_all(struct hub *h, int code, const char *reason);
/* Once a second: ping silent clients, drop those that did not answer. */
void	 hub_tick(struct hub *h, int64_t now_mono);

/* --- session.c: one client's protocol */

/* A new connection to app key (keylen bytes) asking for protocol version.
 * Queues pusher:connection_established, or the error and close the
 * protocol says. NULL on allocation failure. */
struct hub_conn *hub_conn_new(struct hub *h, void *handle, const char *key,
	    size_t keylen, int version);
/* The one destructor: subscriptions, counts, queue. */
void	 hub_conn_free(struct hub_conn *conn);
/* Bytes of a text message; final is set on its last piece. Handles the
 * message when complete. -1: the connection is to close (see close_code). */
int	 hub_conn_receive(struct hub_conn *conn, const void *data, size_t len,
	    int final);

/* --- outbox.c: the events table */

/* Deliver every event after last_event_id. Returns how many, or -1. */
int	 hub_deliver(struct hub *h);
/* Close the connections on the channel of every token revoked or expired
 * in (since, now]: a logged-out session hears nothing more. Returns how
 * many were closed, or -1 on a database error. */
int	 hub_drop_revoked(struct hub *h, int64_t since, int64_t now);
/* Queue on conn the kept events of ch after after_id, up to what has been
 * delivered live. Returns how many, or -1. */
int	 hub_replay(struct hub_conn *conn, const struct chan *ch, int64_t after_id);
/* Newest event id in the table (0 if none), or -1. */
int64_t	 hub_max_event_id(struct db *db);

#endif
