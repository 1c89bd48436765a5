/*
 * archive-pushd: the Pusher protocol (5 to 7) WebSocket server that pushes
 * archive events to the product's apps, and the timers that expire archives.
 *
 * This file is the libwebsockets glue: the event loop, its timers, the
 * kick socket and the signals. The protocol is proto.c, connections and
 * fan-out hub.c and session.c, delivery from the events table outbox.c,
 * expiry src/lib/expiry.c.
 */
#include "config.h"

#include <libwebsockets.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/conf.h"
#include "lib/confslot.h"
#include "lib/db.h"
#include "lib/heartbeat.h"
#include "lib/expiry.h"
#include "lib/kick.h"
#include "lib/log.h"
#include "lib/progopt.h"
#include "hub.h"
#include "lib/util.h"
#include "lib/banned.h"

#define SWEEP_INTERVAL_US	(60 * LWS_US_PER_SEC)	/* repair, orphans, old events */
#define TICK_US			LWS_US_PER_SEC		/* activity timeouts */
#define STOP_GRACE_US		(2 * LWS_US_PER_SEC)	/* for close frames at exit */
#define CLOSE_ACK_S		3	/* for the client's Close after ours */
/* lws_write()'s Close opcode, 4 in every libwebsockets: lws-write.h leaves
 * it out only to steer callers to lws_close_reason(), which in 4.1 closes
 * the socket without waiting for the client's answer (see send_close()). */
#define WRITE_CLOSE		((enum lws_write_protocol)4)
#define LWS_LOG_PER_SEC		5	/* libwebsockets' own lines */
#define RX_BUFFER		1024	/* per connection; longer messages come in pieces */
#define FD_RESERVE		64	/* descriptors kept from libwebsockets */

_Static_assert(HUB_PRE >= LWS_PRE, "HUB_PRE must cover LWS_PRE");

/* Per connection, allocated by lws: the hub owns the state. */
struct pss {
	struct hub_conn	*conn;
	int		 close_sent;	/* our Close is out; awaiting the client's */
};

static int	split_listen(const char *listen, char *host, size_t hostlen, int *port);
static int	check_listen(const struct conf *c, char *err, size_t len);
static int	accept_reload(const struct conf *old, const struct conf *fresh,
		    char *err, size_t len);
static void	reload(void);
static void	deliver(void);
static void	arm_expiry(void);
static void	wake_conn(void *handle);
static void	on_signal(int sig);
static void	on_lws_log(int level, const char *line);
static int	cb_pusher(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len);
static int	cb_kick(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len);
static void	timer_poll(lws_sorted_usec_list_t *sul);
static void	timer_tick(lws_sorted_usec_list_t *sul);
static void	timer_expiry(lws_sorted_usec_list_t *sul);
static void	timer_sweep(lws_sorted_usec_list_t *sul);
static void	beat(void);

/*
 * The WebSocket protocol first: lws gives it clients that name none. A
 * client that asks for a subprotocol (PusherSwift asks for
 * "pusher-channels-protocol-7") gets the entry of that name, the same
 * callback, and lws answers the handshake with the name; lws refuses a
 * handshake whose subprotocols all are unknown.
 */
#define PUSHER_PROTOCOL(name) \
	{ name, cb_pusher, sizeof(struct pss), RX_BUFFER, 0, NULL, 0 }
static const struct lws_protocols protocols[] = {
	PUSHER_PROTOCOL("pusher"),
	PUSHER_PROTOCOL(PROTO_SUBPROTOCOL "7"),
	PUSHER_PROTOCOL(PROTO_SUBPROTOCOL "6"),
	PUSHER_PROTOCOL(PROTO_SUBPROTOCOL "5"),
	{ "pushd-kick", cb_kick, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static volatile sig_atomic_t got_term, got_hup;

static struct {
	const char		*config;	/* --config, or NULL */
	struct confslot		 slot;
	struct conf		*conf;		/* the slot's, between reloads */
	struct db			*db;
	struct hub		*hub;
	struct lws_context	*ctx;
	lws_sorted_usec_list_t	 poll, tick, expiry, sweep;
	int64_t			 expiry_at;	/* armed for this expires_at; 0 none */
	int64_t			 tokens_checked;	/* ended tokens looked for up to here */
	int			 kick_fd;
	int64_t			 stop_by;	/* mono_us(); 0 while running */
	int64_t			 started_us, beat_at;	/* heartbeat: now_us, mono_us */
	uint64_t		 expiry_runs, expired, files_removed;
} g = { .kick_fd = -1 };

int
main(int argc, char *argv[])
{
	struct progopt o = { .prog = "archive-pushd",
	    .usage = "[--config FILE] [-n] [--syslog] [--debug]",
	    .validate = check_listen };
	struct lws_context_creation_info info;
	struct sigaction sa;
	struct lws_vhost *vh;
	char host[256];
	int port;

	progopt_parse(&o, argc, argv);
	g.config = o.config;
	g.conf = progopt_start(&o);
	(void)split_listen(g.conf->pusher.listen, host, sizeof(host), &port);

	/* The database, and the hub that delivers from it. */
	if ((g.db = db_open_checked(g.conf)) == NULL || db_load_secrets(g.db, g.conf) == -1)
		fatalx("cannot open the database '%s'", db_shown(g.conf->database));
	confslot_init(&g.slot, conf_ref(g.conf));
	g.slot.accept = accept_reload;
	g.tokens_checked = now_us();
	g.started_us = now_us();
	if ((g.hub = hub_new(g.db, g.conf, wake_conn)) == NULL)
		fatalx("cannot start delivery from the events table");

	/* Signals only set flags; the loop acts on them. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The listening socket. */
	lws_set_log_level(LLL_ERR | LLL_WARN, on_lws_log);
	memset(&info, 0, sizeof(info));
	info.port = port;
	info.iface = host[0] != '\0' ? host : NULL;
	info.protocols = protocols;
	info.gid = -1;
	info.uid = -1;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
	if (strchr(host, ':') == NULL)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	/* Every push client is a descriptor: take what the system allows
	 * (LimitNOFILE in the unit), but let libwebsockets size its table for
	 * FD_RESERVE fewer. It stops accepting when its table is full; the
	 * reserve keeps the database, the log and the sweeps' descriptors
	 * from running out first, which made every accept fail with EMFILE
	 * while the listening socket stayed readable: a busy loop. */
	{
		struct rlimit rl;
		int raise = 0;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_max != RLIM_INFINITY && rl.rlim_max > 4 * FD_RESERVE) {
			rl.rlim_cur = rl.rlim_max - FD_RESERVE;
			raise = setrlimit(RLIMIT_NOFILE, &rl) == 0;
		}
		if ((g.ctx = lws_create_context(&info)) == NULL)
			fatalx("cannot listen on %s", g.conf->pusher.listen);
		if (raise) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
			log_info("at most %llu connections (LimitNOFILE %llu less"
			    " %d for the database and logs)",
			    (unsigned long long)(rl.rlim_max - FD_RESERVE),
			    (unsigned long long)rl.rlim_max, FD_RESERVE);
		}
	}
	if ((vh = lws_get_vhost_by_name(g.ctx, "default")) == NULL)
		fatalx("libwebsockets made no default vhost");

	/* The kick socket: writers wake us early; polling covers lost kicks.
	 * Writers on other hosts (PostgreSQL's NOTIFY) arrive through it too. */
	if ((g.kick_fd = kick_listen(g.conf->run_dir, KICK_PUSHD)) == -1)
		log_warnx("no kick socket: events wait for the next poll");
	else {
		(void)kick_relay_start(g.conf, KICK_PUSHD);
		lws_sock_file_fd_type fd;

		fd.filefd = g.kick_fd;
		if (lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, fd,
		    "pushd-kick", NULL) == NULL) {
			log_warnx("cannot watch the kick socket: events wait for"
			    " the next poll");
			g.kick_fd = -1;		/* lws closed it */
		}
	}

	lws_sul_schedule(g.ctx, 0, &g.poll, timer_poll,
	    (lws_usec_t)g.conf->poll_interval_ms * 1000);
	lws_sul_schedule(g.ctx, 0, &g.tick, timer_tick, TICK_US);
	/* The first sweep soon: repairs what a crash left while we were down. */
	lws_sul_schedule(g.ctx, 0, &g.sweep, timer_sweep, LWS_US_PER_SEC);
	arm_expiry();
	log_info("listening on %s for Pusher clients, after event %lld",
	    g.conf->pusher.listen, (long long)g.hub->last_event_id);

	for (;;) {
		if (got_hup) {
			got_hup = 0;
			reload();
		}
		if (got_term && g.stop_by == 0) {
			log_info("stopping: closing %zu connections", g.hub->n_conns);
			g.stop_by = mono_us() + STOP_GRACE_US;
			hub_close_all(g.hub, PC_GOING_AWAY, "server shutting down");
		}
		if (g.stop_by != 0 && (g.hub->n_conns == 0 || mono_us() >= g.stop_by))
			break;
		if (lws_service(g.ctx, 0) < 0)
			break;
	}

	lws_context_destroy(g.ctx);
	hub_free(g.hub);
	db_close(g.db);
	conf_free(g.conf);
	confslot_release(&g.slot);
	log_info("stopped");
	return 0;
}

/* "host:port", "[v6]:port" or ":port"; host is "" for any address. */
static int
split_listen(const char *listen, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(listen, ':');
	size_t n;
	int64_t p;

	if (colon == NULL || parse_i64(colon + 1, &p) == -1 || p < 1 || p > 65535)
		return -1;
	*port = (int)p;
	n = (size_t)(colon - listen);
	if (n >= 2 && listen[0] == '[' && listen[n - 1] == ']') {
		listen++;
		n -= 2;
	}
	if (n >= hostlen)
		return -1;
	memcpy(host, listen, n);
	host[n] = '\0';
	if (strcmp(host, "*") == 0 || strcmp(host, "0.0.0.0") == 0)
		host[0] = '\0';
	return 0;
}

/* -n and every start: the listen address must parse. */
static int
check_listen(const struct conf *c, char *err, size_t len)
{
	char host[256];
	int port;

	if (split_listen(c->pusher.listen, host, sizeof(host), &port) == -1) {
		snprintf(err, len, "pusher.listen: expected \"address:port\", got '%s'",
		    c->pusher.listen);
		return -1;
	}
	return 0;
}

/* The sockets and the database stay as they are until the next start. */
static int
accept_reload(const struct conf *old, const struct conf *fresh, char *err, size_t len)
{
	if (check_listen(fresh, err, len) == -1)
		return -1;
	if (strcmp(fresh->pusher.listen, old->pusher.listen) != 0 ||
	    strcmp(fresh->database, old->database) != 0 ||
	    strcmp(fresh->run_dir, old->run_dir) != 0)
		log_warnx("pusher.listen, database and run_dir change at the next start");
	return 0;
}

/* SIGHUP: read the file again; on any error keep running on the old one. */
static void
reload(void)
{
	struct conf *c;

	if (confslot_reload(&g.slot, g.config, g.db, 1) != 1)
		return;
	c = confslot_get(&g.slot);
	hub_set_conf(g.hub, c);
	conf_free(g.conf);
	g.conf = c;
	lws_sul_schedule(g.ctx, 0, &g.poll, timer_poll,
	    (lws_usec_t)g.conf->poll_interval_ms * 1000);
	g.expiry_at = 0;
	arm_expiry();
}

/* New events to their subscribers; a new active download may expire
 * before the armed timer, so look again. */
static void
deliver(void)
{
	int n = hub_deliver(g.hub);

	if (n > 0)
		log_debug("delivered %d events, up to %lld", n,
		    (long long)g.hub->last_event_id);
	arm_expiry();
}

/* One timer for the earliest expires_at; the sweep covers clock jumps. */
static void
arm_expiry(void)
{
	int64_t at, delay;

	switch (expiry_next(g.db, &at)) {
	case 1:
		if (at == g.expiry_at)
			return;
		g.expiry_at = at;
		delay = at - now_us();
		/* Already due (a failed run, a clock step): not in a tight loop. */
		lws_sul_schedule(g.ctx, 0, &g.expiry, timer_expiry,
		    delay > 0 ? delay : LWS_US_PER_SEC);
		break;
	case 0:
		g.expiry_at = 0;
		lws_sul_cancel(&g.expiry);
		break;
	default:
		break;
	}
}

static void
wake_conn(void *handle)
{
	lws_callback_on_writable(handle);
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
	if (g.ctx != NULL)
		lws_cancel_service(g.ctx);
}

static void
on_lws_log(int level, const char *line)
{
	/* At most LWS_LOG_PER_SEC lines a second: at the descriptor limit
	 * every failed accept logs one, and that must not fill the disk. */
	static int64_t second;
	static int lines, dropped;
	int64_t now = mono_us() / USEC_PER_SEC;
	size_t n = strlen(line);

	(void)level;
	if (now != second) {
		if (dropped > 0)
			log_warnx("libwebsockets: %d more lines not logged", dropped);
		second = now;
		lines = dropped = 0;
	}
	if (++lines > LWS_LOG_PER_SEC) {
		dropped++;
		return;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log_warnx("libwebsockets: %.*s", (int)n, line);
}

/* Before the upgrade: the path must be ours and the Origin allowed. */
static int
confirm_upgrade(struct lws *wsi, const char *upgrade)
{
	char uri[512], origin[512] = "";
	const char *key;
	size_t keylen;
	int n;

	if (strcasecmp(upgrade, "websocket") != 0)
		goto forbidden;
	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
	    proto_parse_path(uri, g.conf->pusher.path, &key, &keylen) == -1) {
		if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL))
			return -1;
		return 1;
	}
	/* Browsers always send Origin; Node and mobile clients often don't. */
	n = lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN);
	if (n == 0)
		return 0;
	if (n < (int)sizeof(origin) &&
	    lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) > 0 &&
	    conf_origin_allowed(g.conf, origin))
		return 0;
	log_info("WebSocket from origin '%.*s' refused: not in"
	    " pusher.allowed_origins", n < 200 ? n : 200,
	    n < (int)sizeof(origin) ? origin : "(too long)");
forbidden:
	if (lws_return_http_status(wsi, HTTP_STATUS_FORBIDDEN, NULL))
		return -1;
	return 1;
}

/* A new WebSocket: its app key and protocol version decide its fate. */
static struct hub_conn *
established(struct lws *wsi)
{
	char uri[512], arg[32], peer[64] = "", xff[256] = "", addr[64];
	const char *key = "", *v;
	struct hub_conn *conn;
	size_t keylen = 0;

	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) > 0)
		(void)proto_parse_path(uri, g.conf->pusher.path, &key, &keylen);
	v = lws_get_urlarg_by_name(wsi, "protocol=", arg, sizeof(arg));
	conn = hub_conn_new(g.hub, wsi, key, keylen,
	    proto_client_version(v, lws_get_protocol(wsi)->name));
	if (conn == NULL)
		return NULL;
	(void)lws_get_peer_simple(wsi, peer, sizeof(peer));
	if (lws_hdr_copy(wsi, xff, sizeof(xff), WSI_TOKEN_X_FORWARDED_FOR) < 0)
		xff[0] = '\0';
	proto_client_addr(peer, xff, addr, sizeof(addr));
	(void)hub_conn_set_addr(conn, addr);
	return conn;
}

/*
 * Our Close frame, then the TCP connection stays open until the client
 * answers with its own (or CLOSE_ACK_S pass): RFC 6455's closing
 * handshake. Closing the socket at once, as returning -1 after
 * lws_close_reason() does, races a proxy in front: lighttpd 1.4.69, seeing
 * the backend gone before it has sent the 101 on, gives that 101 a
 * Content-Length, and a client that honours it (pusher-js in Node) reads
 * the refusal and the Close as a body and sees only 1006, which pusher-js
 * retries instead of giving up.
 */
static int
send_close(struct lws *wsi, struct pss *pss)
{
	unsigned char buf[LWS_PRE + 125];
	const struct hub_conn *conn = pss->conn;
	size_t n = strlen(conn->close_reason);

	if (n > sizeof(buf) - LWS_PRE - 2)
		n = sizeof(buf) - LWS_PRE - 2;
	buf[LWS_PRE] = (unsigned char)(conn->close_code >> 8);
	buf[LWS_PRE + 1] = (unsigned char)conn->close_code;
	memcpy(buf + LWS_PRE + 2, conn->close_reason, n);
	if (lws_write(wsi, buf + LWS_PRE, n + 2, WRITE_CLOSE) < (int)(n + 2))
		return -1;
	pss->close_sent = 1;
	lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_ACK, CLOSE_ACK_S);
	return 0;
}

/* One message per writeable callback, then the close when asked for. */
static int
writeable(struct lws *wsi, struct pss *pss)
{
	struct hub_conn *conn = pss->conn;
	struct pmsg *m = hub_conn_peek(conn);

	if (pss->close_sent)
		return 0;
	if (m != NULL) {
		if (lws_write(wsi, pmsg_text(m), m->len, LWS_WRITE_TEXT) < (int)m->len)
			return -1;
		hub_conn_pop(conn);
		if (hub_conn_peek(conn) != NULL || conn->close_code != 0)
			lws_callback_on_writable(wsi);
		return 0;
	}
	if (conn->close_code != 0)
		return send_close(wsi, pss);
	return 0;
}

static int
cb_pusher(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct pss *pss = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		/* Plain HTTP: only WebSocket upgrades are served here. */
		if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL) ||
		    lws_http_transaction_completed(wsi))
			return -1;
		return 0;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return confirm_upgrade(wsi, in);
	case LWS_CALLBACK_ESTABLISHED:
		if ((pss->conn = established(wsi)) == NULL)
			return -1;
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (pss->conn == NULL)
			return -1;
		(void)hub_conn_receive(pss->conn, in, len,
		    lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (pss->conn == NULL)
			return -1;
		return writeable(wsi, pss);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		/* The answer to our Close ends it; otherwise lws echoes theirs. */
		return pss->close_sent ? -1 : 0;
	case LWS_CALLBACK_CLOSED:
		hub_conn_free(pss->conn);
		pss->conn = NULL;
		return 0;
	default:
		return 0;
	}
}

static int
cb_kick(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		(void)kick_drain(g.kick_fd);
		deliver();
		return 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		g.kick_fd = -1;
		return 0;
	default:
		return 0;
	}
}

static void
timer_poll(lws_sorted_usec_list_t *sul)
{
	deliver();
	lws_sul_schedule(g.ctx, 0, &g.poll, timer_poll,
	    (lws_usec_t)g.conf->poll_interval_ms * 1000);
}

static void
timer_tick(lws_sorted_usec_list_t *sul)
{
	int64_t now = now_us();

	hub_tick(g.hub, mono_us());
	/* A token logged out or expired: its sessions hear nothing more. */
	if (hub_drop_revoked(g.hub, g.tokens_checked, now) >= 0)
		g.tokens_checked = now;
	beat();
	lws_sul_schedule(g.ctx, 0, &g.tick, timer_tick, TICK_US);
}

/* The heartbeat /api/health and /metrics read, with pushd's own numbers. */
static void
beat(void)
{
	char stats[256];
	size_t subs = 0;

	if (g.beat_at != 0 && mono_us() - g.beat_at < HEARTBEAT_INTERVAL_US)
		return;
	g.beat_at = mono_us();
	for (struct hub_conn *c = g.hub->conns; c != NULL; c = c->next)
		subs += c->n_subs;
	snprintf(stats, sizeof(stats), "{\"connections\":%zu,\"channels\":%zu,"
	    "\"delivered\":%llu,\"replayed\":%llu,\"expiry_runs\":%llu,"
	    "\"expired\":%llu,\"files_removed\":%llu}", g.hub->n_conns, subs,
	    (unsigned long long)g.hub->events_sent,
	    (unsigned long long)g.hub->events_replayed,
	    (unsigned long long)g.expiry_runs, (unsigned long long)g.expired,
	    (unsigned long long)g.files_removed);
	(void)heartbeat_beat(g.db, "archive-pushd", g.conf->node, g.started_us,
	    stats);
}

static void
log_stats(const struct expiry_stats *st)
{
	g.expiry_runs++;
	g.expired += (uint64_t)st->expired;
	g.files_removed += (uint64_t)(st->expired + st->repaired + st->orphans);
	if (st->expired + st->repaired + st->orphans + st->errors > 0)
		log_info("expiry: %d expired, %d repaired, %d orphan files removed,"
		    " %d errors", st->expired, st->repaired, st->orphans, st->errors);
}

static void
timer_expiry(lws_sorted_usec_list_t *sul)
{
	struct expiry_stats st = { 0 };

	g.expiry_at = 0;
	(void)expiry_run(g.db, g.conf, now_us(), &st);
	log_stats(&st);
	deliver();
}

static void
timer_sweep(lws_sorted_usec_list_t *sul)
{
	struct expiry_stats st = { 0 };

	(void)expiry_sweep(g.db, g.conf, now_us(), &st);
	log_stats(&st);
	if (st.events > 0)
		log_debug("expiry: %d events past pusher.event_retention deleted",
		    st.events);
	g.expiry_at = 0;
	deliver();
	lws_sul_schedule(g.ctx, 0, &g.sweep, timer_sweep, SWEEP_INTERVAL_US);
}
